"""The single-frame (L1) text equals the original's ``generate_summarize_L1`` on the same state.

The states below are written out in the original bot's vocabulary (``Protoss_Bot.get_information``:
``statgate_count``, ``Zealot_count``, ``GRAVITICDRIVE_research_status``, ``enemy_UnitTypeId.ZERGLING``...).
The expected texts were produced by running the original function
(histmeisah/Large-Language-Models-play-StarCraftII, ``summarize/L1_summarize.py``, commit 48564d6) in
isolation on these very dicts when the test was written; they are recorded here verbatim.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tactica  # noqa: F401  (registers TextSC2-v1)
from tactica.envs.textsc2.engine import Group
from tactica.envs.textsc2.text import information, original_information, render_l1, summarize

BUILDING = [
    "nexus_count", "pylon_count", "gas_buildings_count", "gateway_count", "forge_count", "photon_cannon_count",
    "shield_battery_count", "warp_gate_count", "cybernetics_core_count", "twilight_council_count",
    "robotics_facility_count", "statgate_count", "templar_archives_count", "dark_shrine_count",
    "robotics_bay_count", "fleet_beacon_count",
]  # fmt: skip
UNIT = [
    "probe_count", "Zealot_count", "stalker_count", "sentry_count", "adept_count", "high_templar_count",
    "dark_templar_count", "immortal_count", "colossus_count", "disruptor_count", "archon_count", "observer_count",
    "warp_prism_count", "phoenix_count", "voidray_count", "Oracle_count", "Carrier_count", "tempest_count",
    "mothership_count",
]  # fmt: skip
PLANNING_STRUCTURE = [
    "planning_nexus_count", "planning_pylon_count", "planning_gas_buildings_count", "planning_gateway_count",
    "planning_forge_count", "planning_photon_cannon_count", "planning_shield_battery_count",
    "planning_warp_gate_count", "planning_cybernetics_core_count", "planning_twilight_council_count",
    "planning_robotics_facility_count", "planning_stargate_count", "planning_templar_archives_count",
    "planning_dark_shrine_count", "planning_robotics_bay_count", "planning_fleet_beacon_count",
]  # fmt: skip
PLANNING_UNIT = ["planning_" + k for k in UNIT]
RESEARCH = {
    "cybernetics_core": ["warpgate_research_status"]
    + [f"protoss_air_armor_level_{i}_research_status" for i in (1, 2, 3)]
    + [f"protoss_air_weapon_level_{i}_research_status" for i in (1, 2, 3)],
    "forge": [f"protoss_ground_armor_level_{i}_research_status" for i in (1, 2, 3)]
    + [f"protoss_ground_weapon_level_{i}_research_status" for i in (1, 2, 3)]
    + [f"protoss_shield_level_{i}_research_status" for i in (1, 2, 3)],
    "twilight_council": [
        "blink_research_status",
        "charge_research_status",
        "resonating_glaives_research_status",
    ],
    "robotics_bay": [
        "extended_thermal_lance_research_status",
        "GRAVITICDRIVE_research_status",
        "OBSERVERGRAVITICBOOSTER_research_status",
    ],
    "fleet_beacon": ["PHOENIXRANGEUPGRADE_research_status", "VOIDRAYSPEEDUPGRADE_research_status"],
    "templar_archives": ["PSISTORMTECH_research_status"],
    "dark_shrine": ["SHADOWSTRIKE_research_status"],
}


def original_state(resource, building=(), unit=(), planned=(), in_production=(), research=(), enemy=()):
    """A full ``get_information`` dict: every key of the original, zero unless given."""
    building, unit, planned, in_production, research = map(
        dict, (building, unit, planned, in_production, research)
    )
    return {
        "resource": dict(resource),
        "building": {k: building.get(k, 0) for k in BUILDING},
        "unit": {k: unit.get(k, 0) for k in UNIT},
        "planning": {
            "planning_structure": {k: planned.get(k, 0) for k in PLANNING_STRUCTURE},
            "planning_unit": {k: in_production.get(k, 0) for k in PLANNING_UNIT},
        },
        "research": {group: {k: research.get(k, 0) for k in keys} for group, keys in RESEARCH.items()},
        "enemy": {"unit": dict(enemy), "structure": {}},
    }


STATES = {
    "start": original_state(
        {"game_time": "00:00", "worker_supply": 12, "mineral": 50, "gas": 0, "supply_left": 3, "supply_cap": 15,
         "supply_used": 12, "army_supply": 0},
        {"nexus_count": 1},
        {"probe_count": 12},
    ),
    "opening": original_state(
        {"game_time": "02:14", "worker_supply": 20, "mineral": 215, "gas": 0, "supply_left": 2, "supply_cap": 23,
         "supply_used": 21, "army_supply": 0},
        {"nexus_count": 1, "pylon_count": 1, "gas_buildings_count": 1, "gateway_count": 1},
        {"probe_count": 20},
        {"planning_gas_buildings_count": 1},
        {"planning_probe_count": 1},
    ),
    "midgame": original_state(
        {"game_time": "08:31", "worker_supply": 44, "mineral": 605, "gas": 312, "supply_left": -2,
         "supply_cap": 86, "supply_used": 88, "army_supply": 44},
        {"nexus_count": 3, "pylon_count": 7, "gas_buildings_count": 4, "forge_count": 1, "warp_gate_count": 4,
         "cybernetics_core_count": 1, "twilight_council_count": 1, "robotics_facility_count": 1,
         "statgate_count": 1, "robotics_bay_count": 1},
        {"probe_count": 44, "Zealot_count": 6, "stalker_count": 8, "immortal_count": 2, "Oracle_count": 1,
         "observer_count": 1},
        {"planning_pylon_count": 2, "planning_stargate_count": 1},
        {"planning_immortal_count": 1, "planning_Zealot_count": 2},
        {"warpgate_research_status": 1, "protoss_ground_weapon_level_1_research_status": 0.247,
         "protoss_shield_level_1_research_status": 1, "charge_research_status": 0.5,
         "GRAVITICDRIVE_research_status": 1},
        {"enemy_UnitTypeId.ZERGLING": 12, "enemy_UnitTypeId.ROACH": 3, "enemy_UnitTypeId.OVERLORD": 1},
    ),
}  # fmt: skip

# Recorded from the original generate_summarize_L1 on the dicts above.
EXPECTED = {
    "start": "At 00:00 game time, our current StarCraft II situation is as follows:\n\nResources:\n- Game time: 00:00\n- Worker supply: 12\n- Mineral: 50\n- Supply left: 3\n- Supply cap: 15\n- Supply used: 12\n\nBuildings:\n- Nexus count: 1\n\nUnits:\n- Probe count: 12\n\n",
    "opening": "At 02:14 game time, our current StarCraft II situation is as follows:\n\nResources:\n- Game time: 02:14\n- Worker supply: 20\n- Mineral: 215\n- Supply left: 2\n- Supply cap: 23\n- Supply used: 21\n\nBuildings:\n- Nexus count: 1\n- Pylon count: 1\n- Gas buildings count: 1\n- Gateway count: 1\n\nUnits:\n- Probe count: 20\n\nPlanning:\n\nPlanning structure:\n- Planning gas buildings count: 1\n\nPlanning unit:\n- Planning probe count: 1\n\n",
    "midgame": "At 08:31 game time, our current StarCraft II situation is as follows:\n\nResources:\n- Game time: 08:31\n- Worker supply: 44\n- Mineral: 605\n- Gas: 312\n- Supply left: -2\n- Supply cap: 86\n- Supply used: 88\n- Army supply: 44\n\nBuildings:\n- Nexus count: 3\n- Pylon count: 7\n- Gas buildings count: 4\n- Forge count: 1\n- Warp gate count: 4\n- Cybernetics core count: 1\n- Twilight council count: 1\n- Robotics facility count: 1\n- Statgate count: 1\n- Robotics bay count: 1\n\nUnits:\n- Probe count: 44\n- Zealot count: 6\n- Stalker count: 8\n- Immortal count: 2\n- Observer count: 1\n- Oracle count: 1\n\nPlanning:\n\nPlanning structure:\n- Planning pylon count: 2\n- Planning stargate count: 1\n\nPlanning unit:\n- Planning zealot count: 2\n- Planning immortal count: 1\n\nResearch:\n\nCybernetics core:\n- Warpgate research status: 1\n\nForge:\n- Protoss ground weapon level 1 research status: 0.247\n- Protoss shield level 1 research status: 1\n\nTwilight council:\n- Charge research status: 0.5\n\nRobotics bay:\n- Graviticdrive research status: 1\n\nEnemy:\n\nUnit:\n- Enemy unittypeid.zergling: 12\n- Enemy unittypeid.roach: 3\n- Enemy unittypeid.overlord: 1\n\n",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STATES))
def test_render_equals_the_original_function_on_written_out_states(name):
    assert render_l1(STATES[name]) == EXPECTED[name]


def tactica_midgame() -> dict:
    """The midgame state in tactica's vocabulary: completed structures only, readable keys."""
    state = STATES["midgame"]
    building = {("stargate_count" if k == "statgate_count" else k): v for k, v in state["building"].items()}
    building["pylon_count"] -= 2  # two of the original's seven Pylons are in construction
    building["stargate_count"] -= 1  # and its one Stargate
    renamed = {
        "GRAVITICDRIVE_research_status": "gravitic_drive_research_status",
        "OBSERVERGRAVITICBOOSTER_research_status": "gravitic_booster_research_status",
        "PHOENIXRANGEUPGRADE_research_status": "phoenix_range_research_status",
        "VOIDRAYSPEEDUPGRADE_research_status": "void_ray_speed_research_status",
        "PSISTORMTECH_research_status": "psionic_storm_research_status",
        "SHADOWSTRIKE_research_status": "shadow_stride_research_status",
    }
    return {
        "resource": dict(state["resource"]),
        "building": building,
        "unit": {k.lower(): v for k, v in state["unit"].items()},
        "planning": {
            "planning_structure": dict(state["planning"]["planning_structure"]),
            "planning_unit": {k.lower(): v for k, v in state["planning"]["planning_unit"].items()},
        },
        "research": {
            group: {renamed.get(k, k): v for k, v in keys.items()}
            for group, keys in state["research"].items()
        },
        "enemy": {"unit": {"zergling": 12, "roach": 3, "overlord": 1}, "structure": {"hatchery": 2}},
    }


