"""A scripted ChatModel: answers from a fixed list (tests, examples, offline demos)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from tactica.llm.base import ChatModelError, Message, validate_messages

__all__ = ["ScriptedChatModel"]


class ScriptedChatModel:
    """Returns the scripted responses in order (or a function of the messages).

    Args:
        responses: the replies, in order, or a callable ``messages -> reply``.
        cycle: start again from the first reply when the list runs out (otherwise that raises).
    """

    def __init__(self, responses: Sequence[str] | Callable[[list[Message]], str], *, cycle: bool = False):
        if callable(responses):
            self._respond = responses
            self._responses: list[str] = []
        else:
            self._responses = [str(r) for r in responses]
            if not self._responses:
                raise ValueError("a scripted model needs at least one response")
            self._respond = None
        self.cycle = cycle
        self.calls: list[list[Message]] = []
        self.name = "scripted"

    @classmethod
    def from_spec(cls, argument: str, **options) -> ScriptedChatModel:
        """``scripted:["a", "b"]`` (inline JSON list) or ``scripted:path/to/responses.json``; with a ``cycle:``
        prefix (``scripted:cycle:["a", "b"]``) the replies start again from the first when they run out."""
        if argument.startswith("cycle:"):
            argument = argument.removeprefix("cycle:")
            options = {**options, "cycle": True}
        try:
            text = argument if argument.lstrip().startswith("[") else Path(argument).read_text()
        except OSError as exc:
            raise ValueError(f"cannot read scripted responses from {argument!r}: {exc.strerror}") from None
        try:
            responses = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"scripted responses must be a JSON list of strings: {exc}") from None
        if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
            raise ValueError("scripted responses must be a JSON list of strings")
        return cls(responses, **options)

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        checked = validate_messages(messages)
        self.calls.append(checked)
        if self._respond is not None:
            reply = self._respond(checked)
        else:
            index = len(self.calls) - 1
            if index >= len(self._responses) and not self.cycle:
                raise ChatModelError(
                    f"scripted model has only {len(self._responses)} responses; call {index + 1}"
                )
            reply = self._responses[index % len(self._responses)]
        for s in stop or ():
            cut = reply.find(s)
            if cut >= 0:
                reply = reply[:cut]
        return reply
