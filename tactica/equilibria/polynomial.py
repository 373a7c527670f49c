"""All Nash equilibria of small ``n``-player games: support enumeration with each support's polynomial system.

For every support profile (one nonempty strategy set per player, smallest first as in Porter, Nudelman &
Shoham 2008) the equilibria with exactly those supports are the roots of a square polynomial system in the
open region where all support probabilities are positive, subject to the best-response inequalities (see
:mod:`tactica.equilibria.support_system`).  Gambit's ``enumpoly`` solves the same systems; we solve them as
follows:

1. *Prune* supports with a strategy that another strategy beats against the others' supports (conditional
   weak dominance, with one strict inequality: then it beats it against every profile using those supports).
2. *Subdivide* the box of probabilities: a box is discarded when an equation's exact range (attained at box
   vertices, the system being affine in each player's block) excludes 0, when an inequality is violated on the
   whole box, or when the box misses the simplex; a box is kept whole when the Krawczyk test shows it holds
   exactly one root; otherwise it is bisected.  Exclusions use floating point with a rigorous rounding bound;
   every root is certified by the Krawczyk test again in rational arithmetic.
3. *Certify* each root: a rational root (recognised by rounding its Newton-refined value to fractions with
   denominators up to 10^7 and checking the system exactly) gives an exact equilibrium with regret exactly 0;
   an irrational root is reported with its certified enclosure (width ~1e-12 or less), the system's residual
   at the reported point, and a regret below 1e-12 of the payoff range; its support probabilities and
   best-response inequalities are checked on the whole enclosure.
4. A support whose boxes neither shrink to certified roots nor get discarded (a singular root or a curve or
   surface of solutions) is analysed exactly: a Groebner basis (SymPy) gives the dimension of its solution
   set.  Positive dimension means the equilibria with that support are *not isolated*; the support is reported
   as a :class:`Component` with its dimension and the equilibria found on it.  Dimension 0 with a singular
   root: the root is isolated and is computed from the Groebner basis.

The number of support profiles is ``prod_i (2^(A_i) - 1)``; :func:`polynomial_equilibria` refuses games
above ``max_supports`` before doing any work, with the estimate in the message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations, product

import numpy as np

from tactica.equilibria.games import NormalFormGame, to_fraction
from tactica.equilibria.krawczyk import EMPTY, UNIQUE, UNKNOWN, krawczyk_exact, krawczyk_float, newton
from tactica.equilibria.pure import pure_equilibria
from tactica.equilibria.solution import Equilibrium, sort_equilibria
from tactica.equilibria.support_system import SupportSystem

__all__ = [
    "Component",
    "PolynomialResult",
    "SizeGuardError",
    "estimate_supports",
    "polynomial_equilibria",
]

#: CPU seconds per support profile, for the size guard's estimate: 0.6 ms (8x2x2), 1.4 ms (3x3x3), 1.6 ms
#: (2x2x2x2x2), 3.8 ms (5x4x3) measured on Gambit's catalog games.
SECONDS_PER_SUPPORT = 2e-3
#: Default refusal threshold on the number of support profiles.
MAX_SUPPORTS = 50_000

_PAD = 2.0**-20  # the search box reaches slightly past [0, 1] so that roots on the boundary are interior
_MIN_WIDTH = 2.0**-20  # boxes this small that are still undecided mark a singular or non-isolated support
_MAX_UNDECIDED = 32
_SPLIT = 0.4826171875  # an off-centre split fraction (a dyadic rational, so the split is exact)
_KRAWCZYK_WIDTH = 0.25  # boxes this small get the Krawczyk test
_INFLATE_WIDTH = 2.0**-8  # undecided boxes this small are retried inside a box three times as wide
_MAX_BOXES = 200_000
_BATCH = 256
_ACCEPT = 1e-12  # relative slack for probabilities / inequalities on an irrational root's enclosure


class SizeGuardError(ValueError):
    """The game has too many support profiles to enumerate; the message gives the estimate."""


@dataclass(frozen=True)
class Component:
    """Equilibria that are not isolated: the solutions with this support form a set of positive dimension.

    Attributes:
        support: the strategy indices each player uses.
        dimension: the dimension of the support system's solution set (Groebner basis over the rationals).
        witnesses: equilibria found on it (exact when rational), possibly none.
        note: how it was established.
    """

    support: tuple[tuple[int, ...], ...]
    dimension: int
    witnesses: tuple[Equilibrium, ...]
    note: str = ""


@dataclass
class PolynomialResult:
    """The outcome of :func:`polynomial_equilibria`.

    Attributes:
        equilibria: every equilibrium that is isolated among those with the same support (what Gambit's
            ``enumpoly`` lists), certified, sorted.  One that also lies on the closure of a component (it
            satisfies that component's equations and inequalities, e.g. a segment's end point) carries
            ``info["in_component"]``, the component's index: it is not isolated in the game.
        components: supports whose equilibria form a set of positive dimension.
        unresolved: supports the method could not decide, each with the reason (empty when the answer is
            complete).
        supports_total / supports_solved: support profiles in the game / that reached the polynomial solver
            (the rest were pruned by dominance or are pure).
        seconds: CPU time.
    """

    equilibria: list[Equilibrium]
    components: list[Component] = field(default_factory=list)
    unresolved: list[tuple[tuple[tuple[int, ...], ...], str]] = field(default_factory=list)
    supports_total: int = 0
    supports_solved: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Whether every support was decided."""
        return not self.unresolved


