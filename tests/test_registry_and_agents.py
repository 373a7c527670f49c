"""The registries: Gymnasium integration, unknown ids, options, agents."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tactica
from tactica import agents
from tactica.envs.registration import parse_options
from tactica.errors import UnknownIdError


def test_unknown_id_suggests_nearest():
    with pytest.raises(UnknownIdError, match="did you mean 'MarkovGame-v0'"):
        tactica.make_parallel("MarkovGame-v1")


def test_single_and_multi_makers_refuse_the_other_kind():
    from tactica.envs.registration import _REGISTRY, EnvSpec

    _REGISTRY["Dummy-v0"] = EnvSpec(id="Dummy-v0", entry_point="x:y", kind="single")
    try:
        with pytest.raises(ValueError, match="single-agent environment"):
            tactica.make_parallel("Dummy-v0")
        with pytest.raises(ValueError, match="single-agent environment"):
            tactica.make_aec("Dummy-v0")
    finally:
        del _REGISTRY["Dummy-v0"]


def test_gym_make_of_a_multi_agent_id_names_make_parallel():
    multi = [s.id for s in tactica.registry().values() if s.kind == "multi"]
    for env_id in multi:
        with pytest.raises(ValueError, match=rf"make_parallel\('{env_id}'\)"):
            gym.make(env_id)


def test_reward_thresholds_reach_gymnasium():
    for env_spec in tactica.registry().values():
        if env_spec.kind == "single":
            assert gym.spec(env_spec.id).reward_threshold == env_spec.reward_threshold


def test_single_agent_ids_are_in_gymnasium_registry():
    for env_spec in tactica.registry().values():
        if env_spec.kind == "single":
            assert env_spec.id in gym.registry


def test_gym_make_with_module_prefix_imports_tactica():
    import subprocess
    import sys

    singles = [s.id for s in tactica.registry().values() if s.kind == "single"]
    if not singles:
        pytest.skip("no single-agent environment is registered yet")
    code = f"import gymnasium as gym; env = gym.make('tactica:{singles[0]}'); print(type(env.unwrapped).__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_parse_options():
    assert parse_options(
        ["game=matching_pennies", "horizon=20", "discount=0.5", "flag=true", "xs=[1,2]"]
    ) == {
        "game": "matching_pennies",
        "horizon": 20,
        "discount": 0.5,
        "flag": True,
        "xs": [1, 2],
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_options(["novalue"])


def test_unknown_agent():
    with pytest.raises(UnknownIdError, match="did you mean 'random'"):
        agents.make("randm", action_space=gym.spaces.Discrete(2))


def test_random_agent_respects_mask_and_seed():
    agent = agents.make("random", action_space=gym.spaces.Discrete(5))
    agent.reset(seed=1)
    observation = {"observation": 0, "action_mask": np.array([0, 1, 0, 1, 0], dtype=np.int8)}
    picks = [agent.act(observation, {}) for _ in range(200)]
    assert set(picks) == {1, 3}
    agent.reset(seed=1)
    assert [agent.act(observation, {}) for _ in range(200)] == picks
    # the mask may travel in info instead
    assert {agent.act(None, {"action_mask": np.array([0, 0, 1, 0, 0])}) for _ in range(20)} == {2}
    with pytest.raises(ValueError, match="no legal action"):
        agent.act({"action_mask": np.zeros(5, dtype=np.int8)}, {})


def test_random_agent_samples_any_space_reproducibly():
    space = gym.spaces.Box(-1, 1, (3,))
    first = agents.make("random", action_space=space)
    second = agents.make("random", action_space=space)
    first.reset(seed=9)
    second.reset(seed=9)
    assert np.array_equal(first.act(None, {}), second.act(None, {}))
    with pytest.raises(TypeError, match="gymnasium Space"):
        agents.make("random", action_space=3)
