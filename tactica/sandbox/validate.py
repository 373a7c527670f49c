"""Static checks on untrusted Python source: an AST allow-list run before any code executes.

The rules are deliberately strict, because a program that passes them still runs in a separate, rlimited
process (:mod:`tactica.sandbox.runner`); together they stop the known ways out of a restricted ``exec``:

* imports only of :data:`ALLOWED_MODULES` (math, itertools, collections, heapq, functools, statistics);
* no attribute or name starting with an underscore (``__class__``, ``__subclasses__``, ``__globals__``,
  ``__builtins__``...), and none of the frame/code attributes that reach other modules' globals
  (``gi_frame``, ``f_back``, ``f_globals``, ``tb_frame``...) or ``str.format``/``format_map``, which read
  attributes from inside a string;
* no reference to ``open``, ``exec``, ``eval``, ``compile``, ``globals``, ``locals``, ``vars``, ``getattr``,
  ``setattr``, ``delattr``, ``type``, ``object``, ``super``, ``input``, ``breakpoint``, ``help``, ``memoryview``
  (they are also absent from the builtins the program runs with);
* no ``class`` statements, ``async``/``await``, or ``global`` declarations of builtins.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

__all__ = ["ALLOWED_MODULES", "FORBIDDEN_NAMES", "ProgramRejected", "validate_source", "compile_program"]

ALLOWED_MODULES = frozenset({"math", "itertools", "collections", "heapq", "functools", "statistics"})
FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "exec",
        "eval",
        "compile",
        "globals",
        "locals",
        "vars",
        "dir",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "type",
        "object",
        "super",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "exit",
        "quit",
        "classmethod",
        "staticmethod",
        "property",
        "copyright",
        "credits",
        "license",
    }
)
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "format",
        "format_map",
        "mro",
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "cr_frame",
        "cr_code",
        "cr_await",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "func_globals",
    }
)
_FORBIDDEN_NODES = {
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFunctionDef: "async functions are not allowed",
    ast.Await: "await is not allowed",
    ast.AsyncFor: "async for is not allowed",
    ast.AsyncWith: "async with is not allowed",
}


@dataclass
class ProgramRejected(ValueError):
    """The source failed to parse or broke a rule; ``kind`` is ``"syntax"``, ``"forbidden"`` or ``"missing"``."""

    kind: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}"


def validate_source(source: str, *, required: tuple[str, ...] = (), max_chars: int = 50_000) -> ast.Module:
    """Parse ``source`` and check it against the allow-list; return the AST or raise :class:`ProgramRejected`.

    ``required`` names functions that must be defined at the top level (e.g. ``("policy",)``).
    """
    if not isinstance(source, str):
        raise TypeError(f"program source must be a str, got {type(source).__name__}")
    if len(source) > max_chars:
        raise ProgramRejected(
            "forbidden", f"program is {len(source)} characters long; the limit is {max_chars}"
        )
    if "\x00" in source:
        raise ProgramRejected("syntax", "program contains a NUL character")
    try:
        # an untrusted program's own warnings (e.g. an invalid escape sequence) are not the caller's warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename="<program>")
    except SyntaxError as exc:
        raise ProgramRejected("syntax", f"SyntaxError: {exc.msg}", exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ProgramRejected("syntax", f"{type(exc).__name__}: the program cannot be parsed") from None
    # report the first violation in reading order (inner attributes of a chain end first)
    nodes = sorted(
        ast.walk(tree),
        key=lambda n: (
            getattr(n, "lineno", 0),
            getattr(n, "col_offset", 0),
            getattr(n, "end_col_offset", 0) or 0,
        ),
    )
    for node in nodes:
        line = getattr(node, "lineno", None)
        for kind, why in _FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                raise ProgramRejected("forbidden", why, line)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in ALLOWED_MODULES:
                    raise ProgramRejected("forbidden", _import_message(alias.name), line)
        elif isinstance(node, ast.ImportFrom):
            if node.level or (node.module or "").split(".")[0] not in ALLOWED_MODULES:
                raise ProgramRejected("forbidden", _import_message(node.module or "."), line)
            for alias in node.names:
                if alias.name == "*" or alias.name.startswith("_"):
                    raise ProgramRejected(
                        "forbidden", f"'from {node.module} import {alias.name}' is not allowed", line
                    )
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES:
                raise ProgramRejected("forbidden", f"attribute '.{node.attr}' is not allowed", line)
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id in FORBIDDEN_NAMES:
                raise ProgramRejected("forbidden", f"name '{node.id}' is not allowed", line)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if arg is not None and arg.arg.startswith("__"):
                    raise ProgramRejected("forbidden", f"argument name '{arg.arg}' is not allowed", line)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("__"):
                raise ProgramRejected("forbidden", f"function name '{node.name}' is not allowed", line)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                if name.startswith("__") or name in FORBIDDEN_NAMES:
                    raise ProgramRejected("forbidden", f"name '{name}' is not allowed", line)
        elif isinstance(node, ast.alias) and node.asname and node.asname.startswith("__"):
            raise ProgramRejected("forbidden", f"alias '{node.asname}' is not allowed", line)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in required:
        if name not in defined:
            raise ProgramRejected("missing", f"the program must define a top-level function '{name}'")
    return tree


def compile_program(source: str, *, required: tuple[str, ...] = (), max_chars: int = 50_000):
    """Validate and compile ``source`` (filename ``<program>``, so tracebacks carry its line numbers)."""
    tree = validate_source(source, required=required, max_chars=max_chars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(tree, "<program>", "exec")


def _import_message(module: str) -> str:
    return f"import of '{module}' is not allowed; allowed modules: {', '.join(sorted(ALLOWED_MODULES))}"
