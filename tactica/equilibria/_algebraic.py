"""Exact analysis of a support system the subdivision could not decide (SymPy Groebner bases).

Reached only for supports whose system is singular somewhere in the probability box: a multiple root, or a
curve or surface of solutions.  A Groebner basis over the rationals (Buchberger's algorithm in SymPy) decides
which:

* the basis is ``[1]``: no solution at all;
* zero-dimensional: finitely many solutions, computed exactly (``solve_poly_system``), each checked as an
  equilibrium (exact arithmetic when rational, 40-digit evaluation of the exact algebraic numbers otherwise);
* dimension ``k >= 1`` (read off the leading monomials: the largest set of variables none of which's products
  is a leading monomial): the equilibria with this support are not isolated.  Points of it that are equilibria
  are found from the undecided boxes (projected onto the solution set by Gauss-Newton, then rounded to simple
  fractions and checked exactly, or, failing that, by fixing ``k`` free coordinates at fractions and solving
  the zero-dimensional rest exactly) and reported as witnesses of a :class:`Component`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations, product

import numpy as np

from tactica.equilibria._exact import lp_max
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.polynomial import Component, exact_equilibrium, float_equilibrium
from tactica.equilibria.solution import Equilibrium
from tactica.equilibria.support_system import BlockPolynomial, SupportSystem

__all__ = ["SupportAnalysis", "analyse_support", "MAX_EXACT_DIM"]

#: Larger systems are left unresolved rather than risk a Groebner basis that does not finish.
MAX_EXACT_DIM = 8
_DIGITS = 40


@dataclass
class SupportAnalysis:
    """What :func:`analyse_support` established about one support."""

    equilibria: list[Equilibrium] = field(default_factory=list)
    component: Component | None = None
    unresolved: str = ""


def _sympy_poly(system: SupportSystem, poly: BlockPolynomial, gens: list):
    import sympy

    terms: dict[tuple[int, ...], object] = {}
    for index in product(*(range(system.block_sizes[b]) for b in poly.axes)):
        coefficient = poly.exact[index] if poly.axes else poly.exact[()]
        if coefficient == 0:
            continue
        exponent = [0] * system.dim
        for block, t in zip(poly.axes, index):
            if t:
                exponent[system.slices[block].start + t - 1] = 1
        key = tuple(exponent)
        terms[key] = terms.get(key, 0) + sympy.Rational(
            Fraction(coefficient).numerator, Fraction(coefficient).denominator
        )
    return sympy.Poly.from_dict(terms, *gens, domain="QQ") if terms else None


def dimension(basis, gens) -> int:
    """Krull dimension of the ideal from the leading monomials of a Groebner basis (any degree order)."""
    leading = [tuple(i for i, e in enumerate(p.monoms(order=basis.order)[0]) if e) for p in basis.polys]
    for size in range(len(gens), -1, -1):
        for subset in combinations(range(len(gens)), size):
            chosen = set(subset)
            if not any(set(lm) <= chosen for lm in leading):
                return size
    return 0


def analyse_support(
    game: NormalFormGame, system: SupportSystem, undecided: list[tuple[np.ndarray, np.ndarray]]
) -> SupportAnalysis:
    """Decide a singular support exactly (see the module docstring)."""
    if system.dim > MAX_EXACT_DIM:
        return SupportAnalysis(
            unresolved=f"singular system in {system.dim} unknowns: too large for exact analysis"
        )
    import sympy

    linear = _linear_support(game, system)
    if linear is not None:
        return linear
    gens = list(sympy.symbols(f"y0:{system.dim}"))
    polys = [p for p in (_sympy_poly(system, e, gens) for e in system.equations) if p is not None]
    if polys:
        basis = sympy.groebner(polys, *gens, order="grevlex", domain="QQ")
        if list(basis.exprs) == [1]:
            return SupportAnalysis()
        dim = dimension(basis, gens)
    else:
        basis, dim = None, system.dim
    if dim == 0:
        return SupportAnalysis(equilibria=_isolated_points(game, system, [p.as_expr() for p in polys], gens))
    witnesses = _witnesses(game, system, polys, gens, undecided, basis, dim)
    if not witnesses:
        return SupportAnalysis(
            unresolved=f"solution set of dimension {dim}; no equilibrium found on it (not proven to have none)"
        )
    component = Component(
        support=system.supports,
        dimension=dim,
        witnesses=tuple(witnesses),
        note="dimension from a Groebner basis over the rationals",
    )
    return SupportAnalysis(component=component)


def _affine_form(system: SupportSystem, poly: BlockPolynomial) -> tuple[list[Fraction], Fraction] | None:
    """``(a, c)`` with ``poly(y) = a . y + c`` exactly, or ``None`` if ``poly`` has a product term."""
    coefficients = [Fraction(0)] * system.dim
    constant = Fraction(0)
    for index in product(*(range(system.block_sizes[b]) for b in poly.axes)):
        value = Fraction(poly.exact[index] if poly.axes else poly.exact[()])
        if value == 0:
            continue
        used = [(block, t) for block, t in zip(poly.axes, index) if t]
        if not used:
            constant += value
        elif len(used) == 1:
            block, t = used[0]
            coefficients[system.slices[block].start + t - 1] += value
        else:
            return None
    return coefficients, constant


def _linear_support(game: NormalFormGame, system: SupportSystem) -> SupportAnalysis | None:
    """Exact linear programming when every equation and inequality is affine (e.g. one mixed player).

    The equilibria with this support are then the polyhedron ``P = {A y = b, G y <= h, probabilities >= 0}``
    minus its points with a zero support probability.  Maximising ``tau``, a lower bound on every support
    probability, over ``P`` (exact simplex method) decides whether any remain (``tau* > 0``).  Inequalities
    that are 0 on the whole of ``P`` are implicit equalities, and ``P`` has dimension ``dim - rank`` of all
    equalities.  Dimension 0: one isolated equilibrium; more: a :class:`Component`, with the maximiser (a
    point where every support probability is at least ``tau*``) as witness.
    """
    equations = [_affine_form(system, e) for e in system.equations]
    inequalities = [_affine_form(system, e) for e in system.inequalities]
    if any(f is None for f in equations + inequalities):
        return None
    d = system.dim
    zero = Fraction(0)
    # variables x = (y, tau) >= 0; every constraint as a row of "row . x <= bound"
    rows: list[list[Fraction]] = []
    bounds: list[Fraction] = []
    for coefficients, constant in equations:
        rows += [coefficients + [zero], [-c for c in coefficients] + [zero]]
        bounds += [-constant, constant]
    for coefficients, constant in inequalities:
        rows.append(coefficients + [zero])
        bounds.append(-constant)
    polyhedron = len(rows)
    for sl in system.slices:
        for t in range(sl.start, sl.stop):  # tau <= y_t
            row = [zero] * (d + 1)
            row[t], row[d] = Fraction(-1), Fraction(1)
            rows.append(row)
            bounds.append(zero)
        row = [Fraction(int(sl.start <= t < sl.stop)) for t in range(d)] + [Fraction(1)]  # tau <= 1 - sum y
        rows.append(row)
        bounds.append(Fraction(1))
        row = [Fraction(int(sl.start <= t < sl.stop)) for t in range(d)] + [zero]  # 1 - sum y >= 0
        rows.append(row)
        bounds.append(Fraction(1))
    status, best, point = lp_max([zero] * d + [Fraction(1)], rows, bounds)
    if status != "optimal" or best <= 0:
        return SupportAnalysis()  # no point with every support probability positive
    # implicit equalities of P (tau plays no part: its column is zero in these rows)
    tight = [f[0] for f in equations]
    for coefficients, constant in inequalities:
        _, top, _ = lp_max([-c for c in coefficients] + [zero], rows[:polyhedron] + rows[polyhedron:], bounds)
        if top is not None and top - constant == 0:
            tight.append(coefficients)
    dimension = d - _rank(tight)
    eq = _exact_witness(game, system, point[:d])
    if eq is None:  # a feasible point with tau* > 0 is an equilibrium; a guard against a solver fault
        return SupportAnalysis(unresolved="linear program gave a point that is not an equilibrium")
    if dimension == 0:
        return SupportAnalysis(equilibria=[eq])
    component = Component(
        support=system.supports,
        dimension=dimension,
        witnesses=(eq,),
        note="polyhedron of equilibria (affine system, exact linear programming)",
    )
    return SupportAnalysis(component=component)


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank of a Fraction matrix by exact Gaussian elimination."""
    matrix = [list(r) for r in rows]
    rank = 0
    columns = len(matrix[0]) if matrix else 0
    for c in range(columns):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][c] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][c] != 0:
                f = matrix[r][c] / matrix[rank][c]
                matrix[r] = [a - f * b for a, b in zip(matrix[r], matrix[rank])]
        rank += 1
    return rank


