"""Reading an LLM reply as the original TextStarCraft II reads it, and mapping each decision to an action.

The original (``utils/action_extractor.py``) takes everything after the *first* ``Decisions:`` and reads
every ``N: <ACTION>`` with the regular expression ``\\d+: <?([^>\\n]+)>?``: text after the closing ``>`` is
ignored, and of two actions on one line the first is kept.  Each decision is looked up exactly (upper case);
any other decision goes to a nearest-neighbour search over the action names (an embedding model and a vector
database in the original), so every decision becomes an action.

Here the nearest neighbour is deterministic and needs no model: the decision is normalised (upper case,
plurals, spaced names such as ``VOID RAY`` joined, synonyms such as ``WORKER`` for Probe and ``EXPAND`` for
Nexus), its verb and object are read, and the action they name is taken (a unit with ``BUILD`` is trained, a
structure with ``TRAIN`` is built, ``WARP GATE`` is the Warp Gate research, an Archon is morphed).  Text
naming no known object falls back to the most similar action name (difflib ratio, ties to the lowest id).
Every decision thus yields an action, and :class:`DecisionMatch` records how it was found.

A reply without ``Decisions:`` gives no decisions in the original; here a one-line reply is read as one
decision (so ``env.step("BUILD PYLON")`` works), and anything else gives ``EMPTY ACTION``.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION, SPECS

__all__ = [
    "DECISION_LINE",
    "DecisionMatch",
    "ParsedDecisions",
    "match_decision",
    "match_action",
    "parse_decisions",
]

DECISION_LINE = re.compile(r"\d+: <?([^>\n]+)>?")  # the original's pattern, applied after "Decisions:"
_MARKER = "Decisions:"

_ID = {a: i for i, a in enumerate(ACTIONS)}
_SQUASHED = {re.sub(r"[^A-Z0-9]", "", a): i for i, a in enumerate(ACTIONS)}

# Objects the 72 actions name, by the spelling used in the action strings.
_UNITS = {s.target.upper(): s.id for s in SPECS if s.kind == "train"}  # ARCHON -> MORPH ARCHON
_STRUCTURES = {s.target.upper(): s.id for s in SPECS if s.kind == "build"}
_RESEARCH = {s.target.upper(): s.id for s in SPECS if s.kind == "research"}
_SCOUTS = {s.target.upper(): s.id for s in SPECS if s.kind == "scout"}
_CHRONO = {s.target.upper(): s.id for s in SPECS if s.kind == "chrono"}

# Multi-word names and synonyms, replaced (longest first) before the words are read.  Each right-hand side is a
# canonical object or verb word.
_PHRASES = {
    "VOID RAY": "VOIDRAY",
    "HIGH TEMPLAR": "HIGHTEMPLAR",
    "DARK TEMPLAR": "DARKTEMPLAR",
    "WARP PRISM": "WARPPRISM",
    "CYBERNETICS CORE": "CYBERNETICSCORE",
    "CYBERNETIC CORE": "CYBERNETICSCORE",
    "CYBER CORE": "CYBERNETICSCORE",
    "TWILIGHT COUNCIL": "TWILIGHTCOUNCIL",
    "ROBOTICS FACILITY": "ROBOTICSFACILITY",
    "ROBOTICS BAY": "ROBOTICSBAY",
    "ROBO BAY": "ROBOTICSBAY",
    "FLEET BEACON": "FLEETBEACON",
    "PHOTON CANNON": "PHOTONCANNON",
    "SHIELD BATTERY": "SHIELDBATTERY",
    "TEMPLAR ARCHIVES": "TEMPLARARCHIVE",
    "TEMPLAR ARCHIVE": "TEMPLARARCHIVE",
    "DARK SHRINE": "DARKSHRINE",
    "WARP GATE RESEARCH": "WARPGATERESEARCH",
    "WARP GATE": "WARPGATE",
    "CHRONO BOOST": "CHRONOBOOST",
    "PSIONIC STORM": "PSISTORMTECH",
    "PSI STORM": "PSISTORMTECH",
    "RESONATING GLAIVES": "ADEPTPIERCINGATTACK",
    "EXTENDED THERMAL LANCE": "EXTENDEDTHERMALLANCE",
    "THERMAL LANCE": "EXTENDEDTHERMALLANCE",
    "GRAVITIC DRIVE": "GRAVITICDRIVE",
    "GRAVITIC BOOSTER": "OBSERVERGRAVITICBOOSTER",
    "GRAVITIC BOOSTERS": "OBSERVERGRAVITICBOOSTER",
    "ANION PULSE CRYSTALS": "PHOENIXRANGEUPGRADE",
    "FLUX VANES": "VOIDRAYSPEEDUPGRADE",
    "SUPPLY DEPOT": "PYLON",
    "SHADOW STRIDE": "SHADOWSTRIDE",
    "NO ACTION": "EMPTY",
    "DO NOTHING": "EMPTY",
}
_WORDS = {
    "WORKER": "PROBE",
    "SCV": "PROBE",
    "DRONE": "PROBE",
    "EXPAND": "NEXUS",
    "EXPANSION": "NEXUS",
    "BASE": "NEXUS",
    "TOWNHALL": "NEXUS",
    "NATURAL": "NEXUS",
    "HATCHERY": "NEXUS",
    "COMMANDCENTER": "NEXUS",
    "GAS": "ASSIMILATOR",
    "GEYSER": "ASSIMILATOR",
    "REFINERY": "ASSIMILATOR",
    "EXTRACTOR": "ASSIMILATOR",
    "SUPPLY": "PYLON",
    "DEPOT": "PYLON",
    "OVERLORD": "PYLON",
    "CORE": "CYBERNETICSCORE",
    "CYBERCORE": "CYBERNETICSCORE",
    "TWILIGHT": "TWILIGHTCOUNCIL",
    "ROBO": "ROBOTICSFACILITY",
    "ROBOTICS": "ROBOTICSFACILITY",
    "CANNON": "PHOTONCANNON",
    "BATTERY": "SHIELDBATTERY",
    "ARCHIVE": "TEMPLARARCHIVE",
    "BEACON": "FLEETBEACON",
    "SHRINE": "DARKSHRINE",
    "WARPGATES": "WARPGATE",
    "BLINK": "BLINKTECH",
    "GLAIVES": "ADEPTPIERCINGATTACK",
    "STORM": "PSISTORMTECH",
    "PSISTORM": "PSISTORMTECH",
    "CHRONO": "CHRONOBOOST",
    "BOOST": "CHRONOBOOST",
    "SCOUT": "SCOUTING",
    "ATTACK": "ATTACK",
    "PUSH": "ATTACK",
    "ENGAGE": "ATTACK",
    "RETREAT": "RETREAT",
    "FALLBACK": "RETREAT",
    "REGROUP": "RETREAT",
    "NOTHING": "EMPTY",
    "NONE": "EMPTY",
    "WAIT": "EMPTY",
    "IDLE": "EMPTY",
    "MAKE": "TRAIN",
    "PRODUCE": "TRAIN",
    "WARP": "TRAIN",
    "RECRUIT": "TRAIN",
    "CONSTRUCT": "BUILD",
    "UPGRADE": "RESEARCH",
    "WEAPON": "WEAPONS",
    "ARMOR": "ARMORS",
    "ARMOUR": "ARMORS",
    "SHIELD": "SHIELDS",
}
_UPGRADE_LINES = ("WEAPONS", "ARMORS", "SHIELDS")


@dataclass(frozen=True)
class DecisionMatch:
    """One decision and the action it became.

    ``how``: ``"exact"`` (an action name, ignoring case, spaces and punctuation), ``"intent"`` (the verb and
    object it names) or ``"nearest"`` (the most similar name).
    """

    text: str
    action: int
    how: str

    def as_dict(self) -> dict[str, str]:
        return {"decision": self.text, "action": ACTIONS[self.action], "match": self.how}


@dataclass
class ParsedDecisions:
    """The actions read from a reply, in order, and how each decision was matched."""

    actions: list[int]
    matches: list[DecisionMatch]


def _words(text: str) -> list[str]:
    """Upper-case words with phrases joined, synonyms replaced and plurals made singular."""
    upper = " " + re.sub(r"[^A-Z0-9+]+", " ", text.upper().replace("_", " ")) + " "
    for phrase in sorted(_PHRASES, key=len, reverse=True):
        upper = upper.replace(f" {phrase} ", f" {_PHRASES[phrase]} ")
        upper = upper.replace(f" {phrase}S ", f" {_PHRASES[phrase]} ")
    out = []
    for word in upper.split():
        if word not in _KNOWN and word.endswith("S") and word[:-1] in _KNOWN:
            word = word[:-1]
        out.append(_WORDS.get(word, word))
    return out


_KNOWN = {*_UNITS, *_STRUCTURES, *_RESEARCH, *_WORDS, "WARPGATE", "PROBE"}


def _level(words: list[str]) -> int:
    for w in words:
        m = re.fullmatch(r"\+?(?:LEVEL|LV|L)?([123])", w)
        if m:
            return int(m.group(1))
    return 1


_VERBS = ("EMPTY", "ATTACK", "RETREAT", "CHRONOBOOST", "SCOUTING", "RESEARCH", "TRAIN", "BUILD", "MORPH")


def _intent(words: list[str]) -> int | None:
    """The action a decision's first verb and its object name, or None when it names nothing known."""
    verb = next((w for w in words if w in _VERBS), None)
    objects = [w for w in words if w in _UNITS or w in _STRUCTURES or w in _RESEARCH or w == "WARPGATE"]
    if verb == "EMPTY":
        return EMPTY_ACTION
    if verb == "ATTACK":
        return _ID["MULTI-ATTACK"]
    if verb == "RETREAT":
        return _ID["MULTI-RETREAT"]
    if verb == "CHRONOBOOST":
        # Probes and Motherships come from the Nexus, the default target.
        return next((_CHRONO[w] for w in objects if w in _CHRONO), _ID["CHRONOBOOST NEXUS"])
    if verb == "SCOUTING":
        return next((_SCOUTS[w] for w in objects if w in _SCOUTS), _ID["SCOUTING PROBE"])
    line = next((w for w in words if w in _UPGRADE_LINES), None)
    if line is not None and (verb == "RESEARCH" or not objects):
        kind = "" if line == "SHIELDS" else "AIR" if "AIR" in words else "GROUND"
        return _ID[f"RESEARCH PROTOSS{kind}{line}LEVEL{_level(words)}"]
    for w in objects:
        if w in _RESEARCH:
            return _RESEARCH[w]
        if w == "WARPGATE":  # Gateways become Warp Gates by research
            return _ID["RESEARCH WARPGATERESEARCH"]
        if w in _UNITS:
            return _UNITS[w]  # trained whatever the verb (an Archon is morphed)
        return _STRUCTURES[w]  # built whatever the verb
    return None


