"""Prompt sets of the Chain of Summarization agent: a system prompt, one few-shot pair and the chunk joining.

Named sets (``ChainOfSummarizationAgent(prompt=...)``):

* ``"tactica"`` (the default): tactica's own wording, answered with the ``Decisions:`` block only (the
  paper's "CoS without CoT", the form of its fine-tuned models): the chunks, a Protoss tip, K decisions from
  the action dictionary as ``Decisions:`` / ``0: <ACTION>``, and a few-shot example whose input is two
  single-frame summaries rendered by the env's default text format.  Its answers are what a scripted player's
  decisions look like, so transcripts of this prompt answered by ``textsc2-expert`` train a model without a
  mismatch between what is asked and what is answered.
* ``"tactica-cot"``: the same, with the structure of the original's prompt V4 before the decisions (1 Game
  Overview, 2 Current Game Stage, 3 Our Situation with 3.1-3.3, 4 Our Strategy, 5 Enemy's Strategy, 6 Key
  Information, then Suggestions): the paper's full CoS, for general chat models.
* ``"v4"``: the original's prompt V4 for Protoss exactly as the original sends it (``prompt/prompt.py``,
  ``StarCraftIIPrompt_V4``, with its stray ``888`` and its example input in an older summary format with
  literal ``\\n``), the text kept as data in ``textsc2_original_prompts.json``.  Use it with the env's
  ``text_format="original"`` to reproduce the paper's conditions.
* ``"v4-realtime"``: the original's ``StarCraftIIPrompt_realtime`` (decisions only, for its fine-tuned
  models; the original asks for K=10 there).

Every set joins the single-frame summaries as the original's multi-frame summarizer does:
``"\\n".join(f"chunk{i}: {summary}")``, oldest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tactica.envs.textsc2.actions import ACTION_DICT
from tactica.envs.textsc2.text import render_l1

__all__ = ["PROMPTS", "PromptSet", "prompt_set", "format_chunks"]

ORIGINAL_PROMPTS_FILE = Path(__file__).with_name("textsc2_original_prompts.json")


def format_chunks(summaries: list[str]) -> str:
    """Join single-frame summaries as ``chunk0: ...``, oldest first (the original's L2 input, prompt v4)."""
    return "\n".join(f"chunk{i}: {text}" for i, text in enumerate(summaries))


@dataclass(frozen=True)
class PromptSet:
    """The fixed messages of one prompt set: the system prompt and the few-shot pair."""

    name: str
    system: str
    example_input: str
    example_output: str

    def messages(self, chunks: str) -> list[dict[str, str]]:
        """System, few-shot user and assistant, then the live chunks (one single-turn call)."""
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.example_input},
            {"role": "assistant", "content": self.example_output},
            {"role": "user", "content": chunks},
        ]


# -- tactica's prompts -------------------------------------------------------------------------------------
_TIP = (
    "As Protoss, keep an eye on the Nexus energy and Chrono Boost the structures that matter most (the Nexus "
    "while Probes are needed, the Forge and Cybernetics Core for upgrades later), and add Pylons before supply "
    "runs out."
)
_ANALYSIS = (
    "1. Game Overview: the game time, our resources, supply and army.\n"
    "2. Current Game Stage: early, mid or late game, and why.\n"
    "3. Our Situation:\n"
    "3.1 Units and Buildings: what we have and what is in progress.\n"
    "3.2 Economy: workers, bases, mineral and gas income and bank.\n"
    "3.3 Technology: researched and missing upgrades and tech structures.\n"
    "4. Our Strategy: what we are doing and whether it works.\n"
    "5. Enemy's Strategy: what the visible enemy units and structures suggest.\n"
    "6. Key Information: the most important facts for the next decisions.\n"
)


def _dictionary() -> str:
    return "\n".join(
        f"{category}: " + ", ".join(f"{i}: <{text}>" for i, text in items.items())
        for category, items in ACTION_DICT.items()
    )


def _tactica_system(decisions: int, opponent: str, direct: bool) -> str:
    intro = (
        f"You are an expert StarCraft II player who plays Protoss against {opponent}. You receive summaries "
        "of several consecutive moments of the current game, chunk0 the oldest.\n"
    )
    if direct:
        body = f"{_TIP}\nMake {decisions} actionable and specific decisions from this action dictionary:\n"
    else:
        body = (
            "Analyse them in this structure:\n"
            f"{_ANALYSIS}"
            f"{_TIP}\n"
            "Then give Suggestions on 1. our strategy, 2. units and buildings, 3. economy, 4. technology.\n"
            f"Finally make {decisions} actionable and specific decisions from this action dictionary:\n"
        )
    return (
        intro
        + body
        + f"{_dictionary()}\n"
        + "Choose actions that are feasible now. Answer the decisions last, one per line, exactly in this form:\n"
        + "Decisions:\n0: <BUILD PYLON>\n1: <TRAIN PROBE>\n"
    )


