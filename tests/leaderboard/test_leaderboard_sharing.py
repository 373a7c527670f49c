"""Runs that share one database share the work, and a killed run leaves no worker behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lb_toys import SLOW_TOY, TOY, toy_suite

from tactica.leaderboard import ResultStore, build_plan, run_jobs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def _command(db: Path, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "tactica.cli.main", "leaderboard", "run", "--suite", SLOW_TOY]
    return command + ["--episodes", "12", "--db", str(db), "--import", "lb_plugin", "--no-progress", *extra]


def _group_members(pgid: int) -> list[int]:
    """Live processes of a process group (Linux /proc), zombies excluded."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


@pytest.mark.slow
def test_two_runs_on_one_database_share_the_work(tmp_path):
    db = tmp_path / "shared.sqlite"
    runs = [
        subprocess.Popen(
            _command(db, "--json"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        reports.append(json.loads(out))
    total = 12 * len(reports[0]["rows"])
    played = [report["run"]["completed"] for report in reports]
    assert sum(played) == total  # every episode played once, by one of the two runs
    accounted = [
        sum(report["run"][k] for k in ("completed", "by_other_runs", "already_stored")) for report in reports
    ]
    assert accounted == [total, total]
    assert all(row["episodes"] == 12 for report in reports for row in report["rows"])  # both print everything
    with ResultStore(db) as store:
        assert store.count() == total
        assert not store.claimed_elsewhere(r.key for r in store.records())  # no claim left behind


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_workers_die_with_a_killed_run(tmp_path):
    db = tmp_path / "lb.sqlite"
    process = subprocess.Popen(
        _command(db, "--workers", "2"), env=_env(), start_new_session=True, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while len(_group_members(process.pid)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the run, its two workers (and the resource tracker) are up
    assert len(_group_members(process.pid)) >= 3, "the workers never started"
    os.kill(process.pid, signal.SIGKILL)  # only the run itself, as the OOM killer would
    process.wait()
    deadline = time.monotonic() + 15
    while _group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group_members(process.pid) == []  # workers and resource tracker are gone too


def test_claims_keep_runs_apart_and_dead_runs_claims_are_taken_over(tmp_path):
    jobs = build_plan(toy_suite(episodes=3, ids=(TOY,), quick=True), llm="").jobs()
    db = tmp_path / "claims.sqlite"
    with ResultStore(db) as first, ResultStore(db) as second:
        key = jobs[0].key
        assert first.claim(key) and first.claim(key)  # a run may re-claim its own episode
        assert not second.claim(key)  # but another live run may not
        assert second.claimed_elsewhere([key]) == {key}
        first.release(key)
        assert second.claim(key)
        # a claim of a process that no longer exists (on this host) is abandoned and taken over
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        pid = int(dead.stdout)
        first._db.execute(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
            (jobs[1].key, "gone", socket.gethostname(), pid, time.time()),
        )
        assert second.claim(jobs[1].key)
        # a claim from another host is trusted until its heartbeat is older than the timeout
        first._db.execute(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
            (jobs[2].key, "far", "elsewhere", 1, time.time()),
        )
        assert not second.claim(jobs[2].key)
        first._db.execute("UPDATE claims SET heartbeat = ? WHERE owner = 'far'", (time.time() - 3600,))
        assert second.claim(jobs[2].key)
        second.release()  # a finished run gives its claims back
        assert not first.claimed_elsewhere(job.key for job in jobs)
        assert run_jobs(jobs, first).completed == len(jobs)


def test_many_processes_open_a_new_database_at_once(tmp_path):
    # Two leaderboard runs started together on a new file once failed with "database is locked": switching to
    # WAL and creating the schema take a write lock SQLite's busy handler does not wait for. The processes
    # import first and open the file together at one agreed instant, many times over.
    code = (
        "import sys, time; from tactica.leaderboard import ResultStore\n"
        "start = float(sys.argv[2])\n"
        "for n in range(int(sys.argv[3])):\n"
        "    time.sleep(max(0.0, start + n * 0.2 - time.time()))\n"
        "    ResultStore(sys.argv[1] + str(n))\n"
        "print('ok')"
    )
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "fresh"), str(start), "20"],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [err for _, err in results] == [""] * 6
    assert [out.strip() for out, _ in results] == ["ok"] * 6
