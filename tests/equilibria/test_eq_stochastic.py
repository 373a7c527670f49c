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


def _route_policy(model, routes):
    """Per player a map cell -> move or {move: probability}; cells off the route play uniformly."""
    actions = list(model.action_names[0])
    policies = [np.full((model.num_states, 4), 0.25), np.full((model.num_states, 4), 0.25)]
    for s, name in enumerate(model.state_names):
        cells = dict(part.split("=") for part in name.split(","))
        for i, key in enumerate(("p1", "p2")):
            choice = routes[i].get(cells[key])
            if choice is not None:
                mixed = {choice: 1.0} if isinstance(choice, str) else choice
                policies[i][s] = [mixed.get(a, 0.0) for a in actions]
    return policies


def _grid_path_policy(model):
    """Player 1 goes up, right, right, up; player 2 left, left, up, up: no collision, 4 steps each."""
    return _route_policy(
        model,
        [
            {"20": "up", "10": "right", "11": "right", "12": "up"},
            {"22": "left", "21": "left", "20": "up", "10": "up"},
        ],
    )


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


GAMMA = 0.99
#: grid game 2: the middle route (sideways out of the corner, then up twice) takes 3 sure moves; the barrier route
#: (up out of the corner, then up and inward) takes 3 moves if the first up-move passes (probability 1/2)
CENTRE_1 = {"20": "right", "21": "up", "11": "up"}
CENTRE_2 = {"22": "left", "21": "up", "11": "up"}
BARRIER_1 = {"20": "up", "10": "up", "00": "right"}
BARRIER_2 = {"22": "up", "12": "up", "02": "left"}


def _mixed_start_probability() -> float:
    """Probability of the middle route in grid game 2's symmetric mixed equilibrium (derivation in
    docs/equilibria.md): the root in (0, 1) of a(c+1) p^2 - [ca - (c+1)(1-a) + h gamma] p - [c(1-a) - h] = 0."""
    c, h, a = 100 * GAMMA**2, 50 * GAMMA**2, GAMMA / 4
    roots = np.roots([-a * (c + 1), c * a - (c + 1) * (1 - a) + h * GAMMA, c * (1 - a) - h])
    return float(next(r.real for r in roots if abs(r.imag) < 1e-12 and 0 < r.real < 1))


def test_grid_game_2_has_hu_and_wellmans_three_equilibria():
    """Hu & Wellman (2003): grid game 2 has three equilibrium Q-functions.  Two are pure (one player takes the
    middle, the other the barrier) and one is mixed at the start; values derived by hand in docs/equilibria.md."""
    model = make_model("grid_game_2")
    c, h = 100 * GAMMA**2, 50 * GAMMA**2  # 98.01: goal on the 3rd move; 49.005: the barrier opens first time
    for routes, expected in (([CENTRE_1, BARRIER_2], [c, h]), ([BARRIER_1, CENTRE_2], [h, c])):
        report = exploitability(model, _route_policy(model, routes))
        np.testing.assert_allclose(report.initial_values, expected, atol=1e-9)
        assert report.nash_conv == pytest.approx(0.0, abs=1e-9)
    p = _mixed_start_probability()
    assert p == pytest.approx(0.970206, abs=1e-6)
    mixed = [{**BARRIER_1, **CENTRE_1, "20": {"right": p, "up": 1 - p}}]
    mixed.append({**BARRIER_2, **CENTRE_2, "22": {"left": p, "up": 1 - p}})
    report = exploitability(model, _route_policy(model, mixed))
    value = h / (1 - GAMMA / 4 * (1 - p))  # indifference between the middle and the barrier
    np.testing.assert_allclose(report.initial_values, [value, value], atol=1e-9)
    assert value == pytest.approx(49.369043, abs=1e-6)
    assert report.nash_conv == pytest.approx(0.0, abs=1e-8)


def test_grid_game_2_non_equilibrium_profiles_are_exploitable():
    model = make_model("grid_game_2")
    c, h = 100 * GAMMA**2, 50 * GAMMA**2
    # both through the barrier: W = c/4 + c/4 + (gamma/4) W, and either gains by switching to the sure middle
    both_barrier = exploitability(model, _route_policy(model, [BARRIER_1, BARRIER_2]))
    w = h / (1 - GAMMA / 4)
    np.testing.assert_allclose(both_barrier.initial_values, [w, w], atol=1e-9)
    np.testing.assert_allclose(both_barrier.initial_best_response_values, [c, c], atol=1e-9)
    assert both_barrier.nash_conv == pytest.approx(2 * (c - w), abs=1e-9)
    # both through the middle: they collide (-1 each) at every step forever, -1 / (1 - gamma) = -100
    both_centre = exploitability(model, _route_policy(model, [CENTRE_1, CENTRE_2]))
    np.testing.assert_allclose(both_centre.initial_values, [-100.0, -100.0], atol=1e-9)
    np.testing.assert_allclose(both_centre.initial_best_response_values, [h, h], atol=1e-9)


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


@pytest.mark.slow
def test_littman_soccer_minimax_value_and_unexploitable_profile():
    """Littman's soccer (zero-sum, discount 0.9) solved by Shapley value iteration (Hoffman-Karp)."""
    model = make_model("littman_soccer")
    solution = shapley_value_iteration(model)
    with_ball = {
        name.rsplit("=", 1)[1]: solution.values[s]
        for s, name in enumerate(model.state_names)
        if model.initial_distribution[s] > 0
    }
    # the start is point-symmetric (A at 13, B at 21, mirrored goals), so holding the ball is worth +-v
    assert with_ball["A"] == pytest.approx(0.2184844404, abs=1e-8)
    assert with_ball["B"] == pytest.approx(-with_ball["A"], abs=1e-9)
    report = exploitability(model, solution.policy)
    assert report.nash_conv == pytest.approx(0.0, abs=1e-8)
    assert np.abs(report.state_regrets).max() < 1e-8
    np.testing.assert_allclose(report.values[0], solution.values, atol=1e-8)
    assert exploitability(model, uniform_policy(model)).nash_conv > 0.1


def test_sparse_bellman_solve_matches_dense():
    from tactica.equilibria.stochastic import _solve_discounted

    rng = np.random.default_rng(3)
    size = 300  # large and sparse (3 successors per state): the sparse LU path
    p = np.zeros((size, size))
    for s in range(size):
        p[s, rng.choice(size, 3, replace=False)] = rng.dirichlet(np.ones(3))
    r = rng.normal(size=(size, 2))
    expected = np.linalg.solve(np.eye(size) - 0.95 * p, r)
    np.testing.assert_allclose(_solve_discounted(p, r, 0.95), expected, atol=1e-10)
    np.testing.assert_allclose(_solve_discounted(p, r[:, 0], 0.95), expected[:, 0], atol=1e-10)


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
