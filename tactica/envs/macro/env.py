"""``MacroSMFG-v1``: a government (leader) and N households (mean-field followers) as a PettingZoo ParallelEnv."""

from __future__ import annotations

import math
from typing import Any, Literal

import gymnasium
import numpy as np
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from tactica.envs.macro.calibration import Calibration
from tactica.envs.macro.economy import (
    TERMINATION_REASONS,
    Economy,
    Policy,
    PolicyMap,
    StepResult,
    action_from_policy,
    policy_dim,
)
from tactica.envs.macro.observation import (
    PRIVATE_FEATURES,
    MeanFieldObserver,
    public_feature_names,
)
from tactica.envs.validation import check_agents, check_seed, check_started

__all__ = ["MacroSMFGEnv", "OBJECTIVES"]

OBJECTIVES: tuple[str, ...] = ("welfare", "gdp", "equality", "gdp_equality")
"""Government objectives: mean household utility; log output per capita; ``1 - (income Gini + wealth Gini)/2``;
log output per capita plus that equality term."""

GOVERNMENT, HOUSEHOLDS = "government", "households"

OBS_BOUND = 1e6
"""Observations are clipped to ``[-OBS_BOUND, OBS_BOUND]`` (slog money and ratios stay far inside it; only a
collapsing economy's ratios reach it), so the Box spaces are finite as Gymnasium's checker asks."""


