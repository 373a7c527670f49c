"""MarkovGame-v0: the model's validation, the catalog, the generators and the env's dynamics."""

from __future__ import annotations

import numpy as np
import pytest

import tactica
from tactica.envs.markov.catalog import game_names, make_model
from tactica.envs.markov.model import MarkovGameModel


def _valid(num_states=2, actions=(2, 2)):
    transitions = np.full((num_states, *actions, num_states), 1.0 / num_states)
    rewards = np.zeros((len(actions), num_states, *actions))
    return transitions, rewards


def test_rows_not_summing_to_one_name_the_row():
    transitions, rewards = _valid()
    transitions[1, 0, 1] = [0.7, 0.7]
    with pytest.raises(ValueError, match=r"row transitions\[1, 0, 1\] sums to 1\.4"):
        MarkovGameModel(transitions=transitions, rewards=rewards)


def test_negative_probability_names_the_entry():
    transitions, rewards = _valid()
    transitions[0, 1, 0] = [1.5, -0.5]
    with pytest.raises(ValueError, match=r"negative probability transitions\[0, 1, 0, 1\]"):
        MarkovGameModel(transitions=transitions, rewards=rewards)


def test_shape_mismatch_is_reported():
    transitions, rewards = _valid()
    with pytest.raises(ValueError, match="shape mismatch"):
        MarkovGameModel(transitions=transitions[:, :1], rewards=rewards)
    with pytest.raises(ValueError, match="action axes"):
        MarkovGameModel(transitions=transitions, rewards=rewards[:, :, 0])


def test_other_bad_fields():
    transitions, rewards = _valid()
    with pytest.raises(ValueError, match="discount"):
        MarkovGameModel(transitions=transitions, rewards=rewards, discount=1.5)
    with pytest.raises(ValueError, match="initial_distribution"):
        MarkovGameModel(transitions=transitions, rewards=rewards, initial_distribution=[0.5, 0.6])
    with pytest.raises(ValueError, match=r"action_counts\[0, 1\]"):
        MarkovGameModel(transitions=transitions, rewards=rewards, action_counts=[[2, 3], [1, 1]])
    rewards[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"rewards\[0, 0, 0, 0\] is not finite"):
        MarkovGameModel(transitions=transitions, rewards=rewards)


def test_illegal_joint_actions_are_ignored_by_validation():
    transitions, rewards = _valid()
    transitions[0, 1] = 0.0  # player 0's action 1 is illegal in state 0: its rows do not matter
    model = MarkovGameModel(transitions=transitions, rewards=rewards, action_counts=[[1, 2], [2, 2]])
    assert model.action_mask(0, 0).tolist() == [1, 0]
    assert np.allclose(model.transitions.sum(-1), 1.0)


def test_model_arrays_are_read_only():
    model = make_model("prisoners_dilemma")
    with pytest.raises(ValueError):
        model.rewards[0, 0, 0, 0] = 3.0


def test_unknown_game_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid games: prisoners_dilemma, battle_of_the_sexes"):
        tactica.make_parallel("MarkovGame-v0", game="prisoner_dilemma")
    with pytest.raises(ValueError, match="accepted: horizon, discount"):
        make_model("chicken", players=3)


@pytest.mark.parametrize(
    ("name", "row", "col"),
    [
        ("prisoners_dilemma", [[5, 0], [10, 1]], [[5, 10], [0, 1]]),
        ("battle_of_the_sexes", [[3, 0], [0, 2]], [[2, 0], [0, 3]]),
        ("chicken", [[0, 7], [2, 6]], [[0, 2], [7, 6]]),
        ("shapley", [[0, 0, 1], [1, 0, 0], [0, 1, 0]], [[0, 1, 0], [0, 0, 1], [1, 0, 0]]),
    ],
)
def test_catalog_payoffs(name, row, col):
    payoffs = make_model(name).stage_payoffs()
    assert payoffs[0].tolist() == row and payoffs[1].tolist() == col


def test_zero_sum_games_sum_to_zero():
    for name in ("matching_pennies", "rock_paper_scissors", "littman_soccer"):
        model = make_model(name)
        assert model.zero_sum
        assert np.allclose(model.rewards.sum(axis=0), 0.0)


def test_every_catalog_game_builds_and_is_valid():
    for name in game_names():
        model = make_model(name)
        assert np.allclose(model.transitions.sum(-1), 1.0)
        assert model.num_players >= 2


