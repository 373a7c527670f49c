"""Hand-computed fights: times to kill follow from the SC2 data of the SMAC maps (jitter off, units in range).

Times are game loops, 16 per game second (8 per agent step).  A weapon with period ``p`` game seconds is
ready again ``ceil(16 p)`` loops after an attack starts (cooldown counts down one per loop): Marine 0.8608 s ->
14 loops, Zergling 0.696 s -> 12, Zealot 1.2 s -> 20, Stalker 1.44 s -> 24, Marauder 1.5 s -> 24.  A shot goes
off a damage point after the attack starts (Marine 0.05 s = 0.8 loop -> next loop; Zergling and Stalker
0.167 s = 2.67 loops -> 3 loops later; Zealot, Marauder and Baneling at once); missiles then fly (Stalker 18.75
per game second, Marauder 20).  Unit order: allies first, then enemies.
"""

import math

import numpy as np
import pytest

from tactica.envs.smac import SMACEnv
from tactica.envs.smac.units import unit_type

ZERG_REGEN_PER_LOOP = 0.2734 / 16


def _duel(ally, enemy, distance, map_name="3m", **kw):
    return SMACEnv(
        map_name,
        seed=0,
        cooldown_jitter=False,
        unit_overrides=([(ally, 10.0, 16.0)], [(enemy, 10.0 + distance, 16.0)]),
        **kw,
    )


def _fight(map_name, allies, enemies):
    """A battle of the given units (jitter off), reset."""
    env = SMACEnv(map_name, seed=0, cooldown_jitter=False, unit_overrides=(allies, enemies))
    env.reset()
    return env


def test_weapon_periods_in_loops():
    periods = [
        math.ceil(unit_type(u).period_loops) for u in ("marine", "zergling", "zealot", "stalker", "marauder")
    ]
    assert periods == [14, 12, 20, 24, 24]


def test_marine_beats_zergling_with_ten_hp_left():
    # Marine (6 per shot) fires at loops 1, 15, 29, 43, 57, 71, 85; the zergling (35 HP) regenerates 0.2734 per
    # game second from loop 1 on, so after the 6th shot (loop 71) it keeps 35 - 36 + 70 x 0.01709 = 0.196 and
    # the 7th kills it at loop 85, in the 11th step.  Zergling (5 per hit) hits at 3, 15, 27, 39, 51, 63, 75:
    # 35 damage, the marine keeps 10.
    env = _duel("marine", "zergling", 0.8)
    env.reset()
    sim = env.core.sim
    for step in range(10):
        _, terminated, _ = env.step([6])
        assert not terminated and sim.alive[0, 1], f"zergling died early, step {step}"
        if step == 8:  # loops 64..71 done: six shots, regeneration at the end of loops 1..71
            assert sim.hp[0, 1] == pytest.approx(35 - 36 + 71 * ZERG_REGEN_PER_LOOP)
    _, terminated, info = env.step([6])
    assert terminated and info["battle_won"]
    assert sim.hp[0, 0] == pytest.approx(10.0)


def test_zealot_kills_marine_through_its_shield_first():
    # Zealot: 2 x 8 per attack, the second blade 0.28 s (4.48 loops) after the first: hits at 0, 5, 20, 25, 40, 45;
    # the marine (45 HP, armor 0) dies to the 6th at loop 45 (step 6).  The marine fires at 1, 15, 29, 43:
    # 24 damage, all absorbed by the zealot's 50 shield.
    env = _duel("marine", "zealot", 0.9)
    env.reset()
    sim = env.core.sim
    steps, terminated, info = 0, False, {}
    while not terminated:
        _, terminated, info = env.step([6])
        steps += 1
    assert steps == 45 // 8 + 1 and not info["battle_won"]
    assert sim.sh[0, 1] == pytest.approx(50 - 24) and sim.hp[0, 1] == pytest.approx(100)


