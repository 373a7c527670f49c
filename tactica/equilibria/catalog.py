"""Games by name for ``tactica eq``: ``catalog:NAME`` or ``catalog:NAME(key=value, ...)``.

Every name comes from the Markov-game catalog (:func:`tactica.envs.markov.catalog.make_model`), the one source
of the payoffs that the ``MarkovGame-v0`` environment also plays; one-state models convert to a
:class:`~tactica.equilibria.games.NormalFormGame`.  Generators take their keyword arguments in parentheses,
e.g. ``catalog:random_normal_form(num_actions=5, seed=3)``; values are read as JSON when they parse.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tactica.equilibria.games import NormalFormGame

__all__ = ["load", "load_model", "names", "parse_spec"]

_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split ``"name(k=v, ...)"`` into the name and keyword arguments."""
    match = _SPEC.match(spec)
    if not match:
        raise ValueError(f"bad catalog game {spec!r}: expected NAME or NAME(key=value, ...)")
    name, args = match.group(1), match.group(2)
    kwargs: dict[str, Any] = {}
    if args and args.strip():
        for part in args.split(","):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or not key.isidentifier():
                raise ValueError(f"bad argument {part.strip()!r} in {spec!r}: expected key=value")
            value = value.strip()
            try:
                kwargs[key] = json.loads(value)
            except json.JSONDecodeError:
                kwargs[key] = value
    return name, kwargs


def names() -> list[str]:
    """Every catalog name (games and generators)."""
    from tactica.envs.markov.catalog import game_names

    return list(game_names())


def load_model(spec: str) -> Any:
    """The :class:`~tactica.envs.markov.model.MarkovGameModel` named by ``spec``."""
    from tactica.envs.markov.catalog import make_model

    name, kwargs = parse_spec(spec)
    return make_model(name, **kwargs)


def load(spec: str) -> NormalFormGame:
    """The normal-form game named by ``spec`` (a one-state catalog model).

    Raises:
        ValueError: unknown name, bad arguments, or a many-state (stochastic) game.
    """
    model = load_model(spec)
    if model.num_states != 1:
        raise ValueError(
            f"catalog game {spec!r} is a stochastic game with {model.num_states} states, not a normal-form game; "
            "use tactica.equilibria.stochastic on its model"
        )
    return NormalFormGame.from_model(model)
