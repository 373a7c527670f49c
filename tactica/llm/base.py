"""The one door to language models: the :class:`ChatModel` protocol and the backend spec registry."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypedDict, runtime_checkable

from tactica.errors import InvalidSpecError, UnknownIdError

__all__ = [
    "ChatModel",
    "Message",
    "ChatModelError",
    "LLM_ENV_VAR",
    "from_spec",
    "validate_spec",
    "register_backend",
    "backends",
    "validate_messages",
    "default_temperature",
]


class Message(TypedDict):
    """One chat message, as in the OpenAI chat format."""

    role: str
    content: str


class ChatModelError(RuntimeError):
    """A backend could not produce an answer (endpoint unreachable, error status, replay mismatch...)."""


@runtime_checkable
class ChatModel(Protocol):
    """A chat language model.

    ``chat`` returns the assistant's reply to ``messages``.  ``temperature=0`` asks for greedy decoding;
    ``seed`` asks for reproducible sampling where the backend supports it; ``stop`` strings end the reply and
    are not included in it.  ``name`` identifies the backend and model (it keys the on-disk cache).
    """

    name: str

    def chat(
        self,
        messages: Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> str: ...


def default_temperature(model: ChatModel) -> float:
    """The temperature ``model`` recommends for its own replies: its ``default_temperature`` attribute (a PLM
    checkpoint's ``generation_config.json`` sets it), looked up through wrappers (cache, recording) by their
    ``inner`` model; 0.0 (greedy) for a model that declares none."""
    while model is not None:
        value = getattr(model, "default_temperature", None)
        if value is not None:
            return float(value)
        model = getattr(model, "inner", None)
    return 0.0


_ROLES = ("system", "user", "assistant", "tool", "developer")


def validate_messages(messages: Sequence[Message]) -> list[Message]:
    """Check the chat format and return the messages as a list of plain dicts."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TypeError("messages must be a list of {'role': ..., 'content': ...} dicts")
    if not messages:
        raise ValueError("messages must not be empty")
    checked: list[Message] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"messages[{index}] must be a dict with 'role' and 'content'")
        if message["role"] not in _ROLES:
            raise ValueError(
                f"messages[{index}]['role'] is {message['role']!r}; accepted: {', '.join(_ROLES)}"
            )
        if not isinstance(message["content"], str):
            raise TypeError(f"messages[{index}]['content'] must be a str")
        checked.append({"role": message["role"], "content": message["content"]})
    return checked


# scheme -> "module:factory"; the factory takes the text after "scheme:" and keyword options.
_BACKENDS: dict[str, str] = {
    "openai": "tactica.llm.openai_backend:OpenAIChatModel.from_spec",
    "replay": "tactica.llm.replay:ReplayChatModel.from_spec",
    "scripted": "tactica.llm.scripted:ScriptedChatModel.from_spec",
    "plm": "tactica.llm.plm_backend:PLMChatModel.from_spec",
    "record": "tactica.llm.replay:RecordingChatModel.from_spec",
    "expert": "tactica.agents.llm_prior.expert_prior:ExpertPriorChatModel.from_spec",
}


def register_backend(scheme: str, factory: str) -> None:
    """Register a spec scheme, e.g. ``register_backend("plm", "tactica.llm.plm.backend:PLMChatModel.from_spec")``."""
    if not scheme.isidentifier():
        raise ValueError(f"backend scheme {scheme!r} must be an identifier")
    _BACKENDS[scheme] = factory


def backends() -> dict[str, str]:
    """Registered spec schemes and their factories."""
    return dict(_BACKENDS)


def _resolve(path: str) -> Callable[..., Any]:
    module_name, _, attrs = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for attr in attrs.split("."):
        obj = getattr(obj, attr)
    return obj


def from_spec(spec: str | ChatModel, *, cache: str | None = None, record: str | None = None, **options: Any):
    """Build a :class:`ChatModel` from a spec string.

    Specs: ``openai:<model>@<base_url>`` (``openai:<model>`` uses the default endpoint or ``OPENAI_BASE_URL``),
    ``replay:<transcript.jsonl>``, ``scripted:<file.json>``, ``record:<transcript.jsonl>=<spec>`` (``<spec>``
    with every call appended to the transcript), ``expert:<task>?p=<p>`` (the scripted prior of
    :mod:`tactica.agents.llm_prior.expert_prior`), and any scheme added with
    :func:`register_backend` (``plm:<checkpoint dir>``).  ``cache=`` wraps the model in an on-disk SQLite cache;
    ``record=`` appends every call to a JSONL transcript that ``replay:`` can answer later.  A ChatModel
    instance is passed through (wrapped if asked).
    """
    if isinstance(spec, str):
        scheme, sep, rest = spec.partition(":")
        if not sep or not rest:
            raise InvalidSpecError(
                f"backend spec {spec!r} must have the form SCHEME:ARGUMENT; schemes: {', '.join(sorted(_BACKENDS))}"
            )
        if scheme not in _BACKENDS:
            raise UnknownIdError("backend scheme", scheme, list(_BACKENDS))
        model = _resolve(_BACKENDS[scheme])(rest, **options)
    elif isinstance(spec, ChatModel):
        model = spec
    else:
        raise TypeError(f"expected a spec string or a ChatModel, got {type(spec).__name__}")
    if cache is not None:
        from tactica.llm.cache import CachedChatModel

        model = CachedChatModel(model, cache)
    if record is not None:
        from tactica.llm.replay import RecordingChatModel

        model = RecordingChatModel(model, record)
    return model


LLM_ENV_VAR = "TACTICA_LLM"
"""Environment variable holding the default language-model spec of the CLI's LLM agents."""


def validate_spec(spec: str, option: str = "--llm") -> None:
    """Build the model once and raise ``ValueError`` naming ``option`` if the spec cannot give a model.

    Commands check a spec before they start (exit 2 on a bad one) instead of letting every agent built from it
    fail on its own.  A missing optional dependency still raises :class:`tactica.errors.MissingDependency`.
    """
    from tactica.errors import MissingDependency

    try:
        from_spec(spec)
    except MissingDependency:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the backend objects to, the spec is at fault
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{option} {spec!r} is not a usable language-model spec: {reason}") from None