def test_stalker_shields_against_zealot():
    # Zealot on stalker (80 shield, 80 HP, armor 1): 10 hits empty the shield, then 8 - 1 = 7 per hit: 12 more kill
    # (11 x 7 = 77 < 80); hit 22 is the second blade of attack 11, at loop 200 + 5 = 205 (step 26).
    # Stalker (10 +4 armored: 10 on the light zealot) shoots at 3, 27, 51, ... and its missile lands the next
    # loop: 9 hits before loop 205 = 50 on the shield and 4 x (10 - 1) = 36 on health.
    env = _duel("stalker", "zealot", 1.15)
    env.reset()
    sim = env.core.sim
    for _ in range(25):
        _, terminated, _ = env.step([6])
        assert not terminated
    _, terminated, _ = env.step([6])
    assert terminated and not sim.alive[0, 0]
    assert sim.sh[0, 1] == pytest.approx(0.0) and sim.hp[0, 1] == pytest.approx(100 - 36)


def test_baneling_splash_hits_every_marine_within_radius():
    # Baneling: 20 +15 vs light = 35 to every enemy ground unit within 2.2 of its centre (plus their radius);
    # the marines (45 HP) keep 10; the one 5.8 away is spared; the baneling dies.
    env = _fight(
        "3m",
        [("marine", 10.0, 16.0), ("marine", 10.0, 17.0), ("marine", 10.0, 15.0), ("marine", 5.0, 16.0)],
        [("baneling", 10.8, 16.0)],
    )
    env.step([1, 1, 1, 1])
    sim = env.core.sim
    assert not sim.alive[0, 4]
    np.testing.assert_allclose(sim.hp[0, :4], [10, 10, 10, 45])


def test_a_passive_allied_baneling_bursts_only_when_killed_and_spares_its_friends():
    # The maps' Baneling_RL is DefaultAcquireLevel Passive with Response Nothing: stopped next to an enemy
    # zergling that attacks it, it never bursts on its own.  The zergling (5 per hit at loops 3, 15, ..., 63:
    # 30 damage, while the baneling regenerates 0.2734 per game second) kills it with its 7th hit at loop 75
    # (step 10); Liberty's BanelingExplode behaviour then fires VolatileBurst as its death response: 20 +15 vs
    # light kills the zergling (35 HP), and the allied zergling 2 away, inside the 2.2 radius, is not hurt
    # (VolatileBurstU searches enemies only: Player and Ally excluded).
    env = _fight(
        "bane_vs_bane", [("baneling", 16.0, 12.0), ("zergling", 14.0, 12.0)], [("zergling", 16.8, 12.0)]
    )
    sim = env.core.sim
    for _ in range(9):
        _, terminated, _ = env.step([1, 1])  # stop
        assert not terminated
    assert sim.alive[0, 0] and 0.0 < sim.hp[0, 0] < 2.0
    assert sim.hp[0, 2] == 35.0
    _, terminated, info = env.step([1, 1])
    assert terminated and info["battle_won"]
    assert not sim.alive[0, 0] and not sim.alive[0, 2]
    assert sim.hp[0, 1] == 35.0


def test_an_enemy_baneling_burst_hits_ground_enemies_only():
    # VolatileBurstU's search filters require Ground and exclude Player and Ally: the enemy baneling bursts on
    # the marine at once (35 of its 45: Marines are light), the Medivac above it and the baneling's own
    # zergling keep their health.
    env = _fight(
        "3m",
        [("marine", 10.0, 16.0), ("medivac", 10.4, 16.3)],
        [("baneling", 10.8, 16.0), ("zergling", 13.0, 16.0)],
    )
    sim = env.core.sim
    env.step([1, 1])
    assert not sim.alive[0, 2]
    np.testing.assert_allclose(sim.hp[0, [0, 1, 3]], [10.0, 150.0, 35.0])


