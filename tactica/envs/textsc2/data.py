"""Game data of the pinned patch, read from ``sc2_5_0_3.json`` next to this module (sources named inside).

Everything the engine knows about costs, supply, build times, requirements and combat stats comes from here,
so a test can assert engine behaviour against the same numbers the engine uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["Weapon", "UnitType", "StructureType", "UpgradeType", "GameData", "load_data", "DATA_FILE"]

# Next to the module, so the package-data pattern "*.json" ships it.
DATA_FILE = Path(__file__).with_name("sc2_5_0_3.json")


@dataclass(frozen=True)
class Weapon:
    """One weapon: damage per hit, hits per attack, cooldown in Faster game seconds, range, splash factor."""

    targets: str  # "ground", "air" or "both"
    damage: float
    attacks: int
    cooldown: float
    range: float
    bonus: dict[str, float] = field(default_factory=dict)
    splash: float = 1.0

    def hits(self, air: bool) -> bool:
        return self.targets == "both" or (self.targets == "air") == air


@dataclass(frozen=True)
class UnitType:
    """A unit: cost, supply, build time in game loops, producer, requirements and combat stats."""

    name: str
    race: str
    minerals: int
    gas: int
    supply: float
    build_loops: int
    producer: str
    requires: tuple[str, ...]
    hp: float
    shields: float
    armor: float
    attributes: frozenset[str]
    air: bool
    speed: float
    weapons: tuple[Weapon, ...]
    worker: bool = False
    count: int = 1
    warp: bool = False
    cloaked: bool = False
    detector: bool = False
    supply_provided: int = 0
    morph_from: str | None = None
    morph_count: int = 0
    weapon_upgrade: str | None = None
    armor_upgrade: str | None = None
    support: bool = False
    queen: bool = False
    healer: float = 0.0

    @property
    def value(self) -> int:
        """Resource value of one unit (minerals + gas), the currency of army-strength estimates."""
        return (self.minerals + self.gas) // self.count

    @property
    def combat(self) -> bool:
        return bool(self.weapons) and not self.worker


@dataclass(frozen=True)
class StructureType:
    """A structure: cost, build time, requirements, supply it provides, health and optional weapons."""

    name: str
    race: str
    minerals: int
    gas: int
    build_loops: int
    requires: tuple[str, ...]
    hp: float
    shields: float
    armor: float
    weapons: tuple[Weapon, ...] = ()
    townhall: bool = False
    gas_building: bool = False
    supply_provided: int = 0
    power: bool = True
    consumes_worker: bool = False
    morph_from: str | None = None
    detector: bool = False
    heals: float = 0.0


@dataclass(frozen=True)
class UpgradeType:
    """A research: cost, time, the structure that researches it, requirements and its effect."""

    name: str
    minerals: int
    gas: int
    build_loops: int
    researched_at: str
    requires: tuple[str, ...]
    effect: dict[str, Any]


def _weapons(raw: list[dict[str, Any]] | None) -> tuple[Weapon, ...]:
    return tuple(
        Weapon(
            targets=w["targets"],
            damage=float(w["damage"]),
            attacks=int(w["attacks"]),
            cooldown=float(w["cooldown"]),
            range=float(w["range"]),
            bonus={k: float(v) for k, v in w.get("bonus", {}).items()},
            splash=float(w.get("splash", 1.0)),
        )
        for w in raw or ()
    )


@dataclass(frozen=True)
class GameData:
    """The parsed data file."""

    patch: str
    sources: dict[str, str]
    loops_per_second: float
    economy: dict[str, Any]
    helpers: dict[str, Any]
    units: dict[str, UnitType]
    structures: dict[str, StructureType]
    upgrades: dict[str, UpgradeType]
    maps: dict[str, dict[str, Any]]

    def cost(self, name: str) -> tuple[int, int]:
        """(minerals, gas) of a unit, structure or upgrade."""
        item = self.units.get(name) or self.structures.get(name) or self.upgrades.get(name)
        if item is None:
            raise KeyError(f"unknown unit, structure or upgrade {name!r}")
        return item.minerals, item.gas

    def mineral_rate_per_loop(self, workers: int) -> float:
        """Minerals per game loop mined by ``workers`` on one base (sc2-planner's slot model)."""
        slots = self.economy["mineral_income_per_worker_slot"]
        per_normal_minute = sum(slots[: max(0, min(workers, len(slots)))])
        return per_normal_minute * self.economy["normal_to_faster"] / 60.0 / self.loops_per_second

    def gas_rate_per_loop(self, workers: int) -> float:
        """Gas per game loop from one geyser worked by ``workers`` (0 to 3)."""
        workers = max(0, min(workers, 3))
        if workers == 0:
            return 0.0
        seconds = self.economy["gas_seconds_per_trip"][workers - 1]
        per_normal_second = self.economy["gas_per_trip"] / seconds
        return per_normal_second * 60.0 * self.economy["normal_to_faster"] / 60.0 / self.loops_per_second


@lru_cache(maxsize=4)
def load_data(path: str | None = None) -> GameData:
    """Read and validate the data file (cached: the data is immutable)."""
    raw = json.loads(Path(path or DATA_FILE).read_text(encoding="utf-8"))
    units = {}
    for name, u in raw["units"].items():
        units[name] = UnitType(
            name=name,
            race=u["race"],
            minerals=int(u["minerals"]),
            gas=int(u["gas"]),
            supply=float(u["supply"]),
            build_loops=int(u["build_loops"]),
            producer=u["producer"],
            requires=tuple(u.get("requires", ())),
            hp=float(u["hp"]),
            shields=float(u["shields"]),
            armor=float(u["armor"]),
            attributes=frozenset(u.get("attributes", ())),
            air=bool(u["air"]),
            speed=float(u["speed"]),
            weapons=_weapons(u.get("weapons")),
            worker=bool(u.get("worker", False)),
            count=int(u.get("count", 1)),
            warp=bool(u.get("warp", False)),
            cloaked=bool(u.get("cloaked", False)),
            detector=bool(u.get("detector", False)),
            supply_provided=int(u.get("supply_provided", 0)),
            morph_from=u.get("morph_from"),
            morph_count=int(u.get("morph_count", 0)),
            weapon_upgrade=u.get("weapon_upgrade"),
            armor_upgrade=u.get("armor_upgrade"),
            support=bool(u.get("support", False)),
            queen=bool(u.get("queen", False)),
            healer=float(u.get("healer", 0.0)),
        )
    structures = {}
    for name, s in raw["structures"].items():
        structures[name] = StructureType(
            name=name,
            race=s["race"],
            minerals=int(s["minerals"]),
            gas=int(s["gas"]),
            build_loops=int(s["build_loops"]),
            requires=tuple(s.get("requires", ())),
            hp=float(s["hp"]),
            shields=float(s["shields"]),
            armor=float(s["armor"]),
            weapons=_weapons(s.get("weapons")),
            townhall=bool(s.get("townhall", False)),
            gas_building=bool(s.get("gas_building", False)),
            supply_provided=int(s.get("supply_provided", 0)),
            power=bool(s.get("power", s["race"] == "Protoss")),
            consumes_worker=bool(s.get("consumes_worker", False)),
            morph_from=s.get("morph_from"),
            detector=bool(s.get("detector", False)),
            heals=float(s.get("heals", 0.0)),
        )
    upgrades = {
        name: UpgradeType(
            name=name,
            minerals=int(g["minerals"]),
            gas=int(g["gas"]),
            build_loops=int(g["build_loops"]),
            researched_at=g["researched_at"],
            requires=tuple(g.get("requires", ())),
            effect=dict(g.get("effect", {})),
        )
        for name, g in raw["upgrades"].items()
    }
    for name, u in units.items():
        for req in u.requires:
            if req not in structures:
                raise ValueError(f"data file: unit {name} requires unknown structure {req}")
        if u.producer not in structures and u.producer not in ("Larva", "Morph"):
            raise ValueError(f"data file: unit {name} has unknown producer {u.producer}")
    for name, g in upgrades.items():
        if g.researched_at not in structures:
            raise ValueError(f"data file: upgrade {name} is researched at unknown {g.researched_at}")
    return GameData(
        patch=raw["patch"],
        sources=dict(raw["sources"]),
        loops_per_second=float(raw["loops_per_second"]),
        economy=dict(raw["economy"]),
        helpers=dict(raw["helpers"]),
        units=units,
        structures=structures,
        upgrades=upgrades,
        maps=dict(raw["maps"]),
    )
