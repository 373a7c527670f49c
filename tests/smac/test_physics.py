"""Movement physics: units stay apart, stay on walkable cells, slide along walls, walk round obstacles; Colossi
walk over cliffs and small units; melee crowds acquire the enemies they can reach, so random play (almost)
never wins.  Every game loop is checked (BattleSim.step_checked)."""

import numpy as np
import pytest

from tactica.envs.smac import MAP_NAMES, SMACEnv, get_map
from tactica.envs.smac import kernels as K
from tactica.envs.smac.engine import _terrain


def _walk(map_name):
    return _terrain(get_map(map_name).terrain)[0]


def _random_play(map_name, episodes):
    """Seeded battles of uniformly random legal actions, every game loop checked; returns the env and the wins."""
    env = SMACEnv(map_name, seed=0)
    env.core.check_physics = True
    rng = np.random.default_rng(0)
    wins = 0
    for seed in range(episodes):
        env.reset(seed=seed)
        terminated, info = False, {}
        while not terminated:
            avail = env.core.avail_actions()[0]
            _, terminated, info = env.step((rng.random(avail.shape) * avail).argmax(axis=1))
        wins += bool(info["battle_won"])
    return env, wins


@pytest.mark.parametrize("map_name", MAP_NAMES)
def test_random_play_keeps_units_apart_and_on_walkable_ground(map_name):
    # two battles per map; the 100-battle table is benchmarks/smac_play.py's
    env, _ = _random_play(map_name, 2)
    assert env.core.max_loop_overlap < 0.10
    assert env.core.terrain_violations.tolist() == [0, 0]


def test_random_play_almost_never_beats_the_zerglings_of_2c_vs_64zg():
    # the criterion is under 5% (benchmarks/smac_play.py measures 2 of 100); 40 seeded battles here
    env, wins = _random_play("2c_vs_64zg", 40)
    assert wins < 2
    assert env.core.max_loop_overlap < 0.10 and env.core.terrain_violations.tolist() == [0, 0]


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="random play wins about half of bane_vs_bane, and no difference from StarCraft II's data explains "
    "it: docs/smac.md, Banelings against StarCraft II's rules",
)
def test_random_play_almost_never_wins_bane_vs_bane():
    env, wins = _random_play("bane_vs_bane", 20)
    assert env.core.max_loop_overlap < 0.10 and env.core.terrain_violations.tolist() == [0, 0]
    assert wins < 1


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


def test_attack_move_acquires_a_target_its_fighting_friends_do_not_stand_before():
    # 3s_vs_3z's enemies attack-move across open ground.  Enemy zergling 3 fights ally 0 right in front of enemy
    # zergling 2; ally 1 is a little further from zergling 2 (edge gap 0.96 against 0.85) but off to the side.
    # Once zergling 3 holds position to attack, zergling 2 cannot walk through it and takes ally 1 instead.
    allies = [("zergling", 10.0, 11.6), ("zergling", 11.6, 10.6)]
    enemies = [("zergling", 10.0, 10.0), ("zergling", 10.0, 10.8)]
    env, sim = _battle("3s_vs_3z", allies, enemies)
    env.step([1, 1])  # the allies stop
    assert sim.target[0, 3] == 0  # the front zergling fights ally 0...
    assert sim.target[0, 2] == 1  # ...and the one behind it goes round for ally 1
    gap = np.hypot(*(sim.pos[0, 2] - sim.pos[0, 1])) - 0.75
    assert gap < 0.5  # and gets there (it walks 1.48 per agent step)


def test_without_a_crowd_in_the_way_the_closest_enemy_is_acquired():
    # the same battle with the front zergling moved aside: zergling 2 takes the closer ally 0
    allies = [("zergling", 10.0, 11.6), ("zergling", 11.6, 10.6)]
    enemies = [("zergling", 10.0, 10.0), ("zergling", 7.0, 10.8)]
    env, sim = _battle("3s_vs_3z", allies, enemies)
    env.step([1, 1])
    assert sim.target[0, 2] == 0


def test_the_group_attack_order_switches_to_the_colossus_it_can_reach():
    # 2c_vs_64zg's script orders every zergling to attack the allied group.  Zergling 3 fights colossus 0 with
    # zergling 2 right behind it; colossus 1 stands further off to the side, and zergling 2 goes for it.
    allies = [("colossus", 16.0, 18.0), ("colossus", 19.0, 16.3)]
    enemies = [("zergling", 16.0, 16.625 - 0.75), ("zergling", 16.0, 16.55)]
    env, sim = _battle("2c_vs_64zg", allies, enemies)
    env.step([1, 1])
    assert sim.target[0, 3] == 0 and sim.target[0, 2] == 1
