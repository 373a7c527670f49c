"""Government baselines for ``MacroSMFG-v1``: free market, a real-world bracket schedule and the Saez formula.

All read only the government's observation (the public mean-field vector) and return an action in
``[-1, 1]``.  The bracket and Saez governments set spending with :class:`FiscalRule`, a debt-stabilising
rule, so that their comparison with learned policies is about the tax schedule and not about a budget that
cannot close.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from tactica.envs.macro.calibration import Calibration
from tactica.envs.macro.economy import Policy, action_from_policy
from tactica.envs.macro.observation import QUANTILES, public_feature_names, public_index, unslog

__all__ = ["FreeMarket", "BracketGovernment", "SaezGovernment", "FiscalRule", "saez_rates"]


def _policy_dim(action_space: gym.spaces.Space) -> int:
    if not isinstance(action_space, gym.spaces.Box) or len(action_space.shape) != 1:
        raise ValueError(
            f"government baselines play the 'government' agent of MacroSMFG-v1, got {action_space}"
        )
    return int(action_space.shape[0])


class FiscalRule:
    """Spend the calibrated share of output unless the debt needs less.

    ``g = min(G/Y calibrated, revenue/Y - r D/Y - speed (D/Y - target))``, clipped to the spending bounds: the
    second term services the debt and pulls it toward the target ratio, so a schedule that raises little
    revenue cuts spending instead of ending in a debt crisis, and one that raises much runs surpluses.  Before
    the first year (no revenue observed yet) it is the calibrated share.
    """

    def __init__(self, calibration: Calibration, target: float | None = None, speed: float = 0.1):
        self.calibration = calibration
        self.target = calibration.debt_to_gdp if target is None else float(target)
        self.speed = float(speed)

    def __call__(self, public: np.ndarray, policy_dim: int) -> float:
        c = self.calibration
        if public[public_index("year_fraction", policy_dim)] == 0.0:
            return c.spending_share
        revenue = float(public[public_index("tax_revenue_to_output", policy_dim)])
        debt = float(public[public_index("debt_to_output", policy_dim)])
        rate = float(public[public_index("interest_rate", policy_dim)])
        share = min(c.spending_share, revenue - rate * debt - self.speed * (debt - self.target))
        return float(np.clip(share, *c.spending_bounds))


class FreeMarket:
    """No income, wealth or consumption-side policy: every tax parameter and spending at zero."""

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        calibration: Calibration | None = None,
    ):
        self.calibration = calibration or Calibration()
        dim = _policy_dim(action_space)
        hsv = dim == 5
        rates = None if hsv else (0.0,) * (dim - 3)
        policy = Policy.constant(1, bracket_rates=rates)
        self._action = action_from_policy(policy, self.calibration, "hsv" if hsv else "brackets")[0].astype(
            np.float32
        )

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        return self._action.copy()


class _BracketBase:
    def __init__(self, action_space: gym.spaces.Space, calibration: Calibration | None, fiscal_rule: bool):
        self.calibration = calibration or Calibration()
        self.policy_dim = _policy_dim(action_space)
        k = len(self.calibration.income_brackets.rates)
        if self.policy_dim != k + 3:
            raise ValueError(
                f"this government sets bracket rates: make MacroSMFG-v1 with income_tax='brackets' (action size "
                f"{k + 3}), got an action of size {self.policy_dim}"
            )
        self.rule = FiscalRule(self.calibration) if fiscal_rule else None

    def reset(self, seed: int | None = None) -> None:
        pass

    def _action(self, rates: np.ndarray, public: np.ndarray) -> np.ndarray:
        spending = self.rule(public, self.policy_dim) if self.rule else self.calibration.spending_share
        policy = Policy.constant(1, spending=spending, bracket_rates=rates)
        return action_from_policy(policy, self.calibration, "brackets")[0].astype(np.float32)


class BracketGovernment(_BracketBase):
    """The calibration's real-world schedule (2022 US federal, single filer), spending by :class:`FiscalRule`.

    Args:
        fiscal_rule: ``False`` spends the calibrated 18.9 % of output every year instead.
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        calibration: Calibration | None = None,
        fiscal_rule: bool = True,
    ):
        super().__init__(action_space, calibration, fiscal_rule)
        self.rates = np.asarray(self.calibration.income_brackets.rates, dtype=np.float64)

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        return self._action(self.rates, np.asarray(observation, dtype=np.float64))


