"""A scripted prior of stated quality, as a ChatModel: the expert's action with probability p, else uniform.

The prior answers the LLM-prior agents' prompts (:func:`tactica.agents.llm_prior.prior.build_prompt`) the way a
language model would, so the agents run the same code path with it as with a real model; only the knowledge
differs, and its quality is a number.  It reads only the prompt: the observation text and the legal actions.

Experts (``task``):

- ``frozenlake``: the moves on a shortest path to the goal, from the map in the text (breadth-first search,
  holes blocked; ties split evenly);
- ``textsc2``: ``textsc2-expert``'s action for the observation parsed back from TextSC2's text summary, with
  the expert's memory cleared each call (so the answer is a function of the prompt alone).

Spec: ``expert:TASK?p=P`` (``p`` in [0, 1], default 0.5), e.g. ``expert:frozenlake?p=0.5``.  With a ``seed``
the reply is a function of (prompt, seed); at ``temperature=0`` it is the expert's action.  The model also
scores every action exactly: ``action_probabilities`` = p / |expert actions| on the expert's actions plus
(1 - p) / |legal| on every legal action.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs

import numpy as np

from tactica.agents.llm_prior.prior import parse_prompt
from tactica.llm.base import ChatModelError, Message, validate_messages

__all__ = ["EXPERTS", "ExpertPriorChatModel", "frozenlake_expert", "textsc2_expert", "parse_textsc2_summary"]


def frozenlake_expert(text: str, names: Sequence[str]) -> tuple[int, ...]:
    """Indices in ``names`` of the moves on a shortest path to the goal (all legal names if none is known)."""
    from tactica.envs.frozenlake.rules import ACTION_NAMES, optimal_actions

    rows, position = [], None
    for line in text.splitlines():
        if re.fullmatch(r"[SFHGP]+", line.strip()):
            if "P" in line:
                position = (len(rows), line.index("P"))
            rows.append(line.strip().replace("P", "F"))
    if position is None or len({len(r) for r in rows}) != 1:
        return tuple(range(len(names)))
    best = {ACTION_NAMES[a] for a in optimal_actions(tuple(rows), position)}
    return tuple(i for i, name in enumerate(names) if name in best) or tuple(range(len(names)))


_SC2_SECTIONS = {
    "Resources": "resource",
    "Buildings": "building",
    "Units": "unit",
    "Planning": "planning",
    "Research": "research",
    "Enemy": "enemy",
}


def _key(label: str) -> str:
    return label.strip().replace(" ", "_").lower()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def parse_textsc2_summary(text: str, legal_names: Sequence[str]) -> dict:
    """The TextSC2 observation dict rebuilt from its text summary (zeros where the summary leaves a value out)
    and the legal actions (the action mask)."""
    from tactica.envs.textsc2.actions import ACTIONS
    from tactica.envs.textsc2.text import BUILDING_KEYS, RESEARCH_KEYS, RESOURCE_KEYS, UNIT_KEYS

    obs: dict = {
        "resource": {k: 0.0 for k in RESOURCE_KEYS if k != "game_time"},
        "building": {k: 0 for k in BUILDING_KEYS},
        "unit": {k: 0 for k in UNIT_KEYS},
        "planning": {"planning_structure": {}, "planning_unit": {}},
        "research": {group: {k: 0.0 for k in keys} for group, keys in RESEARCH_KEYS.items()},
        "enemy": {"unit": {}, "structure": {}},
    }
    clock = re.search(r"At (\d+):(\d+) game time", text)
    obs["resource"]["game_loop"] = (int(clock[1]) * 60 + int(clock[2])) * 22.4 if clock else 0.0
    section, group = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.endswith(":") and not line.startswith("- "):
            title = line[:-1]
            if title in _SC2_SECTIONS:
                section, group = _SC2_SECTIONS[title], None
            else:
                group = _key(title)
            continue
        match = re.fullmatch(r"- (.+?): (.+)", line)
        if section is None or match is None:
            continue
        key, value = _key(match[1]), _number(match[2])
        if section in ("resource", "building", "unit"):
            obs[section][key] = value
        elif section == "planning" and group in obs["planning"]:
            obs["planning"][group][key] = value
        elif section == "research" and group is not None:
            obs["research"].setdefault(group, {})[key] = value
        elif section == "enemy" and group in ("unit", "structure"):
            obs["enemy"][group][key] = value
    mask = np.zeros(len(ACTIONS), dtype=np.int8)
    index = {name: i for i, name in enumerate(ACTIONS)}
    for name in legal_names:
        if name in index:
            mask[index[name]] = 1
    obs["action_mask"] = mask
    return obs


class _TextSC2Expert:
    def __init__(self):
        from tactica.baselines.textsc2.expert import TextSC2Expert
        from tactica.envs.textsc2.actions import ACTIONS

        self.expert = TextSC2Expert()
        self.actions = ACTIONS

    def __call__(self, text: str, names: Sequence[str]) -> tuple[int, ...]:
        self.expert.reset()  # no memory between calls: the answer is a function of the prompt
        action = self.actions[self.expert.act(parse_textsc2_summary(text, names))]
        return (names.index(action),) if action in names else tuple(range(len(names)))


def textsc2_expert() -> Callable[[str, Sequence[str]], tuple[int, ...]]:
    return _TextSC2Expert()


EXPERTS: dict[str, Callable[[], Callable[[str, Sequence[str]], tuple[int, ...]]]] = {
    "frozenlake": lambda: frozenlake_expert,
    "textsc2": textsc2_expert,
}


class ExpertPriorChatModel:
    """The scripted prior (see the module docstring).

    Args:
        task: ``"frozenlake"`` or ``"textsc2"`` (:data:`EXPERTS`).
        p: probability of the expert's action; otherwise a legal action uniformly.
    """

    def __init__(self, task: str, p: float = 0.5):
        if task not in EXPERTS:
            raise ValueError(f"expert prior task must be one of {', '.join(EXPERTS)}, got {task!r}")
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"the expert prior's p must be a number in [0, 1], got {p!r}")
        self.task, self.p = task, float(p)
        self.name = f"expert:{task}?p={self.p:g}"
        self._expert = EXPERTS[task]()
        self._memo: dict[tuple[str, tuple[str, ...]], tuple[int, ...]] = {}
        self._unseeded = 0

    @classmethod
    def from_spec(cls, argument: str, **options) -> ExpertPriorChatModel:
        """``TASK?p=P``, e.g. ``frozenlake?p=0.5``."""
        task, _, query = argument.partition("?")
        fields = parse_qs(query, keep_blank_values=True, strict_parsing=False) if query else {}
        unknown = set(fields) - {"p"}
        if unknown:
            raise ValueError(
                f"expert prior spec: unknown option(s) {', '.join(sorted(unknown))}; accepted: p"
            )
        p_text = fields.get("p", ["0.5"])[-1]
        try:
            p = float(p_text)
        except ValueError:
            raise ValueError(f"expert prior spec: p must be a number in [0, 1], got {p_text!r}") from None
        return cls(task, p, **options)

    def expert_actions(self, text: str, names: tuple[str, ...]) -> tuple[int, ...]:
        key = (text, names)
        if key not in self._memo:
            self._memo[key] = self._expert(text, names)
        return self._memo[key]

    def _parse(self, messages: Sequence[Message]) -> tuple[str, tuple[str, ...]]:
        try:
            return parse_prompt(validate_messages(messages))
        except ValueError as exc:
            raise ChatModelError(f"{self.name} answers only the LLM-prior agents' prompts: {exc}") from None

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        text, names = self._parse(messages)
        best = self.expert_actions(text, names)
        if temperature == 0:
            return names[best[0]]
        if seed is None:
            self._unseeded += 1
            seed = -self._unseeded
        rng = np.random.default_rng([abs(int(seed)), int(seed < 0), zlib.crc32(text.encode())])
        if rng.random() < self.p:
            return names[best[int(rng.integers(len(best)))]]
        return names[int(rng.integers(len(names)))]

    def action_probabilities(self, messages: Sequence[Message], names: Sequence[str]) -> np.ndarray:
        text, listed = self._parse(messages)
        if tuple(names) != listed:
            raise ChatModelError(f"{self.name}: the names to score differ from the prompt's legal actions")
        best = self.expert_actions(text, listed)
        probabilities = np.full(len(listed), (1.0 - self.p) / len(listed))
        probabilities[list(best)] += self.p / len(best)
        return probabilities
