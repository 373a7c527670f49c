"""Vertex enumeration: all extreme Nash equilibria of a bimatrix game, degenerate or not.

With payoffs shifted to be positive, the best-response polytopes are
``P = {x >= 0 : B^T x <= 1}`` and ``Q = {y >= 0 : A y <= 1}``; label ``i`` of ``x`` means ``x_i = 0`` or (for
``m + j``) column ``j`` is a best response.  The equilibria are the completely labeled vertex pairs other
than ``(0, 0)``, normalised (Mangasarian 1964; von Stengel 2002, *Computing equilibria for two-person
games*).  Vertices come from Qhull (:class:`scipy.spatial.ConvexHull` of the polar points), labels from the
constraint residuals.  In a nondegenerate game only one polytope is enumerated: a simple vertex ``x`` of ``P``
has exactly ``m`` labels, so a partner ``y`` must carry the other ``n``, and those pin ``y`` down as the
solution of one square system; the systems of all vertices are solved in batches and the solutions inside
``Q`` are the partners.  Square games up to 4 x 4 skip Qhull altogether: all ``C(2n, n)`` label sets and
their complements are solved in one batch.  A degenerate (or ill-conditioned) game falls back on enumerating
both polytopes and matching their label bit masks.  Every matched pair is then refined from its binding
constraints and verified (exactly with ``exact=True``).  In a degenerate game the result is the set of extreme points of the
equilibrium components, which is what Gambit's ``enummixed`` lists.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

from tactica.equilibria._bimatrix import exact_matrices, refine_candidate
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium, sort_equilibria

__all__ = ["vertex_enumeration", "polytope_vertices"]


@lru_cache(maxsize=64)
def _negative_identity(d: int) -> np.ndarray:
    """``-I_d``, read-only (it is only ever copied into constraint matrices)."""
    out = -np.eye(d)
    out.flags.writeable = False
    return out


def polytope_vertices(payoff: np.ndarray, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of ``{z >= 0 : payoff^T z <= 1}`` (``payoff`` positive, one row per coordinate of ``z``).

    Returns ``(vertices (V, d), tight (V, d + c) bool)``: ``tight[v, i]`` for ``i < d`` means ``z_i = 0``, for
    ``i = d + j`` that constraint ``j`` is binding.  The origin is excluded; coincident vertices (Qhull lists a
    degenerate vertex once per incident simplex) are merged.
    """
    found = _hull_vertices(payoff, tol)
    assert found is not None  # merging never gives up
    return found[0], found[1]


def _facet_equations(points: np.ndarray) -> np.ndarray:
    """The facet equations ``(F, d + 1)`` of the convex hull of ``points`` (Qhull, option ``Qt``).

    Calls SciPy's Qhull wrapper directly: ``ConvexHull`` also builds simplices, neighbours and areas that
    are not needed here, which is a fifth of the hull's cost on the 6 x 6 games where the hull itself takes a
    tenth of a millisecond.  Falls back to ``ConvexHull`` if a SciPy release changes the private wrapper.
    """
    points = np.ascontiguousarray(points, dtype=np.double)
    try:
        from scipy.spatial import _qhull

        qhull = _qhull._Qhull(b"i", points, b"", required_options=b"Qt")
    except (ImportError, AttributeError, TypeError):
        from scipy.spatial import ConvexHull

        return ConvexHull(points).equations
    try:
        equations = qhull.get_simplex_facet_array()[2]
    finally:
        qhull.close()
    if equations.ndim != 2 or equations.shape[1] != points.shape[1] + 1:
        from scipy.spatial import ConvexHull

        return ConvexHull(points).equations
    return equations


