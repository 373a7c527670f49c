"""The command starts fast: `tactica --version` and `tactica envs` load no torch, SciPy or plotting stack."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from tactica.agents.cai.mean_field import MEAN_FIELD_GAMES, MEAN_FIELD_METHODS
from tactica.cli import cai

HEAVY = ("torch", "scipy", "matplotlib", "sklearn", "transformers", "pandas")


def _cpu_seconds(argv: list[str]) -> float:
    """CPU time (user + system) of one Python process ``python ARGV``, the best of five starts.

    Other processes on a loaded machine only ever add CPU time to a start (cache and scheduler interference), so
    the least of several starts is the measurement of the command's own cost, as ``timeit`` takes its minimum.
    """
    best = float("inf")
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr
        best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return best


@pytest.mark.parametrize("argv", [["--version"], ["envs"]])
def test_starts_at_the_cost_of_importing_gymnasium(argv):
    """The command costs little more than the one import it cannot avoid (the registry is Gymnasium's).

    Measured against ``import gymnasium`` in the same run rather than against a fixed number of CPU seconds,
    so that a slower machine or a cold bytecode cache moves both alike: on this project's 2-core machine
    ``import gymnasium`` takes about 0.4-0.5 CPU-s and either command about 1.0-1.5 times that; torch or SciPy
    at start-up would make it several times that.
    """
    floor = _cpu_seconds(["-c", "import gymnasium"])
    assert _cpu_seconds(["-m", "tactica.cli.main", *argv]) < 1.75 * floor


@pytest.mark.parametrize("argv", [["--version"], ["envs"], ["play", "--help"], ["train", "plm", "--help"]])
def test_builds_its_parser_without_heavy_imports(argv):
    probe = (
        "import sys; from tactica.cli.main import main; code = main(sys.argv[1:]); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_parser_tokenizer_splits_match_the_tokenizer():
    from tactica.llm.plm.cli import TOKENIZER_SPLITS
    from tactica.llm.plm.tokenizer import SPLITS

    assert TOKENIZER_SPLITS == SPLITS


def test_parser_length_groupings_match_the_batches():
    from tactica.llm.plm import cli, data

    assert cli.LENGTH_GROUPINGS == data.LENGTH_GROUPINGS


def test_parser_names_match_the_solvers_tables():
    assert sorted(cai.MEAN_FIELD_GAMES) == sorted(MEAN_FIELD_GAMES)
    assert tuple(cai.MEAN_FIELD_METHODS) == tuple(MEAN_FIELD_METHODS)
