"""Mean-field statistics and the observation vectors of ``MacroSMFG-v0``.

The government sees only the mean field: aggregates, group means (top 10 % and bottom 50 % of wealth, as in
TaxAI), wealth/income/productivity quantiles, the two Ginis and the policy in force.  A household sees its
own state and the same public vector.  Money enters in ``slog(x) = sign(x) log(1 + |x|)`` of model units so
that features stay O(1) whatever the economy's size; :func:`unslog` inverts it for rule-based agents.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AGGREGATE_FEATURES",
    "QUANTILES",
    "PRIVATE_FEATURES",
    "public_feature_names",
    "public_index",
    "mean_field",
    "private_features",
    "slog",
    "unslog",
]

QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
"""Probability levels of the wealth, income and productivity quantiles in the public vector."""

AGGREGATE_FEATURES: tuple[str, ...] = (
    "year_fraction",
    "log_output_per_capita",
    "capital_to_output",
    "debt_to_output",
    "interest_rate",
    "log_wage",
    "tax_revenue_to_output",
    "consumption_to_output",
    "income_gini",
    "wealth_gini",
    "top10_wealth",
    "top10_income",
    "top10_log_productivity",
    "bottom50_wealth",
    "bottom50_income",
    "bottom50_log_productivity",
)
"""The first entries of the public vector (money as ``slog`` of per-household model units)."""

PRIVATE_FEATURES: tuple[str, ...] = ("wealth", "income", "log_productivity", "superstar")
"""Columns of a household's private observation (wealth and income as ``slog``)."""


def public_feature_names(policy_dim: int) -> tuple[str, ...]:
    """Names of the public vector: aggregates, quantiles, then the policy in force in action coordinates."""
    quantiles = tuple(
        f"{what}_q{int(round(q * 100)):02d}"
        for what in ("wealth", "income", "log_productivity")
        for q in QUANTILES
    )
    return AGGREGATE_FEATURES + quantiles + tuple(f"policy_{i}" for i in range(policy_dim))


def public_index(name: str, policy_dim: int = 5) -> int:
    """Position of feature ``name`` in the public vector."""
    names = public_feature_names(policy_dim)
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(f"unknown public feature {name!r}; known: {names}") from None


def slog(x: np.ndarray | float) -> np.ndarray:
    """Signed log: ``sign(x) log(1 + |x|)``."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.log1p(np.abs(x))


def unslog(y: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`slog`."""
    y = np.asarray(y, dtype=np.float64)
    return np.sign(y) * np.expm1(np.abs(y))


def mean_field(
    *,
    year_fraction: float,
    output: float,
    capital: float,
    debt: float,
    interest: float,
    wage: float,
    tax_revenue: float,
    consumption: float,
    assets: np.ndarray,
    income: np.ndarray,
    productivity: np.ndarray,
    policy_action: np.ndarray,
) -> tuple[np.ndarray, float, float]:
    """The public vector (float64) of one economy, with its income and wealth Gini (both in [0, 1]: wealth is never
    negative, and negative incomes count as zero in the income Gini).

    ``assets``, ``income`` and ``productivity`` are ``(N,)`` household arrays; aggregates are economy totals.
    """
    n = assets.shape[0]
    order = np.argsort(assets)
    wealth_sorted = assets[order]
    income_by_wealth = income[order]
    income_sorted = np.sort(income)
    log_e = np.log(np.maximum(productivity, 1e-300))
    log_e_sorted = np.sort(log_e)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    wealth_gini = _gini_sorted(wealth_sorted, ranks)
    # A Gini is defined on non-negative values (then it lies in [0, 1]): a year's negative incomes (losses on
    # assets, no work) count as zero income.  Clipping keeps the sorted order.
    income_gini = _gini_sorted(np.maximum(income_sorted, 0.0), ranks)
    top = max(1, int(round(0.1 * n)))
    bottom = max(1, int(round(0.5 * n)))
    log_e_by_wealth = log_e[order]
    pos = np.minimum((np.asarray(QUANTILES) * (n - 1)).round().astype(np.int64), n - 1)
    safe_output = output if output > 0 else 1e-300
    # Money features in one slog call: group means and the wealth and income quantiles.
    money = slog(
        np.concatenate(
            [
                [
                    wealth_sorted[-top:].sum() / top,
                    income_by_wealth[-top:].sum() / top,
                    wealth_sorted[:bottom].sum() / bottom,
                    income_by_wealth[:bottom].sum() / bottom,
                ],
                wealth_sorted[pos],
                income_sorted[pos],
            ]
        )
    )
    k = len(QUANTILES)
    aggregates = np.array(
        [
            year_fraction,
            np.log(max(output / n, 1e-300)),
            capital / safe_output,
            debt / safe_output,
            interest,
            np.log(max(wage, 1e-300)),
            tax_revenue / safe_output,
            consumption / safe_output,
            income_gini,
            wealth_gini,
            money[0],
            money[1],
            log_e_by_wealth[-top:].sum() / top,
            money[2],
            money[3],
            log_e_by_wealth[:bottom].sum() / bottom,
        ]
    )
    vector = np.concatenate([aggregates, money[4 : 4 + k], money[4 + k :], log_e_sorted[pos], policy_action])
    return vector, float(income_gini), float(wealth_gini)


def private_features(assets: np.ndarray, income: np.ndarray, productivity: np.ndarray, superstar: np.ndarray):
    """The ``(N, 4)`` float32 private observation: slog wealth, slog income, log productivity, super-star flag."""
    out = np.empty((assets.shape[0], len(PRIVATE_FEATURES)), dtype=np.float32)
    out[:, 0] = slog(assets)
    out[:, 1] = slog(income)
    out[:, 2] = np.log(np.maximum(productivity, 1e-300))
    out[:, 3] = superstar
    return out


def _gini_sorted(x: np.ndarray, ranks: np.ndarray) -> float:
    total = x.sum()
    if total == 0.0 or not np.isfinite(total):
        return 0.0
    n = x.shape[0]
    return float(2.0 * (x * ranks).sum() / (n * total) - (n + 1.0) / n)
