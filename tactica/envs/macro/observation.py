"""Mean-field statistics and the observation vectors of ``MacroSMFG-v1``.

The government sees only the mean field: aggregates, group means (top 10 % and bottom 50 % of wealth, as in
TaxAI), wealth/income/productivity quantiles, the two Ginis and the policy in force.  A household sees its
own state and the same public vector.  Money enters in ``slog(x) = sign(x) log(1 + |x|)`` of model units so
that features stay O(1) whatever the economy's size; :func:`unslog` inverts it for rule-based agents.
"""

from __future__ import annotations

import math

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
    "MeanFieldObserver",
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
    log_productivity: np.ndarray | None = None,
) -> tuple[np.ndarray, float, float]:
    """The public vector (float64) of one economy, with its income and wealth Gini (both in [0, 1]: wealth is never
    negative, and negative incomes count as zero in the income Gini).

    ``assets``, ``income`` and ``productivity`` are ``(N,)`` household arrays; aggregates are economy totals;
    ``log_productivity`` (``log(productivity)``) spares the log when the caller has it.  One call of
    :class:`MeanFieldObserver` (which reuses its buffers across calls).
    """
    observer = MeanFieldObserver(assets.shape[0])
    aggregates = (year_fraction, output, capital, debt, interest, wage, tax_revenue, consumption)
    return observer.public(aggregates, assets, income, productivity, policy_action, log_productivity)


class MeanFieldObserver:
    """Computes the public vector of an economy of ``n`` households step after step, reusing its work buffers.

    Three in-place sorts in preallocated buffers (wealth and income: the Ginis, quantiles and group sums come from
    them; log productivity: its quantiles) and masks for the top 10 % and bottom 50 % of wealth (numpy's sorts are
    vectorised, its partitions are not).  Each call returns fresh arrays.
    """

    def __init__(self, n: int):
        self.n = int(n)
        n = self.n
        self._ranks = np.arange(1, n + 1, dtype=np.float64)
        # rows: wealth, income (negatives as zero), log productivity; sorted together in one call
        self._sorted = np.empty((3, n))
        self._wealth = self._sorted[0]  # also private()'s work buffer, free once public() has returned
        # rows: income, log productivity (the values summed over the wealth groups)
        self._values = np.empty((2, n))
        # rows: 1 for the top 10 % of wealth, 1 for the bottom 50 %
        self._groups = np.empty((2, n))
        self.top = max(1, int(round(0.1 * n)))
        self.bottom = max(1, int(round(0.5 * n)))
        self._positions = np.minimum((np.asarray(QUANTILES) * (n - 1)).round().astype(np.int64), n - 1)
        # kth for the fallback partition: the bottom group ends at bottom - 1, the top group starts at n - top
        self._kth = sorted({self.bottom - 1, n - self.top})
        self._sizes = np.array([self.top, self.bottom], dtype=np.float64)

    def public(
        self,
        aggregates: tuple[float, ...],
        assets: np.ndarray,
        income: np.ndarray,
        productivity: np.ndarray,
        policy_action: np.ndarray,
        log_productivity: np.ndarray | None = None,
    ) -> tuple[np.ndarray, float, float]:
        """The public vector (float64) and the income and wealth Gini; ``aggregates`` = (year fraction, output,
        capital, debt, interest, wage, tax revenue, consumption)."""
        year_fraction, output, capital, debt, interest, wage, tax_revenue, consumption = aggregates
        n, top, bottom = self.n, self.top, self.bottom
        if assets.shape[0] != n:
            raise ValueError(f"this observer is for {n} households, got {assets.shape[0]}")
        if log_productivity is None:
            log_productivity = np.log(np.maximum(productivity, 1e-300))
        rows = self._sorted
        rows[0] = assets
        np.maximum(income, 0.0, out=rows[1])  # the income Gini counts negative incomes as zero
        rows[2] = log_productivity
        rows.sort(axis=1)
        wealth = rows[0]
        # Ginis of the two sorted rows: 2 sum_i i x_(i) / (n sum x) - (n + 1) / n
        weighted = rows[:2] @ self._ranks
        totals = np.add.reduce(rows[:2], axis=1)
        wealth_gini = _gini_from(float(weighted[0]), float(totals[0]), n)
        income_gini = _gini_from(float(weighted[1]), float(totals[1]), n)
        # who is in the top 10 % and the bottom 50 % of wealth: those at or above (below) the group's edge in the
        # sorted wealth, as 0/1 weights (group sums are then one matrix product); with ties at an edge, a
        # partition picks exactly the group's size (arbitrarily, as a sort would)
        groups = self._groups
        np.greater_equal(assets, wealth[n - top], out=groups[0])
        np.less_equal(assets, wealth[bottom - 1], out=groups[1])
        counts = np.add.reduce(groups, axis=1)
        if counts[0] != top or counts[1] != bottom:
            order = np.argpartition(assets, self._kth)
            groups[:] = 0.0
            groups[0, order[n - top :]] = 1.0
            groups[1, order[:bottom]] = 1.0
        values = self._values
        values[0] = income
        values[1] = log_productivity
        # [[income, log e] of the top 10 %, [income, log e] of the bottom 50 %] / group sizes
        means = (groups @ values.T) / self._sizes[:, None]
        pos = self._positions
        quantiles = rows[:, pos]  # (3, len(QUANTILES))
        if quantiles[1, 0] <= 0.0:
            # some incomes are negative: their quantiles come from the true incomes
            quantiles[1] = np.sort(income)[pos]
        money = np.concatenate(
            (
                [
                    np.add.reduce(wealth[n - top :]) / top,
                    means[0, 0],
                    np.add.reduce(wealth[:bottom]) / bottom,
                    means[1, 0],
                ],
                quantiles[0],
                quantiles[1],
            )
        )
        money = np.copysign(np.log(1.0 + np.abs(money)), money)  # slog
        safe_output = output if output > 0 else 1e-300
        head = np.array(
            [
                year_fraction,
                math.log(max(output / n, 1e-300)),
                capital / safe_output,
                debt / safe_output,
                interest,
                math.log(max(wage, 1e-300)),
                tax_revenue / safe_output,
                consumption / safe_output,
                income_gini,
                wealth_gini,
                money[0],
                money[1],
                means[0, 1],
                money[2],
                money[3],
                means[1, 1],
            ]
        )
        vector = np.concatenate((head, money[4:], quantiles[2], policy_action))
        return vector, income_gini, wealth_gini

    def private(
        self,
        assets: np.ndarray,
        income: np.ndarray,
        log_productivity: np.ndarray,
        superstar: np.ndarray,
    ) -> np.ndarray:
        """The ``(N, 4)`` float32 private observation (see :func:`private_features`)."""
        out = np.empty((self.n, len(PRIVATE_FEATURES)), dtype=np.float32)
        work = self._wealth  # free again once public() has returned
        out[:, 0] = _slog_into(assets, work, non_negative=True)
        out[:, 1] = _slog_into(income, work)
        out[:, 2] = log_productivity
        out[:, 3] = superstar
        return out


