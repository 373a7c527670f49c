"""Engine rules against the numbers of the data file (patch 5.0.3) and hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.textsc2.actions import ACTIONS, ActionHandler
from tactica.envs.textsc2.combat import per_attack_damage
from tactica.envs.textsc2.data import load_data
from tactica.envs.textsc2.engine import Game

DATA = load_data()


def new_game(opponent: str = "Zerg") -> Game:
    return Game(races=("Protoss", opponent), rng=np.random.default_rng(0))


def test_data_file_names_its_patch_and_sources():
    assert DATA.patch == "5.0.3"
    assert "sc2-techtree" in DATA.sources["costs_supply_times_requirements"]
    assert DATA.units["Probe"].build_loops == 272
    assert (DATA.structures["Pylon"].minerals, DATA.structures["Pylon"].supply_provided) == (100, 8)


def test_start_state_matches_lotv():
    g = new_game()
    p, z = g.players
    assert (p.workers, p.minerals, p.supply_used, p.supply_cap()) == (12, 50, 12, 15)
    assert (z.workers, z.supply_cap(), z.structures[0].larva) == (12, 14, 3)


def test_probe_finishes_exactly_after_its_build_time():
    g = new_game()
    p = g.players[0]
    assert g.train(p, "Probe") is None
    assert (p.minerals, p.supply_used) == (0, 13)
    g.advance(DATA.units["Probe"].build_loops - 1)
    assert p.workers == 12
    g.advance(1)
    assert p.workers == 13
    assert g.loop == 272


def test_income_with_16_workers_on_one_base_matches_the_income_model():
    g = new_game()
    p = g.players[0]
    p.workers = 16
    p._rates = None
    p.minerals = 0.0
    loops = int(22.4 * 60)  # one game minute
    g.advance(loops)
    # sc2-planner: 5 close patches x 2 x 46 + 3 far x 2 x 32 = 652 per normal minute, x1.4 per game minute.
    assert p.minerals == pytest.approx(652 * 1.4, rel=1e-9)
    assert DATA.mineral_rate_per_loop(24) * loops == pytest.approx(798 * 1.4)
    # A 25th worker adds nothing; gas: 3 workers on a geyser bring 4 gas per 2.07 s at normal speed.
    assert DATA.mineral_rate_per_loop(30) == DATA.mineral_rate_per_loop(24)
    assert DATA.gas_rate_per_loop(3) * loops == pytest.approx(4 / 2.07 * 60 * 1.4)


def test_gas_is_mined_once_an_assimilator_completes():
    g = new_game()
    p = g.players[0]
    p.minerals = 1000
    assert g.build(p, "Assimilator") is None
    g.advance(DATA.structures["Assimilator"].build_loops)
    before = p.gas
    g.advance(224)
    assert p.gas - before == pytest.approx(DATA.gas_rate_per_loop(3) * 224)


def test_gateway_cannot_start_before_a_pylon():
    g = new_game()
    p = g.players[0]
    p.minerals = 1000
    assert g.build(p, "Gateway") == "No Pylon available"
    assert g.build(p, "Pylon") is None
    assert g.build(p, "Gateway") == "No Pylon available"  # the Pylon is still warping in
    g.advance(DATA.structures["Pylon"].build_loops)
    assert g.build(p, "Gateway") is None
    assert p.supply_cap() == 23


def test_chrono_boost_speeds_production_by_its_factor():
    g = new_game()
    p = g.players[0]
    p.minerals = 1000
    nexus = p.structures[0]
    g.train(p, "Probe")
    assert g.chrono(p, "Nexus") is None
    assert nexus.energy == 0  # started with 50, chrono costs 50
    assert g.chrono(p, "Nexus") == "No busy Nexus to boost"
    # +50% speed: 272 loops of work take ceil(272 / 1.5) = 182 loops.
    g.advance(181)
    assert p.workers == 12
    g.advance(1)
    assert p.workers == 13
    # Energy regenerates 0.7875 per game second (9/256 per loop).
    assert nexus.energy == 9 * 182


def test_chrono_lasts_20_seconds_then_production_returns_to_normal():
    g = new_game()
    p = g.players[0]
    p.minerals = 10_000
    p.structures[0].energy = 200 * 256
    for _ in range(2):
        g.train(p, "Probe")
        if p.structures[0].chrono_until <= g.loop:
            g.chrono(p, "Nexus")
        g.advance(1)
        while p.structures[0].job is not None:
            g.advance(1)
    # First probe: 182 loops boosted.  Second starts at 183 with 448 - 183 = 265 boosted loops left:
    # 265 * 3 = 795 >= 544, so it takes ceil(544 / 3) = 182 loops too.
    assert p.workers == 14


def test_unaffordable_action_fails_with_the_original_message():
    g = new_game()
    handler = ActionHandler(g, g.players[0])
    build_nexus = ACTIONS.index("BUILD NEXUS")
    reason = handler.execute(build_nexus)
    assert reason == "Cannot afford Nexus"
    from tactica.envs.textsc2.actions import failure_message

    assert (
        failure_message(ACTIONS[build_nexus], reason)
        == "Action failed: BUILD NEXUS, Reason: Cannot afford Nexus"
    )


def test_supply_block_and_busy_nexus_messages():
    g = new_game()
    p = g.players[0]
    p.minerals = 1000
    assert g.train(p, "Probe") is None
    assert g.train(p, "Probe") == "All Nexus are busy"
    p.supply_used = 15
    g.advance(272)
    assert g.train(p, "Probe") == "Not enough supply left"
    assert g.train(p, "Zealot") == "No Gateway available"


def test_pylon_rule_and_structure_caps():
    g = new_game()
    p = g.players[0]
    p.minerals = 5000
    handler = ActionHandler(g, p)
    pylon = ACTIONS.index("BUILD PYLON")
    p.supply_used = 11  # 4 supply left: the rule waits for 3 or less before 06:00
    assert handler.execute(pylon) == "Not the right conditions to build a Pylon"
    p.supply_used = 12
    assert handler.execute(pylon) is None
    g.advance(400)
    gateway = ACTIONS.index("BUILD GATEWAY")
    assert handler.execute(gateway) is None
    assert handler.execute(gateway) == "Not the right conditions to build a Gateway"  # one before 03:00
    off = ActionHandler(g, p, pylon_rule=False, structure_caps=False)
    assert off.execute(gateway) is None


def test_research_requirements_and_completion():
    g = new_game()
    p = g.players[0]
    p.minerals, p.gas = 5000, 5000
    g.build(p, "Pylon")
    g.advance(400)
    g.build(p, "Gateway")
    assert g.research(p, "WarpGateResearch") == "No CyberneticsCore available"
    g.advance(1040)
    g.build(p, "CyberneticsCore")
    g.advance(800)
    assert g.research(p, "ProtossAirWeaponsLevel2") == "No FleetBeacon available"
    assert g.research(p, "WarpGateResearch") is None
    assert g.research(p, "WarpGateResearch") == "WarpGateResearch is already being researched"
    g.advance(2240)
    assert "WarpGateResearch" in p.upgrades
    assert p.count("WarpGate") == 1 and p.count("Gateway") == 1  # the Gateway became a Warp Gate
    g.advance(160)
    assert g.train(p, "Zealot") is None  # warped in
    g.advance(DATA.economy["warp_in_loops"])
    assert p.home["Zealot"] == 1


def test_zerg_larva_limits_production():
    g = new_game()
    z = g.players[1]
    z.minerals = 1000
    z.home["Overlord"] = 2
    z.structures_changed()
    assert z.supply_cap() == 22
    for _ in range(3):
        assert g.train(z, "Drone") is None
    assert g.train(z, "Drone") == "No Larva available"
    g.advance(DATA.economy["larva_interval_loops"])
    assert g.train(z, "Drone") is None


def test_damage_formula_against_hand_values():
    u = DATA.units
    stalker, zealot, marine = u["Stalker"].weapons[0], u["Zealot"].weapons[0], u["Marine"].weapons[0]
    assert per_attack_damage(stalker, 0, u["Roach"], 0) == 13 + 5 - 1
    assert per_attack_damage(zealot, 0, u["Zergling"], 0) == 8 * 2
    assert per_attack_damage(zealot, 1, u["Zergling"], 1) == (9 - 1) * 2
    assert per_attack_damage(marine, 0, u["Zealot"], 0) == 6 - 1
    assert per_attack_damage(u["Zergling"].weapons[0], 0, u["Ultralisk"], 3) == 0.5  # the minimum


def test_armies_fight_and_the_bigger_army_wins():
    g = new_game()
    p, z = g.players
    p.home["Stalker"] = 20
    z.home["Zergling"] = 10
    g.attack(p)
    while p.groups and p.groups[0].pos < g.distance:
        g.advance(8)
    for _ in range(200):
        g.advance(8)
        if not z.home.get("Zergling"):
            break
    assert z.home.get("Zergling", 0) == 0
    assert sum(p.groups[0].units.values()) > 15
    assert p.value_killed >= 10 * 25


def test_game_ends_when_all_structures_are_destroyed():
    g = new_game()
    p, z = g.players
    p.home["Immortal"] = 20
    g.attack(p)
    for _ in range(2000):
        g.advance(8)
        if g.winner is not None:
            break
    assert g.winner == 0
    assert not z.structures


def test_action_mask_equals_dry_runs_of_every_action():
    import gymnasium as gym

    import tactica  # noqa: F401
    from tactica.agents import make

    env = gym.make("TextSC2-v1", difficulty="Medium").unwrapped
    agent = make("textsc2-expert", action_space=env.action_space)
    obs, info = env.reset(seed=4)
    for step in range(900):
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        if step % 30 == 0:
            handler, p = env.handler, env.game.players[0]
            saved = p.minerals, p.gas
            p.minerals = p.gas = 1e12
            slow = [0 if handler.execute(i, dry=True) else 1 for i in range(72)]
            p.minerals, p.gas = saved
            assert list(obs["action_mask"]) == slow
            assert handler.mask(ignore_resources=False) == [
                0 if handler.execute(i, dry=True) else 1 for i in range(72)
            ]
        if terminated or truncated:
            break
