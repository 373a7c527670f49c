"""Sandbox tasks for the tests: they run inside the program's process (imported there by the process server).

``unrestricted`` and ``unrestricted_orders`` stand for a program that got past every Python-level layer (the
AST check, the safe builtins, the module views): they run attacker code with the real builtins and any module
already loaded, so whatever still stops it is the operating system's doing (seccomp, the unprivileged user,
resource limits, the parent's checks).
"""

import builtins
import os

from tactica.envs.smac.program_sandbox import program_orders


def _escape(payload: str):
    scope = {"__builtins__": builtins, "__name__": "escaped"}
    exec(payload, scope)
    return scope.get("result")


def unrestricted(namespace, payload):
    """Run ``payload`` unrestricted; its variable ``result`` is the value."""
    return _escape(payload)


def unrestricted_orders(namespace, request):
    """``SMACProgram-v3``'s task, after running the program's ``PAYLOAD`` unrestricted once per battle."""
    if "map" in request:
        _escape(namespace["PAYLOAD"])
    return program_orders(namespace, request)


def crash(namespace):
    """The program's process dies without a reply."""
    os._exit(3)