def _frame(time: str, minerals: int, workers: int, used: int, cap: int, built: dict, planned: dict) -> dict:
    """A small information dict in tactica's keys (the few-shot example's input is rendered from it)."""
    return {
        "resource": {
            "game_time": time,
            "worker_supply": workers,
            "mineral": minerals,
            "gas": 0,
            "supply_left": cap - used,
            "supply_cap": cap,
            "supply_used": used,
            "army_supply": 0,
        },
        "building": built,
        "unit": {"probe_count": workers},
        "planning": {"planning_structure": planned, "planning_unit": {"planning_probe_count": 1}},
        "research": {},
        "enemy": {"unit": {}, "structure": {}},
    }


_EXAMPLE_FRAMES = (
    _frame(
        "02:10",
        160,
        19,
        20,
        23,
        {"nexus_count": 1, "pylon_count": 1, "gateway_count": 1},
        {"planning_gas_buildings_count": 1},
    ),
    _frame(
        "02:14",
        215,
        20,
        21,
        23,
        {"nexus_count": 1, "pylon_count": 1, "gas_buildings_count": 1, "gateway_count": 1},
        {},
    ),
)
_EXAMPLE_DECISIONS = (
    "Decisions:\n"
    "0: <BUILD PYLON>\n"
    "1: <TRAIN PROBE>\n"
    "2: <BUILD CYBERNETICSCORE>\n"
    "3: <SCOUTING PROBE>\n"
    "4: <BUILD NEXUS>\n"
)
_EXAMPLE_ANALYSIS = (
    "1. Game Overview: at 02:14 we have 20 Probes, 215 minerals and 21/23 supply, and no army yet.\n"
    "2. Current Game Stage: early game; the opening build is still being placed.\n"
    "3. Our Situation:\n"
    "3.1 Units and Buildings: one Nexus, one Pylon, one Gateway and one Assimilator.\n"
    "3.2 Economy: Probe production is steady, but supply will block within seconds.\n"
    "3.3 Technology: no Cybernetics Core yet, so no gas units or Warp Gate research.\n"
    "4. Our Strategy: a standard macro opening.\n"
    "5. Enemy's Strategy: unknown; nothing has been scouted.\n"
    "6. Key Information: we are about to be supply blocked.\n"
    "Suggestions:\n"
    "1. Our Strategy: expand soon and scout to see whether the opponent is rushing.\n"
    "2. Units and Buildings: a Pylon now, then a Cybernetics Core.\n"
    "3. Economy: keep making Probes and take a second Assimilator.\n"
    "4. Technology: research Warp Gate as soon as the Cybernetics Core finishes.\n"
)


def _tactica(decisions: int, opponent: str, direct: bool) -> PromptSet:
    example_input = format_chunks([render_l1(frame) for frame in _EXAMPLE_FRAMES])
    output = _EXAMPLE_DECISIONS if direct else _EXAMPLE_ANALYSIS + _EXAMPLE_DECISIONS
    name = "tactica" if direct else "tactica-cot"
    return PromptSet(name, _tactica_system(decisions, opponent, direct), example_input, output)


# -- the original's prompts --------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _original_texts() -> dict:
    return json.loads(ORIGINAL_PROMPTS_FILE.read_text(encoding="utf-8"))


def _original(name: str, decisions: int) -> PromptSet:
    texts = _original_texts()[name]
    # The original's f-string inserts K and the Python repr of its nested action dict (int keys).
    system = texts["system"].replace("@@K@@", str(decisions)).replace("@@ACTION_DICT@@", str(ACTION_DICT))
    return PromptSet(name, system, texts["example_input"], texts["example_output"])


PROMPTS = ("tactica", "tactica-cot", "v4", "v4-realtime")


def prompt_set(name: str = "tactica", decisions: int = 5, opponent: str = "Zerg") -> PromptSet:
    """The prompt set ``name`` (one of :data:`PROMPTS`) asking for ``decisions`` actions.

    ``opponent`` is named in tactica's prompts only (the original's do not name it).
    """
    if name in ("tactica", "tactica-cot"):
        return _tactica(decisions, opponent, direct=name == "tactica")
    if name in ("v4", "v4-realtime"):
        return _original(name, decisions)
    raise ValueError(f"prompt must be one of {', '.join(PROMPTS)}, got {name!r}")
