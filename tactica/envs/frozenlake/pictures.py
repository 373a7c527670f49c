"""Pictures of the frozen lake for ``render_mode="rgb_array"`` (``FrozenLakeText-v0``).

The grid as Gymnasium's FrozenLake draws it, without its sprite files: ice light blue, holes dark, the goal gold,
the start pale; the player is a red disc.  The environment's hook is
``if self.render_mode == "rgb_array": return lake_frame(self.desc, self.position, self.steps, self.max_steps)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tactica.envs.canvas import COLORS, HEIGHT, WIDTH, Box, Canvas

__all__ = ["lake_frame"]

CELL_COLORS = {"S": (225, 238, 245), "F": (190, 225, 245), "H": (30, 60, 110), "G": (240, 200, 60)}


def lake_frame(
    desc: Sequence[str], position: tuple[int, int], steps: int = 0, max_steps: int | None = None
) -> np.ndarray:
    """The lake ``desc`` (rows of ``S F H G``) with the player at ``position`` (row, column)."""
    canvas = Canvas()
    rows, cols = len(desc), len(desc[0])
    limit = f"/{max_steps}" if max_steps else ""
    canvas.text(6, 4, f"FrozenLake {rows}x{cols}  step {steps}{limit}", size=13)
    area = Box(6, 24, WIDTH - 6, HEIGHT - 6)
    cell = min(area.width / cols, area.height / rows)
    left = area.x0 + (area.width - cell * cols) / 2
    for r, line in enumerate(desc):
        for c, letter in enumerate(line):
            box = Box(left + c * cell, area.y0 + r * cell, left + (c + 1) * cell, area.y0 + (r + 1) * cell)
            canvas.fill(box, CELL_COLORS.get(letter, COLORS["panel"]))
            canvas.rect(box, COLORS["white"])
            if letter in "SG":
                canvas.text(box.x0 + 3, box.y0 + 2, letter, COLORS["muted"], 10)
    r, c = position
    canvas.disc(left + (c + 0.5) * cell, area.y0 + (r + 0.5) * cell, cell * 0.3, COLORS["enemy"])
    return canvas.to_array()