def estimate_supports(num_actions: tuple[int, ...]) -> int:
    """``prod_i (2^(A_i) - 1)``: the number of support profiles."""
    total = 1
    for m in num_actions:
        total *= 2**m - 1
    return total


def _support_profiles(num_actions: tuple[int, ...]):
    """Support profiles with at least one mixed player, smallest total size first, then most balanced."""
    per_player = [
        [subset for size in range(1, m + 1) for subset in combinations(range(m), size)] for m in num_actions
    ]
    profiles = [p for p in product(*per_player) if any(len(s) > 1 for s in p)]
    profiles.sort(key=lambda p: (sum(len(s) for s in p), max(map(len, p)) - min(map(len, p))))
    return profiles


def _exact_tensor(game: NormalFormGame) -> np.ndarray:
    if game.exact is not None:
        return game.exact
    return np.vectorize(to_fraction, otypes=[object])(game.payoffs)


def _dominated(game: NormalFormGame, exact: np.ndarray, supports: tuple[tuple[int, ...], ...]) -> bool:
    """Whether some support strategy ``s`` of a player is weakly dominated against the others' supports.

    If another strategy ``t`` earns at least as much as ``s`` against every pure profile of ``S_-i`` and more
    against one, it earns strictly more against every profile that uses all of ``S_-i`` with positive
    probability, so ``s`` is never a best response there and no equilibrium has these supports.  Floats
    screen; the exact payoffs decide (two payoffs a rounding apart must not look tied).
    """
    n = game.num_players
    for i in range(n):
        index = tuple(range(game.num_actions[i]) if j == i else supports[j] for j in range(n))
        values = np.moveaxis(game.payoffs[i][np.ix_(*index)], i, 0).reshape(game.num_actions[i], -1)
        for s in supports[i]:
            candidates = np.flatnonzero((values >= values[s]).all(axis=1) & (values > values[s]).any(axis=1))
            if len(candidates) == 0:
                continue
            exact_values = np.moveaxis(exact[i][np.ix_(*index)], i, 0).reshape(game.num_actions[i], -1)
            for t in candidates:
                difference = [a - b for a, b in zip(exact_values[t], exact_values[s])]
                if all(v >= 0 for v in difference) and any(v > 0 for v in difference):
                    return True
    return False


def polynomial_equilibria(
    game: NormalFormGame,
    *,
    max_supports: int = MAX_SUPPORTS,
    exact_analysis: bool = True,
) -> PolynomialResult:
    """Every Nash equilibrium of an ``n``-player game, by support enumeration and certified polynomial solving.

    Args:
        game: any :class:`NormalFormGame` (exact payoffs are used; float payoffs are read as their shortest
            decimals).
        max_supports: refuse (:class:`SizeGuardError`) games with more support profiles than this.
        exact_analysis: analyse singular supports with a Groebner basis (SymPy); without it they are listed
            in :attr:`PolynomialResult.unresolved`.

    Returns:
        A :class:`PolynomialResult`: the isolated equilibria (exact ones with ``exact_profile`` and regret 0,
        irrational ones with their certificate in ``info``), the non-isolated components, and anything left
        undecided.
    """
    total = estimate_supports(game.num_actions)
    if total > max_supports:
        shape = "x".join(map(str, game.num_actions))
        raise SizeGuardError(
            f"support enumeration on a {shape} game would examine {total:.3g} support profiles "
            f"(about {total * SECONDS_PER_SUPPORT:.3g} CPU seconds at ~{SECONDS_PER_SUPPORT * 1e3:.0f} ms "
            f"each); the limit is max_supports={max_supports}"
        )
    start = time.process_time()
    exact = _exact_tensor(game)
    low, high = min(exact.flat), max(exact.flat)
    scale = Fraction(high - low) if high > low else Fraction(1)
    found = list(pure_equilibria(game))
    rng = np.random.default_rng(0)
    result = PolynomialResult(equilibria=[], supports_total=total)
    for supports in _support_profiles(game.num_actions):
        if _dominated(game, exact, supports):
            continue
        result.supports_solved += 1
        system = SupportSystem(exact, supports, scale)
        roots, undecided, reason = _subdivide(system, certify=_generic_rank(system, rng) == system.dim)
        for root in roots:
            eq = _certify(game, system, root)
            if eq is not None:
                found.append(eq)
        if undecided:
            if exact_analysis:
                from tactica.equilibria._algebraic import analyse_support

                outcome = analyse_support(game, system, undecided)
                found.extend(outcome.equilibria)
                if outcome.component is not None:
                    result.components.append(outcome.component)
                if outcome.unresolved:
                    result.unresolved.append((supports, outcome.unresolved))
            else:
                result.unresolved.append((supports, reason))
    result.equilibria = [_mark_component(eq, exact, scale, result.components) for eq in _deduplicate(found)]
    result.seconds = time.process_time() - start
    return result


