"""The conformance suite: every registered environment id, with every configuration its spec lists.

Registering an id is enough to be covered.  Single-agent ids go through Gymnasium's ``check_env`` (any warning
fails unless the spec allow-lists it with a reason); multi-agent ids through PettingZoo's ``api_test``,
``parallel_api_test`` and seed tests.  Every id must give the identical trajectory for the same seed over 200
random masked steps, survive a pickle round-trip mid-episode, render a ``str`` in "ansi" mode, and render
uint8 ``(H, W, 3)`` frames in "rgb_array" mode within 50 ms of CPU each.
"""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence

import tactica
from tactica.agents.random_agent import RandomAgent
from tactica.envs.registration import EnvSpec, make_aec, make_parallel

STEPS = 200

# PettingZoo heuristics that fire on every environment whose observation is a Dict carrying an action mask
# (all of PettingZoo's own classic games included); they are advice, not API violations.
PETTINGZOO_ALLOWED = (
    (
        "Observation is not a NumPy array",
        "Dict observations with an action mask, as PettingZoo's classic games",
    ),
    ("probably should be gymnasium.spaces.box", "Dict observations with an action mask"),
    ("is not a numpy array", "Dict observations with an action mask"),
)


def _cases() -> list[tuple[EnvSpec, dict]]:
    return [
        (env_spec, kwargs)
        for env_spec in tactica.registry().values()
        for kwargs in env_spec.conformance_kwargs
    ]


CASES = _cases()
IDS = [
    f"{env_spec.id}-{index}"
    for env_spec in tactica.registry().values()
    for index in range(len(env_spec.conformance_kwargs))
]
SINGLE = [case for case in CASES if case[0].kind == "single"]
MULTI = [case for case in CASES if case[0].kind == "multi"]


def _ids(cases):
    counts: dict[str, int] = {}
    names = []
    for env_spec, _ in cases:
        counts[env_spec.id] = counts.get(env_spec.id, 0) + 1
        names.append(f"{env_spec.id}[{counts[env_spec.id] - 1}]")
    return names


def _check_warnings(caught, allowed) -> None:
    unexpected = [str(w.message) for w in caught if not any(text in str(w.message) for text, _ in allowed)]
    assert not unexpected, f"unexpected warnings: {unexpected}"


def test_every_registered_id_is_covered():
    covered = {env_spec.id for env_spec, _ in CASES}
    registered = set(tactica.registry())
    assert covered == registered, f"registered but not covered: {sorted(registered - covered)}"
    for env_spec in tactica.registry().values():
        assert env_spec.kind in ("single", "multi")
        assert env_spec.conformance_kwargs, f"{env_spec.id} lists no conformance configuration"
        assert env_spec.summary, f"{env_spec.id} has no summary for 'tactica envs'"


# ------------------------------------------------------------------------------------------ single-agent
def _rollout_single(env, seed: int) -> list:
    agent = RandomAgent(env.action_space)
    agent.reset(seed=seed)
    trajectory = []
    observation, info = env.reset(seed=seed)
    trajectory.append(observation)
    for _ in range(STEPS):
        observation, reward, terminated, truncated, info = env.step(agent.act(observation, info))
        trajectory.append((observation, reward, terminated, truncated))
        if terminated or truncated:
            observation, info = env.reset()
            trajectory.append(observation)
    return trajectory


@pytest.mark.parametrize(("env_spec", "kwargs"), SINGLE, ids=_ids(SINGLE))
def test_single_agent_check_env(env_spec, kwargs):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_spec.id, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    env.close()
    _check_warnings(caught, env_spec.conformance_warnings)


@pytest.mark.parametrize(("env_spec", "kwargs"), SINGLE, ids=_ids(SINGLE))
def test_single_agent_same_seed_same_trajectory(env_spec, kwargs):
    first = _rollout_single(gym.make(env_spec.id, **kwargs), seed=7)
    second = _rollout_single(gym.make(env_spec.id, **kwargs), seed=7)
    assert data_equivalence(first, second)


@pytest.mark.parametrize(("env_spec", "kwargs"), SINGLE, ids=_ids(SINGLE))
def test_single_agent_pickle_round_trip(env_spec, kwargs):
    env = gym.make(env_spec.id, **kwargs)
    agent = RandomAgent(env.action_space)
    agent.reset(seed=3)
    observation, info = env.reset(seed=3)
    for _ in range(3):
        observation, _, terminated, truncated, info = env.step(agent.act(observation, info))
        if terminated or truncated:
            observation, info = env.reset(seed=4)
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(5):
        action = agent.act(observation, info)
        step_a = env.step(action)
        step_b = clone.step(action)
        assert data_equivalence(step_a, step_b)
        observation, _, terminated, truncated, info = step_a
        if terminated or truncated:
            break


