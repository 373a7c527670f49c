"""Newton's method and the Krawczyk test for the square systems of :mod:`tactica.equilibria.support_system`.

Krawczyk's operator (Krawczyk 1969; Moore, Kearfott & Cloud, *Introduction to Interval Analysis*, 2009,
section 8.2) on a box ``X`` with a point ``m`` in it and any matrix ``Y``::

    K(X) = m - Y F(m) + (I - Y J(X)) (X - m)

where ``J(X)`` encloses the Jacobian over ``X``.  If ``K(X)`` lies in the interior of ``X``, the system has
exactly one root in ``X`` (and it lies in ``K(X)``); if ``K(X)`` and ``X`` are disjoint, it has none.  The
floating-point version below screens boxes cheaply; every conclusion we rely on is then re-derived by
:func:`krawczyk_exact` in rational arithmetic (``J(X)`` from the exact vertex ranges, ``Y`` the float inverse
read as exact binary fractions), so a certified root does not depend on rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tactica.equilibria.support_system import SupportSystem

__all__ = ["newton", "krawczyk_float", "krawczyk_exact", "UNIQUE", "EMPTY", "UNKNOWN"]

UNIQUE, EMPTY, UNKNOWN = "unique", "empty", "unknown"


def newton(system: SupportSystem, start: np.ndarray, iterations: int = 40) -> tuple[np.ndarray, bool]:
    """Newton's method from ``start``; returns the last iterate and whether the steps fell below 1e-15."""
    y = np.array(start, dtype=np.float64)
    for _ in range(iterations):
        residual = system.evaluate(system.equations, y[None, :])[0]
        try:
            step = np.linalg.solve(system.jacobian(y), residual)
        except np.linalg.LinAlgError:
            return y, False
        if not np.isfinite(step).all():
            return y, False
        y = y - step
        if np.abs(step).max() <= 1e-15 * max(1.0, np.abs(y).max()):
            return y, True
    return y, False


def _scatter(system: SupportSystem, values: np.ndarray) -> np.ndarray:
    """``(B, E)`` Jacobian entry values to ``(B, dim, dim)`` matrices."""
    entries = system.jacobian_entries()
    out = np.zeros((values.shape[0], system.dim, system.dim))
    if entries:
        rows = np.array([e[0] for e in entries])
        cols = np.array([e[1] for e in entries])
        out[:, rows, cols] = values
    return out


