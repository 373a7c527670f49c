"""SMACProgram-v3 plays programs through the sandbox: same battles as in-process, orders checked, lengths."""

from __future__ import annotations

import json
from dataclasses import asdict

import gymnasium as gym
import numpy as np
import pytest

import tactica  # noqa: F401  (registers SMACProgram-v3)
from tactica.agents.code_policy import LLMSMACAgent
from tactica.baselines.smac import load_policy, program_source
from tactica.envs.smac import SMACEnv
from tactica.envs.smac.program_env import MAX_PROGRAM_CHARS
from tactica.envs.smac.program_sandbox import checked_orders, play_program
from tactica.envs.smac.programs import run_policy_episodes
from tactica.sandbox import Limits

LIMITS = Limits(cpu_seconds=20, wall_seconds=120, memory_mb=1024)


@pytest.mark.parametrize("map_name", ["3m", "3s_vs_5z"])
def test_sandboxed_program_plays_the_same_battles_as_the_trusted_policy(map_name):
    seeds = [3, 11]
    trusted = [asdict(s) for s in run_policy_episodes(load_policy(map_name), map_name, seeds)]
    report = play_program(program_source(map_name), map_name, seeds, {}, LIMITS)
    assert report.ok, report.describe()
    assert report.value == trusted and report.details["isolated"]


def test_view_memory_lasts_one_battle_in_the_sandbox():
    program = (
        "def policy(view):\n"
        "    view.memory['steps'] = view.memory.get('steps', 0) + 1\n"
        "    if view.memory['steps'] != view.iteration + 1:\n"
        "        raise ValueError('memory leaked between battles')\n"
        "    if not view.is_pathable(16, 16) or view.is_pathable(-1, 5) or view.map_name != '3m':\n"
        "        raise ValueError('wrong map')\n"
    )
    report = play_program(program, "3m", [0, 1], {}, LIMITS)
    assert report.ok, report.describe()


def test_orders_are_checked_against_the_units_we_own():
    env = SMACEnv("MMM", seed=0)
    env.reset(seed=0)
    medivac = next(i for i, kind in enumerate(env.core.sim.types[: env.n_agents]) if kind.is_healer)
    marine = next(i for i, kind in enumerate(env.core.sim.types[: env.n_agents]) if not kind.is_healer)
    assert checked_orders([[0, "attack", 1], [1, "move", 3.5, 4], [medivac, "heal", 0]], env) == {
        0: ("attack", 1),
        1: ("move", 3.5, 4.0),
        medivac: ("heal", 0),
    }
    bad = [
        {"win_rate": 1.0},
        [[0, "attack", 99]],
        [[99, "stop"]],
        [[True, "stop"]],
        [[0, "stop"], [0, "stop"]],
        [[marine, "heal", 0]],
        [[0, "move", 1.0]],
        [[0, "move", "1", 2]],
        [[0, "teleport", 1, 2]],
        [[0, "stop", 1]],
        [[a, "stop"] for a in range(env.n_agents + 1)],
    ]
    for orders in bad:
        with pytest.raises(ValueError):
            checked_orders(orders, env)


def test_non_finite_moves_are_the_programs_error():
    report = play_program(
        "def policy(view):\n    view.units[0].move_towards(float('nan'), 3)\n", "3m", [0], {}, LIMITS
    )
    assert report.error_kind == "runtime" and "finite" in report.message and report.line == 2


def test_programs_longer_than_max_length_are_refused():
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=1)
    env.reset(seed=0)
    program = program_source("3m")
    program += "#" * (MAX_PROGRAM_CHARS - len(program) + 1)
    with pytest.raises(
        ValueError, match=f"{MAX_PROGRAM_CHARS + 1} characters long.*at most {MAX_PROGRAM_CHARS}"
    ):
        env.step(program)
    _, reward, *_ = env.step(program[:MAX_PROGRAM_CHARS])  # exactly max_length is fine
    assert reward == 1.0


def test_llm_smac_asks_once_for_a_shorter_program():
    plan = "### Tactic 1: Focus fire\n**Condition to use:** always"
    long = "```python\n" + program_source("3m") + "#" * MAX_PROGRAM_CHARS + "\n```"
    good = "```python\n" + program_source("3m") + "```"
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=1, max_attempts=1)
    agent = LLMSMACAgent(llm="scripted:" + json.dumps([plan, long, good, "ok [Improve Tactic]"]))
    result = agent.solve(env, seed=0)
    assert result["best_win_rate"] == 1.0
    assert f"at most {MAX_PROGRAM_CHARS}" in agent.calls[2]["messages"][1]["content"]
    agent = LLMSMACAgent(llm="scripted:" + json.dumps([plan, long, long]))
    with pytest.raises(ValueError, match="21231-character program.*limit is 20000"):
        agent.solve(env, seed=0)


def test_pathing_in_the_sandbox_is_plain_data():
    program = "def policy(view):\n    return view.pathing.tofile\n"
    report = play_program(program, "3m", [0], {}, LIMITS)
    assert report.error_kind == "runtime" and "AttributeError" in report.message
    assert np.asarray(SMACEnv("3m").core.spec.pathing_grid()).shape == (32, 32)