def test_grid_game_1_dynamics():
    """Hu & Wellman grid game 1: both moving up from the start reaches (1,0),(1,2); entering one cell bounces."""
    model = make_model("grid_game_1")
    start = int(np.argmax(model.initial_distribution))
    assert model.state_names[start] == "p1=20,p2=22"
    up, left, right = 0, 2, 3
    after = np.flatnonzero(model.transitions[start, up, up])
    assert [model.state_names[s] for s in after] == ["p1=10,p2=12"]
    assert model.rewards[:, start, up, up].tolist() == [0.0, 0.0]
    # both step into the bottom-centre cell: bounced back with -1 each
    assert model.transitions[start, right, left, start] == 1.0
    assert model.rewards[:, start, right, left].tolist() == [-1.0, -1.0]
    # one step from the goal: player 1 at 12 moving up reaches 02 (+100) and the state is terminal
    near = model.state_names.index("p1=12,p2=10")
    goal = np.flatnonzero(model.transitions[near, up, right])
    assert [model.state_names[s] for s in goal] == ["p1=02,p2=11"]
    assert model.rewards[0, near, up, right] == 100.0
    assert model.terminal[goal[0]]


def test_grid_game_2_barrier_and_shared_goal():
    model = make_model("grid_game_2")
    start = int(np.argmax(model.initial_distribution))
    up = 0
    nexts = {model.state_names[s]: p for s, p in enumerate(model.transitions[start, up, up]) if p > 0}
    assert nexts == pytest.approx(
        {"p1=10,p2=12": 0.25, "p1=20,p2=12": 0.25, "p1=10,p2=22": 0.25, "p1=20,p2=22": 0.25}
    )
    both_near = model.state_names.index("p1=00,p2=02")
    left, right = 2, 3
    shared = np.flatnonzero(model.transitions[both_near, right, left])
    assert [model.state_names[s] for s in shared] == ["p1=01,p2=01"]
    assert model.rewards[:, both_near, right, left].tolist() == [100.0, 100.0]


def test_soccer_blocked_move_hands_over_the_ball():
    model = make_model("littman_soccer")
    state = model.state_names.index("A=11,B=12,ball=A")
    east, stand = 2, 4
    # A (with the ball) runs east into B who stands: A does not move and B takes the ball, whatever the order
    nexts = {model.state_names[s]: p for s, p in enumerate(model.transitions[state, east, stand]) if p > 0}
    assert nexts == {"A=11,B=12,ball=B": 1.0}
    # A carries the ball west out of the goal row: A scores +1
    scoring = model.state_names.index("A=10,B=22,ball=A")
    west = 3
    assert model.transitions[scoring, west, stand, model.state_names.index("A scored")] == 1.0
    assert model.rewards[:, scoring, west, stand].tolist() == [1.0, -1.0]


def test_generators_are_seeded():
    a = make_model("random_markov", seed=3, num_states=4)
    b = make_model("random_markov", seed=3, num_states=4)
    c = make_model("random_markov", seed=4, num_states=4)
    assert np.array_equal(a.transitions, b.transitions) and not np.array_equal(a.transitions, c.transitions)
    cov = make_model("covariant_normal_form", num_players=2, num_actions=40, correlation=0.9, seed=0)
    stage = cov.stage_payoffs().reshape(2, -1)
    assert np.corrcoef(stage)[0, 1] > 0.8
    with pytest.raises(ValueError, match="correlation must be in"):
        make_model("covariant_normal_form", num_players=3, correlation=-0.9)


def test_env_steps_follow_the_model():
    env = tactica.make_parallel("MarkovGame-v0", game="prisoners_dilemma", horizon=3)
    observations, _ = env.reset(seed=0)
    assert observations["player_0"]["action_mask"].tolist() == [1, 1]
    _, rewards, terminations, truncations, _ = env.step({"player_0": 1, "player_1": 0})
    assert rewards == {"player_0": 10.0, "player_1": 0.0}
    assert not any(terminations.values()) and not any(truncations.values())
    env.step({"player_0": 0, "player_1": 0})
    *_, truncations, _ = env.step({"player_0": 1, "player_1": 1})
    assert all(truncations.values()) and env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"player_0": 0, "player_1": 0})


def test_env_rejects_illegal_actions():
    env = tactica.make_parallel("MarkovGame-v0", game="rock_paper_scissors")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action 3 of player_1 is illegal"):
        env.step({"player_0": 0, "player_1": 3})
    with pytest.raises(ValueError, match="missing"):
        env.step({"player_0": 0})
    with pytest.raises(TypeError, match="must be an int"):
        env.step({"player_0": 0.5, "player_1": 0})


def test_env_accepts_a_custom_model_and_overrides():
    model = make_model("stag_hunt")
    env = tactica.make_parallel("MarkovGame-v0", game=model, horizon=7, discount=0.5)
    assert env.model().horizon == 7 and env.model().discount == 0.5
    assert env.model().rewards.tolist() == model.rewards.tolist()


def test_empirical_transitions_match_the_model():
    env = tactica.make_parallel("MarkovGame-v0", game="grid_game_2", horizon=1)
    model = env.model()
    counts = np.zeros(model.num_states)
    for seed in range(2000):
        env.reset(seed=seed)
        env.step({"player_0": 0, "player_1": 0})
        counts[env.state_index] += 1
    start = int(np.argmax(model.initial_distribution))
    assert np.abs(counts / counts.sum() - model.transitions[start, 0, 0]).max() < 0.04