def _mark_component(
    eq: Equilibrium, exact: np.ndarray, scale: Fraction, components: list[Component]
) -> Equilibrium:
    """Flag an exact equilibrium that satisfies a component's equations and inequalities (an end point or
    other boundary point of that component): it is isolated among equilibria with its own support, not in the
    game."""
    if eq.exact_profile is None or not components:
        return eq
    for number, component in enumerate(components):
        if any(
            p > 0 and k not in support
            for row, support in zip(eq.exact_profile, component.support)
            for k, p in enumerate(row)
        ):
            continue
        system = SupportSystem(exact, component.support, scale)
        point = [eq.exact_profile[j][t] for j in system.blocks for t in component.support[j][1:]]
        if any(v != 0 for v in system.evaluate_exact(system.equations, point)):
            continue
        if any(v > 0 for v in system.evaluate_exact(system.inequalities, point)):
            continue
        eq.info["in_component"] = number
        break
    return eq


# ------------------------------------------------------------------------------------------------ subdivision
def _generic_rank(system: SupportSystem, rng: np.random.Generator) -> int:
    """The Jacobian's rank at random points: below ``dim``, every root is singular (none can be certified)."""
    if system.dim == 0:
        return 0
    points = rng.dirichlet(np.ones(2), size=(3, system.dim))[:, :, 0] * 0.9 + 0.05
    return max(int(np.linalg.matrix_rank(system.jacobian(p), tol=1e-9)) for p in points)


def _subdivide(
    system: SupportSystem, certify: bool = True
) -> tuple[list[tuple], list[tuple[np.ndarray, np.ndarray]], str]:
    """Split the probability box until every piece is discarded or holds one certified root.

    Returns the certified roots ``(float point, exact enclosure lo, hi)``, the undecided boxes and why the
    search stopped early (empty when it did not).  ``certify=False`` (a Jacobian singular everywhere) only
    discards boxes and collects the undecided ones.
    """
    d = system.dim
    stack = [(np.full(d, -_PAD), np.full(d, 1.0 + _PAD))]
    roots: list[tuple] = []
    undecided: list[tuple[np.ndarray, np.ndarray]] = []
    processed = 0
    while stack:
        batch = stack[-_BATCH:]
        del stack[-_BATCH:]
        processed += len(batch)
        lo = np.array([b[0] for b in batch])
        hi = np.array([b[1] for b in batch])
        keep = _survivors(system, lo, hi)
        lo, hi = lo[keep], hi[keep]
        width = (hi - lo).max(axis=1) if len(lo) else np.zeros(0)
        settled = np.zeros(len(lo), dtype=bool)
        if certify and len(lo):
            settled |= _krawczyk_settle(system, lo, hi, width <= _KRAWCZYK_WIDTH, roots)
            # a root on a box face is in no box's interior: retry small boxes grown to three times their width
            small = ~settled & (width <= _INFLATE_WIDTH)
            grow = (hi - lo) * small[:, None]
            settled |= _krawczyk_settle(system, lo - grow, hi + grow, small, roots)
        for k in np.flatnonzero(~settled):
            box_lo, box_hi = lo[k], hi[k]
            if width[k] < _MIN_WIDTH:
                undecided.append((box_lo, box_hi))
                if len(undecided) >= _MAX_UNDECIDED:
                    return roots, undecided + stack, "too many undecided boxes (singular or non-isolated)"
                continue
            axis = int((box_hi - box_lo).argmax())
            # split off-centre, so that simple rationals (1/2, 1/3...) do not land on box faces
            middle = box_lo[axis] + _SPLIT * (box_hi[axis] - box_lo[axis])
            upper_lo = box_lo.copy()
            upper_lo[axis] = middle
            lower_hi = box_hi.copy()
            lower_hi[axis] = middle
            stack.append((upper_lo, box_hi))
            stack.append((box_lo, lower_hi))
        if processed > _MAX_BOXES:
            return roots, undecided + stack, f"more than {_MAX_BOXES} boxes"
    return roots, undecided, "undecided boxes (singular or non-isolated)" if undecided else ""


