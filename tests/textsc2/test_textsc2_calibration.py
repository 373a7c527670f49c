"""The built-in AI's difficulty trend on a few seeded games (the full table: benchmarks/textsc2_calibration.py)."""

from __future__ import annotations

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers TextSC2-v0)
from tactica.agents import make


def result(agent_name: str, difficulty: int, seed: int) -> str:
    env = gym.make("TextSC2-v0", difficulty=difficulty, build="random")
    agent = make(agent_name, action_space=env.action_space)
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    while True:
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            return info["result"]


@pytest.mark.slow
def test_expert_wins_fall_as_difficulty_rises():
    wins = {
        level: sum(result("textsc2-expert", level, seed) == "Victory" for seed in range(3))
        for level in (1, 5, 10)
    }
    assert wins[1] == 3
    assert wins[1] >= wins[5] >= wins[10]
    assert wins[10] <= 1


@pytest.mark.slow
def test_random_agent_does_not_beat_very_easy():
    assert [result("random", 1, seed) for seed in (0, 1, 2)] == ["Defeat"] * 3
