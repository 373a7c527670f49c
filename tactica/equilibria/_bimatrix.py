"""Shared 2-player machinery: certify a candidate equilibrium from its binding constraints.

Every 2-player solver (support enumeration, vertex enumeration, Lemke-Howson) produces float candidates.  A
candidate is *refined* by solving the linear system of its binding constraints (zero probabilities and tight
best-response payoffs), in floating point or, with ``exact=True``, in rational arithmetic; it is then verified:
a float equilibrium must have regret at most ``tol * (max payoff - min payoff)``, an exact one regret exactly 0.
So no solver returns an unverified profile.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

from tactica.equilibria._exact import independent_rows, solve_fractions
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium

__all__ = ["refine_candidate", "exact_matrices", "verify_float", "REFINE_TOL"]

#: relative tolerance used to read labels off a float candidate and to accept float equilibria
REFINE_TOL = 1e-9


def exact_matrices(game: NormalFormGame) -> tuple[np.ndarray, np.ndarray]:
    """``(A, B)`` as object arrays of Fractions (float games are read as their shortest decimals)."""
    if game.exact is not None:
        return game.exact[0], game.exact[1]
    from tactica.equilibria.games import to_fraction

    conv = np.vectorize(to_fraction, otypes=[object])
    return conv(game.payoffs[0]), conv(game.payoffs[1])


def _best_set(payoff: np.ndarray, x: np.ndarray, other: np.ndarray, tol: float) -> list[int]:
    """The opponent strategies treated as best responses to ``x``: near-ties plus the opponent's support.

    At an equilibrium every strategy the opponent uses is a best response; taking its support too makes
    refinement work from approximate candidates (QRE end points, LP solutions, fictitious play).
    """
    values = x @ payoff
    return np.flatnonzero((values >= values.max() - tol) | (other > tol)).tolist()


def _side_system(
    payoff: np.ndarray, x: np.ndarray, other: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Binding constraints of one player's mixed strategy ``x`` (rows of ``payoff`` are x's strategies).

    Unknowns ``(x_1..x_m, u)``: rows ``x_i = 0`` for unused strategies, ``(x^T payoff)_j - u = 0`` for the
    opponent's best responses, and ``sum x = 1`` first.
    """
    m = payoff.shape[0]
    rows = [np.append(np.ones(m), 0.0)]
    rhs = [1.0]
    for i in np.flatnonzero(x <= tol):
        e = np.zeros(m + 1)
        e[i] = 1.0
        rows.append(e)
        rhs.append(0.0)
    for j in _best_set(payoff, x, other, tol):
        rows.append(np.append(payoff[:, j], -1.0))
        rhs.append(0.0)
    return np.array(rows), np.array(rhs)


def _solve_side(
    payoff: np.ndarray, exact_payoff: np.ndarray | None, x: np.ndarray, other: np.ndarray, tol: float
) -> tuple[np.ndarray, list[Fraction] | None] | None:
    m = payoff.shape[0]
    rows, rhs = _side_system(payoff, x, other, tol)
    if len(rows) == m + 1:
        chosen = list(range(m + 1))  # the usual nondegenerate case: a square system
    else:
        chosen = independent_rows(rows, m + 1)
        if chosen is None:
            return None
    if exact_payoff is None:
        try:
            sol = np.linalg.solve(rows[chosen], rhs[chosen])
        except np.linalg.LinAlgError:
            return None
        return sol[:m], None
    ones = [Fraction(1)] * m
    frows, frhs = [], []
    zero_rows = set(np.flatnonzero(x <= tol).tolist())
    zero_list = sorted(zero_rows)
    best_list = _best_set(payoff, x, other, tol)
    # rebuild the same rows as _side_system with Fractions, in the same order
    all_rows: list[tuple[list[Fraction], Fraction]] = [(ones + [Fraction(0)], Fraction(1))]
    for i in zero_list:
        e = [Fraction(0)] * (m + 1)
        e[i] = Fraction(1)
        all_rows.append((e, Fraction(0)))
    for j in best_list:
        all_rows.append(([Fraction(v) for v in exact_payoff[:, j]] + [Fraction(-1)], Fraction(0)))
    for r in chosen:
        frows.append(all_rows[r][0])
        frhs.append(all_rows[r][1])
    sol = solve_fractions(frows, frhs)
    if sol is None:
        return None
    return np.array([float(v) for v in sol[:m]]), sol[:m]


