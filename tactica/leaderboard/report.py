"""Leaderboard tables from stored episodes: means with 95% intervals, throughput, and a self-contained HTML page.

Each row of the table is one (environment, options, agent) pairing.  A number is reported as the mean over the
row's episodes with the half-width of its 95% Student-t confidence interval (``mean ± h``; with one episode
there is no interval).  Throughput is environment steps per second of episode wall time (construction, reset
and the agent's decisions included), summed over every stored episode of the environment.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tactica.leaderboard.store import Record
from tactica.leaderboard.suites import SWEEPS, Sweep
from tactica.stats import wilson_interval as _wilson

__all__ = [
    "WIN_METRICS",
    "Row",
    "Stat",
    "difficulty_axis",
    "env_throughput",
    "episode_strip",
    "html_report",
    "options_label",
    "rich_tables",
    "summarize",
    "win_metric",
]

# Episode metrics read as "the agent won", most specific first (SMAC reports battle_won, SMACProgram
# win_rate; TextSC2's "result" string becomes "win", see _derived).
WIN_METRICS = ("win", "won", "battle_won", "is_win", "victory", "win_rate")
_VICTORY = frozenset({"victory", "win", "won"})
_DIFFICULTY_WORDS = ("difficulty", "level")


@dataclass(frozen=True)
class Stat:
    """A sample mean with its 95% interval ``[low, high]``, which never leaves the metric's range.

    Outcomes that are all 0 or 1 (a win, a death) get the Wilson score interval of a proportion, which stays in
    [0, 1] and is honest at 3 episodes.  Other numbers get the Student-t interval of the mean, clipped to
    ``bounds`` when the metric has a range (a rate in [0, 1], a count >= 0).  Below two samples there is no
    interval (``nan``).
    """

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float], bounds: tuple[float | None, float | None] | None = None) -> Stat:
        data = np.asarray(values, dtype=float)
        if data.size == 0:
            return cls(math.nan, math.nan, math.nan, 0)
        mean = float(data.mean())
        if data.size == 1:
            return cls(mean, math.nan, math.nan, 1)
        if np.isin(data, (0.0, 1.0)).all():
            low, high = _wilson(int(data.sum()), int(data.size))
            return cls(mean, low, high, int(data.size))
        from scipy.special import stdtrit  # Student-t quantile; lighter than scipy.stats

        spread = float(data.std(ddof=1))
        half = float(stdtrit(data.size - 1, 0.975) * spread / math.sqrt(data.size)) if spread > 0 else 0.0
        low, high = mean - half, mean + half
        if bounds is not None:
            low = low if bounds[0] is None else max(low, bounds[0])
            high = high if bounds[1] is None else min(high, bounds[1])
        return cls(mean, low, high, int(data.size))

    @property
    def half_width(self) -> float:
        """Half the interval's width (for symmetric Student-t intervals: the ``±`` figure)."""
        return (self.high - self.low) / 2

    @property
    def symmetric(self) -> bool:
        return math.isclose(self.mean - self.low, self.high - self.mean, rel_tol=1e-9, abs_tol=1e-12)

    def text(self) -> str:
        if self.n == 0:
            return "-"
        if math.isnan(self.low):
            return _num(self.mean)
        if self.symmetric:
            return f"{_num(self.mean)} ± {_num(self.half_width)}"
        return f"{_num(self.mean)} [{_num(self.low)}, {_num(self.high)}]"

    def to_dict(self) -> dict[str, Any]:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "mean": clean(self.mean),
            "low": clean(self.low),
            "high": clean(self.high),
            "ci95": clean(self.half_width),
            "n": self.n,
        }


def _num(x: float) -> str:
    if math.isnan(x):
        return "-"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:.3f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.1f}"


