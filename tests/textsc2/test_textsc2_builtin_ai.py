"""The built-in AI model's behaviour at VeryEasy: it builds an army, attacks, defends, and manages its economy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tactica.envs.textsc2.builtin_ai import LEVELS, WAVE_INTERVAL_S, BuiltinAI
from tactica.envs.textsc2.engine import Game, Group


def _game(build: str, difficulty: str = "VeryEasy") -> tuple[Game, BuiltinAI]:
    game = Game(races=("Protoss", "Zerg"), rng=np.random.default_rng(0))
    return game, BuiltinAI(game, game.players[1], difficulty, build, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("build", "first_wave", "winner_at"),
    [("rush", "07:04", "07:53"), ("timing", "07:04", "08:21"), ("macro", "09:06", "10:13")],
)
def test_very_easy_builds_a_small_army_late_and_destroys_a_passive_opponent(build, first_wave, winner_at):
    game, ai = _game(build)
    zerg = game.players[1]
    first = None
    while game.winner is None and game.seconds < 1800:
        ai.update()
        game.advance(8)
        if first is None and ai.waves:
            first = game.game_time()
            # VeryEasy: no wave before 7:00 whatever the build, and at most 24 army supply.
            assert sum(ai._supply(g.units) for g in zerg.groups) <= LEVELS[0].max_army
        assert zerg.count("SpineCrawler", done=False) == 0  # no static defence
        assert zerg.count("Hatchery", done=False) == 1
    assert first == first_wave
    assert game.winner == 1 and game.game_time() == winner_at


def _macro_only(level: str, build: str, minutes: float = 14.0, **changes):
    """An AI alone for ``minutes`` with its attacks switched off (and ``changes`` to its level)."""
    game, ai = _game(build, level)
    ai._army_orders = lambda: None
    ai.level = dataclasses.replace(ai.level, **changes)
    lv = ai.level
    zerg = game.players[1]
    data = game.data
    while game.seconds < minutes * 60:
        ai.update()
        yield game, ai, lv, zerg, data
        game.advance(8)


@pytest.mark.parametrize("level", ["VeryEasy", "Hard", "VeryHard", "CheatInsane"])
@pytest.mark.parametrize("build", ["rush", "timing", "power", "macro", "air"])
def test_the_ai_never_exceeds_its_caps(level, build):
    for game, ai, lv, zerg, data in _macro_only(level, build):
        halls = [s for s in zerg.structures if data.structures[s.kind].townhall]
        dry = [s for s in halls if s.done and zerg.bases[s.base].minerals <= 1000]
        # Town halls on bases with minerals left (a mined-out base is replaced, not counted).
        assert ai._bases() == len(halls) - len(dry) <= lv.max_bases, game.game_time()
        assert zerg.workers + zerg.pending_units().get("Drone", 0) <= lv.max_workers
        assert ai._army_supply_planned() <= lv.max_army
        assert zerg.count("SpineCrawler", done=False) <= lv.static
        # One of each tech structure: a Lair (or Hive) and one Roach Warren, never two.
        for tech in ("SpawningPool", "RoachWarren", "Lair", "EvolutionChamber", "HydraliskDen", "Spire"):
            assert ai._have(tech) <= 1, (tech, game.game_time())
        assert ai._have("Hive") <= 1


def test_ultralisks_need_a_hive():
    pool_done = seen = None
    # Its army is never spent here, so the army cap is lifted to let it reach the Ultralisks.
    for game, _ai, _lv, zerg, _data in _macro_only("Medium", "macro", minutes=20, max_army=200):
        if pool_done is None and zerg.count("SpawningPool"):
            pool_done = game.loop
        if zerg.unit_counts().get("Ultralisk", 0) + zerg.pending_units().get("Ultralisk", 0):
            assert zerg.count("Hive") == 1 and zerg.count("UltraliskCavern") == 1
            seen = seen or game.loop
    # After the Spawning Pool: Lair, Infestation Pit, Hive, Ultralisk Cavern and the Ultralisk itself, one
    # after the other (LotV's chain, patch 5.0.3 build times).
    data = game.data
    chain = sum(data.structures[k].build_loops for k in ("Lair", "InfestationPit", "Hive", "UltraliskCavern"))
    assert (data.structures["InfestationPit"].build_loops, data.structures["UltraliskCavern"].requires) == (
        800,
        ("Hive",),
    )
    assert seen is not None and seen >= pool_done + chain


def test_cheat_levels_are_elite_and_more():
    elite = LEVELS[6]
    for cheat in LEVELS[7:]:
        assert cheat.period_s <= elite.period_s and cheat.actions >= elite.actions
        assert cheat.max_workers >= elite.max_workers and cheat.max_army >= elite.max_army
        assert cheat.combat_mult >= elite.combat_mult and cheat.income_mult >= elite.income_mult
        assert cheat.vision or cheat.income_mult > 1.0
    assert LEVELS[7].vision and LEVELS[8].income_mult > 1.0
    assert LEVELS[9].vision and LEVELS[9].income_mult >= LEVELS[8].income_mult
    # Every level is at least as strong as the one below in every knob.
    for low, high in zip(LEVELS, LEVELS[1:]):
        assert high.combat_mult >= low.combat_mult and high.period_s <= low.period_s
        assert high.max_workers >= low.max_workers and high.max_army >= low.max_army
        assert high.static >= low.static and high.first_attack_s <= low.first_attack_s


def test_very_easy_defends_its_base_with_the_army_in_the_field():
    game, ai = _game("timing")
    me, zerg = game.players
    zerg.groups.append(Group(units={"Roach": 6}, target="enemy", pos=40.0))
    zerg.home["Roach"] = 2
    me.groups.append(Group(units={"Zealot": 4}, target="enemy", pos=game.distance))
    game.advance(8)  # the Zealots arrive: a battle at the AI's base
    assert 1 in game.battles
    ai.next_decision = game.loop
    ai.update()
    assert [g.target for g in zerg.groups] == ["home"]  # the wave turns back
    for _ in range(200):
        ai.update()
        game.advance(8)
    assert not me.groups  # the four Zealots died
    assert me.value_lost == 4 * 100


def test_gas_moves_to_minerals_while_it_piles_up_and_back_when_it_runs_low():
    game, ai = _game("timing")
    zerg = game.players[1]
    zerg.minerals, zerg.gas = 100.0, 900.0
    ai.next_decision = game.loop
    ai.update()
    assert zerg.auto_distribute is False  # 900 gas > max(400, 2 x 100): workers mine minerals only
    zerg.gas = 300.0
    ai.next_decision = game.loop
    ai.update()
    assert zerg.auto_distribute is False  # hysteresis: back on gas only below 150
    zerg.gas = 100.0
    ai.next_decision = game.loop
    ai.update()
    assert zerg.auto_distribute is True


def test_a_mined_out_base_makes_the_ai_save_for_a_new_expansion():
    game, ai = _game("timing")
    zerg = game.players[1]
    game.loop = int(20 * 60 * game.data.loops_per_second)
    zerg.home["Zergling"] = 0
    zerg.bases[0].minerals = 500.0  # below 1000: mined out
    zerg.minerals = 200.0
    wishes = ai._wishes()
    assert len(wishes) == 1  # only the expansion: minerals are saved for it
    command, repeat = wishes[0]
    assert command() == "Cannot afford Hatchery" and not repeat  # a structure is ordered once per decision
    zerg.minerals = 400.0
    assert ai._wishes()[0][0]() is None
    assert zerg.count("Hatchery", done=False) == 2


def test_waves_keep_coming_at_the_first_wave_size_after_the_wave_interval():
    game, ai = _game("timing", "Medium")
    zerg = game.players[1]
    level = LEVELS[2]
    ai.waves = 8  # a grown wave would need 3x the first wave's supply (at most 60% of the army cap)
    zerg.home["Roach"] = int(level.attack_supply // 2) + 1  # just above the first wave (2 supply each)
    game.loop = int(600 * game.data.loops_per_second)
    ai.last_wave = game.loop - int((WAVE_INTERVAL_S - 10) * game.data.loops_per_second)
    ai._army_orders()
    assert not zerg.groups  # too soon after the last wave, and below the grown threshold
    ai.last_wave = game.loop - int(WAVE_INTERVAL_S * game.data.loops_per_second)
    ai._army_orders()
    roaches = int(level.attack_supply // 2) + 1
    assert len(zerg.groups) == 1 and zerg.groups[0].units == {"Roach": roaches} and ai.waves == 9


def test_one_wave_at_a_time_but_a_remnant_at_the_enemy_base_does_not_hold_the_next():
    game, ai = _game("timing")
    zerg = game.players[1]
    game.loop = int(600 * game.data.loops_per_second)
    zerg.home["Roach"] = 20  # 40 supply: above any VeryEasy wave threshold
    zerg.groups.append(Group(units={"Roach": 6}, target="enemy", pos=game.distance / 2))
    ai._army_orders()
    assert len(zerg.groups) == 1  # a wave is still walking
    zerg.groups[0].pos = game.distance
    ai._army_orders()
    assert (
        len(zerg.groups) == 1
    )  # it has arrived with 12 supply, over half a first wave (22 / 2): it fights on
    zerg.groups[0].units = {"Roach": 2}
    ai._army_orders()
    assert len(zerg.groups) == 2 and zerg.groups[1].units == {"Roach": 20}  # a 4-supply remnant: next wave
