"""``tactica leaderboard run|show|report``: exit codes, JSON, and a run killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lb_toys import SLOW_TOY, TOY

from tactica.cli.main import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_show_report_json(tmp_path, capsys):
    db = str(tmp_path / "lb.sqlite")
    args = ["leaderboard", "run", "--suite", TOY, "--episodes", "3", "--db", db, "--import", "lb_plugin"]
    code, out, _ = _run(capsys, *args, "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["suite"] == "custom"
    episodes = {r["agent"]: r["episodes"] for r in payload["rows"]}
    assert (
        episodes["lb-first"] == episodes["random"] == 3
    )  # (agents other rooms register for any env add rows)
    planned = 3 * len(payload["rows"])
    assert payload["run"] == {
        "planned": planned,
        "already_stored": 0,
        "completed": planned,
        "failed": 0,
        "by_other_runs": 0,
        "errors": [],
    }
    assert payload["throughput"][TOY]["steps"] == 4 * planned  # the toy's episodes last 4 steps
    assert any("LLM agents skipped" in note and "lb-llm" in note for note in payload["notes"])
    # rerun: nothing left to do, same table
    code, out, _ = _run(capsys, *args, "--json")
    again = json.loads(out)
    assert again["run"]["already_stored"] == planned and again["run"]["completed"] == 0
    assert again["rows"] == payload["rows"]

    code, out, _ = _run(capsys, "leaderboard", "show", "--db", db, "--json")
    assert code == 0 and json.loads(out)["rows"] == payload["rows"]
    code, out, _ = _run(capsys, "leaderboard", "show", "--db", db)
    assert code == 0 and TOY in out and "lb-first" in out

    html = tmp_path / "out" / "report.html"
    code, _, err = _run(capsys, "leaderboard", "report", "--html", str(html), "--db", db)
    assert code == 2 and "does not exist" in err and not html.parent.exists()  # no folders made on a typo
    html.parent.mkdir()
    code, out, _ = _run(capsys, "leaderboard", "report", "--html", str(html), "--db", db, "--json")
    assert code == 0 and json.loads(out)["episodes"] == planned
    assert "data:image/png;base64," in html.read_text()


def test_run_prints_a_table_and_exits_1_when_an_episode_fails(tmp_path, capsys, monkeypatch):
    import lb_toys

    monkeypatch.setattr(lb_toys.FirstLegalAgent, "act", lb_toys.BrokenAgent.act)
    code, out, err = _run(
        capsys, "leaderboard", "run", "--suite", TOY, "--episodes", "2", "--db", str(tmp_path / "x.sqlite")
    )
    assert code == 1
    assert "random" in out and "2 episodes run, 0 already stored, 2 failed" in out
    assert "RuntimeError: this agent always fails" in out
    assert "note: LLM agents skipped" in err
    assert "next: tactica leaderboard report --html" in out  # the run points to the report
    # the failed episodes stay visible after the run: in show (text and JSON) and in the report
    db = str(tmp_path / "x.sqlite")
    code, out, _ = _run(capsys, "leaderboard", "show", "--db", db)
    assert code == 0 and "2 failed episode(s)" in out and "lb-first seed" in out
    code, out, _ = _run(capsys, "leaderboard", "show", "--db", db, "--json")
    failures = json.loads(out)["failures"]
    assert [f["agent"] for f in failures] == ["lb-first", "lb-first"]
    assert all(f["error"] == "RuntimeError: this agent always fails" for f in failures)
    html = tmp_path / "report.html"
    assert _run(capsys, "leaderboard", "report", "--db", db, "--html", str(html))[0] == 0
    page = html.read_text()
    assert "Failed episodes (2)" in page and "this agent always fails" in page


@pytest.mark.parametrize(
    "argv, message",
    [
        (["leaderboard", "run", "--workers", "0"], "--workers: must be >= 1"),
        (["leaderboard", "run", "--episodes", "0"], "--episodes: must be >= 1"),
        (["leaderboard", "run", "--suite", "NoSuchEnv-v0"], "unknown environment id 'NoSuchEnv-v0'"),
        (["leaderboard", "run", "--address", "auto"], "--address needs --executor ray"),
        (["leaderboard", "run", "--import", "no_such_plugin_xyz"], "--import"),
        (["leaderboard", "show", "--db", "/nonexistent/lb.sqlite"], "no leaderboard database"),
    ],
)
def test_bad_input_exits_2(argv, message, capsys, tmp_path):
    code, _, err = _run(capsys, *argv, *([] if "--db" in argv else ["--db", str(tmp_path / "db.sqlite")]))
    assert code == 2
    assert message in err


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5) as connection:  # never creates it
            return connection.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_sigkill_midway_then_rerun_completes_without_loss_or_double_count(tmp_path):
    db = tmp_path / "lb.sqlite"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    # SLOW_TOY sleeps 20 ms per step: 2 agents x 12 episodes x 4 steps is about 2 s of episodes
    command = [sys.executable, "-m", "tactica.cli.main", "leaderboard", "run", "--suite", SLOW_TOY]
    command += [
        "--episodes",
        "12",
        "--workers",
        "2",
        "--db",
        str(db),
        "--import",
        "lb_plugin",
        "--no-progress",
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, at once, mid-run
    process.wait()
    killed_at = _count(db)
    assert 4 <= killed_at < 24, "the run should have been killed midway"  # of at least 2 agents x 12 episodes
    with sqlite3.connect(db) as connection:
        before = dict(connection.execute("SELECT key, returns || metrics || finished_at FROM episodes"))

    # the rerun (one worker this time: the numbers do not depend on it) completes what is missing
    rerun = [arg if arg != "2" else "1" for arg in command]
    finished = subprocess.run(rerun + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    total = 12 * len(report["rows"])
    assert report["run"]["already_stored"] == killed_at
    assert report["run"]["completed"] == total - killed_at
    assert {row["agent"] for row in report["rows"]} >= {"lb-first", "random"}
    assert all(row["episodes"] == 12 for row in report["rows"])
    with sqlite3.connect(db) as connection:
        rows = dict(connection.execute("SELECT key, returns || metrics || finished_at FROM episodes"))
        query = "SELECT agent, COUNT(DISTINCT seed), COUNT(*) FROM episodes GROUP BY agent"
        assert all(
            counts == [12, 12] for _, *counts in connection.execute(query)
        )  # 12 seeds, each stored once
    assert len(rows) == total
    assert all(rows[key] == value for key, value in before.items())  # what was stored before the kill is kept
