"""Every command's ``--help`` ends with examples, each saying how long it takes (or finishing in seconds)."""

from __future__ import annotations

import argparse
import re

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
    assert "\n  tactica play SMAC-v0 --opt map_name=3m --record battle.gif\n" in out
