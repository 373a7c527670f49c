"""Every command's ``--help`` ends with examples, each saying how long it takes (or finishing in seconds)."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from tactica.cli.main import build_parser

# a duration: "a second", "a few seconds", "15 s", "about a minute", "10 min", "hours", or "until Ctrl-C"
DURATION = re.compile(r"\b(seconds?|\d+ ?s\b|minutes?|\d+ ?min\b|hours?|Ctrl-C|~\d+ ?s)", re.I)


def _commands(parser: argparse.ArgumentParser, name: str = "tactica"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _commands(sub, f"{name} {sub_name}")


COMMANDS = list(_commands(build_parser()))


def test_every_command_has_examples_with_their_duration():
    missing = [
        name for name, parser in COMMANDS if not parser.epilog or "example" not in parser.epilog.lower()
    ]
    assert not missing, f"no examples in --help: {missing}"
    for name, parser in COMMANDS:
        examples = [line for line in parser.epilog.splitlines() if line.startswith("  tactica")]
        assert examples, f"{name}: examples must be indented lines starting with 'tactica'"
        header_says = bool(DURATION.search(parser.epilog.split("\n")[0]))
        for line in examples:
            assert header_says or DURATION.search(line), f"{name}: how long does {line.strip()!r} take?"


def test_example_lines_stay_whole_in_the_help(capsys):
    """Example lines are printed as written, not re-wrapped into the prose around them."""
    from tactica.cli.main import main

    assert main(["play", "--help"]) == 0
    out = capsys.readouterr().out
    assert "\n  tactica play SMAC-v2 --opt map_name=3m --record battle.gif\n" in out


def _example_commands():
    """Every ``tactica ...`` command of every example line (``a && b`` gives two, ``> FILE`` is dropped)."""
    for name, parser in COMMANDS:
        for line in parser.epilog.splitlines():
            if not line.startswith("  tactica"):
                continue
            line = re.sub(r"\s{2,}\(.*\)\s*$", "", line.strip())  # the "(about 5 s)" note
            for part in line.split("&&"):
                words = shlex.split(part.split(" > ")[0])
                if words and words[0] == "tactica":
                    yield name, words[1:]


@pytest.mark.parametrize("where, argv", list(_example_commands()), ids=lambda value: str(value)[:60])
def test_every_example_parses_with_the_options_it_shows(where, argv, capsys):
    """An example names only options the command has, with values it accepts (a stale flag fails here)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit:  # argparse's exit 2 on an unknown option or a bad value
        pytest.fail(f"{where}: {' '.join(argv)!r} does not parse: {capsys.readouterr().err.strip()}")


# examples not run by the test below: longer than a few seconds (SB3 training is run per id by
# tests/leaderboard/test_leaderboard_sb3.py), or needing what a test machine lacks (a server, a model)
_NOT_RUN = re.compile(
    r"minutes?|min\b|hours?|Ctrl-C|\b[2-9]\d ?s\b|MyEnv|MODEL@|--suite quick|train (plm|sb3)"
)


def _quick_examples() -> list[tuple[str, str]]:
    """(command, shell line) of every example that says it takes seconds, in the help's order."""
    seen, found = set(), []
    for name, parser in COMMANDS:
        header = parser.epilog.split("\n")[0]
        for line in parser.epilog.splitlines():
            if line.startswith("  tactica") and not _NOT_RUN.search(header + line):
                shell = re.sub(r"\s{2,}\(.*\)\s*$", "", line.strip())
                if shell not in seen:
                    seen.add(shell)
                    found.append((name, shell))
    return found


@pytest.mark.slow
def test_the_quick_examples_run(tmp_path):
    """Each example that promises seconds runs as shown (in one folder, in order: show after run)."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    examples = _quick_examples()
    assert len(examples) >= 12
    for where, shell in examples:
        started = _children_cpu()
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", shell], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{where}: {shell!r} exited {done.returncode}: {done.stderr[-1500:]}"
        print(f"{_children_cpu() - started:6.2f} s CPU  {shell}")


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