def _isolated_points(
    game: NormalFormGame, system: SupportSystem, exprs: list, gens: list
) -> list[Equilibrium]:
    import sympy

    found = []
    solutions = sympy.solve_poly_system(exprs, *gens) if exprs else [()]
    for solution in solutions or []:
        eq = _solution_equilibrium(game, system, list(solution))
        if eq is not None:
            found.append(eq)
    return found


def _exact_witness(game: NormalFormGame, system: SupportSystem, point: list[Fraction]) -> Equilibrium | None:
    """An exact equilibrium at a rational root if every support probability is positive."""
    profile = system.exact_probabilities(point)
    if any(profile[j][s] <= 0 for j, support in enumerate(system.supports) for s in support):
        return None
    return exact_equilibrium(game, profile, "polynomial", support=system.supports)


def _algebraic_point(game: NormalFormGame, system: SupportSystem, values: list) -> Equilibrium | None:
    """An equilibrium at an irrational (algebraic) root, its signs read from 40-digit evaluations."""
    point = np.array([float(v.evalf(_DIGITS)) for v in values])
    tiny = 1e-30
    for sigma, support in zip(system.probabilities(point[None, :]), system.supports):
        if any(sigma[0][s] <= tiny for s in support):
            return None
    if system.inequalities:
        high = [Fraction(str(v.evalf(_DIGITS))) for v in values]
        if max(system.evaluate_exact(system.inequalities, high)) > Fraction(1, 10**20) * system.scale:
            return None
    residual = max((abs(v) for v in system.evaluate(system.equations, point[None, :])[0]), default=0.0)
    return float_equilibrium(
        game, system, point, "algebraic (Groebner basis)", residual=float(residual) * float(system.scale)
    )


