"""Text rendering of a battle: a 32x32 character map plus a unit table."""

from __future__ import annotations

import numpy as np

from tactica.envs.smac.engine import BattleSim

__all__ = ["render_ansi"]

_LETTERS = {
    "marine": "m",
    "marauder": "r",
    "medivac": "v",
    "stalker": "s",
    "zealot": "z",
    "colossus": "c",
    "zergling": "g",
    "baneling": "b",
    "hydralisk": "h",
    "spine_crawler": "p",
}


def render_ansi(sim: BattleSim, env: int = 0, step: int = 0) -> str:
    """Allies in lower case, enemies in upper case, ``#`` for unpathable ground, ``.`` for ground."""
    grid = np.where(sim.grid.T[::-1], ".", "#").astype("<U1")
    for i, kind in enumerate(sim.types):
        if not sim.alive[env, i]:
            continue
        x, y = sim.pos[env, i]
        row = sim.grid.shape[1] - 1 - min(int(y), sim.grid.shape[1] - 1)
        letter = _LETTERS.get(kind.name, "?")
        grid[row, min(int(x), sim.grid.shape[0] - 1)] = letter if sim.team[i] == 0 else letter.upper()
    lines = [f"{sim.spec.name}  step {step}  loop {int(sim.loop[env])}"]
    lines += ["".join(row) for row in grid]
    for i, kind in enumerate(sim.types):
        side = "ally " if sim.team[i] == 0 else "enemy"
        hp = f"{sim.hp[env, i]:6.1f}/{sim.hp_max[i]:.0f}"
        sh = f" sh {sim.sh[env, i]:5.1f}" if sim.sh_max[i] else ""
        x, y = sim.pos[env, i]
        state = "" if sim.alive[env, i] else " dead"
        lines.append(f"{side} {i:2d} {kind.name:13s} hp {hp}{sh} at ({x:5.2f}, {y:5.2f}){state}")
    return "\n".join(lines)