def _krawczyk_settle(
    system: SupportSystem, lo: np.ndarray, hi: np.ndarray, tried: np.ndarray, roots: list
) -> np.ndarray:
    """Which of the ``tried`` boxes the Krawczyk test settles (no root: rigorous float bound; one root:
    confirmed in rational arithmetic).

    A box with exactly one root adds it to ``roots`` (duplicates from neighbouring boxes are merged later).
    """
    settled = np.zeros(len(lo), dtype=bool)
    index = np.flatnonzero(tried)
    if len(index) == 0:
        return settled
    verdicts, inverses = krawczyk_float(system, lo[index], hi[index])
    for k, verdict, inverse in zip(index, verdicts, inverses):
        if verdict == EMPTY:  # rigorous in floating point (see krawczyk_float)
            settled[k] = True
            continue
        if verdict == UNKNOWN:
            continue
        exact_lo = [Fraction(v) for v in lo[k]]
        exact_hi = [Fraction(v) for v in hi[k]]
        confirmed, klo, khi = krawczyk_exact(system, exact_lo, exact_hi, inverse)
        if confirmed == UNIQUE:
            roots.append(_enclose(system, lo[k], hi[k], klo, khi))
        settled[k] = confirmed != UNKNOWN
    return settled


def _survivors(system: SupportSystem, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Boxes not excluded by the simplex, an equation's range or an inequality (rigorous float bounds)."""
    keep = np.ones(len(lo), dtype=bool)
    for sl in system.slices:
        keep &= lo[:, sl].sum(axis=1) <= 1.0 + _PAD * (sl.stop - sl.start + 1)
        keep &= (hi[:, sl] >= 0.0).all(axis=1)
    if not keep.any():
        return keep
    low, high = system.ranges(system.equations, lo[keep], hi[keep])
    inside = ((low <= 0.0) & (high >= 0.0)).all(axis=1)
    if system.inequalities and inside.any():
        ilow, _ = system.ranges(system.inequalities, lo[keep][inside], hi[keep][inside])
        inside[inside] = (ilow <= 0.0).all(axis=1)
    keep[keep] = inside
    return keep


def _enclose(system: SupportSystem, lo: np.ndarray, hi: np.ndarray, klo: list, khi: list) -> tuple:
    """Refine the unique root of a box by Newton's method and certify a tight enclosure of it."""
    box_lo = [max(Fraction(a), b) for a, b in zip(lo, klo)]
    box_hi = [min(Fraction(a), b) for a, b in zip(hi, khi)]
    y, converged = newton(system, np.array([float((a + b) / 2) for a, b in zip(box_lo, box_hi)]))
    inside = converged and all(float(a) <= v <= float(b) for a, v, b in zip(box_lo, y, box_hi))
    if inside:
        try:
            inverse = np.linalg.inv(system.jacobian(y))
        except np.linalg.LinAlgError:
            inverse = None
        if inverse is not None:
            for radius in (1e-13, 1e-11, 1e-9, 1e-7):
                tight_lo = [max(a, Fraction(v - radius * max(1.0, abs(v)))) for a, v in zip(box_lo, y)]
                tight_hi = [min(b, Fraction(v + radius * max(1.0, abs(v)))) for b, v in zip(box_hi, y)]
                verdict, tlo, thi = krawczyk_exact(system, tight_lo, tight_hi, inverse)
                if verdict == UNIQUE:
                    return (
                        y,
                        [max(a, b) for a, b in zip(tight_lo, tlo)],
                        [min(a, b) for a, b in zip(tight_hi, thi)],
                    )
    else:
        y = np.array([float((a + b) / 2) for a, b in zip(box_lo, box_hi)])
    return y, box_lo, box_hi


# ------------------------------------------------------------------------------------------- certification
def _rational_root(system: SupportSystem, y: np.ndarray, lo: list, hi: list) -> list[Fraction] | None:
    """The root as exact fractions, if rounding to denominators up to 10^7 lands on an exact root in the box."""
    if system.dim == 0:
        return []
    candidate = [Fraction(float(v)).limit_denominator(10**7) for v in y]
    if not all(a <= q <= b for a, q, b in zip(lo, candidate, hi)):
        return None
    if any(v != 0 for v in system.evaluate_exact(system.equations, candidate)):
        return None
    return candidate


def exact_equilibrium(
    game: NormalFormGame, profile: list[list[Fraction]], method: str, **info
) -> Equilibrium | None:
    """An :class:`Equilibrium` for an exact profile if its exact regret is 0, else ``None``."""
    from tactica.equilibria.exploitability import certify_exact

    if any(p < 0 for row in profile for p in row):
        return None
    certificate = certify_exact(game, profile)
    if not certificate.is_equilibrium:
        return None
    return Equilibrium(
        profile=tuple(np.array([float(p) for p in row]) for row in profile),
        payoffs=np.array([float(u) for u in certificate.payoffs]),
        exact_profile=tuple(tuple(row) for row in profile),
        exact_payoffs=certificate.payoffs,
        epsilon=0.0,
        method=method,
        info={"certificate": "exact", **info},
    )


def _certify(game: NormalFormGame, system: SupportSystem, root: tuple) -> Equilibrium | None:
    y, lo, hi = root
    rational = _rational_root(system, y, lo, hi)
    if rational is not None:
        profile = system.exact_probabilities(rational)
        # a zero probability makes it a root of a smaller support's system: it is found (or shown to be part
        # of a component) there
        if any(profile[j][s] <= 0 for j, support in enumerate(system.supports) for s in support):
            return None
        return exact_equilibrium(game, profile, "polynomial", support=system.supports)
    return interval_equilibrium(game, system, y, lo, hi)


def interval_equilibrium(
    game: NormalFormGame, system: SupportSystem, y: np.ndarray, lo: list, hi: list, **info
) -> Equilibrium | None:
    """An irrational root with a certified enclosure ``[lo, hi]``: an equilibrium if its support probabilities
    are positive on the whole enclosure and no outside strategy does better on it (up to a 1e-12 relative
    slack: an outside strategy may tie exactly, which intervals cannot show)."""
    slack = Fraction(_ACCEPT)
    strict = True
    for sl in system.slices:
        # every support probability positive on the whole enclosure (a zero one belongs to a smaller support)
        if min([lo[sl.start + t] for t in range(sl.stop - sl.start)] + [1 - sum(hi[sl], Fraction(0))]) <= 0:
            return None
    if system.inequalities:
        worst = max(b for _, b in system.ranges_exact(system.inequalities, lo, hi))
        if worst >= 0:
            strict = False
            if worst > slack * system.scale:
                return None
    midpoint = [(a + b) / 2 for a, b in zip(lo, hi)]
    residual = max((abs(v) for v in system.evaluate_exact(system.equations, midpoint)), default=Fraction(0))
    return float_equilibrium(
        game,
        system,
        y,
        "krawczyk" if strict else "krawczyk (boundary within 1e-12)",
        enclosure_width=float(max((b - a for a, b in zip(lo, hi)), default=Fraction(0))),
        residual=float(residual),
        **info,
    )


def float_equilibrium(
    game: NormalFormGame, system: SupportSystem, point: np.ndarray, certificate: str, **info
) -> Equilibrium | None:
    """The :class:`Equilibrium` at a certified irrational root (reduced coordinates ``point``), or ``None`` if
    its measured regret exceeds 1e-12 of the payoff range (a guard: certification already implies less)."""
    from tactica.equilibria.exploitability import exploitability

    profile = [p[0] for p in system.probabilities(point[None, :])]
    report = exploitability(game, profile)
    if report.relative_epsilon > _ACCEPT:
        return None
    return Equilibrium(
        profile=tuple(profile),
        payoffs=np.array([p.payoff for p in report.players]),
        epsilon=report.epsilon,
        method="polynomial",
        info={"certificate": certificate, "support": system.supports, **info},
    )


def _deduplicate(found: list[Equilibrium]) -> list[Equilibrium]:
    """Exact equilibria by their fractions, the others by their floats to 1e-9 (exact ones win)."""
    exact: dict[tuple, Equilibrium] = {}
    approximate: list[Equilibrium] = []
    for eq in found:
        if eq.exact_profile is not None:
            exact.setdefault(eq.exact_profile, eq)
        else:
            approximate.append(eq)
    keys = {eq.key() for eq in exact.values()}
    kept = list(exact.values())
    for eq in approximate:
        if eq.key() not in keys:
            keys.add(eq.key())
            kept.append(eq)
    return sort_equilibria(kept)
