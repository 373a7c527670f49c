"""Lemke-Howson: complementary pivoting on the two best-response polytopes of a bimatrix game.

Tableaux (payoffs shifted to be positive): for the row player ``B^T x + r = 1`` (variables ``x_i`` with label
``i``, slacks ``r_j`` with label ``m + j``), for the column player ``A y + s = 1`` (slacks ``s_i`` with label
``i``, ``y_j`` with label ``m + j``).  A basis pair is *completely labeled* when every label belongs to a
nonbasic (zero) variable of one of the tableaux.  Starting from such a pair, *dropping* label ``k`` (entering
the nonbasic variable with label ``k``) starts a path of pivots whose end is another completely labeled pair
(Lemke & Howson 1964; von Stengel 2002).  The minimum-ratio test is lexicographic, so the path is well defined
on degenerate games too.

:func:`lemke_howson` follows one path from the artificial equilibrium ``(0, 0)``.
:func:`lemke_howson_enumeration` follows every label from ``(0, 0)`` and, with ``all_accessible=True``
(default), from every equilibrium found, until no new one appears: the equilibria *accessible* from the
artificial one, what Gambit's ``lcp`` lists.  Some equilibria can be inaccessible (Shapley 1974), so this is not
guaranteed to be all of them; use support or vertex enumeration for that.  Every endpoint is refined and
verified (exactly with ``exact=True``), so an output is always an equilibrium.
"""

from __future__ import annotations

import numpy as np

from tactica.equilibria._bimatrix import exact_matrices, refine_candidate
from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium, sort_equilibria

__all__ = ["lemke_howson", "lemke_howson_enumeration", "LemkeHowsonError"]

_PIVOT_TOL = 1e-12


class LemkeHowsonError(RuntimeError):
    """A path did not end at an equilibrium (too many pivots or numerical breakdown)."""


class _Tableau:
    """One player's tableau ``[M | rhs]`` with columns indexed by label."""

    def __init__(self, matrix: np.ndarray, basis: list[int], lex_columns: np.ndarray):
        self.t = matrix  # rows = basic variables, last column = right-hand side
        self.basis = basis  # label of the basic variable of each row
        self.lex = lex_columns  # columns holding the inverse of the current basis (for lexicographic ties)

    def copy(self) -> _Tableau:
        return _Tableau(self.t.copy(), list(self.basis), self.lex)

    def pivot(self, entering: int) -> int:
        """Enter the variable with label ``entering``; return the label that leaves."""
        column = self.t[:, entering]
        candidates = np.flatnonzero(column > _PIVOT_TOL)
        if len(candidates) == 0:
            raise LemkeHowsonError(f"unbounded ray entering label {entering}")
        # lexicographic minimum ratio: rhs first, then the basis-inverse columns
        keys = np.column_stack([self.t[candidates, -1], self.t[np.ix_(candidates, self.lex)]])
        keys = keys / column[candidates, None]
        order = np.lexsort(keys.T[::-1])
        best = candidates[order[0]]
        # ties within round-off on the rhs are resolved by the later keys: compare with a tolerance
        row = best
        pivot_value = self.t[row, entering]
        self.t[row] /= pivot_value
        others = np.arange(self.t.shape[0]) != row
        self.t[others] -= np.outer(self.t[others, entering], self.t[row])
        leaving = self.basis[row]
        self.basis[row] = entering
        return leaving

    def values(self, size: int, offset: int) -> np.ndarray:
        """Values of the variables with labels ``offset .. offset + size - 1``."""
        out = np.zeros(size)
        for row, label in enumerate(self.basis):
            if offset <= label < offset + size:
                out[label - offset] = self.t[row, -1]
        return out


def _initial(game: NormalFormGame) -> tuple[_Tableau, _Tableau, int, int]:
    a, b = game.payoffs[0], game.payoffs[1]
    m, n = a.shape
    low, scale = game.payoffs.min(), game.payoff_range()
    a_pos, b_pos = (a - low) / scale + 1.0, (b - low) / scale + 1.0
    # row player: B^T x + r = 1; columns: labels 0..m-1 (x), m..m+n-1 (r)
    t1 = np.hstack([b_pos.T, np.eye(n), np.ones((n, 1))])
    # column player: s + A y = 1; columns: labels 0..m-1 (s), m..m+n-1 (y)
    t2 = np.hstack([np.eye(m), a_pos, np.ones((m, 1))])
    tab1 = _Tableau(t1, list(range(m, m + n)), np.arange(m, m + n))
    tab2 = _Tableau(t2, list(range(m)), np.arange(m))
    return tab1, tab2, m, n


