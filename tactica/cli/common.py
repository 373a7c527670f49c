"""Helpers shared by the CLI's subcommands: the one-line-error parser, argument types, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "ArgumentParser",
    "CLIError",
    "ExamplesFormatter",
    "add_commands",
    "add_opt_argument",
    "describe_error",
    "existing_dir",
    "existing_file",
    "fail",
    "finite_float",
    "non_negative_int",
    "output_dir",
    "output_file",
    "positive_float",
    "positive_int",
    "print_json",
    "to_jsonable",
]


class CLIError(Exception):
    """An error the CLI reports in one line, with its exit code (1 check failed, 2 bad input)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> int:
    print(f"tactica: error: {message}", file=sys.stderr)
    return code


def describe_error(exc: BaseException) -> str:
    """One line for an exception a command let through: the file and the operating system's reason for I/O."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode the input as {exc.encoding} (byte {exc.start}); is it a text file?"
    if isinstance(exc, MemoryError):
        return "out of memory: the input asks for more memory than this machine has"
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ExamplesFormatter(argparse.HelpFormatter):
    """argparse's help layout, except that lines of a description or epilog that start with a space are kept as
    they are: example commands stay one per line while the prose around them is wrapped to the terminal."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        lines = []
        for line in text.splitlines():
            if line.startswith(" "):
                lines.append(indent + line)
            else:
                lines.append(
                    textwrap.fill(
                        " ".join(line.split()), width, initial_indent=indent, subsequent_indent=indent
                    )
                )
        return "\n".join(lines)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one line on stderr and exit 2, never a usage block.

    Sub-parsers made from it are of the same class, so every ``tactica ...`` command shares the contract.  Float
    arguments are finite by default (``nan`` or ``inf`` is refused before any command runs).  Help text uses
    :class:`ExamplesFormatter`.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", ExamplesFormatter)
        super().__init__(*args, **kwargs)
        self.register("type", float, finite_float)

    def error(self, message: str):  # type: ignore[override]
        commands = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
        if commands and message.startswith("the following arguments are required"):
            message = f"name a command: {', '.join(commands[0].choices)}"
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_commands(parser: argparse.ArgumentParser, dest: str, metavar: str = "COMMAND"):
    """The sub-command group of ``parser``; leaving the command out is an error (exit 2, one line)."""
    return parser.add_subparsers(dest=dest, metavar=metavar, required=True)


# --- argument types: each raises ArgumentTypeError, which the parser turns into its one-line error ----------
def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def existing_file(text: str) -> str:
    """A path that names a readable file (not a folder)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; a file is expected")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text} is not readable")
    return text


def existing_dir(text: str) -> str:
    """A path that names an existing folder."""
    path = Path(text)
    if path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is a file; a folder is expected")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {text}")
    return text


def output_file(path: str | os.PathLike[str], option: str, *, create_parent: bool = False) -> Path:
    """Check that ``path`` can be written as a file: not a folder, in a folder that exists.

    Missing folders are created only when ``create_parent`` (a command's own default location such as
    ``runs/``): a mistyped path must not leave new folders behind, least of all at the file system's root.
    """
    target = Path(path)
    if target.is_dir():
        raise CLIError(f"{option} {target} is a folder; a file path is expected")
    parent = target.parent
    if not parent.is_dir():
        if parent.exists():
            raise CLIError(f"{option} {target}: {parent} is not a folder")
        if not create_parent:
            raise CLIError(f"{option} {target}: folder {parent} does not exist (create it first)")
        parent.mkdir(parents=True, exist_ok=True)
    return target


def output_dir(path: str | os.PathLike[str], option: str) -> Path:
    """Check that ``path`` can be a run folder (made if missing): it must not be an existing file."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise CLIError(f"{option} {target} is a file; a folder is expected")
    return target


def to_jsonable(value: Any) -> Any:
    """NumPy scalars and arrays, tuples and dicts made JSON-serialisable."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def print_json(value: Any) -> None:
    print(json.dumps(to_jsonable(value), indent=2, sort_keys=False))


def add_opt_argument(parser) -> None:
    parser.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment keyword argument (repeatable); VALUE is read as JSON when it parses, e.g. "
        "--opt game=matching_pennies --opt horizon=20",
    )