class MacroSMFGEnv(ParallelEnv):
    """A Bewley-Aiyagari economy as a Stackelberg mean-field game between a government and its households.

    ## Description

    A government sets income and wealth taxes (HSV form, or a real-world bracket schedule) and spending as a
    share of output; N heterogeneous households, acting as one batched agent, choose a savings ratio and an
    hours share.  A Cobb-Douglas firm pays marginal products; capital is households' assets less government
    debt, so the books balance exactly: output equals consumption plus investment plus government spending
    every year, and debt moves by the budget identity ``D' = (1 + r) D + G - T``.  One step is one year; the
    dynamics live in :mod:`tactica.envs.macro.economy`, every number in :mod:`tactica.envs.macro.calibration`.

    **Stackelberg timing.** The government moves first: its action at step ``t`` is the policy of year
    ``t + 1``, announced before households choose.  Households' observation at every step carries the policy
    in force for the year they are about to act in, so followers always respond to the leader's revealed
    action (the first year's policy is ``initial_policy``).

    ## Action Space

    - ``government``: ``Box(-1, 1, (5,), float32)`` mapped affinely onto ``[tau, xi, wealth_tau, wealth_xi,
      spending share]`` within the calibration's bounds (``income_tax="brackets"``: one marginal rate per
      bracket of the calibration's schedule, then the last three; shape ``(K + 3,)``).
    - ``households``: ``Box(-1, 1, (N, 2), float32)``: row ``i`` is household ``i``'s savings ratio (mapped onto
      ``savings_bounds``) and hours share (mapped onto ``[0, 1]``).

    ## Observation Space

    - ``government``: ``Box(-1e6, 1e6, (P,), float32)``, the public mean-field vector
      (:func:`tactica.envs.macro.observation.public_feature_names`): year fraction, log output per capita,
      K/Y, D/Y, interest rate, log wage, tax revenue/Y, C/Y, income and wealth Gini, top-10 % and bottom-50 %
      means of wealth, income and log productivity, wealth/income/log-productivity quantiles at
      10/25/50/75/90/99 %, then the policy in force in action coordinates.  ``P = 34 + policy size``.
    - ``households``: ``Dict(private=Box(-1e6, 1e6, (N, 4), float32), public=<the government's vector>)`` with
      private columns slog wealth, slog income, log productivity, super-star flag.

    ## Rewards

    Households: the scalar reward is the mean CRRA utility ``u(c) - chi h^(1+gamma)/(1+gamma)``; each
    household's own utility is in ``infos["households"]["utility"]`` (shape ``(N,)``).  Government: the
    ``objective`` (see :data:`OBJECTIVES`; default ``"welfare"``, the households' mean utility).  When the
    economy ends early, the government also receives ``collapse_penalty`` for each remaining year of the
    horizon (default: the utility of living at the consumption floor), so surviving always counts.

    ## Starting State

    Log productivity from its stationary AR(1) distribution, super-stars at their stationary share, log-normal
    wealth with the calibrated Gini scaled to K/Y = alpha/(r + delta) and D/Y = 1.2129 (2022 US).

    ## Episode End

    Termination (reason in ``infos[...]["termination_reason"]``): ``collapse`` (capital, labour or output not
    positive), ``debt_crisis`` (debt above ``max_debt_to_gdp`` times output), ``inequality`` (wealth Gini above
    ``max_wealth_gini``), ``nan`` (a non-finite state).  Truncation: after ``horizon`` years (300).

    ## Arguments

    ```python
    >>> import tactica
    >>> env = tactica.make_parallel("MacroSMFG-v1", num_households=100)
    >>> obs, infos = env.reset(seed=0)
    >>> obs["households"]["private"].shape
    (100, 4)
    ```

    | argument | default | meaning |
    |---|---|---|
    | ``num_households`` | 100 | N |
    | ``horizon`` | ``None`` | years per episode (``None``: the calibration's 300) |
    | ``calibration`` | ``None`` | a :class:`Calibration` or a dict of overrides |
    | ``interest`` | ``"market"`` | ``"market"`` (marginal product) or ``"fixed"`` (calibration's rate) |
    | ``income_tax`` | ``"hsv"`` | ``"hsv"`` or ``"brackets"`` (2022 US federal thresholds) |
    | ``objective`` | ``"welfare"`` | the government's reward, one of :data:`OBJECTIVES` |
    | ``initial_policy`` | ``"calibrated"`` | first year's policy: ``"calibrated"`` (2022 US), ``"none"`` (no taxes, no spending) or an action |
    | ``collapse_penalty`` | ``None`` | government reward per year lost to an early end (``None``: floor utility) |
    | ``render_mode`` | ``None`` | ``"ansi"`` or ``"rgb_array"`` (the wealth distribution and policy) |

    ## Version History

    - v0: initial release.
    - v1: with ``interest="fixed"`` a government that owns capital (negative debt) earns the return on capital
      instead of charging its losses to the households, so no household's assets go negative; no tax exceeds a
      household's cash on hand; the income Gini counts negative incomes as zero (both Ginis stay in [0, 1]);
      ``income_tax="brackets"`` subtracts the 559.98 USD non-refundable credit of the DSMFG schedule it follows.
    """

    metadata = {
        "name": "macro_smfg_v0",
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 1,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        num_households: int = 100,
        horizon: int | None = None,
        calibration: Calibration | dict[str, Any] | None = None,
        interest: Literal["market", "fixed"] = "market",
        income_tax: Literal["hsv", "brackets"] = "hsv",
        objective: str = "welfare",
        initial_policy: str | np.ndarray | list[float] = "calibrated",
        collapse_penalty: float | None = None,
        render_mode: str | None = None,
    ):
        if calibration is None:
            calibration = Calibration()
        elif isinstance(calibration, dict):
            calibration = Calibration().replace(**calibration)
        elif not isinstance(calibration, Calibration):
            raise TypeError(
                f"calibration must be a Calibration, a dict of overrides or None, got {calibration!r}"
            )
        if horizon is not None:
            calibration = calibration.replace(horizon=horizon)
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None, 'ansi' or 'rgb_array', got {render_mode!r}")
        self.calibration = calibration
        self.num_households = int(num_households) if isinstance(num_households, (int, np.integer)) else -1
        self.economy = Economy(num_households, 1, calibration, interest=interest, income_tax=income_tax)
        self.income_tax = income_tax
        self.objective = objective
        self.render_mode = render_mode
        self.horizon = calibration.horizon
        floor_utility = float(np.log(calibration.consumption_floor))
        self.collapse_penalty = floor_utility if collapse_penalty is None else float(collapse_penalty)
        self.policy_dim = policy_dim(calibration, income_tax)
        self._initial_action = self._parse_initial_policy(initial_policy)

        self.possible_agents = [GOVERNMENT, HOUSEHOLDS]
        self.agents: list[str] = []
        n = self.economy.num_households
        public = gymnasium.spaces.Box(-OBS_BOUND, OBS_BOUND, (len(self.public_features),), np.float32)
        self.observation_spaces = {
            GOVERNMENT: public,
            HOUSEHOLDS: gymnasium.spaces.Dict(
                {
                    "private": gymnasium.spaces.Box(
                        -OBS_BOUND, OBS_BOUND, (n, len(PRIVATE_FEATURES)), np.float32
                    ),
                    "public": public,
                }
            ),
        }
        self.action_spaces = {
            GOVERNMENT: gymnasium.spaces.Box(-1.0, 1.0, (self.policy_dim,), np.float32),
            HOUSEHOLDS: gymnasium.spaces.Box(-1.0, 1.0, (n, 2), np.float32),
        }
        self.np_random, self.np_random_seed = seeding.np_random(None)
        # Work buffers reused every year: the households' decisions and the mean-field statistics.
        self._observer = MeanFieldObserver(n)
        self._policy_map = PolicyMap(calibration, income_tax)
        self._decisions = np.empty((n, 2))  # savings ratio and hours share of each household
        lo, hi = calibration.savings_bounds
        # x in [-1, 1] -> lo + (hi - lo) (x + 1) / 2 for the savings ratio, (x + 1) / 2 for the hours share
        self._decision_scale = np.array([0.5 * (hi - lo), 0.5])
        self._decision_offset = np.array([0.5 * (hi + lo), 0.5])
        self.policy_action = self._initial_action.copy()
        self.last_result: StepResult | None = None
        self._infos: dict[str, dict[str, Any]] = {}
        self._public = np.zeros(len(self.public_features), dtype=np.float32)

    # PettingZoo requires the same space object on every call: both look up the dicts built once in __init__.
    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self.action_spaces[agent]

    @property
    def public_features(self) -> tuple[str, ...]:
        """Names of the public (government) observation entries."""
        return public_feature_names(self.policy_dim)

    @property
    def policy_action(self) -> np.ndarray:
        """The policy in force for the coming year, in action coordinates."""
        return self._policy_action

    @policy_action.setter
    def policy_action(self, action: np.ndarray) -> None:
        self._policy_action = action
        self._policy = self._policy_map(action)

    @property
    def policy(self) -> Policy:
        """The policy in force for the coming year."""
        return self._policy

    # ------------------------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        check_seed(seed)
        self._started = True
        if seed is not None or not hasattr(self, "_seeded"):
            self.np_random, self.np_random_seed = seeding.np_random(seed)
            self._seeded = True
        options = options or {}
        self.policy_action = self._initial_action.copy()
        if "initial_policy" in options:
            self.policy_action = self._parse_initial_policy(options["initial_policy"])
        self.economy.reset(self.np_random)
        self.agents = list(self.possible_agents)
        self.last_result = None
        self._years = 0
        self._reason = ""
        # Before the first year there are no flows: prices and incomes are previewed at the calibrated hours.
        output, wage, interest, income = self.economy.prices(self.calibration.hours_fraction)
        self.economy.income = income
        obs = self._observe(float(output[0]), float(wage[0]), float(interest[0]), 0.0, 0.0)
        infos = self._make_infos(None, float(output[0]), 0.0, 0.0)
        return obs, infos

    def step(self, actions: dict[str, Any]):
        check_started(getattr(self, "_started", False), not self.agents)
        check_agents(actions, self.agents, self.possible_agents)
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"actions are missing for {missing}; every live agent acts each year")
        gov = np.asarray(actions[GOVERNMENT], dtype=np.float64).reshape(-1)
        if gov.shape != (self.policy_dim,):
            raise ValueError(f"the government action must have shape ({self.policy_dim},), got {gov.shape}")
        hh = np.asarray(actions[HOUSEHOLDS])
        if hh.shape != (self.economy.num_households, 2):
            raise ValueError(
                f"the households action must have shape ({self.economy.num_households}, 2), got {hh.shape}"
            )
        # household_decisions into reused buffers; Economy.step clips the results to their bounds, which is the
        # same as clipping the actions to [-1, 1] first (the maps are increasing)
        decisions = self._decisions
        np.multiply(hh, self._decision_scale, out=decisions)
        decisions += self._decision_offset
        result = self.economy.step(self.policy, decisions[None, :, 0], decisions[None, :, 1], self.np_random)
        self.last_result = result
        self._years += 1
        # The leader's action is next year's policy, revealed in the observation households act on next.
        if not np.isfinite(np.add.reduce(gov)):
            gov = np.nan_to_num(gov)
        self.policy_action = np.minimum(np.maximum(gov, -1.0), 1.0)
        status = int(result.status[0])
        self._reason = TERMINATION_REASONS[status]
        output, revenue, consumption = (
            result.output.item(),
            result.tax_revenue.item(),
            result.consumption.item(),
        )
        obs = self._observe(
            output,
            result.wage.item(),
            result.interest.item(),
            revenue,
            consumption,
            finite=status != 2,
            capital=result.next_capital.item(),
        )
        infos = self._make_infos(result, output, revenue, consumption)
        gov_reward = self._government_reward(result, infos[GOVERNMENT])
        terminated = status != 0
        if terminated:
            gov_reward += self.collapse_penalty * (self.horizon - self._years)
        truncated = not terminated and self._years >= self.horizon
        rewards = {GOVERNMENT: float(gov_reward), HOUSEHOLDS: float(result.welfare[0])}
        if not np.isfinite(rewards[HOUSEHOLDS]):
            rewards[HOUSEHOLDS] = self.collapse_penalty
        terminations = dict.fromkeys(self.agents, terminated)
        truncations = dict.fromkeys(self.agents, truncated)
        if terminated or truncated:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    # ------------------------------------------------------------------------------------------------------
    def _observe(
        self,
        output: float,
        wage: float,
        interest: float,
        revenue: float,
        consumption: float,
        finite: bool = True,
        capital: float | None = None,
    ):
        """Both agents' observations; ``finite``: the economy's state is known to be finite (status not "nan");
        ``capital``: the economy's capital, if the caller has it."""
        eco = self.economy
        debt = eco.debt.item()
        if capital is None:
            capital = float(np.add.reduce(eco.assets[0])) - debt
        log_e = eco.log_productivity_effective[0]
        aggregates = (self._years / self.horizon, output, capital, debt, interest, wage, revenue, consumption)
        vector, income_gini, wealth_gini = self._observer.public(
            aggregates, eco.assets[0], eco.income[0], eco.productivity[0], self.policy_action, log_e
        )
        self._ginis = (income_gini, wealth_gini)
        self._capital = capital
        public = _bounded(vector).astype(np.float32)
        # slog and log values are below 710 in magnitude, far inside the bound: only NaN needs replacing, and a
        # NaN anywhere in the households' state ends the year with status "nan"
        private = self._observer.private(eco.assets[0], eco.income[0], log_e, eco.superstar[0])
        if not finite or not np.isfinite(np.add.reduce(private[:, 2])):
            private = _bounded(private)
        self._public = public
        return {GOVERNMENT: public, HOUSEHOLDS: {"private": private, "public": public.copy()}}

    def _make_infos(self, result: StepResult | None, output: float, revenue: float, consumption: float):
        eco = self.economy
        usd = self.calibration.gdp_per_capita_usd
        n = eco.num_households
        income_gini, wealth_gini = self._ginis
        welfare = float(result.welfare[0]) if result is not None else None  # no year has been lived yet
        metrics = {
            "gdp": output * usd,
            "gdp_per_capita": output / n * usd,
            "income_gini": income_gini,
            "wealth_gini": wealth_gini,
            "social_welfare": welfare,
            "tax_revenue": revenue * usd,
            "debt_to_gdp": eco.debt.item() / output if output > 0 else float("inf"),
            "capital_to_gdp": self._capital / output if output > 0 else float("inf"),
            "consumption_per_capita": consumption / n * usd,
            "years": self._years,
            "termination_reason": self._reason,
            "policy": _policy_levels(self.policy),
        }
        if result is not None:
            metrics.update(
                investment=float(result.investment[0]) * usd,
                government_spending=float(result.spending[0]) * usd,
                interest_rate=float(result.interest[0]),
                wage=float(result.wage[0]),
            )
        household_info = dict(metrics)
        if result is not None:
            household_info["utility"] = result.household_utility[0]
        self._infos = {GOVERNMENT: metrics, HOUSEHOLDS: household_info}
        return self._infos

    def _government_reward(self, result: StepResult, metrics: dict[str, Any]) -> float:
        objective = self.objective
        if objective == "welfare":
            value = result.welfare.item()
        else:
            equality = 1.0 - 0.5 * (metrics["income_gini"] + metrics["wealth_gini"])
            output = result.output.item() / self.economy.num_households
            log_output = math.log(max(output, 1e-300))  # max keeps a NaN (it compares false)
            value = {"gdp": log_output, "equality": equality, "gdp_equality": log_output + equality}[
                objective
            ]
        return value if math.isfinite(value) else self.collapse_penalty

    def _parse_initial_policy(self, spec: str | np.ndarray | list[float]) -> np.ndarray:
        if isinstance(spec, str):
            if spec == "calibrated":
                policy = Policy.calibrated(self.calibration, 1, self.income_tax)
            elif spec == "none":
                zeros = (
                    (0.0,) * len(self.calibration.income_brackets.rates)
                    if self.income_tax == "brackets"
                    else None
                )
                policy = Policy.constant(1, bracket_rates=zeros)
            else:
                raise ValueError(
                    f"initial_policy must be 'calibrated', 'none' or an action array, got {spec!r}"
                )
            return action_from_policy(policy, self.calibration, self.income_tax)[0]
        action = np.asarray(spec, dtype=np.float64).reshape(-1)
        if action.shape != (self.policy_dim,) or not np.all(np.abs(action) <= 1.0):
            raise ValueError(
                f"an initial_policy action must have shape ({self.policy_dim},) and entries in [-1, 1]"
            )
        return action

    # ------------------------------------------------------------------------------------------------------
    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() called without a render_mode; make the env with render_mode='ansi'"
            )
            return None
        if self.render_mode == "rgb_array":
            from tactica.envs.macro.pictures import economy_frame

            return economy_frame(self)
        info = self._infos.get(GOVERNMENT, {})
        if not info:
            return "MacroSMFG-v1 (not reset)"
        pol = info["policy"]
        welfare = "n/a" if info["social_welfare"] is None else f"{info['social_welfare']:.3f}"
        taxes = ", ".join(f"{k}={v:.3f}" for k, v in pol.items() if not isinstance(v, list))
        return (
            f"year {info['years']:>3}/{self.horizon}  GDP/capita {info['gdp_per_capita']:,.0f} USD  "
            f"Gini income {info['income_gini']:.3f} wealth {info['wealth_gini']:.3f}  "
            f"debt/GDP {info['debt_to_gdp']:.2f}  welfare {welfare}  policy: {taxes}"
            + (f"  ENDED: {info['termination_reason']}" if info["termination_reason"] else "")
        )

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """The public mean-field vector (PettingZoo's global state)."""
        return self._public.copy()


def _bounded(x: np.ndarray) -> np.ndarray:
    """NaN to 0 and everything inside ``[-OBS_BOUND, OBS_BOUND]`` (in place for the common finite case)."""
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0)
    return np.minimum(np.maximum(x, -OBS_BOUND, out=x), OBS_BOUND, out=x)


def _policy_levels(policy: Policy) -> dict[str, Any]:
    levels: dict[str, Any] = {
        "tau": float(policy.tau[0]),
        "xi": float(policy.xi[0]),
        "wealth_tau": float(policy.wealth_tau[0]),
        "wealth_xi": float(policy.wealth_xi[0]),
        "spending_share": float(policy.spending[0]),
    }
    if policy.bracket_rates is not None:
        levels["bracket_rates"] = [float(r) for r in policy.bracket_rates[0]]
    return levels