def _follow(tab1: _Tableau, tab2: _Tableau, label: int, max_pivots: int) -> tuple[_Tableau, _Tableau]:
    """Drop ``label`` at a completely labeled pair and pivot to the other end of the path."""
    tab1, tab2 = tab1.copy(), tab2.copy()
    # the variable with this label is nonbasic in exactly one tableau at a nondegenerate vertex pair
    current = tab1 if label not in tab1.basis else tab2
    other = tab2 if current is tab1 else tab1
    entering = label
    for _ in range(max_pivots):
        leaving = current.pivot(entering)
        if leaving == label:
            return tab1, tab2
        entering = leaving  # its complement (same label) enters the other tableau
        current, other = other, current
    raise LemkeHowsonError(f"no equilibrium after {max_pivots} pivots from label {label}")


def _endpoint(
    game: NormalFormGame, tab1: _Tableau, tab2: _Tableau, m: int, n: int, exact: bool, exact_ab, label: int
) -> Equilibrium | None:
    x, y = tab1.values(m, 0), tab2.values(n, m)
    if x.sum() <= 0 or y.sum() <= 0:
        return None  # back at the artificial equilibrium
    eq = refine_candidate(game, x, y, exact=exact, method="lemke-howson", exact_ab=exact_ab)
    if eq is not None:
        eq.info["initial_label"] = label
    return eq


def lemke_howson(
    game: NormalFormGame, initial_label: int = 0, *, exact: bool = False, max_pivots: int = 100_000
) -> Equilibrium:
    """One equilibrium: the end of the Lemke-Howson path that drops ``initial_label`` at ``(0, 0)``.

    Labels ``0..m-1`` are the row player's strategies, ``m..m+n-1`` the column player's.

    Raises:
        ValueError: ``initial_label`` out of range.
        LemkeHowsonError: the path broke down numerically (rare; degenerate games).
    """
    game._require_players(2, "Lemke-Howson")
    tab1, tab2, m, n = _initial(game)
    if not 0 <= initial_label < m + n:
        raise ValueError(f"initial_label must be in [0, {m + n}); got {initial_label}")
    end1, end2 = _follow(tab1, tab2, initial_label, max_pivots)
    exact_ab = exact_matrices(game) if exact else None
    eq = _endpoint(game, end1, end2, m, n, exact, exact_ab, initial_label)
    if eq is None:
        raise LemkeHowsonError(f"the path from label {initial_label} did not end at a verified equilibrium")
    return eq


def lemke_howson_enumeration(
    game: NormalFormGame, *, all_accessible: bool = True, exact: bool = False, max_pivots: int = 100_000
) -> list[Equilibrium]:
    """Equilibria reached by Lemke-Howson from every starting label.

    Args:
        all_accessible: also restart from every equilibrium found with every label (the whole component of
            the artificial equilibrium in the Lemke-Howson graph, like Gambit's ``lcp``); ``False`` follows
            only the ``m + n`` paths from ``(0, 0)`` (like nashpy's ``lemke_howson_enumeration``).
    """
    game._require_players(2, "Lemke-Howson")
    tab1, tab2, m, n = _initial(game)
    exact_ab = exact_matrices(game) if exact else None
    start_key = (frozenset(tab1.basis), frozenset(tab2.basis))
    seen = {start_key}
    frontier = [(tab1, tab2)]
    found: list[Equilibrium] = []
    while frontier:
        t1, t2 = frontier.pop()
        for label in range(m + n):
            try:
                e1, e2 = _follow(t1, t2, label, max_pivots)
            except LemkeHowsonError:
                continue
            key = (frozenset(e1.basis), frozenset(e2.basis))
            if key in seen:
                continue
            seen.add(key)
            eq = _endpoint(game, e1, e2, m, n, exact, exact_ab, label)
            if eq is not None:
                found.append(eq)
                if all_accessible:
                    frontier.append((e1, e2))
        if not all_accessible:
            break
    return sort_equilibria(found)
