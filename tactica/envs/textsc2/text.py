"""The original's observation dict and its single-frame (L1) text, in two vocabularies.

:func:`information` builds the ``information`` dict of the original ``Protoss_Bot.get_information`` (resource,
building, unit, planning, research, enemy) from the engine, with tactica's keys: lower case, the
``statgate_count`` typo fixed, readable research names, enemy types by name (``zergling``).

:func:`summarize` renders it as the original's ``generate_summarize_L1`` does: the header ``At MM:SS game time,
our current StarCraft II situation is as follows:``, one section per group (``Resources``, ``Buildings``,
``Units``, ``Planning``, ``Research``, ``Enemy``), ``- Key: value`` for every non-zero value (the key with
``_`` as spaces, capitalised), and a sub-dict as a blank line, its capitalised name and its lines.

* ``text_format="tactica"`` (the default) renders tactica's dict: completed structures in ``Buildings``, the
  visible enemy structures, readable labels (``Stargate count``, ``Gravitic drive research status``,
  ``Zergling``).
* ``text_format="original"`` renders :func:`original_information`, the dict the original bot would hold in
  the same state: a structure in construction counted in ``Buildings`` as well as in ``Planning`` (burnysc2's
  ``structures`` include it), ``statgate_count``, the original's research keys and order
  (``GRAVITICDRIVE_research_status``, armour before weapons, ``protoss_shield_level_N``), enemy units keyed
  ``enemy_UnitTypeId.ZERGLING`` and no enemy structures (the original's ``get_enemy_structure`` returns None
  whenever a structure is visible, so they never reach the dict).  The text then equals the original
  function's output on that dict.

Decision parsing lives in :mod:`tactica.envs.textsc2.decisions`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from tactica.envs.textsc2.engine import WORKER, Game, Player

__all__ = [
    "BUILDING_KEYS",
    "UNIT_KEYS",
    "RESEARCH_KEYS",
    "RESOURCE_KEYS",
    "TEXT_FORMATS",
    "information",
    "original_information",
    "render_l1",
    "summarize",
]

TEXT_FORMATS = ("tactica", "original")

RESOURCE_KEYS = (
    "game_time", "worker_supply", "mineral", "gas", "supply_left", "supply_cap", "supply_used", "army_supply",
)  # fmt: skip
# obs key -> structure name (counts of completed structures, as the original)
BUILDING_KEYS: dict[str, str] = {
    "nexus_count": "Nexus",
    "pylon_count": "Pylon",
    "gas_buildings_count": "Assimilator",
    "gateway_count": "Gateway",
    "forge_count": "Forge",
    "photon_cannon_count": "PhotonCannon",
    "shield_battery_count": "ShieldBattery",
    "warp_gate_count": "WarpGate",
    "cybernetics_core_count": "CyberneticsCore",
    "twilight_council_count": "TwilightCouncil",
    "robotics_facility_count": "RoboticsFacility",
    "stargate_count": "Stargate",
    "templar_archives_count": "TemplarArchive",
    "dark_shrine_count": "DarkShrine",
    "robotics_bay_count": "RoboticsBay",
    "fleet_beacon_count": "FleetBeacon",
}
UNIT_KEYS: dict[str, str] = {
    "probe_count": "Probe",
    "zealot_count": "Zealot",
    "stalker_count": "Stalker",
    "sentry_count": "Sentry",
    "adept_count": "Adept",
    "high_templar_count": "HighTemplar",
    "dark_templar_count": "DarkTemplar",
    "immortal_count": "Immortal",
    "colossus_count": "Colossus",
    "disruptor_count": "Disruptor",
    "archon_count": "Archon",
    "observer_count": "Observer",
    "warp_prism_count": "WarpPrism",
    "phoenix_count": "Phoenix",
    "voidray_count": "VoidRay",
    "oracle_count": "Oracle",
    "carrier_count": "Carrier",
    "tempest_count": "Tempest",
    "mothership_count": "Mothership",
}
# In the original's order (armour before weapons); keys the original's where readable.
RESEARCH_KEYS: dict[str, dict[str, str]] = {
    "cybernetics_core": {
        "warpgate_research_status": "WarpGateResearch",
        **{f"protoss_air_armor_level_{i}_research_status": f"ProtossAirArmorsLevel{i}" for i in (1, 2, 3)},
        **{f"protoss_air_weapon_level_{i}_research_status": f"ProtossAirWeaponsLevel{i}" for i in (1, 2, 3)},
    },
    "forge": {
        **{
            f"protoss_ground_armor_level_{i}_research_status": f"ProtossGroundArmorsLevel{i}"
            for i in (1, 2, 3)
        },
        **{
            f"protoss_ground_weapon_level_{i}_research_status": f"ProtossGroundWeaponsLevel{i}"
            for i in (1, 2, 3)
        },
        **{f"protoss_shield_level_{i}_research_status": f"ProtossShieldsLevel{i}" for i in (1, 2, 3)},
    },
    "twilight_council": {
        "blink_research_status": "BlinkTech",
        "charge_research_status": "Charge",
        "resonating_glaives_research_status": "AdeptPiercingAttack",
    },
    "robotics_bay": {
        "extended_thermal_lance_research_status": "ExtendedThermalLance",
        "gravitic_drive_research_status": "GraviticDrive",
        "gravitic_booster_research_status": "ObserverGraviticBooster",
    },
    "fleet_beacon": {
        "phoenix_range_research_status": "PhoenixRangeUpgrade",
        "void_ray_speed_research_status": "VoidRaySpeedUpgrade",
    },
    "templar_archives": {"psionic_storm_research_status": "PsiStormTech"},
    "dark_shrine": {"shadow_stride_research_status": "DarkTemplarBlinkUpgrade"},
}


_BUILDING_ITEMS = tuple(BUILDING_KEYS.items())
_UNIT_ITEMS = tuple(UNIT_KEYS.items())
_PLANNING_STRUCTURE_ITEMS = tuple((f"planning_{key}", name) for key, name in _BUILDING_ITEMS)
_PLANNING_UNIT_ITEMS = tuple((f"planning_{key}", name) for key, name in _UNIT_ITEMS)
_RESEARCH_ITEMS = tuple((group, tuple(keys.items())) for group, keys in RESEARCH_KEYS.items())


@functools.lru_cache(maxsize=4096)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def enemy_keys(data, race: str) -> tuple[list[str], list[str]]:
    """Snake-case enemy unit and structure keys of a race (the enemy section's fixed vocabulary)."""
    units = [_snake(n) for n, u in data.units.items() if u.race == race]
    structures = [_snake(n) for n, s in data.structures.items() if s.race == race]
    return units, structures


def information(
    game: Game,
    player: Player,
    *,
    counts: tuple[Counter[str], Counter[str]] | None = None,
    cache: dict | None = None,
) -> dict:
    """The original's ``information`` dict for ``player`` at the current game loop.

    Args:
        counts: ``(player.unit_counts(), player.pending_units())`` when the caller has them already.
        cache: a dict the caller keeps between calls for one player of one game.  A group whose sources did not
            change since the previous call (the structures, the units, the units in production, the research) is
            then the same dict object as in the previous result, so results must not be changed by the caller.
    """
    # Every count below is a sum of Python ints, so the values are ints without conversion.
    units, planning_units = counts if counts is not None else (player.unit_counts(), player.pending_units())
    if cache is None:
        cache = {}
    done, unfinished = player.done_structures(), player.unfinished_structures()
    if cache.get("done") is not done or cache.get("unfinished") is not unfinished:
        cache["done"], cache["unfinished"] = done, unfinished
        cache["building"] = {key: done.get(name, 0) for key, name in _BUILDING_ITEMS}
        cache["planning_structure"] = {
            key: unfinished.get(name, 0) for key, name in _PLANNING_STRUCTURE_ITEMS
        }
    # dict equality (not Counter's, which is Python code): a stray zero entry only costs a recomputation.
    if not _same(cache.get("units"), units):
        cache["units"] = units
        cache["unit"] = {key: units.get(name, 0) for key, name in _UNIT_ITEMS}
    if not _same(cache.get("planning_units"), planning_units):
        cache["planning_units"] = planning_units
        cache["planning_unit"] = {key: planning_units.get(name, 0) for key, name in _PLANNING_UNIT_ITEMS}
    cap = player.supply_cap()
    used = int(round(player.supply_used))
    resource = {
        "game_time": game.game_time(),
        # Every Probe, the scouting one included (the original's ``self.workers.amount``).
        "worker_supply": int(units.get(WORKER[player.race], 0)),
        "mineral": int(player.minerals),
        "gas": int(player.gas),
        "supply_left": cap - used,  # negative when Pylons are lost, as in the game
        "supply_cap": cap,
        "supply_used": used,
        "army_supply": int(round(player.army_supply(units))),
    }
    progress = {}
    for s in player.structures:
        job = s.job
        if job is not None and job.kind == "upgrade":
            progress[job.name] = round(min(0.999, job.progress / job.total), 3)
    upgrades = player.upgrades
    # A player's upgrades only ever grow, so their number and the progress of those running fix this group.
    research_key = (len(upgrades), progress)
    if cache.get("research_key") != research_key:
        cache["research_key"] = research_key
        cache["research"] = {
            group: {key: 1 if up in upgrades else progress.get(up, 0.0) for key, up in keys}
            for group, keys in _RESEARCH_ITEMS
        }
    seen_units, seen_structures = game.visible_enemy(player)
    return {
        "resource": resource,
        "building": cache["building"],
        "unit": cache["unit"],
        "planning": {
            "planning_structure": cache["planning_structure"],
            "planning_unit": cache["planning_unit"],
        },
        "research": cache["research"],
        "enemy": {
            "unit": {_snake(k): int(v) for k, v in sorted(seen_units.items())},
            "structure": {_snake(k): int(v) for k, v in sorted(seen_structures.items())},
        },
    }


def _same(a: dict | None, b: dict) -> bool:
    return a is not None and dict.__eq__(a, b) is True


# -- the original's vocabulary ---------------------------------------------------------------------------
_ORIGINAL_BUILDING = {key: ("statgate_count" if key == "stargate_count" else key) for key in BUILDING_KEYS}
_CAPITALISED = {
    "zealot_count": "Zealot_count",
    "oracle_count": "Oracle_count",
    "carrier_count": "Carrier_count",
}
_ORIGINAL_UNIT = {key: _CAPITALISED.get(key, key) for key in UNIT_KEYS}
_ORIGINAL_RESEARCH_NAMES = {
    "gravitic_drive_research_status": "GRAVITICDRIVE_research_status",
    "gravitic_booster_research_status": "OBSERVERGRAVITICBOOSTER_research_status",
    "phoenix_range_research_status": "PHOENIXRANGEUPGRADE_research_status",
    "void_ray_speed_research_status": "VOIDRAYSPEEDUPGRADE_research_status",
    "psionic_storm_research_status": "PSISTORMTECH_research_status",
    "shadow_stride_research_status": "SHADOWSTRIKE_research_status",
}


@functools.lru_cache(maxsize=256)
def _original_enemy_key(key: str) -> str:
    """``zergling`` -> ``enemy_UnitTypeId.ZERGLING`` (``'enemy_' + str(unit.type_id)`` in the original)."""
    return "enemy_UnitTypeId." + key.replace("_", "").upper()


def original_information(info: dict) -> dict:
    """The dict the original bot holds in the state ``info`` (from :func:`information`) describes.

    Buildings count structures in construction too (burnysc2's ``structures(T).amount``), keys are the
    original's (``statgate_count``, ``Zealot_count``, ``planning_Zealot_count``, ``GRAVITICDRIVE_research_status``),
    research is 1 when done, and the enemy section holds units keyed ``enemy_UnitTypeId.<TYPE>`` and no structures.
    """
    planning = info["planning"]
    planned = planning["planning_structure"]
    return {
        "resource": dict(info["resource"]),
        "building": {
            _ORIGINAL_BUILDING[k]: v + planned.get(f"planning_{k}", 0) for k, v in info["building"].items()
        },
        "unit": {_ORIGINAL_UNIT[k]: v for k, v in info["unit"].items()},
        "planning": {
            "planning_structure": dict(planned),
            "planning_unit": {
                f"planning_{_ORIGINAL_UNIT[k.removeprefix('planning_')]}": v
                for k, v in planning["planning_unit"].items()
            },
        },
        "research": {
            group: {_ORIGINAL_RESEARCH_NAMES.get(k, k): (1 if v == 1 else v) for k, v in keys.items()}
            for group, keys in info["research"].items()
        },
        "enemy": {
            "unit": {_original_enemy_key(k): v for k, v in info["enemy"]["unit"].items()},
            "structure": {},
        },
    }


# -- the single-frame text -------------------------------------------------------------------------------
_TITLES = (
    ("Resources", "resource"),
    ("Buildings", "building"),
    ("Units", "unit"),
    ("Planning", "planning"),
    ("Research", "research"),
    ("Enemy", "enemy"),
)


@functools.lru_cache(maxsize=4096)  # bounded: render_l1() also takes users' own keys
def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _section(data: dict) -> str:
    """The original's ``create_summary``: non-zero leaves as ``- Key: value``, sub-dicts after a blank line."""
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            inner = _section(value)
            if inner:
                out.append(f"\n{_label(key)}:\n{inner}")
        elif value != 0:
            out.append(f"- {_label(key)}: {value}\n")
    return "".join(out)


def render_l1(info: dict, cache: dict | None = None) -> str:
    """The original's ``generate_summarize_L1`` text of an information dict (tactica's or the original's keys).

    ``cache``: a dict the caller keeps between calls on successive dicts of one game (which it must not change
    afterwards); a section equal to the one of the previous call reuses its text.
    """
    game_time = info["resource"].get("game_time", "unknown time")
    parts = [f"At {game_time} game time, our current StarCraft II situation is as follows:\n\n"]
    for title, key in _TITLES:
        data = info.get(key, {})
        if cache is None:
            text = _section(data)
        else:
            last = cache.get(key)
            if last is not None and (last[0] is data or last[0] == data):
                text = last[1]
            else:
                text = _section(data)
                cache[key] = (data, text)
        if text:
            parts.append(f"{title}:\n{text}\n")
    return "".join(parts)


def summarize(info: dict, cache: dict | None = None, text_format: str = "tactica") -> str:
    """The single-frame (L1) text of :func:`information`'s dict in ``text_format`` (see the module doc)."""
    if text_format == "original":
        return render_l1(original_information(info), cache)
    if text_format != "tactica":
        raise ValueError(f"text_format must be one of {', '.join(TEXT_FORMATS)}, got {text_format!r}")
    return render_l1(info, cache)