def verify_float(a: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray, tol: float) -> float:
    """Largest regret of ``(x, y)``; ``inf`` if not a distribution."""
    if (x < -tol).any() or (y < -tol).any():
        return float("inf")
    ay, xb = a @ y, x @ b
    return float(max(ay.max() - x @ ay, xb.max() - xb @ y))


def _integers(values: list[Fraction]) -> tuple[list[int], int]:
    """``values`` as integers over a common positive denominator."""
    den = 1
    for v in values:
        den = den * v.denominator // gcd(den, v.denominator)
    return [v.numerator * (den // v.denominator) for v in values], den


def _exact_check(
    ea: np.ndarray, eb: np.ndarray, x: list[Fraction], y: list[Fraction]
) -> tuple[Fraction, Fraction] | None:
    """The exact payoffs ``(x A y, x B y)`` if ``(x, y)`` has zero regret, else ``None``.

    Works on integers: the matrices and the strategies are scaled by their common denominators (a positive
    scaling changes no comparison), which is much faster than summing Fractions.
    """
    m, n = ea.shape
    a_int, a_den = _integers(list(ea.ravel()))
    b_int, b_den = _integers(list(eb.ravel()))
    x_int, x_den = _integers(x)
    y_int, y_den = _integers(y)
    ay = [sum(a_int[i * n + j] * y_int[j] for j in range(n) if y_int[j]) for i in range(m)]
    xb = [sum(b_int[i * n + j] * x_int[i] for i in range(m) if x_int[i]) for j in range(n)]
    best_a, best_b = max(ay), max(xb)
    if any(ay[i] != best_a for i in range(m) if x_int[i]) or any(
        xb[j] != best_b for j in range(n) if y_int[j]
    ):
        return None
    return Fraction(best_a, a_den * y_den), Fraction(best_b, b_den * x_den)


def refine_candidate(
    game: NormalFormGame,
    x: np.ndarray,
    y: np.ndarray,
    *,
    exact: bool = False,
    method: str = "",
    exact_ab: tuple[np.ndarray, np.ndarray] | None = None,
    tol: float = REFINE_TOL,
    label_tol: float = 1e-7,
) -> Equilibrium | None:
    """Refine and verify a float candidate; ``None`` when it is not an equilibrium."""
    a, b = game.payoffs[0], game.payoffs[1]
    scale = game.payoff_range()
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, None)
    y = np.clip(np.asarray(y, dtype=np.float64), 0.0, None)
    x, y = x / x.sum(), y / y.sum()
    ea, eb = exact_ab if exact_ab is not None else (exact_matrices(game) if exact else (None, None))
    # x is pinned down by the column player's payoffs B (it makes the opponent indifferent), y by A^T
    # label_tol: how close to 0 a probability, or to the best payoff a payoff, must be to count as binding
    side_x = _solve_side(b / scale, None if eb is None else eb, x, y, label_tol)
    side_y = _solve_side(a.T / scale, None if ea is None else ea.T, y, x, label_tol)
    if side_x is None or side_y is None:
        return None
    (xf, xq), (yf, yq) = side_x, side_y
    if exact:
        assert xq is not None and yq is not None and ea is not None and eb is not None
        if any(v < 0 for v in xq) or any(v < 0 for v in yq):
            return None
        values = _exact_check(ea, eb, xq, yq)
        if values is None:
            return None
        profile = (np.array([float(v) for v in xq]), np.array([float(v) for v in yq]))
        return Equilibrium(
            profile=profile,
            payoffs=np.array([float(v) for v in values]),
            exact_profile=(tuple(xq), tuple(yq)),
            exact_payoffs=tuple(values),
            epsilon=0.0,
            method=method,
        )
    if (xf < -tol).any() or (yf < -tol).any():
        return None
    xf, yf = np.clip(xf, 0.0, None), np.clip(yf, 0.0, None)
    xf, yf = xf / xf.sum(), yf / yf.sum()
    regret = verify_float(a, b, xf, yf, tol * scale)
    if regret > tol * scale * 10:
        return None
    return Equilibrium(
        profile=(xf, yf),
        payoffs=np.array([xf @ a @ yf, xf @ b @ yf]),
        epsilon=max(regret, 0.0),
        method=method,
    )
