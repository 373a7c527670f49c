"""The SMAC maps: compositions, spawns, terrain, episode limits (oxwhirl/smac ``smac_maps.py`` table).

Every SMAC map is 32x32.  Compositions, episode limits and ``map_type`` (which fixes the unit-type one-hot)
follow oxwhirl/smac's registry; spawn points, attack points and terrain follow the map descriptions in
devindeng94/LLM-SMAC ``configs/map_config.py`` and smaclite's terrain presets (see ``docs/smac.md``).  Terrain is
a 32x32 boolean pathing grid indexed ``grid[x, y]`` as SC2's pathing grid is in oxwhirl/smac.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["Group", "MapSpec", "MAP_NAMES", "get_map", "TYPE_ORDERS", "ENEMY_TYPE_ORDERS"]

MAP_SIZE = 32

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


@dataclass(frozen=True)
class Group:
    """``count`` units of ``unit`` spawned in a grid around ``centre``."""

    unit: str
    count: int
    centre: tuple[float, float]


@dataclass(frozen=True)
class MapSpec:
    """One SMAC scenario."""

    name: str
    allies: tuple[Group, ...]
    enemies: tuple[Group, ...]
    episode_limit: int
    map_type: str
    terrain: str
    enemy_attack_point: tuple[float, float]
    playable: tuple[float, float, float, float]  # x0, y0, x1, y1
    description: str

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

    def pathing_grid(self) -> np.ndarray:
        """Ground pathing, bool (32, 32), indexed ``[x, y]`` (a read-only cached array)."""
        return _terrain(self.terrain)


def _line(x: float, y: float, n: int, unit: str) -> Group:
    return Group(unit, n, (x, y))


def _symmetric(name, units, limit, map_type, *, enemies=None, description="") -> MapSpec:
    """The standard line maps: allies around (9, 16), enemies around (23, 16) attack-moving to (9, 16)."""
    allies = tuple(_line(9.0, 16.0, n, u) for u, n in units)
    foes = tuple(_line(23.0, 16.0, n, u) for u, n in (enemies or units))
    return MapSpec(
        name,
        allies,
        foes,
        limit,
        map_type,
        "line",
        (9.0, 16.0),
        (0.0, 8.0, 32.0, 24.0),
        description
        or "Flat corridor-shaped arena 32 wide (x) and 16 high (y = 8..24); the teams face each other.",
    )


_OPEN = (0.0, 0.0, 32.0, 32.0)

_MAPS: dict[str, MapSpec] = {}


def _add(spec: MapSpec) -> None:
    _MAPS[spec.name] = spec


for _name, _n, _limit in (("3m", 3, 60), ("8m", 8, 120), ("25m", 25, 150)):
    _add(_symmetric(_name, [("marine", _n)], _limit, "marines"))
for _name, _a, _e, _limit in (
    ("5m_vs_6m", 5, 6, 70),
    ("8m_vs_9m", 8, 9, 120),
    ("10m_vs_11m", 10, 11, 150),
    ("27m_vs_30m", 27, 30, 180),
):
    _add(_symmetric(_name, [("marine", _a)], _limit, "marines", enemies=[("marine", _e)]))
_add(_symmetric("MMM", [("marauder", 2), ("marine", 7), ("medivac", 1)], 150, "MMM"))
_add(
    _symmetric(
        "MMM2",
        [("marauder", 2), ("marine", 7), ("medivac", 1)],
        180,
        "MMM",
        enemies=[("marauder", 3), ("marine", 8), ("medivac", 1)],
    )
)
_add(_symmetric("2s3z", [("stalker", 2), ("zealot", 3)], 120, "stalkers_and_zealots"))
_add(_symmetric("3s5z", [("stalker", 3), ("zealot", 5)], 150, "stalkers_and_zealots"))
_add(
    _symmetric(
        "3s5z_vs_3s6z",
        [("stalker", 3), ("zealot", 5)],
        170,
        "stalkers_and_zealots",
        enemies=[("stalker", 3), ("zealot", 6)],
    )
)
_add(_symmetric("1c3s5z", [("colossus", 1), ("stalker", 3), ("zealot", 5)], 180, "colossi_stalkers_zealots"))
for _n, _limit in ((3, 150), (4, 200), (5, 250)):
    _add(
        MapSpec(
            f"3s_vs_{_n}z",
            (Group("stalker", 3, (9.0, 16.0)),),
            (Group("zealot", _n, (23.0, 16.0)),),
            _limit,
            "stalkers",
            "open",
            (9.0, 16.0),
            _OPEN,
            "Open 32x32 arena without obstacles: room to kite.",
        )
    )
_add(
    MapSpec(
        "2m_vs_1z",
        (Group("marine", 1, (13.0, 12.0)), Group("marine", 1, (19.0, 12.0))),
        (Group("zealot", 1, (16.0, 19.0)),),
        150,
        "marines",
        "circle11",
        (16.0, 12.0),
        _OPEN,
        "Round arena of radius 11 around (16, 16); the zealot starts north of the two marines.",
    )
)
_add(
    MapSpec(
        "2s_vs_1sc",
        (Group("stalker", 1, (11.0, 9.0)), Group("stalker", 1, (17.0, 9.0))),
        (Group("spine_crawler", 1, (14.0, 21.0)),),
        300,
        "stalkers",
        "pentagon",
        (14.0, 9.0),
        _OPEN,
        "Pentagon-shaped arena; a rooted spine crawler (range 7) at (14, 21) faces two stalkers (range 6).",
    )
)
_add(
    MapSpec(
        "6h_vs_8z",
        (Group("hydralisk", 6, (14.5, 9.5)),),
        (Group("zealot", 8, (14.5, 16.5)),),
        150,
        "hydralisks",
        "circle7",
        (14.5, 9.5),
        _OPEN,
        "Small round arena of radius 7.5 around (14.5, 13); zealots start 7 north of the hydralisks.",
    )
)
_add(
    MapSpec(
        "corridor",
        (Group("zealot", 6, (19.0, 19.0)),),
        (Group("zergling", 24, (28.0, 28.0)),),
        400,
        "zealots",
        "corridor",
        (4.0, 4.0),
        _OPEN,
        "Two open areas (north-east and south-west) joined by a diagonal corridor 4 wide through (13, 13); "
        "the zerglings come from the north-east corner and head for (4, 4).",
    )
)
_add(
    MapSpec(
        "so_many_baneling",
        (Group("zealot", 7, (11.5, 12.0)),),
        (Group("baneling", 32, (27.0, 27.0)),),
        100,
        "zealots",
        "diagonal",
        (4.5, 4.5),
        _OPEN,
        "A diagonal strip 8 wide from (2, 2) to (30, 30); banelings roll down from the north-east.",
    )
)
_add(
    MapSpec(
        "bane_vs_bane",
        (Group("zergling", 20, (16.0, 11.0)), Group("baneling", 4, (16.0, 8.0))),
        (Group("zergling", 20, (16.0, 21.0)), Group("baneling", 4, (16.0, 24.0))),
        200,
        "bane",
        "circle13",
        (16.0, 8.0),
        _OPEN,
        "Octagonal arena of radius 13 around (16, 16); zerglings in front of banelings on both sides.",
    )
)
_add(
    MapSpec(
        "2c_vs_64zg",
        (Group("colossus", 2, (16.0, 16.0)),),
        (Group("zergling", 64, (16.0, 7.0)),),
        400,
        "colossus",
        "ravine",
        (16.0, 16.0),
        _OPEN,
        "A cliff along y = 12..14 from x = 5 to 27 separates the colossi (north, high ground) from the zerglings; "
        "ramps at both ends.  Colossi can walk over the cliff, zerglings must go round.",
    )
)

MAP_NAMES: tuple[str, ...] = tuple(_MAPS)


def get_map(name: str) -> MapSpec:
    """The map called ``name``; an unknown name raises ``ValueError`` listing the maps."""
    if not isinstance(name, str) or name not in _MAPS:
        raise ValueError(f"unknown SMAC map {name!r}; available: {', '.join(MAP_NAMES)}")
    return _MAPS[name]


@cache
def _terrain(kind: str) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(MAP_SIZE) + 0.5, np.arange(MAP_SIZE) + 0.5, indexing="ij")
    if kind == "open":
        grid = np.ones((MAP_SIZE, MAP_SIZE), bool)
    elif kind == "line":
        grid = (ys >= 8) & (ys <= 24)
    elif kind.startswith("circle"):
        radius = {"circle11": 11.0, "circle7": 7.5, "circle13": 13.0}[kind]
        centre = (14.5, 13.0) if kind == "circle7" else (16.0, 16.0)
        grid = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2
    elif kind == "pentagon":
        angles = np.pi / 2 + 2 * np.pi * np.arange(5) / 5
        corners = np.stack([14.0 + 12.5 * np.cos(angles), 15.0 + 12.5 * np.sin(angles)], 1)
        grid = np.ones((MAP_SIZE, MAP_SIZE), bool)
        for k in range(5):
            (ax, ay), (bx, by) = corners[k], corners[(k + 1) % 5]
            grid &= (bx - ax) * (ys - ay) - (by - ay) * (xs - ax) >= 0
    elif kind == "corridor":
        north_east = (xs >= 17) & (ys >= 17) & (xs <= 31) & (ys <= 31)
        south_west = (xs >= 1) & (ys >= 1) & (xs <= 10) & (ys <= 10)
        corridor = (np.abs(xs - ys) <= 2.0 * np.sqrt(2)) & (xs + ys >= 16) & (xs + ys <= 40)
        grid = north_east | south_west | corridor
    elif kind == "diagonal":
        grid = (np.abs(xs - ys) <= 4.0 * np.sqrt(2)) & (xs + ys >= 3) & (xs + ys <= 61)
    elif kind == "ravine":
        grid = np.ones((MAP_SIZE, MAP_SIZE), bool)
        grid[5:27, 12:14] = False
    else:  # pragma: no cover - the table above names only these
        raise ValueError(f"unknown terrain {kind!r}")
    grid = np.asarray(grid, bool)
    grid.setflags(write=False)
    return grid
