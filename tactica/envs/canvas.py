"""Small, fast pictures for ``render_mode="rgb_array"``: a NumPy canvas with text in matplotlib's bundled font.

Every environment draws its frame here (``tactica/envs/<room>/pictures.py``).  A frame is a ``uint8`` array of
shape ``(height, width, 3)`` (Gymnasium's render contract), 480 x 320 by default: dimensions that divide by 16
so video encoders take them as they are.  Drawing is plain array slicing, so a frame costs about a millisecond
or two of CPU where a matplotlib figure costs 50-150 ms; text comes from DejaVu Sans Mono, the font matplotlib
ships, rasterised once per size by matplotlib's FreeType binding (no system font, no display needed).

Coordinates are pixels, ``x`` to the right and ``y`` down from the top-left corner; anything outside the canvas
is clipped.  Colours are ``(r, g, b)`` tuples of ints in 0..255.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Box",
    "Canvas",
    "COLORS",
    "SERIES_COLORS",
    "WIDTH",
    "HEIGHT",
    "bar_rows",
    "line_chart",
    "timeline",
]

WIDTH, HEIGHT = 480, 320
Color = tuple[int, int, int]

COLORS: dict[str, Color] = {
    "background": (250, 250, 247),
    "panel": (236, 236, 231),
    "ink": (33, 33, 33),
    "muted": (120, 120, 120),
    "grid": (210, 210, 205),
    "ally": (45, 105, 190),
    "enemy": (205, 45, 45),
    "good": (60, 160, 75),
    "bad": (205, 45, 45),
    "shield": (70, 170, 230),
    "warn": (235, 160, 30),
    "ground": (226, 214, 178),
    "wall": (92, 88, 80),
    "white": (255, 255, 255),
}
# distinct line colours (matplotlib's tab10 order)
SERIES_COLORS: tuple[Color, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
)

_FIRST_CHAR, _LAST_CHAR = 32, 126  # printable ASCII; anything else is drawn as "?"


@dataclass(frozen=True)
class _Font:
    glyphs: np.ndarray  # (95, height, advance) float32 coverage in [0, 1]
    ascent: int

    @property
    def height(self) -> int:
        return self.glyphs.shape[1]

    @property
    def advance(self) -> int:
        return self.glyphs.shape[2]


@functools.lru_cache(maxsize=4)
def _font(size: int) -> _Font:
    """Glyph coverage of every printable ASCII character at ``size`` pixels, baseline-aligned in equal cells."""
    from matplotlib import ft2font, get_data_path

    face = ft2font.FT2Font(os.path.join(get_data_path(), "fonts", "ttf", "DejaVuSansMono.ttf"))
    face.set_size(size, 72)  # points at 72 dpi are pixels
    ascent = math.ceil(face.ascender * size / face.units_per_EM)
    descent = math.ceil(-face.descender * size / face.units_per_EM)
    advance = math.ceil(
        face.load_char(ord("M")).linearHoriAdvance / 65536
    )  # whole pixels, never clipping ink
    glyphs = np.zeros((_LAST_CHAR - _FIRST_CHAR + 1, ascent + descent, advance), np.float32)
    for code in range(_FIRST_CHAR + 1, _LAST_CHAR + 1):  # the space stays blank
        face.set_text(chr(code), 0.0)
        face.draw_glyphs_to_bitmap(antialiased=True)
        image = np.asarray(face.get_image(), dtype=np.float32) / 255.0
        # the bitmap's last row sits `descent` pixels below the baseline (plus one row of padding)
        baseline = image.shape[0] - 1 - round(face.get_descent() / 64)
        top = ascent - baseline
        # a monospace glyph's ink is centred in its advance: centre the bitmap's inked columns in the cell
        inked = np.flatnonzero(image.max(axis=0) > 0)
        if inked.size == 0:
            continue
        image = image[:, inked[0] : inked[-1] + 1]
        left = (advance - image.shape[1]) // 2
        _blit_max(glyphs[code - _FIRST_CHAR], image, top, left)
    return _Font(glyphs, ascent)


def _blit_max(target: np.ndarray, image: np.ndarray, top: int, left: int) -> None:
    rows, cols = target.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + image.shape[0], rows), min(left + image.shape[1], cols)
    if y1 > y0 and x1 > x0:
        patch = image[y0 - top : y1 - top, x0 - left : x1 - left]
        np.maximum(target[y0:y1, x0:x1], patch, out=target[y0:y1, x0:x1])


@dataclass(frozen=True)
class Box:
    """A rectangle of the canvas: ``x0 <= x < x1``, ``y0 <= y < y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def inset(self, left: float, top: float | None = None, right: float | None = None, bottom=None) -> Box:
        top = left if top is None else top
        right = left if right is None else right
        bottom = top if bottom is None else bottom
        return Box(self.x0 + left, self.y0 + top, self.x1 - right, self.y1 - bottom)


