"""SC2 unit types of the SMAC maps, loaded from ``unit_stats.json`` (values and their sources there).

Time base: the simulator advances in SC2 game loops, 16 per game second (the unit of SC2's data files) and
22.4 per "Faster" real-time second (the unit of Liquipedia's tables; 1 Faster second = 1.4 game seconds).  One
agent step is ``STEP_MUL = 8`` loops (0.5 game seconds, 0.357 Faster seconds), as in oxwhirl/smac; smaclite and
JaxMARL's SMAX advance 0.5 Faster seconds per step, which moves units 1.4x further per step than SC2.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "DIRECTIONS",
    "SHOOT_RANGE",
    "SIGHT_RANGE",
    "LOOPS_PER_SECOND",
    "LOOPS_PER_GAME_SECOND",
    "STEP_MUL",
    "UnitType",
    "unit_types",
    "unit_type",
    "damage_per_attack",
]

LOOPS_PER_GAME_SECOND = 16.0
LOOPS_PER_SECOND = 22.4  # per Faster (real-time) second
SHOOT_RANGE = 6.0  # oxwhirl/smac unit_shoot_range: centre distance that makes an attack action available
SIGHT_RANGE = 9.0  # oxwhirl/smac unit_sight_range
# N, S, E, W as in oxwhirl/smac's Direction enum (actions 2..5)
DIRECTIONS = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
FASTER = LOOPS_PER_SECOND / LOOPS_PER_GAME_SECOND  # 1.4 game seconds per Faster second
STEP_MUL = 8
# collision layers (SC2 'Collide' flags): two units collide when their masks share a bit
GROUND_LAYER, COLOSSUS_LAYER, STRUCTURE_LAYER = 1, 2, 4
_LAYERS = {
    "ground": GROUND_LAYER,
    "colossus": COLOSSUS_LAYER | STRUCTURE_LAYER,
    "structure": GROUND_LAYER | STRUCTURE_LAYER,
    "fly": 0,  # air units do not collide
}

_DATA = Path(__file__).with_name("unit_stats.json")


@dataclass(frozen=True)
class UnitType:
    """One SC2 unit type; data fields are in SC2 game seconds, the ``*_loops`` properties in game loops."""

    name: str
    race: str
    sc2_type_id: int
    health: float
    shield: float
    armor: float
    health_regen: float  # per game second
    game_speed: float  # distance per game second
    acceleration: float  # per game second squared (1000: instant)
    radius: float
    sight: float
    attributes: tuple[str, ...]
    plane: str  # "ground" or "air"
    mover: str  # "ground", "fly", "colossus" (walks over cliffs and small units) or "structure"
    max_cooldown_loops: int
    shield_regen_delay: float = 0.0  # game seconds without damage before shields regenerate
    shield_regen: float = 0.0  # per game second
    energy_start: float = 0.0
    energy_max: float = 0.0
    energy_regen: float = 0.0  # per game second
    weapon_name: str = ""
    damage: float = 0.0
    attacks: int = 0
    attack_interval: float = 0.0  # game seconds between the hits of one attack (Zealot)
    bonus: tuple[tuple[str, float], ...] = ()
    period: float = 0.0  # weapon period, game seconds
    range: float = 0.0  # edge to edge
    damage_point: float = 0.0  # game seconds from the start of an attack to the shot
    targets: tuple[str, ...] = ()  # planes the weapon can hit
    missile_speed: float = 0.0  # 0: instant
    missile_acceleration: float = 0.0
    impact_delay: float = 0.0  # game seconds from the shot to the damage (Colossus beams)
    splash: str | None = None  # "radius" (Baneling) or "line" (Colossus)
    splash_radius: float = 0.0
    splash_half_length: float = 0.0
    splash_search_radius: float = 0.0
    suicide: bool = False
    heal_rate: float = 0.0  # health per game second
    heal_energy_per_health: float = 0.0
    heal_range: float = 0.0
    ai_high_priority: bool = False  # SC2's AIHighPrioTarget flag: the built-in AI attacks these first
    ai_splash: bool = False  # SC2's AISplash flag: the built-in AI aims these splash units at groups

    # ---- derived values
    @property
    def flying(self) -> bool:
        return self.plane == "air"

    @property
    def cliff_walker(self) -> bool:
        return self.mover == "colossus"

    @property
    def collide_mask(self) -> int:
        return _LAYERS[self.mover]

    @property
    def is_healer(self) -> bool:
        return self.heal_rate > 0

    @property
    def is_armed(self) -> bool:
        return self.damage > 0

    @property
    def period_loops(self) -> float:
        return self.period * LOOPS_PER_GAME_SECOND

    @property
    def speed_per_loop(self) -> float:
        return self.game_speed / LOOPS_PER_GAME_SECOND

    @property
    def acceleration_per_loop(self) -> float:
        """Speed gained per loop (per loop squared)."""
        return self.acceleration / LOOPS_PER_GAME_SECOND**2

    @property
    def speed(self) -> float:
        """Distance per Faster (real-time) second, Liquipedia's unit."""
        return round(self.game_speed * FASTER, 4)

    @property
    def cooldown(self) -> float:
        """Weapon period in Faster (real-time) seconds."""
        return round(self.period / FASTER, 4)

    @property
    def heal_per_second(self) -> float:
        """Health healed per Faster second."""
        return round(self.heal_rate * FASTER, 4)

    @property
    def heal_per_energy(self) -> float:
        return 1.0 / self.heal_energy_per_health if self.heal_energy_per_health else 0.0

    @property
    def splash_length(self) -> float:
        """Length of the Colossus's line across its target (its two ends, plus the search radius)."""
        return 2 * (self.splash_half_length + self.splash_search_radius)

    def can_target(self, other: UnitType) -> bool:
        return other.plane in self.targets