@pytest.mark.parametrize(("env_spec", "kwargs"), SINGLE, ids=_ids(SINGLE))
def test_single_agent_ansi_render(env_spec, kwargs):
    env = gym.make(env_spec.id, render_mode="ansi", **kwargs)
    env.reset(seed=0)
    assert isinstance(env.render(), str)


# ------------------------------------------------------------------------------------------ multi-agent
class _MaskedDiscrete(gym.spaces.Discrete):
    """A Discrete space whose ``sample()`` honours the seat's current action mask.

    PettingZoo 1.27's ``parallel_seed_test`` samples without the mask; envs with state-dependent legal moves
    (which raise on an illegal action rather than clamping it) need the mask to be used.
    """

    def __init__(self, base: gym.spaces.Discrete, current_mask):
        super().__init__(int(base.n), start=int(base.start))
        self._current_mask = current_mask

    def sample(self, mask=None, probability=None):
        return super().sample(mask=self._current_mask() if mask is None else mask)


class _MaskRespectingParallel:
    """Wraps a ParallelEnv so PettingZoo's seed test samples legal actions."""

    def __init__(self, env):
        self.env = env
        self._observations = {}
        self._spaces = {}

    def __getattr__(self, name):
        return getattr(self.env, name)

    def _mask(self, agent):
        observation = self._observations.get(agent)
        if isinstance(observation, dict) and "action_mask" in observation:
            return np.asarray(observation["action_mask"], dtype=np.int8)
        return None

    def action_space(self, agent):
        base = self.env.action_space(agent)
        if not isinstance(base, gym.spaces.Discrete):
            return base
        if agent not in self._spaces:
            self._spaces[agent] = _MaskedDiscrete(base, lambda: self._mask(agent))
        return self._spaces[agent]

    def reset(self, seed=None, options=None):
        observations, infos = self.env.reset(seed=seed, options=options)
        self._observations = observations
        return observations, infos

    def step(self, actions):
        result = self.env.step(actions)
        self._observations = result[0]
        return result


@pytest.mark.parametrize(("env_spec", "kwargs"), MULTI, ids=_ids(MULTI))
def test_multi_agent_pettingzoo_api(env_spec, kwargs):
    from pettingzoo.test import api_test, parallel_api_test

    allowed = PETTINGZOO_ALLOWED + env_spec.conformance_warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(make_parallel(env_spec.id, **kwargs), num_cycles=STEPS)
        api_test(make_aec(env_spec.id, **kwargs), num_cycles=STEPS)
    _check_warnings(caught, allowed)


@pytest.mark.parametrize(("env_spec", "kwargs"), MULTI, ids=_ids(MULTI))
def test_multi_agent_pettingzoo_seed_tests(env_spec, kwargs):
    from pettingzoo.test import parallel_seed_test, seed_test

    allowed = PETTINGZOO_ALLOWED + env_spec.conformance_warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seed_test(lambda: make_aec(env_spec.id, **kwargs), num_cycles=STEPS)
        parallel_seed_test(
            lambda: _MaskRespectingParallel(make_parallel(env_spec.id, **kwargs)), num_cycles=STEPS
        )
    _check_warnings(caught, allowed)


def _rollout_multi(env, seed: int) -> list:
    players = {}
    for index, name in enumerate(env.possible_agents):
        players[name] = RandomAgent(env.action_space(name))
        players[name].reset(seed=seed + index)
    observations, infos = env.reset(seed=seed)
    trajectory = [observations]
    for _ in range(STEPS):
        if not env.agents:
            observations, infos = env.reset()
            trajectory.append(observations)
        actions = {name: players[name].act(observations[name], infos.get(name, {})) for name in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)
        trajectory.append((actions, observations, rewards, terminations, truncations))
    return trajectory


@pytest.mark.parametrize(("env_spec", "kwargs"), MULTI, ids=_ids(MULTI))
def test_multi_agent_same_seed_same_trajectory(env_spec, kwargs):
    first = _rollout_multi(make_parallel(env_spec.id, **kwargs), seed=11)
    second = _rollout_multi(make_parallel(env_spec.id, **kwargs), seed=11)
    assert data_equivalence(first, second)


