"""Wins per level, with Wilson 95% intervals, from ``tactica play TextSC2-v1 ... --json`` outputs.

    for L in 1 2 3 4; do
      tactica play TextSC2-v1 --agent cos --llm plm:runs/plm-textsc2/checkpoint --opt difficulty=$L \\
        --episodes 10 --seed 0 --json > runs/play-L$L.json
    done
    python examples/game_model/textsc2_wins.py runs/play-L*.json
"""

from __future__ import annotations

import argparse
import json

from tactica.stats import wilson_interval as _wilson


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="JSON outputs of tactica play TextSC2-v1 --json")
    args = parser.parse_args()
    rows = []
    for path in args.files:
        with open(path, encoding="utf-8") as handle:
            run = json.load(handle)
        results = [e["metrics"].get("result", "") for e in run["episodes"]]
        wins = sum(r == "Victory" for r in results)
        low, high = _wilson(wins, len(results))
        rows.append({"file": path, "level": run["options"].get("difficulty"), "seed": run["seed"],
                     "games": len(results), "wins": wins, "ties": results.count("Tie"),
                     "ci95": [round(low, 2), round(high, 2)]})  # fmt: skip
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
