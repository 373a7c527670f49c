"""Exceptions shared by every room of tactica.

Errors raised for bad input are ordinary ``ValueError``/``TypeError``/``KeyError`` subclasses so that callers
can catch them the usual way; the CLI turns them into one-line messages and exit code 2.
"""

from __future__ import annotations

__all__ = ["MissingDependency", "UnknownIdError", "InvalidSpecError"]


class MissingDependency(ImportError):
    """An optional dependency is not installed.

    The message names the package and the pip extra (or the setting) that provides it.
    """

    def __init__(self, package: str, extra: str | None = None, purpose: str | None = None):
        self.package = package
        self.extra = extra
        what = f" for {purpose}" if purpose else ""
        if extra:
            hint = f'install it with `pip install "tactica[{extra}]"`'
        else:
            hint = f"install it with `pip install {package}`"
        super().__init__(f"{package} is required{what} but is not installed; {hint}.")


class UnknownIdError(KeyError):
    """A name (environment id, agent name, backend scheme...) is not registered.

    The message lists the nearest registered names so a typo is obvious.
    """

    def __init__(self, kind: str, name: str, known: list[str]):
        import difflib

        self.kind = kind
        self.name = name
        self.suggestions = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        if self.suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            hint = "registered: " + ", ".join(sorted(known))
        super().__init__(f"unknown {kind} {name!r}; {hint}")

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain.
        return str(self.args[0])


class RetiredIdError(UnknownIdError):
    """An environment id that a newer version replaced: the message names the replacement and what changed."""

    def __init__(self, name: str, replacement: str, change: str):
        self.kind = "environment id"
        self.name = name
        self.suggestions = [replacement]
        KeyError.__init__(
            self, f"environment id {name!r} was retired when {change}; make {replacement!r} instead"
        )


class InvalidSpecError(ValueError):
    """A specification string (backend spec, option) is malformed."""
