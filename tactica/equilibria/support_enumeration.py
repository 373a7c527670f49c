"""Support enumeration: every Nash equilibrium of a nondegenerate bimatrix game.

In a nondegenerate game both supports of an equilibrium have the same size ``k``, and the supports determine
the equilibrium: ``y`` makes the row player indifferent on ``I`` and ``x`` makes the column player indifferent
on ``J``.  For each ``k`` we build the ``(k+1) x (k+1)`` indifference systems of *all* pairs ``(I, J)`` at once
and solve them with one batched :func:`numpy.linalg.solve`, keep the nonnegative solutions, check that no
strategy outside the supports does better (also batched), and finally refine and verify each survivor (exactly
with ``exact=True``).  Cost grows like ``C(m+n, m)`` systems, fine to about 12 x 12; use
:func:`tactica.equilibria.vertex_enumeration.vertex_enumeration` for larger games.

Guarantee: on a nondegenerate game, the output is exactly the equilibrium set.  When the game turns out to be
degenerate (an equilibrium with more pure best responses than its support size, or an even number of
equilibria), a :class:`~tactica.equilibria.solution.DegenerateGameError` is raised (``on_degenerate="raise"``),
or the equilibria found are returned as they are (``"ignore"``), which may miss some.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from tactica.equilibria._bimatrix import exact_matrices, refine_candidate
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import DegenerateGameError, Equilibrium, sort_equilibria

__all__ = ["support_enumeration", "check_nondegenerate_pure"]

_CHUNK = 200_000  # linear systems per batch: bounds memory at about 200k * (k+1)^2 * 8 bytes


def _batched_side(
    payoff: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``payoff[I, J] z = v 1, sum z = 1`` for every pair (rows[p], cols[p]).

    Returns (ok mask, z of shape (P, k), v of shape (P,)).
    """
    count, k = rows.shape
    system = np.empty((count, k + 1, k + 1))
    system[:, :k, :k] = payoff[rows[:, :, None], cols[:, None, :]]
    system[:, :k, k] = -1.0
    system[:, k, :k] = 1.0
    system[:, k, k] = 0.0
    rhs = np.zeros((count, k + 1))
    rhs[:, k] = 1.0
    ok = np.abs(np.linalg.det(system)) > 1e-12
    sol = np.zeros((count, k + 1))
    if ok.any():
        sol[ok] = np.linalg.solve(system[ok], rhs[ok][..., None])[..., 0]
    ok &= (sol[:, :k] > tol).all(axis=1)
    return ok, sol[:, :k], sol[:, k]


def support_enumeration(
    game: NormalFormGame,
    *,
    exact: bool = False,
    on_degenerate: str = "raise",
    tol: float = 1e-10,
) -> list[Equilibrium]:
    """All Nash equilibria of a nondegenerate 2-player game by support enumeration.

    Args:
        game: a 2-player :class:`NormalFormGame`.
        exact: certify each equilibrium in rational arithmetic (the profiles are then exact Fractions).
        on_degenerate: ``"raise"`` (default) or ``"ignore"`` when degeneracy is detected.
        tol: relative tolerance on probabilities and payoffs (payoffs are scaled to the range [0, 1]).

    Returns:
        The equilibria, deduplicated and sorted.
    """
    game._require_players(2, "support enumeration")
    if on_degenerate not in ("raise", "ignore"):
        raise ValueError(f"on_degenerate must be 'raise' or 'ignore'; got {on_degenerate!r}")
    if on_degenerate == "raise":
        check_nondegenerate_pure(game)
    a, b = game.payoffs[0], game.payoffs[1]
    low, scale = game.payoffs.min(), game.payoff_range()
    a, b = (a - low) / scale, (b - low) / scale
    m, n = a.shape
    exact_ab = exact_matrices(game) if exact else None
    found: list[Equilibrium] = []
    for k in range(1, min(m, n) + 1):
        row_sets = np.array(list(combinations(range(m), k)), dtype=np.intp)
        col_sets = np.array(list(combinations(range(n), k)), dtype=np.intp)
        per_chunk = max(1, _CHUNK // len(col_sets))
        for start in range(0, len(row_sets), per_chunk):
            block = row_sets[start : start + per_chunk]
            rows = np.repeat(block, len(col_sets), axis=0)
            cols = np.tile(col_sets, (len(block), 1))
            # y on J makes the row player indifferent over I: A[I, J] y = v
            ok_y, y, v = _batched_side(a, rows, cols, tol)
            if not ok_y.any():
                continue
            rows, cols, y, v = rows[ok_y], cols[ok_y], y[ok_y], v[ok_y]
            # x on I makes the column player indifferent over J: B[I, J]^T x = u
            ok_x, x, u = _batched_side(b.T, cols, rows, tol)
            if not ok_x.any():
                continue
            rows, cols, x, y, u, v = rows[ok_x], cols[ok_x], x[ok_x], y[ok_x], u[ok_x], v[ok_x]
            # no profitable deviation outside the supports
            count = len(rows)
            y_full = np.zeros((count, n))
            x_full = np.zeros((count, m))
            y_full[np.arange(count)[:, None], cols] = y
            x_full[np.arange(count)[:, None], rows] = x
            best_rows = (y_full @ a.T).max(axis=1) <= v + tol
            best_cols = (x_full @ b).max(axis=1) <= u + tol
            for p in np.flatnonzero(best_rows & best_cols):
                eq = refine_candidate(
                    game, x_full[p], y_full[p], exact=exact, method="support", exact_ab=exact_ab
                )
                if eq is not None:
                    found.append(eq)
    result = sort_equilibria(found)
    if on_degenerate == "raise":
        _check_found(game, result)
    return result


def check_nondegenerate_pure(game: NormalFormGame, tol: float = 1e-12) -> None:
    """Raise :class:`DegenerateGameError` if some pure strategy has two or more pure best responses."""
    a, b = game.payoffs[0], game.payoffs[1]
    scale = game.payoff_range() * tol
    col_best = (b >= b.max(axis=1, keepdims=True) - scale).sum(axis=1)  # per row strategy
    row_best = (a >= a.max(axis=0, keepdims=True) - scale).sum(axis=0)  # per column strategy
    if (col_best > 1).any():
        i = int(np.flatnonzero(col_best > 1)[0])
        raise DegenerateGameError(
            f"the game is degenerate: row strategy {i + 1} has {int(col_best[i])} pure best responses; "
            "use vertex enumeration (--method vertex), which handles degenerate games"
        )
    if (row_best > 1).any():
        j = int(np.flatnonzero(row_best > 1)[0])
        raise DegenerateGameError(
            f"the game is degenerate: column strategy {j + 1} has {int(row_best[j])} pure best responses; "
            "use vertex enumeration (--method vertex), which handles degenerate games"
        )


def _check_found(game: NormalFormGame, equilibria: list[Equilibrium], tol: float = 1e-9) -> None:
    a, b = game.payoffs[0], game.payoffs[1]
    scale = game.payoff_range() * tol
    for eq in equilibria:
        x, y = eq.profile
        k = int((x > 0).sum())
        ay, xb = a @ y, x @ b
        if (ay >= ay.max() - scale).sum() > k or (xb >= xb.max() - scale).sum() > k:
            raise DegenerateGameError(
                "the game is degenerate: an equilibrium with support size "
                f"{k} has more pure best responses; use vertex enumeration (--method vertex)"
            )
    if len(equilibria) % 2 == 0:
        raise DegenerateGameError(
            f"the game is degenerate: found {len(equilibria)} equilibria (a nondegenerate game has an odd "
            "number); use vertex enumeration (--method vertex)"
        )
