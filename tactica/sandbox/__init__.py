"""Running untrusted programs (LLM-written policies): an AST allow-list, then a separate process with limits.

>>> from tactica.sandbox import run_program, Limits
>>> def call(ns):
...     return ns["f"](20)
>>> run_program("def f(x):\\n    return x + 1", call).value  # doctest: +SKIP
21
"""

from tactica.sandbox.runner import Limits, ProgramError, SandboxReport, run_program, safe_builtins
from tactica.sandbox.validate import ALLOWED_MODULES, ProgramRejected, compile_program, validate_source

__all__ = [
    "ALLOWED_MODULES",
    "Limits",
    "ProgramError",
    "ProgramRejected",
    "SandboxReport",
    "compile_program",
    "run_program",
    "safe_builtins",
    "validate_source",
]
