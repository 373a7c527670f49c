"""Bad input to every registered environment fails loudly with a clear message, never silently.

For every id (its first conformance options): ``reset(seed=True)`` and negative seeds are refused; ``step`` before
``reset`` says so (not "episode over"); a fractional action is refused instead of being truncated; a multi-agent
action dict naming an unknown agent, or an agent no longer in the episode, is refused.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tactica
from tactica.envs.registration import make_parallel
from tactica.envs.validation import check_agents, check_seed, discrete_action, integral

# the SMAC and TextSC2 environments adopt the shared checks together with their fidelity rework
PENDING = {"SMAC-v0", "TextSC2-v0", "SMACProgram-v1"}
SPECS = [
    pytest.param(s, marks=pytest.mark.xfail(reason="adopts the shared checks next", strict=False))
    if s.id in PENDING
    else s
    for s in tactica.registry().values()
]
IDS = list(tactica.registry())
MULTI = [s for s in tactica.registry().values() if s.kind == "multi"]


def _make(env_spec):
    options = dict(env_spec.conformance_kwargs[0]) if env_spec.conformance_kwargs else {}
    if env_spec.kind == "single":
        return gym.make(env_spec.id, **options).unwrapped
    return make_parallel(env_spec.id, **options)


@pytest.mark.parametrize("env_spec", SPECS, ids=IDS)
def test_bad_seeds_are_refused(env_spec):
    env = _make(env_spec)
    with pytest.raises(TypeError, match="seed must be a non-negative integer"):
        env.reset(seed=True)
    with pytest.raises((ValueError, TypeError), match="seed"):
        env.reset(seed=-1)
    with pytest.raises(TypeError, match="seed"):
        env.reset(seed=1.5)
    env.close()


@pytest.mark.parametrize("env_spec", SPECS, ids=IDS)
def test_step_before_reset_says_reset_first(env_spec):
    env = _make(env_spec)
    if env_spec.kind == "single":
        action = env.action_space.sample()
    else:
        action = {agent: env.action_space(agent).sample() for agent in env.possible_agents}
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(action)
    env.close()


def _fractional(space: gym.spaces.Space):
    if isinstance(space, gym.spaces.Discrete):
        return float(space.start) + 0.5
    if isinstance(space, gym.spaces.MultiDiscrete):
        return np.asarray(space.nvec, dtype=float) * 0 + 0.5
    return None


@pytest.mark.parametrize("env_spec", SPECS, ids=IDS)
def test_fractional_actions_are_refused_not_truncated(env_spec):
    env = _make(env_spec)
    observations, _ = env.reset(seed=0)
    if env_spec.kind == "single":
        action = _fractional(env.action_space)
        if action is None:
            pytest.skip(f"{env_spec.id} acts in {type(env.action_space).__name__}")
        with pytest.raises((TypeError, ValueError)):
            env.step(action)
    else:
        spaces = {agent: env.action_space(agent) for agent in env.agents}
        if not any(_fractional(space) is not None for space in spaces.values()):
            pytest.skip(f"{env_spec.id} has no integer action space")
        actions = {agent: space.sample() for agent, space in spaces.items()}
        agent = next(a for a, space in spaces.items() if _fractional(space) is not None)
        actions[agent] = _fractional(spaces[agent])
        with pytest.raises((TypeError, ValueError)):
            env.step(actions)
    env.close()


@pytest.mark.parametrize("env_spec", [SPECS[IDS.index(s.id)] for s in MULTI], ids=[s.id for s in MULTI])
def test_actions_for_unknown_agents_are_refused(env_spec):
    env = _make(env_spec)
    env.reset(seed=0)
    actions = {agent: env.action_space(agent).sample() for agent in env.agents}
    actions["nobody_42"] = 0
    with pytest.raises(ValueError, match="unknown agent"):
        env.step(actions)
    env.close()


def test_the_shared_checks():
    check_seed(None), check_seed(0), check_seed(np.int64(3))
    for bad in (True, np.bool_(False), 1.0, "1"):
        with pytest.raises(TypeError):
            check_seed(bad)
    assert discrete_action(np.int64(2), 3) == 2 and discrete_action(2.0, 3) == 2
    assert discrete_action(np.array(1), 3) == 1
    for bad in (1.5, float("nan"), True, "1"):
        with pytest.raises(TypeError):
            discrete_action(bad, 3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        discrete_action(3, 3)
    assert (
        integral([1.0, 2.0]) and not integral([1.5, 2.0]) and not integral([True]) and not integral([np.nan])
    )
    with pytest.raises(ValueError, match="no longer in the episode"):
        check_agents({"a": 0, "b": 1}, live=["a"], possible=["a", "b"])
