"""The prior p(a|s): k action proposals from any ChatModel, mapped to legal actions, cached and counted.

As in the reference code of *Efficient Reinforcement Learning with Large Language Model Priors* (Yan et al.,
ICLR 2025, ``yanxue7/RL-LLM-Prior``): the model sees the task, the observation and the list of legal actions,
``k`` completions are sampled, each is mapped to a legal action, and the proposals are cached per observation
so a state is never asked about twice.  Here the prompt holds no history (the reference code caches per
observation text, so a state's proposals did not depend on the history after the first query either), and the
cache key is ``(observation text, legal actions, sampling parameters)``: the model is never called twice for
the same key.

Mapping a completion to an action (the reference code's ``process_text2action`` takes the most frequent
matching substring): the legal action whose name equals the reply, else the longest legal name the reply
contains, else the closest name by ``difflib`` ratio (at least 0.6), else no action.  A reply that maps to
nothing is dropped (counted in ``unmatched``); when no reply of a state maps, every legal action is proposed
once (counted in ``fallbacks``).

A model that can score every action (``action_probabilities(messages, names)``, e.g. the scripted expert prior)
also gives the exact p(a|s), which the exact-posterior and KL-regularised agents use.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tactica.llm.base import ChatModel, ChatModelError, Message, from_spec, validate_messages
from tactica.llm.replay import ReplayChatModel, call_params

__all__ = [
    "ActionPrior",
    "KeyedReplay",
    "ProposalCache",
    "PriorSampling",
    "build_prompt",
    "match_action_name",
    "parse_prompt",
    "prior_model",
]

SYSTEM_PROMPT = (
    "You choose actions in a game. Answer with one action from the list of legal actions, exactly as written."
)
_OBSERVATION = "Observation:\n"
_LEGAL = "\n\nLegal actions:\n"
_ANSWER = "\n\nAnswer with one legal action."
FUZZY_CUTOFF = 0.6


@dataclass(frozen=True)
class PriorSampling:
    """How proposals are sampled: ``k`` calls, call ``i`` with ``seed + i``."""

    k: int = 5
    temperature: float = 1.0
    max_tokens: int | None = 16
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k (proposals per state) must be a positive integer, got {self.k!r}")
        if not (isinstance(self.temperature, (int, float)) and 0 <= self.temperature < float("inf")):
            raise ValueError(f"temperature must be a finite number >= 0, got {self.temperature!r}")
        if self.max_tokens is not None and (not isinstance(self.max_tokens, int) or self.max_tokens < 1):
            raise ValueError(f"max_tokens must be a positive integer or None, got {self.max_tokens!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    def key(self) -> tuple:
        return (self.k, float(self.temperature), self.max_tokens, self.seed)


def build_prompt(instruction: str, text: str, legal_names: Sequence[str]) -> list[Message]:
    """The prior's prompt: the task, the observation and the legal actions (one per line)."""
    actions = "\n".join(f"- {name}" for name in legal_names)
    user = f"{instruction}\n\n{_OBSERVATION}{text}{_LEGAL}{actions}{_ANSWER}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_prompt(messages: Sequence[Message]) -> tuple[str, tuple[str, ...]]:
    """``(observation text, legal action names)`` of a prompt made by :func:`build_prompt`.

    ``ValueError`` when the messages are not such a prompt.
    """
    user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    start, legal_at = user.find(_OBSERVATION), user.rfind(_LEGAL)
    if start < 0 or legal_at < start or not user.endswith(_ANSWER):
        raise ValueError("not an LLM-prior prompt (it has no 'Observation:' and 'Legal actions:' sections)")
    text = user[start + len(_OBSERVATION) : legal_at]
    lines = user[legal_at + len(_LEGAL) : len(user) - len(_ANSWER)].splitlines()
    names = tuple(line[2:] for line in lines if line.startswith("- "))
    if not names:
        raise ValueError("the prompt lists no legal action")
    return text, names


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def match_action_name(reply: str, names: Sequence[str]) -> int | None:
    """The index in ``names`` a reply means (see the module docstring), or ``None``."""
    said = _normal(reply)
    if not said:
        return None
    normal = [_normal(n) for n in names]
    for index, name in enumerate(normal):
        if said == name:
            return index
    padded = f" {said} "
    contained = [
        (len(name), -padded.find(f" {name} "), -i)
        for i, name in enumerate(normal)
        if name and f" {name} " in padded
    ]
    if contained:
        return -max(contained)[2]
    first_line = _normal(reply.strip().splitlines()[0]) if reply.strip() else said
    best, best_index = 0.0, None
    for index, name in enumerate(normal):
        ratio = difflib.SequenceMatcher(None, first_line, name).ratio()
        if ratio > best:
            best, best_index = ratio, index
    return best_index if best >= FUZZY_CUTOFF else None


