"""Game and profile files: JSON game specs, NumPy ``.npz`` tensors, and the ``GAME`` argument of the CLI.

JSON game spec (numbers may be integers, decimals, or ``"a/b"`` strings, which are kept exact)::

    {"title": "BoS", "players": ["row", "col"], "strategies": [["B", "S"], ["B", "S"]],
     "payoffs": [[[3, 0], [0, 2]], [[2, 0], [0, 3]]]}          # shape (n, A_1, ..., A_n)
    {"row": [[3, 0], [0, 2]], "col": [[2, 0], [0, 3]]}         # bimatrix shorthand ("col" optional: zero-sum)

``.npz``: an array ``payoffs`` of shape ``(n, A_1..A_n)``, or arrays ``A`` and ``B`` (bimatrix).

Profiles are JSON ``{"profile": [[p_1, ...], ...]}`` (entries numbers or ``"a/b"``); stochastic policies are
``{"policy": [per player: [per state: [p_1, ...]]]}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tactica.equilibria.games import NormalFormGame

__all__ = [
    "load_game",
    "save_game",
    "game_from_spec",
    "game_to_spec",
    "read_profile",
    "write_profile",
    "read_policy",
    "write_policy",
]


def game_from_spec(spec: dict[str, Any], source: str = "<json>") -> NormalFormGame:
    """A game from a JSON-style dict (see the module docstring)."""
    if not isinstance(spec, dict):
        raise ValueError(f"{source}: a game spec must be a JSON object; got {type(spec).__name__}")
    kwargs = {
        "title": spec.get("title", ""),
        "player_names": spec.get("players"),
        "strategy_names": spec.get("strategies"),
    }
    if "payoffs" in spec:
        return NormalFormGame(spec["payoffs"], **kwargs)
    if "row" in spec:
        return NormalFormGame.from_bimatrix(spec["row"], spec.get("col"), **kwargs)
    raise ValueError(
        f"{source}: a game spec needs 'payoffs' (shape n x A_1 x ... x A_n) or 'row'/'col' matrices"
    )


def game_to_spec(game: NormalFormGame) -> dict[str, Any]:
    """The JSON spec of a game; exact payoffs are written as integers or ``"a/b"`` strings."""
    if game.exact is not None:
        payoffs = np.vectorize(
            lambda f: f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}", otypes=[object]
        )(game.exact).tolist()
    else:
        payoffs = game.payoffs.tolist()
    return {
        "title": game.title,
        "players": list(game.player_names),
        "strategies": [list(g) for g in game.strategy_names],
        "payoffs": payoffs,
    }


def load_game(spec: str | os.PathLike[str], encoding: str | None = None) -> NormalFormGame:
    """Load ``GAME``: a ``.nfg``/``.json``/``.npz`` path or ``catalog:NAME`` (``catalog:NAME(k=v,...)``).

    Every failure (missing file, a directory, no permission, bad bytes, a malformed or oversized game) raises
    a ``ValueError`` whose one-line message names the file, and the line where there is one.
    """
    text = str(spec)
    if text.startswith("catalog:"):
        from tactica.equilibria.catalog import load

        return load(text[len("catalog:") :])
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in (".nfg", ".json", ".npz"):
        raise ValueError(f"unknown game {text!r}: expected a .nfg, .json or .npz file, or catalog:NAME")
    from tactica.equilibria.formats.nfg import decode_text, read_game_bytes, read_nfg

    if suffix == ".nfg":
        return read_nfg(path, encoding)
    data = read_game_bytes(path)
    if suffix == ".json":
        try:
            spec_dict = json.loads(decode_text(data, text, encoding))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{text}: line {exc.lineno}: invalid JSON ({exc.msg})") from exc
        except RecursionError:
            raise ValueError(f"{text}: JSON nested too deeply") from None
        return game_from_spec(spec_dict, source=text)
    return _load_npz(data, text)


def _load_npz(data: bytes, source: str) -> NormalFormGame:
    """A game from ``.npz`` bytes; array sizes are checked against memory before NumPy allocates them."""
    import io
    import zipfile

    from tactica.equilibria.formats.nfg import BYTES_PER_PAYOFF, available_memory

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for name in archive.namelist():
            with archive.open(name) as member:
                version = np.lib.format.read_magic(member)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read_header(member)  # the header only, nothing allocated
            entries = int(np.prod(shape, dtype=object)) if shape else 1
            if entries * BYTES_PER_PAYOFF > available_memory() or dtype.hasobject:
                raise ValueError(
                    f"{source}: array {name!r} declares shape {shape} ({dtype}): too large for memory or not "
                    "numbers"
                )
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            if "payoffs" in arrays:
                return NormalFormGame(arrays["payoffs"])
            if "A" in arrays:
                return NormalFormGame.from_bimatrix(arrays["A"], arrays["B"] if "B" in arrays else None)
            raise ValueError(
                f"{source}: an .npz game needs an array 'payoffs' or arrays 'A' and 'B'; has {list(arrays)}"
            )
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise ValueError(f"{source}: not a readable .npz archive ({exc})") from None
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(source) else f"{source}: {message}") from None


def save_game(game: NormalFormGame, path: str | os.PathLike[str]) -> None:
    """Write a game as ``.nfg``, ``.json`` or ``.npz`` (chosen by the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".nfg":
        from tactica.equilibria.formats.nfg import write_nfg

        write_nfg(game, path)
    elif suffix == ".json":
        path.write_text(json.dumps(game_to_spec(game), indent=1) + "\n", encoding="utf-8")
    elif suffix == ".npz":
        np.savez(path, payoffs=game.payoffs)
    else:
        raise ValueError(f"cannot save a game as {suffix!r}; use .nfg, .json or .npz")


def _load_json_arg(spec: str | os.PathLike[str], key: str) -> Any:
    text = str(spec)
    if text.lstrip().startswith(("{", "[")):
        source, raw = "<argument>", text
    else:
        path = Path(text)
        if not path.exists():
            raise FileNotFoundError(f"{key} file not found: {text}")
        source, raw = text, path.read_text(encoding="utf-8")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: invalid JSON {key} ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(data, dict):
        if key not in data:
            raise ValueError(f"{source}: expected a JSON object with key {key!r}; got keys {sorted(data)}")
        data = data[key]
    if not isinstance(data, list):
        raise ValueError(f"{source}: {key} must be a list with one entry per player")
    return data


def read_profile(spec: str | os.PathLike[str]) -> list[list[Any]]:
    """A profile from a JSON file or inline JSON text: ``{"profile": [[...], ...]}`` or a bare list of lists."""
    return _load_json_arg(spec, "profile")


def _plain(value: Any) -> Any:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return float(value)


def write_profile(profile: Any, path: str | os.PathLike[str]) -> None:
    """Write ``{"profile": ...}``; Fractions become ``"a/b"`` strings."""
    rows = [[_plain(v) for v in row] for row in profile]
    Path(path).write_text(json.dumps({"profile": rows}) + "\n", encoding="utf-8")


def read_policy(spec: str | os.PathLike[str]) -> list[np.ndarray]:
    """A stationary stochastic-game profile: per player an ``(S, A_i)`` array of per-state distributions."""
    data = _load_json_arg(spec, "policy")
    return [np.asarray(p, dtype=np.float64) for p in data]


def write_policy(policy: Any, path: str | os.PathLike[str]) -> None:
    """Write ``{"policy": [per player (S, A_i) lists]}``."""
    rows = [np.asarray(p, dtype=np.float64).tolist() for p in policy]
    Path(path).write_text(json.dumps({"policy": rows}) + "\n", encoding="utf-8")