def test_original_information_is_the_dict_the_original_holds_for_the_state():
    info = tactica_midgame()
    assert original_information(info) == STATES["midgame"]
    assert summarize(info, text_format="original") == EXPECTED["midgame"]


def test_the_default_text_is_the_same_renderer_on_tacticas_keys():
    text = summarize(tactica_midgame())
    assert "- Stargate count" not in text and "- Pylon count: 5\n" in text  # completed structures
    assert "- Gravitic drive research status: 1\n" in text
    assert "\nUnit:\n- Zergling: 12\n- Roach: 3\n- Overlord: 1\n\nStructure:\n- Hatchery: 2\n" in text
    with pytest.raises(ValueError, match="text_format"):
        summarize(tactica_midgame(), text_format="fancy")


def test_env_text_format_original_counts_like_the_original():
    env = gym.make("TextSC2-v1", text_format="original")
    obs, _ = env.reset(seed=0)
    assert obs["text"] == EXPECTED["start"]
    game = env.unwrapped.game
    me, zerg = game.players
    # A scouting Probe is still a worker; lost supply leaves supply left below zero; enemy structures seen at
    # the enemy base are not in the original's dict.
    me.workers -= 1
    me.groups.append(Group(units={"Probe": 1}, target="enemy", pos=game.distance, scout=True, linger=10**6))
    me.supply_used = 17.0
    info = information(game, me)
    assert info["resource"]["worker_supply"] == 12 and info["resource"]["supply_left"] == -2
    assert info["enemy"]["structure"] == {"hatchery": 1}
    original = original_information(info)
    assert original["enemy"] == {
        "unit": {"enemy_UnitTypeId.DRONE": 12, "enemy_UnitTypeId.OVERLORD": 1},
        "structure": {},
    }
    obs, *_ = env.step(71)
    assert obs["resource"]["supply_left"] == np.int64(-2) and obs["resource"]["worker_supply"] == 12
    assert env.observation_space.contains(obs)
    assert "- Supply left: -2\n" in obs["text"] and "Hatchery" not in obs["text"]
    assert "- Enemy unittypeid.drone: 12\n" in obs["text"]
