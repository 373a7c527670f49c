"""Fixtures of the leaderboard tests: the toy plugin registered for each test, and a results store."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

# The toy plugin is imported by name, here and in worker processes (which inherit sys.path).
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def toy_plugin():
    """Register the toy environments and agents for one test, and remove them afterwards."""
    plugin = importlib.import_module("lb_toys")
    plugin.register_all()
    yield plugin
    plugin.unregister_all()


@pytest.fixture
def store(tmp_path):
    from tactica.leaderboard import ResultStore

    with ResultStore(tmp_path / "lb.sqlite") as opened:
        yield opened
