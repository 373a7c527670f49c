"""FiberStream-v1: spaces, seeding, rewards, metrics, rendering, and Gymnasium's checker."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import tactica  # noqa: F401  (registers the ids)
from tactica.envs.fiber import constants as K
from tactica.envs.fiber.scoring import AlarmMetrics, confusion_matrix, fnr, macro_f1, nar, reward

SMALL = {"n_channels": 6, "window_s": 0.25, "pulse_rate": 500.0, "episode_windows": 12}


@pytest.mark.parametrize("extra", [{}, {"output": "intensity", "domain": "frozen", "zone_km": 10.0}])
def test_check_env_without_warnings(extra):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make("FiberStream-v1", **SMALL, **extra).unwrapped)


def test_intensity_observations_are_differenced_16_bit_counts():
    env = gym.make("FiberStream-v1", **SMALL, output="intensity", event_rate=40000.0)
    assert env.observation_space.high.max() == 65535.0
    obs, _ = env.reset(seed=1)
    windows = [obs] + [env.step((0, 0))[0] for _ in range(4)]
    data = np.concatenate(windows, axis=1)
    np.testing.assert_array_equal(data, np.rint(data))  # differences of whole counts
    level = np.cumsum(data, axis=1)  # the intensity less its first sample: a uint16 swing
    assert np.ptp(level, axis=1).max() <= 65535


def test_pipe_distance_in_info_follows_side_and_offset():
    env = gym.make(
        "FiberStream-v1", n_channels=8, window_s=1.0, episode_windows=30, event_rate=40000.0, pipe_offset=0.8
    )
    env.reset(seed=3)
    seen = 0
    for _ in range(30):
        _, _, _, _, info = env.step((0, 0))
        if info["truth_class"]:
            d, p = info["truth_distance"], info["truth_pipe_distance"]
            assert p == pytest.approx(abs(0.8 + d)) or p == pytest.approx(abs(0.8 - d))
            seen += 1
        else:
            assert info["truth_pipe_distance"] == -1.0
    assert seen
    with pytest.raises(ValueError, match="output"):
        gym.make("FiberStream-v1", output="amplitude")
    with pytest.raises(ValueError, match="zone_km"):
        gym.make("FiberStream-v1", zone_km=-1.0)


def test_spaces_and_default_layout():
    env = gym.make("FiberStream-v1")
    assert env.observation_space.shape == (12, 2000)
    assert env.observation_space.dtype == np.float32
    assert list(env.action_space.nvec) == [5, 5]
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["windows"] == 0


def _rollout(seed: int, steps: int = 12):
    env = gym.make("FiberStream-v1", **SMALL)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    rng = np.random.default_rng(0)
    for _ in range(steps):
        obs, r, term, trunc, info = env.step(rng.integers(0, 5, size=2))
        out.append(obs)
    return np.stack(out), info, trunc


def test_same_seed_same_trajectory():
    a, info_a, trunc = _rollout(7)
    b, info_b, _ = _rollout(7)
    c, _, _ = _rollout(8)
    np.testing.assert_array_equal(a, b)
    assert info_a == info_b
    assert not np.array_equal(a, c)
    assert trunc  # 12 windows is the episode length


def test_truth_in_info_and_metrics_consistent():
    env = gym.make("FiberStream-v1", n_channels=8, window_s=1.0, episode_windows=40, event_rate=40000.0)
    env.reset(seed=3)
    kinds, total = [], 0.0
    for _ in range(40):
        # the oracle answer is not available before acting, so always say "background"
        _, r, _, _, info = env.step(np.array([0, 0]))
        kinds.append(info["truth_class"])
        total += r
    assert set(kinds) - {0}, "a busy stream must hold events"
    # answering background: every event is a miss (FNR 1), no alarm at all (NAR 0)
    assert info["fnr"] == pytest.approx(1.0)
    assert info["nar"] == 0.0
    assert info["accuracy"] == pytest.approx(kinds.count(0) / 40)
    assert info["total_reward"] == pytest.approx(total)


def test_reward_table_by_hand():
    # digging (3) at bin 0: nearness 2
    assert reward(3, 0, 3, 0) == pytest.approx(2.0)
    assert reward(3, 0, 3, 2) == pytest.approx(0.5 - 0.5)
    assert reward(3, 0, 4, 0) == pytest.approx(1.0)  # the other threat class: half
    assert reward(3, 0, 0, 0) == pytest.approx(-6.0)  # a missed threat at the pipe
    assert reward(4, 4, 1, 0) == pytest.approx(-3.0)  # a missed threat far away: nearness 1
    assert reward(0, 0, 3, 1) == pytest.approx(-K.COST_FALSE_ALARM)
    assert reward(1, 2, 1, 0) == pytest.approx(K.REWARD_CORRECT_SILENCE)
    assert reward(2, 2, 1, 0) == 0.0


def test_bjtu_metrics_by_hand():
    # truth  : 0 0 0 1 1 3 3 4
    # predict: 0 3 0 1 0 3 3 0
    d = confusion_matrix([0, 0, 0, 1, 1, 3, 3, 4], [0, 3, 0, 1, 0, 3, 3, 0])
    assert nar(d) == pytest.approx(1 / 4)  # one of four alarms on background
    assert fnr(d) == pytest.approx(2 / 5)  # two of five events judged background
    # F1: class0 2*2/(3+4)=4/7, class1 2/(2+1)=2/3, class3 4/(2+3)=4/5, class4 0 -> mean over 4 present classes
    assert macro_f1(d) == pytest.approx((4 / 7 + 2 / 3 + 4 / 5 + 0) / 4)
    m = AlarmMetrics(fibre_km=0.06, window_s=2.0)
    m.update(0, 0, 0.0, 3, 1)
    m.update(3, 1, 3.0, 3, 2)
    s = m.summary()
    # one threat false alarm in 0.06 km x 4 s
    assert s["false_alarms_per_km_hour"] == pytest.approx(1 / (0.06 * 4 / 3600))
    assert s["distance_mae_m"] == pytest.approx(abs(7.5 - 3.0))


def test_render_pickle_and_bad_input():
    env = gym.make("FiberStream-v1", render_mode="ansi", **SMALL)
    env.reset(seed=1)
    env.step(np.array([3, 1]))
    text = env.render()
    assert isinstance(text, str) and "FiberStream-v1" in text and "manual_digging" in text
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    np.testing.assert_array_equal(clone.step(np.array([0, 0]))[0], env.unwrapped.step(np.array([0, 0]))[0])
    with pytest.raises(ValueError, match="action"):
        env.unwrapped.step(np.array([7, 0]))
    with pytest.raises(ValueError, match="domain"):
        gym.make("FiberStream-v1", domain="granite")
    with pytest.raises(ValueError, match="n_channels"):
        gym.make("FiberStream-v1", n_channels=1)
    with pytest.raises(ValueError, match="event_rate"):
        gym.make("FiberStream-v1", event_rate=-1.0)
