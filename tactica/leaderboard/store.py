"""The leaderboard's results store: one SQLite file, one row per finished episode.

Every episode is written (and committed) the moment it finishes, so a run killed at any point loses at most
the episodes still in flight.  Rows are keyed by :attr:`tactica.leaderboard.jobs.Job.key` and written with
``INSERT OR IGNORE``, so a rerun, or two runs racing on the same file, can never count an episode twice.
Runs sharing one file also share the work: a run *claims* an episode before it starts it, other runs skip
claimed episodes, and a claim whose owner stopped sending heartbeats (or whose process is gone) is taken over.
The file is in WAL mode: readers (``tactica leaderboard show``) never block the run that is writing.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tactica.leaderboard.jobs import Job

__all__ = ["CLAIM_TIMEOUT_S", "DEFAULT_DB", "Record", "ResultStore"]

DEFAULT_DB = "runs/leaderboard.sqlite"
SCHEMA_VERSION = 1
# A claim is refreshed every HEARTBEAT_S while its run lives; one silent for CLAIM_TIMEOUT_S is abandoned.
HEARTBEAT_S = 5.0
CLAIM_TIMEOUT_S = 60.0
_HOST = socket.gethostname()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS episodes (
    key TEXT PRIMARY KEY,
    env_id TEXT NOT NULL,
    env_options TEXT NOT NULL,
    agent TEXT NOT NULL,
    agent_kwargs TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    episode INTEGER NOT NULL,
    tactica_version TEXT NOT NULL,
    returns TEXT NOT NULL,
    mean_return REAL NOT NULL,
    length INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    seconds REAL NOT NULL,
    finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS episodes_env ON episodes (env_id, agent);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY,
    env_id TEXT NOT NULL,
    env_options TEXT NOT NULL,
    agent TEXT NOT NULL,
    seed INTEGER NOT NULL,
    error TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""

_COLUMNS = (
    "key, env_id, env_options, agent, agent_kwargs, agent_version, seed, episode, tactica_version, "
    "returns, mean_return, length, metrics, seconds, finished_at"
)


@dataclass(frozen=True)
class Record:
    """One stored episode."""

    key: str
    env_id: str
    env_options: dict[str, Any]
    agent: str
    agent_kwargs: dict[str, Any]
    agent_version: str
    seed: int
    episode: int
    tactica_version: str
    returns: dict[str, float]
    mean_return: float
    length: int
    metrics: dict[str, Any]
    seconds: float
    finished_at: float

    def outcome(self) -> dict[str, Any]:
        """What the episode produced, without timing: equal for equal seeds, whichever worker ran it."""
        return {"returns": self.returns, "length": self.length, "metrics": self.metrics}

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ResultStore:
    """Episodes in one SQLite file (created with its folder if missing).

    Use one store per process; the runner writes from its parent process only, but the file stays consistent
    even when several processes write (every insert is its own transaction, idempotent by key).
    """

    def __init__(self, path: str | Path = DEFAULT_DB):
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"--db must be a file path, but {str(self.path)!r} is a folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        found = self._open()
        if found is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(found[0]) != SCHEMA_VERSION:
            raise ValueError(
                f"{str(self.path)!r} has leaderboard schema {found[0]}; this tactica reads schema {SCHEMA_VERSION}"
            )

    def _open(self, patience_s: float = 60.0) -> tuple | None:
        """Connect, switch to WAL and create the schema; returns the stored schema row.

        Switching the journal mode and creating the tables need a write lock that SQLite does not wait for
        through its busy handler when another process is doing the same at that moment (two leaderboard runs
        started together on a new file), so a locked database is retried here for up to ``patience_s``.
        """
        deadline = time.monotonic() + patience_s
        while True:
            db = None
            try:
                # isolation_level=None: autocommit; each statement below is its own durable transaction.
                db = sqlite3.connect(self.path, timeout=patience_s, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                self._db = db
                return db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked:
                    raise ValueError(
                        f"{str(self.path)!r} is not a tactica leaderboard database: {exc}"
                    ) from None
                if time.monotonic() > deadline:
                    raise ValueError(
                        f"{str(self.path)!r} stayed locked by another process for {patience_s:.0f} s"
                    ) from None
                if db is not None:
                    db.close()
                time.sleep(0.05 + random.random() * 0.1)
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"{str(self.path)!r} is not a tactica leaderboard database: {exc}") from None

    # --- writing -------------------------------------------------------------------------------------------
    def add(self, job: Job, result: dict[str, Any]) -> bool:
        """Store a finished episode (``EpisodeResult.to_dict()``); ``False`` if its key was already stored."""
        from tactica.rollout import mean_return as seats_mean

        returns = {str(k): float(v) for k, v in result["returns"].items()}
        mean_return = seats_mean(returns, result.get("seats"))
        row = (
            job.key,
            job.env_id,
            job.env_options,
            job.agent,
            job.agent_kwargs,
            job.agent_version,
            int(job.seed),
            int(job.episode),
            job.tactica_version,
            json.dumps(returns, sort_keys=True),
            mean_return,
            int(result["length"]),
            json.dumps(result.get("metrics", {}), sort_keys=True),
            float(result.get("seconds", 0.0)),
            time.time(),
        )
        cursor = self._db.execute(
            f"INSERT OR IGNORE INTO episodes ({_COLUMNS}) VALUES ({', '.join('?' * 15)})", row
        )
        if cursor.rowcount:
            self._db.execute("DELETE FROM failures WHERE key = ?", (job.key,))
        return bool(cursor.rowcount)

    def add_failure(self, job: Job, error: str) -> None:
        """Remember that a job raised; it is not counted as done, so the next run tries it again."""
        self._db.execute(
            "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?, ?)",
            (job.key, job.env_id, job.env_options, job.agent, int(job.seed), error, time.time()),
        )

    # --- sharing the work between runs -----------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """This store object's identity in the ``claims`` table (one per run)."""
        if not hasattr(self, "_owner"):
            self._owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        return self._owner

    def claim(self, key: str) -> bool:
        """Take the episode ``key`` for this run; ``False`` if it is stored or another live run holds it."""
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")  # one claimer at a time, across processes
        try:
            if self._db.execute("SELECT 1 FROM episodes WHERE key = ?", (key,)).fetchone():
                return False
            held = self._db.execute("SELECT owner, host, pid, heartbeat FROM claims WHERE key = ?", (key,))
            row = held.fetchone()
            if row is not None and row[0] != self.owner and not _abandoned(*row[1:], now):
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (key, self.owner, _HOST, os.getpid(), now),
            )
            return True
        finally:
            self._db.execute("COMMIT")

    def release(self, key: str | None = None) -> None:
        """Give back this run's claim on ``key`` (every claim of this run when ``None``)."""
        if key is None:
            self._db.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
        else:
            self._db.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, self.owner))

    def claimed_elsewhere(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that another live run is playing now."""
        now, found = time.time(), set()
        for key in keys:
            row = self._db.execute(
                "SELECT owner, host, pid, heartbeat FROM claims WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] != self.owner and not _abandoned(*row[1:], now):
                found.add(key)
        return found

    def keep_claims_alive(self) -> threading.Event:
        """Refresh this run's claims every few seconds from a background thread; set the event to stop it."""
        stop = threading.Event()

        def beat() -> None:
            db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            try:
                while not stop.wait(HEARTBEAT_S):
                    db.execute("UPDATE claims SET heartbeat = ? WHERE owner = ?", (time.time(), self.owner))
            finally:
                db.close()

        threading.Thread(target=beat, name="leaderboard-heartbeat", daemon=True).start()
        return stop

    # --- reading -------------------------------------------------------------------------------------------
    def done_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        """The stored keys (among ``keys`` when given)."""
        if keys is None:
            return {row[0] for row in self._db.execute("SELECT key FROM episodes")}
        wanted = list(keys)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            query = f"SELECT key FROM episodes WHERE key IN ({', '.join('?' * len(chunk))})"
            found.update(row[0] for row in self._db.execute(query, chunk))
        return found

    def records(self, env_ids: Iterable[str] | None = None, version: str | None = None) -> list[Record]:
        """Stored episodes in a stable order, optionally only some environments or one tactica version."""
        query, params = f"SELECT {_COLUMNS} FROM episodes", []
        clauses = []
        if env_ids is not None:
            ids = list(env_ids)
            if not ids:
                return []
            clauses.append(f"env_id IN ({', '.join('?' * len(ids))})")
            params += ids
        if version is not None:
            clauses.append("tactica_version = ?")
            params.append(version)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY env_id, env_options, agent, agent_kwargs, agent_version, tactica_version, episode, seed"
        return [_record(row) for row in self._db.execute(query, params)]

    def failures(self, env_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Episodes whose last attempt raised (and that no later attempt stored), optionally of some envs."""
        query, params = "SELECT key, env_id, env_options, agent, seed, error FROM failures", []
        if env_ids is not None:
            ids = list(env_ids)
            query += f" WHERE env_id IN ({', '.join('?' * len(ids))})"
            params = ids
        names = ("key", "env_id", "env_options", "agent", "seed", "error")
        rows = self._db.execute(query + " ORDER BY env_id, agent, seed", params)
        return [{**dict(zip(names, row)), "env_options": json.loads(row[2])} for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM episodes").fetchone()[0])

    def versions(self) -> list[str]:
        return [
            row[0] for row in self._db.execute("SELECT DISTINCT tactica_version FROM episodes ORDER BY 1")
        ]

    # --- lifetime ------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _abandoned(host: str, pid: int, heartbeat: float, now: float) -> bool:
    """A claim whose run is gone: its process no longer exists (same host) or its heartbeat stopped."""
    if now - heartbeat > CLAIM_TIMEOUT_S:
        return True
    if host != _HOST:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def _record(row: tuple) -> Record:
    (key, env_id, options, agent, kwargs, agent_version, seed, episode, version) = row[:9]
    returns, mean_return, length, metrics, seconds, finished_at = row[9:]
    return Record(
        key=key,
        env_id=env_id,
        env_options=json.loads(options),
        agent=agent,
        agent_kwargs=json.loads(kwargs),
        agent_version=agent_version,
        seed=int(seed),
        episode=int(episode),
        tactica_version=version,
        returns=json.loads(returns),
        mean_return=float(mean_return),
        length=int(length),
        metrics=json.loads(metrics),
        seconds=float(seconds),
        finished_at=float(finished_at),
    )
