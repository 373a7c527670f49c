"""Progress of long work: plain lines when standard error is not a terminal, a rich bar when it is."""

from __future__ import annotations

import io

from tactica.progress import PlainProgress, progress_bar


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_at_start_each_tenth_each_interval_and_end():
    stream, clock = io.StringIO(), FakeClock()
    with PlainProgress(fields=("last",), stream=stream, interval_s=30, clock=clock) as bar:
        task = bar.add_task("leaderboard", total=200, last="")
        for step in range(1, 201):
            clock.now = step * 0.5  # 100 s in all: 2 steps a second
            bar.update(task, advance=1, last=f"episode {step}")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "leaderboard: 0/200 (0%), 00:00 elapsed"
    assert lines[1] == "leaderboard: 20/200 (10%), 00:10 elapsed, about 01:30 left, episode 20"
    assert lines[-1] == "leaderboard: 200/200 (100%), 01:40 elapsed, episode 200"
    assert len(lines) == 11  # the start and ten tenths


def test_a_slow_task_without_total_reports_every_interval():
    stream, clock = io.StringIO(), FakeClock()
    bar = PlainProgress("PLM train", stream=stream, interval_s=10, clock=clock)
    task = bar.add_task("train")
    for second in range(1, 26):
        clock.now = float(second)
        bar.update(task, completed=second * 4)
    bar.stop()
    assert stream.getvalue().splitlines() == [
        "PLM train: 0, 00:00 elapsed",
        "PLM train: 40, 00:10 elapsed",
        "PLM train: 80, 00:20 elapsed",
        "PLM train: 100, 00:25 elapsed",  # the last count, written when the work stops
    ]


def test_progress_bar_picks_lines_for_a_log_a_bar_for_a_terminal_and_nothing_when_disabled():
    log = io.StringIO()
    assert isinstance(progress_bar(stream=log), PlainProgress)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    from rich.progress import Progress

    assert isinstance(progress_bar("x", fields=("status",), stream=Terminal()), Progress)
    silent = progress_bar(disable=True, stream=log)
    task = silent.add_task("quiet", total=3)
    silent.update(task, advance=3)
    silent.stop()
    assert log.getvalue() == ""


def test_leaderboard_run_prints_progress_lines_to_a_log(tmp_path, capsys):
    import importlib
    import sys
    from pathlib import Path

    from tactica.cli.main import main

    sys.path.insert(0, str(Path(__file__).resolve().parent / "leaderboard"))
    toys = importlib.import_module("lb_toys")
    toys.register_all()
    try:
        code = main(
            [
                "leaderboard",
                "run",
                "--suite",
                toys.TOY,
                "--episodes",
                "2",
                "--db",
                str(tmp_path / "lb.sqlite"),
            ]
        )
    finally:
        toys.unregister_all()
        sys.path.pop(0)
    out, err = capsys.readouterr()
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("leaderboard: ")]
    assert lines[0].startswith("leaderboard: 0/") and "(100%)" in lines[-1]
    assert "leaderboard:" not in out  # the table's stream stays clean


def test_counting_past_the_total_adds_no_lines():
    stream, clock = io.StringIO(), FakeClock()
    bar = PlainProgress(stream=stream, clock=clock)
    task = bar.add_task("sb3", total=2000)
    for done in (2000, 2047, 2048):
        bar.update(task, completed=done)
    bar.stop()
    assert stream.getvalue().splitlines()[1:] == [
        "sb3: 2000/2000 (100%), 00:00 elapsed",
        "sb3: 2048/2000 (102%), 00:00 elapsed",
    ]