@dataclass
class Row:
    """One (environment, options, agent) pairing over its stored episodes."""

    env_id: str
    env_options: dict[str, Any]
    agent: str
    agent_kwargs: dict[str, Any]
    agent_version: str
    tactica_version: str
    episodes: int
    mean_return: Stat
    length: Stat
    metrics: dict[str, Stat] = field(default_factory=dict)
    steps_per_second: float = math.nan

    @property
    def label(self) -> str:
        """The agent as a reader names it: its registered name, plus the artifact or model it used."""
        if not self.agent_kwargs:
            return self.agent
        if "model" in self.agent_kwargs:
            detail = str(self.agent_kwargs["model"]).replace("\\", "/").rsplit("/", 2)[-2]
        elif "llm" in self.agent_kwargs:
            detail = str(self.agent_kwargs["llm"])
        else:
            detail = ", ".join(f"{k}={v}" for k, v in sorted(self.agent_kwargs.items()))
        return f"{self.agent} [{detail[:40]}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "env_options": self.env_options,
            "agent": self.agent,
            "agent_kwargs": self.agent_kwargs,
            "agent_version": self.agent_version,
            "tactica_version": self.tactica_version,
            "episodes": self.episodes,
            "mean_return": self.mean_return.to_dict(),
            "length": self.length.to_dict(),
            "metrics": {name: stat.to_dict() for name, stat in self.metrics.items()},
            "steps_per_second": None if math.isnan(self.steps_per_second) else self.steps_per_second,
        }


def options_label(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items())) if options else "defaults"


def summarize(records: Iterable[Record]) -> list[Row]:
    """Group episodes into rows (stable order: environment, options, agent) with their statistics."""
    groups: dict[tuple, list[Record]] = {}
    for record in records:
        key = (
            record.env_id,
            _key(record.env_options),
            record.agent,
            _key(record.agent_kwargs),
            record.agent_version,
            record.tactica_version,
        )
        groups.setdefault(key, []).append(record)
    rows = []
    for key in sorted(groups):
        group = groups[key]
        first = group[0]
        episode_metrics = [_derived(r.metrics) for r in group]
        present = {name for m in episode_metrics for name, value in m.items() if _is_number(value)}
        declared = _declared_metrics(first.env_id)
        if declared is None:  # the environment does not say which metrics mean something: report them all
            declared = dict.fromkeys(sorted(present))
        metrics = {
            name: Stat.of([float(m[name]) for m in episode_metrics if _is_number(m.get(name))], bounds)
            for name, bounds in declared.items()
            if name in present
        }
        seconds = sum(r.seconds for r in group)
        rows.append(
            Row(
                env_id=first.env_id,
                env_options=first.env_options,
                agent=first.agent,
                agent_kwargs=first.agent_kwargs,
                agent_version=first.agent_version,
                tactica_version=first.tactica_version,
                episodes=len(group),
                mean_return=Stat.of([r.mean_return for r in group]),
                length=Stat.of([r.length for r in group]),
                metrics=metrics,
                steps_per_second=sum(r.length for r in group) / seconds if seconds > 0 else math.nan,
            )
        )
    return rows


def _declared_metrics(env_id: str) -> dict[str, tuple[float | None, float | None] | None] | None:
    """The metrics ``env_id``'s registration declares meaningful, with their ranges (``None``: not declared)."""
    from tactica.envs.registration import registry

    env_spec = registry().get(env_id)
    return None if env_spec is None or env_spec.metrics is None else dict(env_spec.metrics)


def env_throughput(records: Iterable[Record]) -> dict[str, dict[str, float]]:
    """Per environment: episodes, steps, seconds, steps per second (over every stored episode)."""
    totals: dict[str, list[float]] = {}
    for record in records:
        entry = totals.setdefault(record.env_id, [0, 0, 0.0])
        entry[0] += 1
        entry[1] += record.length
        entry[2] += record.seconds
    return {
        env_id: {
            "episodes": int(n),
            "steps": int(steps),
            "seconds": seconds,
            "steps_per_second": steps / seconds if seconds > 0 else math.nan,
        }
        for env_id, (n, steps, seconds) in sorted(totals.items())
    }


def win_metric(rows: Sequence[Row]) -> str | None:
    """The metric that says the agent won, if these rows report one."""
    present = {name for row in rows for name in row.metrics}
    return next((name for name in WIN_METRICS if name in present), None)


def difficulty_axis(rows: Sequence[Row], option: str | None = None) -> str | None:
    """The option these rows sweep as a difficulty (``option`` if given and varied), else ``None``."""
    varied = {
        name
        for name in {n for row in rows for n in row.env_options}
        if len({_key(row.env_options.get(name)) for row in rows}) > 1
    }
    if option is not None:
        return option if option in varied else None
    return next((name for name in sorted(varied) if any(w in name.lower() for w in _DIFFICULTY_WORDS)), None)


