"""Pictures of a Markov game for ``render_mode="rgb_array"`` (``MarkovGame-v0``).

Left: the stage game of the current state as a payoff table (player 0 picks the row, player 1 the column;
each cell holds their rewards), the last joint action outlined when it was played in this state; with more than
two players, the rewards of every player for the last joint action.  Right: each player's reward per step
over the episode, and the state visited per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.canvas import COLORS, SERIES_COLORS, WIDTH, Box, Canvas, bar_rows, line_chart, timeline

__all__ = ["game_frame"]

_TABLE = Box(4, 40, 300, 300)
_MAX_ACTIONS = 8  # rows and columns shown of larger games


def _cell(value: float) -> str:
    return f"{value:.3g}"


def _payoff_table(canvas: Canvas, env: Any, state: int, last: tuple[int, ...] | None) -> None:
    model = env.model()
    rows, cols = (int(c) for c in model.action_counts[state][:2])
    shown_rows, shown_cols = min(rows, _MAX_ACTIONS), min(cols, _MAX_ACTIONS)
    names = model.action_names
    label_width = 60
    cell_w = min((_TABLE.width - label_width) / max(shown_cols, 1), 90)
    cell_h = min((_TABLE.height - 16) / max(shown_rows, 1), 34)
    x0, y0 = _TABLE.x0 + label_width, _TABLE.y0 + 16
    for j in range(shown_cols):
        canvas.text(
            x0 + (j + 0.5) * cell_w, _TABLE.y0, names[1][j], SERIES_COLORS[1], 9, "center", cell_w - 2
        )
    for i in range(shown_rows):
        top = y0 + i * cell_h
        canvas.text(
            _TABLE.x0, top + cell_h / 2 - 6, names[0][i], SERIES_COLORS[0], 9, max_width=label_width - 4
        )
        for j in range(shown_cols):
            box = Box(x0 + j * cell_w, top, x0 + (j + 1) * cell_w, top + cell_h)
            played = last is not None and last[:2] == (i, j)
            canvas.fill(box.inset(1), (255, 244, 204) if played else COLORS["white"])
            canvas.rect(box, COLORS["ink"] if played else COLORS["grid"], 2 if played else 1)
            r0, r1 = model.rewards[0, state, i, j], model.rewards[1, state, i, j]
            if model.num_players > 2:  # rewards with the other players' first actions
                index = (slice(None), state, i, j) + (0,) * (model.num_players - 2)
                r0, r1 = model.rewards[index][:2]
            middle = box.y0 + cell_h / 2 - 6
            canvas.text(box.x0 + cell_w / 2 - 2, middle, _cell(r0), SERIES_COLORS[0], 9, "right")
            canvas.text(box.x0 + cell_w / 2 + 2, middle, _cell(r1), SERIES_COLORS[1], 9)
    if rows > shown_rows or cols > shown_cols:
        canvas.text(
            _TABLE.x0,
            y0 + shown_rows * cell_h + 2,
            f"first {shown_rows} x {shown_cols} of {rows} x {cols}",
            COLORS["muted"],
            9,
        )


def game_frame(env: Any) -> np.ndarray:
    """The picture of a ``MarkovGameEnv``."""
    model = env.model()
    canvas = Canvas()
    state = int(env.state_index)
    rewards = env._last_rewards if env._last_rewards is not None else np.zeros(model.num_players)
    samples = timeline(env, "markov", (float(env.timestep), float(state), *(float(r) for r in rewards)))
    previous = samples[-2] if len(samples) > 1 and samples[-2][0] == env.timestep - 1 else None
    played_here = env._last_actions is not None and (
        model.num_states == 1 or (previous is not None and int(previous[1]) == state)
    )
    canvas.text(6, 4, f"{model.name}  t={env.timestep}/{model.horizon}", size=13, max_width=WIDTH - 12)
    canvas.text(6, 22, f"state {state}: {model.state_names[state]}", COLORS["muted"], 10, max_width=300)
    if model.num_players >= 2:
        _payoff_table(canvas, env, state, env._last_actions if played_here else None)
    history = np.asarray(samples, dtype=np.float64).T
    series = [
        (f"p{k}", history[2 + k], SERIES_COLORS[k % len(SERIES_COLORS)])
        for k in range(min(model.num_players, 4))
    ]
    line_chart(
        canvas,
        Box(306, 40, 476, 160),
        "reward per step",
        history[0],
        series,
        y_range=(None, None),
        x_label="t",
    )
    line_chart(
        canvas,
        Box(306, 164, 476, 256),
        "state",
        history[0],
        [("", history[1], COLORS["muted"])],
        y_range=(0.0, max(model.num_states - 1, 1)),
        x_label="t",
    )
    if env._last_actions is not None:
        rows = [
            (f"p{k} {model.action_names[k][a]}", float(rewards[k]), SERIES_COLORS[k % len(SERIES_COLORS)])
            for k, a in enumerate(env._last_actions)
        ]
        peak = max(max(abs(v) for _, v, _ in rows), 1e-9)
        bar_rows(canvas, Box(306, 260, 476, 316), "last rewards", rows[:3], peak, "{:+.3g}")
    return canvas.to_array()
