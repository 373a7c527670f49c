"""Shared test configuration: a non-interactive matplotlib backend and the project root on sys.path."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
