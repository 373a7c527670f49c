"""Prompt text of the Chain of Summarization agent (the structure of the original's prompt V4).

The system prompt asks, in the original's order, for 1 Game Overview, 2 Current Game Stage, 3 Our Situation
(3.1 Units and Buildings, 3.2 Economy, 3.3 Technology), 4 Our Strategy, 5 Enemy's Strategy, 6 Key
Information, a race tip, Suggestions, and then K decisions from the action dictionary in the
``Decisions:\\n0: <ACTION>`` form.  One few-shot example (an input of chunked single-frame summaries and an
output) precedes the live query, as in the original's multi-frame summarizer.  The wording is tactica's own.
"""

from __future__ import annotations

from tactica.envs.textsc2.actions import ACTION_DICT

__all__ = ["system_prompt", "EXAMPLE_INPUT", "EXAMPLE_OUTPUT", "format_chunks"]

_RACE_TIP = (
    "As Protoss, keep an eye on the Nexus energy and use Chrono Boost on the structures that matter most "
    "(Nexus for Probes early, Forge and Cybernetics Core for upgrades later), and keep adding Pylons before "
    "supply runs out."
)


def system_prompt(decisions: int = 5, race: str = "Protoss", opponent: str = "Zerg") -> str:
    """The system message: analysis sections, suggestions and ``decisions`` actions from the dictionary."""
    actions = "\n".join(
        f"{category}: " + ", ".join(f"{i}: <{text}>" for i, text in items.items())
        for category, items in ACTION_DICT.items()
    )
    return (
        f"You are an expert StarCraft II player and analyst who plays {race} against {opponent}. You receive "
        "summaries of several consecutive moments of the current game (chunk0 is the oldest). Analyse them in "
        "this structure:\n"
        "1. Game Overview: the game time, our resources, supply and army.\n"
        "2. Current Game Stage: early, mid or late game, and why.\n"
        "3. Our Situation:\n"
        "   3.1 Units and Buildings: what we have and what is in progress.\n"
        "   3.2 Economy: workers, bases, mineral and gas income and bank.\n"
        "   3.3 Technology: researched and missing upgrades and tech structures.\n"
        "4. Our Strategy: what we are doing and whether it works.\n"
        "5. Enemy's Strategy: what the visible enemy units and structures suggest.\n"
        "6. Key Information: the most important facts for the next decisions.\n"
        f"Race tip: {_RACE_TIP}\n"
        "Then give Suggestions on 1. our strategy, 2. units and buildings, 3. economy, 4. technology.\n"
        f"Finally make {decisions} actionable and specific decisions from this action dictionary:\n"
        f"{actions}\n"
        "Answer the decisions last, one per line, exactly in this form:\n"
        "Decisions:\n0: <BUILD PYLON>\n1: <TRAIN PROBE>\n"
    )


EXAMPLE_INPUT = (
    "chunk0: At 02:10 game time, our current StarCraft II situation is as follows:\n\n"
    "Resources:\n- Worker supply: 19\n- Mineral: 160\n- Supply left: 3\n- Supply cap: 23\n- Supply used: 20\n\n"
    "Buildings:\n- Nexus count: 1\n- Pylon count: 1\n- Gateway count: 1\n\n"
    "Units:\n- Probe count: 19\n\n"
    "Planning:\nPlanning structure:\n  - Planning gas buildings count: 1\n\n"
    "chunk1: At 02:14 game time, our current StarCraft II situation is as follows:\n\n"
    "Resources:\n- Worker supply: 20\n- Mineral: 215\n- Supply left: 2\n- Supply cap: 23\n- Supply used: 21\n\n"
    "Buildings:\n- Nexus count: 1\n- Pylon count: 1\n- Gateway count: 1\n- Gas buildings count: 1\n\n"
    "Units:\n- Probe count: 20\n"
)

EXAMPLE_OUTPUT = (
    "1. Game Overview: at 02:14 we have 20 Probes, 215 minerals and 21/23 supply, and no army yet.\n"
    "2. Current Game Stage: early game; the opening build is still being placed.\n"
    "3. Our Situation:\n"
    "   3.1 Units and Buildings: one Nexus, one Pylon, one Gateway and one Assimilator.\n"
    "   3.2 Economy: Probe production is steady, but supply will block within seconds.\n"
    "   3.3 Technology: no Cybernetics Core yet, so no gas units or Warp Gate research.\n"
    "4. Our Strategy: a standard macro opening.\n"
    "5. Enemy's Strategy: unknown; nothing has been scouted.\n"
    "6. Key Information: we are about to be supply blocked.\n"
    "Suggestions:\n"
    "1. Strategy: expand soon and scout to see if the opponent is rushing.\n"
    "2. Units and buildings: a Pylon now, then a Cybernetics Core.\n"
    "3. Economy: keep making Probes and take a second Assimilator.\n"
    "4. Technology: research Warp Gate as soon as the core finishes.\n"
    "Decisions:\n"
    "0: <BUILD PYLON>\n"
    "1: <TRAIN PROBE>\n"
    "2: <BUILD CYBERNETICSCORE>\n"
    "3: <SCOUTING PROBE>\n"
    "4: <BUILD NEXUS>\n"
)


def format_chunks(summaries: list[str]) -> str:
    """Join single-frame summaries as ``chunk0: ... chunk1: ...``, oldest first."""
    return "\n".join(f"chunk{i}: {text.strip()}\n" for i, text in enumerate(summaries))
