"""Record every call of a ChatModel to a JSONL transcript, and answer a transcript's calls in order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tactica.llm.base import ChatModel, ChatModelError, Message, validate_messages

__all__ = ["RecordingChatModel", "ReplayChatModel", "call_params"]


def call_params(
    temperature: float, max_tokens: int | None, stop: Sequence[str] | None, seed: int | None
) -> dict:
    """The sampling parameters of one call, in the form transcripts and the cache store them."""
    return {
        "temperature": float(temperature),
        "max_tokens": max_tokens,
        "stop": list(stop) if stop else None,
        "seed": seed,
    }


class RecordingChatModel:
    """Wraps a model and appends ``{"backend", "messages", "params", "response"}`` per call to a JSONL file."""

    def __init__(self, inner: ChatModel, path: str | Path):
        self.inner = inner
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name = inner.name

    @classmethod
    def from_spec(cls, argument: str, **options) -> RecordingChatModel:
        """``record:<transcript.jsonl>=<spec>``: the model of ``<spec>``, every call appended to the transcript."""
        from tactica.llm.base import from_spec

        path, sep, inner = argument.partition("=")
        if not sep or not path or not inner:
            raise ValueError(f"record spec must be record:<transcript.jsonl>=<spec>, got record:{argument}")
        return cls(from_spec(inner, **options), path)

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        checked = validate_messages(messages)
        reply = self.inner.chat(checked, temperature=temperature, max_tokens=max_tokens, stop=stop, seed=seed)
        record = {
            "backend": self.inner.name,
            "messages": checked,
            "params": call_params(temperature, max_tokens, stop, seed),
            "response": reply,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return reply


class ReplayChatModel:
    """Answers the recorded calls of a transcript, in order.

    Each call must match the next record exactly (messages and sampling parameters); a call that does not,
    or one past the end of the transcript, raises :class:`ChatModelError` saying where it differs, so a replayed
    run either reproduces the recorded one exactly or stops.
    """

    def __init__(self, records: list[dict[str, Any]], *, source: str = "<memory>"):
        self.records = records
        self.source = source
        self.position = 0
        self.name = f"replay:{source}"

    @classmethod
    def from_spec(cls, argument: str, **options) -> ReplayChatModel:
        return cls.load(argument)

    @classmethod
    def load(cls, path: str | Path) -> ReplayChatModel:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"replay transcript {str(path)!r} does not exist")
        records = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
            if not isinstance(record, dict) or "messages" not in record or "response" not in record:
                raise ValueError(f"{path}:{number}: a record needs 'messages' and 'response'")
            records.append(record)
        return cls(records, source=str(path))

    def chat(
        self, messages: Sequence[Message], *, temperature=0.0, max_tokens=None, stop=None, seed=None
    ) -> str:
        checked = validate_messages(messages)
        if self.position >= len(self.records):
            raise ChatModelError(
                f"replay {self.source}: call {self.position + 1} is past the end of the transcript "
                f"({len(self.records)} recorded calls)"
            )
        record = self.records[self.position]
        call = self.position + 1
        recorded = record["messages"]
        if recorded != checked:
            where = _first_difference(recorded, checked)
            raise ChatModelError(f"replay {self.source}: call {call} does not match the recording ({where})")
        params = call_params(temperature, max_tokens, stop, seed)
        if "params" in record and record["params"] != params:
            raise ChatModelError(
                f"replay {self.source}: call {call} uses sampling parameters {params}, recorded {record['params']}"
            )
        self.position += 1
        return record["response"]


def _first_difference(recorded: list[dict], actual: list[dict]) -> str:
    for index, (a, b) in enumerate(zip(recorded, actual)):
        if a != b:
            return f"message {index} differs: recorded {a['role']}: {a['content'][:60]!r}, got {b['role']}: {b['content'][:60]!r}"
    return f"recorded {len(recorded)} messages, got {len(actual)}"
