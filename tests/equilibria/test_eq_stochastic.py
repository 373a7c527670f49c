"""Stochastic games: exact evaluation, best responses, exploitability and Shapley value iteration."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tactica.envs.markov.catalog import make_model
from tactica.equilibria import exploitability as nf_exploitability
from tactica.equilibria.catalog import load
from tactica.equilibria.stochastic import (
    best_response,
    evaluate_policy,
    exploitability,
    shapley_value_iteration,
    uniform_policy,
)
from tactica.equilibria.zero_sum_lp import minimax_strategy, solve_matrix_games


def test_repeated_normal_form_game_scales_stage_regret():
    model = make_model("battle_of_the_sexes", horizon=5)
    policy = [np.array([[0.5, 0.5]]), np.array([[0.2, 0.8]])]
    report = exploitability(model, policy, horizon="model")
    stage = nf_exploitability(load("battle_of_the_sexes"), [[0.5, 0.5], [0.2, 0.8]])
    np.testing.assert_allclose(report.regrets, 5 * np.array([p.regret for p in stage.players]), atol=1e-12)
    np.testing.assert_allclose(report.initial_values, 5 * np.array([p.payoff for p in stage.players]))


def _grid_path_policy(model):
    """Player 1 goes up, right, right, up; player 2 left, left, up, up: no collision, 4 steps each."""
    p1_moves = {"20": "up", "10": "right", "11": "right", "12": "up"}
    p2_moves = {"22": "left", "21": "left", "20": "up", "10": "up"}
    actions = list(model.action_names[0])
    policies = [np.full((model.num_states, 4), 0.25), np.full((model.num_states, 4), 0.25)]
    for s, name in enumerate(model.state_names):
        cells = dict(part.split("=") for part in name.split(","))
        for i, (key, moves) in enumerate((("p1", p1_moves), ("p2", p2_moves))):
            if cells[key] in moves:
                policies[i][s] = np.eye(4)[actions.index(moves[cells[key]])]
    return policies


def test_grid_game_1_equilibrium_value_is_100_gamma_cubed():
    model = make_model("grid_game_1")
    report = exploitability(model, _grid_path_policy(model))
    # both reach their goals on the 4th move: 100 * 0.99^3 = 97.0299 (Hu & Wellman's equilibrium value)
    np.testing.assert_allclose(report.initial_values, [100 * 0.99**3] * 2, atol=1e-9)
    assert report.nash_conv == pytest.approx(0.0, abs=1e-9)
    # a shortest path is the best anyone can do, so the best response to anything is at most 97.0299
    uniform = exploitability(model, uniform_policy(model))
    assert np.all(uniform.initial_best_response_values <= 100 * 0.99**3 + 1e-9)
    assert uniform.nash_conv > 50


def test_best_response_finite_horizon_beats_every_stationary_deterministic_policy():
    from itertools import product

    model = make_model("random_markov", num_players=2, num_states=3, num_actions=2, seed=4)
    policy = uniform_policy(model)
    br = best_response(model, policy, 0, horizon=3)
    assert br.policy.shape == (3, 3, 2)
    best_stationary = np.full(3, -np.inf)
    for choice in product(range(2), repeat=3):
        values = evaluate_policy(model, [np.eye(2)[list(choice)], policy[1]], horizon=3)[0]
        best_stationary = np.maximum(best_stationary, values)
    assert np.all(br.values >= best_stationary - 1e-12)
    # the last step of the plan is the one-step greedy response
    one_step = best_response(model, policy, 0, horizon=1)
    np.testing.assert_array_equal(br.policy[-1], one_step.policy[0])


def test_infinite_horizon_evaluation_solves_bellman_equation():
    model = make_model("random_markov", num_players=3, num_states=4, num_actions=2, seed=2)
    policy = uniform_policy(model)
    values = evaluate_policy(model, policy, horizon=None)
    long = evaluate_policy(model, policy, horizon=2000)
    np.testing.assert_allclose(values, long, atol=1e-6)


def test_shapley_value_iteration_zero_sum():
    base = make_model("random_markov", num_players=2, num_states=4, num_actions=3, seed=1)
    model = dataclasses.replace(base, rewards=np.stack([base.rewards[0], -base.rewards[0]]), discount=0.9)
    hk = shapley_value_iteration(model)
    vi = shapley_value_iteration(model, method="value")
    np.testing.assert_allclose(hk.values, vi.values, atol=1e-8)
    report = exploitability(model, hk.policy)
    assert report.nash_conv == pytest.approx(0.0, abs=1e-8)
    assert np.abs(report.state_regrets).max() < 1e-8
    np.testing.assert_allclose(report.values[0], hk.values, atol=1e-8)


def test_batched_matrix_game_solver_matches_lp():
    rng = np.random.default_rng(0)
    games = rng.integers(-3, 4, (50, 3, 4)).astype(float)  # small integers: many degenerate games
    values, xs, ys = solve_matrix_games(games)
    for g, v, x, y in zip(games, values, xs, ys):
        assert v == pytest.approx(minimax_strategy(g).value, abs=1e-9)
        assert (x @ g).min() >= v - 1e-9 and (g @ y).max() <= v + 1e-9


def test_bad_policy_shapes_and_horizons():
    model = make_model("grid_game_1")
    with pytest.raises(ValueError, match="shape"):
        exploitability(model, [np.ones((2, 4)) / 4] * 2)
    with pytest.raises(ValueError, match="horizon"):
        evaluate_policy(model, uniform_policy(model), horizon=-3)