def krawczyk_float(system: SupportSystem, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Krawczyk test on boxes ``(B, dim)`` in floating point, all at once.

    Returns per box the verdict (:data:`UNIQUE`, :data:`EMPTY` or :data:`UNKNOWN`) and the preconditioner
    ``Y`` (the inverse Jacobian at the box's midpoint).  The Jacobian's enclosure is rigorous and the formula's
    rounding is bounded a priori (Higham's ``gamma_n``), so :data:`EMPTY` is rigorous; :data:`UNIQUE` is
    confirmed in rational arithmetic by :func:`krawczyk_exact` before a root is reported.  Boxes whose midpoint
    Jacobian is singular or has a condition number above 1e10 are :data:`UNKNOWN`: no certificate could follow.
    """
    count, dim = lo.shape
    verdicts = np.full(count, UNKNOWN, dtype=object)
    inverses = np.zeros((count, dim, dim))
    if count == 0:
        return verdicts, inverses
    mid = (lo + hi) / 2
    system.jacobian_entries()
    polys = system.jacobian_polys
    jac = _scatter(system, system.evaluate(polys, mid)) if polys else np.zeros((count, dim, dim))
    det = np.linalg.det(jac)
    ok = np.isfinite(det) & (det != 0)
    if not ok.any():
        return verdicts, inverses
    inverses[ok] = np.linalg.inv(jac[ok])
    condition = np.abs(inverses).sum(axis=2).max(axis=1) * np.abs(jac).sum(axis=2).max(axis=1)
    ok &= np.isfinite(condition) & (condition < 1e10)
    if not ok.any():
        return verdicts, inverses
    y, lo, hi, mid = inverses[ok], lo[ok], hi[ok], mid[ok]
    value, value_error = system.evaluate_with_error(system.equations, mid, bound=True)
    if polys:
        low, high = system.ranges(polys, lo, hi)  # rigorous enclosures of the Jacobian over each box
        jlo, jhi = _scatter(system, low), _scatter(system, high)
    else:
        jlo = jhi = np.zeros_like(y)
    # G = I - Y J(X): products Y[k, e] * [jlo, jhi][e, l], summed over e
    a, b = y[:, :, :, None] * jlo[:, None, :, :], y[:, :, :, None] * jhi[:, None, :, :]
    glo = np.eye(dim) - np.maximum(a, b).sum(axis=2)
    ghi = np.eye(dim) - np.minimum(a, b).sum(axis=2)
    dlo, dhi = (lo - mid)[:, None, :], (hi - mid)[:, None, :]
    products = np.stack([glo * dlo, glo * dhi, ghi * dlo, ghi * dhi])
    center = mid - np.einsum("bij,bj->bi", y, value)
    klo = center + products.min(axis=0).sum(axis=2)
    khi = center + products.max(axis=0).sum(axis=2)
    # a rigorous bound on the rounding in the lines above (Higham's gamma_n times the sum of the magnitudes
    # of every term), plus the propagated error of F(m); this makes an EMPTY verdict rigorous
    g_abs = 1.0 + np.maximum(np.abs(a), np.abs(b)).sum(axis=2)
    d_abs = np.maximum(np.abs(dlo), np.abs(dhi))
    magnitude = (
        np.abs(mid)
        + np.einsum("bij,bj->bi", np.abs(y), np.abs(value) + value_error)
        + (g_abs * d_abs).sum(axis=2)
    )
    operations = 4 * dim + 20
    slack = operations * 2.0**-53 / (1 - operations * 2.0**-53) * magnitude
    slack += np.einsum("bij,bj->bi", np.abs(y), value_error)
    unique = ((klo > lo + slack) & (khi < hi - slack)).all(axis=1)
    empty = ((khi + slack < lo) | (klo - slack > hi)).any(axis=1)
    sub = np.full(len(y), UNKNOWN, dtype=object)
    sub[empty] = EMPTY
    sub[unique] = UNIQUE
    verdicts[ok] = sub
    return verdicts, inverses


def krawczyk_exact(
    system: SupportSystem, lo: list[Fraction], hi: list[Fraction], preconditioner: np.ndarray
) -> tuple[str, list[Fraction], list[Fraction]]:
    """The Krawczyk test in rational arithmetic on the box ``[lo, hi]`` with ``m`` its midpoint.

    Returns the verdict (:data:`UNIQUE`, :data:`EMPTY` or :data:`UNKNOWN`) and the box ``K(X)``.
    """
    dim = system.dim
    mid = [(a + b) / 2 for a, b in zip(lo, hi)]
    scale = system.scale
    # Y was computed for the scaled float system: in payoff units it is Y / scale
    y = [[Fraction(float(v)) / scale for v in row] for row in preconditioner]
    value = system.evaluate_exact(system.equations, mid)
    entries = system.jacobian_entries()
    ranges = system.ranges_exact([e[2] for e in entries], lo, hi)
    # G = I - Y J(X): accumulate the interval sum over the structurally nonzero Jacobian entries
    glo = [[Fraction(int(k == col)) for col in range(dim)] for k in range(dim)]
    ghi = [row[:] for row in glo]
    for (row, col, _), (jlo, jhi) in zip(entries, ranges):
        for k in range(dim):
            coefficient = y[k][row]
            if coefficient == 0:
                continue
            a, b = coefficient * jlo, coefficient * jhi
            glo[k][col] -= max(a, b)
            ghi[k][col] -= min(a, b)
    klo, khi = [], []
    for k in range(dim):
        center = mid[k] - sum((y[k][e] * value[e] for e in range(dim)), Fraction(0))
        low = high = center
        for col in range(dim):
            dlo, dhi = lo[col] - mid[col], hi[col] - mid[col]
            products = (glo[k][col] * dlo, glo[k][col] * dhi, ghi[k][col] * dlo, ghi[k][col] * dhi)
            low += min(products)
            high += max(products)
        klo.append(low)
        khi.append(high)
    if all(a < c and d < b for a, b, c, d in zip(lo, hi, klo, khi)):
        return UNIQUE, klo, khi
    if any(d < a or c > b for a, b, c, d in zip(lo, hi, klo, khi)):
        return EMPTY, klo, khi
    return UNKNOWN, klo, khi
