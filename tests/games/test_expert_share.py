"""examples/game_model/expert_share.py: which of a model's decisions the expert replaces, and a full-share game."""

from __future__ import annotations

from tactica.envs.textsc2.decisions import parse_decisions
from tactica.llm import from_spec

from .scripts import load_script


def _load():
    return load_script("examples/game_model/expert_share.py")


def test_the_experts_actions_of_the_named_kinds_replace_the_models_and_come_first():
    share = _load()
    reply = "Decisions:\n0: <TRAIN PROBE>\n1: <BUILD PYLON>\n2: <CHRONOBOOST NEXUS>\n3: <BUILD FORGE>\n"
    mixed = share.mixed_reply(reply, ["BUILD GATEWAY", "TRAIN ZEALOT"], ("BUILD",))
    assert mixed == "Decisions:\n0: <BUILD GATEWAY>\n1: <TRAIN PROBE>\n2: <CHRONOBOOST NEXUS>\n"
    assert len(parse_decisions(mixed).actions) == 3  # the agent's parser reads it
    # the expert waits where the model builds: the model's builds go, nothing replaces them
    assert share.mixed_reply(reply, ["EMPTY ACTION"], ("BUILD",)).count("BUILD") == 0
    # nothing left at all: one waiting decision
    assert (
        share.mixed_reply("Decisions:\n0: <BUILD PYLON>\n", [], ("BUILD",))
        == "Decisions:\n0: <EMPTY ACTION>\n"
    )


def test_with_the_whole_share_the_expert_plays_every_call():
    share = _load()
    never = from_spec('scripted:["never asked"]')  # a single reply: a second call would raise
    game = share.play(never, level=1, seed=0, share=1.0, prefixes=(), temperature=0.0)
    assert game["calls"] == game["expert_calls"] > 100
    assert game["result"] == "Victory"
