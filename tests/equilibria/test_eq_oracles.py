"""Cross-checks against pygambit (exact rational answers) and nashpy on seeded random games."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.equilibria import (
    NormalFormGame,
    lemke_howson_enumeration,
    support_enumeration,
    vertex_enumeration,
)

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


def _random_rectangular(rows: int, cols: int, seed: int) -> NormalFormGame:
    rng = np.random.default_rng([rows, cols, seed])
    return NormalFormGame.from_bimatrix(
        rng.integers(0, 10**6, (rows, cols)), rng.integers(0, 10**6, (rows, cols))
    )


@pytest.mark.parametrize("shape", [(2, 5), (5, 2), (3, 6), (6, 3), (4, 7), (7, 4)])
def test_rectangular_games_match_gambit(eqh, shape):
    # vertex enumeration hulls the lower-dimensional polytope: both orientations must give Gambit's set
    for seed in range(2):
        game = _random_rectangular(*shape, seed)
        truth = eqh.gambit_sets(game, "enummixed")
        assert eqh.exact_set(vertex_enumeration(game, exact=True)) == truth, (shape, seed)
        truth_float = {tuple(round(float(v), 9) + 0.0 for v in eq) for eq in truth}
        assert eqh.float_set(vertex_enumeration(game)) == truth_float, (shape, seed)


def test_shortcuts_agree_with_enumerating_both_polytopes(eqh, monkeypatch):
    """Small games try every label set, larger ones hull one polytope and solve for partners; both must give
    what the general path (both polytopes, matched by label) gives."""
    import importlib

    module = importlib.import_module("tactica.equilibria.vertex_enumeration")
    games = [eqh.random_bimatrix(n, seed) for n in (2, 3, 4, 5, 7, 9, 10) for seed in (0, 1)]
    fast = [eqh.float_set(vertex_enumeration(game)) for game in games]
    monkeypatch.setattr(module, "_basis_pairs", lambda a, b: None)
    monkeypatch.setattr(module, "_one_polytope_pairs", lambda a, b: None)
    assert [eqh.float_set(vertex_enumeration(game)) for game in games] == fast


@pytest.mark.parametrize("size", [4, 6, 9])
def test_degenerate_games_fall_back_and_match_gambit(eqh, size):
    # a duplicated strategy makes the game degenerate: the shortcuts must notice and give Gambit's extreme points
    rng = np.random.default_rng(size)
    a, b = rng.integers(0, 50, (size, size)), rng.integers(0, 50, (size, size))
    a[-1], b[-1] = a[0], b[0]
    game = NormalFormGame.from_bimatrix(a, b)
    assert eqh.exact_set(vertex_enumeration(game, exact=True)) == eqh.gambit_sets(game, "enummixed")
