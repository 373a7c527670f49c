"""TextStarCraft II without StarCraft II: the embedded macro simulator and the ``TextSC2-v1`` environment.

Modules: ``data`` (the pinned patch's JSON), ``engine`` (pure rules on game loops), ``combat`` (the seeded
battle model), ``builtin_ai`` (the built-in AI model), ``actions`` (the 72 Protoss actions), ``rules`` (the
original bot's rules behind them), ``text`` (the observation dict and single-frame summaries), ``decisions``
("Decisions:" parsing and action matching), ``metrics`` (PBR, RUR, APU, TR) and ``env``.
"""

from tactica.envs.textsc2.actions import ACTION_DICT, ACTIONS, EMPTY_ACTION, NUM_ACTIONS
from tactica.envs.textsc2.decisions import match_action, match_decision, parse_decisions
from tactica.envs.textsc2.text import summarize

__all__ = [
    "ACTIONS",
    "ACTION_DICT",
    "EMPTY_ACTION",
    "NUM_ACTIONS",
    "match_action",
    "match_decision",
    "parse_decisions",
    "summarize",
]
