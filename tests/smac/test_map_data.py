"""The shipped map data are the SMAC maps' own: pathing grids against stored checksums (always) and against a
fresh extraction from the .SC2Map files (when present: $SMAC_MAPS, $SC2PATH/Maps/SMAC_Maps or oxwhirl/smac's
package); unit statistics against the maps' *_RL unit data."""

import json

import numpy as np
import pytest

from tactica.envs.smac import MAP_NAMES, get_map
from tactica.envs.smac.extract import DATA_FILE, extract_map, find_maps_dir, grid_checksum
from tactica.envs.smac.units import unit_type

LINE = "7a93b71e5545a24d0876410010052849ad5a6d731271822cc6960a1d9005f0f3"
OPEN = "3ad85daf37d87c531bc2a1574856ef380f50fdebf885d06a4b59a1a11b3938ab"
ROUND = "9c1aacb7ef1c5af57e428e2f19877d548c9cfe6400522c0647062f12d4b3d0b2"
# sha256 of each map's grid rows (extract.grid_checksum), from the .SC2Map files of oxwhirl/smac at d6aab33
CHECKSUMS = {
    **{
        m: LINE
        for m in ("3m", "8m", "25m", "5m_vs_6m", "8m_vs_9m", "10m_vs_11m", "27m_vs_30m", "MMM", "MMM2")
    },
    **{m: LINE for m in ("2s3z", "3s5z", "3s5z_vs_3s6z", "1c3s5z")},
    **{m: OPEN for m in ("3s_vs_3z", "3s_vs_4z", "3s_vs_5z")},
    "2m_vs_1z": ROUND,
    "bane_vs_bane": ROUND,
    "corridor": "7c6c73fa74c10c62d8968c67d7afdbc845c064fd7a00f965e4b7afd6ca4debdb",
    "6h_vs_8z": "06053f1e5b00cae827df23c2f537ebf6d1c0cefb3cef0d91103e7091202ae738",
    "2s_vs_1sc": "86fabc6dc9ef970d04a73b8fe865cd5c3a8a437291bee749ec468ea5f566c1a9",
    "so_many_baneling": "5090f3e8ce6cd8ffe99b54eea0573cd0482cae7ccc07487d35a0a6fe16fe8898",
    "2c_vs_64zg": "89dfcf44ae5850cbf997a5f22e2a5982665866ef62c151e5dab9917ea14ae4a0",
}
SHIPPED = json.loads(DATA_FILE.read_text(encoding="utf-8"))["maps"]
MAPS_DIR = find_maps_dir()


def test_checksums_cover_every_map():
    assert set(CHECKSUMS) == set(MAP_NAMES) == set(SHIPPED)


@pytest.mark.parametrize("map_name", MAP_NAMES)
def test_shipped_grid_matches_its_checksum(map_name):
    rows = SHIPPED[map_name]["grid"]
    assert len(rows) == 32 and all(len(r) == 32 for r in rows)
    assert grid_checksum(rows) == SHIPPED[map_name]["grid_sha256"] == CHECKSUMS[map_name]
    # the simulator's grid is the shipped one, indexed [x, y] with y = 0 the last (southern) row
    grid = get_map(map_name).pathing_grid()
    assert grid[5, 31 - 0] == (rows[0][5] == ".") and grid[20, 31 - 15] == (rows[15][20] == ".")


@pytest.mark.skipif(MAPS_DIR is None, reason="the SMAC .SC2Map files are not available (set SMAC_MAPS)")
@pytest.mark.parametrize("map_name", MAP_NAMES)
def test_shipped_data_equal_a_fresh_extraction_from_the_map_file(map_name):
    pytest.importorskip("mpyq")
    extracted = extract_map(MAPS_DIR / f"{map_name}.SC2Map")
    # the grids are equal cell for cell (no tolerance is needed: the data are read, not traced)
    assert extracted["grid"] == SHIPPED[map_name]["grid"]
    assert extracted == SHIPPED[map_name]


