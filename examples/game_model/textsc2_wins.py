"""Wins per level, with Wilson 95% intervals, from ``tactica play TextSC2-v1 ... --json`` outputs.

    for L in 1 2 3 4; do
      tactica play TextSC2-v1 --agent cos --llm plm:runs/plm-textsc2/checkpoint --opt difficulty=$L \\
        --episodes 10 --seed 0 --json > runs/play-L$L.json
    done
    python examples/game_model/textsc2_wins.py runs/play-L*.json
    python examples/game_model/textsc2_wins.py runs/play-L*.json --by-build   # one row per built-in AI build

``--by-build`` replays each game's reset (the file's options and the episode's seed) to read which build the
built-in AI drew, and splits the counts by it.
"""

from __future__ import annotations

import argparse
import json

from tactica.stats import wilson_interval as _wilson


def ai_build(options: dict, seed: int) -> str:
    """The build the built-in AI draws in the game ``tactica play TextSC2-v1`` played with these options."""
    import gymnasium as gym

    import tactica  # noqa: F401  (registers the environments)

    env = gym.make("TextSC2-v1", **options)
    env.reset(seed=seed)
    build = env.unwrapped.ai.build
    env.close()
    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="JSON outputs of tactica play TextSC2-v1 --json")
    parser.add_argument("--by-build", action="store_true", help="one row per file and built-in AI build")
    args = parser.parse_args()
    rows = []
    for path in args.files:
        with open(path, encoding="utf-8") as handle:
            run = json.load(handle)
        groups: dict[str | None, list[str]] = {}
        for episode in run["episodes"]:
            build = ai_build(run["options"], episode["seed"]) if args.by_build else None
            groups.setdefault(build, []).append(episode["metrics"].get("result", ""))
        for build, results in sorted(groups.items(), key=lambda item: str(item[0])):
            wins = sum(r == "Victory" for r in results)
            low, high = _wilson(wins, len(results))
            row = {"file": path, "level": run["options"].get("difficulty"), "seed": run["seed"]}
            if args.by_build:
                row["build"] = build
            rows.append({**row, "games": len(results), "wins": wins, "ties": results.count("Tie"),
                         "ci95": [round(low, 2), round(high, 2)]})  # fmt: skip
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
