"""Hand-written programs beat the built-in AI; random actions do not; SMACProgram-v3 and LLM-SMAC."""

import json

import gymnasium as gym
import numpy as np
import pytest

import tactica
from tactica.agents.code_policy import LLMSMACAgent, extract_program
from tactica.baselines.smac import PROGRAMS, load_policy, program_source
from tactica.envs.smac import SMACEnv
from tactica.envs.smac.programs import run_policy_episodes
from tactica.sandbox import validate_source

# the maps whose hand-written program wins at least 80% of 100 battles (docs/smac.md has every measured rate)
REQUIRED = ["3m", "2s3z", "3s_vs_3z"]


def win_rate(map_name, episodes):
    stats = run_policy_episodes(load_policy(map_name), map_name, list(range(episodes)))
    return sum(s.result == "win" for s in stats) / episodes


def random_win_rate(map_name, episodes):
    env = SMACEnv(map_name, seed=0)
    rng = np.random.default_rng(0)
    wins = 0
    for _ in range(episodes):
        env.reset()
        done, info = False, {}
        while not done:
            avail = np.array(env.get_avail_actions())
            _, done, info = env.step([rng.choice(np.flatnonzero(a)) for a in avail])
        wins += info["battle_won"]
    return wins / episodes


def test_every_program_passes_the_sandbox_rules():
    assert len(set(PROGRAMS)) >= 6
    for map_name in PROGRAMS:
        validate_source(program_source(map_name), required=("policy",))


@pytest.mark.parametrize("map_name", ["3m", "3s_vs_3z"])
def test_programs_win_fast_check(map_name):
    assert win_rate(map_name, 5) >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize("map_name", REQUIRED)
def test_programs_beat_the_builtin_ai_in_80_of_100(map_name):
    assert win_rate(map_name, 100) >= 0.8


@pytest.mark.slow
def test_medivac_support_program_wins_mmm():
    assert win_rate("MMM", 20) >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize("map_name", REQUIRED)
def test_random_actions_rarely_win(map_name):
    assert random_win_rate(map_name, 30) < 0.1


def test_program_env_scores_a_program_in_the_sandbox():
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=3, render_mode="ansi")
    obs, _ = env.reset(seed=0)
    assert obs.startswith("TASK") and "def policy" not in obs and "policy(view)" in obs
    obs, reward, terminated, truncated, info = env.step(program_source("3m"))
    assert reward == 1.0 and terminated and info["wins"] == 3 and info["error"] is None
    assert "You win 3 times, tie 0 times, and lose 0 times out of 3 combats." in obs
    assert len(info["episodes"]) == 3 and {"damage_dealt", "allies_left"} <= set(info["episodes"][0])


def test_program_env_reports_errors_with_lines():
    limits = {"cpu_seconds": 1, "wall_seconds": 5, "memory_mb": 300}
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=2, limits=limits)
    env.reset(seed=0)
    obs, reward, *_, info = env.step(
        "def policy(view):\n    target = view.enemies[0]\n    view.units[0].attack(None)\n"
    )
    assert reward == 0.0 and info["error_kind"] == "runtime" and info["error_line"] == 3
    assert "attack() needs an enemy unit" in obs
    obs, reward, *_, info = env.step("import os\ndef policy(view):\n    pass")
    assert info["error_kind"] == "forbidden" and "line 1" in obs
    obs, reward, *_, info = env.step("def policy(view):\n    while True:\n        pass")
    assert info["error_kind"] in ("cpu", "timeout") and reward == 0.0


def test_program_env_is_seeded():
    def run():
        env = gym.make("SMACProgram-v3", map_name="3s_vs_3z", episodes_per_step=2)
        env.reset(seed=4)
        return env.step(program_source("3s_vs_3z"))[4]["episodes"]

    assert run() == run()


PLAN = "### Tactic 1: Focus fire\n**Condition to use:** always\n**Tactic Skeleton:** 1. shoot the weakest"
BAD = "```python\ndef policy(view):\n    return 1 / 0\n```"
GOOD = "```python\n" + program_source("3m") + "```"


def test_extract_program():
    assert extract_program(GOOD).startswith('"""Focus fire')
    assert extract_program("no code here") is None


def test_llm_smac_loop_with_a_scripted_model_and_its_replay(tmp_path):
    transcript = tmp_path / "calls.jsonl"
    script = json.dumps(
        [PLAN, BAD, "It crashed on line 2. [Improve Tactic]", GOOD, "All won. [Improve Tactic]"]
    )
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=2, max_attempts=4)
    agent = tactica.agents.make("llm-smac", llm="scripted:" + script, transcript=transcript)
    result = agent.solve(env, seed=0)
    assert [p["win_rate"] for p in result["programs"]] == [0.0, 1.0] and result["best_win_rate"] == 1.0
    assert result["llm_calls"] == 5 and agent.history[0]["tactic"] == "Focus fire"
    assert len(transcript.read_text().splitlines()) == 5
    # the replayed run asks exactly the recorded questions and gets the same programs and results
    replayed = LLMSMACAgent(llm=f"replay:{transcript}").solve(env, seed=0)
    assert replayed == result


def test_llm_smac_replans_on_change_tactic():
    script = [PLAN, BAD, "Wrong idea. [Change Tactic]", PLAN, GOOD, "ok [Improve Tactic]"]
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=1, max_attempts=5)
    agent = LLMSMACAgent(llm="scripted:" + json.dumps(script), max_plans=2)
    result = agent.solve(env, seed=1)
    assert agent.plans_used == 2 and result["best_win_rate"] == 1.0
    assert [c["role"] for c in agent.calls] == ["planner", "coder", "critic", "planner", "coder", "critic"]


def test_program_env_observation_stays_in_its_charset():
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=1)
    env.reset(seed=0)
    obs, *_ = env.step("def policy(view):\n    raise ValueError('\u00e9\u00e8 \u2603')\n")
    assert env.observation_space.contains(obs) and "ValueError" in obs
