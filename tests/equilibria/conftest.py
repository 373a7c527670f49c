"""Shared helpers for the equilibria tests: seeded random games and oracle adapters."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tactica.equilibria import NormalFormGame


def random_bimatrix(size: int, seed: int, high: int = 1_000_000) -> NormalFormGame:
    """A seeded random integer game; payoffs up to 1e6 make degeneracy (ties) vanishingly rare."""
    rng = np.random.default_rng([size, seed])
    return NormalFormGame.from_bimatrix(
        rng.integers(0, high, (size, size)), rng.integers(0, high, (size, size))
    )


def exact_set(equilibria) -> set[tuple[Fraction, ...]]:
    """Our certified equilibria as a set of exact probability tuples."""
    return {tuple(v for row in eq.exact_profile for v in row) for eq in equilibria}


def float_set(equilibria, decimals: int = 9) -> set[tuple[float, ...]]:
    return {tuple(np.round(np.concatenate(eq.profile), decimals) + 0.0) for eq in equilibria}


def gambit_sets(game: NormalFormGame, method: str = "enummixed") -> set[tuple[Fraction, ...]]:
    """pygambit's exact equilibria of a 2-player game (``enummixed`` or ``lcp``)."""
    gbt = pytest.importorskip("pygambit")
    a, b = game.exact[0], game.exact[1]
    g = gbt.Game.from_arrays(
        np.vectorize(int, otypes=[object])(a).astype(int), np.vectorize(int, otypes=[object])(b).astype(int)
    )
    solver = gbt.nash.enummixed_solve if method == "enummixed" else gbt.nash.lcp_solve
    result = solver(g, rational=True)
    players = list(g.players)
    return {tuple(Fraction(str(eq[s])) for p in players for s in p.strategies) for eq in result.equilibria}


@pytest.fixture
def eqh():
    """The helpers above, for test modules (pytest's importlib mode cannot import this file directly)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        random_bimatrix=random_bimatrix, exact_set=exact_set, float_set=float_set, gambit_sets=gambit_sets
    )
