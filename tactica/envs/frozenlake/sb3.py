"""The numeric view Stable-Baselines3 trains on for ``FrozenLakeText-v0``: the player's cell, one-hot.

Gymnasium's FrozenLake observes the cell index, which SB3 one-hot encodes; the text observation says the same
thing in words ("You are at row R, column C"), so the view reads the cell back from the text and one-hot encodes
it over the map's cells.  The same function serves training and the ``sb3`` agent's play.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["sb3_view"]

_POSITION = re.compile(r"You are at row (\d+), column (\d+)\.")


def sb3_view(env) -> tuple[Any, Callable[[str], np.ndarray]]:
    """``(Box(0, 1, (rows * cols,)), text -> one-hot of the player's cell)`` for the env's map."""
    import gymnasium as gym

    desc = env.unwrapped.desc
    rows, cols = len(desc), len(desc[0])

    def view(text: str) -> np.ndarray:
        found = _POSITION.search(text)
        if found is None:
            raise ValueError(
                "a FrozenLakeText observation names the player's row and column; this text does not"
            )
        row, col = int(found.group(1)) - 1, int(found.group(2)) - 1
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(f"row {row + 1}, column {col + 1} is outside the {rows}x{cols} map")
        cells = np.zeros(rows * cols, dtype=np.float32)
        cells[row * cols + col] = 1.0
        return cells

    return gym.spaces.Box(0.0, 1.0, (rows * cols,), np.float32), view