def test_medivac_heals_nine_per_game_second_and_accelerates():
    # 9 HP per game second = 4.5 per step for 0.33 energy per HP (1.485); energy regenerates 0.5625 per game second
    # (0.28125 per step).
    env = _fight(
        "MMM",
        [("marine", 10.0, 16.0), ("medivac", 10.5, 16.0)],
        [("marine", 31.0, 23.0), ("marine", 31.0, 9.0)],
    )
    sim = env.core.sim
    sim.hp[0, 0] = 20.0
    assert env.get_avail_agent_actions(1)[6] == 1  # heal ally 0
    for _ in range(4):
        env.step([1, 6])
    assert sim.hp[0, 0] == pytest.approx(20 + 4 * 4.5)
    assert sim.energy[0, 1] == pytest.approx(50 - 4 * 4.5 * 0.33 + 4 * 0.28125)
    # from rest, 2.3125 per game second squared: k x 2.3125 / 256 per loop in loop k, 36 x that in one step
    x0 = sim.pos[0, 1, 0]
    env.step([1, 4])  # medivac east
    assert sim.pos[0, 1, 0] - x0 == pytest.approx(36 * 2.3125 / 256)


def test_marauder_bonus_against_armored_stalker_and_no_anti_air():
    # Marauder 10 +10 armored = 20 per grenade, fired at once; 20 per game second: lands 1.1 loops later.
    env = _duel("stalker", "marauder", 2.0)
    env.reset()
    sim = env.core.sim
    env.step([1])
    assert sim.sh[0, 0] == pytest.approx(60.0)
    # the Marauder's weapon cannot hit the Medivac: an enemy Marauder next to one never shoots it, and an
    # allied Marauder ordered to attack one stands idle
    env = _duel("medivac", "marauder", 1.5, map_name="MMM")
    env.reset()
    for _ in range(5):
        env.step([1])
    assert env.core.sim.hp[0, 0] == 150
    env = _duel("marauder", "medivac", 1.5, map_name="MMM")
    env.reset()
    for _ in range(3):
        env.step([6])
    assert env.core.sim.hp[0, 1] == 150 and env.core.sim.order[0, 0] == 0


def test_reward_is_scaled_to_twenty():
    # 3m: max_reward = 3 x 10 + 200 + 3 x 45 = 365; a 6-damage hit is worth 6 / (365 / 20).
    env = _fight(
        "3m",
        [("marine", 10.0, 16.0)],
        [("marine", 15.5, 16.0), ("marine", 31, 23), ("marine", 31, 8.5)],
    )
    env.core.sim.cd[0, 1] = 50  # the enemy cannot answer this step
    reward, _, _ = env.step([6])
    assert reward == pytest.approx(6 / (365 / 20))


def test_colossus_beams_hit_units_across_the_target():
    # Colossus (Liberty data): two beams of 20 on the target and on every enemy ground unit within 1.25 + 0.15
    # (plus its radius) across it, 0.375 s (6 loops) after the shot at loop 2: three zerglings (35 HP) in a
    # line die at loop 8; one 2.5 off the line is spared.  The enemy colossus has no scripted order on
    # 2s_vs_1sc: it fires at the nearest zergling within its range (6 + radii) without moving; the allied
    # zerglings hold.
    env = _fight(
        "2s_vs_1sc",
        [
            ("zergling", 16.0, 12.0),
            ("zergling", 16.0, 12.8),
            ("zergling", 16.0, 11.2),
            ("zergling", 16.0, 14.5),
        ],
        [("colossus", 9.5, 12.0)],
    )
    sim = env.core.sim
    env.step([1, 1, 1, 1])
    assert sim.alive[0, :4].all()
    env.step([1, 1, 1, 1])
    assert not sim.alive[0, :3].any() and sim.alive[0, 3] and sim.hp[0, 3] == 35


def test_shields_regenerate_after_ten_game_seconds_without_damage():
    # 2 per game second after 160 loops without damage: +1 per step
    env = _duel("stalker", "zealot", 12.0, map_name="3s_vs_3z")
    env.reset()
    sim = env.core.sim
    sim.sh[0, 0] = 10.0
    sim.last_hit[0, 0] = -150.0  # damaged 150 loops before the start
    env.step([1])  # loops 0..7: regeneration from loop 10 on is not yet due
    assert sim.sh[0, 0] == pytest.approx(10.0)
    env.step([1])  # loops 8..15: due from loop 10: 6 loops x 0.125
    assert sim.sh[0, 0] == pytest.approx(10.0 + 6 * 0.125)
