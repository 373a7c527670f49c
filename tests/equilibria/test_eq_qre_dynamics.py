"""Logit QRE path following (vs pygambit), fictitious play and replicator dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.equilibria import (
    NormalFormGame,
    exploitability,
    logit_qre,
    logit_qre_branch,
    logit_qre_limit,
    replicator_dynamics,
    vertex_enumeration,
)
from tactica.equilibria.catalog import load
from tactica.equilibria.qre import logit_response


def test_branch_starts_uniform_and_points_are_qres():
    game = NormalFormGame(np.random.default_rng(3).integers(0, 20, (3, 2, 3, 2)))
    points = logit_qre_branch(game, lambda_max=50)
    assert all(np.allclose(p, 1 / len(p)) for p in points[0].profile)
    for point in points[1::5]:
        response = logit_response(game, list(point.profile), point.lam)
        for p, r in zip(point.profile, response):
            np.testing.assert_allclose(p, r, atol=1e-7)


def test_qre_matches_pygambit_at_given_lambdas():
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(11)
    a, b = rng.integers(0, 10, (3, 3)), rng.integers(0, 10, (3, 3))
    game = NormalFormGame.from_bimatrix(a, b)
    theirs = gbt.qre.logit_solve_lambda(gbt.Game.from_arrays(a, b), lam=[0.3, 1.0])
    players = list(theirs[0].profile.game.players)
    for gambit_lam, profile in zip([0.3, 1.0], theirs):
        # gambit's lambda multiplies raw payoffs; ours multiplies payoffs scaled to [0, 1]
        ours = logit_qre(game, gambit_lam * game.payoff_range())
        expected = [[float(profile.profile[s]) for s in p.strategies] for p in players]
        for p, q in zip(ours, expected):
            np.testing.assert_allclose(p, q, atol=1e-7)


def test_limit_is_a_certified_nash_equilibrium():
    for seed in range(3):
        rng = np.random.default_rng(seed)
        game = NormalFormGame.from_bimatrix(rng.integers(0, 100, (4, 4)), rng.integers(0, 100, (4, 4)))
        eq = logit_qre_limit(game)
        assert exploitability(game, eq.profile).epsilon < 1e-9
        assert eq.key() in {e.key() for e in vertex_enumeration(game)}


def test_three_player_limit_is_polished_to_an_equilibrium():
    game = NormalFormGame(np.random.default_rng(0).integers(0, 10, (3, 3, 3, 3)))
    eq = logit_qre_limit(game)
    assert eq.epsilon < 1e-12 * game.payoff_range()


def test_replicator_orbits_in_rock_paper_scissors():
    game = load("rock_paper_scissors")
    run = replicator_dynamics(game, [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], horizon=30, dt=0.01)
    # sum of log-probabilities over both populations is a constant of motion (interior NE is uniform)
    invariant = sum(np.log(t).sum(axis=1) for t in run.trajectory)
    assert np.ptp(invariant) < 1e-6
    assert all(np.allclose(t.sum(axis=1), 1.0) for t in run.trajectory)


def test_replicator_converges_to_a_strict_equilibrium():
    run = replicator_dynamics(load("prisoners_dilemma"), horizon=200, dt=0.05)
    assert run.final[0][1] > 0.99 and run.final[1][1] > 0.99
