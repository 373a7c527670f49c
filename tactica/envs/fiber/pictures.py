"""Waterfall pictures of the DAS stream for ``render_mode="rgb_array"`` (``FiberStream-v1``, ``FiberSegments-v1``).

A DAS waterfall plots distance along the fibre across and time down, coloured by the signal's strength.  The
left panel is the current window at full time resolution (the strain rate's envelope, ``log10 |rate|``, per
channel); the right panel is the episode so far, one row per window (each channel's energy, as the ansi
render's bar), with two narrow columns beside it: what was there (truth) and what the agent said, coloured by
event class.  Below: the last window's truth and answer, and the running metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.canvas import COLORS, HEIGHT, WIDTH, Box, Canvas, not_reset_frame, timeline
from tactica.envs.fiber import constants as K
from tactica.envs.fiber.env import channel_energy

__all__ = ["stream_frame", "segments_frame"]

# background, walking, vehicle, manual digging, mechanical excavation
CLASS_COLORS = ((190, 190, 190), (60, 160, 75), (45, 105, 190), (235, 160, 30), (205, 45, 45))
_ROWS = 160  # time rows of the current window's envelope
_NOW = Box(40, 40, 236, 236)
_PAST = Box(276, 40, 440, 236)
# colour scale of log10 |strain rate|: ambient noise is about 2-3, an event at the pipe 5-6
_LOW, _HIGH = 1.5, 6.5


def _scaled(level: np.ndarray) -> np.ndarray:
    return np.clip((level - _LOW) / (_HIGH - _LOW), 0.0, 1.0)


def _envelope(window: np.ndarray) -> np.ndarray:
    """``(rows, channels)`` in [0, 1]: the loudest ``log10 |rate|`` in each block of samples per channel."""
    samples = window.shape[1]
    rows = min(_ROWS, samples)
    cut = samples - samples % rows
    blocks = np.abs(window[:, :cut]).reshape(window.shape[0], rows, -1).max(axis=2)
    return _scaled(np.log10(np.maximum(blocks, 1.0))).T


def _frame(
    owner: Any,
    title: str,
    windows: list[np.ndarray],
    last: list[dict[str, Any]],
    metrics: dict[str, Any],
    window_s: float,
    time_s: float,
    spacing_m: float,
) -> np.ndarray:
    canvas = Canvas()
    canvas.text(6, 4, title, size=13, max_width=WIDTH - 12)
    data = np.concatenate(windows, axis=0)
    channels = data.shape[0]
    truth = [entry.get("truth_class", -1) for entry in last]
    said = [entry.get("pred_class", -1) for entry in last]
    energy = _scaled(channel_energy(data))
    samples = timeline(owner, "waterfall", (float(time_s), *truth, *said, *energy.tolist()), limit=400)
    segments = len(windows)

    # current window
    canvas.heatmap(_NOW, _envelope(data))
    canvas.rect(_NOW, COLORS["ink"])
    canvas.text(_NOW.x0, 22, f"this window ({window_s:g} s)", size=10)
    canvas.text(_NOW.x0 - 4, _NOW.y0, "0 s", COLORS["muted"], 9, "right")
    canvas.text(_NOW.x0 - 4, _NOW.y1 - 10, f"{window_s:g}", COLORS["muted"], 9, "right")
    canvas.text(_NOW.x0, _NOW.y1 + 2, "0 m", COLORS["muted"], 9)
    canvas.text(_NOW.x1, _NOW.y1 + 2, f"{(channels - 1) * spacing_m:g} m", COLORS["muted"], 9, "right")

    # the episode: one row per window, newest at the bottom
    history = np.asarray(samples, dtype=np.float64)
    rows = history[-(int(_PAST.height) // 2) :]  # at least two pixels a row
    canvas.heatmap(_PAST, rows[:, 1 + 2 * segments :])
    canvas.rect(_PAST, COLORS["ink"])
    canvas.text(_PAST.x0, 22, f"episode ({len(history)} windows)", size=10)
    canvas.text(_PAST.x1, _PAST.y1 + 2, "along fibre", COLORS["muted"], 9, "right")
    row_height = _PAST.height / len(rows)
    for column, offset, label in ((0, 1, "T"), (1, 1 + segments, "S")):
        x0 = _PAST.x1 + 4 + column * 16
        canvas.text(x0 + 6, _PAST.y0 - 12, label, COLORS["muted"], 9, "center")
        for k, row in enumerate(rows):
            for s in range(segments):
                kind = int(row[offset + s])
                if kind < 0:
                    continue
                width = 12 / segments
                canvas.fill(
                    Box(
                        x0 + s * width,
                        _PAST.y0 + k * row_height,
                        x0 + (s + 1) * width,
                        _PAST.y0 + (k + 1) * row_height,
                    ),
                    CLASS_COLORS[kind],
                )
    if segments > 1:  # segment boundaries
        per = channels // segments
        for s in range(1, segments):
            for panel in (_NOW, _PAST):
                x = panel.x0 + s * per * panel.width / channels
                canvas.line(x, panel.y0, x, panel.y1 - 1, COLORS["white"])

    # the last answers, the class colours and the metrics
    y = _NOW.y1 + 16
    for s, entry in enumerate(last[:2]):
        if "truth_class" not in entry:
            canvas.text(6, y, "no window judged yet", COLORS["muted"], 10)
            break
        right = entry["truth_class"] == entry["pred_class"]
        who = f"segment {s}: " if segments > 1 else "last window: "
        canvas.text(
            6,
            y,
            f"{who}truth {_event(entry['truth_class'], entry['truth_bin'])}, said "
            f"{_event(entry['pred_class'], entry['pred_bin'])}",
            COLORS["good"] if right else COLORS["bad"],
            10,
            max_width=WIDTH - 12,
        )
        y += 13
    x = 6.0
    canvas.text(x, HEIGHT - 32, "T truth, S said:", COLORS["muted"], 9)
    x += Canvas.text_width("T truth, S said: ", 9)
    for k, name in enumerate(K.CLASS_NAMES):
        canvas.fill(Box(x, HEIGHT - 30, x + 8, HEIGHT - 22), CLASS_COLORS[k])
        x += 11 + canvas.text(x + 11, HEIGHT - 32, name.split("_")[-1], COLORS["muted"], 9) + 8
    canvas.text(
        6,
        HEIGHT - 16,
        f"acc {metrics['accuracy']:.2f}  macro-F1 {metrics['macro_f1']:.2f}  NAR {metrics['nar']:.2f}  "
        f"FNR {metrics['fnr']:.2f}  reward {metrics['total_reward']:.1f}",
        size=10,
        max_width=WIDTH - 12,
    )
    return canvas.to_array()


def _event(kind: int, distance_bin: int) -> str:
    name = K.CLASS_NAMES[kind].replace("_", " ")
    return name if kind == 0 else f"{name} (bin {distance_bin})"


def stream_frame(env: Any) -> np.ndarray:
    """The picture of a ``FiberStreamEnv``."""
    if env._obs is None:
        return not_reset_frame("FiberStream-v1")
    title = (
        f"FiberStream  t={env._stream.time:.1f} s  window {env._steps}/{env.episode_windows}  {env.domain}"
    )
    return _frame(
        env,
        title,
        [env._obs],
        [env._last],
        env._metrics.summary(),
        env.window_s,
        env._stream.time,
        env.interrogator.channel_spacing,
    )


def segments_frame(env: Any) -> np.ndarray:
    """The picture of a ``FiberSegmentsEnv``: every segment side by side, boundaries in white."""
    if env._stream is None:
        return not_reset_frame("FiberSegments-v1")
    title = (
        f"FiberSegments  t={env._stream.time:.1f} s  window {env._steps}/{env.episode_windows}  "
        f"{env.n_segments} segments"
    )
    return _frame(
        env,
        title,
        env._windows,
        env._last,
        env._fibre_metrics.summary(),
        env.window_s,
        env._stream.time,
        env.interrogator.channel_spacing,
    )
