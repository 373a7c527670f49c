"""Rational linear algebra and payoff contraction used to certify equilibria exactly."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import gcd

import numpy as np

__all__ = ["solve_fractions", "contract_others", "independent_rows", "lp_max"]


def solve_fractions(matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]) -> list[Fraction] | None:
    """Solve the square system ``matrix @ x = rhs`` exactly; ``None`` if it is singular.

    Rows are scaled to integers and eliminated with Bareiss' fraction-free method (every division is exact, so
    Python's big integers do all the work and no gcd is taken until the end), then back-substituted over the
    common denominator ``det``.
    """
    size = len(rhs)
    rows = []
    for row, b in zip(matrix, rhs):
        entries = [Fraction(v) for v in row] + [Fraction(b)]
        scale = 1
        for v in entries:
            scale = scale * v.denominator // gcd(scale, v.denominator)
        rows.append([v.numerator * (scale // v.denominator) for v in entries])
    previous = 1
    for col in range(size):
        pivot = next((r for r in range(col, size) if rows[r][col] != 0), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col]
        p = head[col]
        for r in range(col + 1, size):
            row = rows[r]
            factor = row[col]
            if factor == 0:
                # Bareiss still needs the scaling by the pivot: (row * p - 0) / previous
                rows[r] = [v * p // previous for v in row]
            else:
                rows[r] = [(v * p - factor * h) // previous for v, h in zip(row, head)]
        previous = p
    det = rows[size - 1][size - 1]
    # back substitution with integer numerators y over the common denominator det: x = y / det
    y = [0] * size
    for i in reversed(range(size)):
        total = rows[i][size] * det - sum(rows[i][j] * y[j] for j in range(i + 1, size))
        y[i] = total // rows[i][i]
    return [Fraction(v, det) for v in y]


def independent_rows(matrix: np.ndarray, count: int, tol: float = 1e-9) -> list[int] | None:
    """Indices of ``count`` linearly independent rows of a float matrix, taken greedily in order."""
    chosen: list[int] = []
    basis = np.zeros((0, matrix.shape[1]))
    scale = max(float(np.abs(matrix).max()), 1.0)
    for r in range(matrix.shape[0]):
        row = matrix[r] / scale
        residual = row - (basis.T @ (basis @ row) if len(chosen) else 0.0)
        norm = float(np.linalg.norm(residual))
        if norm > tol:
            basis = np.vstack([basis, residual / norm])
            chosen.append(r)
            if len(chosen) == count:
                return chosen
    return None


def contract_others(tensor: np.ndarray, profile: Sequence[Sequence[Fraction]], player: int) -> list[Fraction]:
    """Exact payoff of each pure strategy of ``player``: contract every other axis of an object tensor."""
    result = tensor
    for j in reversed(range(len(profile))):
        if j == player:
            continue
        weights = profile[j]
        support = [k for k, w in enumerate(weights) if w != 0]
        total = np.take(result, support[0], axis=j) * weights[support[0]]
        for k in support[1:]:
            total = total + np.take(result, k, axis=j) * weights[k]
        result = total
    return [Fraction(v) for v in np.ravel(result)]


def lp_max(
    objective: Sequence[Fraction], rows: Sequence[Sequence[Fraction]], bounds: Sequence[Fraction]
) -> tuple[str, Fraction | None, list[Fraction] | None]:
    """Maximise ``objective . x`` subject to ``rows @ x <= bounds`` and ``x >= 0``, exactly.

    A dense two-phase simplex method in Fractions with Bland's rule (smallest index enters and leaves), which
    cannot cycle on degenerate problems.  Meant for the small programs of one support (tens of rows).

    Returns:
        ``("optimal", value, x)``, ``("infeasible", None, None)`` or ``("unbounded", None, None)``.
    """
    m, n = len(rows), len(objective)
    # tableau columns: x (n), slacks (m), artificials (one per row with a negative bound), then the right side
    negative = [i for i in range(m) if bounds[i] < 0]
    artificial = {i: n + m + k for k, i in enumerate(negative)}
    width = n + m + len(negative)
    table: list[list[Fraction]] = []
    basis: list[int] = []
    for i in range(m):
        sign = -1 if i in artificial else 1
        row = (
            [Fraction(sign * v) for v in rows[i]] + [Fraction(0)] * (width - n) + [Fraction(sign * bounds[i])]
        )
        row[n + i] = Fraction(sign)
        if i in artificial:
            row[artificial[i]] = Fraction(1)
            basis.append(artificial[i])
        else:
            basis.append(n + i)
        table.append(row)

    def pivot(r: int, c: int) -> None:
        head = table[r]
        p = head[c]
        table[r] = head = [v / p for v in head]
        for i, row in enumerate(table):
            if i != r and row[c] != 0:
                f = row[c]
                table[i] = [a - f * b for a, b in zip(row, head)]
        basis[r] = c

    def run(costs: list[Fraction], allowed: int) -> str:
        while True:
            # reduced costs of maximising costs . x: c_j - c_B B^-1 a_j
            reduced = [
                costs[j] - sum(costs[basis[i]] * table[i][j] for i in range(m)) for j in range(allowed)
            ]
            entering = next((j for j in range(allowed) if reduced[j] > 0 and j not in basis), None)
            if entering is None:
                return "optimal"
            ratios = [
                (table[i][-1] / table[i][entering], basis[i], i) for i in range(m) if table[i][entering] > 0
            ]
            if not ratios:
                return "unbounded"
            best = min(r[0] for r in ratios)
            leaving = min((b, i) for value, b, i in ratios if value == best)[1]
            pivot(leaving, entering)

    if negative:
        phase_one = [Fraction(0)] * width
        for column in artificial.values():
            phase_one[column] = Fraction(-1)
        run(phase_one, width)
        if any(table[i][-1] != 0 for i in range(m) if basis[i] >= n + m):
            return "infeasible", None, None
        for i in range(m):  # drive zero-valued artificials out of the basis where possible
            if basis[i] >= n + m:
                column = next((j for j in range(n + m) if table[i][j] != 0), None)
                if column is not None:
                    pivot(i, column)
    costs = [Fraction(v) for v in objective] + [Fraction(0)] * (width - n)
    status = run(costs, n + m)
    if status != "optimal":
        return status, None, None
    x = [Fraction(0)] * n
    for i, column in enumerate(basis):
        if column < n:
            x[column] = table[i][-1]
    return "optimal", sum((c * v for c, v in zip(objective, x)), Fraction(0)), x
