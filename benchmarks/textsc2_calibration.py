"""Calibrate TextSC2-v0's built-in AI: the scripted expert's win rate at every level, and random vs VeryEasy.

Plays ``--games`` seeded games (seeds 0..N-1, the AI's build drawn from the seed) per difficulty level with
``textsc2-expert`` and ``--random-games`` with the ``random`` agent against VeryEasy, then writes a Markdown
table (win / loss / tie, mean game length and the original's metrics) to ``--out`` and prints it.

    python benchmarks/textsc2_calibration.py --games 50 --workers 2 --out docs/textsc2_calibration.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def play(job: tuple[str, int, int, str]) -> dict:
    """One seeded game; returns the result, the game length and the metrics."""
    import gymnasium as gym

    import tactica  # noqa: F401  (registers TextSC2-v0)
    from tactica.agents import make

    agent_name, level, seed, race = job
    env = gym.make("TextSC2-v0", difficulty=level, opponent_race=race, build="random")
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


def table(rows: list[dict], games: int, random_games: int, race: str) -> str:
    from tactica.envs.textsc2.builtin_ai import BLIZZARD_NAMES, DIFFICULTIES

    lines = [
        f"Opponent: {race}, build drawn per seed; seeds 0..N-1; time limit 30:00 (a tie).",
        "",
        "| agent | level | python-sc2 name | game menu name | games | win | loss | tie | win rate | mean length |"
        " PBR | RUR | APU | TR |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["agent"], r["level"]), []).append(r)
    for (agent, level), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] != "textsc2-expert", kv[0][1])):
        n = len(rs)
        win = sum(r["result"] == "Victory" for r in rs)
        loss = sum(r["result"] == "Defeat" for r in rs)
        tie = n - win - loss
        mean = sum(r["seconds"] for r in rs) / n
        avg = {k: sum(r[k] for r in rs) / n for k in ("PBR", "RUR", "APU", "TR")}
        lines.append(
            f"| {agent} | {level} | {DIFFICULTIES[level - 1]} | {BLIZZARD_NAMES[level - 1]} | {n} | {win} | {loss} "
            f"| {tie} | {win / n:.0%} | {int(mean) // 60:02d}:{int(mean) % 60:02d} | {avg['PBR']:.3f} "
            f"| {avg['RUR']:.0f} | {avg['APU']:.3f} | {avg['TR']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--games", type=int, default=50, help="expert games per level (default 50)")
    parser.add_argument(
        "--random-games", type=int, default=50, help="random-agent games vs VeryEasy (default 50)"
    )
    parser.add_argument("--levels", default="1-10", help="levels, e.g. 1-10 or 1,5,10 (default 1-10)")
    parser.add_argument("--opponent-race", default="Zerg", choices=("Zerg", "Terran", "Protoss"))
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument("--json", action="store_true", help="print one JSON object per game instead")
    parser.add_argument(
        "--from-jsonl", type=Path, help="build the table from rows saved by an earlier --json run"
    )
    args = parser.parse_args(argv)
    if args.from_jsonl:
        try:
            rows = [json.loads(line) for line in args.from_jsonl.read_text().splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as exc:
            print(f"cannot read rows from {args.from_jsonl}: {exc}", file=sys.stderr)
            return 2
        text = table(rows, args.games, args.random_games, args.opponent_race)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return 0
    try:
        if "-" in args.levels:
            lo, hi = (int(x) for x in args.levels.split("-"))
            levels = list(range(lo, hi + 1))
        else:
            levels = [int(x) for x in args.levels.split(",")]
        if not levels or any(not 1 <= lv <= 10 for lv in levels):
            raise ValueError
    except ValueError:
        print(
            f"--levels must look like 1-10 or 1,5,10 with levels in 1..10, got {args.levels!r}",
            file=sys.stderr,
        )
        return 2
    if args.games < 0 or args.random_games < 0 or args.workers < 1:
        print("--games and --random-games must be >= 0 and --workers >= 1", file=sys.stderr)
        return 2
    # Seed-major order, so that an interrupted run still has the same number of games at every level.
    jobs = []
    for s in range(max(args.games, args.random_games)):
        if s < args.games:
            jobs += [("textsc2-expert", lv, s, args.opponent_race) for lv in levels]
        if s < args.random_games:
            jobs.append(("random", 1, s, args.opponent_race))
    from rich.progress import Progress

    rows: list[dict] = []
    start = time.perf_counter()
    with Progress(transient=True) as progress, ProcessPoolExecutor(args.workers) as pool:
        task = progress.add_task("TextSC2 calibration games", total=len(jobs))
        for row in pool.map(play, jobs):
            rows.append(row)
            progress.advance(task)
            if args.json:
                print(json.dumps(row))
    text = table(rows, args.games, args.random_games, args.opponent_race)
    text += f"\n{len(rows)} games in {time.perf_counter() - start:.0f} s with {args.workers} process(es).\n"
    if not args.json:
        print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
