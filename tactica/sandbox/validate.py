"""Static checks on untrusted Python source: an AST allow-list run before any code executes.

This is the first, friendly layer of the sandbox: it explains to the program's author (often a language model)
what is not allowed, with a line number, before a process starts.  Containment does not rest on it: a
program that gets past it still runs in an isolated process (:mod:`tactica.sandbox.isolation`) that can
neither open files nor create processes, sockets or signals, and whose only output is a reply the parent
checks against a schema.  The rules:

* imports only of :data:`ALLOWED_MODULES`, and of those modules only the names in :data:`MODULE_EXPORTS`
  (``statistics.sys``, ``collections.abc``-style re-exports of other modules and helpers such as
  ``functools.update_wrapper``, which reads attributes named by strings, are out);
* no attribute or name starting with an underscore (``__class__``, ``__subclasses__``, ``__globals__``,
  ``__builtins__``...), no frame/traceback/generator/code attribute (``gi_frame``, ``f_back``,
  ``tb_frame``, ``co_consts``...), no ``str.format``/``format_map`` (they read attributes from inside a
  string) and no attribute naming a module (``.sys``, ``.os``, ``.modules``, ``.builtins``);
* the same rules for the attributes a ``match`` class pattern reads (``case str(format=f)``,
  ``case C(__class__=c)``) and for every name a statement binds (``except E as __builtins__``);
* no reference to ``open``, ``exec``, ``eval``, ``compile``, ``globals``, ``locals``, ``vars``, ``getattr``,
  ``setattr``, ``delattr``, ``type``, ``object``, ``super``, ``input``, ``breakpoint``, ``help``, ``memoryview``
  (they are also absent from the builtins the program runs with);
* no ``class`` statements, ``async``/``await``, or ``global`` declarations of builtins.

Python folds Unicode identifiers to NFKC while parsing, so ``＿＿class＿＿`` reaches these checks as ``__class__``.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

__all__ = [
    "ALLOWED_MODULES",
    "FORBIDDEN_NAMES",
    "MODULE_EXPORTS",
    "ProgramRejected",
    "validate_source",
    "compile_program",
]

MODULE_EXPORTS: dict[str, tuple[str, ...] | None] = {
    "math": None,  # None: every public name (C modules without re-exports)
    "itertools": None,
    "heapq": (
        "heappush",
        "heappop",
        "heapify",
        "heapreplace",
        "heappushpop",
        "merge",
        "nlargest",
        "nsmallest",
    ),
    "collections": ("ChainMap", "Counter", "OrderedDict", "defaultdict", "deque", "namedtuple", "abc"),
    "collections.abc": (
        "Callable",
        "Collection",
        "Container",
        "Hashable",
        "ItemsView",
        "Iterable",
        "Iterator",
        "KeysView",
        "Mapping",
        "MappingView",
        "MutableMapping",
        "MutableSequence",
        "MutableSet",
        "Reversible",
        "Sequence",
        "Set",
        "Sized",
        "ValuesView",
    ),
    "functools": ("cache", "cmp_to_key", "lru_cache", "partial", "reduce"),
    "statistics": (
        "NormalDist",
        "StatisticsError",
        "correlation",
        "covariance",
        "fmean",
        "geometric_mean",
        "harmonic_mean",
        "linear_regression",
        "mean",
        "median",
        "median_grouped",
        "median_high",
        "median_low",
        "mode",
        "multimode",
        "pstdev",
        "pvariance",
        "quantiles",
        "stdev",
        "variance",
    ),
}
"""The modules a program may import and the names it may use from each (the runtime hands out a module
holding only these, so a re-exported ``sys`` or ``random`` is not there even if this check were bypassed)."""

ALLOWED_MODULES = frozenset(name for name in MODULE_EXPORTS if "." not in name)
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
        "func_globals",
        # modules reachable as attributes of allowed ones (statistics.sys, statistics.random...)
        "sys",
        "os",
        "modules",
        "builtins",
        "random",
        "numbers",
        "subprocess",
        "ctypes",
        "importlib",
    }
)
FORBIDDEN_ATTRIBUTE_PREFIXES = ("_", "f_", "tb_", "gi_", "cr_", "ag_", "co_")
"""Frames (``f_back``, ``f_globals``), tracebacks (``tb_frame``), generators and coroutines (``gi_frame``,
``cr_frame``, ``ag_frame``) and code objects (``co_consts``) lead to other modules' globals."""
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
    imported = _imported_modules(tree)
    for node in nodes:
        _check_node(node, imported)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in required:
        if name not in defined:
            raise ProgramRejected("missing", f"the program must define a top-level function '{name}'")
    return tree


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> allowed module for every ``import m`` / ``import m as n`` / ``from m import sub``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module in MODULE_EXPORTS:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULE_EXPORTS:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _check_attribute(attr: str, line: int | None) -> None:
    if attr.startswith(FORBIDDEN_ATTRIBUTE_PREFIXES) or attr in FORBIDDEN_ATTRIBUTES:
        raise ProgramRejected("forbidden", f"attribute '.{attr}' is not allowed", line)