def _derived(metrics: dict[str, Any]) -> dict[str, Any]:
    """Episode metrics plus ``win`` read from a ``result`` string ("Victory"/"Defeat"/"Tie", as TextSC2)."""
    result = metrics.get("result")
    if isinstance(result, str) and not any(name in metrics for name in WIN_METRICS):
        return {**metrics, "win": result.strip().lower() in _VICTORY}
    return metrics


def _key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))


def _metric_columns(rows: Sequence[Row], limit: int | None = None) -> list[str]:
    names: dict[str, None] = {}
    win = win_metric(rows)
    if win:
        names[win] = None
    for row in rows:
        names.update(dict.fromkeys(row.metrics))
    columns = list(names)
    return columns if limit is None else columns[:limit]


def _by_env(rows: Sequence[Row], sweeps: dict[str, Sweep] | None = None) -> dict[str, list[Row]]:
    """Rows per environment; a swept environment's rows follow its sweep (easiest first), then the agent."""
    sweeps = SWEEPS if sweeps is None else sweeps
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.env_id, []).append(row)
    for env_id, env_rows in grouped.items():
        sweep = sweeps.get(env_id)
        if sweep is not None:
            rank = {_key(value): index for index, value in enumerate(sweep.values)}
            env_rows.sort(key=lambda row: rank.get(_key(row.env_options.get(sweep.option)), len(rank)))
    return grouped


# --- console -----------------------------------------------------------------------------------------------
def rich_tables(
    rows: Sequence[Row], throughput: dict[str, dict[str, float]], width: int | None = None
) -> list:
    """One ``rich.table.Table`` per environment (its rows, mean ± 95% CI, steps/s).

    Options shared by every row go in the caption and the options column shows only those that differ; as many
    metric columns as fit in ``width`` characters follow (``show --json`` and the HTML report have them all).
    """
    from rich.table import Table

    tables = []
    for env_id, env_rows in _by_env(rows).items():
        speed = throughput.get(env_id, {}).get("steps_per_second", math.nan)
        versions = sorted({row.tactica_version for row in env_rows})
        varying = _varying_options(env_rows)
        shared = {k: v for k, v in env_rows[0].env_options.items() if k not in varying}
        body: dict[str, list[str]] = {}
        if varying:
            body["options"] = [
                options_label({k: row.env_options.get(k, "-") for k in varying}) for row in env_rows
            ]
        body["agent"] = [row.label for row in env_rows]
        body["n"] = [str(row.episodes) for row in env_rows]
        body["return"] = [row.mean_return.text() for row in env_rows]
        body["length"] = [row.length.text() for row in env_rows]
        room = math.inf if width is None else width - sum(_cell_width(k, v) for k, v in body.items()) - 1
        for name in _metric_columns(env_rows):
            cells = [row.metrics[name].text() if name in row.metrics else "-" for row in env_rows]
            if _cell_width(name, cells) > room:
                break
            room -= _cell_width(name, cells)
            body[name] = cells
        table = Table(
            title=f"{env_id}  ({_num(speed)} steps/s, tactica {', '.join(versions)})",
            title_justify="left",
            caption=f"options: {options_label(shared)}; mean ± 95% interval half-width, or mean [95% interval] "
            "where the range clips it",
            caption_justify="left",
        )
        for name in body:
            table.add_column(name, justify="left" if name in ("options", "agent") else "right")
        for index in range(len(env_rows)):
            table.add_row(*(cells[index] for cells in body.values()))
        tables.append(table)
    return tables


def _cell_width(header: str, cells: Sequence[str]) -> int:
    return max(len(header), *(len(c) for c in cells)) + 3  # padding and the border


def _varying_options(rows: Sequence[Row]) -> list[str]:
    names = sorted({name for row in rows for name in row.env_options})
    return [name for name in names if len({_key(row.env_options.get(name)) for row in rows}) > 1]


