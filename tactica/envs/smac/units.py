"""SC2 unit types for the embedded SMAC simulator, loaded from ``unit_stats.json`` (values and sources there).

Time base: the simulator advances in whole SC2 game loops.  Liquipedia's numbers are per *Faster* second, and
SC2 runs 22.4 game loops per Faster second, so a weapon period of ``c`` seconds is ``round(22.4 * c)`` loops and
a speed of ``v`` per second is ``v / 22.4`` per loop.  One agent step is ``STEP_MUL = 8`` loops (0.357 s), as in
oxwhirl/smac; smaclite and JaxMARL's SMAX use 0.5 s per step, which moves units 1.4x further per step than SC2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "LOOPS_PER_SECOND",
    "STEP_MUL",
    "SHIELD_REGEN_DELAY_LOOPS",
    "SHIELD_REGEN_PER_SECOND",
    "ZERG_REGEN_PER_SECOND",
    "ENERGY_REGEN_PER_SECOND",
    "UnitType",
    "unit_types",
    "unit_type",
    "damage_per_attack",
]

LOOPS_PER_SECOND = 22.4
STEP_MUL = 8
SHIELD_REGEN_DELAY_LOOPS = 224  # 10 Faster seconds without damage
SHIELD_REGEN_PER_SECOND = 2.0
ZERG_REGEN_PER_SECOND = 0.38
ENERGY_REGEN_PER_SECOND = 0.7875

_DATA = Path(__file__).with_name("unit_stats.json")


@dataclass(frozen=True)
class UnitType:
    """One SC2 unit type with SMAC-era statistics (see ``unit_stats.json`` for the source of each value)."""

    name: str
    race: str
    sc2_type_id: int
    health: float
    shield: float
    armor: float
    damage: float
    attacks: int
    bonus: tuple[tuple[str, float], ...]
    cooldown: float
    range: float
    sight: float
    speed: float
    radius: float
    attributes: tuple[str, ...]
    flying: bool
    max_cooldown_loops: int
    splash: str | None = None
    splash_radius: float = 0.0
    splash_length: float = 0.0
    splash_width: float = 0.0
    suicide: bool = False
    cliff_walker: bool = False
    heal_per_second: float = 0.0
    heal_per_energy: float = 0.0
    energy_start: float = 0.0
    energy_max: float = 0.0

    @property
    def period_loops(self) -> int:
        """Weapon period in whole game loops (0 for units without a repeating weapon)."""
        return int(round(self.cooldown * LOOPS_PER_SECOND))

    @property
    def speed_per_loop(self) -> float:
        return self.speed / LOOPS_PER_SECOND

    @property
    def is_healer(self) -> bool:
        return self.heal_per_second > 0

    @property
    def is_armed(self) -> bool:
        return self.damage > 0


@lru_cache(maxsize=1)
def unit_types() -> dict[str, UnitType]:
    """All unit types by name."""
    raw = json.loads(_DATA.read_text(encoding="utf-8"))["units"]
    types = {}
    for name, entry in raw.items():
        fields = {k: v for k, v in entry.items() if k != "sources"}
        fields["bonus"] = tuple(sorted(fields["bonus"].items()))
        fields["attributes"] = tuple(fields["attributes"])
        types[name] = UnitType(name=name, **fields)
    return types


def unit_type(name: str) -> UnitType:
    """The unit type called ``name``; an unknown name raises ``ValueError`` listing the known ones."""
    types = unit_types()
    if name not in types:
        raise ValueError(f"unknown unit type {name!r}; known: {', '.join(sorted(types))}")
    return types[name]


def damage_per_attack(attacker: UnitType, target: UnitType) -> float:
    """Damage of one attack of ``attacker`` on ``target`` before shields and armor (base plus bonuses)."""
    bonus = sum(value for attribute, value in attacker.bonus if attribute in target.attributes)
    return attacker.damage + bonus