@functools.lru_cache(maxsize=4096)
def match_decision(text: str) -> DecisionMatch:
    """The action for one decision: exact, else the action its words name, else the most similar name."""
    stripped = text.strip().strip("<>").strip()
    upper = stripped.upper()
    if upper in _ID:
        return DecisionMatch(text, _ID[upper], "exact")
    squashed = re.sub(r"[^A-Z0-9]", "", upper)
    if squashed in _SQUASHED:
        return DecisionMatch(text, _SQUASHED[squashed], "exact")
    action = _intent(_words(stripped))
    if action is not None:
        return DecisionMatch(text, action, "intent")
    best, best_score = EMPTY_ACTION, -1.0
    for name, i in _SQUASHED.items():
        score = difflib.SequenceMatcher(None, squashed, name, autojunk=False).ratio()
        if score > best_score + 1e-12:
            best, best_score = i, score
    return DecisionMatch(text, best, "nearest")


def match_action(text: str) -> int:
    """The action id one decision maps to (see :func:`match_decision`)."""
    return match_decision(text).action


def parse_decisions(reply: str) -> ParsedDecisions:
    """Read a reply as the original does: the ``N: <ACTION>`` lines after its first ``Decisions:``.

    Every decision maps to an action; a reply with no decision gives ``[EMPTY ACTION]``.
    """
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a str, got {type(reply).__name__}")
    index = reply.find(_MARKER)
    if index >= 0:
        decisions = DECISION_LINE.findall(reply[index + len(_MARKER) :])
    else:
        stripped = reply.strip()
        decisions = [stripped] if stripped and "\n" not in stripped else []
    matches = [match_decision(d) for d in decisions]
    if not matches:
        return ParsedDecisions([EMPTY_ACTION], [])
    return ParsedDecisions([m.action for m in matches], matches)
