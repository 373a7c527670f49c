"""The original's observation dict, its single-frame text summary, and "Decisions:" parsing.

:func:`information` builds the ``information`` dict of the original ``Protoss_Bot.get_information`` (resource,
building, unit, planning, research, enemy; keys normalised to lower case, the ``statgate_count`` typo fixed).
:func:`summarize` is the rule-based single-frame (L1) summary: the original's header, one section per group,
``- Key: value`` lines with zero values left out.  :func:`parse_decisions` reads an LLM reply: everything after
``Decisions:``, one ``N: <ACTION>`` per line; each decision is matched exactly, else by a deterministic fuzzy
match over the 72 action strings (difflib ratio plus token overlap, ties broken by action id), else reported
as failed.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass

from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.envs.textsc2.engine import Game, Player

__all__ = [
    "BUILDING_KEYS",
    "UNIT_KEYS",
    "RESEARCH_KEYS",
    "RESOURCE_KEYS",
    "information",
    "summarize",
    "parse_decisions",
    "match_action",
    "ParsedDecisions",
]

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
RESEARCH_KEYS: dict[str, dict[str, str]] = {
    "cybernetics_core": {
        "warpgate_research_status": "WarpGateResearch",
        **{f"protoss_air_weapon_level_{i}_research_status": f"ProtossAirWeaponsLevel{i}" for i in (1, 2, 3)},
        **{f"protoss_air_armor_level_{i}_research_status": f"ProtossAirArmorsLevel{i}" for i in (1, 2, 3)},
    },
    "forge": {
        **{
            f"protoss_ground_weapon_level_{i}_research_status": f"ProtossGroundWeaponsLevel{i}"
            for i in (1, 2, 3)
        },
        **{
            f"protoss_ground_armor_level_{i}_research_status": f"ProtossGroundArmorsLevel{i}"
            for i in (1, 2, 3)
        },
        **{f"protoss_shields_level_{i}_research_status": f"ProtossShieldsLevel{i}" for i in (1, 2, 3)},
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
        "worker_supply": int(player.workers),
        "mineral": int(player.minerals),
        "gas": int(player.gas),
        "supply_left": max(0, cap - used),
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
            group: {key: 1.0 if up in upgrades else progress.get(up, 0.0) for key, up in keys}
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


@functools.lru_cache(maxsize=4096)  # bounded: summarize() also takes users' own keys
def _label(key: str) -> str:
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=4096)  # bounded: summarize() also takes users' own keys
def _prefix(indent: str, key: str) -> str:
    return f"{indent}- {_label(key)}: "


_OMITTED = (0, 0.0, "", None)


def _lines(
    section: dict, indent: str = "", out: list[str] | None = None, cache: dict | None = None, path: tuple = ()
) -> list[str]:
    """Append the lines of ``section`` to ``out``: ``- Key: value`` for non-zero values, sub-dicts as headers.

    With ``cache`` (see :func:`summarize`), a sub-dict equal to the one at the same ``path`` last time reuses
    its lines.
    """
    if out is None:
        out = []
    # Most values are zero: drop them in one comprehension before the per-line work.
    for key, value in [(k, v) for k, v in section.items() if v not in _OMITTED]:
        if isinstance(value, dict):
            inner = _cached_lines(value, indent + "  ", cache, (*path, key))
            if inner:  # an empty sub-section gets no header
                out.append(f"{indent}{_label(key)}:")
                out.extend(inner)
        else:
            out.append(f"{_prefix(indent, key)}{value}")
    return out


def _cached_lines(section: dict, indent: str, cache: dict | None, path: tuple) -> list[str]:
    if cache is None:
        return _lines(section, indent)
    last = cache.get(path)
    if last is not None and (last[0] is section or last[0] == section):
        return last[1]
    lines = _lines(section, indent, None, cache, path)
    cache[path] = (section, lines)
    return lines


def summarize(info: dict, cache: dict | None = None) -> str:
    """The single-frame (L1) text: the original's header, then non-zero values by section.

    ``cache``: a dict the caller keeps between calls on successive :func:`information` dicts of one game (which
    it must not change afterwards); a section or sub-section equal to the one of the previous call reuses its
    lines, since most change rarely from one step to the next.  (Equality is the dicts' own, ``1 == 1.0``,
    which is safe because :func:`information` always gives a leaf the same type.)
    """
    game_time = info["resource"]["game_time"]
    parts = [f"At {game_time} game time, our current StarCraft II situation is as follows:", ""]
    for title, key in _TITLES:
        section = info[key]
        if key == "resource":
            lines = _lines({k: v for k, v in section.items() if k != "game_time"})
        else:
            lines = _cached_lines(section, "", cache, (key,))
        if lines:
            parts.append(f"{title}:")
            parts.extend(lines)
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


_TITLES = (
    ("Resources", "resource"),
    ("Buildings", "building"),
    ("Units", "unit"),
    ("Planning", "planning"),
    ("Research", "research"),
    ("Enemy", "enemy"),
)


# -- decisions -------------------------------------------------------------------------------------------
_NORMAL = {a: re.sub(r"[^A-Z0-9]", "", a) for a in ACTIONS}
_TOKENS = {a: set(re.findall(r"[A-Z0-9]+", a)) for a in ACTIONS}
_LINE = re.compile(r"^\s*\d+\s*[:.)]\s*<?\s*([^<>\n]+?)\s*>?\s*$", re.MULTILINE)
FUZZY_CUTOFF = 0.6


def _token_overlap(query: set[str], target: set[str]) -> float:
    """Share of tokens that match, a token matching when one contains the other ("WARPGATE" in "WARPGATERESEARCH")."""
    if not query:
        return 0.0
    matched = sum(1 for q in query if any(q == t or (len(q) >= 3 and (q in t or t in q)) for t in target))
    return matched / max(len(query), len(target))


def match_action(text: str) -> int | None:
    """The action id for ``text``: exact (case- and space-insensitive), else the best fuzzy match, else None.

    The fuzzy score is ``0.5 * difflib ratio of the letters + 0.5 * token overlap``; a score below
    :data:`FUZZY_CUTOFF` is no match.  Ties go to the lowest action id, so the result never depends on order
    of evaluation or on a model.
    """
    upper = text.strip().strip("<>").upper()
    if not upper:
        return None
    if upper in ACTIONS:
        return ACTIONS.index(upper)
    squashed = re.sub(r"[^A-Z0-9]", "", upper)
    for i, a in enumerate(ACTIONS):
        if _NORMAL[a] == squashed:
            return i
    tokens = set(re.findall(r"[A-Z0-9]+", upper))
    best, best_score = None, FUZZY_CUTOFF
    for i, a in enumerate(ACTIONS):
        ratio = difflib.SequenceMatcher(None, squashed, _NORMAL[a], autojunk=False).ratio()
        score = 0.5 * ratio + 0.5 * _token_overlap(tokens, _TOKENS[a])
        if score > best_score + 1e-12:
            best, best_score = i, score
    return best


@dataclass
class ParsedDecisions:
    """The actions read from a reply, and the decision lines that matched no action."""

    actions: list[int]
    failed: list[str]


def parse_decisions(reply: str) -> ParsedDecisions:
    """Read the ``Decisions:`` block of an LLM reply.

    Returns the matched action ids in order and the decision texts that matched nothing.  A reply without a
    ``Decisions:`` block is read whole; a reply with no decision line gives ``[EMPTY ACTION]``.
    """
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a str, got {type(reply).__name__}")
    index = reply.rfind("Decisions:")
    block = reply[index + len("Decisions:") :] if index >= 0 else reply
    actions: list[int] = []
    failed: list[str] = []
    for m in _LINE.finditer(block):
        decision = m.group(1).strip()
        action = match_action(decision)
        if action is None:
            failed.append(decision)
        else:
            actions.append(action)
    if not actions and not failed:
        # One bare action string ("BUILD PYLON") is a decision too.
        stripped = block.strip()
        if stripped and "\n" not in stripped:
            action = match_action(stripped)
            if action is None:
                failed.append(stripped)
            else:
                actions.append(action)
    if not actions:
        actions = [EMPTY_ACTION]
    return ParsedDecisions(actions, failed)
