"""Hand-written SMAC decision-tree programs: examples of the program API and baselines for SMACProgram-v3.

Each module defines ``policy(view)`` and passes the sandbox's allow-list, so its source can be sent as an
action of ``SMACProgram-v3`` unchanged.  ``PROGRAMS`` maps each map to its program module; win rates against
the built-in AI over 100 seeded episodes are in ``docs/smac.md`` (and asserted in ``tests/smac``).

>>> from tactica.baselines.smac import program_source
>>> "def policy(view)" in program_source("3m")
True
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["PROGRAMS", "program_source", "load_policy"]

PROGRAMS: dict[str, str] = {
    "3m": "focus_fire",
    "8m": "focus_fire",
    "2s3z": "focus_fire",
    "3s5z": "focus_fire",
    "3s_vs_3z": "kiting",
    "3s_vs_4z": "kiting",
    "3s_vs_5z": "kiting",
    "MMM": "medivac_support",
}


def _module_name(map_name: str) -> str:
    if map_name not in PROGRAMS:
        raise ValueError(f"no hand-written program for map {map_name!r}; available: {', '.join(PROGRAMS)}")
    return PROGRAMS[map_name]


def program_source(map_name: str) -> str:
    """The source text of the hand-written program for ``map_name``."""
    return (Path(__file__).parent / f"{_module_name(map_name)}.py").read_text(encoding="utf-8")


def load_policy(map_name: str):
    """The ``policy`` function of the hand-written program for ``map_name`` (trusted, imported in-process)."""
    return importlib.import_module(f"tactica.baselines.smac.{_module_name(map_name)}").policy
