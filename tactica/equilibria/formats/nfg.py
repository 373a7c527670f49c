"""Gambit ``.nfg`` files: every header and body form Gambit reads, read and written with exact rationals.

Grammar (Gambit's ``doc/formats.nfgpay.rst``, ``formats.nfgout.rst`` and the reader in ``src/games/file.cc``)::

    NFG 1 R "title" { "P1" "P2" } HEADER [ "comment" ] BODY

    HEADER  { 3 2 }                               strategy counts, or
            { { "a" "b" "c" } { "x" "y" } }       strategy names (one list per player)
    BODY    1 1 0 2 0 2 1 1 0 3 2 0               payoffs, every player's per contingency, or
            { { "o1" 1, 1 } { "" 0 2 } ... }      outcomes (commas optional) followed by
            1 2 0 ...                             one outcome number per contingency (0: all payoffs 0)

Either header goes with either body, as in Gambit (``coord2.nfg``: names and payoffs; ``{ 2 2 }`` with
outcomes works too).  The letter after the version may be ``R`` or ``D`` (obsolete).  Contingencies are listed
with **player 1's strategy varying fastest** (Fortran order over the action tensor).  Numbers are integers,
decimals with optional exponents (``-1.5``, ``.5``, ``2.5e-3``) or ``a/b``, kept as exact fractions; exponents
beyond +-400 and magnitudes beyond float64 are refused (``1e999999999`` would otherwise take forever).

Quoted text: ``\\"`` is a quote and ``\\\\`` a backslash; any other backslash stays as it is (Gambit's reader
keeps ``\\x`` as ``\\x``; for ``\\\\`` it keeps more backslashes than its writer, C++'s ``std::quoted``, put in,
so we read the writer's meaning).  Whitespace is the ASCII set, as in Gambit.

Files are decoded as the caller says (``encoding=``), else by their byte-order mark, else as UTF-8, else as
Latin-1 when that gives text (Gambit's own files are ASCII; pygambit reads Latin-1 titles).  Anything else is
refused with the file and line of the first bad byte.  Before any payoff is stored, the declared game size is
checked against the memory available and against the length of the file, so a header declaring 200000 x 200000
strategies fails at once with the estimate, instead of after allocating gigabytes.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from tactica.equilibria._numbers import parse_rational
from tactica.equilibria.games import NormalFormGame, to_fraction

__all__ = [
    "read_nfg",
    "parse_nfg",
    "write_nfg",
    "to_nfg",
    "decode_text",
    "read_game_bytes",
    "NFGFormatError",
    "available_memory",
]

#: Largest strategy count accepted for one player (no game this size can be solved or even stored).
MAX_STRATEGIES = 10**9
#: Memory one payoff takes: float64 copy, object-array slot, and its Fraction (shared among equal payoffs,
#: so this overestimates games with few distinct payoffs).
BYTES_PER_PAYOFF = 8 + 8 + 100
_WHITESPACE = " \t\n\r\v\f"  # C's isspace() in the "C" locale, which Gambit uses
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\n\r\v\f]+)
      | (?P<lb>\{) | (?P<rb>\}) | (?P<comma>,)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<num>[-+0-9][0-9]*(?:\.[0-9]*(?:[eE][-+0-9][0-9]*)?|/[0-9]*|[eE][-+0-9][0-9]*)?|\.[0-9]*)
      | (?P<open>")
      | (?P<sym>[^ \t\n\r\v\f]+)""",
    re.VERBOSE | re.DOTALL,
)
_NUMBER = re.compile(r"[-+0-9][0-9]*(?:\.[0-9]*(?:[eE][-+0-9][0-9]*)?|/[0-9]*|[eE][-+0-9][0-9]*)?|\.[0-9]*")
_ESCAPE = re.compile(r'\\(["\\])')
_BODY_PUNCTUATION = re.compile(r'[{}",]')
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


class NFGFormatError(ValueError):
    """A malformed or unreadable ``.nfg`` file; the message names the file, the line and what was expected."""


