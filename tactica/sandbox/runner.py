"""Run a validated program in a separate process with CPU-time, wall-time and memory limits.

The parent compiles the program (after :func:`tactica.sandbox.validate.validate_source`), forks a child, and in
the child: lowers its resource limits with ``resource.setrlimit`` (CPU seconds, address space, no file writes,
no core dumps, no new processes), executes the program with a small set of safe builtins, calls
``task(namespace, *args)`` and sends the result back through a pipe.  The parent waits at most the wall-time
limit and kills the child after it.  Whatever the program does, the caller gets a :class:`SandboxReport`.
"""

from __future__ import annotations

import builtins
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tactica.sandbox.validate import ALLOWED_MODULES, FORBIDDEN_NAMES, ProgramRejected, compile_program

__all__ = ["Limits", "SandboxReport", "run_program", "safe_builtins", "ProgramError"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    cpu_seconds: float = 10.0
    wall_seconds: float = 20.0
    memory_mb: int = 512
    max_source_chars: int = 50_000
    max_output_chars: int = 10_000

    def __post_init__(self):
        for name in ("cpu_seconds", "wall_seconds", "memory_mb", "max_source_chars", "max_output_chars"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")


@dataclass
class SandboxReport:
    """What happened: ``ok`` with ``value``, or an ``error_kind`` among syntax, forbidden, missing, runtime,
    memory, cpu, timeout, crash, with a ``message`` and the program ``line`` where known."""

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


class ProgramError(Exception):
    """Raised by a task when the program misbehaves (bad return value, bad order); the message is reported."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


_SAFE_NAMES = (
    "abs all any bool dict divmod enumerate filter float frozenset int isinstance issubclass iter len list map "
    "max min next pow range repr reversed round set slice sorted str sum tuple zip chr ord bin hex oct hash "
    "callable print ArithmeticError AssertionError AttributeError Exception IndexError KeyError LookupError "
    "NameError RuntimeError StopIteration TypeError ValueError ZeroDivisionError True False None"
).split()


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name.split(".")[0] not in ALLOWED_MODULES:
        raise ImportError(f"import of {name!r} is not allowed")
    return __import__(name, globals, locals, fromlist, level)


def safe_builtins(output: list[str] | None = None, max_output_chars: int = 10_000) -> dict[str, Any]:
    """The builtins a program sees: pure functions and exceptions; ``print`` writes to ``output``."""
    table = {name: getattr(builtins, name) for name in _SAFE_NAMES if name not in FORBIDDEN_NAMES}
    sink = output if output is not None else []

    def _print(*args, sep=" ", end="\n", **_ignored):
        if sum(len(s) for s in sink) < max_output_chars:
            sink.append(sep.join(str(a) for a in args) + end)

    table["print"] = _print
    table["__import__"] = _guarded_import
    return table


def _set_limits(limits: Limits) -> None:
    import resource

    cpu = max(1, int(limits.cpu_seconds + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):  # pragma: no cover - some platforms refuse
        pass
    current = _address_space_bytes()
    budget = current + int(limits.memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - non-Linux
        pass
    return 0


def _program_line(tb) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == "<program>":
            line = lineno
    return line


def _child(conn, code, task, args, limits: Limits) -> None:
    output: list[str] = []
    try:
        _set_limits(limits)
        sys.setrecursionlimit(400)
        namespace: dict[str, Any] = {"__builtins__": safe_builtins(output, limits.max_output_chars)}
        namespace["__name__"] = "program"
        exec(code, namespace)
        value = task(namespace, *args)
        conn.send(("ok", value, None, None, "".join(output)))
    except MemoryError:
        conn.send(
            ("error", "memory", "MemoryError: the program exceeded the memory limit", None, "".join(output))
        )
    except ProgramError as exc:
        conn.send(("error", "runtime", str(exc), exc.line, "".join(output)))
    except BaseException as exc:  # the program's own exception, reported with its line
        message = f"{type(exc).__name__}: {exc}"[:2000]
        try:
            conn.send(("error", "runtime", message, _program_line(exc.__traceback__), "".join(output)))
        except BaseException:  # pragma: no cover - unpicklable or pipe gone
            pass
    finally:
        conn.close()
        os._exit(0)


def run_program(
    source: str,
    task: Callable[..., Any],
    args: tuple = (),
    *,
    limits: Limits | None = None,
    required: tuple[str, ...] = (),
) -> SandboxReport:
    """Validate ``source``, run it in a limited child process and return ``task(namespace, *args)``'s value.

    ``task`` must be a module-level function (it runs in the child); it receives the program's namespace, so it
    can call the functions the program defined.  Rejections (syntax, forbidden constructs, missing functions)
    come back without starting a process.
    """
    limits = limits or Limits()
    start = time.perf_counter()
    try:
        code = compile_program(source, required=required, max_chars=limits.max_source_chars)
    except ProgramRejected as exc:
        return SandboxReport(False, error_kind=exc.kind, message=exc.message, line=exc.line)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, code, task, args, limits), daemon=True)
    process.start()
    sender.close()
    message = None
    try:
        if receiver.poll(limits.wall_seconds):
            message = receiver.recv()
    except (EOFError, OSError):
        message = None
    finally:
        if process.is_alive():
            process.join(0.5)
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    elapsed = time.perf_counter() - start
    if message is not None:
        status, value, *rest = message
        if status == "ok":
            return SandboxReport(True, value=value, stdout=rest[2], wall_seconds=elapsed)
        kind, text, line, stdout = value, rest[0], rest[1], rest[2]
        return SandboxReport(
            False, error_kind=kind, message=text, line=line, stdout=stdout, wall_seconds=elapsed
        )
    code_ = process.exitcode
    if elapsed >= limits.wall_seconds:
        return SandboxReport(
            False,
            error_kind="timeout",
            message=f"the program ran longer than the {limits.wall_seconds:g} s wall-time limit and was stopped",
            wall_seconds=elapsed,
        )
    if code_ is not None and code_ < 0 and -code_ in (signal.SIGXCPU, signal.SIGKILL):
        return SandboxReport(
            False,
            error_kind="cpu",
            message=f"the program used more than the {limits.cpu_seconds:g} s CPU-time limit and was stopped",
            wall_seconds=elapsed,
        )
    return SandboxReport(
        False,
        error_kind="crash",
        message=f"the program's process ended without a result (exit code {code_})",
        wall_seconds=elapsed,
    )