def test_known_geometry_of_the_real_maps():
    # 2c_vs_64zg: playable y 6..20, the cliff along y = 12..14 for x = 4..28 (only Colossi cross), ramps at the ends
    spec = get_map("2c_vs_64zg")
    ground, cliff = spec.pathing_grid(), spec.cliff_grid()
    assert not ground[:, 20:].any() and not ground[:, :6].any()
    assert ground[16, 6:12].all() and ground[16, 14:20].all() and not ground[16, 12:14].any()
    assert cliff[4:28, 12:14].all() and not cliff[:4].any() and ground[:4, 12:14].all()
    # corridor: the south-west room connects to the rest through cells that meet only at corners
    g = get_map("corridor").pathing_grid()
    assert g[11, 11] and g[12, 12] and not g[11, 12] and not g[12, 11]
    assert g[13, 13] and g[14, 14] and not g[13, 14] and not g[14, 13]
    # line maps: y 8..23 pathable
    line = get_map("3m").pathing_grid()
    assert line[:, 8:24].all() and not line[:, :8].any() and not line[:, 24:].any()


@pytest.mark.parametrize("map_name", MAP_NAMES)
def test_compositions_and_spawns_come_from_the_map_script(map_name):
    spec, entry = get_map(map_name), SHIPPED[map_name]
    for player, groups in ((1, spec.allies), (2, spec.enemies)):
        spawns = [s for s in entry["spawns"] if s["player"] == player]
        assert [(g.unit, g.count) for g in groups] == [(s["unit"], s["count"]) for s in spawns]
        assert [g.centre for g in groups] == [tuple(entry["points"][s["point"]]) for s in spawns]


MOVERS = {"Ground": "ground", "Fly": "fly", "Colossus": "colossus"}


def test_unit_statistics_equal_the_maps_rl_unit_data():
    seen = set()
    for entry in SHIPPED.values():
        for name, data in entry["rl_units"].items():
            u = unit_type(name)
            seen.add(name)
            assert data["life"] == u.health and data["life_armor"] == u.armor, name
            assert data["life_regen_rate"] == u.health_regen and data["shields"] == u.shield, name
            assert data["shield_regen_delay"] == u.shield_regen_delay, name
            assert data["shield_regen_rate"] == u.shield_regen, name
            assert (data["energy_start"], data["energy_max"], data["energy_regen_rate"]) == (
                u.energy_start,
                u.energy_max,
                u.energy_regen,
            ), name
            assert data["speed"] == u.game_speed and data["acceleration"] == u.acceleration, name
            assert data["radius"] == u.radius and data["sight"] == u.sight, name
            assert data["attributes"] == sorted(u.attributes), name
            assert MOVERS[data["mover"]] == u.mover, name
            assert u.plane in data["planes"], name
            assert u.weapon_name in data["weapons"] or (not data["weapons"] and u.is_healer), name
            assert ("AIHighPrioTarget" in data["flags"]) == u.ai_high_priority, name
            assert ("AISplash" in data["flags"]) == u.ai_splash, name
            # the simulator's allies never act on their own (no auto-acquire after stop or a finished
            # attack, no answer to damage): every *_RL unit is Passive with the Response Nothing
            assert (data["acquire_level"], data["response"]) == ("Passive", "Nothing"), name
    assert seen == {
        "marine",
        "marauder",
        "medivac",
        "stalker",
        "zealot",
        "colossus",
        "zergling",
        "baneling",
        "hydralisk",
    }


def test_mechanics_from_the_unit_data():
    # shields: 10 game seconds (160 loops) without damage, then 2 per game second (2.8 per Faster second)
    zealot = unit_type("zealot")
    assert zealot.shield_regen_delay * 16 == 160 and zealot.shield_regen * 1.4 == pytest.approx(2.8)
    # the Medivac flies at 2.75 per game second (3.85 per Faster second) and accelerates at 2.3125
    medivac = unit_type("medivac")
    assert medivac.speed == pytest.approx(3.85) and medivac.acceleration == 2.3125 and medivac.flying
    # weapons hit only the planes their target filters allow
    assert not unit_type("marauder").can_target(medivac) and unit_type("marine").can_target(medivac)
    assert unit_type("colossus").cliff_walker and unit_type("colossus").collide_mask & 1 == 0
    assert np.isclose(unit_type("stalker").damage_point * 16, 2.672)