class KeyedReplay:
    """Answers calls from a recorded transcript by their messages and sampling parameters, in any order.

    A ``replay:`` transcript answers calls in the recorded order; an agent that caches proposals asks for each
    state once, in an order that depends on the episodes run, so the prior answers a transcript by key instead.
    A key recorded several times is answered with its first reply; a key never recorded raises
    :class:`ChatModelError` naming the transcript.
    """

    def __init__(self, records: Sequence[dict[str, Any]], source: str = "<memory>"):
        self.source = source
        self.name = f"replay:{source}"
        self._answers: dict[str, str] = {}
        for record in records:
            key = _call_key(record["messages"], record.get("params"))
            self._answers.setdefault(key, record["response"])

    @classmethod
    def load(cls, path: str | Path) -> KeyedReplay:
        replay = ReplayChatModel.load(path)
        return cls(replay.records, replay.source)

    def __len__(self) -> int:
        return len(self._answers)

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        checked = validate_messages(messages)
        key = _call_key(checked, call_params(temperature, max_tokens, stop, seed))
        try:
            return self._answers[key]
        except KeyError:
            raise ChatModelError(
                f"replay {self.source}: this call (seed {seed}) was not recorded; record the run again"
            ) from None


def _call_key(messages: Sequence[Message], params: dict | None) -> str:
    return json.dumps({"messages": list(messages), "params": params}, sort_keys=True, ensure_ascii=False)


def prior_model(llm: ChatModel | str, record: str | Path | None = None) -> ChatModel:
    """The ChatModel behind a prior: ``from_spec`` (``record=`` appends every call to a JSONL transcript), with a
    ``replay:`` transcript answered by key (:class:`KeyedReplay`)."""
    if isinstance(llm, str) and llm.startswith("replay:"):
        model: Any = KeyedReplay.load(llm.removeprefix("replay:"))
        return from_spec(model, record=None if record is None else str(record))
    if isinstance(llm, ReplayChatModel):
        llm = KeyedReplay(llm.records, llm.source)
    return from_spec(llm, record=None if record is None else str(record))


def _scorer(model: Any):
    """The ``action_probabilities`` of the model or of a model it wraps (recording, caching), else None."""
    seen = 0
    while model is not None and seen < 8:
        score = getattr(model, "action_probabilities", None)
        if callable(score):
            return score
        model, seen = getattr(model, "inner", None), seen + 1
    return None


class ProposalCache:
    """Proposals and exact prior scores per key; shareable by several priors over one model."""

    def __init__(self):
        self.proposals: dict[tuple, tuple[int, ...]] = {}
        self.scores: dict[tuple, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.proposals)


