"""Rule-based household responses for ``MacroSMFG-v1``: one batched agent that acts for all N households.

Each rule reads only the households' observation (own state plus the public mean field and policy), so it
responds to the government's announced policy the way a Stackelberg follower must.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from tactica.envs.macro.calibration import Calibration
from tactica.envs.macro.economy import policy_from_action
from tactica.envs.macro.observation import public_feature_names, public_index, unslog

__all__ = ["RuleHouseholds", "FixedHouseholds", "decisions_to_action", "policy_from_public"]


def decisions_to_action(savings: np.ndarray, hours: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Inverse of :func:`tactica.envs.macro.economy.household_decisions`: ``(N, 2)`` float32 in ``[-1, 1]``."""
    lo, hi = calibration.savings_bounds
    x_s = 2.0 * (np.asarray(savings) - lo) / (hi - lo) - 1.0
    x_h = 2.0 * np.asarray(hours) - 1.0
    return np.clip(np.stack([x_s, x_h], axis=-1), -1.0, 1.0).astype(np.float32)


def policy_from_public(public: np.ndarray, calibration: Calibration):
    """The policy in force, read from the tail of a public vector (HSV or bracket mode told apart by length)."""
    base = len(public_feature_names(0))
    dim = public.shape[-1] - base
    income_tax = "hsv" if dim == 5 else "brackets"
    return policy_from_action(public[base:], calibration, income_tax), dim


def _check_spaces(action_space: gym.spaces.Space) -> None:
    if (
        not isinstance(action_space, gym.spaces.Box)
        or action_space.shape[-1:] != (2,)
        or len(action_space.shape) != 2
    ):
        raise ValueError(
            f"household rules play the 'households' agent of MacroSMFG-v1 (Box (N, 2)), got {action_space}"
        )


class FixedHouseholds:
    """Every household saves a fixed share of its cash on hand and works a fixed share of the year.

    Args:
        savings: savings ratio of cash on hand (default 0.84, about the ratio that keeps the calibrated wealth).
        hours: hours share (default the calibrated 2022 US hours per capita).
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        savings: float = 0.84,
        hours: float | None = None,
        calibration: Calibration | None = None,
    ):
        _check_spaces(action_space)
        self.calibration = calibration or Calibration()
        hours = self.calibration.hours_fraction if hours is None else hours
        n = action_space.shape[0]
        self._action = decisions_to_action(np.full(n, savings), np.full(n, hours), self.calibration)

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        return self._action.copy()


class RuleHouseholds:
    """Households that target a wealth-to-income ratio and choose hours by their first-order condition.

    Each household (vectorised over all N) estimates its after-tax wage ``w e (1 - m)`` (``m`` its marginal rate:
    ``1 - (1 - tau)(1 - xi)`` under HSV, the rate of its bracket under a bracket schedule) and its
    after-tax return, plans consumption ``c = net labour income + net capital income + lambda (a - a*)``
    toward the target wealth ``a* = ratio x net labour income``, and works the hours solving the intratemporal
    condition ``chi h^gamma c = net wage`` (three fixed-point passes).  The target ratio defaults to the one
    that makes the calibrated initial economy a steady state: ``(K/Y + D/Y) / ((1 - alpha)(1 - tau))``.

    Args:
        wealth_target: target wealth over net labour income (``None``: the calibrated value).
        adjustment: lambda, the share of the gap to the target closed per year.
        calibration: the economy's calibration (to read the policy and preferences).
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        wealth_target: float | None = None,
        adjustment: float = 0.1,
        calibration: Calibration | None = None,
    ):
        _check_spaces(action_space)
        c = self.calibration = calibration or Calibration()
        if wealth_target is None:
            wealth_target = (c.capital_to_gdp + c.debt_to_gdp) / ((1.0 - c.capital_share) * (1.0 - c.hsv_tau))
        if wealth_target <= 0 or not 0 < adjustment <= 1:
            raise ValueError("wealth_target must be > 0 and adjustment in (0, 1]")
        self.wealth_target = float(wealth_target)
        self.adjustment = float(adjustment)

    def reset(self, seed: int | None = None) -> None:
        pass

    def decide(self, private: np.ndarray, public: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Savings ratios and hours shares ``(N,)`` for the observation's households."""
        c = self.calibration
        policy, dim = policy_from_public(public, c)
        wealth = np.maximum(unslog(private[:, 0]), 0.0)
        productivity = np.exp(private[:, 2].astype(np.float64))
        wage = float(np.exp(public[public_index("log_wage", dim)]))
        rate = float(public[public_index("interest_rate", dim)])
        if policy.bracket_rates is not None:
            # Each household's marginal rate is that of the bracket its last income falls in.
            brackets = c.income_brackets
            usd = c.gdp_per_capita_usd
            taxable = np.maximum(unslog(private[:, 1]) * usd - brackets.allowance_usd, 0.0)
            k = np.searchsorted(np.asarray(brackets.thresholds_usd), taxable, side="right") - 1
            labour_tax = policy.bracket_rates[0][k]
        else:
            labour_tax = 1.0 - (1.0 - float(policy.tau[0])) * (1.0 - float(policy.xi[0]))
        keep = 1.0 - labour_tax
        wealth_keep = 1.0 - float(
            policy.wealth_tau[0]
        )  # marginal rates: HSV (1-tau)(1-xi), brackets per household
        net_wage = wage * productivity * keep
        net_return = rate * keep
        chi, gamma = c.labour_disutility, c.inverse_frisch
        hours = np.full(wealth.shape, c.hours_fraction)
        for _ in range(3):
            labour_income = net_wage * hours
            target = self.wealth_target * labour_income
            cons = labour_income + net_return * wealth + self.adjustment * (wealth - target)
            cons = np.maximum(cons, c.consumption_floor)
            hours = np.clip((net_wage / (chi * cons)) ** (1.0 / gamma), 0.0, 1.0)
        cash = wealth * wealth_keep + wealth * net_return + net_wage * hours
        savings = 1.0 - (1.0 + c.consumption_tax) * cons / np.maximum(cash, c.consumption_floor)
        lo, hi = c.savings_bounds
        return np.clip(savings, lo, hi), hours

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        savings, hours = self.decide(np.asarray(observation["private"]), np.asarray(observation["public"]))
        return decisions_to_action(savings, hours, self.calibration)
