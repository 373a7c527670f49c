"""Every map's vector sizes equal oxwhirl/smac's table (docs/smac.md; smac_maps.py and starcraft2.py formulas)."""

import numpy as np
import pytest

from tactica.envs.smac import MAP_NAMES, SMACEnv

# map: (n_agents, n_enemies, episode_limit, n_actions, obs, state)
SMAC_TABLE = {
    "3m": (3, 3, 60, 9, 30, 48),
    "8m": (8, 8, 120, 14, 80, 168),
    "25m": (25, 25, 150, 31, 250, 950),
    "5m_vs_6m": (5, 6, 70, 12, 55, 98),
    "8m_vs_9m": (8, 9, 120, 15, 85, 179),
    "10m_vs_11m": (10, 11, 150, 17, 105, 243),
    "27m_vs_30m": (27, 30, 180, 36, 285, 1170),
    "MMM": (10, 10, 150, 16, 160, 290),
    "MMM2": (10, 12, 180, 18, 176, 322),
    "2s3z": (5, 5, 120, 11, 80, 120),
    "3s5z": (8, 8, 150, 14, 128, 216),
    "3s5z_vs_3s6z": (8, 9, 170, 15, 136, 230),
    "3s_vs_3z": (3, 3, 150, 9, 36, 54),
    "3s_vs_4z": (3, 4, 200, 10, 42, 61),
    "3s_vs_5z": (3, 5, 250, 11, 48, 68),
    "1c3s5z": (9, 9, 180, 15, 162, 270),
    "2m_vs_1z": (2, 1, 150, 7, 16, 26),
    "2s_vs_1sc": (2, 1, 300, 7, 17, 27),
    "corridor": (6, 24, 400, 30, 156, 282),
    "6h_vs_8z": (6, 8, 150, 14, 78, 140),
    "so_many_baneling": (7, 32, 100, 38, 202, 397),
    "bane_vs_bane": (24, 24, 200, 30, 336, 984),
    "2c_vs_64zg": (2, 64, 400, 70, 332, 342),
}


def test_table_covers_every_map():
    assert set(SMAC_TABLE) == set(MAP_NAMES)


@pytest.mark.parametrize("map_name", sorted(SMAC_TABLE))
def test_env_info_matches_smac(map_name):
    n_agents, n_enemies, limit, n_actions, obs, state = SMAC_TABLE[map_name]
    env = SMACEnv(map_name, seed=0)
    info = env.get_env_info()
    assert (info["n_agents"], env.n_enemies, info["episode_limit"]) == (n_agents, n_enemies, limit)
    assert (info["n_actions"], info["obs_shape"], info["state_shape"]) == (n_actions, obs, state)
    observations, s = env.reset()
    assert len(observations) == n_agents and all(
        o.shape == (obs,) and o.dtype == np.float32 for o in observations
    )
    assert s.shape == (state,)
    avail = np.array(env.get_avail_actions())
    assert avail.shape == (n_agents, n_actions)
    assert (avail[:, 0] == 0).all() and (avail[:, 1] == 1).all()  # alive: no no-op, stop always
    # spawns are on pathable ground and no two units overlap much
    sim = env.core.sim
    assert sim.pathable(sim.pos[0])[sim.ground].all() or map_name == "2c_vs_64zg"


def test_last_action_flags_change_sizes_like_smac():
    # obs_last_action adds n_actions per ally slot; state_last_action=False drops A*n_actions
    env = SMACEnv("3m", obs_last_action=True, state_last_action=False)
    assert env.get_obs_size() == 30 + 2 * 9
    assert env.get_state_size() == 48 - 27
    env = SMACEnv("3m", obs_instead_of_state=True)
    assert env.get_state_size() == 3 * 30


def test_unknown_map_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown SMAC map '4m'.*3m"):
        SMACEnv("4m")


def test_sc2_backend_names_the_right_package():
    from tactica.errors import MissingDependency

    try:
        import smac.env.starcraft2.starcraft2  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependency, match="oxwhirl/smac.git"):
            SMACEnv("3m", backend="sc2")
    with pytest.raises(ValueError, match="backend"):
        SMACEnv("3m", backend="pysc2")


def test_pymarl_sc2_config_passes_through():
    # the keyword set of pymarl's src/config/envs/sc2.yaml
    config = dict(
        continuing_episode=False,
        difficulty="7",
        game_version=None,
        map_name="3m",
        move_amount=2,
        obs_all_health=True,
        obs_instead_of_state=False,
        obs_last_action=False,
        obs_own_health=True,
        obs_pathing_grid=False,
        obs_terrain_height=False,
        obs_timestep_number=False,
        reward_death_value=10,
        reward_defeat=0,
        reward_negative_scale=0.5,
        reward_only_positive=True,
        reward_scale=True,
        reward_scale_rate=20,
        reward_sparse=False,
        reward_win=200,
        replay_dir="",
        replay_prefix="",
        state_last_action=True,
        state_timestep_number=False,
        step_mul=8,
        seed=1,
        heuristic_ai=False,
        heuristic_rest=False,
        debug=False,
    )
    assert SMACEnv(**config).get_env_info()["obs_shape"] == 30
    with pytest.raises(ValueError, match="obs_pathing_grid"):
        SMACEnv(**{**config, "obs_pathing_grid": True})


def test_heuristic_ai_plays_attack_nearest():
    # heuristic_ai: the agents' actions are ignored; every agent attacks the nearest live enemy (SMAC's
    # get_agent_action_heuristic), walking there when it is out of range
    env = SMACEnv("3m", seed=0, heuristic_ai=True)
    env.reset()
    env.step([0, 0, 0])  # not valid actions for live agents: ignored, as in SMAC
    sim = env.core.sim
    assert (sim.order[0, :3] == 2).all()
    d = env.core.distances()[0, :3, 3:]
    assert (sim.target[0, :3] == 3 + d.argmin(1)).all()
    # heuristic_rest: beyond SMAC's shooting range the agents walk by 2-unit moves instead
    env = SMACEnv("3m", seed=0, heuristic_ai=True, heuristic_rest=True)
    env.reset()
    env.step([0, 0, 0])
    assert (env.core.sim.order[0, :3] == 1).all()
