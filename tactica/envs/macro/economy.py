"""The Stackelberg mean-field macroeconomy as pure, vectorised numpy over B economies of N households.

No Gymnasium or PettingZoo here: :class:`Economy` holds the state of ``B`` independent economies as ``(B, N)``
household arrays and ``(B,)`` aggregates, and :meth:`Economy.step` advances all of them by one year.  The env
(:mod:`tactica.envs.macro.env`) wraps one economy (``B = 1``); benchmarks and vectorised training use ``B > 1``.

One year, for each economy (``a`` assets, ``e`` productivity, ``h`` hours share, ``p`` savings ratio):

1. Capital is what households own less what the government owes: ``K = sum(a) - D``.
2. Labour ``L = sum(e h)``; output ``Y = A K^alpha L^(1-alpha)``; wage ``W = (1-alpha) Y / L``.  Capital earns
   ``r_K = alpha Y / K - delta``.  Government debt pays ``rho``: ``rho = r_K`` (``interest="market"``), or
   (``interest="fixed"``) the calibration's fixed rate while the government owes, and ``r_K`` while it owns
   capital (``D < 0``, after surpluses).  Households own ``sum(a) = K + D``: their assets earn
   ``r_h = (alpha Y - delta K + rho D) / sum(a)``, the capital's net income plus the interest on what the
   government owes them (or less the government's share of the capital).  So ``r_h >= min(rho, r_K) >= -delta``
   whenever capital is positive: no household loses more than its assets.
3. Income ``y = W e h + r_h a``; income tax ``T(y)`` (HSV ``y - (1-tau) ybar^xi y^(1-xi)`` with ``ybar`` the mean
   income, or a bracket schedule less a non-refundable credit) and wealth tax ``T_a(a)`` (HSV on assets).  A
   household pays at most what it has: ``T(y) <= a + y`` and ``T_a(a) <= a + y - T(y)`` (binding only for
   confiscatory wealth taxes on the richest, or a bad year's negative asset income).
4. Cash on hand ``m = a + y - T(y) - T_a(a) >= 0``; consumption ``c = (1-p) m / (1+tau_c)``; savings
   ``a' = m - (1+tau_c) c = p m >= 0``: households never borrow, by construction.
5. Government: ``G = g Y`` and ``D' = (1+rho) D + G - T_income - T_wealth - tau_c C``.
6. Next capital ``K' = sum(a') - D'``, so investment ``I = K' - (1-delta) K`` equals ``Y - C - G`` exactly.
7. Productivity: ``log e`` follows an AR(1) normalised to mean 1; a household becomes a super-star (productivity
   ``superstar_multiple`` times the mean of the others) with a small probability and stays one with a high one.

Units: money in initial GDP per capita, labour in full-time-equivalent households (see
:mod:`tactica.envs.macro.calibration`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tactica.envs.macro.calibration import Calibration

__all__ = [
    "Economy",
    "Policy",
    "StepResult",
    "TERMINATION_REASONS",
    "gini",
    "policy_from_action",
    "PolicyMap",
    "action_from_policy",
    "household_decisions",
    "policy_dim",
]

TERMINATION_REASONS: tuple[str, ...] = ("", "collapse", "nan", "debt_crisis", "inequality")
"""Status code -> reason: 0 running, 1 output or capital not positive, 2 non-finite state, 3 debt above
``max_debt_to_gdp`` times output, 4 wealth Gini above ``max_wealth_gini``."""

InterestMode = Literal["market", "fixed"]
IncomeTax = Literal["hsv", "brackets"]


@dataclass
class Policy:
    """The government's policy for one year, one entry per economy (arrays of shape ``(B,)``).

    ``tau, xi``: HSV income-tax level and progressivity (unused when ``bracket_rates`` is given);
    ``wealth_tau, wealth_xi``: HSV wealth tax; ``spending``: government spending as a share of output;
    ``bracket_rates``: ``(B, K)`` marginal rates of the calibration's bracket schedule, or ``None`` for HSV.
    """

    tau: np.ndarray
    xi: np.ndarray
    wealth_tau: np.ndarray
    wealth_xi: np.ndarray
    spending: np.ndarray
    bracket_rates: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("tau", "xi", "wealth_tau", "wealth_xi", "spending"):
            setattr(self, name, np.atleast_1d(np.asarray(getattr(self, name), dtype=np.float64)))
        if self.bracket_rates is not None:
            self.bracket_rates = np.atleast_2d(np.asarray(self.bracket_rates, dtype=np.float64))

    @classmethod
    def _of_arrays(cls, tau, xi, wealth_tau, wealth_xi, spending, bracket_rates=None) -> Policy:
        """A policy of float64 ``(B,)`` arrays (and ``(B, K)`` rates) that need no conversion."""
        policy = object.__new__(cls)
        policy.tau, policy.xi, policy.wealth_tau, policy.wealth_xi = tau, xi, wealth_tau, wealth_xi
        policy.spending, policy.bracket_rates = spending, bracket_rates
        return policy

    @classmethod
    def constant(
        cls,
        num_economies: int = 1,
        *,
        tau: float = 0.0,
        xi: float = 0.0,
        wealth_tau: float = 0.0,
        wealth_xi: float = 0.0,
        spending: float = 0.0,
        bracket_rates: tuple[float, ...] | np.ndarray | None = None,
    ) -> Policy:
        """The same policy in every economy."""
        full = lambda v: np.full(num_economies, float(v))  # noqa: E731
        rates = None
        if bracket_rates is not None:
            rates = np.tile(np.asarray(bracket_rates, dtype=np.float64), (num_economies, 1))
        return cls(full(tau), full(xi), full(wealth_tau), full(wealth_xi), full(spending), rates)

    @classmethod
    def calibrated(
        cls, calibration: Calibration, num_economies: int = 1, income_tax: IncomeTax = "hsv"
    ) -> Policy:
        """The calibrated 2022 US policy: HSV (or the bracket schedule), no wealth tax, G/Y = 0.189."""
        rates = calibration.income_brackets.rates if income_tax == "brackets" else None
        return cls.constant(
            num_economies,
            tau=calibration.hsv_tau,
            xi=calibration.hsv_xi,
            spending=calibration.spending_share,
            bracket_rates=rates,
        )


def policy_dim(calibration: Calibration, income_tax: IncomeTax) -> int:
    """Length of the government's action: income-tax parameters, then wealth tau, wealth xi, spending."""
    if income_tax == "hsv":
        return 5
    if income_tax == "brackets":
        return len(calibration.income_brackets.rates) + 3
    raise ValueError(f"income_tax must be 'hsv' or 'brackets', got {income_tax!r}")


