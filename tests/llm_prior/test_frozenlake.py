"""FrozenLakeText-v0 follows Gymnasium's FrozenLake-v1 (the peer as oracle) and reads as text."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tactica  # noqa: F401
from tactica.envs.frozenlake.env import FrozenLakeTextEnv, describe
from tactica.envs.frozenlake.rules import ACTION_NAMES, MAPS, distances_to_goal, move, optimal_actions


@pytest.mark.parametrize("map_name", ["4x4", "8x8"])
def test_moves_and_rewards_match_gymnasium_frozenlake(map_name):
    peer = gym.make("FrozenLake-v1", map_name=map_name, is_slippery=False).unwrapped
    desc = MAPS[map_name]
    cols = len(desc[0])
    for state, actions in peer.P.items():
        row, col = divmod(state, cols)
        if desc[row][col] in "GH":
            continue
        for action, [(probability, next_state, reward, terminated)] in actions.items():
            assert probability == 1.0
            assert move(desc, (row, col), action) == divmod(next_state, cols)
            env = FrozenLakeTextEnv(map_name=map_name)
            env.reset(seed=0)
            env.position = (row, col)
            _, our_reward, our_terminated, _, info = env.step(action)
            assert (our_reward, our_terminated) == (reward, terminated)
            assert info["position"] == divmod(next_state, cols)


def test_slippery_moves_follow_gymnasium_outcomes():
    peer = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True).unwrapped
    env = FrozenLakeTextEnv(is_slippery=True)
    env.reset(seed=0)
    for action in range(4):
        outcomes = {}
        for _ in range(600):
            env.position, env.steps, env._finished = (0, 1), 0, False  # a hole ends the episode
            env.step(action)
            outcomes[env.position] = outcomes.get(env.position, 0) + 1
        expected = {divmod(s, 4): p for p, s, _, _ in peer.P[1][action]}
        assert set(outcomes) == set(expected)
        for cell, count in outcomes.items():
            assert count / 600 == pytest.approx(expected[cell], abs=0.08)


def test_horizon_20_truncates_and_the_shortest_path_succeeds():
    env = gym.make("FrozenLakeText-v0")
    observation, info = env.reset(seed=0)
    assert info["action_names"] == ACTION_NAMES and info["action_mask"].tolist() == [1, 1, 1, 1]
    assert "PFFF" in observation and "row 1, column 1" in observation
    steps = 0
    truncated = terminated = False
    while not (terminated or truncated):
        observation, reward, terminated, truncated, info = env.step(0)  # walk into the left border
        steps += 1
    assert (steps, truncated, terminated, reward) == (20, True, False, 0.0)
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step(0)
    env.reset(seed=0)
    desc = MAPS["4x4"]
    position, total = (0, 0), 0.0
    for _ in range(6):
        action = optimal_actions(desc, position)[0]
        _, reward, terminated, truncated, info = env.step(action)
        position = info["position"]
        total += reward
    assert (total, terminated, info["success"]) == (1.0, True, 1)


def test_distances_on_the_4x4_map():
    distance = distances_to_goal(MAPS["4x4"])
    assert distance[(0, 0)] == 6 and distance[(3, 2)] == 1 and (1, 1) not in distance
    assert set(optimal_actions(MAPS["4x4"], (0, 0))) == {1, 2}  # down or right


def test_describe_marks_the_player():
    text = describe(MAPS["4x4"], (2, 1))
    assert text.splitlines()[4] == "FPFH" and "row 3, column 2" in text


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="map_name"):
        FrozenLakeTextEnv(map_name="5x5")
    with pytest.raises(ValueError, match="max_steps"):
        FrozenLakeTextEnv(max_steps=0)
    with pytest.raises(ValueError, match="only S, F, H, G"):
        FrozenLakeTextEnv(desc=["SX", "FG"])
    env = FrozenLakeTextEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"must be an integer in \[0, 4\); got 4"):
        env.step(np.int64(4))
