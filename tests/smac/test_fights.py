"""Hand-computed fights: times to kill follow from the unit statistics (jitter off, units in contact).

Periods in game loops are round(22.4 x Faster-second cooldown): marine 14, zergling 11, zealot 19, stalker 30.
One agent step is 8 loops.  Unit order: allies first, then enemies.
"""

import numpy as np
import pytest

from tactica.envs.smac import SMACEnv
from tactica.envs.smac.units import unit_type


def _duel(ally, enemy, distance, **kw):
    return SMACEnv(
        "3m",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=([(ally, 10.0, 16.0)], [(enemy, 10.0 + distance, 16.0)]),
        **kw,
    )


def test_periods_in_loops():
    assert [unit_type(u).period_loops for u in ("marine", "zergling", "zealot", "stalker", "marauder")] == [
        14,
        11,
        19,
        30,
        24,
    ]


def test_marine_beats_zergling_with_five_hp_left():
    # Marine (6 dmg, 14 loops) on a zergling (35 HP, regenerates 0.38 HP/s = 0.1357 per step):
    # shots at loops 0,14,28,42,56 leave 5 + regen; the 6th shot (loop 70) leaves 0.0857; the 7th (loop 84) kills.
    # Zergling (5 dmg, 11 loops) hits at 0,11,...,77: 8 hits = 40 damage, so the marine keeps 45 - 40 = 5 HP.
    env = _duel("marine", "zergling", 0.8)
    env.reset()
    sim = env.core.sim
    regen = 0.38 * 8 / 22.4
    for step in range(11):
        assert sim.alive[0, 1], f"zergling died early, step {step}"
        _, terminated, info = env.step([6])
        if step == 8:  # after loops 64..71: six shots and nine regen ticks
            assert sim.hp[0, 1] == pytest.approx(35 - 36 + 9 * regen)
    assert terminated and info["battle_won"]
    assert not sim.alive[0, 1]
    assert sim.hp[0, 0] == pytest.approx(5.0)


def test_zealot_kills_marine_through_its_shield_first():
    # Zealot 2x8 per attack, period 19: marine (45 HP, armor 0) dies to the 3rd attack at loop 38.
    # The marine fires at loops 0, 14, 28: 18 damage, all absorbed by the 50 shield.
    env = _duel("marine", "zealot", 0.85)
    env.reset()
    sim = env.core.sim
    steps = 0
    terminated = False
    while not terminated:
        _, terminated, info = env.step([6])
        steps += 1
    assert steps == 38 // 8 + 1 and not info["battle_won"]
    assert sim.sh[0, 1] == pytest.approx(50 - 18) and sim.hp[0, 1] == pytest.approx(100)


def test_stalker_shields_against_zealot():
    # Zealot on stalker (80 shield, 80 HP, armor 1): 5 attacks empty the shield, then 2 x (8 - 1) = 14 per
    # attack: 6 more attacks kill; the 11th attack lands at loop 10 x 19 = 190 (step 23).
    # Stalker (13, period 30) fires at 0,30,...,180 = 7 shots: shield 50 -> 11 -> 0 with 2 - 1 = 1 to HP,
    # then 3 x (13 - 1) = 36: the zealot ends with 0 shield and 100 - 1 - 36 = 63 HP.
    env = _duel("stalker", "zealot", 1.1)
    env.reset()
    sim = env.core.sim
    for _ in range(23):
        env.step([6])
    assert sim.alive[0, 0]
    _, terminated, _ = env.step([1])
    assert terminated and not sim.alive[0, 0]
    assert sim.sh[0, 1] == pytest.approx(0.0) and sim.hp[0, 1] == pytest.approx(63.0)


def test_baneling_splash_hits_every_marine_within_radius():
    # Baneling: 16 +19 vs light = 35 to every enemy within 2.2 of its edge; marines (45 HP) keep 10; it dies.
    env = SMACEnv(
        "3m",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=(
            [("marine", 10.0, 16.0), ("marine", 10.0, 17.0), ("marine", 10.0, 15.0), ("marine", 5.0, 16.0)],
            [("baneling", 10.8, 16.0)],
        ),
    )
    env.reset()
    env.step([1, 1, 1, 1])
    sim = env.core.sim
    assert not sim.alive[0, 4]
    np.testing.assert_allclose(sim.hp[0, :4], [10, 10, 10, 45])


def test_medivac_heals_twelve_point_six_per_second():
    # 12.6 HP/s x 8/22.4 s = 4.5 HP per step for 1.5 energy; energy regenerates 0.7875/s = 0.28125 per step.
    env = SMACEnv(
        "MMM",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=(
            [("marine", 10.0, 16.0), ("medivac", 10.5, 16.0)],
            [("marine", 31.0, 23.0), ("marine", 31.0, 9.0)],
        ),
    )
    env.reset()
    sim = env.core.sim
    sim.hp[0, 0] = 20.0
    assert env.get_avail_agent_actions(1)[6] == 1  # heal ally 0
    for _ in range(4):
        env.step([1, 6])
    assert sim.hp[0, 0] == pytest.approx(20 + 4 * 4.5)
    assert sim.energy[0, 1] == pytest.approx(50 - 4 * 1.5 + 4 * 0.28125)


def test_marauder_bonus_against_armored_stalker():
    # Marauder 10 +10 armored = 20 per shot: the stalker's 80 shield takes 4 shots, then 20 - 1 = 19 per shot.
    env = _duel("stalker", "marauder", 2.0)
    env.reset()
    sim = env.core.sim
    env.step([1])  # the marauder fires at loop 0 (in range 6 + radii); the stalker only stops
    assert sim.sh[0, 0] == pytest.approx(60.0)


def test_reward_is_scaled_to_twenty():
    # 3m: max_reward = 3 x 10 + 200 + 3 x 45 = 365; a 6-damage hit is worth 6 / (365 / 20).
    env = SMACEnv(
        "3m",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=(
            [("marine", 10.0, 16.0)],
            [("marine", 15.5, 16.0), ("marine", 31, 23), ("marine", 31, 8.5)],
        ),
    )
    env.reset()
    env.core.sim.cd[0, 1] = 50  # the enemy cannot answer this step
    reward, _, _ = env.step([6])
    assert reward == pytest.approx(6 / (365 / 20))


def test_colossus_line_splash_hits_units_across_the_target():
    # Colossus: 2 x (10 +5 vs light) = 30 to the target and to every enemy within a 2.8 x 0.3 line across it;
    # zerglings (35 HP, light) keep 5 (+0.1357 regeneration at the end of the step); one 2.5 off the line is safe.
    env = SMACEnv(
        "2c_vs_64zg",
        seed=0,
        cooldown_jitter=False,
        unit_overrides=(
            [("colossus", 6.5, 16.0)],
            [
                ("zergling", 12.0, 16.0),
                ("zergling", 12.0, 16.8),
                ("zergling", 12.0, 15.2),
                ("zergling", 12.0, 18.5),
            ],
        ),
    )
    env.reset()
    env.step([6])
    regen = 0.38 * 8 / 22.4
    np.testing.assert_allclose(env.core.sim.hp[0, 1:], [5 + regen, 5 + regen, 5 + regen, 35])
