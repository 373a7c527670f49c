"""Running untrusted programs (LLM-written policies) so that they cannot touch the host.

Three layers (``docs/security.md`` states what each guarantees and where):

* :mod:`~tactica.sandbox.validate` - an AST allow-list that explains, with a line number, what a program may
  not do (the friendly layer; containment does not rest on it);
* :mod:`~tactica.sandbox.isolation` - a fresh, locked-down process per program: empty environment, two pipes,
  the ``nobody`` user, resource limits and a seccomp filter (no files, processes, sockets or signals);
* :mod:`~tactica.sandbox.runner` - a parent that trusts nothing: JSON frames with a size cap and a deadline,
  a strict reply schema, the program's process group killed at the end.

>>> from tactica.sandbox import run_program
>>> from tactica.sandbox.tasks import call_function
>>> run_program("def f(x):\\n    return x + 1", call_function, ("f", 20)).value  # doctest: +SKIP
21
"""

from tactica.sandbox.isolation import UNISOLATED_ENV, SandboxUnavailable
from tactica.sandbox.runner import (
    ERROR_KINDS,
    Limits,
    ProgramError,
    ProgramFailed,
    ProgramSession,
    SandboxReport,
    run_program,
    safe_builtins,
)
from tactica.sandbox.validate import (
    ALLOWED_MODULES,
    MODULE_EXPORTS,
    ProgramRejected,
    compile_program,
    validate_source,
)

__all__ = [
    "ALLOWED_MODULES",
    "ERROR_KINDS",
    "MODULE_EXPORTS",
    "UNISOLATED_ENV",
    "Limits",
    "ProgramError",
    "ProgramFailed",
    "ProgramRejected",
    "ProgramSession",
    "SandboxReport",
    "SandboxUnavailable",
    "compile_program",
    "run_program",
    "safe_builtins",
    "validate_source",
]
