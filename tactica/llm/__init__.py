"""Language models for agents: the :class:`ChatModel` protocol and backends chosen by a spec string.

>>> from tactica.llm import from_spec
>>> model = from_spec("scripted:" + '["hello"]')
>>> model.chat([{"role": "user", "content": "hi"}])
'hello'
"""

from tactica.llm.base import (
    LLM_ENV_VAR,
    ChatModel,
    ChatModelError,
    Message,
    backends,
    default_temperature,
    from_spec,
    register_backend,
    validate_messages,
    validate_spec,
)

__all__ = [
    "LLM_ENV_VAR",
    "ChatModel",
    "ChatModelError",
    "Message",
    "backends",
    "default_temperature",
    "from_spec",
    "register_backend",
    "validate_messages",
    "validate_spec",
]