def _check_bound_name(name: str | None, line: int | None, what: str = "name") -> None:
    if name is not None and (name.startswith("__") or name in FORBIDDEN_NAMES):
        raise ProgramRejected("forbidden", f"{what} '{name}' is not allowed", line)


def _check_export(module: str, name: str, line: int | None) -> None:
    exports = MODULE_EXPORTS.get(module)
    if name.startswith("_") or (exports is not None and name not in exports):
        shown = ", ".join(exports) if exports is not None else "its public functions"
        raise ProgramRejected(
            "forbidden", f"'{module}.{name}' is not available to programs; {module} offers {shown}", line
        )


def _check_node(node: ast.AST, imported: dict[str, str]) -> None:
    line = getattr(node, "lineno", None)
    for kind, why in _FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            raise ProgramRejected("forbidden", why, line)
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name not in MODULE_EXPORTS:
                raise ProgramRejected("forbidden", _import_message(alias.name), line)
            _check_bound_name(alias.asname, line, "alias")
    elif isinstance(node, ast.ImportFrom):
        if node.level or node.module not in MODULE_EXPORTS:
            raise ProgramRejected("forbidden", _import_message(node.module or "."), line)
        for alias in node.names:
            if alias.name == "*":
                raise ProgramRejected("forbidden", f"'from {node.module} import *' is not allowed", line)
            _check_export(node.module, alias.name, line)
            _check_bound_name(alias.asname, line, "alias")
    elif isinstance(node, ast.Attribute):
        _check_attribute(node.attr, line)
        if isinstance(node.value, ast.Name) and node.value.id in imported:
            _check_export(imported[node.value.id], node.attr, line)
    elif isinstance(node, ast.Name):
        _check_bound_name(node.id, line)
    elif isinstance(node, ast.MatchClass):
        # `case C(attr=pattern)` reads C's attribute `attr` from the subject: the same rules as `.attr`
        for attr in node.kwd_attrs:
            _check_attribute(attr, line)
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
        _check_bound_name(node.name, line)
    elif isinstance(node, ast.MatchMapping):
        _check_bound_name(node.rest, line)
    elif isinstance(node, ast.ExceptHandler):
        _check_bound_name(node.name, line)
    elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
        args = node.args
        for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if arg is not None:
                _check_bound_name(arg.arg, line, "argument name")
        if isinstance(node, ast.FunctionDef):
            _check_bound_name(node.name, line, "function name")
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        for name in node.names:
            _check_bound_name(name, line)


def compile_program(source: str, *, required: tuple[str, ...] = (), max_chars: int = 50_000):
    """Validate and compile ``source`` (filename ``<program>``, so tracebacks carry its line numbers)."""
    tree = validate_source(source, required=required, max_chars=max_chars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(tree, "<program>", "exec")


def _import_message(module: str) -> str:
    allowed = ", ".join(sorted(MODULE_EXPORTS))
    return f"import of '{module}' is not allowed; allowed modules: {allowed}"
