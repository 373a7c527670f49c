"""Helpers shared by the CLI's subcommands: errors, JSON output, options."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

__all__ = ["CLIError", "fail", "print_json", "to_jsonable", "add_opt_argument"]


class CLIError(Exception):
    """An error the CLI reports in one line, with its exit code (1 check failed, 2 bad input)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> int:
    print(f"tactica: error: {message}", file=sys.stderr)
    return code


def to_jsonable(value: Any) -> Any:
    """NumPy scalars and arrays, tuples and dicts made JSON-serialisable."""
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