@pytest.mark.parametrize(("env_spec", "kwargs"), MULTI, ids=_ids(MULTI))
def test_multi_agent_pickle_round_trip(env_spec, kwargs):
    env = make_parallel(env_spec.id, **kwargs)
    players = {name: RandomAgent(env.action_space(name)) for name in env.possible_agents}
    for index, player in enumerate(players.values()):
        player.reset(seed=index)
    observations, infos = env.reset(seed=5)
    actions = {name: players[name].act(observations[name], infos.get(name, {})) for name in env.agents}
    observations, *_, infos = env.step(actions)
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(5):
        if not env.agents:
            break
        actions = {name: players[name].act(observations[name], infos.get(name, {})) for name in env.agents}
        step_a = env.step(actions)
        step_b = clone.step(actions)
        assert data_equivalence(step_a, step_b)
        observations, *_, infos = step_a


@pytest.mark.parametrize(("env_spec", "kwargs"), MULTI, ids=_ids(MULTI))
def test_multi_agent_ansi_render(env_spec, kwargs):
    parallel = make_parallel(env_spec.id, render_mode="ansi", **kwargs)
    parallel.reset(seed=0)
    assert isinstance(parallel.render(), str)
    aec = make_aec(env_spec.id, render_mode="ansi", **kwargs)
    aec.reset(seed=0)
    assert isinstance(aec.render(), str)


# ------------------------------------------------------------------------------------------ pictures
FRAME_CPU_SECONDS = 0.05  # the render contract's budget: a frame in under 50 ms of CPU


def _picture_env(env_spec: EnvSpec, kwargs: dict):
    if env_spec.kind == "single":
        return gym.make(env_spec.id, render_mode="rgb_array", **kwargs)
    return make_parallel(env_spec.id, render_mode="rgb_array", **kwargs)


def _random_frames(env, env_spec: EnvSpec, steps: int = 4) -> list:
    """Frames after reset and after each of a few random (masked) steps."""
    frames = []
    if env_spec.kind == "single":
        agent = RandomAgent(env.action_space)
        agent.reset(seed=0)
        observation, info = env.reset(seed=0)
        frames.append(env.render())
        for _ in range(steps):
            observation, _, terminated, truncated, info = env.step(agent.act(observation, info))
            frames.append(env.render())
            if terminated or truncated:
                break
        return frames
    players = {name: RandomAgent(env.action_space(name)) for name in env.possible_agents}
    for index, player in enumerate(players.values()):
        player.reset(seed=index)
    observations, infos = env.reset(seed=0)
    frames.append(env.render())
    for _ in range(steps):
        if not env.agents:
            break
        actions = {name: players[name].act(observations[name], infos.get(name, {})) for name in env.agents}
        observations, *_, infos = env.step(actions)
        frames.append(env.render())
    return frames


@pytest.mark.parametrize(("env_spec", "kwargs"), CASES, ids=_ids(CASES))
def test_rgb_array_frames(env_spec, kwargs):
    """Gymnasium's render contract: ``rgb_array`` gives uint8 (H, W, 3) frames of a sensible, steady size."""
    env = _picture_env(env_spec, kwargs)
    metadata = env.metadata
    assert "rgb_array" in metadata["render_modes"], f"{env_spec.id} lists no rgb_array render mode"
    assert metadata.get("render_fps", 0) > 0, f"{env_spec.id} metadata has no render_fps (videos need it)"
    frames = _random_frames(env, env_spec)
    env.close()
    shapes = {frame.shape for frame in frames}
    assert len(shapes) == 1, f"frame size changes within an episode: {shapes}"
    for frame in frames:
        assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8
        height, width, channels = frame.shape
        assert channels == 3 and 64 <= height <= 480 and 64 <= width <= 640
        assert frame.std() > 0, "a blank frame"
    if env_spec.kind == "multi":  # the AEC form renders the same picture
        aec = make_aec(env_spec.id, render_mode="rgb_array", **kwargs)
        aec.reset(seed=0)
        assert aec.render().shape == frames[0].shape


@pytest.mark.parametrize(("env_spec", "kwargs"), CASES, ids=_ids(CASES))
def test_rgb_array_frame_cpu_time(env_spec, kwargs):
    """Each frame costs under 50 ms of CPU: the least of five renders after the first (which imports and caches
    fonts and colour maps) is measured, so a busy machine does not fail the test."""
    import time

    env = _picture_env(env_spec, kwargs)
    _random_frames(env, env_spec, steps=3)
    costs = []
    for _ in range(5):
        start = time.process_time()
        env.render()
        costs.append(time.process_time() - start)
    env.close()
    assert min(costs) < FRAME_CPU_SECONDS, f"{env_spec.id}: a frame costs {min(costs) * 1000:.1f} ms of CPU"
