"""``benchmarks/smac_play.py --fates``: killing blows credited game loop by game loop (BattleSim.loop_observer)."""

import importlib.util
from pathlib import Path

from tactica.envs.smac import SMACEnv

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "smac_play.py"
_spec = importlib.util.spec_from_file_location("tactica_benchmark_smac_play", _SCRIPT)
smac_play = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smac_play)


def _fates(map_name, allies, enemies, actions):
    env = SMACEnv(map_name, seed=0, cooldown_jitter=False, unit_overrides=(allies, enemies))
    env.core.check_physics = True
    fates = smac_play.Fates(env.core.sim)
    env.core.sim.loop_observer = fates
    env.reset()
    terminated = False
    while not terminated:
        _, terminated, _ = env.step(actions)
    fates.end_episode(env.core.sim)
    summary = fates.summary(1)
    kills = {(k["killer"], k["how"], k["victim"]): k["per_battle"] for k in summary["kills_per_battle"]}
    return summary["banelings_per_battle"], kills


def test_a_killed_banelings_death_burst_is_credited_to_it():
    # the fight of test_fights.py: the zergling kills the stopped allied baneling, whose death burst kills it
    banes, kills = _fates(
        "bane_vs_bane",
        [("baneling", 16.0, 12.0), ("zergling", 14.0, 12.0)],
        [("zergling", 16.8, 12.0)],
        [1, 1],
    )
    assert banes == {"ally killed": 1.0}
    assert kills == {
        ("enemy zergling", "attack", "baneling"): 1.0,
        ("ally baneling", "death burst", "zergling"): 1.0,
    }


def test_a_burst_on_an_attack_order_is_credited_as_a_burst():
    # the allied baneling ordered at the zergling (action 6) bursts at once: 35 kills the light zergling and
    # the battle ends with both sides gone
    banes, kills = _fates("bane_vs_bane", [("baneling", 16.0, 12.0)], [("zergling", 16.8, 12.0)], [6])
    assert banes == {"ally burst": 1.0}
    assert kills == {("ally baneling", "burst", "zergling"): 1.0}
