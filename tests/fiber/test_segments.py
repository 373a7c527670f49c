"""FiberSegments-v1: partition of the fibre, event ownership, rewards against FiberStream-v1, seeding, metrics."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence

import tactica
from tactica.envs.fiber.env import FiberStreamEnv
from tactica.envs.fiber.scoring import reward
from tactica.envs.fiber.segments import FiberSegmentsEnv, channel_energy

SMALL = {"window_s": 0.5, "pulse_rate": 500.0, "episode_windows": 30}


def _quiet(**kwargs) -> FiberSegmentsEnv:
    """Three segments of four channels (spacing 5 m: boundaries 0, 17.5, 37.5, 55 m), no random events."""
    return FiberSegmentsEnv(n_segments=3, channels_per_segment=4, event_rate=0.0, **{**SMALL, **kwargs})


def _all(env, action) -> dict:
    return {agent: np.array(action) for agent in env.agents}


# ------------------------------------------------------------------------------------------- geometry
def test_segments_partition_the_fibre_exactly_once():
    env = FiberSegmentsEnv(n_segments=4, channels_per_segment=5)
    channels = [c for i in range(4) for c in env.segment_channels(i)]
    assert channels == list(range(20))
    # boundaries midway between the segments' edge channels: (5 i - 0.5) * 5 m
    assert env.boundaries.tolist() == [0.0, 22.5, 47.5, 72.5, 95.0]
    assert env.length_m == 95.0
    for position in np.linspace(0.0, env.length_m, 1901):
        owners = [i for i in range(4) if env.boundaries[i] <= position < env.boundaries[i + 1]]
        owners = owners or [3]  # the fibre end belongs to the last segment
        assert env.segment_of(position) == owners[0]
    # half-open: a boundary point belongs to the segment on its right
    assert env.segment_of(22.5) == 1 and env.segment_of(math.nextafter(22.5, 0.0)) == 0
    assert env.segment_of(95.0) == 3
    with pytest.raises(ValueError, match="position"):
        env.segment_of(96.0)


@pytest.mark.parametrize(("position", "owner"), [(10.0, 0), (17.5, 1), (27.5, 1), (37.5, 2), (50.0, 2)])
def test_an_event_has_exactly_one_owner(position, owner):
    env = _quiet()
    env.reset(seed=0)
    stream = env._stream
    assert stream.add_event(stream.new_event(3, stream.time, distance=1.0, x=position))
    env.step(_all(env, (0, 0)))  # judges the window read by reset(), before the event started
    _, _, _, _, infos = env.step(_all(env, (0, 0)))
    classes = [infos[a]["truth_class"] for a in env.possible_agents]
    assert classes == [3 if i == owner else 0 for i in range(3)]
    assert infos[f"segment_{owner}"]["truth_position"] == position
    assert infos[f"segment_{owner}"]["segment"] == (env.boundaries[owner], env.boundaries[owner + 1])


# ------------------------------------------------------------------------------------------- rewards
def test_the_owner_gets_the_detection_reward_and_the_others_see_background():
    env = _quiet()
    env.reset(seed=1)
    stream = env._stream
    # an excavator 3 m from the fibre (bin 1, nearness w = 2 - 1/4 = 1.75) in the middle segment
    assert stream.add_event(stream.new_event(4, stream.time, distance=3.0, x=27.5))
    # the window read by reset() precedes the event; the next one (observed now) holds it
    obs, rewards, *_ = env.step(_all(env, (0, 0)))
    assert rewards == {a: 0.1 for a in env.possible_agents}
    # the neighbour summary is the neighbouring segments' per-channel energy, zeros at the fibre ends
    middle = obs["segment_1"]["window"]
    assert np.array_equal(obs["segment_0"]["neighbours"][1], channel_energy(middle))
    assert np.array_equal(obs["segment_2"]["neighbours"][0], channel_energy(middle))
    assert not obs["segment_0"]["neighbours"][0].any() and not obs["segment_2"]["neighbours"][1].any()
    # the excavator is louder in its own segment than in the next one
    assert channel_energy(middle).max() > channel_energy(obs["segment_2"]["window"]).max()
    obs, rewards, *_, infos = env.step(_all(env, (4, 1)))
    # owner: a hit, w * REWARD_HIT; the neighbours raised a threat alarm on background: -1.5 each
    assert rewards == {"segment_0": -1.5, "segment_1": 1.75, "segment_2": -1.5}
    assert [infos[a]["truth_bin"] for a in env.possible_agents] == [-1, 1, -1]
    obs, rewards, *_, infos = env.step(_all(env, (0, 0)))
    # all silent: the owner missed a threat, -3 w = -5.25; the neighbours named background right, +0.1
    assert rewards == {"segment_0": 0.1, "segment_1": -5.25, "segment_2": 0.1}
    fibre = infos["segment_1"]["fibre"]
    assert fibre["windows"] == 9 and fibre["total_reward"] == pytest.approx(0.3 + 1.75 - 3.0 - 5.25 + 0.2)


def test_one_segment_is_fiberstream():
    """With one segment the env is FiberStream-v1: same windows, same rewards, same metrics, step by step."""
    kwargs = {**SMALL, "domain": "wet_clay"}
    multi = FiberSegmentsEnv(n_segments=1, channels_per_segment=6, neighbours=False, **kwargs)
    single = FiberStreamEnv(n_channels=6, **kwargs)
    obs_m, _ = multi.reset(seed=3)
    obs_s, _ = single.reset(seed=3)
    assert np.array_equal(obs_m["segment_0"], obs_s)
    rng = np.random.default_rng(0)
    total = 0.0
    for _ in range(SMALL["episode_windows"]):
        action = rng.integers(0, 5, size=2)
        obs_m, rew_m, _, trunc_m, info_m = multi.step({"segment_0": action})
        obs_s, rew_s, _, trunc_s, info_s = single.step(action)
        assert np.array_equal(obs_m["segment_0"], obs_s)
        assert rew_m["segment_0"] == rew_s
        assert trunc_m["segment_0"] == trunc_s
        info = info_m["segment_0"]
        assert rew_s == reward(info["truth_class"], max(info["truth_bin"], 0), *action)
        total += rew_s
    for key in ("accuracy", "macro_f1", "nar", "fnr", "false_alarms_per_km_hour", "distance_mae_m"):
        assert info[key] == info_s[key] == info["fibre"][key]
    assert info["total_reward"] == pytest.approx(total)


def test_segments_tile_the_whole_fibre_window():
    """The segments' windows, stacked, are FiberStream-v1's window of the whole fibre for the same seed."""
    multi = FiberSegmentsEnv(n_segments=3, channels_per_segment=4, neighbours=False, **SMALL)
    single = FiberStreamEnv(n_channels=12, **SMALL)
    obs_m, _ = multi.reset(seed=5)
    obs_s, _ = single.reset(seed=5)
    for _ in range(10):
        assert np.array_equal(np.concatenate([obs_m[a] for a in multi.possible_agents]), obs_s)
        obs_m, *_ = multi.step(_all(multi, (0, 0)))
        obs_s, *_ = single.step(np.array([0, 0]))


def test_per_agent_and_fibre_metrics():
    env = _quiet(episode_windows=4)
    env.reset(seed=2)
    for _ in range(4):
        _, rewards, _, truncations, infos = env.step(_all(env, (3, 0)))
        assert rewards == {a: -1.5 for a in env.possible_agents}
    assert all(truncations.values()) and env.agents == []
    # every window of every segment is a false threat alarm on 4 channels x 5 m = 0.02 km over 0.5 s:
    # 1 / (0.02 km * 0.5 s / 3600 s/h) = 360000 per km-hour, per segment and over the fibre
    for agent in env.possible_agents:
        assert infos[agent]["windows"] == 4 and infos[agent]["nar"] == 1.0
        assert infos[agent]["false_alarms_per_km_hour"] == pytest.approx(360000.0)
        assert infos[agent]["total_reward"] == pytest.approx(-6.0)
    fibre = infos["segment_0"]["fibre"]
    assert fibre["windows"] == 12 and fibre["total_reward"] == pytest.approx(-18.0)
    assert fibre["false_alarms_per_km_hour"] == pytest.approx(360000.0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


# ------------------------------------------------------------------------------------------- seeding, API
def _trajectory(seed: int, steps: int = 12) -> list:
    env = tactica.make_parallel("FiberSegments-v1", n_segments=2, channels_per_segment=3, **SMALL)
    obs, infos = env.reset(seed=seed)
    out = [obs, infos]
    rng = np.random.default_rng(0)
    for _ in range(steps):
        out.append(env.step({a: rng.integers(0, 5, size=2) for a in env.agents}))
    return out


def test_same_seed_same_trajectory_and_seeds_differ():
    assert data_equivalence(_trajectory(7), _trajectory(7))
    assert not data_equivalence(_trajectory(7, steps=1), _trajectory(8, steps=1))


def test_reset_without_seed_continues_the_generator():
    env = FiberSegmentsEnv(n_segments=2, channels_per_segment=3, **SMALL)
    first, _ = env.reset(seed=4)
    second, _ = env.reset()
    again, _ = FiberSegmentsEnv(n_segments=2, channels_per_segment=3, **SMALL).reset(seed=4)
    assert data_equivalence(first, again)
    assert not data_equivalence(first, second)


def test_spaces_pickle_and_render():
    env = tactica.make_parallel("FiberSegments-v1", render_mode="ansi")
    assert env.possible_agents == ["segment_0", "segment_1", "segment_2", "segment_3"]
    space = env.observation_space("segment_0")
    assert space["window"].shape == (12, 2000) and space["neighbours"].shape == (2, 12)
    assert list(env.action_space("segment_3").nvec) == [5, 5]
    small = FiberSegmentsEnv(n_segments=2, channels_per_segment=3, render_mode="ansi", **SMALL)
    obs, _ = small.reset(seed=0)
    assert all(small.observation_space(a).contains(obs[a]) for a in small.agents)
    small.step(_all(small, (1, 2)))
    clone = pickle.loads(pickle.dumps(small))
    assert data_equivalence(small.step(_all(small, (0, 0))), clone.step(_all(clone, (0, 0))))
    text = small.render()
    assert "segment_1" in text and "fibre: acc" in text


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="n_segments"):
        FiberSegmentsEnv(n_segments=0)
    with pytest.raises(ValueError, match="n_channels"):
        FiberSegmentsEnv(channels_per_segment=2)
    with pytest.raises(TypeError, match="neighbours"):
        FiberSegmentsEnv(neighbours="yes")
    with pytest.raises(ValueError, match="event_rate"):
        FiberSegmentsEnv(event_rate=-1.0)
    env = _quiet()
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})
    env.reset(seed=0)
    with pytest.raises(ValueError, match="missing \\['segment_2'\\]"):
        env.step({"segment_0": (0, 0), "segment_1": (0, 0)})
    with pytest.raises(ValueError, match="unknown agents \\['segment_9'\\]"):
        env.step({**_all(env, (0, 0)), "segment_9": (0, 0)})
    with pytest.raises(ValueError, match="action of segment_1"):
        env.step({**_all(env, (0, 0)), "segment_1": (5, 0)})
    with pytest.raises(ValueError, match="unknown agent"):
        env.action_space("pipe")
