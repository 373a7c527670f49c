"""Checks every environment applies to what a caller passes in: seeds, the episode's order, actions.

Environments call these at the top of ``reset`` and ``step`` so that bad input fails loudly with one clear
message, instead of being truncated, ignored or answered with a misleading one:

* ``reset(seed=True)`` is refused (Gymnasium's seeding takes a bool for the integer 1);
* ``step`` before the first ``reset`` says so, and is told apart from ``step`` after the episode ended;
* a Discrete action must be an integer (``1.7`` is not silently played as ``1``; ``2.0``, NumPy and 0-d array or
  tensor integers are accepted, as SMAC's ``int(a)`` accepts them);
* a multi-agent action dict may name only the agents still in the episode.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["check_seed", "check_started", "discrete_action", "check_agents", "integral"]


def check_seed(seed: Any) -> None:
    """``seed`` must be ``None`` or a non-negative integer (not a bool, not a float)."""
    if seed is None:
        return
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer or None; got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None; got {seed}")


def check_started(started: bool, finished: bool) -> None:
    """Raise the right error for a ``step`` before the first ``reset`` or after the episode ended."""
    if not started:
        raise RuntimeError("step() called before reset(); call reset() first")
    if finished:
        raise RuntimeError("step() called after the episode ended; call reset() to start a new one")


def discrete_action(action: Any, n: int, who: str = "action", start: int = 0) -> int:
    """``action`` as a Python int in ``[start, start + n)``; anything else raises naming what is accepted."""
    value = action
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0 and not isinstance(value, np.generic):
        value = value.item()  # a 0-d array or tensor (pymarl passes tensors)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        raise TypeError(f"{who} must be an integer in [{start}, {start + n}); got the bool {action!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        number = int(value)
    else:
        raise TypeError(
            f"{who} must be an integer in [{start}, {start + n}); got {action!r} ({type(action).__name__})"
        )
    if not start <= number < start + n:
        raise ValueError(f"{who} must be an integer in [{start}, {start + n}); got {number}")
    return number


def check_agents(actions: Mapping[str, Any], live: Iterable[str], possible: Iterable[str]) -> None:
    """An action dict may name only live agents: unknown names and agents already out are refused."""
    live, possible = list(live), list(possible)
    unknown = [name for name in actions if name not in possible]
    if unknown:
        raise ValueError(f"actions for unknown agents {unknown}; the agents are {possible}")
    gone = [name for name in actions if name not in live]
    if gone:
        raise ValueError(f"actions for agents no longer in the episode {gone}; the live agents are {live}")


def integral(values: Any) -> bool:
    """Whether ``values`` (a number or an array) holds only whole numbers (``2.0`` yes, ``1.7``, NaN, bools no)."""
    array = np.asarray(values)
    if array.dtype.kind == "b":
        return False
    if array.dtype.kind in "iu":
        return True
    if array.dtype.kind == "f":
        return bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))
    return False
