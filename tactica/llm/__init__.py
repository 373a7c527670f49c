"""Language models for agents: the :class:`ChatModel` protocol and backends chosen by a spec string.

>>> from tactica.llm import from_spec
>>> model = from_spec("scripted:" + '["hello"]')
>>> model.chat([{"role": "user", "content": "hi"}])
'hello'
"""

from tactica.llm.base import (
    ChatModel,
    ChatModelError,
    Message,
    backends,
    from_spec,
    register_backend,
    validate_messages,
)

__all__ = [
    "ChatModel",
    "ChatModelError",
    "Message",
    "backends",
    "from_spec",
    "register_backend",
    "validate_messages",
]
