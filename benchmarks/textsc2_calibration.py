"""Calibrate TextSC2-v1's built-in AI: the scripted expert's win rate at every level on two disjoint seed sets.

Plays one seeded game per seed of each ``--seed-sets`` range (default ``0-99,100-199``) at every difficulty
level with ``textsc2-expert``, and ``--random-games`` games with the ``random`` agent against VeryEasy (seeds
of the first set).  The AI's build is the build style that dominates the outcome, so by default it is not
drawn from the seed but rotated: seed ``s`` plays ``rush, timing, power, macro, air`` [``s mod 5``], every
set of 100 seeds has 20 games of each, and the table no longer depends on which builds a seed set happened
to draw (``--build random`` draws it from the seed as ``build="random"`` does).  It writes a Markdown table:
per level and seed set the wins and the win rate with its 95% Wilson interval, the pooled rate, losses and
ties, the mean game length and the original's metrics.  It also says whether the win rates fall strictly from level 1 to 10
(pooled and in each set); ``--check`` exits 1 when the pooled rates do not.  The seed sets are played
interleaved (0, 100, 1, 101, ...), so a run stopped early with ``--rows`` still covers both sets and every
level equally; ``--from-jsonl`` with the complete ranges (e.g. ``0-44,100-144``) builds its table.

    nice -n 10 python benchmarks/textsc2_calibration.py --seed-sets 200-299,300-399 --workers 2 --random-games 50
    python benchmarks/textsc2_calibration.py --seed-sets 0-9 --levels 1,5,10 --random-games 0
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tactica.stats import wilson_interval as wilson

BUILDS = ("rush", "timing", "power", "macro", "air")


def play(job: tuple[str, int, int, str, str]) -> dict:
    """One seeded game; returns the result, the game length and the metrics."""
    import gymnasium as gym

    import tactica  # noqa: F401  (registers TextSC2-v1)
    from tactica.agents import make

    agent_name, level, seed, race, build = job
    if build == "cycle":
        build = BUILDS[seed % len(BUILDS)]
    env = gym.make("TextSC2-v1", difficulty=level, opponent_race=race, build=build)
    agent = make(agent_name, action_space=env.action_space)
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    while True:
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            break
    game = env.unwrapped.game
    return {
        "agent": agent_name,
        "level": level,
        "seed": seed,
        "build": env.unwrapped.ai.build,
        "result": info["result"],
        "seconds": game.seconds,
        **info["metrics"],
    }


def parse_ranges(text: str) -> list[range]:
    """``"0-99,100-199"`` -> two ranges (inclusive bounds)."""
    out = []
    for part in text.split(","):
        lo, sep, hi = part.strip().partition("-")
        if not sep or not lo.isdigit() or not hi.isdigit() or int(hi) < int(lo):
            raise ValueError(f"a seed set must look like 0-99, got {part!r}")
        out.append(range(int(lo), int(hi) + 1))
    starts = sorted(out, key=lambda r: r.start)
    for a, b in zip(starts, starts[1:]):
        if b.start <= a.stop - 1:
            raise ValueError("the seed sets must be disjoint")
    return out


def _rate(wins: int, n: int) -> str:
    lo, hi = wilson(wins, n)
    return f"{wins}/{n} = {wins / n:.0%} [{lo:.0%}, {hi:.0%}]" if n else "-"


def _strict(rates: list[float]) -> bool:
    return all(a > b for a, b in zip(rates, rates[1:]))


def table(rows: list[dict], seed_sets: list[range], race: str, build: str = "cycle") -> tuple[str, bool]:
    """The Markdown report and whether the pooled expert win rates fall strictly with the level."""
    from tactica.envs.textsc2.builtin_ai import BLIZZARD_NAMES, DIFFICULTIES

    names = [f"seeds {r.start}-{r.stop - 1}" for r in seed_sets]
    builds = (
        "rotated over the seeds (seed mod 5: rush, timing, power, macro, air)"
        if build == "cycle"
        else ("drawn from the seed" if build == "random" else f"always {build}")
    )

    def which(seed: int) -> int | None:
        return next((i for i, r in enumerate(seed_sets) if seed in r), None)

    expert = [r for r in rows if r["agent"] == "textsc2-expert"]
    levels = sorted({r["level"] for r in expert})
    lines = [
        f"Opponent: {race}; the AI's build {builds}; time limit 30:00 (a tie); win rates with 95% Wilson "
        "intervals.",
        "",
        "| level | python-sc2 | game menu | "
        + " | ".join(f"win, {n}" for n in names)
        + " | win, pooled | loss | tie | mean length | PBR | RUR | APU | TR |",
        "|---|---|---|" + "---|" * len(names) + "---|---|---|---|---|---|---|---|",
    ]
    per_set: list[list[float]] = [[] for _ in seed_sets]
    pooled: list[float] = []
    for level in levels:
        rs = [r for r in expert if r["level"] == level]
        cells = []
        for i in range(len(seed_sets)):
            mine = [r for r in rs if which(r["seed"]) == i]
            wins = sum(r["result"] == "Victory" for r in mine)
            cells.append(_rate(wins, len(mine)))
            per_set[i].append(wins / len(mine) if mine else float("nan"))
        n = len(rs)
        win = sum(r["result"] == "Victory" for r in rs)
        loss = sum(r["result"] == "Defeat" for r in rs)
        pooled.append(win / n)
        mean = sum(r["seconds"] for r in rs) / n
        avg = {k: sum(r[k] for r in rs) / n for k in ("PBR", "RUR", "APU", "TR")}
        lines.append(
            f"| {level} | {DIFFICULTIES[level - 1]} | {BLIZZARD_NAMES[level - 1]} | "
            + " | ".join(cells)
            + f" | {_rate(win, n)} | {loss} | {n - win - loss} | {int(mean) // 60:02d}:{int(mean) % 60:02d} "
            f"| {avg['PBR']:.3f} | {avg['RUR']:.0f} | {avg['APU']:.3f} | {avg['TR']:.3f} |"
        )
    ordered = _strict(pooled)
    lines.append("")
    verdicts = [f"pooled: {'yes' if ordered else 'no'}"] + [
        f"{name}: {'yes' if _strict(rates) else 'no'}" for name, rates in zip(names, per_set)
    ]
    lines.append(
        f"Expert win rate falls strictly from level {levels[0]} to {levels[-1]}: " + "; ".join(verdicts) + "."
    )
    randoms = [r for r in rows if r["agent"] == "random"]
    if randoms:
        win = sum(r["result"] == "Victory" for r in randoms)
        loss = sum(r["result"] == "Defeat" for r in randoms)
        lines.append(
            f"Random agent vs VeryEasy: {_rate(win, len(randoms))} won, {loss} lost, "
            f"{len(randoms) - win - loss} tied."
        )
    return "\n".join(lines) + "\n", ordered


def plot(rows: list[dict], seed_sets: list[range], path: Path) -> None:
    """The expert's win rate by level, one line per seed set with its 95% Wilson interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tactica.envs.textsc2.builtin_ai import BLIZZARD_NAMES

    expert = [r for r in rows if r["agent"] == "textsc2-expert"]
    levels = sorted({r["level"] for r in expert})
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, seeds in enumerate(seed_sets):
        rates, lows, highs = [], [], []
        for level in levels:
            mine = [r for r in expert if r["level"] == level and r["seed"] in seeds]
            wins = sum(r["result"] == "Victory" for r in mine)
            lo, hi = wilson(wins, len(mine))
            rate = wins / len(mine) if mine else float("nan")
            rates.append(rate)
            lows.append(max(0.0, rate - lo))  # rounding can put a bound a hair past the rate
            highs.append(max(0.0, hi - rate))
        offset = (i - (len(seed_sets) - 1) / 2) * 0.12
        ax.errorbar(
            [lv + offset for lv in levels],
            rates,
            yerr=[lows, highs],
            marker="o",
            capsize=3,
            label=f"seeds {seeds.start}-{seeds.stop - 1}",
        )
    ax.set_xticks(levels, [f"{lv}\n{BLIZZARD_NAMES[lv - 1]}" for lv in levels], fontsize=7)
    ax.set_ylabel("textsc2-expert win rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("TextSC2 built-in AI calibration (95% Wilson intervals)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seed-sets", default="0-99,100-199", help="disjoint seed ranges (default 0-99,100-199)"
    )
    parser.add_argument(
        "--random-games", type=int, default=100, help="random-agent games vs VeryEasy (default 100)"
    )
    parser.add_argument("--levels", default="1-10", help="levels, e.g. 1-10 or 1,5,10 (default 1-10)")
    parser.add_argument("--opponent-race", default="Zerg", choices=("Zerg", "Terran", "Protoss"))
    parser.add_argument(
        "--build",
        default="cycle",
        choices=("cycle", "random", *BUILDS),
        help="the AI's build: rotated over the seeds (default), drawn from the seed, or one build",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    parser.add_argument("--rows", type=Path, help="append one JSON line per game here (for --from-jsonl)")
    parser.add_argument("--from-jsonl", type=Path, help="build the report from rows saved by --rows")
    parser.add_argument("--check", action="store_true", help="exit 1 unless the pooled rates fall strictly")
    parser.add_argument("--plot", type=Path, help="save the win rates by level and seed set as a PNG here")
    args = parser.parse_args(argv)
    try:
        seed_sets = parse_ranges(args.seed_sets)
        if "-" in args.levels:
            lo, hi = (int(x) for x in args.levels.split("-"))
            levels = list(range(lo, hi + 1))
        else:
            levels = [int(x) for x in args.levels.split(",")]
        if not levels or any(not 1 <= lv <= 10 for lv in levels):
            raise ValueError(
                f"--levels must look like 1-10 or 1,5,10 with levels in 1..10, got {args.levels!r}"
            )
        if args.random_games < 0 or args.workers < 1:
            raise ValueError("--random-games must be >= 0 and --workers >= 1")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.from_jsonl:
        try:
            rows = [json.loads(line) for line in args.from_jsonl.read_text().splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as exc:
            print(f"cannot read rows from {args.from_jsonl}: {exc}", file=sys.stderr)
            return 2
        # Only the games of the seed sets asked for (a run stopped early is cut to its complete seeds).
        rows = [
            r
            for r in rows
            if any(
                r["seed"] in seeds
                for seeds in (seed_sets if r["agent"] == "textsc2-expert" else seed_sets[:1])
            )
        ]
        text, ordered = table(rows, seed_sets, args.opponent_race, args.build)
    else:
        # Seed-major order with the seed sets interleaved (their first seeds, then their second ...), so that
        # the rows of a run stopped early (--rows, then --from-jsonl) cover every set and level equally.
        seeds = [s for column in itertools.zip_longest(*seed_sets) for s in column if s is not None]
        jobs = [("textsc2-expert", lv, s, args.opponent_race, args.build) for s in seeds for lv in levels]
        jobs += [
            ("random", 1, s, args.opponent_race, args.build) for s in list(seed_sets[0])[: args.random_games]
        ]
        from rich.progress import Progress

        rows = []
        start = time.perf_counter()
        cpu = time.process_time()
        sink = args.rows.open("a", encoding="utf-8") if args.rows else None
        with (
            Progress(transient=True, disable=not sys.stdout.isatty()) as progress,
            ProcessPoolExecutor(args.workers) as pool,
        ):
            task = progress.add_task("TextSC2 calibration games", total=len(jobs))
            for i, row in enumerate(pool.map(play, jobs, chunksize=4)):
                rows.append(row)
                progress.advance(task)
                if sink:
                    sink.write(json.dumps(row) + "\n")
                    sink.flush()
                if not sys.stdout.isatty() and (i + 1) % 200 == 0:
                    print(f"{i + 1}/{len(jobs)} games", flush=True)
        if sink:
            sink.close()
        children = os.times().children_user + os.times().children_system
        text, ordered = table(rows, seed_sets, args.opponent_race, args.build)
        text += (
            f"\n{len(rows)} games in {time.perf_counter() - start:.0f} s wall, "
            f"{children + time.process_time() - cpu:.0f} CPU-s, with {args.workers} process(es).\n"
        )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.plot:
        plot(rows, seed_sets, args.plot)
    return 1 if args.check and not ordered else 0


if __name__ == "__main__":
    raise SystemExit(main())