# ------------------------------------------------------------------------------------------------ the file
def read_game_bytes(path: str | os.PathLike[str], what: str = "game file") -> bytes:
    """The bytes of ``path``, or a one-line :class:`NFGFormatError` naming it (missing, a directory, no access)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise NFGFormatError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise NFGFormatError(f"{path}: is a directory, not a {what}") from None
    except NotADirectoryError:
        raise NFGFormatError(f"{path}: a part of this path is a file, not a directory") from None
    except PermissionError:
        raise NFGFormatError(f"{path}: permission denied (cannot read the {what})") from None
    except OSError as exc:
        raise NFGFormatError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None


def decode_text(data: bytes, source: str = "<nfg>", encoding: str | None = None) -> str:
    """Decode a game file: ``encoding`` if given, else by byte-order mark, UTF-8, or Latin-1 text.

    Raises:
        NFGFormatError: naming ``source`` and the line of the first byte that does not decode, or of a
            control character (a binary file).
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise NFGFormatError(f"{source}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise NFGFormatError(
                f"{source}: line {line}: byte 0x{data[exc.start]:02x} is not valid {encoding}"
            ) from None
        return _check_controls(text, source)
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return decode_text(data, source, codec)
    try:
        return _check_controls(data.decode("utf-8"), source)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    latin = data.decode("latin-1")
    control = _CONTROL.search(latin)
    if control is None:
        return latin
    line = data.count(b"\n", 0, first_bad) + 1
    raise NFGFormatError(
        f"{source}: line {line}: byte 0x{data[first_bad]:02x} is not UTF-8 and the file is not Latin-1 text "
        "either; save it as UTF-8 (or name its encoding: --encoding)"
    )


def _check_controls(text: str, source: str) -> str:
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise NFGFormatError(
            f"{source}: line {line}: control character U+{ord(control.group()):04X}; not a text game file"
        )
    return text


