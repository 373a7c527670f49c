"""The SQLite results store: idempotent inserts, resumability, failures, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from tactica.leaderboard import Job, ResultStore


def _job(seed: int, agent: str = "random", options: str = "{}") -> Job:
    return Job("LeaderboardToy-v0", options, agent, "{}", "", seed, 0, "0.1.0")


RESULT = {"returns": {"agent": 2.0}, "length": 4, "metrics": {"win": True, "right": 2}, "seconds": 0.5}


def test_insert_is_idempotent_by_key(store):
    assert store.add(_job(1), RESULT) is True
    assert store.add(_job(1), {**RESULT, "returns": {"agent": 99.0}}) is False  # same key: first result kept
    assert store.count() == 1
    (record,) = store.records()
    assert record.returns == {"agent": 2.0}
    assert record.mean_return == 2.0
    assert record.metrics == {"win": True, "right": 2}
    assert record.length == 4 and record.seed == 1 and record.tactica_version == "0.1.0"


def test_key_covers_identity_but_not_episode_index():
    base = _job(1)
    assert base.key == Job("LeaderboardToy-v0", "{}", "random", "{}", "", 1, 7, "0.1.0").key
    assert base.key != _job(2).key
    assert base.key != _job(1, agent="lb-first").key
    assert base.key != _job(1, options='{"difficulty":2}').key
    assert base.key != Job("LeaderboardToy-v0", "{}", "random", "{}", "", 1, 0, "0.2.0").key
    assert base.key != Job("LeaderboardToy-v0", "{}", "random", "{}", "abc", 1, 0, "0.1.0").key


def test_done_keys_and_reopen(tmp_path):
    path = tmp_path / "sub" / "lb.sqlite"
    with ResultStore(path) as store:
        for seed in range(3):
            store.add(_job(seed), RESULT)
    with ResultStore(path) as store:
        wanted = [_job(s).key for s in range(5)]
        assert store.done_keys(wanted) == set(wanted[:3])
        assert store.done_keys() == set(wanted[:3])
        assert len(store.records(env_ids=["LeaderboardToy-v0"], version="0.1.0")) == 3
        assert store.records(env_ids=[]) == [] and store.records(version="9.9") == []
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failure_recorded_then_cleared_by_success(store):
    store.add_failure(_job(1), "RuntimeError: boom")
    assert [f["error"] for f in store.failures()] == ["RuntimeError: boom"]
    assert store.done_keys() == set()  # a failure is not done: the next run retries it
    store.add(_job(1), RESULT)
    assert store.failures() == []


def test_not_a_database_is_a_value_error(tmp_path):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("this is not sqlite, just text that is long enough to have a header" * 20)
    with pytest.raises(ValueError, match="not a tactica leaderboard database"):
        ResultStore(bad)
    with pytest.raises(ValueError, match="is a folder"):
        ResultStore(tmp_path)


def _writer(path: str, seeds: list[int]) -> None:
    with ResultStore(path) as store:
        for seed in seeds:
            store.add(_job(seed), {**RESULT, "returns": {"agent": float(seed)}})


def test_concurrent_writers_never_duplicate(tmp_path):
    path = str(tmp_path / "lb.sqlite")
    ResultStore(path).close()
    context = multiprocessing.get_context("spawn")
    # two processes insert overlapping ranges at the same time
    procs = [context.Process(target=_writer, args=(path, list(range(0, 60)))) for _ in range(2)]
    procs.append(context.Process(target=_writer, args=(path, list(range(30, 90)))))
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    with ResultStore(path) as store:
        records = store.records()
    assert len(records) == 90
    assert sorted(r.seed for r in records) == list(range(90))
    assert all(r.mean_return == r.seed for r in records)