def _solution_equilibrium(game: NormalFormGame, system: SupportSystem, values: list) -> Equilibrium | None:
    """An exact solution (SymPy numbers per coordinate) as an equilibrium: exact if rational, else algebraic."""
    if any(v is None or not v.is_real for v in values):
        return None
    if all(v.is_Rational for v in values):
        return _exact_witness(game, system, [Fraction(int(v.p), int(v.q)) for v in values])
    return _algebraic_point(game, system, values)


def _project(system: SupportSystem, start: np.ndarray) -> np.ndarray | None:
    """Gauss-Newton from ``start`` onto the solution set (least-squares steps: the Jacobian may be singular)."""
    y = start.copy()
    for _ in range(60):
        residual = system.evaluate(system.equations, y[None, :])[0]
        if np.abs(residual).max() < 1e-14:
            return y
        step = np.linalg.lstsq(system.jacobian(y), residual, rcond=None)[0]
        y = y - step
        if not np.isfinite(y).all():
            return None
    return y if np.abs(system.evaluate(system.equations, y[None, :])[0]).max() < 1e-12 else None


def _simple_fraction(value: float) -> list[Fraction]:
    return [Fraction(value).limit_denominator(10**k) for k in range(1, 8)]


def _witnesses(game, system, polys, gens, undecided, basis, dim) -> list[Equilibrium]:
    import sympy

    centres = [(lo + hi) / 2 for lo, hi in undecided]
    order = np.argsort([c.sum() for c in centres])
    picked = [centres[k] for k in order[:: max(1, len(order) // 8)]][:8]
    found: list[Equilibrium] = []
    seen: set = set()
    for centre in picked:
        point = _project(system, centre) if polys else centre
        if point is None:
            continue
        for k in range(7):  # simplest fractions first
            rational = [_simple_fraction(v)[k] for v in point]
            if all(v == 0 for v in system.evaluate_exact(system.equations, rational)):
                eq = _exact_witness(game, system, rational)
                if eq is not None and eq.exact_profile not in seen:
                    seen.add(eq.exact_profile)
                    found.append(eq)
                    break
        if found:
            continue
        # fix `dim` free coordinates at simple fractions and solve the zero-dimensional rest exactly
        free = _free_coordinates(basis, gens, dim)
        fixed = {gens[u]: sympy.Rational(str(_simple_fraction(point[u])[2])) for u in free}
        exprs = [p.as_expr().subs(fixed) for p in polys]
        rest = [g for k, g in enumerate(gens) if k not in free]
        try:
            solutions = sympy.solve_poly_system([e for e in exprs if e != 0], *rest) if rest else [()]
        except (NotImplementedError, sympy.PolynomialError):
            continue
        for solution in solutions or []:
            values = dict(zip(rest, solution))
            eq = _solution_equilibrium(game, system, [fixed.get(g, values.get(g)) for g in gens])
            if eq is not None:
                found.append(eq)
                break
    return found


def _free_coordinates(basis, gens, dim) -> list[int]:
    """A maximal independent set of variables (size ``dim``) read from the leading monomials."""
    if basis is None:
        return list(range(len(gens)))
    leading = [tuple(i for i, e in enumerate(p.monoms(order=basis.order)[0]) if e) for p in basis.polys]
    for subset in combinations(range(len(gens)), dim):
        if not any(set(lm) <= set(subset) for lm in leading):
            return list(subset)
    return list(range(dim))
