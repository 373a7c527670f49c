"""Ready-made sandbox tasks: trusted functions that run in the program's process (see :class:`ProgramSession`)."""

from __future__ import annotations

from typing import Any

from tactica.sandbox.child import ProgramError

__all__ = ["call_function"]


def call_function(namespace: dict[str, Any], name: str, *args: Any) -> Any:
    """Call the program's top-level function ``name`` with ``args`` and return its (JSON) value."""
    function = namespace.get(name)
    if not callable(function):
        raise ProgramError(f"the program must define a function '{name}'")
    return function(*args)
