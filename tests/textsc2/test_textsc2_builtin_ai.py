"""The built-in AI model's behaviour at VeryEasy: it builds an army, attacks, defends, and manages its economy."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.textsc2.builtin_ai import LEVELS, WAVE_INTERVAL_S, BuiltinAI
from tactica.envs.textsc2.engine import Game, Group


def _game(build: str, difficulty: str = "VeryEasy") -> tuple[Game, BuiltinAI]:
    game = Game(races=("Protoss", "Zerg"), rng=np.random.default_rng(0))
    return game, BuiltinAI(game, game.players[1], difficulty, build, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("build", "first_wave", "winner_at"),
    [("rush", "02:59", "04:00"), ("timing", "05:42", "06:50"), ("macro", "09:03", "09:58")],
)
def test_very_easy_builds_an_army_and_destroys_a_passive_opponent(build, first_wave, winner_at):
    game, ai = _game(build)
    first = None
    while game.winner is None and game.seconds < 1800:
        ai.update()
        game.advance(8)
        if first is None and ai.waves:
            first = game.game_time()
    # The wave leaves no earlier than the build's first attack time (rush 2:30, timing 5:30, macro 9:00).
    assert first == first_wave
    assert game.winner == 1 and game.game_time() == winner_at


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
    assert wishes[0]() == "Cannot afford Hatchery"
    zerg.minerals = 400.0
    assert ai._wishes()[0]() is None
    assert zerg.count("Hatchery", done=False) == 2


def test_waves_keep_coming_at_the_first_wave_size_after_the_wave_interval():
    game, ai = _game("timing")
    zerg = game.players[1]
    level = LEVELS[0]
    ai.waves = 8  # a grown wave would need 3x the first wave's supply, more than VeryEasy gathers
    zerg.home["Roach"] = int(level.attack_supply // 2) + 1  # just above the first wave (2 supply each)
    game.loop = int(600 * game.data.loops_per_second)
    ai.last_wave = game.loop - int((WAVE_INTERVAL_S - 10) * game.data.loops_per_second)
    ai._army_orders()
    assert not zerg.groups  # too soon after the last wave, and below the grown threshold
    ai.last_wave = game.loop - int(WAVE_INTERVAL_S * game.data.loops_per_second)
    ai._army_orders()
    assert len(zerg.groups) == 1 and zerg.groups[0].units == {"Roach": 12} and ai.waves == 9


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
