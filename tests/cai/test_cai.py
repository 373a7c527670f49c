"""Control as inference: soft fixed points against the equilibria package, epsilon against the bound."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactica.agents.cai import (
    epsilon_bound,
    finite_horizon_exploitability,
    measured_epsilon,
    soft_backward_induction,
    soft_stage_equilibrium,
    soft_value_iteration,
    train_decentralized,
)
from tactica.agents.cai.correlated import soft_correlated_equilibrium
from tactica.envs.markov.catalog import make_model
from tactica.equilibria import NormalFormGame, ce_gap, logit_qre
from tactica.equilibria.stochastic import exploitability

ALPHAS = (1.0, 0.3, 0.1, 0.03)


@pytest.mark.parametrize(
    ("name", "alphas"),
    [
        ("prisoners_dilemma", ALPHAS),
        ("matching_pennies", ALPHAS),
        ("rock_paper_scissors", ALPHAS),
        ("shapley", ALPHAS),
        ("stag_hunt", ALPHAS),
        ("battle_of_the_sexes", ALPHAS),
        ("chicken", ALPHAS),
    ],
)
def test_soft_fixed_point_is_the_logit_qre(name, alphas):
    """At temperature alpha the CAI fixed point is the logit QRE with precision 1/alpha (range-scaled there)."""
    model = make_model(name)
    game = NormalFormGame(model.stage_payoffs())
    for alpha in alphas:
        policies, residual = soft_stage_equilibrium(model.rewards, alpha)
        assert residual < 1e-10
        qre = logit_qre(game, game.payoff_range() / alpha)
        for ours, theirs in zip(policies, qre):
            assert np.abs(ours[0] - theirs).max() < 1e-6


def test_soft_fixed_point_on_random_games_matches_qre():
    for seed in range(5):
        model = make_model("random_normal_form", num_players=2, num_actions=3, seed=seed)
        game = NormalFormGame(model.stage_payoffs())
        policies, _ = soft_stage_equilibrium(model.rewards, 0.5)
        for ours, theirs in zip(policies, logit_qre(game, game.payoff_range() / 0.5)):
            assert np.abs(ours[0] - theirs).max() < 1e-6


def _assert_below_bound_and_falling(epsilons, bounds):
    assert all(e <= b for e, b in zip(epsilons, bounds)), (epsilons, bounds)
    assert epsilons[-1] < epsilons[0]
    assert all(later <= earlier + 1e-9 for earlier, later in zip(epsilons, epsilons[1:])), epsilons


@pytest.mark.parametrize("seed", [0, 1])
def test_soft_value_iteration_on_random_markov_games(seed):
    model = make_model("random_markov", seed=seed, num_states=5, num_actions=3)
    epsilons, bounds = [], []
    for alpha in ALPHAS:
        result = soft_value_iteration(model, alpha)
        assert result.residual < 1e-9
        epsilons.append(measured_epsilon(model, result))
        bounds.append(epsilon_bound(model, alpha))
    _assert_below_bound_and_falling(epsilons, bounds)


def test_soft_value_iteration_on_grid_games():
    for name, alphas in (("grid_game_2", ALPHAS), ("grid_game_1", (0.1, 0.03))):
        model = make_model(name)
        epsilons = [measured_epsilon(model, soft_value_iteration(model, a)) for a in alphas]
        _assert_below_bound_and_falling(epsilons, [epsilon_bound(model, a) for a in alphas])


def test_backward_induction_finite_horizon():
    model = make_model("random_markov", seed=2, num_states=4, num_actions=2, horizon=10)
    epsilons = []
    for alpha in ALPHAS:
        result = soft_backward_induction(model, alpha)
        assert result.policies[0].shape == (10, 4, 2)
        report = finite_horizon_exploitability(model, result.policies)
        epsilons.append(report["epsilon"])
    _assert_below_bound_and_falling(epsilons, [epsilon_bound(model, a, 10) for a in ALPHAS])


def test_finite_horizon_exploitability_agrees_with_stationary_evaluation():
    """A stationary profile repeated over H steps has the same regret under both evaluators."""
    model = make_model("random_markov", seed=3, num_states=3, num_actions=2, horizon=6)
    stationary = soft_value_iteration(
        make_model("random_markov", seed=3, num_states=3, num_actions=2), 0.3
    ).policies
    tiled = [np.repeat(p[None], 6, axis=0) for p in stationary]
    ours = finite_horizon_exploitability(model, tiled)
    theirs = exploitability(model, stationary, horizon=6)
    assert np.allclose(ours["regrets"], theirs.regrets, atol=1e-10)


def test_decentralized_learners_on_a_random_markov_game():
    """Independent soft-Q learners, each seeing only its own reward: epsilon below the bound, falling with alpha."""
    kwargs = {"seed": 0, "num_states": 3, "num_actions": 2, "horizon": 20}
    model = make_model("random_markov", **kwargs)
    epsilons, bounds = [], []
    for alpha in ALPHAS:
        run = train_decentralized(
            "random_markov",
            env_kwargs=kwargs,
            alpha=alpha,
            episodes=400,
            seed=0,
            learning_rate=0.2,
            learning_rate_decay=0.5,
        )
        epsilons.append(exploitability(model, run.policies, horizon=None).epsilon)
        bounds.append(epsilon_bound(model, alpha))
    _assert_below_bound_and_falling(epsilons, bounds)


def test_variational_policy_gradient_learns_the_same_game():
    kwargs = {"seed": 0, "num_states": 3, "num_actions": 2, "horizon": 20}
    model = make_model("random_markov", **kwargs)
    uniform = exploitability(model, [np.full((3, 2), 0.5)] * 2, horizon=None).epsilon
    run = train_decentralized(
        "random_markov",
        env_kwargs=kwargs,
        alpha=0.1,
        episodes=400,
        learner="vpg",
        seed=0,
        learning_rate=0.3,
        learning_rate_decay=0.3,
    )
    learned = exploitability(model, run.policies, horizon=None).epsilon
    assert learned < uniform / 2
    assert learned <= epsilon_bound(model, 0.1)


def test_learners_are_seeded():
    a = train_decentralized("random_markov", alpha=0.3, episodes=20, seed=5)
    b = train_decentralized("random_markov", alpha=0.3, episodes=20, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a.policies, b.policies))


@pytest.mark.parametrize("name", ["chicken", "shapley"])
@pytest.mark.parametrize("method", ["lbfgs", "dual-ascent"])
def test_correlated_device_is_a_correlated_equilibrium(name, method):
    model = make_model(name)
    game = NormalFormGame(model.stage_payoffs())
    device = soft_correlated_equilibrium(model.stage_payoffs(), alpha=0.1, method=method)
    assert ce_gap(game, device.distribution).max() < 1e-3
    assert np.isclose(device.distribution.sum(), 1.0)


def test_correlated_device_in_chicken_correlates():
    """In chicken the max-entropy CE puts weight off the product of its marginals (a correlated device)."""
    device = soft_correlated_equilibrium(make_model("chicken").stage_payoffs(), alpha=0.1)
    mu = device.distribution
    product = np.outer(mu.sum(axis=1), mu.sum(axis=0))
    assert np.abs(mu - product).max() > 0.01
    assert mu[0, 0] < product[0, 0]  # (dare, dare) is recommended less often than independence would


def test_bad_temperatures():
    model = make_model("matching_pennies")
    with pytest.raises(ValueError, match="alpha"):
        soft_stage_equilibrium(model.rewards, 0.0)
    with pytest.raises(ValueError, match="discount < 1"):
        soft_value_iteration(model, 0.1)
    with pytest.raises(ValueError, match="learner"):
        train_decentralized("matching_pennies", learner="nope")


def test_cli_solve_writes_a_profile_that_eq_check_accepts(tmp_path, capsys):
    from tactica.cli.main import main

    out = tmp_path / "profile.json"
    code = main(
        [
            "cai",
            "solve",
            "MarkovGame-v0",
            "--opt",
            "game=rock_paper_scissors",
            "--opt",
            "horizon=1",
            "--method",
            "backward-induction",
            "--temperature",
            "0.3",
            "--out",
            str(out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(summary) >= {"epsilon", "bound", "temperature"} and summary["temperature"] == 0.3
    assert summary["epsilon"] <= summary["bound"]
    assert main(["eq", "check", "catalog:rock_paper_scissors", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["is_equilibrium"] is True


def test_cli_rejects_bad_input(capsys):
    from tactica.cli.main import main

    assert main(["cai", "solve", "MarkovGame-v0", "--temperature", "0"]) == 2
    assert main(["cai", "solve", "MarkovGame-v0", "--opt", "game=matching_pennies"]) == 2  # undiscounted VI
    assert "backward-induction" in capsys.readouterr().err


def test_cli_stochastic_policy_round_trips_through_eq_check(tmp_path, capsys):
    from tactica.cli.main import main

    cold, warm = tmp_path / "cold.json", tmp_path / "warm.json"
    solve = ["cai", "solve", "MarkovGame-v0", "--opt", "game=grid_game_2"]
    assert main([*solve, "--temperature", "0.03", "--out", str(cold)]) == 0
    assert main([*solve, "--temperature", "1", "--out", str(warm)]) == 0
    assert "policy" in json.loads(cold.read_text())
    capsys.readouterr()
    assert main(["eq", "check", "catalog:grid_game_2", str(cold), "--eps", "1e-6", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["epsilon"] < 1e-6
    # alpha = 1 gives an epsilon ~0.79 profile
    assert main(["eq", "check", "catalog:grid_game_2", str(warm)]) == 1
    assert main(["eq", "check", "grid_game_2.nfg", str(warm)]) == 2
