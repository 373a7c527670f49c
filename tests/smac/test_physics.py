"""Movement physics: units stay apart, stay on walkable cells, slide along walls, walk round obstacles; Colossi
walk over cliffs and small units.  Every game loop is checked (BattleSim.step_checked)."""

import numpy as np
import pytest

from tactica.envs.smac import MAP_NAMES, SMACEnv, get_map
from tactica.envs.smac import kernels as K
from tactica.envs.smac.engine import _terrain


def _walk(map_name):
    return _terrain(get_map(map_name).terrain)[0]


@pytest.mark.parametrize("map_name", MAP_NAMES)
def test_random_play_keeps_units_apart_and_on_walkable_ground(map_name):
    # two seeded battles of uniformly random legal actions per map, every game loop checked; the 100-battle
    # table is benchmarks/smac_play.py's
    env = SMACEnv(map_name, seed=0)
    env.core.check_physics = True
    rng = np.random.default_rng(0)
    for seed in range(2):
        env.reset(seed=seed)
        terminated = False
        while not terminated:
            avail = env.core.avail_actions()[0]
            _, terminated, _ = env.step((rng.random(avail.shape) * avail).argmax(axis=1))
    assert env.core.max_loop_overlap < 0.10
    assert env.core.terrain_violations.tolist() == [0, 0]


def test_segment_clear_is_exact_at_cell_boundaries_and_corners():
    walk = _walk("corridor")  # (11, 11) and (12, 12) touch only at the corner (12, 12)
    assert K.segment_clear(walk, 0, 11.5, 11.5, 12.5, 12.5)  # exactly through the corner
    assert not K.segment_clear(walk, 0, 11.5, 11.4, 12.5, 12.5)  # clips the blocked cell (12, 11)
    assert not K.segment_clear(walk, 0, 11.4, 11.5, 12.5, 12.5)  # clips (11, 12)
    line = _walk("3m")  # y = 8..23 walkable
    assert K.segment_clear(line, 0, 5.5, 23.5, 5.5, 23.999)
    assert not K.segment_clear(line, 0, 5.5, 23.5, 5.5, 24.0)  # y = 24.0 is the blocked cell's edge
    assert K.segment_clear(line, 0, 5.5, 8.5, 5.5, 8.0) and not K.segment_clear(line, 0, 5.5, 8.5, 5.5, 7.99)


def test_blocked_moves_slide_along_the_wall():
    line = _walk("3m")
    x, y = K.slide_move(line, 0, 5.5, 23.8, 0.3, 0.5, 5.5, 23.8)
    assert x == pytest.approx(5.8) and 23.99 < y < 24.0  # the x part goes on, y stops at the wall
    x, y = K.slide_move(line, 0, 5.5, 23.8, 0.0, 0.5, 5.5, 23.8)
    assert x == 5.5 and 23.99 < y < 24.0


def _battle(map_name, allies, enemies):
    env = SMACEnv(map_name, seed=0, cooldown_jitter=False, unit_overrides=(allies, enemies))
    env.reset()
    env.core.check_physics = True
    return env, env.core.sim


def test_ground_units_walk_round_a_cliff_and_colossi_walk_over_it():
    # 2c_vs_64zg: high ground y 14..20, cliff cells y 12..14 for x 4..28, ramps at the ends; the map script
    # orders the enemies to attack the allies.  An enemy zergling below the cliff must go round by a ramp to
    # reach the colossus above; an enemy colossus at the same spot walks straight up over the cliff.
    env, sim = _battle("2c_vs_64zg", [("colossus", 16.0, 17.0)], [("zergling", 16.0, 9.0)])
    xs = []
    for _ in range(30):
        env.step([1])
        xs.append(sim.pos[0, 1, 0])
        if sim.hp[0, 0] + sim.sh[0, 0] < 350:
            break
    assert sim.hp[0, 0] + sim.sh[0, 0] < 350, "the zergling never reached the colossus"
    assert min(xs) < 4.0 or max(xs) >= 28.0  # went round by a ramp
    env, sim = _battle("2c_vs_64zg", [("zergling", 16.0, 18.0)], [("colossus", 16.0, 7.0)])
    path = []
    for _ in range(4):
        env.step([1])
        path.append(sim.pos[0, 1].copy())
    path = np.array(path)
    assert np.abs(path[:, 0] - 16.0).max() < 0.2  # straight north, no detour
    assert sim.cliff_walker[1] and env.core.terrain_violations.tolist() == [0, 0]


def test_colossi_walk_over_small_units_but_not_through_each_other():
    # an allied colossus marching west through a wall of allied zerglings is not held up; two colossi collide
    lings = [("zergling", 10.0, y) for y in np.arange(12.0, 20.0, 0.75)]
    env, sim = _battle("3s_vs_3z", [("colossus", 14.0, 16.0), *lings], [("zealot", 30.0, 30.0)])
    for _ in range(5):
        env.step([5] + [1] * len(lings))
    assert sim.pos[0, 0, 0] < 9.0  # passed x = 10 at full speed (5 x 1.125)
    assert np.allclose(sim.pos[0, 1 : 1 + len(lings), 0], 10.0)  # the zerglings were not pushed
    env, sim = _battle("3s_vs_3z", [("colossus", 10.0, 16.0)], [("colossus", 10.5, 16.0)])
    env.step([1])
    assert np.hypot(*(sim.pos[0, 0] - sim.pos[0, 1])) >= 2.0 * 0.995


def test_crowds_stay_apart_without_pushing_units_several_times_their_speed():
    # 64 zerglings packed on the colossi: after every loop no pair overlaps more than 1% of its radii, and
    # a step moves no zergling further than it can run in a step plus the separation it is pushed by
    env = SMACEnv("2c_vs_64zg", seed=3)
    env.core.check_physics = True
    env.reset()
    sim = env.core.sim
    run = 2.9531 / 16 * 8
    terminated = False
    while not terminated:
        before = sim.pos[0].copy()
        _, terminated, _ = env.step(sim.alive[0, :2].astype(int))  # stop (1) while alive, no-op when dead
        moved = np.hypot(*(sim.pos[0] - before).T)[sim.alive[0]]
        assert moved.max() < 2.0 * run
    assert env.core.max_loop_overlap < 0.01
