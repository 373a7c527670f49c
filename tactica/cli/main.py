"""The ``tactica`` command.

Each room contributes one subcommand group from its own module under :mod:`tactica.cli`; the table
``COMMANDS`` lists them.  A module defines ``add_parser(subparsers)`` and sets ``func`` on the parser it adds;
``func(args)`` returns the exit status.  Exit codes: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tactica.cli.common import CLIError, fail

__all__ = ["main", "build_parser", "COMMANDS"]

# module names under tactica.cli, in the order --help lists them
COMMANDS: list[str] = ["envs", "play", "leaderboard", "eq", "fiber", "serve", "quantize", "train", "cai"]


def build_parser() -> argparse.ArgumentParser:
    import tactica

    parser = argparse.ArgumentParser(
        prog="tactica",
        description=(
            "tactica: game and simulation environments, agents, language-model backends and equilibrium "
            "solvers for research on LLM and multi-agent decision making."
        ),
        epilog="Run 'tactica COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"tactica {tactica.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"tactica.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        return fail(str(exc), exc.code)
    except (ValueError, TypeError, KeyError, FileNotFoundError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return fail(str(message), 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
