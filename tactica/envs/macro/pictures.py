"""Pictures of the macroeconomy for ``render_mode="rgb_array"`` (``MacroSMFG-v1`` and ``MacroLeader-v1``).

Left: the distribution of wealth and income across the households now (Lorenz curves with their Gini
coefficients, and the share of all wealth each tenth of the households holds, poorest first).  Right: GDP per
capita and the two Gini coefficients over the years of the episode, and the government's current policy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.canvas import (
    COLORS,
    SERIES_COLORS,
    WIDTH,
    Box,
    Canvas,
    bar_rows,
    line_chart,
    not_reset_frame,
    timeline,
)

__all__ = ["economy_frame"]


def _lorenz(values: np.ndarray) -> np.ndarray:
    """Cumulative share of the total held by the poorest 0..100% (101 points)."""
    ordered = np.sort(values)
    total = ordered.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)]) / (total if total else 1.0)
    grid = np.linspace(0, len(ordered), 101)
    return np.interp(grid, np.arange(len(ordered) + 1), cumulative)


def _decile_shares(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    total = ordered.sum() or 1.0
    return np.array([part.sum() / total for part in np.array_split(ordered, 10)])


def economy_frame(env: Any) -> np.ndarray:
    """The picture of a ``MacroSMFGEnv`` (its first economy)."""
    canvas = Canvas()
    info = env._infos.get("government", {})
    if not info:
        return not_reset_frame("MacroSMFG-v1")
    economy = env.economy
    wealth = np.asarray(economy.assets[0], dtype=np.float64)
    income = np.asarray(economy.income[0], dtype=np.float64)
    samples = np.asarray(
        timeline(
            env,
            "macro",
            (
                float(info["years"]),
                float(info["gdp_per_capita"]),
                float(info["income_gini"]),
                float(info["wealth_gini"]),
            ),
        )
    ).T
    ended = f"  ended: {info['termination_reason']}" if info["termination_reason"] else ""
    canvas.text(
        6,
        4,
        f"year {info['years']}/{env.horizon}  {economy.num_households} households  "
        f"GDP/capita {info['gdp_per_capita']:,.0f} USD{ended}",
        COLORS["bad"] if ended else COLORS["ink"],
        12,
        max_width=WIDTH - 12,
    )
    percent = np.linspace(0, 100, 101)
    line_chart(
        canvas,
        Box(4, 22, 236, 170),
        "Lorenz, Gini",
        percent,
        [
            ("", percent / 100.0, COLORS["grid"]),
            (f"wealth {info['wealth_gini']:.2f}", _lorenz(wealth), SERIES_COLORS[0]),
            (f"income {info['income_gini']:.2f}", _lorenz(income), SERIES_COLORS[1]),
        ],
        y_range=(min(0.0, float(_lorenz(wealth).min())), 1.0),
        x_label="% poorest",
    )
    shares = _decile_shares(wealth)
    bar_rows(
        canvas,
        Box(4, 174, 236, 316),
        "wealth share by tenth",
        [
            (f"{10 * k}-{10 * k + 10}%", 100.0 * share, COLORS["ally"] if share >= 0 else COLORS["bad"])
            for k, share in enumerate(shares)
        ],
        value_format="{:.1f}%",
    )
    years = samples[0]
    line_chart(
        canvas,
        Box(240, 22, 476, 112),
        "GDP per capita (USD)",
        years,
        [("", samples[1], SERIES_COLORS[2])],
        y_range=(None, None),
        x_label="yr",
    )
    line_chart(
        canvas,
        Box(240, 116, 476, 206),
        "Gini",
        years,
        [("wealth", samples[3], SERIES_COLORS[0]), ("income", samples[2], SERIES_COLORS[1])],
        y_range=(0.0, 1.0),
        x_label="yr",
    )
    policy = info["policy"]
    rows = [
        ("income tax tau", policy["tau"], SERIES_COLORS[4]),
        ("progressivity xi", policy["xi"], SERIES_COLORS[4]),
        ("wealth tax tau", policy["wealth_tau"], SERIES_COLORS[4]),
        ("spending share", policy["spending_share"], SERIES_COLORS[4]),
        ("debt / GDP", float(info["debt_to_gdp"]), COLORS["muted"]),
    ]
    bar_rows(
        canvas, Box(240, 210, 476, 316), "policy", rows, max(1.0, max(abs(v) for _, v, _ in rows)), "{:.3f}"
    )
    return canvas.to_array()