@lru_cache(maxsize=1)
def unit_types() -> dict[str, UnitType]:
    """All unit types by name."""
    raw = json.loads(_DATA.read_text(encoding="utf-8"))["units"]
    types = {}
    for name, entry in raw.items():
        weapon = entry.get("weapon", {})
        splash = weapon.get("splash", {})
        heal = entry.get("heal", {})
        types[name] = UnitType(
            name=name,
            race=entry["race"],
            sc2_type_id=entry["sc2_type_id"],
            health=entry["health"],
            shield=entry["shield"],
            armor=entry["armor"],
            health_regen=entry["health_regen"],
            game_speed=entry["speed"],
            acceleration=entry["acceleration"],
            radius=entry["radius"],
            sight=entry["sight"],
            attributes=tuple(entry["attributes"]),
            plane=entry["plane"],
            mover=entry["mover"],
            max_cooldown_loops=entry["max_cooldown_loops"],
            shield_regen_delay=entry.get("shield_regen_delay", 0.0),
            shield_regen=entry.get("shield_regen", 0.0),
            energy_start=entry.get("energy_start", 0.0),
            energy_max=entry.get("energy_max", 0.0),
            energy_regen=entry.get("energy_regen", 0.0),
            weapon_name=weapon.get("name", ""),
            damage=weapon.get("damage", 0.0),
            attacks=weapon.get("attacks", 0),
            attack_interval=weapon.get("attack_interval", 0.0),
            bonus=tuple(sorted(weapon.get("bonus", {}).items())),
            period=weapon.get("period", 0.0),
            range=weapon.get("range", heal.get("range", 0.0)),
            damage_point=weapon.get("damage_point", 0.0),
            targets=tuple(weapon.get("targets", ())),
            missile_speed=weapon.get("missile_speed", 0.0),
            missile_acceleration=weapon.get("missile_acceleration", 0.0),
            impact_delay=weapon.get("impact_delay", 0.0),
            splash=splash.get("kind"),
            splash_radius=splash.get("radius", 0.0),
            splash_half_length=splash.get("half_length", 0.0),
            splash_search_radius=splash.get("search_radius", 0.0),
            suicide=bool(weapon.get("suicide", False)),
            heal_rate=heal.get("rate", 0.0),
            heal_energy_per_health=heal.get("energy_per_health", 0.0),
            heal_range=heal.get("range", 0.0),
            ai_high_priority=bool(entry.get("ai_high_priority", False)),
            ai_splash=bool(entry.get("ai_splash", False)),
        )
    return types


def unit_type(name: str) -> UnitType:
    """The unit type called ``name``; an unknown name raises ``ValueError`` listing the known ones."""
    types = unit_types()
    if name not in types:
        raise ValueError(f"unknown unit type {name!r}; known: {', '.join(sorted(types))}")
    return types[name]


def damage_per_attack(attacker: UnitType, target: UnitType) -> float:
    """Damage of one hit of ``attacker`` on ``target`` before shields and armor (base plus bonuses); 0 when the
    weapon cannot hit the target's plane."""
    if not attacker.can_target(target):
        return 0.0
    bonus = sum(value for attribute, value in attacker.bonus if attribute in target.attributes)
    return attacker.damage + bonus


def missile_loops(attacker: UnitType, distance: float) -> float:
    """Game loops a missile of ``attacker`` needs for ``distance`` (0 for instant weapons)."""
    v0 = attacker.missile_speed / LOOPS_PER_GAME_SECOND
    if v0 <= 0:
        return 0.0
    a = attacker.missile_acceleration / LOOPS_PER_GAME_SECOND**2
    if a <= 0:
        return distance / v0
    # distance = v0 t + a t^2 / 2
    return (-v0 + math.sqrt(v0 * v0 + 2 * a * distance)) / a
