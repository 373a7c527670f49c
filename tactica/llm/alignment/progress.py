"""Progress for long alignment work: a rich bar on a terminal, plain lines (on stderr) otherwise."""

from __future__ import annotations

import sys
import time

__all__ = ["StepProgress"]


class StepProgress:
    """``with StepProgress(total, "align") as bar: bar.update(step, "loss 0.52")``.

    On a terminal this is a rich progress bar; when stdout is not a terminal it prints a plain line to stderr
    about every tenth of the run (and at the end); ``enabled=False`` prints nothing.
    """

    def __init__(self, total: int, label: str, *, enabled: bool = True, start: int = 0):
        self.total = max(1, total)
        self.label = label
        self.enabled = enabled
        self.interactive = enabled and sys.stdout.isatty()
        self.start_step = start
        self._bar = None
        self._task = None
        self._next_line = start
        self._started = time.perf_counter()

    def __enter__(self) -> StepProgress:
        if self.interactive:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn(f"[bold]{self.label}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
            )  # fmt: skip
            self._task = self._bar.add_task(
                self.label, total=self.total, completed=self.start_step, status=""
            )
            self._bar.start()
        return self

    def update(self, step: int, status: str = "") -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=step, status=status)
        elif step >= self._next_line or step >= self.total:
            elapsed = time.perf_counter() - self._started
            print(
                f"{self.label}: step {step}/{self.total} {status} ({elapsed:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            self._next_line = step + max(1, self.total // 10)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
