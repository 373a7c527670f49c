"""The SMAC maps: oxwhirl/smac's registry (``smac_maps.py``) plus the terrain, spawns and scripted enemy orders
read from the maps' ``.SC2Map`` files (``data/smac_maps.json``, written by :mod:`tactica.envs.smac.extract`).

Every SMAC map is 32 x 32.  Terrain is a boolean pathing grid indexed ``grid[x, y]`` as SC2's pathing grid is
in oxwhirl/smac; cliffs inside an arena (2c_vs_64zg's ridge, the walls of 2s_vs_1sc and 6h_vs_8z) stop ground
units and are walked over by Colossi.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["Group", "MapSpec", "MAP_NAMES", "get_map", "TYPE_ORDERS", "ENEMY_TYPE_ORDERS", "MAP_SIZE"]

MAP_SIZE = 32
DATA_FILE = Path(__file__).with_name("data") / "smac_maps.json"

# Ally unit-type one-hot order per map_type (oxwhirl/smac _init_ally_unit_types: custom ids in this order).
TYPE_ORDERS: dict[str, tuple[str, ...]] = {
    "marines": ("marine",),
    "MMM": ("marauder", "marine", "medivac"),
    "stalkers_and_zealots": ("stalker", "zealot"),
    "colossi_stalkers_zealots": ("colossus", "stalker", "zealot"),
    "bane": ("baneling", "zergling"),
    "stalkers": ("stalker",),
    "zealots": ("zealot",),
    "hydralisks": ("hydralisk",),
    "colossus": ("colossus",),
}
# Enemy one-hot order: oxwhirl/smac maps default SC2 ids, which for stalkers_and_zealots puts zealot (73) first.
ENEMY_TYPE_ORDERS: dict[str, tuple[str, ...]] = {**TYPE_ORDERS, "stalkers_and_zealots": ("zealot", "stalker")}
UNIT_TYPE_BITS = {"MMM": 3, "stalkers_and_zealots": 2, "colossi_stalkers_zealots": 3, "bane": 2}

# oxwhirl/smac smac_maps.py: episode limit and map_type of each map (compositions come from the map files)
REGISTRY: dict[str, tuple[int, str]] = {
    "3m": (60, "marines"),
    "8m": (120, "marines"),
    "25m": (150, "marines"),
    "5m_vs_6m": (70, "marines"),
    "8m_vs_9m": (120, "marines"),
    "10m_vs_11m": (150, "marines"),
    "27m_vs_30m": (180, "marines"),
    "MMM": (150, "MMM"),
    "MMM2": (180, "MMM"),
    "2s3z": (120, "stalkers_and_zealots"),
    "3s5z": (150, "stalkers_and_zealots"),
    "3s5z_vs_3s6z": (170, "stalkers_and_zealots"),
    "3s_vs_3z": (150, "stalkers"),
    "3s_vs_4z": (200, "stalkers"),
    "3s_vs_5z": (250, "stalkers"),
    "1c3s5z": (180, "colossi_stalkers_zealots"),
    "2m_vs_1z": (150, "marines"),
    "corridor": (400, "zealots"),
    "6h_vs_8z": (150, "hydralisks"),
    "2s_vs_1sc": (300, "stalkers"),
    "so_many_baneling": (100, "zealots"),
    "bane_vs_bane": (200, "bane"),
    "2c_vs_64zg": (400, "colossus"),
}

_LINE = "A band 32 wide (x) and 16 high (y = 8..24) of open ground; the armies face each other across it."
DESCRIPTIONS: dict[str, str] = {
    "3s_vs_": "Open 32 x 32 ground without obstacles: room to kite.",
    "2m_vs_1z": "A round arena (x 6..26, y 6..26); the zealot starts north of the two marines.",
    "2s_vs_1sc": "An arena walled by cliffs (x 8..20, y 8..23, narrowing to the north) with a rooted spine "
    "crawler (range 7) in the north facing two stalkers (range 6) in the south.",
    "6h_vs_8z": "A small arena walled by cliffs (x 8..22, y 8..20); the zealots start 7 north of the hydralisks.",
    "corridor": "A diagonal band of ground from the north-east (around (24, 24)) towards the centre, joined to a "
    "south-west room (x 2..12, y 2..12) by a one-cell diagonal neck at (12, 12); the zerglings come from the "
    "north-east corner and head for (4.5, 4.3).",
    "so_many_baneling": "A diagonal strip of ground 8 to 10 wide from (2, 2) to (30, 30); banelings roll down "
    "from the north-east corner towards (4.5, 4.3).",
    "bane_vs_bane": "A round arena (x 6..26, y 6..26); zerglings in front of banelings on both sides.",
    "2c_vs_64zg": "High ground (y 14..20) where the colossi stand, a cliff along y = 12..14 from x = 4 to 28 "
    "that only colossi cross, low ground (y 6..12) where the zerglings start, ramps at both ends (x < 4, "
    "x >= 28); the zerglings attack the colossi and must go round by the ramps.",
}


@dataclass(frozen=True)
class Group:
    """``count`` units of ``unit`` created at ``centre`` (one ``CreateUnits`` call of the map script)."""

    unit: str
    count: int
    centre: tuple[float, float]


@dataclass(frozen=True)
class MapSpec:
    """One SMAC scenario.

    ``enemy_order`` is the map script's order to the enemies: ``"attack_point"`` (attack-move to
    ``enemy_attack_point``), ``"attack_random_point_between"`` (to a random point of the box between
    ``enemy_attack_points``), ``"attack_allies"`` (attack the allied units) or ``"none"``.
    """

    name: str
    allies: tuple[Group, ...]
    enemies: tuple[Group, ...]
    episode_limit: int
    map_type: str
    terrain: tuple[str, ...]  # grid rows, north first ('.' pathable, '#' blocked, 'c' cliff)
    enemy_order: str
    enemy_attack_points: tuple[tuple[float, float], ...]
    playable: tuple[float, float, float, float]  # x0, y0, x1, y1
    description: str
    source: str

    @property
    def n_agents(self) -> int:
        return sum(g.count for g in self.allies)

    @property
    def n_enemies(self) -> int:
        return sum(g.count for g in self.enemies)

    @property
    def unit_type_bits(self) -> int:
        return UNIT_TYPE_BITS.get(self.map_type, 0)

    @property
    def ally_types(self) -> tuple[str, ...]:
        return tuple(g.unit for g in self.allies)

    @property
    def enemy_attack_point(self) -> tuple[float, float]:
        """Where the enemies head: the scripted point, the centre of the random box, or the allies' spawn."""
        points = self.enemy_attack_points or (self.allies[0].centre,)
        return (
            float(np.mean([p[0] for p in points])),
            float(np.mean([p[1] for p in points])),
        )

    def pathing_grid(self) -> np.ndarray:
        """Ground pathing, bool (32, 32), indexed ``[x, y]`` (a read-only cached array)."""
        return _grid(self.terrain, ".")

    def cliff_grid(self) -> np.ndarray:
        """Cliff cells (unpathable for ground units, walkable for Colossi), bool (32, 32) ``[x, y]``."""
        return _grid(self.terrain, "c")