def _slog_into(x: np.ndarray, work: np.ndarray, non_negative: bool = False) -> np.ndarray:
    """``slog(x)`` computed in ``work`` (returned): ``log(1 + |x|)``, signed.  ``np.log`` of ``1 + |x|`` rather than
    ``np.log1p``: numpy vectorises the former, and the two differ by less than float32 keeps.  ``non_negative``:
    the caller guarantees ``x >= 0`` (households' assets), sparing the sign."""
    if non_negative:
        np.add(x, 1.0, out=work)
    else:
        np.abs(x, out=work)
        work += 1.0
    np.log(work, out=work)
    if not non_negative and np.minimum.reduce(x) < 0.0:
        np.copysign(work, x, out=work)
    return work


def private_features(assets: np.ndarray, income: np.ndarray, productivity: np.ndarray, superstar: np.ndarray):
    """The ``(N, 4)`` float32 private observation: slog wealth, slog income, log productivity, super-star flag."""
    log_e = np.log(np.maximum(productivity, 1e-300))
    return MeanFieldObserver(assets.shape[0]).private(assets, income, log_e, superstar)


def _gini_from(weighted: float, total: float, n: int) -> float:
    """Gini of ``n`` non-negative values from their total and ``sum_i i x_(i)`` over the ascending order (0 for a
    zero or non-finite total)."""
    if total == 0.0 or not math.isfinite(total):
        return 0.0
    return 2.0 * weighted / (n * total) - (n + 1.0) / n