def saez_rates(
    quantiles: np.ndarray,
    thresholds: np.ndarray,
    elasticity: float,
    *,
    max_rate: float = 0.9,
    grid: int = 4000,
) -> np.ndarray:
    """Saez (2001) marginal rates at bracket ``thresholds`` for an income distribution known by its quantiles.

    ``tau(z) = (1 - G(z)) / (1 - G(z) + a(z) e)`` with ``a(z) = zm(z) / (zm(z) - z)`` the local Pareto
    parameter (``zm`` the mean income above ``z``) and ``G(z)`` the mean welfare weight above ``z``; weights are
    utilitarian under log utility, proportional to ``1 / income``.  The distribution is the piecewise-linear
    quantile function through ``(0, 0)`` and :data:`QUANTILES`, with a Pareto tail above the top quantile whose
    exponent matches the 90th and 99th percentiles.
    """
    q = np.maximum(np.asarray(quantiles, dtype=np.float64), 0.0)
    probs = np.asarray(QUANTILES)
    u = (np.arange(grid) + 0.5) / grid
    incomes = np.interp(u, np.concatenate([[0.0], probs]), np.concatenate([[0.0], q]))
    q90, q99 = q[probs.tolist().index(0.9)], q[-1]
    alpha = np.log(10.0) / np.log(q99 / q90) if q90 > 0 and q99 > q90 else 2.0
    alpha = float(np.clip(alpha, 1.1, 5.0))
    tail = u > probs[-1]
    incomes[tail] = q99 * ((1.0 - probs[-1]) / (1.0 - u[tail])) ** (1.0 / alpha)
    floor = max(np.median(incomes) * 1e-2, 1e-6)
    weights = 1.0 / np.maximum(incomes, floor)
    weights /= weights.mean()
    rates = np.empty(len(thresholds))
    for k, z in enumerate(np.asarray(thresholds, dtype=np.float64)):
        above = incomes >= z
        if not above.any():
            g, a = 0.0, alpha
        else:
            g = float(weights[above].mean())
            zm = float(incomes[above].mean())
            a = zm / (zm - z) if zm > z else alpha
        denominator = 1.0 - g + a * elasticity
        rates[k] = (1.0 - g) / denominator if denominator > 0 else 0.0
    return np.clip(rates, 0.0, max_rate)


class SaezGovernment(_BracketBase):
    """Bracket rates from the Saez formula on the observed income distribution, spending by :class:`FiscalRule`.

    The thresholds are the calibration's bracket thresholds (plus the allowance, since they apply to taxable
    income); the income distribution is read from the public income quantiles; the elasticity of taxable
    income is the calibration's (0.25).
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        calibration: Calibration | None = None,
        elasticity: float | None = None,
        fiscal_rule: bool = True,
    ):
        super().__init__(action_space, calibration, fiscal_rule)
        c = self.calibration
        self.elasticity = c.tax_elasticity if elasticity is None else float(elasticity)
        usd = c.gdp_per_capita_usd
        self.thresholds = (
            np.asarray(c.income_brackets.thresholds_usd) + c.income_brackets.allowance_usd
        ) / usd
        start = public_feature_names(0).index("income_q10")
        self._income_slice = slice(start, start + len(QUANTILES))

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        public = np.asarray(observation, dtype=np.float64)
        # The public vector carries per-household incomes in slog units at the QUANTILES levels.
        quantiles = unslog(public[self._income_slice])
        rates = saez_rates(
            quantiles, self.thresholds, self.elasticity, max_rate=self.calibration.bracket_rate_bounds[1]
        )
        return self._action(rates, public)
