"""Run an untrusted program in an isolated process and talk to it as a parent that trusts nothing.

:class:`ProgramSession` validates the source (:mod:`tactica.sandbox.validate`), has the process server fork a
locked-down process for it (:mod:`tactica.sandbox.spawner`, :mod:`tactica.sandbox.isolation`), and then calls
``task(namespace, *args)`` in that process as often as the caller needs (an env step plays hundreds of policy
calls in one process).  The task is a trusted module-level function, named by reference and imported in the
program's process; arguments and values cross as JSON frames (:mod:`tactica.sandbox.wire`), never pickle.

What comes back is checked, not believed: every frame is read with a size cap and before the session's
wall-time deadline, must match the reply schema (``value``/``error``/``stdout`` and nothing else), and a
``check`` function of the caller's may reject a value (the SMAC environment accepts only legal orders for the
units it owns, so a program can only report its actions; the battle is simulated by the parent).  Any breach
ends the session with a :class:`SandboxReport` and the program's whole process group killed.

>>> from tactica.sandbox import run_program
>>> from tactica.sandbox.tasks import call_function
>>> run_program("def f(x):\\n    return x + 1", call_function, ("f", 20)).value  # doctest: +SKIP
21
"""

from __future__ import annotations

import importlib
import os
import signal
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tactica.sandbox import isolation, wire
from tactica.sandbox.child import MESSAGE_CHARS, ProgramError, safe_builtins
from tactica.sandbox.isolation import SandboxUnavailable
from tactica.sandbox.validate import ProgramRejected, validate_source

__all__ = [
    "Limits",
    "SandboxReport",
    "ProgramError",
    "ProgramFailed",
    "ProgramSession",
    "SandboxUnavailable",
    "run_program",
    "safe_builtins",
]