class Canvas:
    """An RGB image being drawn; :meth:`to_array` hands it out as Gymnasium's ``uint8 (H, W, 3)`` frame."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT, background: Color = COLORS["background"]):
        self.width, self.height = int(width), int(height)
        self.pixels = np.empty((self.height, self.width, 3), np.uint8)
        self.pixels[:] = background

    # -- shapes -----------------------------------------------------------------------------------------
    def _clip(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (
            max(int(round(x0)), 0),
            max(int(round(y0)), 0),
            min(int(round(x1)), self.width),
            min(int(round(y1)), self.height),
        )

    def fill(self, box: Box, color: Color) -> None:
        """Fill the rectangle ``box``."""
        x0, y0, x1, y1 = self._clip(box.x0, box.y0, box.x1, box.y1)
        if x1 > x0 and y1 > y0:
            self.pixels[y0:y1, x0:x1] = color

    def rect(self, box: Box, color: Color, width: int = 1) -> None:
        """The outline of ``box``, ``width`` pixels thick, inside the box."""
        self.fill(Box(box.x0, box.y0, box.x1, box.y0 + width), color)
        self.fill(Box(box.x0, box.y1 - width, box.x1, box.y1), color)
        self.fill(Box(box.x0, box.y0, box.x0 + width, box.y1), color)
        self.fill(Box(box.x1 - width, box.y0, box.x1, box.y1), color)

    def disc(self, cx: float, cy: float, radius: float, color: Color, ring: float | None = None) -> None:
        """A filled circle (or, with ``ring``, only its outer ``ring`` pixels), edges anti-aliased."""
        x0, y0, x1, y1 = self._clip(cx - radius - 1, cy - radius - 1, cx + radius + 2, cy + radius + 2)
        if x1 <= x0 or y1 <= y0:
            return
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
        xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
        distance = np.sqrt(xs * xs + ys * ys)
        alpha = np.clip(radius + 0.5 - distance, 0.0, 1.0)
        if ring is not None:
            alpha = np.minimum(alpha, np.clip(distance - (radius - ring) + 0.5, 0.0, 1.0))
        self._blend(x0, y0, alpha, color)

    def line(self, x0: float, y0: float, x1: float, y1: float, color: Color, width: int = 1) -> None:
        """A straight line, ``width`` pixels thick."""
        self.polyline([(x0, y0), (x1, y1)], color, width)

    def polyline(self, points: Sequence[tuple[float, float]], color: Color, width: int = 1) -> None:
        """Connected line segments through ``points``."""
        if len(points) == 0:
            return
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        # sample every segment at about one point per pixel of its length
        lengths = np.maximum(np.abs(np.diff(xy, axis=0)).max(axis=1), 1.0)
        counts = np.ceil(lengths).astype(int) + 1
        first = np.repeat(np.cumsum(counts) - counts, counts)
        t = (np.arange(counts.sum()) - first) / np.repeat(counts - 1, counts)
        starts = np.repeat(xy[:-1], counts, axis=0)
        ends = np.repeat(xy[1:], counts, axis=0)
        samples = starts + (ends - starts) * t[:, None]
        half = (width - 1) / 2
        xs = np.round(samples[:, 0] - half).astype(int)
        ys = np.round(samples[:, 1] - half).astype(int)
        for dy in range(width):
            for dx in range(width):
                px, py = xs + dx, ys + dy
                keep = (px >= 0) & (px < self.width) & (py >= 0) & (py < self.height)
                self.pixels[py[keep], px[keep]] = color

    def _blend(self, x0: int, y0: int, alpha: np.ndarray, color: Color) -> None:
        region = self.pixels[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]]
        a = alpha[: region.shape[0], : region.shape[1], None]
        mixed = region * (1.0 - a) + np.asarray(color, np.float32) * a
        region[:] = (mixed + 0.5).astype(np.uint8)

    # -- text -------------------------------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        text: str,
        color: Color = COLORS["ink"],
        size: int = 10,
        align: str = "left",
        max_width: float | None = None,
    ) -> float:
        """Draw one line of ``text`` with its top at ``y``; ``align`` says where ``x`` is ("left", "center",
        "right").  Text wider than ``max_width`` pixels is cut with "~".  Returns the drawn width in pixels."""
        font = _font(size)
        if max_width is not None and len(text) * font.advance > max_width:
            keep = max(int(max_width // font.advance) - 1, 0)
            text = text[:keep] + "~"
        if not text:
            return 0.0
        codes = np.frombuffer(text.encode("ascii", "replace"), np.uint8).astype(np.int64)
        codes = np.where((codes >= _FIRST_CHAR) & (codes <= _LAST_CHAR), codes, ord("?")) - _FIRST_CHAR
        coverage = font.glyphs[codes].transpose(1, 0, 2).reshape(font.height, -1)
        width = coverage.shape[1]
        left = x - (width / 2 if align == "center" else width if align == "right" else 0)
        x0, y0 = int(round(left)), int(round(y))
        cx0, cy0, cx1, cy1 = self._clip(x0, y0, x0 + width, y0 + font.height)
        if cx1 > cx0 and cy1 > cy0:
            self._blend(cx0, cy0, coverage[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], color)
        return float(width)

    @staticmethod
    def text_width(text: str, size: int = 10) -> int:
        return len(text) * _font(size).advance

    @staticmethod
    def line_height(size: int = 10) -> int:
        return _font(size).height

    # -- images -----------------------------------------------------------------------------------------
    def heatmap(self, box: Box, values: np.ndarray, colormap: str = "viridis") -> None:
        """``values`` (rows x columns, in [0, 1]; NaN drawn as the background) stretched over ``box`` through a
        matplotlib colormap, nearest neighbour."""
        x0, y0, x1, y1 = self._clip(box.x0, box.y0, box.x1, box.y1)
        if x1 <= x0 or y1 <= y0:
            return
        values = np.asarray(values, dtype=np.float64)
        rows = np.minimum(
            ((np.arange(y0, y1) - box.y0) * values.shape[0] / box.height).astype(int), -1 + values.shape[0]
        )
        cols = np.minimum(
            ((np.arange(x0, x1) - box.x0) * values.shape[1] / box.width).astype(int), -1 + values.shape[1]
        )
        sampled = values[np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
        lut = _colormap(colormap)
        index = np.clip(np.nan_to_num(sampled, nan=0.0) * 255 + 0.5, 0, 255).astype(np.intp)
        image = lut[index]
        missing = np.isnan(sampled)
        if missing.any():
            image[missing] = self.pixels[y0:y1, x0:x1][missing]
        self.pixels[y0:y1, x0:x1] = image

    def to_array(self) -> np.ndarray:
        """The frame: ``uint8`` of shape ``(height, width, 3)`` (a copy the caller owns)."""
        return self.pixels.copy()


@functools.lru_cache(maxsize=8)
def not_reset_frame(env_id: str) -> np.ndarray:
    """The frame of an environment rendered before its first reset: its id and the words "not reset"."""
    canvas = Canvas()
    canvas.text(8, 8, f"{env_id} (not reset)", size=13)
    return canvas.to_array()


def _colormap(name: str) -> np.ndarray:
    """256 RGB entries of a matplotlib colormap."""
    from matplotlib import colormaps

    return (colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3] * 255 + 0.5).astype(np.uint8)


# -- charts ---------------------------------------------------------------------------------------------
def _nice(value: float) -> str:
    """A short axis label: 3 significant digits at most, k and M for thousands and millions."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    if magnitude >= 100 or value == int(value):
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def line_chart(
    canvas: Canvas,
    box: Box,
    title: str,
    xs: Sequence[float],
    series: Sequence[tuple[str, Sequence[float], Color]],
    y_range: tuple[float | None, float | None] = (0.0, None),
    x_label: str = "",
) -> None:
    """A small line chart in ``box``: title and legend on top, y labels at the top and bottom of the axis."""
    canvas.fill(box, COLORS["white"])
    canvas.rect(box, COLORS["grid"])
    canvas.text(box.x0 + 3, box.y0 + 2, title, COLORS["ink"], size=10, max_width=box.width - 6)
    legend_x = box.x1 - 3
    for name, _, color in reversed(series):  # right-aligned legend on the title line's right
        if not name:
            continue
        width = canvas.text(legend_x, box.y0 + 2, name, color, size=9, align="right")
        legend_x -= width + 8
    plot = box.inset(30, 16, 4, 12 if x_label or len(xs) else 4)
    values = [v for _, ys, _ in series for v in ys if math.isfinite(v)]
    low = y_range[0] if y_range[0] is not None else (min(values) if values else 0.0)
    high = y_range[1] if y_range[1] is not None else (max(values) if values else 1.0)
    if high <= low:
        high = low + 1.0
    canvas.line(plot.x0, plot.y1, plot.x1, plot.y1, COLORS["grid"])
    canvas.line(plot.x0, plot.y0, plot.x0, plot.y1, COLORS["grid"])
    canvas.text(plot.x0 - 2, plot.y0 - 4, _nice(high), COLORS["muted"], size=9, align="right")
    canvas.text(plot.x0 - 2, plot.y1 - 8, _nice(low), COLORS["muted"], size=9, align="right")
    if len(xs):
        first, last = float(xs[0]), float(xs[-1])
        canvas.text(plot.x0, plot.y1 + 1, _nice(first), COLORS["muted"], size=9)
        canvas.text(
            plot.x1, plot.y1 + 1, f"{_nice(last)} {x_label}".strip(), COLORS["muted"], size=9, align="right"
        )
        span = (last - first) or 1.0
        for _, ys, color in series:
            points = [
                (
                    plot.x0 + (float(x) - first) / span * plot.width,
                    plot.y1 - (min(max(y, low), high) - low) / (high - low) * plot.height,
                )
                for x, y in zip(xs, ys)
                if math.isfinite(y)
            ]
            canvas.polyline(points, color, width=2 if len(series) == 1 else 1)


