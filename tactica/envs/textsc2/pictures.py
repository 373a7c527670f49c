"""Pictures of a TextSC2 game's economy for ``render_mode="rgb_array"``.

A frame shows the game clock and the last action on top; the bank (minerals, gas) and the supply (used, cap,
army) over game time on the left; the current workers, army units, structures and the enemy units seen on the
right.  The curves hold one sample per ``render()`` call of the episode (every step when recording a video).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.canvas import (
    COLORS,
    SERIES_COLORS,
    WIDTH,
    Box,
    Canvas,
    bar_rows,
    line_chart,
    not_reset_frame,
    timeline,
)

__all__ = ["economy_frame"]


def _counted(group: dict[str, int], suffix: str = "_count") -> list[tuple[str, int]]:
    items = [(key.removesuffix(suffix).replace("_", " "), int(v)) for key, v in group.items() if v]
    return sorted(items, key=lambda item: -item[1])


def economy_frame(env: Any) -> np.ndarray:
    """The economy picture of a ``TextSC2Env`` (its last ``information`` dict and game clock)."""
    canvas = Canvas()
    info = getattr(env, "_info", None)
    game = getattr(env, "game", None)
    if info is None or game is None:
        return not_reset_frame("TextSC2-v0")
    res = info["resource"]
    seconds = float(game.seconds)
    samples = timeline(
        env,
        "economy",
        (
            seconds,
            float(res["mineral"]),
            float(res["gas"]),
            float(res["supply_used"]),
            float(res["supply_cap"]),
            float(res["army_supply"]),
            float(res["worker_supply"]),
        ),
    )
    columns = np.asarray(samples, dtype=np.float64).T
    minutes = columns[0] / 60.0
    title = f"Protoss vs {env.opponent_race}  level {env.difficulty}  {res['game_time']}"
    canvas.text(6, 4, title, size=13, max_width=WIDTH - 12)
    action = getattr(env, "_last_action", "")
    failed = bool(getattr(env, "_last_failures", []))
    canvas.text(
        6,
        22,
        f"last action: {action}" + ("  (failed)" if failed else ""),
        COLORS["bad"] if failed else COLORS["muted"],
        size=10,
        max_width=WIDTH - 12,
    )
    left = Box(4, 38, 276, 178)
    line_chart(
        canvas,
        left,
        "bank",
        minutes,
        [("minerals", columns[1], SERIES_COLORS[0]), ("gas", columns[2], SERIES_COLORS[2])],
        x_label="min",
    )
    line_chart(
        canvas,
        Box(4, 182, 276, 316),
        "supply",
        minutes,
        [
            ("cap", columns[4], COLORS["muted"]),
            ("used", columns[3], SERIES_COLORS[0]),
            ("army", columns[5], SERIES_COLORS[3]),
        ],
        x_label="min",
    )
    units = _counted(info["unit"])
    army = [(name, count, COLORS["ally"]) for name, count in units]
    bar_rows(canvas, Box(280, 38, 476, 150), f"units (workers {res['worker_supply']})", army)
    structures = [(name, count, COLORS["muted"]) for name, count in _counted(info["building"])]
    bar_rows(canvas, Box(280, 154, 476, 238), "structures", structures)
    seen = info["enemy"]["unit"]
    enemy = [
        (name.replace("_", " "), count, COLORS["enemy"])
        for name, count in sorted(seen.items(), key=lambda kv: -kv[1])
        if count
    ]
    bar_rows(canvas, Box(280, 242, 476, 316), "enemy units seen", enemy)
    return canvas.to_array()
