"""Vertex enumeration: all extreme Nash equilibria of a bimatrix game, degenerate or not.

With payoffs shifted to be positive, the best-response polytopes are
``P = {x >= 0 : B^T x <= 1}`` and ``Q = {y >= 0 : A y <= 1}``; label ``i`` of ``x`` means ``x_i = 0`` or (for
``m + j``) column ``j`` is a best response.  The equilibria are the completely labeled vertex pairs other
than ``(0, 0)``, normalised (Mangasarian 1964; von Stengel 2002, *Computing equilibria for two-person
games*).  Vertices come from Qhull's half-space intersection (:class:`scipy.spatial.HalfspaceIntersection`,
with the labels of each vertex from the facets through it); pairs are matched with bit masks in one numpy
operation; every matched pair is then refined from its binding constraints and verified (exactly with
``exact=True``).  In a degenerate game the result is the set of extreme points of the equilibrium components,
which is what Gambit's ``enummixed`` lists.
"""

from __future__ import annotations

import numpy as np

from tactica.equilibria._bimatrix import exact_matrices, refine_candidate
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium, sort_equilibria

__all__ = ["vertex_enumeration", "polytope_vertices"]


def polytope_vertices(payoff: np.ndarray, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of ``{z >= 0 : payoff^T z <= 1}`` (``payoff`` positive, one row per coordinate of ``z``).

    Returns ``(vertices (V, d), tight (V, d + c) bool)``: ``tight[v, i]`` for ``i < d`` means ``z_i = 0``, for
    ``i = d + j`` that constraint ``j`` is binding.  The origin is excluded; coincident vertices (Qhull lists a
    degenerate vertex once per incident simplex) are merged.
    """
    from scipy.spatial import ConvexHull

    d, c = payoff.shape
    # half-spaces  normal . z <= offset:  -z_i <= 0  and  payoff[:, j] . z <= 1
    normals = np.vstack([-np.eye(d), payoff.T])
    offsets = np.concatenate([np.zeros(d), np.ones(c)])
    if d == 1:
        # Qhull needs dimension >= 2: the 1-d polytope is the segment [0, 1 / max payoff]
        vertices = np.array([[1.0 / payoff[0].max()]])
    else:
        # polar duality around an interior point: each facet of the hull of the points normal_k / slack_k is
        # a vertex of the polytope (this is what Qhull's half-space mode does, minus its bookkeeping)
        center = np.full(d, 0.5 / payoff.sum(axis=0).max())
        slack = offsets - normals @ center
        hull = ConvexHull(normals / slack[:, None])
        equations = hull.equations  # facet: e[:d] . p + e[d] = 0 with e[d] < 0
        vertices = center - equations[:, :d] / equations[:, d : d + 1]
    vertices = vertices[np.abs(vertices).max(axis=1) > 1e-12]
    # labels from residuals, not Qhull's facet lists: robust for degenerate vertices
    tight = np.abs(vertices @ normals.T - offsets) <= tol
    # Qhull triangulates a degenerate vertex (more than d tight constraints) into several coplanar facets,
    # so only those rows can be duplicates: deduplicate them alone and keep the simple vertices as they are
    degenerate = np.flatnonzero(tight.sum(axis=1) > d)
    if len(degenerate):
        scale = float(np.abs(vertices).max()) or 1.0
        _, first = np.unique(np.round(vertices[degenerate] / scale, 9), axis=0, return_index=True)
        keep = np.ones(len(vertices), dtype=bool)
        keep[degenerate] = False
        keep[degenerate[first]] = True
        vertices, tight = vertices[keep], tight[keep]
    return vertices, tight


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


def vertex_enumeration(game: NormalFormGame, *, exact: bool = False) -> list[Equilibrium]:
    """All extreme Nash equilibria of a 2-player game (every equilibrium if the game is nondegenerate).

    Args:
        game: a 2-player :class:`NormalFormGame`.
        exact: certify each equilibrium in rational arithmetic.
    """
    game._require_players(2, "vertex enumeration")
    a, b = game.payoffs[0], game.payoffs[1]
    m, n = a.shape
    low, scale = game.payoffs.min(), game.payoff_range()
    # shift payoffs into [1, 2] so both polytopes are bounded and contain a neighbourhood of 0+ (adding a
    # constant does not change the equilibria)
    a_pos, b_pos = (a - low) / scale + 1.0, (b - low) / scale + 1.0
    x_vertices, x_tight = polytope_vertices(b_pos)
    y_vertices, y_tight = polytope_vertices(a_pos.T)
    # P: x_i = 0 -> label i, column best response j -> label m + j
    # Q: y_j = 0 -> label m + j, row best response i -> label i
    y_tight = np.concatenate([y_tight[:, n:], y_tight[:, :n]], axis=1)
    pairs = _complementary_pairs(x_tight, y_tight, m, n)
    exact_ab = exact_matrices(game) if exact else None
    found: list[Equilibrium] = []
    simple = [(i, j) for i, j in pairs if x_tight[i].sum() == m and y_tight[j].sum() == n]
    if not exact and simple:
        found.extend(_batched_simple(game, simple, x_tight, y_tight, b_pos, a_pos))
        rest = [pair for pair in pairs if pair not in set(simple)]
    else:
        rest = pairs
    for i, j in rest:
        eq = refine_candidate(
            game, x_vertices[i], y_vertices[j], exact=exact, method="vertex", exact_ab=exact_ab
        )
        if eq is not None:
            found.append(eq)
    return sort_equilibria(found)


def _batched_simple(
    game: NormalFormGame,
    pairs: list[tuple[int, int]],
    x_tight: np.ndarray,
    y_tight: np.ndarray,
    b_pos: np.ndarray,
    a_pos: np.ndarray,
    tol: float = 1e-9,
) -> list[Equilibrium]:
    """Float refinement of simple vertex pairs in one batch: re-solve each vertex from its ``d`` binding
    constraints (a square system), normalise, and keep the pairs whose regret is below ``tol`` x range."""
    m, n = a_pos.shape
    xi = np.array([i for i, _ in pairs])
    yj = np.array([j for _, j in pairs])

    def resolve(tight: np.ndarray, payoff: np.ndarray) -> np.ndarray:
        d = payoff.shape[0]
        normals = np.vstack([-np.eye(d), payoff.T])
        offsets = np.concatenate([np.zeros(d), np.ones(payoff.shape[1])])
        rows = np.nonzero(tight)[1].reshape(len(tight), d)  # the d tight constraints of each vertex
        z = np.linalg.solve(normals[rows], offsets[rows][..., None])[..., 0]
        z = np.clip(z, 0.0, None)
        return z / z.sum(axis=1, keepdims=True)

    x = resolve(x_tight[xi], b_pos)
    # y_tight is in game-label order (row best responses, then y_j = 0): back to Q's (coordinates, constraints)
    y = resolve(y_tight[yj][:, np.concatenate([np.arange(m, m + n), np.arange(m)])], a_pos.T)
    a, b = game.payoffs[0], game.payoffs[1]
    ay, xb = y @ a.T, x @ b
    u_a, u_b = (x * ay).sum(axis=1), (xb * y).sum(axis=1)
    regret = np.maximum(ay.max(axis=1) - u_a, xb.max(axis=1) - u_b)
    scale = game.payoff_range()
    return [
        Equilibrium(
            profile=(x[k], y[k]),
            payoffs=np.array([u_a[k], u_b[k]]),
            epsilon=max(float(regret[k]), 0.0),
            method="vertex",
        )
        for k in np.flatnonzero(regret <= tol * scale)
    ]
