"""An opt-in on-disk cache of chat calls (SQLite), so a run can be replayed without the model."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tactica.llm.base import ChatModel, validate_messages
from tactica.llm.replay import call_params

__all__ = ["CachedChatModel"]


class CachedChatModel:
    """Answers a call from the cache when the same backend saw the same messages and sampling parameters.

    The key is a SHA-256 of ``(backend name, messages, temperature, max_tokens, stop, seed)``.  Writes are
    committed per call, and SQLite's locking keeps concurrent processes from corrupting the file.
    """

    def __init__(self, inner: ChatModel, path: str | Path):
        self.inner = inner
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, backend TEXT, request TEXT, response TEXT)"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed (sqlite3's own context manager only commits)."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        checked = validate_messages(messages)
        request = json.dumps(
            {"messages": checked, "params": call_params(temperature, max_tokens, stop, seed)},
            sort_keys=True,
            ensure_ascii=False,
        )
        key = hashlib.sha256(f"{self.inner.name}\n{request}".encode()).hexdigest()
        with self._lock, self._connect() as db:
            row = db.execute("SELECT response FROM calls WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            return row[0]
        self.misses += 1
        reply = self.inner.chat(checked, temperature=temperature, max_tokens=max_tokens, stop=stop, seed=seed)
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)", (key, self.inner.name, request, reply)
            )
        return reply