def _bounds(calibration: Calibration, income_tax: IncomeTax) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper levels of each action entry."""
    c = calibration
    if income_tax == "hsv":
        pairs = [c.tau_bounds, c.xi_bounds]
    else:
        pairs = [c.bracket_rate_bounds] * len(c.income_brackets.rates)
    pairs += [c.wealth_tau_bounds, c.wealth_xi_bounds, c.spending_bounds]
    lo, hi = np.array(pairs, dtype=np.float64).T.copy()
    return lo, hi


class PolicyMap:
    """:func:`policy_from_action` for one calibration and tax mode, with the bounds worked out once (an env maps
    the government's action every year)."""

    def __init__(self, calibration: Calibration, income_tax: IncomeTax = "hsv"):
        self.income_tax = income_tax
        self.lo, hi = _bounds(calibration, income_tax)
        self.half_span = 0.5 * (hi - self.lo)

    def __call__(self, action: np.ndarray) -> Policy:
        action = np.asarray(action, dtype=np.float64)
        if action.ndim != 2:
            action = action.reshape(1, -1) if action.ndim < 2 else action
        if action.shape[-1] != self.lo.size:
            raise ValueError(
                f"a {self.income_tax!r} government action has {self.lo.size} entries, got shape {action.shape}"
            )
        levels = np.minimum(np.maximum(action, -1.0), 1.0)
        levels += 1.0
        levels *= self.half_span
        levels += self.lo
        # the columns are float64 1-d arrays already: skip Policy's conversions
        if self.income_tax == "hsv":
            return Policy._of_arrays(levels[:, 0], levels[:, 1], levels[:, 2], levels[:, 3], levels[:, 4])
        zeros = np.zeros(levels.shape[0])
        return Policy._of_arrays(
            zeros, zeros.copy(), levels[:, -3], levels[:, -2], levels[:, -1], levels[:, :-3].copy()
        )


def policy_from_action(action: np.ndarray, calibration: Calibration, income_tax: IncomeTax = "hsv") -> Policy:
    """Map actions in ``[-1, 1]`` (shape ``(d,)`` or ``(B, d)``) affinely onto the calibration's bounds."""
    return PolicyMap(calibration, income_tax)(action)


def action_from_policy(policy: Policy, calibration: Calibration, income_tax: IncomeTax = "hsv") -> np.ndarray:
    """Inverse of :func:`policy_from_action` (levels outside the bounds are clipped): shape ``(B, d)``."""
    lo, hi = _bounds(calibration, income_tax)
    tail = [policy.wealth_tau, policy.wealth_xi, policy.spending]
    if income_tax == "hsv":
        levels = np.stack([policy.tau, policy.xi, *tail], axis=-1)
    else:
        if policy.bracket_rates is None:
            raise ValueError("a 'brackets' action needs a policy with bracket_rates")
        levels = np.concatenate([policy.bracket_rates, np.stack(tail, axis=-1)], axis=-1)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.clip(2.0 * (levels - lo) / span - 1.0, -1.0, 1.0)


def household_decisions(action: np.ndarray, calibration: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Map household actions ``(..., 2)`` in ``[-1, 1]`` to (savings ratio, hours share)."""
    action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
    lo, hi = calibration.savings_bounds
    savings = lo + (hi - lo) * (action[..., 0] + 1.0) / 2.0
    hours = (action[..., 1] + 1.0) / 2.0
    return savings, hours


def gini(x: np.ndarray) -> np.ndarray:
    """Gini coefficient along the last axis (``0`` for a zero or empty total)."""
    x = np.sort(np.asarray(x, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    total = x.sum(axis=-1)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    weighted = (x * ranks).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = 2.0 * weighted / (n * total) - (n + 1.0) / n
    return np.where(total != 0.0, g, 0.0)


@dataclass
class StepResult:
    """What one year produced, per economy (``(B,)``) and per household (``(B, N)``).

    Flows are in model units (initial GDP per capita) per year.  ``capital``/``debt`` are this year's (used in
    production), ``next_capital``/``next_debt`` next year's.  ``status`` codes index
    :data:`TERMINATION_REASONS`.
    """

    output: np.ndarray
    consumption: np.ndarray
    investment: np.ndarray
    spending: np.ndarray
    income_tax: np.ndarray
    wealth_tax: np.ndarray
    consumption_tax: np.ndarray
    capital: np.ndarray
    next_capital: np.ndarray
    debt: np.ndarray
    next_debt: np.ndarray
    assets: np.ndarray
    next_assets: np.ndarray
    labour: np.ndarray
    wage: np.ndarray
    interest: np.ndarray  # rho, the rate on government debt (see the module docstring)
    welfare: np.ndarray
    status: np.ndarray
    household_income: np.ndarray
    household_consumption: np.ndarray
    household_utility: np.ndarray

    @property
    def tax_revenue(self) -> np.ndarray:
        """Income plus wealth plus consumption tax revenue."""
        return self.income_tax + self.wealth_tax + self.consumption_tax


class Economy:
    """``B`` independent economies of ``N`` households, stepped together with numpy.

    Args:
        num_households: N, households per economy.
        num_economies: B, economies stepped at once.
        calibration: parameters (defaults: :class:`Calibration`).
        interest: ``"market"`` (marginal product less depreciation) or ``"fixed"`` (calibration's rate).
        income_tax: ``"hsv"`` or ``"brackets"`` (the calibration's bracket schedule with chosen rates).
        check_inequality: compute the wealth Gini each step to end runaway-inequality economies (a sort of at
            most 4,096 households: every ``ceil(N / 4096)``-th one beyond that; skipped in the years a cheap
            upper bound already proves the Gini below ``max_wealth_gini``, with the same statuses).

    State after :meth:`reset`: ``assets``, ``log_productivity``, ``superstar`` (``(B, N)``), ``debt``, ``year``
    (``(B,)``), and last year's ``income``/``consumption`` (``(B, N)``, zero after a reset).
    """

    def __init__(
        self,
        num_households: int,
        num_economies: int = 1,
        calibration: Calibration | None = None,
        *,
        interest: InterestMode = "market",
        income_tax: IncomeTax = "hsv",
        check_inequality: bool = True,
    ):
        if not isinstance(num_households, (int, np.integer)) or num_households < 2:
            raise ValueError(f"num_households must be an int >= 2, got {num_households!r}")
        if not isinstance(num_economies, (int, np.integer)) or num_economies < 1:
            raise ValueError(f"num_economies must be an int >= 1, got {num_economies!r}")
        if interest not in ("market", "fixed"):
            raise ValueError(f"interest must be 'market' or 'fixed', got {interest!r}")
        policy_dim(Calibration(), income_tax)  # validates income_tax
        self.calibration = calibration if calibration is not None else Calibration()
        if not isinstance(self.calibration, Calibration):
            raise TypeError(f"calibration must be a Calibration, got {type(calibration).__name__}")
        self.num_households = int(num_households)
        self.num_economies = int(num_economies)
        self.interest = interest
        self.income_tax = income_tax
        self.check_inequality = check_inequality
        c = self.calibration
        # Cached constants: the step is called millions of times.
        self._alpha = c.capital_share
        self._tfp = c.tfp
        self._chi = c.labour_disutility
        self._log_mean = -0.5 * c.productivity_log_var  # makes the stationary mean of e equal to 1
        self._usd = c.gdp_per_capita_usd
        brackets = c.income_brackets
        self._thresholds = np.asarray(brackets.thresholds_usd) / self._usd
        self._allowance = brackets.allowance_usd / self._usd
        self._credit = brackets.credit_usd / self._usd
        shape = (self.num_economies, self.num_households)
        self.assets = np.zeros(shape)
        self.log_productivity = np.zeros(shape)
        self.superstar = np.zeros(shape, dtype=bool)
        self.income = np.zeros(shape)
        self.consumption = np.zeros(shape)
        self.debt = np.zeros(self.num_economies)
        self.year = np.zeros(self.num_economies, dtype=np.int64)
        self._any_superstar = False
        self._productivity = np.ones(shape)
        self._log_productivity_effective = self.log_productivity
        self._shocks = np.empty(shape)
        # The runaway-inequality check sorts every ``stride``-th household (all of them up to N = 4096):
        # households are exchangeable, so this is a random sample, and it spares an N log N sort per year.
        self._gini_stride = max(1, -(-self.num_households // _GINI_SAMPLE))
        sample = len(range(0, self.num_households, self._gini_stride))
        self._ranks = np.arange(1, sample + 1, dtype=np.float64)
        self._gini_offset = (sample + 1.0) / sample

    # ----------------------------------------------------------------------------------------------------
    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> None:
        """Draw the initial state of every economy (or of those where ``mask`` is true) from ``rng``.

        Log productivity is drawn from its stationary distribution and the super-star state from its
        stationary share; initial wealth is log-normal with the calibrated Gini, scaled so that capital is
        ``capital_to_gdp`` and debt ``debt_to_gdp`` times the calibrated output.
        """
        c = self.calibration
        idx = np.arange(self.num_economies) if mask is None else np.flatnonzero(np.asarray(mask, dtype=bool))
        if idx.size == 0:
            return
        shape = (idx.size, self.num_households)
        n = self.num_households
        self.log_productivity[idx] = self._log_mean + np.sqrt(c.productivity_log_var) * rng.standard_normal(
            shape
        )
        share = c.superstar_entry / max(1.0 - c.superstar_persistence + c.superstar_entry, 1e-300)
        self.superstar[idx] = rng.random(shape) < share
        weights = np.exp(c.wealth_log_std * rng.standard_normal(shape))
        total_assets = n * (c.capital_to_gdp + c.debt_to_gdp)
        self.assets[idx] = total_assets * weights / weights.sum(axis=1, keepdims=True)
        self.debt[idx] = n * c.debt_to_gdp
        self.income[idx] = 0.0
        self.consumption[idx] = 0.0
        self.year[idx] = 0
        self._any_superstar = bool(self.superstar.any())
        self._productivity = self._effective_productivity()

    @property
    def productivity(self) -> np.ndarray:
        """Effective productivity ``(B, N)``: ``exp(log e)``, or the super-star level for super-stars."""
        return self._productivity

    @property
    def log_productivity_effective(self) -> np.ndarray:
        """``log`` of :attr:`productivity` ``(B, N)`` (the log productivity state, super-stars at their level)."""
        return self._log_productivity_effective

    @property
    def capital(self) -> np.ndarray:
        """Capital ``(B,)``: households' assets less government debt."""
        return self.assets.sum(axis=1) - self.debt

    # ----------------------------------------------------------------------------------------------------
    def step(
        self, policy: Policy, savings: np.ndarray, hours: np.ndarray, rng: np.random.Generator
    ) -> StepResult:
        """Advance every economy by one year under ``policy`` with households' ``savings``/``hours`` ``(B, N)``.

        Savings ratios are clipped to the calibration's bounds and hours shares to ``[0, 1]``.
        """
        # The hot path of every benchmark: whole-array ufuncs only, no Python loop over households, and
        # divisions guarded by maxima instead of np.errstate (whose context manager costs as much as a ufunc).
        c = self.calibration
        b = self.num_economies
        lo, hi = c.savings_bounds
        savings = _clip(savings, lo, hi)
        hours = _clip(hours, 0.0, 1.0)
        a = self.assets
        total_assets, capital, eh, labour, output, wage, bond_rate, asset_return = self._market(hours)
        income = wage[:, None] * eh
        income += asset_return[:, None] * a
        income_tax = self._income_tax(income, policy)
        cash = a + income  # >= 0: asset returns are >= -1 (see _market)
        # No tax takes more than the household has (a no-op for HSV and for marginal rates below 1).
        np.minimum(income_tax, cash, out=income_tax)
        cash -= income_tax
        wealth_tax = _hsv_tax(a, policy.wealth_tau, policy.wealth_xi)
        if wealth_tax is not None:
            np.minimum(wealth_tax, cash, out=wealth_tax)
            cash -= wealth_tax
            t_wealth = np.add.reduce(wealth_tax, axis=1)
        else:
            t_wealth = np.zeros(b)
        spend = np.maximum(cash, 0.0)
        spend *= 1.0 - savings
        next_assets = cash - spend
        consumption = spend * (1.0 / (1.0 + c.consumption_tax))
        total_consumption = np.add.reduce(consumption, axis=1)
        t_income = np.add.reduce(income_tax, axis=1)
        next_total = np.add.reduce(next_assets, axis=1)
        utility = self._utility(consumption, hours)
        welfare = np.add.reduce(utility, axis=1)
        if b == 1 and policy.spending.size == 1 and self.debt.size == 1:
            # One economy: the same IEEE operations on Python floats, several times cheaper than numpy calls on
            # 1-element arrays.
            g = policy.spending.item() * output.item()
            tc = c.consumption_tax * total_consumption.item()
            nd = (1.0 + bond_rate.item()) * self.debt.item() + g - t_income.item() - t_wealth.item() - tc
            nk = next_total.item() - nd
            spending = np.array([g])
            t_cons = np.array([tc])
            next_debt = np.array([nd])
            next_capital = np.array([nk])
            investment = np.array([nk - (1.0 - c.depreciation) * capital.item()])
            welfare = np.array([welfare.item() / self.num_households])
        else:
            spending = policy.spending * output
            t_cons = c.consumption_tax * total_consumption
            next_debt = (1.0 + bond_rate) * self.debt + spending - t_income - t_wealth - t_cons
            next_capital = next_total - next_debt
            investment = next_capital - (1.0 - c.depreciation) * capital
            welfare /= self.num_households

        status = self._status(
            capital, labour, next_capital, next_debt, output, next_total, welfare, next_assets
        )

        result = StepResult(
            output=output,
            consumption=total_consumption,
            investment=investment,
            spending=spending,
            income_tax=t_income,
            wealth_tax=t_wealth,
            consumption_tax=t_cons,
            capital=capital,
            next_capital=next_capital,
            debt=self.debt,
            next_debt=next_debt,
            assets=total_assets,
            next_assets=next_total,
            labour=labour,
            wage=wage,
            interest=bond_rate,
            welfare=welfare,
            status=status,
            household_income=income,
            household_consumption=consumption,
            household_utility=utility,
        )
        self.assets = next_assets
        self.debt = next_debt
        self.income = income
        self.consumption = consumption
        self.year = self.year + 1
        self._update_productivity(rng)
        return result

    def _status(self, capital, labour, next_capital, next_debt, output, next_total, welfare, next_assets):
        """Termination codes (see :data:`TERMINATION_REASONS`), the most basic failure first."""
        c = self.calibration
        if self.num_economies == 1:
            # One economy: Python floats are several times cheaper than numpy calls on 1-element arrays.
            code = 0
            if not math.isfinite(next_total.item() + next_debt.item() + welfare.item()):
                code = 2
            elif min(capital.item(), labour.item(), next_capital.item()) <= 0.0:
                code = 1
            elif next_debt.item() > c.max_debt_to_gdp * output.item():
                code = 3
            elif (
                self.check_inequality
                and self._gini_may_exceed(next_assets, 0, c.max_wealth_gini, next_total)
                and float(self._gini(next_assets)[0]) > c.max_wealth_gini
            ):
                code = 4
            return np.array([code], dtype=np.int8)
        collapse = np.minimum(np.minimum(capital, labour), next_capital) <= 0.0
        crisis = next_debt > c.max_debt_to_gdp * output
        status = np.where(collapse, 1, np.where(crisis, 3, 0)).astype(np.int8)
        if self.check_inequality:
            limit = c.max_wealth_gini
            if self._gini_bound_fails(next_assets, status == 0, limit):
                status[(status == 0) & (self._gini(next_assets) > limit)] = 4
        status[~np.isfinite(next_total + next_debt + welfare)] = 2
        return status

    def _gini_may_exceed(
        self, x: np.ndarray, row: int, limit: float, totals: np.ndarray | None = None
    ) -> bool:
        """False when an upper bound on row ``row``'s sampled wealth Gini (as :meth:`_gini` computes it) proves
        it at most ``limit``, sparing the sort; True when the sort must decide.

        For non-negative ``x`` with total ``T``, ``sum_i i x_(i)`` (ranks ``1..S`` of the sorted sample) is at most
        its value when the largest values are piled onto the top ranks (a fractional knapsack), which bounds the
        Gini.  A first bound uses only the maximum; if that is not enough, values above ``20 T / S`` are sorted
        exactly (a handful: super-stars and the top of the tail) and the rest are piled up to that threshold.
        ``totals`` (``(B,)`` row sums of ``x``) spares a sum when the sample is the whole row.
        """
        xs = x[row, :: self._gini_stride]
        size = xs.size
        if totals is not None and self._gini_stride == 1:
            total = float(totals[row])
        else:
            total = float(np.add.reduce(xs))
        if not 0.0 < total < math.inf or float(np.minimum.reduce(xs)) < 0.0:
            return True  # also NaN
        # Gini <= limit iff sum_i i x_(i) <= cutoff; the margin is far above the rounding of either computation.
        cutoff = 0.5 * ((limit - 1e-9) + (size + 1.0) / size) * size * total
        top = float(np.maximum.reduce(xs))
        if _piled(top, total, size) <= cutoff:
            return False
        threshold = 20.0 * total / size
        high = xs[xs > threshold]
        if high.size > 64:
            return True
        high.sort()
        rest = size - high.size
        piled = _piled(threshold, total - float(np.add.reduce(high)), rest) if rest else 0.0
        return piled + float(high @ self._ranks[rest:]) > cutoff

    def _gini_bound_fails(self, x: np.ndarray, running: np.ndarray, limit: float) -> bool:
        """:meth:`_gini_may_exceed` for the ``running`` rows of ``(B, N)`` ``x``: True if any may exceed ``limit``.

        The first (maximum-only) bound is evaluated for all rows at once; the few rows it leaves open get the
        second one, and if more than a handful do, the sort decides for all."""
        xs = x[:, :: self._gini_stride]
        size = xs.shape[1]
        total = np.add.reduce(xs, axis=1)
        top = np.maximum.reduce(xs, axis=1)
        ok = (total > 0.0) & (total < math.inf) & (np.minimum.reduce(xs, axis=1) >= 0.0)
        total = np.where(ok, total, 1.0)
        top = np.where(ok, top, 1.0)
        full = np.minimum(np.floor(total / top), size)
        piled = top * (full * size - 0.5 * full * (full - 1.0)) + (total - full * top) * (size - full)
        cutoff = 0.5 * ((limit - 1e-9) + (size + 1.0) / size) * size * total
        open_rows = np.flatnonzero(running & ~(ok & (piled <= cutoff)))
        if open_rows.size > 4:
            return True
        return any(self._gini_may_exceed(x, int(row), limit) for row in open_rows)

    def _gini(self, x: np.ndarray) -> np.ndarray:
        # gini() without its guards: the ranks are cached and the totals are positive whenever it matters.
        x = np.sort(x[:, :: self._gini_stride], axis=-1)
        total = np.add.reduce(x, axis=1)
        return 2.0 * (x @ self._ranks) / (self._ranks.size * np.maximum(total, _TINY)) - self._gini_offset

    def prices(self, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Output, wage, interest rate ``(B,)`` and pre-tax household income ``(B, N)`` if households worked
        ``hours`` this year (the state is not changed)."""
        hours = np.minimum(np.maximum(np.broadcast_to(hours, self.assets.shape), 0.0), 1.0)
        _, _, eh, _, output, wage, bond_rate, asset_return = self._market(hours)
        return output, wage, bond_rate, wage[:, None] * eh + asset_return[:, None] * self.assets

    def _market(self, hours: np.ndarray) -> tuple[np.ndarray, ...]:
        """Capital, labour, output and factor prices of the current state at ``hours`` (already clipped)."""
        c = self.calibration
        alpha = self._alpha
        total_assets = np.add.reduce(self.assets, axis=1)
        capital = total_assets - self.debt
        eh = self._productivity * hours
        labour = np.add.reduce(eh, axis=1)
        k_pos = np.maximum(capital, _TINY)
        l_pos = np.maximum(labour, _TINY)
        if capital.size == 1:
            # One economy: the powers stay numpy's, the rest is the same IEEE arithmetic on Python floats.
            kp, lp = k_pos.item(), l_pos.item()
            out = self._tfp * (k_pos**alpha).item() * (l_pos ** (1.0 - alpha)).item()
            output = np.array([out])
            wage = np.array([(1.0 - alpha) * out / lp])
            capital_rate = alpha * out / kp - c.depreciation
            if self.interest == "market":
                bond_rate = np.array([capital_rate])
                return total_assets, capital, eh, labour, output, wage, bond_rate, bond_rate
            d = self.debt.item()
            rho = c.fixed_interest_rate if d >= 0.0 else capital_rate
            held = alpha * out - c.depreciation * capital.item() + rho * d
            ret = max(held / max(total_assets.item(), _TINY), -1.0)
            return total_assets, capital, eh, labour, output, wage, np.array([rho]), np.array([ret])
        output = self._tfp * k_pos**alpha * l_pos ** (1.0 - alpha)
        wage = (1.0 - alpha) * output / l_pos
        capital_rate = alpha * output / k_pos - c.depreciation
        if self.interest == "market":
            return total_assets, capital, eh, labour, output, wage, capital_rate, capital_rate
        # The government pays the fixed rate on what it owes and earns the return on capital it owns.
        bond_rate = np.where(self.debt >= 0.0, c.fixed_interest_rate, capital_rate)
        held = alpha * output - c.depreciation * capital + bond_rate * self.debt
        # >= -1 by construction while capital is positive; the floor only binds once capital is gone (collapse)
        # under a negative fixed rate
        asset_return = np.maximum(held / np.maximum(total_assets, _TINY), -1.0)
        return total_assets, capital, eh, labour, output, wage, bond_rate, asset_return

    # ----------------------------------------------------------------------------------------------------
    def _income_tax(self, income: np.ndarray, policy: Policy) -> np.ndarray:
        if policy.bracket_rates is None:
            tax = _hsv_tax(income, policy.tau, policy.xi)
            return np.zeros_like(income) if tax is None else tax
        if self.income_tax != "brackets":
            raise ValueError("this economy was built with income_tax='hsv' but the policy has bracket_rates")
        rates = np.asarray(policy.bracket_rates, dtype=np.float64)
        th = self._thresholds
        # Tax owed at each threshold, then the marginal rate of the bracket a taxable income falls in.
        owed = np.cumsum(rates[:, :-1] * np.diff(th), axis=1)
        owed_at = np.concatenate([np.zeros((rates.shape[0], 1)), owed], axis=1)
        taxable = np.maximum(income - self._allowance, 0.0)
        k = np.searchsorted(th, taxable, side="right") - 1
        owed = np.take_along_axis(owed_at, k, axis=1) + np.take_along_axis(rates, k, axis=1) * (
            taxable - th[k]
        )
        if self._credit > 0.0:
            # a non-refundable credit: it lowers the tax, never below zero
            owed -= self._credit
            np.maximum(owed, 0.0, out=owed)
        return owed

    def _utility(self, consumption: np.ndarray, hours: np.ndarray) -> np.ndarray:
        c = self.calibration
        cons = np.maximum(consumption, c.consumption_floor)
        gamma = c.inverse_frisch
        work = hours * hours * hours if gamma == 2.0 else hours ** (1.0 + gamma)
        work *= self._chi / (1.0 + gamma)
        if c.crra == 1.0:
            out = np.log(cons, out=cons)
        else:
            out = (cons ** (1.0 - c.crra) - 1.0) / (1.0 - c.crra)
        out -= work
        return out

    def _update_productivity(self, rng: np.random.Generator) -> None:
        c = self.calibration
        rho = c.productivity_persistence
        x = self.log_productivity
        if self._shocks.shape != x.shape:
            self._shocks = np.empty(x.shape)
        shocks = rng.standard_normal(out=self._shocks)  # the same draws as size=x.shape, into a reused buffer
        shocks *= c.productivity_shock_std
        x *= rho
        x += (1.0 - rho) * self._log_mean
        x += shocks
        # Super-star moves are rare: draw the number of entrants per economy (Binomial) and place them, and
        # draw stay/leave only for current super-stars, instead of one uniform per household per year.
        b = self.num_economies
        had_stars = self._any_superstar
        normal = self.num_households - self.superstar.sum(axis=1) if had_stars else self.num_households
        entrants = rng.binomial(normal, c.superstar_entry, size=b)
        any_entrants = entrants.item() != 0 if b == 1 else bool(_ANY(entrants))
        if had_stars:
            rows, cols = np.nonzero(self.superstar)
            leave = rng.random(rows.size) >= c.superstar_persistence
        for row in np.flatnonzero(entrants) if any_entrants else ():
            # Entrants are drawn among the households that were normal at the start of the year.
            candidates = np.flatnonzero(~self.superstar[row])
            chosen = rng.choice(candidates, size=min(int(entrants[row]), candidates.size), replace=False)
            self.superstar[row, chosen] = True
        if had_stars:
            self.superstar[rows[leave], cols[leave]] = False
        self._any_superstar = bool(_ANY(self.superstar, axis=None)) if (had_stars or any_entrants) else False
        self._productivity = self._effective_productivity()

    def _effective_productivity(self) -> np.ndarray:
        """Effective productivity; also sets its log (the state's log productivity itself without super-stars)."""
        x = self.log_productivity
        e = np.exp(x)
        self._log_productivity_effective = x
        if self._any_superstar:
            normal = ~self.superstar
            count = np.maximum(normal.sum(axis=1, keepdims=True), 1)
            mean_normal = np.where(normal, e, 0.0).sum(axis=1, keepdims=True) / count
            level = self.calibration.superstar_multiple * mean_normal
            e = np.where(self.superstar, level, e)
            self._log_productivity_effective = np.where(self.superstar, np.log(level), x)
        return e

    def utility(self, consumption: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """CRRA utility of consumption less the labour disutility ``chi h^(1+gamma)/(1+gamma)``."""
        return self._utility(np.asarray(consumption, dtype=np.float64), np.asarray(hours, dtype=np.float64))


def _hsv_tax(x: np.ndarray, tau: np.ndarray, xi: np.ndarray) -> np.ndarray | None:
    """HSV tax ``x - (1-tau) xbar^xi x^(1-xi)`` on positive ``x`` (``xbar`` the mean positive ``x``); 0 otherwise.

    Normalising by the mean makes ``tau`` the average tax rate of a household at the mean, in any unit.
    Returns ``None`` when the tax is zero everywhere (``tau = xi = 0``), sparing the caller the arithmetic.
    """
    progressive = _nonzero(xi)
    if not progressive and not _nonzero(tau):
        return None
    pos = np.maximum(x, 0.0)
    if not progressive:
        return tau[:, None] * pos
    mean = np.add.reduce(pos, axis=1) / pos.shape[1]
    # after-tax = (1-tau) pos^(1-xi) mean^xi, computed in logs.  At pos = 0 the floor gives exp(-690 (1-xi)),
    # a transfer below 1e-150 that the books record like any other, so no mask is needed.
    after = np.log(np.maximum(pos, _TINY))
    if pos.shape[0] == 1 and xi.size == 1 and tau.size == 1:
        # One economy: logs stay numpy's, the scalar arithmetic is the same IEEE operations on Python floats.
        xv = xi.item()
        after *= 1.0 - xv
        after += xv * np.log(np.maximum(mean, _TINY)).item() + np.log1p(-tau).item()
    else:
        after *= (1.0 - xi)[:, None]
        after += (xi * np.log(np.maximum(mean, _TINY)) + np.log1p(-tau))[:, None]
    np.exp(after, out=after)
    return pos - after


def _clip(x, lo: float, hi: float):
    """``np.clip`` as two ufuncs, the second in place (for arrays): cheaper than np.clip's Python layers."""
    x = np.maximum(x, lo)
    return np.minimum(x, hi, out=x) if type(x) is np.ndarray else np.minimum(x, hi)


def _nonzero(v: np.ndarray) -> bool:
    """Whether any entry of ``v`` is non-zero; one Python comparison for a single economy."""
    return v.item() != 0.0 if v.size == 1 else bool(_ANY(v != 0.0))


def _piled(top: float, total: float, n: int) -> float:
    """Largest ``sum_i i y_i`` (``i = 1..n``) over ``0 <= y_i <= top`` summing to ``total``: ``top`` on the top
    ranks, the remainder below them."""
    if total <= 0.0:
        return 0.0
    full = min(math.floor(total / top), n)
    return top * (full * n - 0.5 * full * (full - 1)) + (total - full * top) * (n - full)


_TINY = 1e-300
_GINI_SAMPLE = 4096
_ANY = np.logical_or.reduce  # ndarray.any() without its Python wrapper