def _hull_vertices(
    payoff: np.ndarray, tol: float = 1e-8, merge: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`polytope_vertices` plus the constraints ``normals . z <= offsets`` that the labels refer to.

    With ``merge=False`` a polytope that is not simple (a vertex without exactly ``d`` labels) gives ``None``
    instead: the fast paths need simple polytopes and skip the merging.
    """
    d, c = payoff.shape
    # half-spaces  normal . z <= offset:  -z_i <= 0  and  payoff[:, j] . z <= 1
    normals = np.concatenate((_negative_identity(d), payoff.T))
    offsets = _sign_then_payoff_offsets(d, c)
    if d == 1:
        # Qhull needs dimension >= 2: the 1-d polytope is the segment [0, 1 / max payoff]
        vertices = np.array([[1.0 / payoff[0].max()]])
    else:
        # polar duality around an interior point: each facet of the hull of the points normal_k / slack_k is
        # a vertex of the polytope (this is what Qhull's half-space mode does, minus its bookkeeping)
        center = 0.5 / payoff.sum(axis=0).max()
        slack = offsets - center * normals.sum(axis=1)
        equations = _facet_equations(normals / slack[:, None])  # facet: e[:d] . p + e[d] = 0, e[d] < 0
        vertices = center - equations[:, :d] / equations[:, d:]
        # drop the origin (always a vertex; every other vertex has a coordinate of at least 1 / (2 max payoff))
        vertices = vertices[vertices.max(axis=1) > 1e-12]
    # labels from residuals, not Qhull's facet lists: robust for degenerate vertices
    tight = np.abs(vertices @ normals.T - offsets) <= tol
    count = tight.sum(axis=1)
    if not merge:
        # a simple polytope: exactly d labels everywhere (more: a degenerate vertex; fewer: a vertex Qhull
        # placed off its constraints by more than ``tol``)
        return (vertices, tight, normals, offsets) if (count == d).all() else None
    if count.max(initial=0) > d:
        vertices, tight = _merge_degenerate(vertices, tight, count)
    return vertices, tight, normals, offsets


@lru_cache(maxsize=64)
def _sign_then_payoff_offsets(d: int, c: int) -> np.ndarray:
    """``(0 x d, 1 x c)``: the offsets of ``-z <= 0`` then ``payoff^T z <= 1`` (read-only)."""
    out = np.ones(d + c)
    out[:d] = 0.0
    out.flags.writeable = False
    return out


def _merge_degenerate(
    vertices: np.ndarray, tight: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the duplicates of degenerate vertices (more than ``d`` tight constraints).

    Qhull triangulates such a vertex into several coplanar facets, so only those rows can be duplicates:
    deduplicate them alone and keep the simple vertices as they are.
    """
    degenerate = np.flatnonzero(count > vertices.shape[1])
    scale = float(np.abs(vertices).max()) or 1.0
    _, first = np.unique(np.round(vertices[degenerate] / scale, 9), axis=0, return_index=True)
    keep = np.ones(len(vertices), dtype=bool)
    keep[degenerate] = False
    keep[degenerate[first]] = True
    return vertices[keep], tight[keep]


def _label_masks(tight: np.ndarray) -> list[int]:
    """Each row of a boolean label matrix as a Python int bit mask."""
    if tight.shape[1] <= 62:
        weights = np.left_shift(np.int64(1), np.arange(tight.shape[1], dtype=np.int64))
        return (tight.astype(np.int64) @ weights).tolist()
    return [sum(1 << int(k) for k in np.flatnonzero(row)) for row in tight]


def _complementary_pairs(x_tight: np.ndarray, y_tight: np.ndarray, m: int, n: int) -> list[tuple[int, int]]:
    """Index pairs whose label sets (boolean rows over labels ``0..m+n-1``) cover every label.

    A simple vertex of P has exactly ``m`` labels and one of Q exactly ``n``, so two simple vertices match iff
    their label sets are complements: a dictionary lookup.  Degenerate vertices (more labels) are matched
    against everything by brute force; there are few of them.
    """
    everything = (1 << (m + n)) - 1
    x_count, y_count = x_tight.sum(axis=1), y_tight.sum(axis=1)
    pairs: set[tuple[int, int]] = set()
    if m + n <= 62:
        x_masks, y_masks = np.array(_label_masks(x_tight)), np.array(_label_masks(y_tight))
        x_simple, y_simple = np.flatnonzero(x_count == m), np.flatnonzero(y_count == n)
        # simple-simple pairs: look each complement up in the sorted simple masks of Q
        order = y_simple[np.argsort(y_masks[y_simple], kind="stable")]
        sorted_masks = y_masks[order]
        wanted = np.int64(everything) ^ x_masks[x_simple]
        lo = np.searchsorted(sorted_masks, wanted, side="left")
        hi = np.searchsorted(sorted_masks, wanted, side="right")
        for i, a, b in zip(x_simple[hi > lo], lo[hi > lo], hi[hi > lo]):
            pairs.update((int(i), int(j)) for j in order[a:b])
        x_masks_list, y_masks_list = x_masks.tolist(), y_masks.tolist()
    else:
        x_masks_list, y_masks_list = _label_masks(x_tight), _label_masks(y_tight)
        y_lookup: dict[int, list[int]] = {}
        for j in np.flatnonzero(y_count == n).tolist():
            y_lookup.setdefault(y_masks_list[j], []).append(j)
        for i in np.flatnonzero(x_count == m).tolist():
            pairs.update((i, j) for j in y_lookup.get(everything ^ x_masks_list[i], ()))
    # pairs with a degenerate vertex (extra labels): brute force, there are few such vertices
    for i in np.flatnonzero(x_count > m).tolist():
        mask = x_masks_list[i]
        pairs.update((i, j) for j, other in enumerate(y_masks_list) if mask | other == everything)
    for j in np.flatnonzero(y_count > n).tolist():
        mask = y_masks_list[j]
        pairs.update((i, j) for i, other in enumerate(x_masks_list) if mask | other == everything)
    return sorted(pairs)


#: up to this many columns all partner systems are solved as one batch of ``n x n`` systems (fewer NumPy calls);
#: above it they are grouped by support size into smaller ``k x k`` systems (less arithmetic)
_ONE_BATCH_MAX = 8
_PROBE = np.linspace(0.5, 1.5, 64)


def _game_order_constraints(payoff: np.ndarray, first: bool) -> tuple[np.ndarray, np.ndarray]:
    """One best-response polytope as ``normals . z <= offsets``, one constraint per game label.

    ``payoff`` has a row per opponent strategy and a column per coordinate of ``z`` (``A`` for ``Q``, ``B^T``
    for ``P``).  ``first``: its payoff constraints carry the first labels (``Q``: label ``i`` is row ``i`` of
    ``A``, then ``-y_j <= 0``); otherwise the sign constraints do (``P``: ``-x_i <= 0``, then column ``j`` of B).
    """
    rows, d = payoff.shape
    if first:
        return np.concatenate((payoff, _negative_identity(d))), _payoff_then_sign_offsets(rows, d)
    return np.concatenate((_negative_identity(d), payoff)), _sign_then_payoff_offsets(d, rows)


@lru_cache(maxsize=64)
def _payoff_then_sign_offsets(c: int, d: int) -> np.ndarray:
    """``(1 x c, 0 x d)``: the offsets of ``payoff z <= 1`` then ``-z <= 0`` (read-only)."""
    return _sign_then_payoff_offsets(d, c)[::-1]


def _checked_solve(matrices: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Solve a batch of square systems: ``(solutions, error bound)``, or ``None`` when one is singular or
    ill-conditioned (a degenerate game: then the shortcuts that rely on these solves are not safe).

    Conditioning is measured by solving for a known second right-hand side ``M w`` along with ``rhs`` and
    checking how far the answer lands from ``w``.
    """
    k = matrices.shape[-1]
    probe = _PROBE[:k] if k <= len(_PROBE) else np.linspace(0.5, 1.5, k)
    both = np.empty(rhs.shape + (2,))
    both[..., 0], both[..., 1] = rhs, matrices @ probe
    try:
        solution = np.linalg.solve(matrices, both)
    except np.linalg.LinAlgError:
        return None
    error = float(np.abs(solution[..., 1] - probe).max(initial=0.0))
    if not error <= 1e-6:  # also catches NaN
        return None
    return solution[..., 0], error


def _partner_systems(
    tight: np.ndarray, normals: np.ndarray, offsets: np.ndarray
) -> list[tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray | None]]:
    """The square systems that pin down each vertex's partner: ``(vertex indices, matrices, rhs, columns)``.

    ``normals``/``offsets`` are Q's constraints in game-label order; ``columns`` (per system, the coordinates
    of ``y`` solved for) and the vertex indices are ``None`` for one batch of full ``n x n`` systems over all
    vertices.
    """
    m = len(offsets) - normals.shape[1]
    n = normals.shape[1]
    if n <= _ONE_BATCH_MAX:
        labels = np.nonzero(~tight)[1].reshape(-1, n)
        return [(None, normals[labels], offsets[labels], None)]
    # the unit rows y_j = 0 eliminate the coordinates off x's best responses: k x k systems on the support
    support, best = ~tight[:, :m], tight[:, m:]
    size = support.sum(axis=1)
    systems = []
    for k in np.unique(size).tolist():
        vertices = np.flatnonzero(size == k)
        rows = np.nonzero(support[vertices])[1].reshape(-1, k)
        cols = np.nonzero(best[vertices])[1].reshape(-1, k)
        matrices = normals[rows[:, :, None], cols[:, None, :]]
        systems.append((vertices, matrices, np.ones((len(vertices), k)), cols))
    return systems


def _partners(
    tight: np.ndarray, a_pos: np.ndarray, tol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray] | None:
    """For every simple vertex ``x`` of ``P``, the point of ``Q`` carrying exactly the labels ``x`` lacks.

    ``tight`` holds the labels of P's vertices in game order (``i < m``: ``x_i = 0``; ``m + j``: column ``j`` is a
    best response).  The complementary labels ask ``(A y)_i = 1`` on the support of ``x`` and ``y_j = 0`` off
    its best responses: with ``k`` the support size (which equals the number of best responses at a simple
    vertex) that is the square ``k x k`` system ``A[supp, best] y_best = 1`` (see :func:`_partner_systems`).

    ``P`` must be simple (every vertex exactly ``m`` labels).  Returns ``(index, y)``: the vertices whose partner
    lies in ``Q`` (``y >= 0``, ``A y <= 1``) and the partners, unnormalised.  Returns ``None`` when the shortcut
    is not safe and the caller must enumerate both polytopes: a singular or ill-conditioned system (a
    degenerate game, where a partner face need not be a single point; see :func:`_checked_solve`).
    """
    m, n = a_pos.shape
    if len(tight) == 0:
        return None
    normals, offsets = _game_order_constraints(a_pos, first=True)
    index_parts, y_parts = [], []
    for vertices, matrices, rhs, cols in _partner_systems(tight, normals, offsets):
        solved = _checked_solve(matrices, rhs)
        if solved is None:
            return None
        y, error = solved
        if cols is not None:
            y_full = np.zeros((len(y), n))
            np.put_along_axis(y_full, cols, y, axis=1)
            y = y_full
        # inside Q up to the systems' error bound, so that a borderline candidate reaches the verification
        # (which rejects non-equilibria) instead of being dropped here
        inside = (y @ normals.T - offsets <= tol + 10.0 * error).all(axis=1)
        index_parts.append(np.flatnonzero(inside) if vertices is None else vertices[inside])
        y_parts.append(y[inside])
    if len(index_parts) == 1:
        return index_parts[0], y_parts[0]
    return np.concatenate(index_parts), np.concatenate(y_parts)


def _one_polytope_pairs(a_pos: np.ndarray, b_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Completely labeled pairs from the vertices of one polytope, as probability vectors ``(x, y)``.

    Only one polytope is enumerated (see the choice below).  Its vertices come from Qhull's facet equations
    (accurate to about 1e-13 at 12 x 12) and their partners from linear solves; both are verified by the
    caller.  ``None`` when the polytope is degenerate or :func:`_partners` finds the shortcut unsafe.
    """
    m, n = a_pos.shape
    # the hull's cost grows steeply with its dimension and its vertex count: take the lower-dimensional
    # polytope, and between two of equal dimension the one with more dominated (hence redundant) payoff
    # constraints, which usually has fewer vertices (5-10% fewer on random games, 15% for a perfect pick);
    # not below 7 x 7, where the hull is cheap and counting would cost about what it saves
    transposed = m > n or (m == n >= 7 and _dominated_count(a_pos.T) > _dominated_count(b_pos))
    if transposed:
        # swap the players' roles: the row player of the transposed game has payoffs B^T, so its polytope is Q
        a_pos, b_pos = b_pos.T, a_pos.T
    hull = _hull_vertices(b_pos, merge=False)
    found = None if hull is None else _partners(hull[1], a_pos)
    if found is None:
        return None
    vertices = hull[0]
    index, partners = found
    own = vertices[index]
    own /= own.sum(axis=1, keepdims=True)
    partners /= partners.sum(axis=1, keepdims=True)
    return (partners, own) if transposed else (own, partners)


