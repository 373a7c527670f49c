"""Rational linear algebra and payoff contraction used to certify equilibria exactly."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import gcd

import numpy as np

__all__ = ["solve_fractions", "contract_others", "independent_rows"]


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
