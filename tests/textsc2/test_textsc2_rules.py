"""The rules behind the actions follow the original bot (histmeisah/Large-Language-Models-play-StarCraftII,
``env/bot/Protoss_bot.py``) under the default rule set; ``original_bugs=True`` adds its bugs and
``rules="lotv"`` keeps only the game's own rules.  Expected values are read off that file's handlers."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.textsc2.actions import ACTIONS, ActionHandler
from tactica.envs.textsc2.data import load_data
from tactica.envs.textsc2.engine import Game, Group, Structure
from tactica.envs.textsc2.rules import RuleSet, pylon_thresholds, structure_limit

HELPERS = load_data().helpers
A = {name: i for i, name in enumerate(ACTIONS)}


def setup(rules: RuleSet | None = None, seconds: float = 0.0, seed: int = 0):
    g = Game(races=("Protoss", "Zerg"), rng=np.random.default_rng(0))
    g.loop = int(round(seconds * 22.4))
    p = g.players[0]
    p.minerals = p.gas = 100000.0
    return g, p, ActionHandler(g, p, rules=rules, rng=np.random.default_rng(seed))


def add(g, p, kind: str, n: int = 1, done: bool = True) -> list[Structure]:
    made = []
    for _ in range(n):
        s = p._add_structure(kind, remaining=0 if done else 100, base=0)
        if kind == "Nexus":
            s.energy = 200 * 256
        made.append(s)
    return made


@pytest.mark.parametrize(
    ("clock", "expected"),
    # handle_action_19: (3, 2) by default; '06:00' <= t <= '07:00' (5, 4); then up to '08:00' (5, 3); then
    # up to '10:00' and after (7, 4) -- string comparisons of MM:SS, so the bounds are inclusive.
    [("05:59", (3, 2)), ("06:00", (5, 4)), ("07:00", (5, 4)), ("07:01", (5, 3)), ("08:00", (5, 3)),
     ("08:01", (7, 4)), ("10:00", (7, 4)), ("25:00", (7, 4))],
)  # fmt: skip
def test_pylon_windows(clock, expected):
    minutes, seconds = clock.split(":")
    assert pylon_thresholds(HELPERS, int(minutes) * 60 + int(seconds)) == expected


def test_pylon_rule_thresholds_and_pending():
    g, p, h = setup(seconds=370)  # 06:10: supply left <= 5 and at most 4 pending
    add(g, p, "Pylon", 4, done=False)
    p.supply_used = 10
    assert h.execute(A["BUILD PYLON"]) is None  # 5 left, 4 pending: allowed (pending <= 4)
    assert h.execute(A["BUILD PYLON"]) == "Not the right conditions to build a Pylon"  # 5 pending
    p.supply_used = 14
    off = ActionHandler(g, p, rules=RuleSet("lotv"))
    assert off.execute(A["BUILD PYLON"]) is None


@pytest.mark.parametrize(
    ("name", "second", "limit"),
    # handle_action_22..27, 32, 33: building_limits by 'MM:SS' windows (both bounds inclusive, the tighter at
    # a shared bound), no cap after the last window; cannons and batteries never more than 4.
    [("Gateway", 179, 1), ("Gateway", 180, 1), ("Gateway", 181, 3), ("Gateway", 420, 6), ("Gateway", 600, 8),
     ("Gateway", 601, None), ("CyberneticsCore", 299, 1), ("CyberneticsCore", 1201, None),
     ("Forge", 601, None), ("RoboticsFacility", 900, 3), ("RoboticsFacility", 901, None), ("Stargate", 450, 3),
     ("PhotonCannon", 120, 1), ("PhotonCannon", 450, 3), ("PhotonCannon", 700, 4), ("ShieldBattery", 5000, 4),
     ("TwilightCouncil", 100, None), ("Nexus", 100, 9)],
)  # fmt: skip
def test_structure_windows(name, second, limit):
    assert structure_limit(HELPERS, name, second) == limit


def test_warp_gates_do_not_count_against_the_gateway_cap():
    g, p, h = setup(seconds=200)  # 03:20: at most three Gateways
    add(g, p, "Pylon")
    add(g, p, "Gateway", 2)
    add(g, p, "Gateway", 1, done=False)
    assert h.execute(A["BUILD GATEWAY"]) == "Not the right conditions to build a Gateway"
    for s in p.structures:
        if s.kind == "Gateway" and s.done:
            s.kind = "WarpGate"
    p.structures_changed()
    assert h.execute(A["BUILD GATEWAY"]) is None
    g.loop = int(605 * 22.4)  # after 10:00 no cap at all
    add(g, p, "Gateway", 10)
    assert h.execute(A["BUILD GATEWAY"]) is None


def test_in_construction_counts_once_and_twice_with_the_original_bugs():
    g, p, h = setup(seconds=200)
    add(g, p, "Pylon")
    add(g, p, "Gateway", 1)
    add(g, p, "Gateway", 1, done=False)
    assert h.execute(A["BUILD GATEWAY"], dry=True) is None  # 2 < 3
    bugs = ActionHandler(g, p, rules=RuleSet(original_bugs=True))
    assert bugs.execute(A["BUILD GATEWAY"], dry=True) == "Not the right conditions to build a Gateway"


def test_cannon_and_battery_requirements_and_limits():
    g, p, h = setup(seconds=400)
    add(g, p, "Pylon")
    add(g, p, "Forge")
    add(g, p, "Gateway")
    # The original asks for a Cybernetics Core before a Photon Cannon and a Forge before a Shield Battery.
    assert h.execute(A["BUILD PHOTONCANNON"]) == "No CyberneticsCore available"
    add(g, p, "CyberneticsCore")
    assert h.execute(A["BUILD PHOTONCANNON"]) is None
    assert h.execute(A["BUILD PHOTONCANNON"]) is None
    assert h.execute(A["BUILD PHOTONCANNON"]) is None
    assert (
        h.execute(A["BUILD PHOTONCANNON"]) == "Not the right conditions to build a PhotonCannon"
    )  # 3 by 10:00
    lotv = ActionHandler(g, p, rules=RuleSet("lotv"))
    assert lotv.execute(A["BUILD PHOTONCANNON"]) is None
    g2, p2, h2 = setup(seconds=100)
    add(g2, p2, "Pylon")
    add(g2, p2, "Gateway")
    add(g2, p2, "CyberneticsCore")
    assert h2.execute(A["BUILD SHIELDBATTERY"]) == "No Forge available"
    assert ActionHandler(g2, p2, rules=RuleSet("lotv")).execute(A["BUILD SHIELDBATTERY"]) is None
    assert h2.execute(A["BUILD ASSIMILATOR"]) is None  # a Pylon exists
    g3, p3, h3 = setup()
    assert h3.execute(A["BUILD ASSIMILATOR"]) == "No Pylon available"


def test_unit_caps_probe_limit_and_mothership():
    g, p, h = setup()
    add(g, p, "Pylon", 20)
    add(g, p, "Nexus", 3)
    add(g, p, "RoboticsFacility", 2)
    add(g, p, "RoboticsBay")
    p.workers = 75
    p.supply_used = 75
    assert h.execute(A["TRAIN PROBE"]) is None  # 75 + 0 pending is not more than 75
    assert h.execute(A["TRAIN PROBE"]) == "Too many probes (more than 75)"
    assert h.execute(A["TRAIN DISRUPTOR"]) is None
    assert h.execute(A["TRAIN DISRUPTOR"]) == "Disruptor limit reached"  # one Disruptor at a time
    lotv = ActionHandler(g, p, rules=RuleSet("lotv"))
    assert lotv.execute(A["TRAIN PROBE"]) is None
    add(g, p, "Stargate")
    add(g, p, "FleetBeacon")
    p.supply_used = p.supply_cap() - 9
    assert h.execute(A["TRAIN MOTHERSHIP"]) == "Not enough supply left"
    assert lotv.execute(A["TRAIN MOTHERSHIP"]) is None
    assert lotv.execute(A["TRAIN MOTHERSHIP"]) == "Not the right conditions to train a Mothership"


def test_gateway_unit_is_queued_on_a_busy_gateway():
    g, p, h = setup()
    add(g, p, "Pylon")
    gate = add(g, p, "Gateway")[0]
    assert h.execute(A["TRAIN ZEALOT"]) is None
    assert h.execute(A["TRAIN ZEALOT"]) is None  # queued behind the first
    assert len(gate.queue) == 1 and p.pending_units()["Zealot"] == 2
    assert h.mask()[A["TRAIN ZEALOT"]] == 1
    for _ in range(3):
        h.execute(A["TRAIN ZEALOT"])
    assert h.execute(A["TRAIN ZEALOT"]) == "All Gateway are busy"  # five in all
    assert h.mask()[A["TRAIN ZEALOT"]] == 0
    g.advance(608)
    assert p.home["Zealot"] == 1 and gate.job is not None and len(gate.queue) == 3
    add(g, p, "RoboticsFacility")
    add(g, p, "Pylon", 2)
    assert h.execute(A["TRAIN IMMORTAL"]) is None
    assert h.execute(A["TRAIN IMMORTAL"]) == "All RoboticsFacility are busy"  # only Gateway units queue


def test_archon_from_two_high_templar_or_two_dark_templar():
    g, p, h = setup()
    p.home.update({"HighTemplar": 5, "DarkTemplar": 2})
    assert h.execute(A["MORPH ARCHON"]) is None  # the original morphs its High Templar, in pairs
    assert (p.home["HighTemplar"], p.home["DarkTemplar"]) == (1, 2)
    # With one High Templar left it tries the High Templar again (nothing happens), not the Dark Templar.
    assert h.execute(A["MORPH ARCHON"]) == "No High Templar or Dark Templar available for Archon morph"
    p.home["HighTemplar"] = 0
    assert h.execute(A["MORPH ARCHON"]) is None  # no High Templar: the Dark Templar morph
    assert p.home["DarkTemplar"] == 0
    p.home.update({"HighTemplar": 1, "DarkTemplar": 1})
    lotv = ActionHandler(g, p, rules=RuleSet("lotv"))
    assert lotv.execute(A["MORPH ARCHON"]) is None  # the game also takes one of each
    g.advance(400)
    assert p.home["Archon"] == 4


def test_chrono_boost_supply_conditions_and_random_target():
    g, p, h = setup()
    add(g, p, "Nexus")
    forges = add(g, p, "Forge", 2)
    add(g, p, "Pylon")
    assert g.research(p, "ProtossGroundWeaponsLevel1") is None  # one Forge busy, the other idle
    p.supply_used = p.supply_cap() - 3
    assert h.execute(A["CHRONOBOOST FORGE"], dry=True) == "Not enough supply for Forge"  # needs 4 supply left
    assert h.mask()[A["CHRONOBOOST FORGE"]] == 0
    p.supply_used = p.supply_cap() - 4
    assert h.mask()[A["CHRONOBOOST FORGE"]] == 1
    outcomes = set()
    for seed in range(12):
        g2, p2, h2 = setup(seed=seed)
        add(g2, p2, "Nexus")
        add(g2, p2, "Forge", 2)
        g2.research(p2, "ProtossGroundWeaponsLevel1")
        outcomes.add(h2.execute(A["CHRONOBOOST FORGE"]))
    # The original boosts a random Forge: the busy one, or the idle one (then it fails).
    assert outcomes == {None, "Forge is idle or already chronoboosted"}
    lotv_game, lotv_p, _ = setup()
    add(lotv_game, lotv_p, "Nexus")
    add(lotv_game, lotv_p, "Forge", 2)
    lotv_game.research(lotv_p, "ProtossGroundWeaponsLevel1")
    lotv = ActionHandler(lotv_game, lotv_p, rules=RuleSet("lotv"))
    lotv_p.supply_used = lotv_p.supply_cap()
    assert lotv.execute(A["CHRONOBOOST FORGE"]) is None  # the busy one, whatever the supply
    assert forges  # (the structures used above)


def test_original_bugs_research_48_and_59_disruptor_and_warp_ins():
    g, p, h = setup()
    add(g, p, "Pylon")
    add(g, p, "Forge")
    add(g, p, "TwilightCouncil")
    p.upgrades.update({"ProtossGroundWeaponsLevel1", "ProtossGroundArmorsLevel1"})
    bugs = ActionHandler(g, p, rules=RuleSet(original_bugs=True))
    assert h.execute(A["RESEARCH PROTOSSGROUNDARMORSLEVEL2"], dry=True) is None
    assert bugs.execute(A["RESEARCH PROTOSSGROUNDARMORSLEVEL2"]) is None
    assert p.researching() == {"ProtossGroundWeaponsLevel2"}  # action 48 researches Ground Weapons 2
    add(g, p, "FleetBeacon")
    assert bugs.execute(A["RESEARCH TEMPESTGROUNDATTACKUPGRADE"]) is None
    assert "TempestGroundAttackUpgrade" not in p.researching()  # a no-op in the original
    assert h.execute(A["RESEARCH TEMPESTGROUNDATTACKUPGRADE"]) is None
    assert "TempestGroundAttackUpgrade" in p.researching()
    add(g, p, "RoboticsFacility")
    add(g, p, "RoboticsBay")
    assert bugs.execute(A["TRAIN DISRUPTOR"]) == "DISRUPTOR not available"
    add(g, p, "Gateway")
    add(g, p, "CyberneticsCore")
    p.upgrades.add("WarpGateResearch")
    g.advance(170)  # the Gateway becomes a Warp Gate (160 loops)
    assert bugs.execute(A["TRAIN ADEPT"]) == "Unit type ADEPT not warpable"
    assert h.execute(A["TRAIN ADEPT"]) is None
    with pytest.raises(ValueError, match="original_bugs"):
        RuleSet("lotv", original_bugs=True)
    with pytest.raises(ValueError, match="rules"):
        RuleSet("wol")


def test_multi_retreat_goes_home_and_with_the_original_bugs_towards_the_front():
    for bugs, expected in ((False, "home"), (True, "hold")):
        g, p, _ = setup()
        h = ActionHandler(g, p, rules=RuleSet(original_bugs=bugs))
        p.groups.append(Group(units={"Stalker": 4}, target="enemy", pos=60.0))
        p.home["Zealot"] = 2
        assert h.execute(A["MULTI-RETREAT"]) is None
        assert {grp.target for grp in p.groups} == {expected}
        if bugs:
            g.advance(22 * 30)
            # The army gathers at its unit nearest the enemy, the home Zealots included, and stays there.
            assert [(round(grp.pos), sum(grp.units.values())) for grp in p.groups] == [(60, 4), (60, 2)]


def test_mask_equals_dry_runs_under_every_rule_set():
    for rules in (RuleSet(), RuleSet(original_bugs=True), RuleSet("lotv")):
        g, p, h = setup(rules, seconds=400)
        for kind in ("Pylon", "Nexus", "Gateway", "CyberneticsCore", "Forge", "RoboticsFacility", "Stargate"):
            add(g, p, kind)
        p.home.update({"HighTemplar": 1, "DarkTemplar": 1, "Zealot": 4})
        g.research(p, "ProtossGroundWeaponsLevel1")
        for _ in range(40):
            mask = h.mask(ignore_resources=False)
            dry = [int(h.execute(i, dry=True) is None) for i in range(len(ACTIONS))]
            assert mask == dry, rules
            g.advance(37)