class ActionPrior:
    """k proposals per state from ``llm`` over a view's named actions (see the module docstring).

    Args:
        llm: a ChatModel or a spec (``"expert:frozenlake?p=0.5"``, ``"openai:<model>@<url>"``, ``"replay:<file>"``...).
        instruction: the task line of the prompt.
        action_names: every action's name, index-aligned with the action space.
        sampling: :class:`PriorSampling` (k, temperature, max_tokens, seed).
        record: append every model call to this JSONL transcript (replayable with ``replay:``).
        cache: a :class:`ProposalCache` to share with other priors over the same model (default: its own).

    Counters: ``llm_calls`` (completions asked of the model), ``score_calls`` (full-distribution scorings),
    ``queries`` and ``cache_hits`` (proposal requests, and those answered from the cache), ``unmatched``
    (completions that named no legal action), ``fallbacks`` (states where none did).
    """

    def __init__(
        self,
        llm: ChatModel | str,
        instruction: str,
        action_names: Sequence[str],
        sampling: PriorSampling | None = None,
        *,
        record: str | Path | None = None,
        cache: ProposalCache | None = None,
    ):
        self.spec = llm if isinstance(llm, str) else getattr(llm, "name", type(llm).__name__)
        self.model = prior_model(llm, record)
        self.instruction = instruction
        self.action_names = tuple(action_names)
        self.sampling = sampling or PriorSampling()
        self.cache = cache if cache is not None else ProposalCache()
        self._score = _scorer(self.model)
        self.llm_calls = self.score_calls = self.queries = self.cache_hits = 0
        self.unmatched = self.fallbacks = 0

    @property
    def calls(self) -> int:
        """Every request made of the model: completions plus full-distribution scorings (the paper's cost)."""
        return self.llm_calls + self.score_calls

    @property
    def can_score(self) -> bool:
        """Whether the model gives p(a|s) for every action (exact posterior, exact KL)."""
        return self._score is not None

    def _key(self, text: str, legal: np.ndarray) -> tuple:
        return (text, tuple(int(i) for i in np.flatnonzero(legal)), self.sampling.key())

    def proposals(self, text: str, legal: np.ndarray) -> tuple[int, ...]:
        """The action indices proposed for this state (``k`` of them unless replies did not map)."""
        legal = np.asarray(legal, dtype=bool)
        key = self._key(text, legal)
        self.queries += 1
        cached = self.cache.proposals.get(key)
        if cached is not None:
            self.cache_hits += 1
            return cached
        legal_ids = np.flatnonzero(legal)
        names = [self.action_names[i] for i in legal_ids]
        messages = build_prompt(self.instruction, text, names)
        s = self.sampling
        chosen: list[int] = []
        for i in range(s.k):
            reply = self.model.chat(
                messages, temperature=s.temperature, max_tokens=s.max_tokens, seed=s.seed + i
            )
            self.llm_calls += 1
            index = match_action_name(reply, names)
            if index is None:
                self.unmatched += 1
            else:
                chosen.append(int(legal_ids[index]))
        if not chosen:
            self.fallbacks += 1
            chosen = [int(i) for i in legal_ids]
        proposals = tuple(chosen)
        self.cache.proposals[key] = proposals
        return proposals

    def counts(self, text: str, legal: np.ndarray) -> np.ndarray:
        """How often each action was proposed (float vector over every action; 0 for the others)."""
        counts = np.zeros(len(self.action_names), dtype=np.float32)
        np.add.at(counts, list(self.proposals(text, legal)), 1.0)
        return counts

    def probabilities(self, text: str, legal: np.ndarray) -> np.ndarray:
        """p(a|s) over every action: the model's own scores where it can score, else the proposal frequencies."""
        legal = np.asarray(legal, dtype=bool)
        if self._score is None:
            counts = self.counts(text, legal)
            return counts / counts.sum()
        key = self._key(text, legal)
        cached = self.cache.scores.get(key)
        if cached is None:
            legal_ids = np.flatnonzero(legal)
            names = [self.action_names[i] for i in legal_ids]
            scores = np.asarray(
                self._score(build_prompt(self.instruction, text, names), names), dtype=np.float64
            )
            self.score_calls += 1
            if scores.shape != (len(names),) or not np.all(np.isfinite(scores)) or (scores < 0).any():
                raise ChatModelError(
                    f"{self.spec}: action_probabilities gave {scores!r} for {len(names)} actions"
                )
            cached = np.zeros(len(self.action_names), dtype=np.float64)
            cached[legal_ids] = scores / scores.sum()
            self.cache.scores[key] = cached
        return cached.copy()

    def stats(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "llm_calls": self.llm_calls,
            "score_calls": self.score_calls,
            "queries": self.queries,
            "cache_hits": self.cache_hits,
            "unmatched": self.unmatched,
            "fallbacks": self.fallbacks,
            "states": len(self.cache),
        }

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec, **asdict(self.sampling), "scores_exactly": self.can_score}
