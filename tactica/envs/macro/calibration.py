"""Every number of the macroeconomy's calibration, each with its source.

The economy (:mod:`tactica.envs.macro.economy`) reads nothing but :class:`Calibration`; a user changes the
economy with ``Calibration(**overrides)`` or ``MacroSMFG-v1``'s ``calibration={...}`` argument.  The table
:data:`SOURCES` names where each default comes from; "model choice" marks a number that is ours (a bound, a
floor or a threshold), "derived" one computed from the others by the formula given.

Model units: one unit of money is the initial GDP per capita (``gdp_per_capita_usd`` US dollars of 2022); one
unit of labour is a household working all ``hours_max`` hours of a year with productivity 1.  Reports convert
to dollars with ``gdp_per_capita_usd``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Calibration", "SOURCES", "US_FEDERAL_2022"]

_TAXAI = "TaxAI cfg/default.yaml (Mi et al., AAMAS 2024, jidiai/TaxAI)"
_DSMFG = "DSMFG env/env_core.py, 2022 OECD US data (Miracle1207/DSMFG)"
_ECONGYM = "EconGym cfg/base_config.yaml (Miracle1207/EconGym)"


@dataclass(frozen=True)
class BracketSchedule:
    """A piecewise-linear income tax: marginal ``rates`` above ``thresholds_usd`` after an ``allowance_usd``, less
    a non-refundable ``credit_usd`` (the tax never falls below zero)."""

    thresholds_usd: tuple[float, ...]
    rates: tuple[float, ...]
    allowance_usd: float
    name: str
    credit_usd: float = 0.0

    def __post_init__(self) -> None:
        if len(self.thresholds_usd) != len(self.rates) or not self.rates:
            raise ValueError("a bracket schedule needs one rate per threshold (and at least one bracket)")
        if any(b <= a for a, b in zip(self.thresholds_usd, self.thresholds_usd[1:])):
            raise ValueError(f"bracket thresholds must increase strictly, got {self.thresholds_usd}")
        if self.thresholds_usd[0] != 0.0:
            raise ValueError("the first bracket must start at 0")
        if self.credit_usd < 0.0:
            raise ValueError(f"credit_usd must be >= 0, got {self.credit_usd}")


US_FEDERAL_2022 = BracketSchedule(
    thresholds_usd=(0.0, 10_275.0, 41_775.0, 89_075.0, 170_050.0, 215_950.0, 539_900.0),
    rates=(0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37),
    allowance_usd=12_950.0,
    name="US federal 2022, single filer",
    credit_usd=559.98,
)
"""2022 US federal income tax, single filer: brackets and standard deduction of IRS Rev. Proc. 2021-45, and the
flat non-refundable credit of 559.98 USD that DSMFG's ``env/env_core.py`` (``calculate_taxes``) subtracts, as its
``us_federal`` policy does (``max(0, tax - 559.98)``; the IRS schedule itself has no such flat credit)."""


@dataclass(frozen=True)
class Calibration:
    """The economy's parameters (see :data:`SOURCES` for each one's origin)."""

    # Technology and prices.
    capital_share: float = 1.0 / 3.0
    depreciation: float = 0.06
    fixed_interest_rate: float = 0.04
    # Households: productivity process.
    productivity_persistence: float = 0.982
    productivity_shock_std: float = 0.200
    superstar_entry: float = 2.2e-6
    superstar_persistence: float = 0.990
    superstar_multiple: float = 504.3
    # Households: preferences.
    crra: float = 1.0
    inverse_frisch: float = 2.0
    hours_max: float = 365.0 * 24.0 * (2.0 / 3.0) * (2.0 / 3.0)
    hours_per_capita: float = 283_184.66e6 / 333_456e3
    consumption_floor: float = 1e-3
    # Initial state (2022 US).
    gdp_usd: float = 23_315.081e9
    population: float = 333_456e3
    debt_to_gdp: float = 1.2129
    wealth_gini: float = 0.83
    # Government.
    consumption_tax: float = 0.065
    hsv_tau: float = 0.263
    hsv_xi: float = 0.049
    spending_share: float = 0.189
    income_brackets: BracketSchedule = field(default=US_FEDERAL_2022)
    tax_elasticity: float = 0.25
    # Action bounds (levels an action of -1 and +1 map to).
    tau_bounds: tuple[float, float] = (0.0, 0.6)
    xi_bounds: tuple[float, float] = (0.0, 0.5)
    wealth_tau_bounds: tuple[float, float] = (0.0, 0.06)
    wealth_xi_bounds: tuple[float, float] = (0.0, 0.5)
    spending_bounds: tuple[float, float] = (0.0, 0.4)
    bracket_rate_bounds: tuple[float, float] = (0.0, 0.9)
    savings_bounds: tuple[float, float] = (0.0, 0.99)
    # Episode.
    horizon: int = 300
    discount: float = 0.975
    max_debt_to_gdp: float = 5.0
    max_wealth_gini: float = 0.99

    def __post_init__(self) -> None:
        _check(0.0 < self.capital_share < 1.0, "capital_share must lie in (0, 1)")
        _check(0.0 <= self.depreciation < 1.0, "depreciation must lie in [0, 1)")
        _check(-1.0 < self.fixed_interest_rate, "fixed_interest_rate must exceed -1")
        _check(-1.0 < self.productivity_persistence < 1.0, "productivity_persistence must lie in (-1, 1)")
        _check(self.productivity_shock_std >= 0.0, "productivity_shock_std must be >= 0")
        _check(0.0 <= self.superstar_entry <= 1.0, "superstar_entry must be a probability")
        _check(0.0 <= self.superstar_persistence <= 1.0, "superstar_persistence must be a probability")
        _check(self.superstar_multiple > 0.0, "superstar_multiple must be > 0")
        _check(self.crra > 0.0, "crra must be > 0")
        _check(self.inverse_frisch > 0.0, "inverse_frisch must be > 0")
        _check(0.0 < self.hours_per_capita < self.hours_max, "hours_per_capita must lie in (0, hours_max)")
        _check(self.consumption_floor > 0.0, "consumption_floor must be > 0")
        _check(self.gdp_usd > 0.0 and self.population > 0.0, "gdp_usd and population must be > 0")
        _check(self.debt_to_gdp >= 0.0, "debt_to_gdp must be >= 0")
        _check(0.0 < self.wealth_gini < 1.0, "wealth_gini must lie in (0, 1)")
        _check(self.consumption_tax >= 0.0, "consumption_tax must be >= 0")
        _check(self.tax_elasticity > 0.0, "tax_elasticity must be > 0")
        _check(isinstance(self.horizon, int) and self.horizon >= 1, "horizon must be an int >= 1")
        _check(0.0 < self.discount <= 1.0, "discount must lie in (0, 1]")
        for name in (
            "tau_bounds",
            "xi_bounds",
            "wealth_tau_bounds",
            "wealth_xi_bounds",
            "spending_bounds",
            "bracket_rate_bounds",
            "savings_bounds",
        ):
            lo, hi = getattr(self, name)
            _check(lo <= hi, f"{name} must be (low, high) with low <= high, got {(lo, hi)}")
        _check(self.tau_bounds[1] < 1.0 and self.wealth_tau_bounds[1] < 1.0, "tax levels must stay below 1")
        _check(self.xi_bounds[1] < 1.0 and self.wealth_xi_bounds[1] < 1.0, "progressivity must stay below 1")
        _check(0.0 <= self.savings_bounds[0] and self.savings_bounds[1] < 1.0, "savings ratios lie in [0, 1)")

    # Derived quantities -----------------------------------------------------------------------------------
    @property
    def gdp_per_capita_usd(self) -> float:
        """Initial GDP per capita in 2022 US dollars: the model's unit of money."""
        return self.gdp_usd / self.population

    @property
    def hours_fraction(self) -> float:
        """Share of the yearly maximum hours worked per capita (2022 OECD US)."""
        return self.hours_per_capita / self.hours_max

    @property
    def labour_disutility(self) -> float:
        """chi in ``u = c^(1-theta)/(1-theta) - chi h^(1+gamma)/(1+gamma)``.

        Derived so that a hand-to-mouth household with log utility and a proportional tax chooses the
        calibrated hours share: its first-order condition gives ``chi h^(1+gamma) = 1``.
        """
        return self.hours_fraction ** (-(1.0 + self.inverse_frisch))

    @property
    def capital_to_gdp(self) -> float:
        """Initial K/Y at the steady state of the fixed rate: ``alpha / (r + delta)``."""
        return self.capital_share / (self.fixed_interest_rate + self.depreciation)

    @property
    def wealth_log_std(self) -> float:
        """Std of log initial wealth giving the target Gini for a log-normal: ``G = 2 Phi(s / sqrt 2) - 1``."""
        from scipy.special import ndtri

        return math.sqrt(2.0) * float(ndtri((1.0 + self.wealth_gini) / 2.0))

    @property
    def productivity_log_var(self) -> float:
        """Stationary variance of log productivity: ``sigma^2 / (1 - rho^2)``."""
        rho = self.productivity_persistence
        return self.productivity_shock_std**2 / (1.0 - rho * rho)

    @property
    def tfp(self) -> float:
        """Total factor productivity A making initial output per capita one unit at the calibrated K/Y and hours.

        From ``y = A (k_y y)^alpha l^(1-alpha)`` with ``y = 1`` and mean productivity 1.
        """
        alpha = self.capital_share
        return 1.0 / (self.capital_to_gdp**alpha * self.hours_fraction ** (1.0 - alpha))

    def replace(self, **overrides: Any) -> Calibration:
        """A copy with some fields changed; unknown names raise ``ValueError`` listing the accepted ones."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ValueError(f"unknown calibration field(s) {unknown}; accepted: {sorted(names)}")
        if isinstance(overrides.get("income_brackets"), dict):
            overrides["income_brackets"] = BracketSchedule(**overrides["income_brackets"])
        for key in list(overrides):
            if key.endswith("_bounds") and isinstance(overrides[key], list):
                overrides[key] = tuple(overrides[key])
        return dataclasses.replace(self, **overrides)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"Calibration: {message}")


SOURCES: dict[str, str] = {
    "capital_share": f"alpha = 1/3, {_TAXAI}",
    "depreciation": f"delta = 0.06, {_TAXAI}",
    "fixed_interest_rate": f"r = 0.04 (interest_rate), {_TAXAI} and DSMFG cfg/default.yaml",
    "productivity_persistence": f"rho_e = 0.982, {_TAXAI}",
    "productivity_shock_std": f"sigma_e = 0.200, {_TAXAI}",
    "superstar_entry": f"e_p = 2.2e-6, {_TAXAI}",
    "superstar_persistence": f"e_q = 0.990, {_TAXAI}",
    "superstar_multiple": f"super_e = 504.3, {_TAXAI}",
    "crra": f"theta = 1 (log utility), {_TAXAI}",
    "inverse_frisch": f"gamma = 2, {_TAXAI}",
    "hours_max": "365 * 24 * (2/3) * (2/3) = 3893.3 hours a year, DSMFG env/env_core.py",
    "hours_per_capita": f"283,184.66e6 total hours / 333,456e3 people, {_DSMFG}",
    "consumption_floor": "model choice: 1e-3 of initial GDP per capita (about 70 USD), keeps log utility finite",
    "gdp_usd": f"23,315.081e9 USD, {_DSMFG}",
    "population": f"333,456e3, {_DSMFG}",
    "debt_to_gdp": f"121.29 %, {_DSMFG}",
    "wealth_gini": "0.83, approximate US wealth Gini in the Survey of Consumer Finances (model target)",
    "consumption_tax": f"tau_c = 0.065, {_TAXAI}",
    "hsv_tau": f"tau = 0.263 (US HSV fit), TaxAI agents/calibration.py (the policy it calibrates at) and {_ECONGYM}",
    "hsv_xi": f"xi = 0.049 (US HSV fit), TaxAI agents/calibration.py (the policy it calibrates at) and {_ECONGYM}",
    "spending_share": (
        f"G/Y = 0.189 (Gt_prob), {_ECONGYM}; TaxAI's agents/rule_based.py writes it as the action 0.189/0.5, which "
        "its env maps to a G/Y of 0.207 ((x + 1) / 2 times 0.3)"
    ),
    "income_brackets": (
        "US federal 2022 single filer: brackets and 12,950 USD standard deduction of IRS Rev. Proc. 2021-45, less "
        "the 559.98 USD non-refundable credit of DSMFG env/env_core.py (calculate_taxes)"
    ),
    "tax_elasticity": "0.25, mid-range of the elasticity of taxable income (Saez, Slemrod & Giertz, JEL 2012)",
    "tau_bounds": "model choice: [0, 0.6] (TaxAI's 0.2 cap is below the US HSV tau of 0.263)",
    "xi_bounds": "model choice: [0, 0.5] (TaxAI caps at 0.05, below many HSV estimates)",
    "wealth_tau_bounds": "model choice: [0, 0.06] (TaxAI: [0, 0.2])",
    "wealth_xi_bounds": "model choice: [0, 0.5]",
    "spending_bounds": "model choice: [0, 0.4] (TaxAI: [0, 0.3])",
    "bracket_rate_bounds": "model choice: marginal rates in [0, 0.9]",
    "savings_bounds": "model choice: savings ratio of cash on hand in [0, 0.99] (TaxAI: [0.5, 1))",
    "horizon": f"300 years, TaxAI env/env_core.py (episode_length = 300) and {_ECONGYM} (episode_length)",
    "discount": f"0.975 (the trainer's gamma), {_TAXAI} and DSMFG cfg/default.yaml",
    "max_debt_to_gdp": "model choice: a debt of 5 years of output ends the episode (debt crisis)",
    "max_wealth_gini": "model choice: a wealth Gini above 0.99 ends the episode (runaway inequality)",
}
"""Where each :class:`Calibration` default comes from."""