@cache
def _grid(rows: tuple[str, ...], char: str) -> np.ndarray:
    grid = np.array([[c == char for c in row] for row in rows], bool)[::-1].T.copy()
    grid.setflags(write=False)
    return grid


@cache
def _load() -> dict[str, MapSpec]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))["maps"]
    specs = {}
    for name, (limit, map_type) in REGISTRY.items():
        entry = data[name]
        points = {k: (float(v[0]), float(v[1])) for k, v in entry["points"].items()}
        groups = {1: [], 2: []}
        for spawn in entry["spawns"]:
            groups[spawn["player"]].append(Group(spawn["unit"], spawn["count"], points[spawn["point"]]))
        order = entry["enemy_order"]
        description = next((d for key, d in DESCRIPTIONS.items() if name.startswith(key)), _LINE)
        specs[name] = MapSpec(
            name=name,
            allies=tuple(groups[1]),
            enemies=tuple(groups[2]),
            episode_limit=limit,
            map_type=map_type,
            terrain=tuple(entry["grid"]),
            enemy_order=order["kind"],
            enemy_attack_points=tuple(points[p] for p in order.get("points", ())),
            playable=tuple(entry["playable"]),
            description=description,
            source=entry["source"]["path"],
        )
    return specs


MAP_NAMES: tuple[str, ...] = tuple(REGISTRY)


def get_map(name: str) -> MapSpec:
    """The map called ``name``; an unknown name raises ``ValueError`` listing the maps."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"unknown SMAC map {name!r}; available: {', '.join(MAP_NAMES)}")
    return _load()[name]
