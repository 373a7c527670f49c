"""Transcript corpora: chat examples in exactly the messages an LLM agent sends, answered by an expert.

An :class:`ExpertModel` stands in for the language model of a real LLM agent (``cos``, ``llm-smac``, the ONUW
agents).  The agent builds its prompts as it always does and calls ``chat``; the expert model answers with what
an expert player would do in the game state the recorder put in its ``context``, in the format the agent's
parser reads, and keeps an :class:`Example` of the call.  So a corpus holds the agent's own messages, never a
re-creation of them.

:func:`write_corpus` deduplicates the examples, splits them by episode into a training and a held-out file
(whole episodes go to one side, so near-identical consecutive states never straddle the split) and writes
JSONL that ``tactica train plm --data`` reads: ``{"messages": [..., {"role": "assistant", ...}], "meta": {...}}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tactica.llm.base import Message, validate_messages

__all__ = [
    "Example",
    "ExpertModel",
    "CorpusSummary",
    "write_corpus",
    "heldout_path",
    "read_corpus",
    "split_episodes",
]


@dataclass
class Example:
    """One agent call answered by the expert.

    Attributes:
        messages: the messages the agent sent, unchanged.
        answer: the expert's reply, in the format the agent's parser reads.
        call: what the call asks for (``"decisions"``, ``"planner"``, ``"coder"``, ``"critic"``, ``"speech"``...).
        episode: the episode index within the run; ``seed`` its seed.
        label: what happened in the game after this answer (win rate, damage, survival...), when known.
        expert: ``False`` for an exploration answer (a weaker variant played on purpose to reach states the
            expert never visits); such examples are labelled for preference pairs but are not training targets.
    """

    messages: list[Message]
    answer: str
    call: str
    episode: int = 0
    seed: int = 0
    label: dict[str, Any] = field(default_factory=dict)
    expert: bool = True

    def key(self) -> str:
        """A digest of the messages and the answer (duplicates share it)."""
        text = json.dumps([self.messages, self.answer], sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def prompt_key(self) -> str:
        """A digest of the messages only (the examples that answer the same prompt share it)."""
        text = json.dumps(self.messages, sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def record(self, env_id: str, agent: str, split: str) -> dict[str, Any]:
        meta = {"env": env_id, "agent": agent, "call": self.call, "episode": self.episode, "seed": self.seed,
                "split": split, "expert": self.expert}  # fmt: skip
        if self.label:
            meta["label"] = self.label
        return {"messages": [*self.messages, {"role": "assistant", "content": self.answer}], "meta": meta}


class ExpertModel:
    """A :class:`tactica.llm.ChatModel` that answers with ``answer(messages, **context)`` and records the call.

    The recorder sets ``context`` (the game state, the pending speech...) before the agent calls ``chat``;
    ``call`` names the kind of call and ``expert=False`` in the context marks an exploration answer.
    """

    name = "expert"

    def __init__(self, answer: Callable[..., str]):
        self.answer = answer
        self.context: dict[str, Any] = {}
        self.examples: list[Example] = []
        self.episode = 0
        self.seed = 0

    def chat(
        self, messages: Sequence[Message], *, temperature=0.0, max_tokens=None, stop=None, seed=None
    ) -> str:
        checked = validate_messages(messages)
        context = dict(self.context)
        call = str(context.pop("call", "chat"))
        reply = self.answer(checked, call=call, **context)
        expert = True
        if isinstance(reply, tuple):  # (reply, is_expert_answer)
            reply, expert = reply
        self.examples.append(Example(checked, reply, call, self.episode, self.seed, expert=bool(expert)))
        return reply


@dataclass
class CorpusSummary:
    """What :func:`write_corpus` wrote."""

    train_file: str
    heldout_file: str
    episodes: int
    heldout_episodes: list[int]
    calls: int
    train_examples: int
    heldout_examples: int
    duplicates: int
    not_expert: int
    by_call: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def heldout_path(out: str | Path) -> Path:
    """The held-out file written beside ``out``: ``corpus.jsonl`` -> ``corpus.heldout.jsonl``."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".heldout.jsonl")


def split_episodes(episodes: int, heldout_fraction: float, seed: int) -> list[int]:
    """The episode indices held out: a seeded choice of ``round(fraction * episodes)`` (at least one when there
    are two episodes or more and the fraction is positive; none from a single episode)."""
    if not 0.0 <= heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must lie in [0, 1), got {heldout_fraction}")
    if episodes < 2 or heldout_fraction == 0.0:
        return []
    n = min(max(1, round(heldout_fraction * episodes)), episodes - 1)
    order = np.random.default_rng(seed).permutation(episodes)
    return sorted(int(i) for i in order[:n])


def write_corpus(
    examples: Sequence[Example],
    out: str | Path,
    *,
    env_id: str,
    agent: str,
    episodes: int,
    heldout_fraction: float = 0.1,
    seed: int = 0,
    experts_only: bool = False,
) -> CorpusSummary:
    """Deduplicate, split by episode and write ``out`` (training) and :func:`heldout_path` (held out).

    Exact duplicates (same messages and answer) are written once; a held-out example that also occurs in the
    training split is dropped, so the held-out loss measures prompts the model has not seen.  Exploration
    answers (``expert=False``) are kept with their labels (preference pairs read them) unless
    ``experts_only``; ``tactica train plm`` trains only on expert answers (see :func:`read_corpus`).
    """
    held = set(split_episodes(episodes, heldout_fraction, seed))
    train: dict[str, Example] = {}
    heldout: dict[str, Example] = {}
    duplicates = not_expert = 0
    for example in examples:
        if not example.expert:
            not_expert += 1
            if experts_only:
                continue
        side = heldout if example.episode in held else train
        key = example.key()
        if key in side:
            duplicates += 1
            continue
        side[key] = example
    for key in [k for k in heldout if k in train]:
        del heldout[key]
        duplicates += 1
    out = Path(out)
    paths = {"train": out, "heldout": heldout_path(out)}
    for split, items in (("train", train), ("heldout", heldout)):
        with paths[split].open("w", encoding="utf-8") as handle:
            for example in items.values():
                handle.write(json.dumps(example.record(env_id, agent, split), ensure_ascii=False) + "\n")
    by_call: dict[str, int] = {}
    for example in [*train.values(), *heldout.values()]:
        by_call[example.call] = by_call.get(example.call, 0) + 1
    return CorpusSummary(
        train_file=str(paths["train"]),
        heldout_file=str(paths["heldout"]),
        episodes=episodes,
        heldout_episodes=sorted(held),
        calls=len(examples),
        train_examples=len(train),
        heldout_examples=len(heldout),
        duplicates=duplicates,
        not_expert=not_expert,
        by_call=by_call,
    )


def read_corpus(path: str | Path, *, experts_only: bool = True) -> list[dict[str, Any]]:
    """The records of a corpus file (expert answers only, by default)."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
            raise ValueError(f"{path}:{number}: not a corpus record (no 'messages' list)")
        if experts_only and not record.get("meta", {}).get("expert", True):
            continue
        records.append(record)
    return records
