"""Gambit ``.nfg`` files: both the payoff and the outcome versions, read and written with exact rationals.

Format (Gambit's ``doc/formats.nfgpay.rst`` and ``formats.nfgout.rst``)::

    NFG 1 R "title" { "P1" "P2" } { 3 2 }              payoff version: strategy counts
    "optional comment"
    1 1 0 2 0 2 1 1 0 3 2 0                             payoffs, all players per contingency

    NFG 1 R "title" { "P1" "P2" } { { "a" "b" } { "x" "y" } }   outcome version: strategy names
    ""
    { { "o1" 1, 2 } { "o2" 0 0 } }                     outcomes (commas optional)
    1 2 0 1                                            1-based outcome per contingency, 0 = null outcome

Contingencies are listed with **player 1's strategy varying fastest** (Fortran order over the action tensor).
Numbers may be integers, decimals (``1.5``, ``-2e3``) or ``a/b``; they are kept as exact fractions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from tactica.equilibria.games import NormalFormGame, to_fraction

__all__ = ["read_nfg", "parse_nfg", "write_nfg", "to_nfg", "NFGFormatError"]


class NFGFormatError(ValueError):
    """A malformed ``.nfg`` file; the message names the line and what was expected."""


@dataclass
class _Token:
    kind: str  # "str", "word", "{", "}", ","
    text: str
    line: int


def _tokenize(text: str, source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c in "{},":
            tokens.append(_Token(c, c, line))
            i += 1
        elif c == '"':
            start_line, j, buf = line, i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                if text[j] == "\n":
                    line += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise NFGFormatError(
                    f"{source}: line {start_line}: unterminated string (expected a closing '\"')"
                )
            tokens.append(_Token("str", "".join(buf), start_line))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '{},"':
                j += 1
            tokens.append(_Token("word", text[i:j], line))
            i = j
    return tokens


class _Reader:
    def __init__(self, tokens: list[_Token], source: str):
        self.tokens, self.pos, self.source = tokens, 0, source

    def error(self, expected: str) -> NFGFormatError:
        if self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            return NFGFormatError(f"{self.source}: line {tok.line}: expected {expected}, found {tok.text!r}")
        last = self.tokens[-1].line if self.tokens else 1
        return NFGFormatError(f"{self.source}: line {last}: expected {expected}, found end of file")

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, expected: str, text: str | None = None) -> _Token:
        tok = self.peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text != text):
            raise self.error(expected)
        self.pos += 1
        return tok

    def number(self, expected: str) -> Fraction:
        tok = self.take("word", expected)
        try:
            return _parse_number(tok.text)
        except ValueError:
            self.pos -= 1
            raise self.error(expected) from None

    def strings(self, expected: str) -> list[str]:
        self.take("{", f"'{{' opening {expected}")
        out = []
        while (tok := self.peek()) is not None and tok.kind == "str":
            out.append(tok.text)
            self.pos += 1
        self.take("}", f"a quoted name or '}}' closing {expected}")
        return out


def _parse_number(text: str) -> Fraction:
    if "/" in text:
        num, _, den = text.partition("/")
        if not den or Fraction(den) == 0:
            raise ValueError(text)
        return Fraction(num) / Fraction(den)
    return Fraction(text)  # integers, decimals and exponents ("1.5e3") read exactly


def parse_nfg(text: str, source: str = "<nfg>") -> NormalFormGame:
    """Parse the text of a ``.nfg`` file (either version) into a :class:`NormalFormGame` with exact payoffs."""
    r = _Reader(_tokenize(text, source), source)
    r.take("word", "'NFG' at the start of the file", "NFG")
    version = r.take("word", "the version number 1")
    if version.text != "1":
        r.pos -= 1
        raise r.error("the version number 1")
    letter = r.take("word", "'R' or 'D' after the version")
    if letter.text not in ("R", "D"):
        r.pos -= 1
        raise r.error("'R' or 'D' after the version")
    title = r.take("str", "the quoted game title").text
    players = r.strings("the list of player names")
    if not players:
        raise r.error("at least one player name")
    r.take("{", "'{' opening the strategy counts or strategy names")
    tok = r.peek()
    if tok is not None and tok.kind == "{":
        # outcome version: one list of names per player
        r.pos -= 1
        r.take("{", "'{'")
        names = [r.strings(f"the strategy names of player {i + 1}") for i in range(len(players))]
        r.take("}", "'}' closing the strategy name lists")
        counts = [len(g) for g in names]
        if any(c == 0 for c in counts):
            raise NFGFormatError(f"{source}: every player needs at least one strategy name")
        outcome_version = True
    else:
        counts = []
        while (tok := r.peek()) is not None and tok.kind == "word":
            value = r.number("a positive strategy count")
            if value.denominator != 1 or value < 1:
                r.pos -= 1
                raise r.error("a positive integer strategy count")
            counts.append(int(value))
        r.take("}", "a strategy count or '}'")
        if len(counts) != len(players):
            raise NFGFormatError(
                f"{source}: {len(players)} players but {len(counts)} strategy counts in the header"
            )
        names = [[str(k + 1) for k in range(c)] for c in counts]
        outcome_version = False
    comment_tok = r.peek()
    comment = ""
    if comment_tok is not None and comment_tok.kind == "str":
        comment = comment_tok.text
        r.pos += 1
    n, size = len(players), int(np.prod(counts))
    payoffs = np.empty((n, size), dtype=object)
    if outcome_version:
        outcomes = [[Fraction(0)] * n]  # index 0 = the null outcome
        r.take("{", "'{' opening the list of outcomes")
        while (tok := r.peek()) is not None and tok.kind == "{":
            r.pos += 1
            r.take("str", f"the quoted name of outcome {len(outcomes)}")
            values = []
            for i in range(n):
                values.append(r.number(f"payoff {i + 1} of outcome {len(outcomes)} (a number)"))
                if (tok := r.peek()) is not None and tok.kind == ",":
                    r.pos += 1
            r.take("}", f"'}}' closing outcome {len(outcomes)} after {n} payoffs")
            outcomes.append(values)
        r.take("}", "'{' opening an outcome or '}' closing the outcome list")
        for k in range(size):
            index = r.number(f"the outcome number of contingency {k + 1} of {size}")
            if index.denominator != 1 or not 0 <= index < len(outcomes):
                r.pos -= 1
                raise r.error(f"an outcome number between 0 and {len(outcomes) - 1}")
            payoffs[:, k] = outcomes[int(index)]
    else:
        for k in range(size):
            for i in range(n):
                payoffs[i, k] = r.number(f"payoff {i + 1} of contingency {k + 1} of {size} (a number)")
    if r.peek() is not None:
        raise r.error("end of file")
    # contingencies count with player 1 fastest: Fortran order over the (A_1, ..., A_n) tensor
    tensor = np.stack([payoffs[i].reshape(counts, order="F") for i in range(n)])
    game = NormalFormGame(tensor, player_names=players, strategy_names=names, title=title, exact=True)
    game.comment = comment  # type: ignore[attr-defined]
    return game


def read_nfg(path: str | os.PathLike[str]) -> NormalFormGame:
    """Read a Gambit ``.nfg`` file (payoff or outcome version)."""
    path = Path(path)
    return parse_nfg(path.read_text(encoding="utf-8"), source=str(path))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: object) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return repr(float(value))


def to_nfg(game: NormalFormGame, version: str = "payoff") -> str:
    """The ``.nfg`` text of ``game``; ``version`` is ``"payoff"`` or ``"outcome"`` (one outcome per cell).

    Exact games are written as integers and ``a/b`` fractions; float games as shortest decimals.
    """
    if version not in ("payoff", "outcome"):
        raise ValueError(f"version must be 'payoff' or 'outcome'; got {version!r}")
    values = (
        game.exact if game.exact is not None else np.vectorize(to_fraction, otypes=[object])(game.payoffs)
    )
    n = game.num_players
    players = " ".join(_quote(p) for p in game.player_names)
    flat = [values[i].reshape(-1, order="F") for i in range(n)]
    lines = []
    if version == "payoff":
        lines.append(
            f"NFG 1 R {_quote(game.title)} {{ {players} }} {{ {' '.join(map(str, game.num_actions))} }}"
        )
        lines.append(_quote(getattr(game, "comment", "")))
        lines.append("")
        for k in range(game.num_profiles):
            lines.append(" ".join(_number(flat[i][k]) for i in range(n)))
    else:
        groups = " ".join("{ " + " ".join(_quote(s) for s in g) + " }" for g in game.strategy_names)
        lines.append(f"NFG 1 R {_quote(game.title)} {{ {players} }}")
        lines.append(f"{{ {groups} }}")
        lines.append(_quote(getattr(game, "comment", "")))
        lines.append("")
        lines.append("{")
        for k in range(game.num_profiles):
            lines.append(f'{{ "" {", ".join(_number(flat[i][k]) for i in range(n))} }}')
        lines.append("}")
        lines.append(" ".join(str(k + 1) for k in range(game.num_profiles)))
    return "\n".join(lines) + "\n"


def write_nfg(game: NormalFormGame, path: str | os.PathLike[str], version: str = "payoff") -> None:
    """Write ``game`` to ``path`` in Gambit's ``.nfg`` format (see :func:`to_nfg`)."""
    Path(path).write_text(to_nfg(game, version), encoding="utf-8")
