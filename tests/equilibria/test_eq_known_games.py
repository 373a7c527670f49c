"""Known games give known answers: textbook equilibria (Shapley 1964, Robinson 1951, Aumann's Chicken CE) and hand computation."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from tactica.equilibria import (
    NormalFormGame,
    ce_gap,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    exploitability,
    fictitious_play,
    lemke_howson,
    lemke_howson_enumeration,
    pure_equilibria,
    solve_zero_sum,
    support_enumeration,
    vertex_enumeration,
)
from tactica.equilibria.catalog import load


def _exact_profiles(equilibria):
    return [tuple(tuple(row) for row in eq.exact_profile) for eq in equilibria]


def test_battle_of_the_sexes_has_three_equilibria():
    game = load("battle_of_the_sexes")
    for solver in (support_enumeration, vertex_enumeration, lemke_howson_enumeration):
        eqs = solver(game, exact=True)
        assert sorted(_exact_profiles(eqs)) == sorted(
            [
                ((F(1), F(0)), (F(1), F(0))),
                ((F(3, 5), F(2, 5)), (F(2, 5), F(3, 5))),
                ((F(0), F(1)), (F(0), F(1))),
            ]
        )
    mixed = [eq for eq in vertex_enumeration(game, exact=True) if len(eq.support()[0]) == 2][0]
    assert mixed.exact_payoffs == (F(6, 5), F(6, 5))


def test_rock_paper_scissors_uniform_is_the_unique_equilibrium():
    game = load("rock_paper_scissors")
    third = (F(1, 3),) * 3
    assert _exact_profiles(support_enumeration(game, exact=True)) == [(third, third)]
    lp = solve_zero_sum(game, exact=True)
    assert lp.exact_profile == (third, third) and lp.info["value"] == pytest.approx(0.0, abs=1e-12)


def test_matching_pennies_lp_value_zero():
    eq = solve_zero_sum(load("matching_pennies"), exact=True)
    assert eq.exact_profile == ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))
    assert eq.exact_payoffs == (0, 0)


def test_prisoners_dilemma_defect_defect():
    eqs = vertex_enumeration(load("prisoners_dilemma"), exact=True)
    assert len(eqs) == 1 and eqs[0].exact_payoffs == (1, 1)
    assert pure_equilibria(load("prisoners_dilemma"))[0].info["joint_action"] == (1, 1)


def test_stag_hunt_three_equilibria():
    eqs = vertex_enumeration(load("stag_hunt"), exact=True)
    assert sorted(eq.exact_payoffs for eq in eqs) == [(1, 1), (1, 1), (2, 2)]


def test_shapley_game_unique_equilibrium_and_fictitious_play_cycles():
    game = load("shapley")
    third = (F(1, 3),) * 3
    assert _exact_profiles(support_enumeration(game, exact=True)) == [(third, third)]
    run = fictitious_play(game, iterations=4000, initial=(0, 1))
    # the empirical profile never approaches the equilibrium: epsilon stays large late in the run
    late = run.epsilon[run.checkpoints >= 500]
    assert late.min() > 0.1
    # and play runs through the six off-diagonal cells in ever longer runs (Shapley 1964)
    changes = np.flatnonzero(np.any(np.diff(run.actions, axis=0) != 0, axis=1))
    runs = np.diff(changes)
    assert runs[-5:].mean() > 3 * runs[:5].mean()
    # whereas in zero-sum Rock-Paper-Scissors fictitious play converges (Robinson 1951)
    rps = fictitious_play(load("rock_paper_scissors"), iterations=4000, initial=(0, 1))
    assert rps.epsilon[-1] < 0.05 < late.min()


def test_chicken_correlated_equilibrium_beats_every_nash_equilibrium():
    game = load("chicken")
    nash = vertex_enumeration(game, exact=True)
    assert sorted(eq.exact_payoffs for eq in nash) == [(2, 7), (F(14, 3), F(14, 3)), (7, 2)]
    ce = correlated_equilibrium(game, objective="welfare")
    assert ce.payoffs == pytest.approx([5.25, 5.25], abs=1e-9)
    np.testing.assert_allclose(ce.distribution, [[0, 0.25], [0.25, 0.5]], atol=1e-9)
    # (5.25, 5.25) lies outside the convex hull of the Nash payoffs: every NE has welfare <= 9 < 10.5
    assert max(float(sum(eq.exact_payoffs)) for eq in nash) < ce.payoffs.sum() - 1
    # the uniform distribution on the three non-(D, D) cells is a CE with payoffs (5, 5)
    uniform = np.array([[0, 1 / 3], [1 / 3, 1 / 3]])
    assert ce_gap(game, uniform).max() == pytest.approx(0.0, abs=1e-12)
    assert [float((game.payoffs[i] * uniform).sum()) for i in range(2)] == pytest.approx([5, 5])
    # max-min CE agrees here; the CCE set contains the CE set, so its welfare optimum is at least as high
    assert correlated_equilibrium(game, objective="maxmin").payoffs.min() == pytest.approx(5.25, abs=1e-9)
    assert coarse_correlated_equilibrium(game).payoffs.sum() >= 10.5 - 1e-9


def test_shapley_game_max_welfare_ce_is_uniform_off_diagonal():
    ce = correlated_equilibrium(load("shapley"))
    assert ce.payoffs == pytest.approx([0.5, 0.5], abs=1e-9)
    np.testing.assert_allclose(ce.distribution, (1 - np.eye(3)) / 6, atol=1e-9)


def test_coordination_game_has_2n_minus_1_equilibria():
    eye = np.eye(4, dtype=int)
    game = NormalFormGame.from_bimatrix(eye, eye)
    assert len(vertex_enumeration(game, exact=True)) == 15
    assert len(support_enumeration(game, exact=True)) == 15


def test_lemke_howson_each_label_gives_an_equilibrium():
    game = load("battle_of_the_sexes")
    assert lemke_howson(game, 0).key() == (1.0, 0.0, 1.0, 0.0)
    for label in range(4):
        eq = lemke_howson(game, label, exact=True)
        assert exploitability(game, eq.profile).epsilon == 0.0


def test_three_player_pure_equilibria():
    # 3-player coordination: everyone gets 1 if all match, else 0 -> exactly the two matching profiles
    u = np.zeros((2, 2, 2))
    u[0, 0, 0] = u[1, 1, 1] = 1
    game = NormalFormGame(np.stack([u, u, u]).astype(int))
    assert sorted(eq.info["joint_action"] for eq in pure_equilibria(game)) == [(0, 0, 0), (1, 1, 1)]


def test_degenerate_game_support_enumeration_raises_vertex_handles_it():
    from tactica.equilibria import DegenerateGameError

    # column 2 ties for the column player against row 1: a classic degenerate game
    game = NormalFormGame.from_bimatrix([[1, 1], [0, 2]], [[1, 1], [2, 0]])
    with pytest.raises(DegenerateGameError, match="degenerate"):
        support_enumeration(game)
    for eq in vertex_enumeration(game, exact=True):
        assert exploitability(game, eq.profile).epsilon == 0.0