def bar_rows(
    canvas: Canvas,
    box: Box,
    title: str,
    rows: Sequence[tuple[str, float, Color]],
    maximum: float | None = None,
    value_format: str = "{:g}",
) -> None:
    """Horizontal bars, one labelled row each (label left, bar, value at the bar's end); rows that do not fit
    the box are left out."""
    canvas.fill(box, COLORS["white"])
    canvas.rect(box, COLORS["grid"])
    canvas.text(box.x0 + 3, box.y0 + 2, title, COLORS["ink"], size=10, max_width=box.width - 6)
    top = box.y0 + 16
    row_height = 12
    label_width = min(max((Canvas.text_width(label, 9) for label, _, _ in rows), default=0), box.width * 0.45)
    bar_x = box.x0 + 4 + label_width + 4
    bar_space = box.x1 - bar_x - 34
    peak = maximum if maximum is not None else max((v for _, v, _ in rows), default=1.0)
    peak = peak if peak > 0 else 1.0
    for index, (label, value, color) in enumerate(rows):
        y = top + index * row_height
        if y + row_height > box.y1:
            break
        canvas.text(box.x0 + 4, y, label, COLORS["ink"], size=9, max_width=label_width)
        length = max(min(value / peak, 1.0), 0.0) * bar_space
        canvas.fill(Box(bar_x, y + 2, bar_x + length, y + row_height - 2), color)
        canvas.text(bar_x + length + 3, y, value_format.format(value), COLORS["muted"], size=9)


# -- history ----------------------------------------------------------------------------------------------
def timeline(owner: Any, key: str, sample: tuple[float, ...], limit: int = 2000) -> list[tuple[float, ...]]:
    """The samples of one quantity taken at each ``render()`` so far in this episode, ``sample`` appended.

    ``sample[0]`` is the time (game seconds, year, window): a time earlier than the last sample's starts a new
    episode's history, the same time replaces the last sample (rendering twice per step adds nothing).  The
    history lives on ``owner`` (the environment), so it follows the environment through pickling; at most
    ``limit`` samples are kept, evenly thinned when full.
    """
    store: dict[str, list[tuple[float, ...]]] = owner.__dict__.setdefault("_picture_timelines", {})
    samples = store.setdefault(key, [])
    if samples and sample[0] < samples[-1][0]:
        samples.clear()
    if samples and sample[0] == samples[-1][0]:
        samples[-1] = sample
    else:
        samples.append(sample)
    if len(samples) > limit:
        del samples[1::2]
    return samples
