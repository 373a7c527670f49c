"""SMAC-v2 (PettingZoo), SMACEnv's oxwhirl API, the vector env and seeding."""

import numpy as np
import pytest

import tactica
from tactica.envs.smac import SMACEnv
from tactica.envs.smac.vector import SMACVectorEnv


def random_episode(env, rng):
    env.reset()
    total, terminated, info = 0.0, False, {}
    while not terminated:
        avail = np.array(env.get_avail_actions())
        actions = [rng.choice(np.flatnonzero(a)) for a in avail]
        reward, terminated, info = env.step(actions)
        total += reward
    return total, info


def test_oxwhirl_api_episode_and_stats():
    env = SMACEnv("3m", seed=3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        total, info = random_episode(env, rng)
        assert set(info) >= {"battle_won", "dead_allies", "dead_enemies"}
        assert 0 <= total <= 21
    stats = env.get_stats()
    assert stats["battles_game"] == 3 and stats["battles_draw"] == stats["timeouts"]
    assert set(stats) == {"battles_won", "battles_game", "battles_draw", "win_rate", "timeouts", "restarts"}


def test_illegal_action_is_a_clear_error():
    env = SMACEnv("3m", seed=0)
    env.reset()
    with pytest.raises(
        ValueError, match=r"agent 0 cannot perform action 6; available actions: \[1, 2, 3, 4, 5\]"
    ):
        env.step([6, 1, 1])
    with pytest.raises(ValueError, match="one action id per agent"):
        env.step([1, 1])


def test_dead_agents_see_zeros_and_may_only_noop():
    env = SMACEnv("3m", seed=0)
    env.reset()
    env.core.sim.alive[0, 0] = False
    env.core.sim.hp[0, 0] = 0
    env.core._out = None
    assert env.get_avail_agent_actions(0) == [1] + [0] * 8
    assert not env.get_obs_agent(0).any()


def test_same_seed_same_trajectory():
    def run(seed):
        env = SMACEnv("3s5z", seed=seed)
        rng = np.random.default_rng(5)
        env.reset()
        out = []
        for _ in range(30):
            avail = np.array(env.get_avail_actions())
            reward, done, _ = env.step([rng.choice(np.flatnonzero(a)) for a in avail])
            out.append((reward, env.get_state().copy()))
            if done:
                break
        return out

    a, b = run(11), run(11)
    assert all(ra == rb and np.array_equal(sa, sb) for (ra, sa), (rb, sb) in zip(a, b))


def test_observation_layout_of_3m_at_start():
    env = SMACEnv("3m", seed=0)
    obs, state = env.reset()
    o = obs[0]
    assert list(o[:4]) == [1, 1, 1, 1]  # all moves open
    # enemies start 14 apart: out of sight 9, so their features are zero
    assert not o[4:19].any()
    # ally slot 0 (agent 1): visible, health 1
    assert o[19] == 1 and o[23] == 1
    assert o[-1] == 1  # own health
    # state: ally 0 health 1, cooldown 0, x = (9 - 16) / 32 shifted by the formation
    assert (
        state[0] == 1 and state[1] == 0 and state[2] == pytest.approx((env.core.sim.pos[0, 0, 0] - 16) / 32)
    )


def test_pettingzoo_env_names_and_spaces():
    env = tactica.make_parallel("SMAC-v2", map_name="MMM")
    obs, _ = env.reset(seed=0)
    assert (
        env.possible_agents[:3] == ["marauder_0", "marauder_1", "marine_0"]
        and env.possible_agents[-1] == "medivac_0"
    )
    assert env.action_space("marine_0").n == 15
    assert obs["marine_0"]["observation"].shape == (160,) and env.state().shape == (290,)
    actions = {a: int(np.flatnonzero(obs[a]["action_mask"])[0]) for a in env.agents}
    _, rewards, term, trunc, infos = env.step(actions)
    assert set(rewards) == set(actions) and not any(term.values())


def test_pettingzoo_masked_random_play_ends():
    env = tactica.make_parallel("SMAC-v2", map_name="3m")
    obs, _ = env.reset(seed=1)
    rng = np.random.default_rng(1)
    steps = 0
    while env.agents:
        actions = {a: int(rng.choice(np.flatnonzero(obs[a]["action_mask"]))) for a in env.agents}
        obs, rewards, term, trunc, infos = env.step(actions)
        steps += 1
    assert steps <= 60


def test_vector_env_matches_shapes_and_autoresets():
    env = SMACVectorEnv("3m", num_envs=5)
    obs, state, avail = env.reset(seed=0)
    assert obs.shape == (5, 3, 30) and state.shape == (5, 48) and avail.shape == (5, 3, 9)
    ended = 0
    for _ in range(200):
        obs, state, avail, reward, done, info = env.step(env.random_actions(avail))
        ended += int(done.sum())
    assert ended >= 5
    assert ((avail[:, :, 1] == 1) ^ (avail[:, :, 0] == 1)).all()  # alive: stop; dead: no-op only


def test_shield_regeneration_abs_quirk_flag():
    # an undamaged-for-10-s zealot regains shield: SMAC's abs() turns the negative delta into reward
    kw = dict(
        seed=0, cooldown_jitter=False, unit_overrides=([("stalker", 5.0, 16.0)], [("zealot", 30.0, 23.0)])
    )
    for quirk, sign in ((True, 1), (False, 0)):
        env = SMACEnv("3s_vs_3z", reward_abs_quirk=quirk, **kw)
        env.reset()
        env.core.sim.sh[0, 1] = 10.0
        env.core.sim.order[0, 1] = 0
        reward, _, _ = env.step([1])
        assert (reward > 0) == bool(sign)
