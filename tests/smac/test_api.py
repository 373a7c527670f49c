"""The remaining differences from oxwhirl/smac's StarCraft2Env, each pinned against SMAC's own code
(smac/env/starcraft2/starcraft2.py at d6aab33)."""

import numpy as np
import pytest

from tactica.envs.smac import SMACEnv


def test_state_positions_are_divided_by_the_playable_size():
    # get_state_dict: (x - map_x / 2) / max_distance_x with max_distance the playable width / height (32 on
    # every SMAC map, whose camera bounds are 0..32), also on the line maps whose ground is 16 high
    env = SMACEnv("3m", seed=0)
    _, state = env.reset()
    sim = env.core.sim
    assert env.core.spec.playable == (0.0, 0.0, 32.0, 32.0)
    assert state[2] == pytest.approx((sim.pos[0, 0, 0] - 16) / 32)
    assert state[3] == pytest.approx((sim.pos[0, 0, 1] - 16) / 32)


def test_visibility_matrix_has_a_false_diagonal():
    # get_visibility_matrix fills enemies and the allies with a larger id, symmetrically: never the agent itself
    env = SMACEnv("3m", seed=0)
    env.reset()
    vis = env.get_visibility_matrix()
    assert vis.shape == (3, 6) and vis.dtype == bool
    assert not vis[np.arange(3), np.arange(3)].any()
    assert vis[0, 1] and vis[1, 0] and vis[0, 2]  # allies spawn next to each other
    assert not vis[:, 3:].any()  # enemies start 14 away


def test_obs_all_health_forces_obs_own_health():
    # __init__: "if self.obs_all_health: self.obs_own_health = True"
    assert SMACEnv("3m", obs_own_health=False).get_obs_size() == SMACEnv("3m").get_obs_size() == 30
    # without any health: 3 enemy, 2 ally and 1 own feature fewer
    assert SMACEnv("3m", obs_own_health=False, obs_all_health=False).get_obs_size() == 30 - 3 - 2 - 1


def test_obs_timestep_number_vector_is_one_longer_than_get_obs_size():
    # get_obs_own_feats_size counts the timestep, and get_obs_agent appends it after the own features: the
    # vector is [..., own health, 0, t / limit], one longer than get_obs_size()
    env = SMACEnv("3m", obs_timestep_number=True, seed=0)
    obs, _ = env.reset()
    assert env.get_obs_size() == 31 and env.get_env_info()["obs_shape"] == 31
    assert obs[0].shape == (32,) and obs[0][-2] == 0 and obs[0][-1] == 0
    env.step([1, 1, 1])
    o = env.get_obs_agent(0)
    assert o[-1] == pytest.approx(1 / 60) and o[-2] == 0 and o[-3] == 1.0  # own health before the zero slot
    env = SMACEnv("3m", obs_timestep_number=True, obs_instead_of_state=True)
    assert env.get_state_size() == 3 * 31 and env.reset()[1].shape == (3 * 32,)


def test_a_unit_in_the_first_column_may_move_west():
    # can_move uses int() of the point half a move away: int(0.5 - 1) = int(-0.5) = 0 is in bounds
    env = SMACEnv("3s_vs_3z", seed=0, unit_overrides=([("stalker", 0.5, 16.0)], [("zealot", 30.0, 16.0)]))
    env.reset()
    assert env.get_avail_agent_actions(0)[5] == 1
    env.step([5])  # SC2 keeps the unit on the map
    assert 0.0 <= env.core.sim.pos[0, 0, 0] < 0.5
    env = SMACEnv("3s_vs_3z", seed=0, unit_overrides=([("stalker", 16.0, 0.5)], [("zealot", 30.0, 16.0)]))
    env.reset()
    assert env.get_avail_agent_actions(0)[3] == 1  # south from y in [0, 1)


class DeviceTensor:
    """Stands in for a CUDA tensor: elements convert with int(), the whole refuses to become a NumPy array."""

    def __init__(self, values):
        self.values = list(values)

    def __iter__(self):
        return iter(_Scalar(v) for v in self.values)

    def __len__(self):
        return len(self.values)

    def __array__(self, *args, **kwargs):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() first")


class _Scalar:
    def __init__(self, v):
        self.v = v

    def __int__(self):
        return int(self.v)


def test_step_takes_int_of_each_action_like_smac():
    # step: actions_int = [int(a) for a in actions], as pymarl and ePyMARL pass tensors on the GPU
    env = SMACEnv("3m", seed=0)
    env.reset()
    env.step(DeviceTensor([1, 1, 1]))
    torch = pytest.importorskip("torch")
    env.step(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="one action id per agent"):
        env.step([1, 1])


def test_stepping_after_the_end_keeps_counting_like_smac():
    # no error: the battle goes on; each terminated step counts a game, a win is counted and rewarded once
    env = SMACEnv(
        "3m",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=([("marine", 10.0, 16.0)], [("marine", 15.0, 16.0)]),
    )
    env.reset()
    env.core.sim.hp[0, 1] = 1.0  # one shot kills the enemy
    reward, terminated, info = env.step([6])
    assert terminated and info["battle_won"]
    assert reward > 200 / (10 + 200 + 45) * 20 * 0.99
    reward, terminated, info = env.step([1])
    assert terminated and not info["battle_won"] and reward == 0.0
    stats = env.get_stats()
    assert stats["battles_won"] == 1 and stats["battles_game"] == 2


def test_fractional_actions_and_bad_seeds_are_refused():
    # SMAC's int(a) would play 1.5 as 1; a fractional action id is a caller's bug, so it is refused, while whole
    # floats (1.0) and integer arrays are taken as SMAC takes them
    env = SMACEnv("3m", seed=0)
    env.reset()
    for bad in ([1.5, 1, 1], np.array([1.0, 1.5, 1.0])):
        with pytest.raises(ValueError, match="whole numbers"):
            env.step(bad)
    env.step([1.0, 1, np.int64(1)])
    env.step(np.array([1.0, 1.0, 1.0]))
    for seed in (True, 1.5, "0"):
        with pytest.raises(TypeError, match="seed"):
            env.reset(seed=seed)
    with pytest.raises(ValueError, match="seed"):
        SMACEnv("3m", seed=-1)


def test_an_enemy_side_of_only_a_medivac_plays_on():
    # it has nothing to heal, so it carries on with the map's attack-move and flies to the attack point
    env = SMACEnv("3m", seed=0, unit_overrides=([("marine", 10.0, 16.0)], [("medivac", 20.0, 16.0)]))
    env.reset()
    for _ in range(60):
        _, terminated, info = env.step([1])
    assert terminated and not info["battle_won"] and info["dead_enemies"] == 0
    assert env.core.sim.pos[0, 1, 0] < 12.0