#: square games up to this size (``C(2n, n) = 70`` label sets at 4 x 4) skip Qhull: see :func:`_basis_pairs`
_BASIS_MAX = 4


@lru_cache(maxsize=16)
def _basis_tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For an ``n x n`` game: ``(sets (2, C, n), which (2, 1, 1), normals (2, 2n, n), offsets (2, 2n))``.

    ``sets[0]`` lists every set of ``n`` of the ``2n`` labels (the origin's excluded), ``sets[1]`` the
    complements; ``normals`` and ``offsets`` are P's and Q's constraints in game-label order, with zero payoff
    blocks.
    """
    chosen = np.array(list(combinations(range(2 * n), n)), dtype=np.intp).reshape(-1, n)
    chosen = chosen[~(chosen == np.arange(n)).all(axis=1)]
    mask = np.zeros((len(chosen), 2 * n), dtype=bool)
    np.put_along_axis(mask, chosen, True, axis=1)
    sets = np.stack([chosen, np.nonzero(~mask)[1].reshape(-1, n)])
    # P's and Q's constraints in game-label order; the payoff blocks are filled in per game
    normals, offsets = np.zeros((2, 2 * n, n)), np.zeros((2, 2 * n))
    normals[0, :n] = normals[1, n:] = -np.eye(n)
    offsets[0, n:] = offsets[1, :n] = 1.0
    for table in (sets, normals, offsets):
        table.flags.writeable = False
    return sets, np.arange(2)[:, None, None], normals, offsets


def _basis_pairs(
    a_pos: np.ndarray, b_pos: np.ndarray, tol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray] | None:
    """Completely labeled pairs of a small square game by trying every label set: ``(x, y)`` probability vectors.

    Each set ``L`` of ``n`` labels pins down a point ``x`` (its ``n`` constraints of ``P`` binding) and its
    complement a point ``y`` of ``Q``; the pairs with both points feasible are the equilibria of a
    nondegenerate game.  All ``2 C(2n, n)`` square systems go to LAPACK in one call, which beats building a
    convex hull while there are few of them.  Every vertex of ``P`` and ``Q`` is the solution of some
    nonsingular system, so a degenerate vertex (more labels than its dimension) shows up here and makes this
    return ``None``, as does a singular or ill-conditioned system (see :func:`_checked_solve`).
    """
    n = a_pos.shape[0]
    sets, which, template, offsets = _basis_tables(n)
    normals = template.copy()  # P's and Q's constraints in game-label order, stacked: (2, 2n, n)
    normals[0, n:], normals[1, :n] = b_pos.T, a_pos
    count = sets.shape[1]
    solved = _checked_solve(
        normals[which, sets].reshape(2 * count, n, n), offsets[which, sets].reshape(2 * count, n)
    )
    if solved is None:
        return None
    points = solved[0].reshape(2, count, n)
    slack = points @ normals.transpose(0, 2, 1) - offsets[:, None, :]
    inside = (slack <= tol).all(axis=2)
    if (np.abs(slack) <= 1e-8).sum(axis=2)[inside].max(initial=0) > n:
        return None  # a degenerate vertex
    points = points[:, inside[0] & inside[1]]
    return tuple(points / points.sum(axis=2, keepdims=True))


def _dominated_count(payoff: np.ndarray) -> int:
    """How many constraints ``payoff[:, j] . z <= 1`` of ``{z >= 0 : payoff^T z <= 1}`` another one dominates
    (each column is below itself, so a count above 1 means another one is at least as high everywhere)."""
    return int(((payoff[:, :, None] <= payoff[:, None, :]).all(axis=0).sum(axis=1) > 1).sum())


def vertex_enumeration(game: NormalFormGame, *, exact: bool = False) -> list[Equilibrium]:
    """All extreme Nash equilibria of a 2-player game (every equilibrium if the game is nondegenerate).

    Small games try every label set (:func:`_basis_pairs`).  Otherwise the vertices of the lower-dimensional
    best-response polytope are enumerated and each one's complementary partner in the other polytope is solved
    for directly (:func:`_partners`).  When such a shortcut is not safe (a degenerate or ill-conditioned game)
    the vertices of both polytopes are enumerated and matched by label.  Every candidate is then verified, in
    floating point or (``exact=True``) in rational arithmetic.

    Args:
        game: a 2-player :class:`NormalFormGame`.
        exact: certify each equilibrium in rational arithmetic.
    """
    game._require_players(2, "vertex enumeration")
    payoffs = game.payoffs
    low, high = payoffs.min(), payoffs.max()
    scale = float(high - low) or 1.0
    # shift payoffs into [1, 2] so both polytopes are bounded and contain a neighbourhood of 0+ (adding a
    # constant does not change the equilibria)
    a_pos, b_pos = payoffs * (1.0 / scale) + (1.0 - low / scale)
    m, n = a_pos.shape
    fast = _basis_pairs(a_pos, b_pos) if m == n <= _BASIS_MAX else None
    if fast is None:
        fast = _one_polytope_pairs(a_pos, b_pos)
    if fast is not None and not exact:
        found, all_passed = _verified(payoffs, *fast, scale)
        if all_passed:
            return found
        # a candidate failed verification (a nearly degenerate game): enumerate both polytopes instead
        fast = None
    if fast is not None:
        found, candidates = [], list(zip(*fast))
    else:
        found, candidates = _two_polytope_pairs(game, a_pos, b_pos, exact)
    exact_ab = exact_matrices(game) if exact else None
    for x, y in candidates:
        eq = refine_candidate(game, x, y, exact=exact, method="vertex", exact_ab=exact_ab)
        if eq is not None:
            found.append(eq)
    return sort_equilibria(found)


def _two_polytope_pairs(
    game: NormalFormGame, a_pos: np.ndarray, b_pos: np.ndarray, exact: bool
) -> tuple[list[Equilibrium], list[tuple[np.ndarray, np.ndarray]]]:
    """Completely labeled pairs from the vertices of both polytopes, matched by label (any game, degenerate
    included): ``(equilibria verified already, candidates left to refine)``.

    In floating point the simple pairs (exactly complementary labels) are re-solved and verified in one batch.
    """
    m, n = a_pos.shape
    x_vertices, x_tight = polytope_vertices(b_pos)
    y_vertices, y_tight = polytope_vertices(a_pos.T)
    # P: x_i = 0 -> label i, column best response j -> label m + j
    # Q: y_j = 0 -> label m + j, row best response i -> label i
    y_tight = np.concatenate([y_tight[:, n:], y_tight[:, :n]], axis=1)
    pairs = _complementary_pairs(x_tight, y_tight, m, n)
    found: list[Equilibrium] = []
    if not exact:
        simple = [(i, j) for i, j in pairs if x_tight[i].sum() == m and y_tight[j].sum() == n]
        found, _ = _verified(
            game.payoffs, *_resolve_pairs(x_tight[[i for i, _ in simple]], a_pos, b_pos), game.payoff_range()
        )
        simple_set = set(simple)
        pairs = [pair for pair in pairs if pair not in simple_set]
    return found, [(x_vertices[i], y_vertices[j]) for i, j in pairs]


def _solve_vertices(tight: np.ndarray, payoff: np.ndarray) -> np.ndarray:
    """Simple vertices of ``{z >= 0 : payoff^T z <= 1}`` re-solved from their ``d`` binding constraints (rows of
    ``tight``, in the order of :func:`polytope_vertices`), and normalised to probability vectors."""
    d = payoff.shape[0]
    if len(tight) == 0:
        return np.zeros((0, d))
    normals = np.vstack([-np.eye(d), payoff.T])
    offsets = np.concatenate([np.zeros(d), np.ones(payoff.shape[1])])
    rows = np.nonzero(tight)[1].reshape(len(tight), d)
    z = np.linalg.solve(normals[rows], offsets[rows][..., None])[..., 0]
    z = np.clip(z, 0.0, None)
    return z / z.sum(axis=1, keepdims=True)


def _resolve_pairs(
    x_labels: np.ndarray, a_pos: np.ndarray, b_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both strategies of completely labeled simple pairs, from the labels of ``x`` (game order) alone: ``y``
    carries the complementary labels."""
    m = a_pos.shape[0]
    y_labels = ~x_labels
    # Q's constraint order is (y_j = 0, row best responses) = game labels (m.., ..m)
    return _solve_vertices(x_labels, b_pos), _solve_vertices(
        np.concatenate([y_labels[:, m:], y_labels[:, :m]], axis=1), a_pos.T
    )


def _verified(
    payoffs: np.ndarray, x: np.ndarray, y: np.ndarray, scale: float, tol: float = 1e-9
) -> tuple[list[Equilibrium], bool]:
    """The pairs ``(x[k], y[k])`` (probability vectors) whose regret is at most ``tol * scale`` (the payoff
    range), in :func:`~tactica.equilibria.solution.sort_equilibria`'s order, and whether every pair passed."""
    a, b = payoffs[0], payoffs[1]
    ay, xb = y @ a.T, x @ b
    u_a, u_b = (x * ay).sum(axis=1), (xb * y).sum(axis=1)
    regret = np.maximum(ay.max(axis=1) - u_a, xb.max(axis=1) - u_b)
    passed = regret <= tol * scale
    # sort_equilibria's order: rounded profiles, lexicographically, largest first, duplicates dropped
    keys = np.round(np.concatenate((x, y), axis=1), 9).tolist()  # -0.0 == 0.0 as Python floats, keys included
    unique = {tuple(keys[k]): k for k in reversed(np.flatnonzero(passed).tolist())}
    kept = [unique[key] for key in sorted(unique, reverse=True)]
    values, epsilon = np.column_stack((u_a, u_b)), [max(v, 0.0) for v in regret.tolist()]
    found = [
        Equilibrium(profile=(x[k], y[k]), payoffs=values[k], epsilon=epsilon[k], method="vertex")
        for k in kept
    ]
    return found, bool(passed.all())