def available_memory() -> int:
    """Bytes this process may still allocate: MemAvailable (Linux), capped by address-space limits."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    if not limits:
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            limits.append(2**40)
    try:
        import resource

        for kind in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft = resource.getrlimit(kind)[0]
            if soft != resource.RLIM_INFINITY:
                limits.append(soft)
    except (ImportError, ValueError, OSError):
        pass
    return min(limits)


def _size(num_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if num_bytes < 1024 or unit == "PiB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.3g} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.3g} PiB"  # pragma: no cover


# ------------------------------------------------------------------------------------------------- tokens
class _Tokens:
    """Gambit's tokens over the decoded text: ``(kind, text, offset)`` with kind one of
    ``{ } , str num sym eof``."""

    def __init__(self, text: str, source: str):
        self.text, self.source = text, source
        self._iter = _TOKEN.finditer(text)
        self._next: tuple[str, str, int] | None = None

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def peek(self) -> tuple[str, str, int]:
        if self._next is None:
            self._next = self._read()
        return self._next

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self._next = None
        return token

    def _read(self) -> tuple[str, str, int]:
        for match in self._iter:
            kind = match.lastgroup
            if kind == "ws":
                continue
            if kind == "open":
                raise NFGFormatError(
                    f"{self.source}: line {self.line(match.start())}: unterminated string "
                    "(expected a closing '\"')"
                )
            kind = {"lb": "{", "rb": "}", "comma": ","}.get(kind, kind)
            return kind, match.group(), match.start()
        return "eof", "", len(self.text)

    def error(self, expected: str, token: tuple[str, str, int] | None = None) -> NFGFormatError:
        kind, text, offset = token or self.peek()
        found = "end of file" if kind == "eof" else repr(text if len(text) <= 40 else text[:37] + "...")
        return NFGFormatError(f"{self.source}: line {self.line(offset)}: expected {expected}, found {found}")

    def expect(self, kind: str, expected: str) -> tuple[str, str, int]:
        token = self.take()
        if token[0] != kind:
            raise self.error(expected, token)
        return token

    def string(self, expected: str) -> str:
        return _unquote(self.expect("str", expected)[1])

    def number(self, expected: str) -> Fraction:
        token = self.take()
        if token[0] != "num":
            raise self.error(expected, token)
        try:
            return parse_rational(token[1])
        except ValueError as exc:
            raise NFGFormatError(f"{self.source}: line {self.line(token[2])}: {exc}") from None


def _unquote(token: str) -> str:
    return _ESCAPE.sub(r"\1", token[1:-1])


# ------------------------------------------------------------------------------------------------ parsing
def parse_nfg(text: str, source: str = "<nfg>") -> NormalFormGame:
    """Parse the text of a ``.nfg`` file (any header with any body) into a game with exact payoffs."""
    tokens = _Tokens(text, source)
    kind, word, _ = tokens.take()
    if kind != "sym" or word != "NFG":
        raise tokens.error("'NFG' at the start of the file", (kind, word, _))
    version = tokens.take()
    if version[1] != "1":
        raise tokens.error("the version number 1", version)
    letter = tokens.take()
    if letter[1] not in ("R", "D"):
        raise tokens.error("'R' or 'D' after the version", letter)
    title = tokens.string("the quoted game title")
    players = _string_list(tokens, "the list of player names")
    if not players:
        raise tokens.error("at least one quoted player name")
    header = tokens.expect("{", "'{' opening the strategy counts or strategy names")
    if tokens.peek()[0] == "{":
        names = []
        for i in range(len(players)):
            group = _string_list(tokens, f"the strategy names of player {i + 1}")
            if not group:
                raise NFGFormatError(
                    f"{source}: line {tokens.line(header[2])}: player {i + 1} has no strategies"
                )
            names.append(group)
        tokens.expect("}", "'}' closing the strategy name lists")
        counts = [len(g) for g in names]
    else:
        counts = []
        while tokens.peek()[0] == "num":
            token = tokens.take()
            if not re.fullmatch(r"\+?[0-9]+", token[1]) or not 0 < int(token[1]) <= MAX_STRATEGIES:
                raise NFGFormatError(
                    f"{source}: line {tokens.line(token[2])}: strategy count {token[1][:30]!r} is not an integer "
                    f"between 1 and {MAX_STRATEGIES}"
                )
            counts.append(int(token[1]))
        tokens.expect("}", "a strategy count or '}'")
        if len(counts) != len(players):
            raise NFGFormatError(
                f"{source}: line {tokens.line(header[2])}: {len(players)} players but {len(counts)} strategy "
                "counts in the header"
            )
        names = None  # "1".."A_i", made once the size is known to be sane
    comment = tokens.string("") if tokens.peek()[0] == "str" else ""
    n = len(players)
    size = 1
    for c in counts:
        size *= c
    body = tokens.peek()
    outcome_body = body[0] == "{"
    if not outcome_body and body[0] != "num":
        raise tokens.error("the payoffs (numbers) or '{' opening the list of outcomes", body)
    _check_size(source, tokens.line(header[2]), counts, n, size, len(text) - body[2], outcome_body)
    if outcome_body:
        payoffs = _outcome_body(tokens, n, size)
    else:
        payoffs = _payoff_body(tokens, n, size)
    # contingencies count with player 1 fastest: Fortran order over the (A_1, ..., A_n) tensor
    tensor = np.stack([payoffs[i].reshape(counts, order="F") for i in range(n)])
    game = NormalFormGame(
        tensor,
        player_names=_distinct_labels(players),
        strategy_names=[_distinct_labels(g) for g in names]
        if names is not None
        else [[str(k + 1) for k in range(c)] for c in counts],
        title=title,
        exact=True,
    )
    game.comment = comment  # type: ignore[attr-defined]
    return game


def _distinct_labels(labels: list[str]) -> list[str]:
    """Gambit's label normalisation: an empty or repeated label gets the first free suffix ``_1``, ``_2``...

    (``{"x", "x", "x_1"}`` becomes ``{"x_2", "x_3", "x_1"}``, so pygambit and we name things alike.)
    """
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    used = set(labels)
    visited: dict[str, int] = {}
    out = []
    for label in labels:
        if counts[label] == 1 and label:
            out.append(label)
            continue
        while True:
            visited[label] = visited.get(label, 0) + 1
            candidate = f"{label}_{visited[label]}"
            if candidate not in used:
                break
        used.add(candidate)
        out.append(candidate)
    return out


def _string_list(tokens: _Tokens, what: str) -> list[str]:
    tokens.expect("{", f"'{{' opening {what}")
    out = []
    while tokens.peek()[0] == "str":
        out.append(_unquote(tokens.take()[1]))
    tokens.expect("}", f"a quoted name or '}}' closing {what}")
    return out


def _check_size(
    source: str, line: int, counts: list[int], n: int, size: int, remaining: int, outcome_body: bool
) -> None:
    """Refuse a declared size that cannot fit in memory, or that the rest of the file is too short to hold."""
    shape = " x ".join(map(str, counts))
    if len(counts) > 6:
        shape = f"{len(counts)} players with {' x '.join(map(str, counts[:2]))} x ... x {counts[-1]}"
    entries = n * size
    needed = entries * BYTES_PER_PAYOFF
    free = available_memory()
    if needed > free:
        raise NFGFormatError(
            f"{source}: line {line}: the header declares {shape} strategies ({size:.3g} contingencies, {n} "
            f"players): the payoff tables would need about {_size(entries * 8)} as float64 alone "
            f"({_size(needed)} with exact fractions), more than the {_size(free)} of memory available"
        )
    # every number needs at least one character and a separator (small games: let the parser say where the
    # body ends early, with the line)
    numbers = size if outcome_body else entries
    if numbers > 65536 and remaining < 2 * numbers - 1:
        what = "outcome numbers" if outcome_body else "payoffs"
        raise NFGFormatError(
            f"{source}: line {line}: the header declares {shape} strategies ({size:.3g} contingencies), which "
            f"need {numbers:.3g} {what}, but only {remaining} characters follow"
        )


def _fast_numbers(tokens: _Tokens, count: int, what) -> list[Fraction] | None:
    """The rest of the file as exactly ``count`` numbers, when it holds nothing else (the common case)."""
    start = tokens.peek()[2]
    rest = tokens.text[start:]
    if _BODY_PUNCTUATION.search(rest):
        return None
    parts = rest.split()
    cache: dict[str, Fraction] = {}
    values = []
    for k, part in enumerate(parts[:count]):
        value = cache.get(part)
        if value is None:
            try:
                value = cache[part] = parse_rational(part)
            except ValueError as exc:
                line = tokens.line(_offset_of_word(tokens.text, start, k))
                if _NUMBER.fullmatch(part):  # a number, but out of range
                    raise NFGFormatError(f"{tokens.source}: line {line}: {what(k)}: {exc}") from None
                shown = part if len(part) <= 40 else part[:37] + "..."
                raise NFGFormatError(
                    f"{tokens.source}: line {line}: expected {what(k)}, found {shown!r}"
                ) from None
        values.append(value)
    if len(parts) < count:
        raise NFGFormatError(
            f"{tokens.source}: line {tokens.line(len(tokens.text))}: expected {what(len(parts))}, found end of file"
        )
    if len(parts) > count:
        offset = _offset_of_word(tokens.text, start, count)
        raise NFGFormatError(
            f"{tokens.source}: line {tokens.line(offset)}: expected end of file, found {parts[count][:40]!r}"
        )
    return values


def _offset_of_word(text: str, start: int, index: int) -> int:
    for k, match in enumerate(re.finditer(r"[^ \t\n\r\v\f]+", text[start:])):
        if k == index:
            return start + match.start()
    return len(text)


def _payoff_body(tokens: _Tokens, n: int, size: int) -> np.ndarray:
    def what(k: int) -> str:
        return f"payoff {k % n + 1} of contingency {k // n + 1} of {size} (a number)"

    values = _fast_numbers(tokens, n * size, what)
    if values is None:
        values = [tokens.number(what(k)) for k in range(n * size)]
        if tokens.peek()[0] != "eof":
            raise tokens.error("end of file")
    flat = np.empty(n * size, dtype=object)
    flat[:] = values
    return flat.reshape(size, n).T


def _outcome_body(tokens: _Tokens, n: int, size: int) -> np.ndarray:
    tokens.expect("{", "'{' opening the list of outcomes")
    outcomes = [[Fraction(0)] * n]  # number 0: the null outcome
    while tokens.peek()[0] == "{":
        tokens.take()
        number = len(outcomes)
        tokens.string(f"the quoted name of outcome {number}")
        values = []
        for i in range(n):
            values.append(tokens.number(f"payoff {i + 1} of outcome {number} (a number)"))
            if tokens.peek()[0] == ",":
                tokens.take()
        tokens.expect("}", f"'}}' closing outcome {number} after {n} payoffs")
        outcomes.append(values)
    tokens.expect("}", "'{' opening an outcome or '}' closing the outcome list")

    def what(k: int) -> str:
        return f"the outcome number of contingency {k + 1} of {size}"

    start = tokens.peek()[2]
    numbers = _fast_numbers(tokens, size, what)
    if numbers is None:
        numbers = [tokens.number(what(k)) for k in range(size)]
        if tokens.peek()[0] != "eof":
            raise tokens.error("end of file")
    payoffs = np.empty((n, size), dtype=object)
    for k, index in enumerate(numbers):
        if index.denominator != 1 or not 0 <= index < len(outcomes):
            line = tokens.line(_offset_of_word(tokens.text, start, k))
            raise NFGFormatError(
                f"{tokens.source}: line {line}: {what(k)} is {index}; expected an outcome number between 0 "
                f"and {len(outcomes) - 1}"
            )
        payoffs[:, k] = outcomes[int(index)]
    return payoffs


def read_nfg(path: str | os.PathLike[str], encoding: str | None = None) -> NormalFormGame:
    """Read a Gambit ``.nfg`` file (see the module docstring for the forms and the encoding rules)."""
    source = str(path)
    return parse_nfg(decode_text(read_game_bytes(path), source, encoding), source=source)


# ------------------------------------------------------------------------------------------------ writing
def _quote(text: str) -> str:
    """Quote ``text`` so that both Gambit's reader and ours read it back unchanged.

    ``"`` becomes ``\\"``; a backslash stays single unless a quote, a backslash or the end of the text follows
    it, where it must be written ``\\\\`` (which Gambit itself reads back wrongly: such labels are refused).
    """
    out = []
    for k, char in enumerate(text):
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            following = text[k + 1] if k + 1 < len(text) else ""
            if following in ('"', "\\", ""):
                raise ValueError(
                    f"cannot write the label {text!r} in a .nfg file: Gambit cannot read back a backslash "
                    "before a quote, another backslash or the end of a label"
                )
            out.append("\\")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _number(value: object) -> str:
    value = value if isinstance(value, Fraction) else to_fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def to_nfg(game: NormalFormGame, version: str = "payoff") -> str:
    """The ``.nfg`` text of ``game``; ``version`` is ``"payoff"`` (a payoff list, after the strategy counts, or the
    strategy names when they are not ``1..A_i``) or ``"outcome"`` (strategy names and one outcome per
    contingency).

    Exact games are written as integers and ``a/b`` fractions; float games as their shortest decimals (as
    fractions).  pygambit reads both back to the same game (tested).
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
    groups = " ".join("{ " + " ".join(_quote(s) for s in g) + " }" for g in game.strategy_names)
    default_names = all(g == tuple(str(k + 1) for k in range(len(g))) for g in game.strategy_names)
    if version == "payoff":
        # strategy counts, or the names when they are not the default 1..A_i (Gambit reads both headers)
        header = " ".join(map(str, game.num_actions)) if default_names else groups
        lines.append(f"NFG 1 R {_quote(game.title)} {{ {players} }} {{ {header} }}")
        lines.append(_quote(getattr(game, "comment", "")))
        lines.append("")
        for k in range(game.num_profiles):
            lines.append(" ".join(_number(flat[i][k]) for i in range(n)))
    else:
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
    """Write ``game`` to ``path`` in Gambit's ``.nfg`` format (see :func:`to_nfg`), UTF-8 encoded."""
    Path(path).write_text(to_nfg(game, version), encoding="utf-8")