# --- HTML --------------------------------------------------------------------------------------------------
def _png(figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def bar_chart(env_id: str, rows: Sequence[Row]) -> str:
    """Mean return per row with its 95% interval, as a base64 PNG.

    Horizontal bars, one line of label per row and the figure as tall as the rows need, so that 3 rows and 60
    rows are equally readable.
    """
    from matplotlib.figure import Figure

    varying = _varying_options(rows)  # name only the options that differ between the bars
    labels = [
        _shorten(", ".join([row.label, *(f"{n}={row.env_options.get(n, '-')}" for n in varying)]), 60)
        for row in rows
    ]
    means = np.array([row.mean_return.mean for row in rows])
    lows = np.array([row.mean_return.low for row in rows])
    highs = np.array([row.mean_return.high for row in rows])
    errors = np.nan_to_num(np.vstack([means - lows, highs - means]), nan=0.0)
    figure = Figure(figsize=(7.5, 0.32 * len(rows) + 1.3))
    axes = figure.add_subplot()
    positions = np.arange(len(rows))[::-1]  # first row on top, as in the table
    axes.barh(positions, means, xerr=errors, capsize=3, color="#4c72b0", height=0.7)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.axvline(0.0, color="black", linewidth=0.6)
    axes.set_xlabel("mean return per agent (95% interval)")
    axes.set_title(f"{env_id}: mean return", fontsize=10)
    return _png(figure)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def win_rate_chart(
    env_id: str,
    rows: Sequence[Row],
    option: str,
    metric: str,
    order: Sequence[Any] = (),
    axis: str = "",
) -> str:
    """Win rate against the swept difficulty option, one line per agent, as a base64 PNG.

    ``order`` lists the option's values easiest first (the suite's sweep); values not in it follow, sorted.
    """
    from matplotlib.figure import Figure

    rank = {_key(value): index for index, value in enumerate(order)}
    values = sorted(
        {_key(row.env_options.get(option)) for row in rows},
        key=lambda v: (rank.get(v, len(rank)), _sort_key(v)),
    )
    figure = Figure(figsize=(5.5, 3.2))
    axes = figure.add_subplot()
    positions = {value: index for index, value in enumerate(values)}
    for label in dict.fromkeys(row.label for row in rows):
        points = sorted(
            (positions[_key(row.env_options.get(option))], row.metrics[metric])
            for row in rows
            if row.label == label and metric in row.metrics
        )
        if not points:
            continue
        xs = [x for x, _ in points]
        ys = np.array([stat.mean for _, stat in points])
        lows = np.array([stat.low for _, stat in points])
        highs = np.array([stat.high for _, stat in points])
        errs = np.nan_to_num(np.vstack([ys - lows, highs - ys]), nan=0.0)  # Wilson: already inside [0, 1]
        axes.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, label=label)
    axes.set_xticks(range(len(values)), [v.strip('"') for v in values])
    axes.set_ylim(-0.05, 1.05)
    axes.set_xlabel(axis or option)
    axes.set_ylabel(f"win rate ({metric})")
    axes.set_title(f"{env_id}: win rate against {axis or option}")
    axes.legend(fontsize=8)
    return _png(figure)


def episode_strip(
    env_id: str,
    options: dict[str, Any] | None = None,
    agent: str | None = None,
    seed: int = 0,
    frames: int = 4,
    max_steps: int = 2000,
) -> str | None:
    """A strip of ``frames`` pictures from one seeded episode of ``env_id``, as a base64 PNG (``None`` when the
    environment has no ``rgb_array`` mode or the episode cannot be played here).

    The episode is played by the environment's baseline agent (``agent`` overrides it) with ``options``, at most
    ``max_steps`` steps: once to learn its length, then again rendering 24 evenly spaced steps (the pictures
    that plot a history sample it there), of which ``frames`` evenly spaced ones, first and last included, make
    the strip.
    """
    from tactica.envs.registration import registry
    from tactica.rollout import run_episode

    env_spec = registry().get(env_id)
    if env_spec is None:
        return None
    try:
        if "rgb_array" not in getattr(env_spec.load(), "metadata", {}).get("render_modes", ()):
            return None
        agent = agent or env_spec.baseline_agent
        options = dict(options or {})
        length = run_episode(env_id, agent, seed, env_kwargs=options, max_steps=max_steps).length
        shown = sorted({int(round(x)) for x in np.linspace(0, length, frames)})
        sampled = sorted({int(round(x)) for x in np.linspace(0, length, 24)} | set(shown))
        pictures: list[np.ndarray] = []
        run_episode(
            env_id,
            agent,
            seed,
            env_kwargs=options,
            max_steps=length,
            render_mode="rgb_array",
            on_render=pictures.append,
            render_steps=set(sampled),
        )
    except Exception:  # noqa: BLE001 - a picture must never cost the report; the section says none was made
        return None
    chosen = [frame for step, frame in zip(sampled, pictures) if step in shown]
    if not chosen:
        return None
    gap = np.full((chosen[0].shape[0], 8, 3), 255, np.uint8)
    strip = np.concatenate([part for frame in chosen for part in (frame, gap)][:-1], axis=1)
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _sort_key(encoded: str) -> tuple:
    try:
        return (0, float(encoded.strip('"')), encoded)
    except ValueError:
        return (1, 0.0, encoded)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: min(1400px, 96vw); color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
