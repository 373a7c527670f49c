"""Cross-checks against pygambit (exact rational answers) and nashpy on seeded random games."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.equilibria import lemke_howson_enumeration, support_enumeration, vertex_enumeration

pytest.importorskip("pygambit")


def _check_against_gambit(eqh, size: int, seed: int) -> None:
    exact_set, float_set, gambit_sets = eqh.exact_set, eqh.float_set, eqh.gambit_sets
    game = eqh.random_bimatrix(size, seed)
    truth = gambit_sets(game, "enummixed")
    support = support_enumeration(game, exact=True)
    vertex = vertex_enumeration(game, exact=True)
    assert exact_set(support) == truth, (size, seed)
    assert exact_set(vertex) == truth, (size, seed)
    # the float path agrees with the exact answer to 1e-9
    truth_float = {tuple(round(float(v), 9) + 0.0 for v in eq) for eq in truth}
    assert float_set(vertex_enumeration(game)) == truth_float
    # Lemke-Howson from every label, restarted from every equilibrium found: what Gambit's lcp lists
    lemke = lemke_howson_enumeration(game, exact=True)
    assert exact_set(lemke) == gambit_sets(game, "lcp"), (size, seed)
    assert exact_set(lemke) <= truth


@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_random_games_match_gambit_fast(eqh, size):
    for seed in range(4):
        _check_against_gambit(eqh, size, seed)


@pytest.mark.slow
@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_fifty_random_games_per_size_match_gambit(eqh, size):
    for seed in range(100, 150):
        _check_against_gambit(eqh, size, seed)


def test_nashpy_vertex_enumeration_agrees_on_nondegenerate_games(eqh):
    nash = pytest.importorskip("nashpy")
    for size, seed in [(3, 1), (4, 2), (5, 3)]:
        game = eqh.random_bimatrix(size, seed, high=1000)
        a, b = game.payoffs
        theirs = {tuple(np.round(np.concatenate(eq), 9) + 0.0) for eq in nash.Game(a, b).vertex_enumeration()}
        assert eqh.float_set(vertex_enumeration(game)) == theirs


def test_large_random_game_equilibria_are_all_certified(eqh):
    # 9x9: no oracle in the fast tier, but support and vertex enumeration must agree exactly
    game = eqh.random_bimatrix(9, 7)
    exact_set = eqh.exact_set
    assert exact_set(support_enumeration(game, exact=True)) == exact_set(vertex_enumeration(game, exact=True))
