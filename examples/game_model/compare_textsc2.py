"""Win rates of the cos agent on TextSC2 with two language models on the same seeded games, Wilson 95% intervals.

    python examples/game_model/compare_textsc2.py --models games,games-aligned --levels 4,5 --games 20

Each (model, level) is one ``tactica play TextSC2-v1 --agent cos --llm plm:MODEL --opt difficulty=L --episodes N
--seed S --json`` run (so every model meets the same seeded games); prints a Markdown table, or JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from tactica.stats import wilson_interval as wilson


def play(model: str, level: int, games: int, seed: int, agent_opts: tuple[str, ...] = ()) -> dict:
    command = [sys.executable, "-m", "tactica.cli.main", "play", "TextSC2-v1", "--agent", "cos", "--llm",
               f"plm:{model}", "--opt", f"difficulty={level}", "--episodes", str(games), "--seed", str(seed),
               "--json"]  # fmt: skip
    for option in agent_opts:
        command += ["--agent-opt", option]
    start = time.time()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed: {done.stderr.strip().splitlines()[-1:]}")
    episodes = json.loads(done.stdout)["episodes"]
    results = [e["metrics"]["result"] for e in episodes]
    wins = results.count("Victory")
    return {"model": model, "level": level, "games": len(results), "wins": wins,
            "ties": results.count("Tie"), "ci": [round(x, 3) for x in wilson(wins, len(results))],
            "mean_length": sum(e["length"] for e in episodes) / len(episodes),
            "wall_s": round(time.time() - start, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="games,games-aligned", help="comma-separated plm: models")
    parser.add_argument("--levels", default="4,5", help="comma-separated built-in AI levels")
    parser.add_argument("--games", type=int, default=20, help="seeded games per model and level")
    parser.add_argument("--seed", type=int, default=0, help="base seed (the same for every model)")
    parser.add_argument("--agent-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="cos option for every run, e.g. temperature=1.0 (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    rows = []
    for level in (int(x) for x in args.levels.split(",")):
        for model in args.models.split(","):
            rows.append(play(model, level, args.games, args.seed, tuple(args.agent_opt)))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| level | model | games | wins | win rate (95% CI) | ties | mean length (steps) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        rate = r["wins"] / r["games"]
        print(f"| {r['level']} | `plm:{r['model']}` | {r['games']} | {r['wins']} | {rate:.2f} "
              f"({r['ci'][0]:.2f}-{r['ci'][1]:.2f}) | {r['ties']} | {r['mean_length']:.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
