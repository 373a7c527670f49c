"""The action list, the single-frame summary and the original's metrics (parsing: test_textsc2_decisions.py)."""

from __future__ import annotations

import pytest

from tactica.envs.textsc2.actions import ACTION_DICT, ACTIONS, EMPTY_ACTION, NUM_ACTIONS
from tactica.envs.textsc2.metrics import MetricsRecorder, parse_game_time
from tactica.envs.textsc2.text import summarize


def test_the_72_actions_in_the_original_order():
    assert NUM_ACTIONS == 72
    assert ACTIONS[0] == "TRAIN PROBE" and ACTIONS[18] == "MORPH ARCHON"
    assert ACTIONS[19] == "BUILD PYLON" and ACTIONS[33] == "BUILD SHIELDBATTERY"
    assert ACTIONS[34] == "RESEARCH WARPGATERESEARCH" and ACTIONS[59] == "RESEARCH TEMPESTGROUNDATTACKUPGRADE"
    assert (
        ACTIONS[60] == "SCOUTING PROBE"
        and ACTIONS[64] == "MULTI-ATTACK"
        and ACTIONS[66] == "CHRONOBOOST NEXUS"
    )
    assert ACTIONS[EMPTY_ACTION] == "EMPTY ACTION" and EMPTY_ACTION == 71
    assert [len(v) for v in ACTION_DICT.values()] == [19, 15, 26, 12]


def _frame(time, supply_left, used, cap, mineral, gas, buildings=0, researched=0):
    building = {f"b{i}_count": int(i < buildings) for i in range(16)}
    research = {"g": {f"r{i}": float(i < researched) for i in range(26)}}
    return {
        "resource": {
            "game_time": time,
            "supply_left": supply_left,
            "supply_used": used,
            "supply_cap": cap,
            "mineral": mineral,
            "gas": gas,
            "worker_supply": 12,
            "army_supply": 0,
        },
        "building": building,
        "research": research,
        "unit": {},
        "planning": {},
        "enemy": {"unit": {}, "structure": {}},
    }


def test_metrics_follow_the_original_definitions():
    m = MetricsRecorder()
    frames = [
        _frame("00:00", 3, 12, 15, 50, 0, buildings=1),
        _frame("00:10", 0, 15, 15, 100, 20, buildings=2),  # blocked: +10 s
        _frame("00:20", 0, 15, 15, 200, 40, buildings=2, researched=1),  # blocked: +10 s
        _frame("00:40", 8, 15, 23, 0, 0, buildings=3),
        _frame("01:00", 0, 194, 194, 500, 500, buildings=3),  # blocked +20 s, then stop (194 supply)
        _frame("01:30", 0, 200, 200, 900, 900, buildings=4),  # after the stop: only APU and TR see it
    ]
    for f in frames:
        m.record(f)
    r = m.result()
    assert r["PBR"] == pytest.approx((10 + 10 + 20) / 60)
    assert r["RUR"] == pytest.approx((50 + 120 + 240 + 0 + 1000) / 60)
    assert r["APU"] == pytest.approx((12 / 15 + 1 + 1 + 15 / 23 + 1 + 1) / 6)
    assert r["TR"] == pytest.approx(4 / 42)
    assert r["last_supply_used"] == 200


def test_rur_per_second_is_the_time_average_bank():
    m = MetricsRecorder()
    m.record(_frame("00:00", 5, 10, 15, 100, 0), exact_seconds=0.0)
    m.record(_frame("00:10", 5, 10, 15, 300, 0), exact_seconds=10.0)
    m.record(_frame("00:20", 5, 10, 15, 0, 0), exact_seconds=20.0)
    assert m.result()["rur_per_second"] == pytest.approx((100 * 10 + 300 * 10) / 20)
    assert parse_game_time("12:05") == 725
    with pytest.raises(ValueError):
        parse_game_time("12")


def test_summary_has_the_header_and_omits_zero_values():
    info = _frame("03:07", 0, 20, 23, 155, 0)
    info["unit"] = {"probe_count": 20, "zealot_count": 0}
    info["planning"] = {
        "planning_structure": {"planning_pylon_count": 1},
        "planning_unit": {"planning_probe_count": 0},
    }
    info["research"] = {"cybernetics_core": {"warpgate_research_status": 0.5}}
    info["enemy"] = {"unit": {"zergling": 4}, "structure": {}}
    text = summarize(info)
    assert text.startswith(
        "At 03:07 game time, our current StarCraft II situation is as follows:\n\nResources:\n- Game time: 03:07\n"
    )
    assert "- Mineral: 155\n" in text and "- Probe count: 20\n" in text
    assert "Gas" not in text and "Zealot" not in text and "Supply left" not in text
    assert "Planning:\n\nPlanning structure:\n- Planning pylon count: 1\n\n" in text
    assert "Research:\n\nCybernetics core:\n- Warpgate research status: 0.5\n\n" in text
    assert text.endswith("Enemy:\n\nUnit:\n- Zergling: 4\n\n")
