"""Progress of long work: a rich bar on a terminal, plain lines in a log.

:func:`progress_bar` returns an object with the part of ``rich.progress.Progress``'s interface that tactica's
long commands use (``add_task``, ``update``, ``advance``, ``start``, ``stop``, ``with``).  When standard error is
a terminal it is a rich progress bar there; otherwise (CI logs, ``| tee``, a notebook's captured output) it
writes one plain line per noticeable step instead, at most one per ``interval_s`` seconds or per tenth of the
work, plus one at the end, so a log shows how far a run got and how long is left::

    leaderboard: 24/84 (29%), 00:31 elapsed, about 01:17 left, SMAC-v2 / random #2 ok

Progress goes to standard error so that standard output (tables, ``--json``) stays clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

__all__ = ["PlainProgress", "progress_bar"]


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class PlainProgress:
    """Progress as plain lines (see the module docstring); the same calls as a rich ``Progress``."""

    def __init__(
        self,
        label: str | None = None,
        fields: Sequence[str] = (),
        *,
        stream: TextIO | None = None,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.fields = tuple(fields)
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s = float(interval_s)
        self.clock = clock
        self.tasks: dict[int, dict[str, Any]] = {}

    # -- rich.progress.Progress's calls ----------------------------------------------------------------------
    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        """The final line of every task not reported at its current count yet."""
        for task in self.tasks.values():
            if task["reported"] != task["completed"]:
                self._line(task)

    def add_task(
        self, description: str, total: float | None = None, completed: float = 0, **fields: Any
    ) -> int:
        task_id = len(self.tasks)
        now = self.clock()
        self.tasks[task_id] = {
            "description": description,
            "total": total,
            "completed": completed,
            "start": now,
            "start_completed": completed,
            "last_time": now,
            "reported": None,
            "fields": {name: fields.get(name, "") for name in self.fields},
        }
        self._line(self.tasks[task_id])
        return task_id

    def update(
        self,
        task_id: int,
        *,
        completed: float | None = None,
        advance: float | None = None,
        total: float | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> None:
        task = self.tasks[task_id]
        if total is not None:
            task["total"] = total
        if completed is not None:
            task["completed"] = completed
        if advance is not None:
            task["completed"] += advance
        if description is not None:
            task["description"] = description
        task["fields"].update({k: v for k, v in fields.items() if k in task["fields"]})
        if self._due(task):
            self._line(task)

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    # -- plain lines -------------------------------------------------------------------------------------------
    def _due(self, task: dict[str, Any]) -> bool:
        total, done = task["total"], task["completed"]
        if total and done >= total:  # finished: once (SB3 may count past its total)
            return task["reported"] is None or task["reported"] < total
        if self.clock() - task["last_time"] >= self.interval_s:
            return True
        if total and task["reported"] is not None:
            return int(10 * done / total) > int(10 * task["reported"] / total)  # a new tenth of the work
        return False

    def _line(self, task: dict[str, Any]) -> None:
        now = self.clock()
        done, total = task["completed"], task["total"]
        elapsed = now - task["start"]
        parts = [
            f"{_number(done)}/{_number(total)} ({100 * done / total:.0f}%)" if total else f"{_number(done)}"
        ]
        parts.append(f"{_clock(elapsed)} elapsed")
        rate_done = done - task["start_completed"]
        if total and 0 < rate_done and done < total:
            parts.append(f"about {_clock(elapsed / rate_done * (total - done))} left")
        parts += [str(value) for value in task["fields"].values() if value not in ("", None)]
        name = self.label or task["description"]
        print(f"{name}: {', '.join(parts)}", file=self.stream, flush=True)
        task["last_time"], task["reported"] = now, done


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value)}"


def progress_bar(
    label: str | None = None,
    fields: Sequence[str] = (),
    *,
    disable: bool = False,
    transient: bool = False,
    stream: TextIO | None = None,
):
    """A progress display for long work, written to ``stream`` (standard error by default).

    Args:
        label: the name shown before the bar (default: each task's description).
        fields: extra task fields shown after the bar (``add_task(..., status="")``, ``update(..., status=...)``).
        disable: show nothing (``--json``, ``--no-progress``); the object still takes every call.
        transient: on a terminal, remove the bar when done.
        stream: where to write; a terminal gets a rich bar, anything else plain lines.
    """
    stream = stream if stream is not None else sys.stderr
    if disable or not _is_terminal(stream):
        if disable:
            return _Silent()
        return PlainProgress(label, fields, stream=stream)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn(f"[bold]{label}" if label else "[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        *(TextColumn(f"{{task.fields[{name}]}}") for name in fields),
    ]
    return Progress(*columns, console=Console(file=stream), transient=transient)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class _Silent(PlainProgress):
    """Takes every call and writes nothing."""

    def __init__(self) -> None:
        super().__init__()

    def _line(self, task: dict[str, Any]) -> None:
        task["reported"] = task["completed"]