caption { caption-side: bottom; text-align: left; color: #666; font-size: 0.9em; padding-top: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; } td.text, th.text { text-align: left; }
td { white-space: nowrap; } td.text { white-space: normal; min-width: 8em; max-width: 22em; }
.ci { color: #666; font-size: 0.85em; }
.scroll { overflow-x: auto; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
img.strip { border: 1px solid #ddd; }
.note { color: #666; font-size: 0.9em; }
.failed td { color: #a00; }
"""


def html_report(
    records: Sequence[Record],
    *,
    title: str = "tactica leaderboard",
    sweeps: dict[str, Sweep] | None = None,
    notes: Sequence[str] = (),
    failures: Sequence[dict[str, Any]] = (),
    pictures: bool = True,
) -> str:
    """One self-contained HTML page: an overview, then per environment its table, plots and pictures (inline
    PNGs).

    Args:
        records: stored episodes (``ResultStore.records()``).
        title: the page title.
        sweeps: per environment, the option to plot win rate against, easiest value first (default: the
            suites' :data:`~tactica.leaderboard.suites.SWEEPS`; for other environments an option whose name
            says difficulty or level and whose value varies across the rows).
        notes: lines shown under the title (e.g. what the run skipped).
        failures: failed episodes (``ResultStore.failures()``), listed in their own section.
        pictures: under each environment's heading, a strip of frames from a seeded episode of its baseline
            agent with the first row's options (:func:`episode_strip`; about a second per environment).
    """
    rows = summarize(records)
    throughput = env_throughput(records)
    sweeps = dict(SWEEPS if sweeps is None else sweeps)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{_CSS}</style></head><body>',
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">Generated {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())} from {len(records)} '
        f"episodes; tactica {esc(', '.join(sorted({r.tactica_version for r in records})) or '-')}. "
        "Numbers are means over seeded episodes with their 95% interval below (Wilson for win/loss outcomes, "
        "Student-t otherwise, never outside the metric's range).</p>",
    ]
    parts += [f'<p class="note">{esc(note)}</p>' for note in notes]
    parts.append(
        '<h2>Environments</h2><table id="overview"><thead><tr><th class="text">environment</th>'
        "<th>rows</th><th>episodes</th><th>steps</th><th>steps/s</th></tr></thead><tbody>"
    )
    grouped = _by_env(rows, sweeps)
    for env_id, env_rows in grouped.items():
        speed = throughput[env_id]
        parts.append(
            f'<tr><td class="text"><a href="#{esc(env_id)}">{esc(env_id)}</a></td><td>{len(env_rows)}</td>'
            f"<td>{speed['episodes']}</td><td>{speed['steps']}</td><td>{_num(speed['steps_per_second'])}</td></tr>"
        )
    parts.append("</tbody></table>")
    if failures:
        parts.append(_html_failures(failures))
    for env_id, env_rows in grouped.items():
        parts.append(f'<h2 id="{esc(env_id)}">{esc(env_id)}</h2>')
        if pictures:
            parts.append(_html_strip(env_id, env_rows[0].env_options))
        parts.append(_html_table(env_rows))
        parts.append(
            f'<img class="plot" alt="{esc(env_id)} mean return" src="data:image/png;base64,'
            f'{bar_chart(env_id, env_rows)}">'
        )
        metric = win_metric(env_rows)
        sweep = sweeps.get(env_id)
        option = difficulty_axis(env_rows, sweep.option if sweep else None)
        if metric and option:
            order, axis = (sweep.values, sweep.axis) if sweep else ((), "")
            chart = win_rate_chart(env_id, env_rows, option, metric, order, axis)
            parts.append(
                f'<img class="plot" alt="{esc(env_id)} win rate against {esc(option)}" '
                f'src="data:image/png;base64,{chart}">'
            )
    parts.append("</body></html>")
    return "\n".join(parts)


# Metric columns per HTML table: the first table also carries the episode count, return, length and speed; the
# metrics that do not fit follow in continuation tables with the agent repeated, so no column leaves the page.
_FIRST_TABLE_METRICS = 4
_MORE_TABLE_METRICS = 7


def _html_table(rows: Sequence[Row]) -> str:
    """The rows as HTML tables that fit the page: only the options that differ between rows (the shared ones go
    in the caption), wrapping text columns, each number over its interval, metrics split over several tables."""
    esc = html.escape
    columns = _metric_columns(rows)
    varying = _varying_options(rows)
    shared = {k: v for k, v in rows[0].env_options.items() if k not in varying}
    chunks = [columns[:_FIRST_TABLE_METRICS]]
    rest = columns[_FIRST_TABLE_METRICS:]
    chunks += [rest[k : k + _MORE_TABLE_METRICS] for k in range(0, len(rest), _MORE_TABLE_METRICS)]
    tables = []
    for index, chunk in enumerate(chunks):
        first = index == 0
        head = [
            *(['<th class="text">options</th>'] if varying else []),
            '<th class="text">agent</th>',
            *(["<th>episodes</th>", "<th>return</th>", "<th>length</th>"] if first else []),
            *[f"<th>{_breakable(name)}</th>" for name in chunk],
            *(["<th>steps/s</th>"] if first else []),
        ]
        caption = f"options: {options_label(shared)}" if first else "more metrics of the rows above"
        lines = [
            '<div class="scroll"><table class="results">',
            f"<caption>{esc(caption)}</caption>",
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>",
        ]
        for row in rows:
            options = options_label({k: row.env_options.get(k, "-") for k in varying})
            cells = [
                *([f'<td class="text">{esc(options)}</td>'] if varying else []),
                f'<td class="text">{esc(row.label)}</td>',
                *(
                    [f"<td>{row.episodes}</td>", _stat_cell(row.mean_return), _stat_cell(row.length)]
                    if first
                    else []
                ),
                *[_stat_cell(row.metrics[name]) if name in row.metrics else "<td>-</td>" for name in chunk],
                *([f"<td>{_num(row.steps_per_second)}</td>"] if first else []),
            ]
            lines.append(f"<tr>{''.join(cells)}</tr>")
        lines.append("</tbody></table></div>")
        tables.append("\n".join(lines))
    return "\n".join(tables)


def _html_strip(env_id: str, options: dict[str, Any]) -> str:
    from tactica.envs.registration import registry

    env_spec = registry().get(env_id)
    strip = episode_strip(env_id, options)
    if env_spec is None or strip is None:
        return ""
    esc = html.escape
    return (
        f'<img class="strip" alt="{esc(env_id)}: frames of a seeded episode" src="data:image/png;base64,{strip}">'
        f'<p class="note">Frames of one seeded episode (seed 0) played by {esc(env_spec.baseline_agent)} with '
        f"options {esc(options_label(options))}: its start, two moments between and its end (or step 2000). "
        f"<code>tactica play {esc(env_id)} --agent {esc(env_spec.baseline_agent)} --record run.gif</code> "
        "records a whole episode.</p>"
    )


def _html_failures(failures: Sequence[dict[str, Any]]) -> str:
    esc = html.escape
    lines = [
        f'<h2 id="failures">Failed episodes ({len(failures)})</h2>',
        '<p class="note">Not in the tables above; the next <code>tactica leaderboard run</code> retries them.</p>',
        '<div class="scroll"><table class="failed"><thead><tr><th class="text">environment</th>'
        '<th class="text">agent</th><th>seed</th><th class="text">error</th></tr></thead><tbody>',
    ]
    for entry in failures:
        error = str(entry.get("error", "")).strip().splitlines()
        lines.append(
            f'<tr><td class="text">{esc(entry["env_id"])}</td><td class="text">{esc(entry["agent"])}</td>'
            f'<td>{entry["seed"]}</td><td class="text">{esc(error[0] if error else "")}</td></tr>'
        )
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _stat_cell(stat: Stat) -> str:
    if stat.n == 0 or math.isnan(stat.low):
        return f"<td>{_num(stat.mean) if stat.n else '-'}</td>"
    return f'<td>{_num(stat.mean)}<br><span class="ci">[{_num(stat.low)}, {_num(stat.high)}]</span></td>'


def _breakable(name: str) -> str:
    """A metric name that may wrap after its underscores (long names must not widen the table)."""
    return "_<wbr>".join(html.escape(part) for part in name.split("_"))