ERROR_KINDS = ("syntax", "forbidden", "missing", "runtime", "memory", "cpu", "timeout", "crash", "protocol")
_CHILD_ERROR_KINDS = frozenset({"syntax", "forbidden", "missing", "runtime", "memory", "crash"})
_REAP_SECONDS = 2.0


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed program (one :class:`ProgramSession`).

    ``cpu_seconds`` is the program process's CPU time, ``wall_seconds`` the whole session's wall time (the
    caller's own work between calls included), ``memory_mb`` the address space the program may add,
    ``max_output_chars`` what ``print`` may write in total (cut before it is stored), ``max_message_bytes``
    the largest reply frame the parent reads.
    """

    cpu_seconds: float = 10.0
    wall_seconds: float = 20.0
    memory_mb: int = 512
    max_source_chars: int = 50_000
    max_output_chars: int = 10_000
    max_message_bytes: int = 1_000_000

    def __post_init__(self):
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
            if value != value or value == float("inf"):
                raise ValueError(f"Limits.{name} must be finite, got {value!r}")


@dataclass
class SandboxReport:
    """What happened: ``ok`` with ``value``, or an ``error_kind`` among :data:`ERROR_KINDS` with a
    ``message`` and the program ``line`` where known.  ``details["isolated"]`` says whether the program ran
    under OS isolation."""

    ok: bool
    value: Any = None
    error_kind: str | None = None
    message: str = ""
    line: int | None = None
    stdout: str = ""
    wall_seconds: float = 0.0
    details: dict = field(default_factory=dict)

    def describe(self) -> str:
        if self.ok:
            return "ok"
        where = f" (line {self.line})" if self.line else ""
        return f"{self.error_kind}{where}: {self.message}"


class ProgramFailed(Exception):
    """The program was rejected, failed, broke a limit or the protocol; ``report`` says which."""

    def __init__(self, report: SandboxReport):
        super().__init__(report.describe())
        self.report = report


def _task_reference(task: Callable[..., Any] | str) -> str:
    """``"module:qualname"`` of a module-level function, checked to import back to the same object."""
    if isinstance(task, str):
        reference = task
    else:
        module, qualname = getattr(task, "__module__", None), getattr(task, "__qualname__", "")
        reference = f"{module}:{qualname}"
    module_name, _, qualname = reference.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, ValueError):
        target = None
    if target is None or (not isinstance(task, str) and target is not task) or "<locals>" in qualname:
        raise TypeError(
            f"the sandbox task must be a module-level function importable as 'module:name', got {task!r}"
        )
    return reference


_warned_unisolated = False


def _warn_unisolated(reason: str) -> None:
    global _warned_unisolated
    if not _warned_unisolated:
        _warned_unisolated = True
        warnings.warn(
            f"running untrusted programs WITHOUT OS isolation ({reason}): they can read and write your files "
            "and use the network; see docs/security.md",
            RuntimeWarning,
            stacklevel=4,
        )


class ProgramSession:
    """One untrusted program loaded in its own isolated process; :meth:`call` runs the task there.

    Args:
        source: the program's Python source.
        task: a trusted module-level function ``task(namespace, *args)`` (or ``"module:name"``) run in the
            program's process with the program's global namespace.
        limits: :class:`Limits` of the whole session.
        required: top-level functions the program must define.
        allow_unisolated: run even where OS isolation is unavailable (default: the
            ``TACTICA_SANDBOX_UNISOLATED`` environment variable; otherwise :class:`SandboxUnavailable`).

    Raises :class:`ProgramFailed` (rejected source, program error, limit, protocol breach; the process is
    gone) from the constructor and from :meth:`call`.  Use it as a context manager.
    """

    def __init__(
        self,
        source: str,
        task: Callable[..., Any] | str,
        *,
        limits: Limits | None = None,
        required: tuple[str, ...] = (),
        allow_unisolated: bool | None = None,
    ):
        self.limits = limits or Limits()
        self.started = time.perf_counter()
        self.deadline = time.monotonic() + self.limits.wall_seconds
        self._stdout: list[str] = []
        self._stdout_chars = 0
        self._pid: int | None = None
        self._to_child = self._from_child = -1
        self.isolated = False
        try:
            validate_source(source, required=required, max_chars=self.limits.max_source_chars)
        except ProgramRejected as exc:
            report = SandboxReport(False, error_kind=exc.kind, message=exc.message, line=exc.line)
            raise ProgramFailed(report) from None
        reference = _task_reference(task)
        from tactica.sandbox.spawner import get_spawner

        try:
            self._spawner = get_spawner()
        except OSError as exc:
            raise SandboxUnavailable(str(exc)) from None
        self.isolated = self._spawner.isolated
        if not self.isolated:
            if not isolation.opted_out(allow_unisolated):
                raise SandboxUnavailable(
                    f"untrusted programs run only under OS isolation, which is unavailable here: "
                    f"{self._spawner.reason}. To run them with only the Python-level checks and resource limits "
                    f"(they could then read and write your files and use the network), pass "
                    f"allow_unisolated=True or set {isolation.UNISOLATED_ENV}=1; see docs/security.md"
                )
            _warn_unisolated(self._spawner.reason)
        config = {
            "cpu_seconds": self.limits.cpu_seconds,
            "memory_mb": self.limits.memory_mb,
            "max_output_chars": self.limits.max_output_chars,
            "max_request_bytes": max(self.limits.max_source_chars * 4 + 1024, 1 << 20),
        }
        self._pid, self._to_child, self._from_child = self._spawner.spawn(reference, config)
        self._replies = wire.FrameReader(self._from_child)
        try:
            self._expect("ready")
            self._send(
                {"source": source, "required": list(required), "max_chars": self.limits.max_source_chars}
            )
            self._expect("loaded")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ use
    @property
    def stdout(self) -> str:
        """Everything the program printed so far (at most ``limits.max_output_chars`` characters)."""
        return "".join(self._stdout)

    @property
    def wall_seconds(self) -> float:
        return time.perf_counter() - self.started

    def call(self, *args: Any, check: Callable[[Any], Any] | None = None) -> Any:
        """``task(namespace, *args)`` in the program's process; ``check(value)`` may reject the value by
        raising ``ValueError``/``TypeError`` (the session then fails with kind ``protocol``)."""
        if self._pid is None:
            raise RuntimeError("the program session is closed")
        self._send({"args": list(args)})  # TypeError/ValueError here: the caller's arguments are not JSON
        value = self._expect("value")
        if check is not None:
            try:
                return check(value)
            except (ValueError, TypeError) as exc:
                self._fail("protocol", f"the program's process sent an invalid value: {exc}")
        return value

    def report(self, value: Any = None) -> SandboxReport:
        """A successful report with ``value`` and the output so far."""
        return SandboxReport(
            True, value=value, stdout=self.stdout, wall_seconds=self.wall_seconds, details=self._details()
        )

    def close(self) -> dict[str, Any] | None:
        """Kill the program's process group and reap it; how it ended (``None`` if already closed)."""
        self._close_fds()
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        _kill_group(pid)
        try:
            return self._spawner.reap(pid, _REAP_SECONDS)
        except OSError:
            return None

    def __enter__(self) -> ProgramSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ protocol
    def _details(self) -> dict[str, Any]:
        return {"isolated": self.isolated}

    def _send(self, message: dict[str, Any]) -> None:
        try:
            wire.write_frame(self._to_child, message, self.deadline)
        except wire.WireError as exc:
            self._wire_failure(exc)

    def _expect(self, key: str) -> Any:
        try:
            message = self._replies.read(self.limits.max_message_bytes, self.deadline)
        except wire.WireError as exc:
            self._wire_failure(exc)
        if not isinstance(message, dict):
            self._fail("protocol", f"the program's process sent a {type(message).__name__}, not a reply")
        keys = set(message)
        if key == "ready":
            if message == {"ready": True}:
                return True
        elif keys == {key, "stdout"} or keys == {"error", "stdout"}:
            self._take_stdout(message["stdout"])
            if "error" in message:
                kind, text, line = self._checked_error(message["error"])
                self._fail(kind, text, line)
            return message[key]
        if (
            "error" in message
            and isinstance(message["error"], dict)
            and message["error"].get("kind") == "crash"
        ):
            kind, text, line = self._checked_error(message["error"])
            self._fail(kind, text, line)
        self._fail("protocol", f"the program's process sent an unexpected reply with keys {sorted(keys)[:8]}")

    def _take_stdout(self, text: Any) -> None:
        if not isinstance(text, str):
            self._fail("protocol", "the program's process sent output that is not text")
        room = self.limits.max_output_chars - self._stdout_chars
        if room > 0 and text:
            self._stdout.append(text[:room])
            self._stdout_chars += min(len(text), room)

    def _checked_error(self, error: Any) -> tuple[str, str, int | None]:
        if not isinstance(error, dict) or set(error) != {"kind", "message", "line"}:
            self._fail("protocol", "the program's process sent a malformed error")
        kind, text, line = error["kind"], error["message"], error["line"]
        if kind not in _CHILD_ERROR_KINDS or not isinstance(text, str):
            self._fail("protocol", "the program's process sent a malformed error")
        if line is not None and (isinstance(line, bool) or not isinstance(line, int) or not 0 < line < 10**7):
            line = None
        return kind, text[:MESSAGE_CHARS], line

    def _wire_failure(self, exc: wire.WireError):
        if exc.timeout:
            self._fail(
                "timeout",
                f"the program ran longer than the {self.limits.wall_seconds:g} s wall-time limit and was stopped",
            )
        if exc.closed:
            self._ended()
        self._fail("protocol", f"the program's process broke the protocol: {exc}")

    def _ended(self):
        """The process closed its pipe: find out how it ended (CPU limit, crash), then report it."""
        pid = self._pid
        status: dict[str, Any] | None = None
        if pid is not None:
            try:
                status = self._spawner.reap(pid, 0.5)
            except OSError:
                status = None
            if status and status.get("status") != "running":
                self._pid = None
                self._close_fds()
        signum = (status or {}).get("signal")
        if signum in (signal.SIGXCPU, signal.SIGKILL):
            self._fail(
                "cpu",
                f"the program used more than the {self.limits.cpu_seconds:g} s CPU-time limit and was stopped",
            )
        if status and status.get("status") == "signaled":
            how = f"signal {signum}"
        elif status and status.get("status") == "exited":
            how = f"exit code {status.get('code')}"
        else:
            how = "its output closed"
        self._fail("crash", f"the program's process ended without a result ({how})")

    def _close_fds(self) -> None:
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_child = self._from_child = -1

    def _fail(self, kind: str, message: str, line: int | None = None):
        self.close()
        raise ProgramFailed(
            SandboxReport(
                False,
                error_kind=kind,
                message=message,
                line=line,
                stdout=self.stdout,
                wall_seconds=self.wall_seconds,
                details=self._details(),
            )
        )


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(
    source: str,
    task: Callable[..., Any] | str,
    args: tuple = (),
    *,
    limits: Limits | None = None,
    required: tuple[str, ...] = (),
    check: Callable[[Any], Any] | None = None,
    allow_unisolated: bool | None = None,
) -> SandboxReport:
    """Validate ``source``, run it in an isolated process and return ``task(namespace, *args)``'s value.

    ``task`` is a trusted module-level function (see :class:`ProgramSession`); ``args`` and the value are
    JSON data.  Rejections (syntax, forbidden constructs, missing functions) come back without starting a
    process; every failure is a report, never an exception, except :class:`SandboxUnavailable`.
    """
    try:
        with ProgramSession(
            source, task, limits=limits, required=required, allow_unisolated=allow_unisolated
        ) as session:
            value = session.call(*args, check=check)
            return session.report(value)
    except ProgramFailed as failure:
        return failure.report
