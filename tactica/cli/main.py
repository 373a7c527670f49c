"""The ``tactica`` command.

Each room contributes one subcommand group from its own module under :mod:`tactica.cli`; the table
``COMMANDS`` lists them.  A module defines ``add_parser(subparsers)`` and sets ``func`` on the parser it adds;
``func(args)`` returns the exit status.  Exit codes: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from tactica.cli.common import ArgumentParser, CLIError, add_commands, describe_error, fail

__all__ = ["main", "build_parser", "COMMANDS"]

# module names under tactica.cli, in the order --help lists them
COMMANDS: list[str] = [
    "envs",
    "play",
    "leaderboard",
    "eq",
    "fiber",
    "serve",
    "quantize",
    "train",
    "cai",
    "data",
]


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; ``commands`` builds just those commands' subparsers (default: all of them; some import heavy
    libraries to build theirs)."""
    import tactica

    parser = ArgumentParser(
        prog="tactica",
        description=(
            "tactica: game and simulation environments, agents, language-model backends and equilibrium "
            "solvers for research on LLM and multi-agent decision making."
        ),
        epilog="first commands (a few seconds each):\n"
        "  tactica envs --spaces\n"
        "  tactica play SMAC-v2 --record battle.gif\n"
        "  tactica leaderboard run --suite quick        (every environment and agent, about a minute)\n"
        "Run 'tactica COMMAND --help' for the options and examples of a command; docs/start-here.md says where "
        "to begin.",
    )
    parser.add_argument("--version", action="version", version=f"tactica {tactica.__version__}")
    subparsers = add_commands(parser, "command")
    for name in COMMANDS if commands is None else commands:
        importlib.import_module(f"tactica.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        commands: list[str] | None = [argv[0]]
    elif argv == ["--version"]:
        commands = []  # argparse's version action needs no command's parser
    else:
        commands = None
    parser = build_parser(commands)
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a one-line usage error (already printed)
        return done.code if isinstance(done.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        return fail(str(exc), exc.code)
    except (ValueError, TypeError, KeyError, OSError, MemoryError, OverflowError) as exc:
        # Bad input that a command's own checks let through: still one line, never a traceback.
        return fail(describe_error(exc), 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - a bug of ours; the traceback is one variable away
        if os.environ.get("TACTICA_DEBUG"):
            raise
        return fail(
            f"unexpected {type(exc).__name__}: {describe_error(exc)} (set TACTICA_DEBUG=1 for the traceback)",
            1,
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
