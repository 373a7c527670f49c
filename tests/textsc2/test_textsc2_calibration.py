"""The built-in AI's difficulty trend on a few seeded games (the full table: benchmarks/textsc2_calibration.py)."""

from __future__ import annotations

import pytest

from tactica.rollout import run_episode


def result(agent_name: str, difficulty: int, seed: int) -> str:
    episode = run_episode(
        "TextSC2-v1", agent_name, seed, env_kwargs={"difficulty": difficulty, "build": "random"}
    )
    return episode.metrics["result"]


@pytest.mark.slow
def test_expert_wins_fall_as_difficulty_rises():
    wins = {
        level: sum(result("textsc2-expert", level, seed) == "Victory" for seed in range(3))
        for level in (1, 6, 10)
    }
    assert wins[1] == 3
    assert wins[1] >= wins[6] >= wins[10]
    assert wins[10] <= 1


@pytest.mark.slow
def test_random_agent_does_not_beat_medium():
    assert "Victory" not in [result("random", 3, seed) for seed in (0, 1, 2)]
