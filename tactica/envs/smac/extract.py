"""Read SMAC's ``.SC2Map`` files and write the map data tactica ships (``data/smac_maps.json``).

The 23 SMAC maps of oxwhirl/smac (``smac/env/starcraft2/maps/SMAC_Maps/*.SC2Map``) are MPQ archives.  This
module reads, from each of them:

* ``t3CellFlags``: a 32 x 32 byte grid after a 32-byte header; bit 0 set means "no ground pathing" (the bit
  the editor's pathing paint sets; bit 1 is "no building").  Unpathable cells that are not connected to the
  map's outer unpathable border (4-neighbourhood) are cliffs inside the arena: ground units stop at them,
  Colossi (whose ``Mover`` is ``Colossus`` in the unit data) walk over them.
* ``MapInfo``: the map size and the camera bounds (SMAC's "playable area"), four ``uint32`` after the fog and
  tileset names.
* ``Objects``: the named points (``ObjectPoint``) the map script spawns units at and sends enemies to.
* ``MapScript.galaxy``: ``gf_Spawn`` (``libNtve_gf_CreateUnitsWithDefaultFacing(count, "Unit", 0, player,
  PointFromId(id))`` in creation order) and ``gf_EnemyAttack`` (the scripted enemy order: attack-move to a point,
  to a random point between two points, or attack the allied unit group; none on 2s_vs_1sc).
* ``Base.SC2Data/GameData/UnitData.xml``: the ``*_RL`` copies of the allied units (health, shields, armor,
  regeneration, energy, speed, acceleration, radius, sight, attributes, movement class, weapons, and the
  acquire level and damage response that decide whether a unit acts on its own).

Run ``python -m tactica.envs.smac.extract PATH/TO/SMAC_Maps`` to rewrite the shipped file, or add
``--check`` to compare (exit 1 on a difference).  Reading needs ``mpyq`` (``pip install tactica[maps]``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from typing import Any

from tactica.errors import MissingDependency

__all__ = [
    "DATA_FILE",
    "MAP_FILES",
    "extract_map",
    "extract_maps",
    "grid_rows",
    "grid_checksum",
    "find_maps_dir",
    "main",
]

DATA_FILE = Path(__file__).with_name("data") / "smac_maps.json"
SOURCE_REPOSITORY = "https://github.com/oxwhirl/smac"
SOURCE_PATH = "smac/env/starcraft2/maps/SMAC_Maps"
MAP_FILES = (
    "3m",
    "8m",
    "25m",
    "5m_vs_6m",
    "8m_vs_9m",
    "10m_vs_11m",
    "27m_vs_30m",
    "MMM",
    "MMM2",
    "2s3z",
    "3s5z",
    "3s5z_vs_3s6z",
    "3s_vs_3z",
    "3s_vs_4z",
    "3s_vs_5z",
    "1c3s5z",
    "2m_vs_1z",
    "corridor",
    "6h_vs_8z",
    "2s_vs_1sc",
    "so_many_baneling",
    "bane_vs_bane",
    "2c_vs_64zg",
)

# SC2 unit ids in the map scripts and unit data -> tactica's unit names ("Colosus_RL" is the 1c3s5z map's spelling)
UNIT_NAMES = {
    "Marine": "marine",
    "Marauder": "marauder",
    "Medivac": "medivac",
    "Stalker": "stalker",
    "Zealot": "zealot",
    "Colossus": "colossus",
    "Colosus": "colossus",
    "Zergling": "zergling",
    "Baneling": "baneling",
    "Hydralisk": "hydralisk",
    "SpineCrawler": "spine_crawler",
}

# grid characters, one per cell: ground pathable, blocked for every ground unit, a cliff only Colossi cross
PATHABLE, BLOCKED, CLIFF = ".", "#", "c"

_SPAWN = re.compile(
    r'CreateUnitsWithDefaultFacing\((\d+),\s*"(\w+)",\s*\d+,\s*(\d+),\s*PointFromId\((\d+)\)\)'
)
_POINT = re.compile(r"PointFromId\((\d+)\)")


def _mpyq():
    try:
        import mpyq
    except ImportError:
        raise MissingDependency("mpyq", "maps", "reading SMAC .SC2Map files") from None
    return mpyq


def _unit_name(sc2_id: str) -> str:
    base = sc2_id[:-3] if sc2_id.endswith("_RL") else sc2_id
    if base not in UNIT_NAMES:
        raise ValueError(f"unknown SC2 unit {sc2_id!r} in a SMAC map")
    return UNIT_NAMES[base]


def _cell_grid(flags: bytes) -> list[list[str]]:
    """Characters grid[y][x] from t3CellFlags (bit 0: no ground pathing)."""
    if flags[:4] != b"LFCT":
        raise ValueError("t3CellFlags does not start with 'LFCT'")
    width, height = struct.unpack("<II", flags[24:32])
    cells = flags[32 : 32 + width * height]
    if len(cells) != width * height:
        raise ValueError(f"t3CellFlags holds {len(cells)} cells, expected {width} x {height}")
    blocked = [[bool(cells[y * width + x] & 1) for x in range(width)] for y in range(height)]
    # unpathable cells reachable from the border through unpathable cells are the arena's outside;
    # the rest are cliffs inside the arena
    outside = [[False] * width for _ in range(height)]
    queue = deque(
        (x, y)
        for y in range(height)
        for x in range(width)
        if blocked[y][x] and (x in (0, width - 1) or y in (0, height - 1))
    )
    for x, y in queue:
        outside[y][x] = True
    while queue:
        x, y = queue.popleft()
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if 0 <= nx < width and 0 <= ny < height and blocked[ny][nx] and not outside[ny][nx]:
                outside[ny][nx] = True
                queue.append((nx, ny))
    return [
        [PATHABLE if not blocked[y][x] else (BLOCKED if outside[y][x] else CLIFF) for x in range(width)]
        for y in range(height)
    ]


def grid_rows(grid: list[list[str]]) -> list[str]:
    """The grid as text rows, north (largest y) first, as a map is drawn."""
    return ["".join(row) for row in reversed(grid)]


def grid_checksum(rows: list[str]) -> str:
    """SHA-256 of the grid rows joined by newlines."""
    return hashlib.sha256("\n".join(rows).encode("ascii")).hexdigest()


def _playable(info: bytes) -> list[float]:
    """Camera bounds (x0, y0, x1, y1) from MapInfo: four uint32 after the fog and tileset names."""
    if info[:4] != b"IpaM":
        raise ValueError("MapInfo does not start with 'IpaM'")
    names = re.search(rb"([A-Za-z][\x20-\x7e]*)\x00([A-Za-z][\x20-\x7e]*)\x00", info[32:])
    if names is None:
        raise ValueError("MapInfo: fog and tileset names not found")
    end = 32 + names.end()
    return [float(v) for v in struct.unpack("<4I", info[end : end + 16])]


def _points(objects: bytes) -> dict[str, dict[str, Any]]:
    root = ET.fromstring(objects.decode("utf-8"))
    points = {}
    for node in root:
        if node.tag != "ObjectPoint":
            continue
        x, y, _ = (float(v) for v in node.get("Position").split(","))
        points[node.get("Id")] = {"name": node.get("Name"), "x": x, "y": y}
    return points


def _function_body(script: str, name: str) -> str | None:
    match = re.search(r"void " + name + r" \(\) \{(.*?)\r?\n\}", script, re.S)
    return match.group(1) if match else None


def _script(script: str, points: dict[str, dict[str, Any]]) -> tuple[list[dict], dict[str, Any]]:
    # the spawn function is gf_Spawn, or gf_SpawnMarines on the marine maps
    spawn_body = _function_body(script, "gf_Spawn") or _function_body(script, "gf_SpawnMarines")
    if spawn_body is None:
        raise ValueError("MapScript.galaxy has no gf_Spawn or gf_SpawnMarines")
    spawns = [
        {"unit": _unit_name(unit), "count": int(count), "player": int(player), "point": points[pid]["name"]}
        for count, unit, player, pid in _SPAWN.findall(spawn_body)
    ]
    attack = _function_body(script, "gf_EnemyAttack")
    if attack is None:
        order: dict[str, Any] = {"kind": "none"}
    else:
        ids = _POINT.findall(attack)
        if "OrderTargetingUnitGroup" in attack:
            order = {"kind": "attack_allies"}
        elif "RandomPointBetweenPoints" in attack:
            order = {"kind": "attack_random_point_between", "points": [points[i]["name"] for i in ids]}
        elif "OrderTargetingPoint" in attack and len(ids) == 1:
            order = {"kind": "attack_point", "points": [points[ids[0]]["name"]]}
        else:
            raise ValueError("unrecognised gf_EnemyAttack order")
    return spawns, order


def _float(node: ET.Element, tag: str, default: float = 0.0) -> float:
    found = node.find(tag)
    return float(found.get("value")) if found is not None else default


def _value(node: ET.Element, tag: str, default: str) -> str:
    found = node.find(tag)
    return found.get("value", default) if found is not None else default


def _rl_units(xml: bytes) -> dict[str, dict[str, Any]]:
    """Statistics of the ``*_RL`` units (SC2 data units: game seconds, 16 game loops per game second)."""
    units = {}
    for node in ET.fromstring(xml.decode("ascii")):
        sc2_id = node.get("id", "")
        if node.tag != "CUnit" or not sc2_id.endswith("_RL"):
            continue
        indexed = {(c.tag, c.get("index")): c.get("value") for c in node if c.get("index")}
        units[_unit_name(sc2_id)] = {
            "sc2_id": sc2_id,
            "life": _float(node, "LifeMax"),
            "life_armor": _float(node, "LifeArmor"),
            "life_regen_rate": _float(node, "LifeRegenRate"),
            "shields": _float(node, "ShieldsMax"),
            "shield_regen_delay": _float(node, "ShieldRegenDelay"),
            "shield_regen_rate": _float(node, "ShieldRegenRate"),
            "energy_start": _float(node, "EnergyStart"),
            "energy_max": _float(node, "EnergyMax"),
            "energy_regen_rate": _float(node, "EnergyRegenRate"),
            "speed": _float(node, "Speed"),
            "acceleration": _float(node, "Acceleration"),
            "radius": _float(node, "Radius", 0.5),  # 0.5: CUnit's default in Core.SC2Mod
            "sight": _float(node, "Sight"),
            "mover": node.find("Mover").get("value") if node.find("Mover") is not None else "Ground",
            "attributes": sorted(
                k[1].lower() for k, v in indexed.items() if k[0] == "Attributes" and v == "1"
            ),
            "planes": sorted(k[1].lower() for k, v in indexed.items() if k[0] == "PlaneArray" and v == "1"),
            "weapons": [c.get("Link") for c in node if c.tag == "WeaponArray"],
            "flags": sorted(k[1] for k, v in indexed.items() if k[0] == "FlagArray" and v == "1"),
            # whether the unit acquires targets on its own and how it answers damage (Core.SC2Mod's defaults,
            # "Offensive" and "Acquire", where the map sets nothing)
            "acquire_level": _value(node, "DefaultAcquireLevel", "Offensive"),
            "response": _value(node, "Response", "Acquire"),
        }
    return units


def extract_map(path: str | Path) -> dict[str, Any]:
    """Everything tactica ships about one ``.SC2Map`` file (see the module docstring)."""
    path = Path(path)
    raw = path.read_bytes()
    archive = _mpyq().MPQArchive(str(path))

    def read(name: str) -> bytes:
        data = archive.read_file(name.encode("ascii"))
        if data is None:
            raise ValueError(f"{path.name}: no {name!r} in the archive")
        return data

    grid = _cell_grid(read("t3CellFlags"))
    points = _points(read("Objects"))
    spawns, order = _script(read("MapScript.galaxy").decode("utf-8"), points)
    rows = grid_rows(grid)
    return {
        "source": {
            "repository": SOURCE_REPOSITORY,
            "path": f"{SOURCE_PATH}/{path.name}",
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "size": [len(grid[0]), len(grid)],
        "playable": _playable(read("MapInfo")),
        "grid": rows,
        "grid_sha256": grid_checksum(rows),
        "points": {p["name"]: [p["x"], p["y"]] for p in points.values()},
        "spawns": spawns,
        "enemy_order": order,
        "rl_units": _rl_units(read("Base.SC2Data\\GameData\\UnitData.xml")),
    }


def find_maps_dir(explicit: str | Path | None = None) -> Path | None:
    """A directory holding the SMAC ``.SC2Map`` files: ``explicit``, ``$SMAC_MAPS``, ``$SC2PATH/Maps/SMAC_Maps``
    or the maps installed with oxwhirl/smac; ``None`` when none has them."""
    import os

    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("SMAC_MAPS"):
        candidates.append(Path(os.environ["SMAC_MAPS"]))
    if os.environ.get("SC2PATH"):
        candidates.append(Path(os.environ["SC2PATH"]) / "Maps" / "SMAC_Maps")
    try:  # oxwhirl/smac ships the maps inside its package
        import smac.env.starcraft2.maps as smac_maps  # type: ignore[import-not-found]

        candidates.append(Path(smac_maps.__file__).parent / "SMAC_Maps")
    except Exception:  # noqa: BLE001 - not installed, or the unrelated PyPI 'smac'
        pass
    for directory in candidates:
        if (directory / "3m.SC2Map").is_file():
            return directory
    return None


def extract_maps(maps_dir: str | Path) -> dict[str, Any]:
    """The shipped data file's content, read from the 23 maps in ``maps_dir``."""
    maps_dir = Path(maps_dir)
    missing = [m for m in MAP_FILES if not (maps_dir / f"{m}.SC2Map").is_file()]
    if missing:
        raise FileNotFoundError(f"{maps_dir} lacks {', '.join(m + '.SC2Map' for m in missing)}")
    maps = {name: extract_map(maps_dir / f"{name}.SC2Map") for name in MAP_FILES}
    return {
        "about": (
            "Terrain, named points, spawns, scripted enemy orders and allied (*_RL) unit data of the 23 SMAC "
            "maps, read from the .SC2Map files of oxwhirl/smac by tactica/envs/smac/extract.py. Grid rows run "
            "north (y = 31) to south (y = 0), one character per 1 x 1 cell from x = 0: '.' ground pathable, "
            "'#' unpathable, 'c' an unpathable cliff inside the arena that only Colossi cross. Unit data are "
            "in SC2 game seconds (16 game loops each)."
        ),
        "maps": maps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tactica.envs.smac.extract",
        description="Extract the SMAC map data tactica ships from oxwhirl/smac's .SC2Map files.",
        epilog="Example: python -m tactica.envs.smac.extract ~/StarCraftII/Maps/SMAC_Maps --check",
    )
    parser.add_argument("maps_dir", nargs="?", help="directory with the 23 SMAC .SC2Map files")
    parser.add_argument("--out", default=str(DATA_FILE), help="where to write (default: the shipped file)")
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead")
    args = parser.parse_args(argv)
    maps_dir = find_maps_dir(args.maps_dir)
    if maps_dir is None:
        print("error: no SMAC .SC2Map files found; pass their directory (or set SMAC_MAPS)", file=sys.stderr)
        return 2
    try:
        data = extract_maps(maps_dir)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if args.check:
        shipped = json.loads(Path(args.out).read_text(encoding="utf-8"))
        bad = [m for m in MAP_FILES if shipped["maps"].get(m) != data["maps"][m]]
        for name in bad:
            print(f"{name}: the shipped data differ from {maps_dir / (name + '.SC2Map')}", file=sys.stderr)
        print(f"{len(MAP_FILES) - len(bad)}/{len(MAP_FILES)} maps match the shipped data")
        return 1 if bad else 0
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(MAP_FILES)} maps from {maps_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
