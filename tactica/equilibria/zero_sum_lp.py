"""The zero-sum (and constant-sum) 2-player game as a pair of linear programs.

The row player maximises ``v`` subject to ``x^T A >= v 1``, ``x`` a distribution; the column player solves the
dual.  Solved with SciPy's HiGHS; the optimal strategies form a Nash equilibrium and ``v`` is the value of the
game (von Neumann's minimax theorem).  Each output is verified (regret ``<= tol`` times the payoff range) and,
with ``exact=True``, refined and certified in rational arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.equilibria._bimatrix import refine_candidate
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium

__all__ = ["solve_zero_sum", "minimax_strategy", "solve_matrix_games", "ZeroSumSolution"]


@dataclass(frozen=True)
class ZeroSumSolution:
    """Maximin strategy of the row player for a payoff matrix, and the game value."""

    strategy: np.ndarray
    value: float


def minimax_strategy(matrix: np.ndarray) -> ZeroSumSolution:
    """The row player's maximin strategy and value for payoff matrix ``matrix`` (row player maximises)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(f"payoff matrix must be 2-dimensional and non-empty; got shape {matrix.shape}")
    m, n = matrix.shape
    # variables (x_1..x_m, v); maximise v  <=>  minimise -v
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    # v - (x^T A)_j <= 0 for every column j
    a_ub = np.hstack([-matrix.T, np.ones((n, 1))])
    b_ub = np.zeros(n)
    a_eq = np.append(np.ones(m), 0.0)[None, :]
    bounds = [(0, None)] * m + [(None, None)]
    from scipy.optimize import linprog  # lazily: SciPy is slow to import

    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"the zero-sum LP failed: {res.message}")
    x = np.clip(res.x[:m], 0.0, None)
    return ZeroSumSolution(strategy=x / x.sum(), value=float(res.x[-1]))


def solve_zero_sum(game: NormalFormGame, *, exact: bool = False) -> Equilibrium:
    """A Nash equilibrium (maximin strategies) of a 2-player constant-sum game.

    Raises:
        ValueError: the game is not 2-player constant-sum.
    """
    game._require_players(2, "the zero-sum LP")
    if not game.is_constant_sum(tol=1e-9):
        raise ValueError(
            "the zero-sum LP needs a constant-sum game (u_1 + u_2 constant); use --method support"
        )
    a = game.payoffs[0]
    row = minimax_strategy(a)
    col = minimax_strategy(-a.T)
    eq = refine_candidate(game, row.strategy, col.strategy, exact=exact, method="lp", tol=1e-7)
    if eq is None:
        # HiGHS solutions are accurate to ~1e-9; an interior solution of a degenerate game can fail the vertex
        # refinement, so fall back to the verified LP solution itself.
        x, y = row.strategy, col.strategy
        regret = max(float((a @ y).max() - x @ a @ y), float(x @ a @ y - (x @ a).min()))
        eq = Equilibrium(
            profile=(x, y),
            payoffs=np.array([x @ a @ y, x @ game.payoffs[1] @ y]),
            epsilon=max(regret, 0.0),
            method="lp",
        )
    eq.info["value"] = row.value
    return eq


def solve_matrix_games(payoffs: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value and optimal strategies of many small zero-sum matrix games at once (no LP).

    ``payoffs`` has shape ``(G, m, n)`` (row player maximises).  Uses the Shapley-Snow theorem: after shifting
    the payoffs positive, some square nonsingular submatrix ``M`` (a *kernel*) gives optimal strategies
    ``x ~ M^{-T} 1`` and ``y ~ M^{-1} 1`` with value ``1 / (1^T M^{-1} 1)``.  All kernels of every size are
    tried for all games in batched :func:`numpy.linalg.solve` calls, smallest first, and the first one whose
    strategies are nonnegative and optimal in the whole game is kept.  Meant for the stage games of a
    stochastic game (up to ~6 actions each); cost grows like ``C(m + n, m)`` per game.

    Returns:
        ``(values (G,), x (G, m), y (G, n))``.
    """
    from itertools import combinations

    q = np.asarray(payoffs, dtype=np.float64)
    if q.ndim != 3:
        raise ValueError(f"payoffs must have shape (games, m, n); got {q.shape}")
    count, m, n = q.shape
    shift = q.min(axis=(1, 2)) - 1.0
    pos = q - shift[:, None, None]  # every entry >= 1: values positive
    scale = pos.max(axis=(1, 2))[:, None, None]
    pos = pos / scale
    values = np.full(count, np.nan)
    xs, ys = np.zeros((count, m)), np.zeros((count, n))
    todo = np.arange(count)
    for k in range(1, min(m, n) + 1):
        if len(todo) == 0:
            break
        rows_sets = list(combinations(range(m), k))
        cols_sets = list(combinations(range(n), k))
        for rows in rows_sets:
            if len(todo) == 0:
                break
            for cols in cols_sets:
                if len(todo) == 0:
                    break
                kernel = pos[np.ix_(todo, rows, cols)]  # (T, k, k)
                ok = np.abs(np.linalg.det(kernel)) > 1e-12
                if not ok.any():
                    continue
                idx = todo[ok]
                ones = np.ones((len(idx), k, 1))
                xt = np.linalg.solve(np.transpose(kernel[ok], (0, 2, 1)), ones)[..., 0]
                yt = np.linalg.solve(kernel[ok], ones)[..., 0]
                total = xt.sum(axis=1)
                good = (total > tol) & (xt >= -tol).all(axis=1) & (yt >= -tol).all(axis=1)
                v = np.where(good, 1.0 / np.where(total > tol, total, 1.0), 0.0)
                x_full = np.zeros((len(idx), m))
                y_full = np.zeros((len(idx), n))
                x_full[:, rows] = np.clip(xt, 0.0, None) * v[:, None]
                y_full[:, cols] = np.clip(yt, 0.0, None) * v[:, None]
                game = pos[idx]
                good &= (np.einsum("gm,gmn->gn", x_full, game) >= v[:, None] - tol).all(axis=1)
                good &= (np.einsum("gmn,gn->gm", game, y_full) <= v[:, None] + tol).all(axis=1)
                if not good.any():
                    continue
                hit = idx[good]
                values[hit] = v[good]
                xs[hit], ys[hit] = x_full[good], y_full[good]
                done = np.zeros(count, dtype=bool)
                done[hit] = True
                todo = todo[~done[todo]]
    if len(todo):
        raise RuntimeError(f"no optimal kernel found for {len(todo)} matrix games (numerical trouble)")
    xs /= xs.sum(axis=1, keepdims=True)
    ys /= ys.sum(axis=1, keepdims=True)
    return values * scale[:, 0, 0] + shift, xs, ys
