"""The program's side of the sandbox: runs inside the locked-down process, never in the caller's.

:func:`serve` reads the program's source from the request pipe, executes it with :func:`safe_builtins` (a
``print`` that writes to a capped buffer, an ``__import__`` that hands out only the names of
:data:`tactica.sandbox.validate.MODULE_EXPORTS`), then answers each call with ``task(namespace, *args)``.
Every reply is one JSON frame: ``{"ready"}``, ``{"loaded"}``, ``{"value"}`` or ``{"error": {kind, message,
line}}``, each with the program's new ``stdout``.  Nothing here is trusted by the parent: it checks every reply
against a schema (:mod:`tactica.sandbox.runner`).
"""

from __future__ import annotations

import builtins
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

from tactica.sandbox.validate import FORBIDDEN_NAMES, MODULE_EXPORTS, ProgramRejected, compile_program
from tactica.sandbox.wire import FrameReader, write_frame

__all__ = ["ProgramError", "safe_builtins", "serve", "REQUEST_FD", "REPLY_FD"]

REQUEST_FD = 3
REPLY_FD = 4
MESSAGE_CHARS = 2000  # longest error message sent back

_SAFE_NAMES = (
    "abs all any bool dict divmod enumerate filter float frozenset int isinstance issubclass iter len list map "
    "max min next pow range repr reversed round set slice sorted str sum tuple zip chr ord bin hex oct hash "
    "callable print ArithmeticError AssertionError AttributeError Exception IndexError KeyError LookupError "
    "NameError RuntimeError StopIteration TypeError ValueError ZeroDivisionError True False None"
).split()


class ProgramError(Exception):
    """Raised by a task when the program misbehaves (bad return value, bad order); the message is reported."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class Output:
    """The program's printed text, capped: a write that would pass ``limit`` characters is cut first."""

    def __init__(self, limit: int):
        self.limit = int(limit)
        self.used = 0
        self.parts: list[str] = []
        self.truncated = False

    def write(self, text: str) -> None:
        room = self.limit - self.used
        if len(text) > room:
            text = text[: max(room, 0)]
            self.truncated = True
        if text:
            self.parts.append(text)
            self.used += len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def _module_views() -> dict[str, types.ModuleType]:
    """For each allowed module, a module object holding only its exported names (no ``statistics.sys``)."""
    import importlib

    views: dict[str, types.ModuleType] = {}
    for name, exports in MODULE_EXPORTS.items():
        real = importlib.import_module(name)
        view = types.ModuleType(name)
        for attr in exports if exports is not None else [n for n in dir(real) if not n.startswith("_")]:
            value = getattr(real, attr)
            if not isinstance(value, types.ModuleType):  # a re-exported module is never handed out
                setattr(view, attr, value)
        views[name] = view
    # submodule views become attributes of their parent's view (collections.abc)
    for name, view in views.items():
        if "." in name:
            parent, _, attr = name.rpartition(".")
            setattr(views[parent], attr, view)
    return views


_MODULES = _module_views()


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name not in _MODULES:
        raise ImportError(f"import of {name!r} is not allowed")
    return _MODULES[name] if fromlist else _MODULES[name.split(".")[0]]


def safe_builtins(write: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The builtins a program sees: pure functions and exceptions; ``print`` hands its text to ``write``."""
    table = {name: getattr(builtins, name) for name in _SAFE_NAMES if name not in FORBIDDEN_NAMES}
    sink = write or (lambda text: None)

    def _print(*args, sep=" ", end="\n", **_ignored):
        sink(str(sep).join(str(a) for a in args) + str(end))

    table["print"] = _print
    table["__import__"] = _guarded_import
    return table


def _program_line(tb) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == "<program>":
            line = lineno
    return line


def _error(kind: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message[:MESSAGE_CHARS], "line": line}}


def _describe(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, MemoryError):
        return _error("memory", "MemoryError: the program exceeded the memory limit")
    if isinstance(exc, ProgramRejected):
        return _error(exc.kind, exc.message, exc.line)
    if isinstance(exc, ProgramError):
        return _error("runtime", str(exc), exc.line)
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # a str() that raises
        text = type(exc).__name__
    return _error("runtime", text, _program_line(exc.__traceback__))


def serve(task: Callable[..., Any], *, max_output_chars: int, max_request_bytes: int) -> None:
    """Load the program sent on :data:`REQUEST_FD`, then answer calls until the parent closes the pipe."""
    output = Output(max_output_chars)

    def reply(message: dict[str, Any]) -> None:
        message["stdout"] = output.take()
        try:
            write_frame(REPLY_FD, message)
        except (TypeError, ValueError, RecursionError):  # the task's value is not plain, finite data
            write_frame(REPLY_FD, _error("runtime", "the program returned a value that is not plain data"))

    requests = FrameReader(REQUEST_FD)
    write_frame(REPLY_FD, {"ready": True})
    sys.setrecursionlimit(400)
    namespace: dict[str, Any] = {"__builtins__": safe_builtins(output.write), "__name__": "program"}
    request = requests.read(max_request_bytes, eof_ok=True)
    if request is None:
        return
    try:
        code = compile_program(
            request["source"], required=tuple(request["required"]), max_chars=request["max_chars"]
        )
        exec(code, namespace)
        reply({"loaded": True})
    except BaseException as exc:  # the program's own failure, reported with its line
        reply(_describe(exc))
        return
    while (request := requests.read(max_request_bytes, eof_ok=True)) is not None:
        try:
            value = task(namespace, *request["args"])
        except BaseException as exc:
            reply(_describe(exc))
            return
        reply({"value": value})


def run_worker(task: Callable[..., Any], config: dict[str, Any], rules: Any) -> None:
    """The body of a freshly forked program process (descriptors already on 3 and 4); never returns."""
    from tactica.sandbox.isolation import lock_down

    code = 0
    try:
        lock_down(config["cpu_seconds"], config["memory_mb"], REPLY_FD + 1, rules)
    except BaseException as exc:
        try:
            write_frame(REPLY_FD, _error("crash", f"the sandbox could not lock the process down: {exc}"))
        finally:
            os._exit(71)
    try:
        serve(
            task, max_output_chars=config["max_output_chars"], max_request_bytes=config["max_request_bytes"]
        )
    except BaseException:  # a broken pipe or a malformed request: the parent is gone or misbehaving
        code = 72
    os._exit(code)
