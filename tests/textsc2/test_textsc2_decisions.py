"""LLM replies are read as the original reads them, and every decision becomes an action.

The original (histmeisah/Large-Language-Models-play-StarCraftII, ``utils/action_extractor.py``) takes the text
after the first ``Decisions:`` and reads ``\\d+: <?([^>\\n]+)>?`` on it; an exact match is looked up, anything else
goes to a nearest-neighbour search over the action names.  The expected decision lists below apply that
pattern by hand to each reply.
"""

from __future__ import annotations

import re

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers TextSC2-v1)
from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.envs.textsc2.decisions import DECISION_LINE, match_decision, parse_decisions


def names(reply: str) -> list[str]:
    return [ACTIONS[a] for a in parse_decisions(reply).actions]


def test_the_pattern_is_the_originals():
    assert DECISION_LINE.pattern == r"\d+: <?([^>\n]+)>?"


# The authors' documented format: the example output of prompt V4 (prompt/prompt.py) ends with this block.
V4_EXAMPLE = """
4. Technology: The immediate task is to build a Cybernetics Core to enable the research of higher technologies.

This revised strategy should help address the current limitations and better prepare us for upcoming challenges.

Decisions:
0: <BUILD CYBERNETICSCORE>
1: <BUILD PYLON>
2: <BUILD FORGE>
3: <RESEARCH WARPGATERESEARCH>
4: <CHRONOBOOST NEXUS>
"""


def test_the_authors_documented_format():
    parsed = parse_decisions(V4_EXAMPLE)
    assert names(V4_EXAMPLE) == [
        "BUILD CYBERNETICSCORE",
        "BUILD PYLON",
        "BUILD FORGE",
        "RESEARCH WARPGATERESEARCH",
        "CHRONOBOOST NEXUS",
    ]
    assert {m.how for m in parsed.matches} == {"exact"}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Text after the closing ">" is not part of the decision.
        ("Decisions:\n3: <SCOUTING PROBE> (if available)", ["SCOUTING PROBE"]),
        # Every line commented: every decision still counts.
        (
            "Decisions:\n0: <TRAIN PROBE> - keep the economy going\n1: <BUILD PYLON> (we are nearly blocked)\n"
            "2: <BUILD GATEWAY>, for production",
            ["TRAIN PROBE", "BUILD PYLON", "BUILD GATEWAY"],
        ),
        # Two actions on one line: the first is kept.
        ("Decisions:\n0: <BUILD PYLON> <TRAIN PROBE>\n1: <BUILD GATEWAY>", ["BUILD PYLON", "BUILD GATEWAY"]),
        # Without angle brackets the rest of the line is the decision.
        ("Decisions:\n0: TRAIN PROBE\n1: build pylon", ["TRAIN PROBE", "BUILD PYLON"]),
        # The first "Decisions:" starts the block, and every numbered line after it counts (a second block too).
        (
            "Decisions: see below\n0: <TRAIN PROBE>\nRevised Decisions:\n0: <BUILD PYLON>",
            ["TRAIN PROBE", "BUILD PYLON"],
        ),
        # Numbered analysis before the block is not read.
        ("1. Overview: 0: <TRAIN ZEALOT> was considered.\nDecisions:\n0: <BUILD NEXUS>", ["BUILD NEXUS"]),
    ],
)
def test_reply_forms_are_read_as_the_original_reads_them(reply, expected):
    block = reply[reply.find("Decisions:") + len("Decisions:") :]
    captured = re.findall(r"\d+: <?([^>\n]+)>?", block)  # the original's extraction, applied directly
    assert [ACTIONS[match_decision(d).action] for d in captured] == names(reply) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BUILD WARP_GATE", "RESEARCH WARPGATERESEARCH"),
        ("BUILD WARPGATE", "RESEARCH WARPGATERESEARCH"),
        ("BUILD WARP GATES", "RESEARCH WARPGATERESEARCH"),
        ("EXPAND", "BUILD NEXUS"),
        ("EXPAND TO THE NATURAL", "BUILD NEXUS"),
        ("EXPAND BASE", "BUILD NEXUS"),
        ("BUILD BASE", "BUILD NEXUS"),
        ("BUILD WORKER", "TRAIN PROBE"),
        ("TRAIN WORKER", "TRAIN PROBE"),
        ("TRAIN WORKERS", "TRAIN PROBE"),
        ("BUILD PHOENIX", "TRAIN PHOENIX"),
        ("TRAIN ARCHON", "MORPH ARCHON"),
        ("TRAIN STALKERS", "TRAIN STALKER"),
        ("train void rays", "TRAIN VOIDRAY"),
        ("Build Cybernetics Core", "BUILD CYBERNETICSCORE"),
        ("RESEARCH WARPGATE", "RESEARCH WARPGATERESEARCH"),
        ("RESEARCH PROTOSS GROUND WEAPONS LEVEL 2", "RESEARCH PROTOSSGROUNDWEAPONSLEVEL2"),
        ("research +1 ground armor", "RESEARCH PROTOSSGROUNDARMORSLEVEL1"),
        ("RESEARCH BLINK", "RESEARCH BLINKTECH"),
        ("chrono boost nexus", "CHRONOBOOST NEXUS"),
        ("CHRONOBOOST PROBES", "CHRONOBOOST NEXUS"),
        ("SCOUT WITH A PROBE", "SCOUTING PROBE"),
        ("MULTI ATTACK", "MULTI-ATTACK"),
        ("BUILD PHOTON CANNONS TO DEFEND AGAINST ATTACKS", "BUILD PHOTONCANNON"),
        ("<build pylon>", "BUILD PYLON"),
    ],
)
def test_off_list_wordings_map_to_the_intended_action(text, expected):
    assert ACTIONS[match_decision(text).action] == expected


@pytest.mark.parametrize("text", ["DANCE", "order pizza for the team", "XYZZY 42", "summon a dragon", "?"])
def test_every_decision_yields_an_action_deterministically(text):
    first = match_decision(text)
    assert 0 <= first.action < len(ACTIONS) and first.how == "nearest"
    assert match_decision(text) == first


def test_a_reply_without_decisions():
    assert parse_decisions("no decisions here\nat all").actions == [EMPTY_ACTION]
    assert parse_decisions("").actions == [EMPTY_ACTION]
    assert names("TRAIN PROBE") == ["TRAIN PROBE"]  # a one-line reply is one decision
    with pytest.raises(TypeError):
        parse_decisions(None)


def test_the_env_records_how_each_decision_was_matched():
    env = gym.make("TextSC2-v1")
    env.reset(seed=0)
    _, _, _, _, info = env.step(
        "Decisions:\n0: <TRAIN PROBE>\n1: <BUILD WORKER> (cheap)\n2: <summon a dragon>"
    )
    assert info["action_executed"] == "TRAIN PROBE"
    assert [(d["decision"], d["action"], d["match"]) for d in info["decisions"]][:2] == [
        ("TRAIN PROBE", "TRAIN PROBE", "exact"),
        ("BUILD WORKER", "TRAIN PROBE", "intent"),
    ]
    assert info["decisions"][2]["match"] == "nearest"
    assert info["pending_actions"][0] == "TRAIN PROBE"  # the rest run on the next EMPTY ACTION steps
    _, _, _, _, info = env.step(EMPTY_ACTION)
    assert "decisions" not in info
