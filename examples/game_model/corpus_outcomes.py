"""How the games behind TextSC2 transcript corpora ended: wins, ties and losses per level, with Wilson 95% intervals.

Every example of a TextSC2 corpus carries its game's label (level, result, and for DAgger corpora the policy
that played, its beta and temperature).  This counts each game once, reading a corpus's training file and its
``.heldout.jsonl`` twin together (the held-out split takes whole games), so a DAgger round says how well its
policy played while it was recorded:

    python examples/game_model/corpus_outcomes.py runs/corpora/textsc2-dagger4-s41.jsonl \\
        runs/corpora/textsc2-dagger4-s42.jsonl --by difficulty,temperature

Prints a Markdown table, or JSON with ``--json``.  ``--not-won OUT`` also writes to OUT the training examples
(not the held-out twins) of the games that did not end in a victory, for a fine-tune that lists them again:

    python examples/game_model/corpus_outcomes.py runs/corpora/textsc2-dagger10-s101.jsonl --not-won runs/lost.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tactica.stats import wilson_interval


def _twin_files(path: str) -> list[Path]:
    """The training file and its held-out twin (whichever of the two was named)."""
    p = Path(path)
    base = p.with_name(p.name.replace(".heldout.jsonl", ".jsonl"))
    twin = base.with_name(base.name.replace(".jsonl", ".heldout.jsonl"))
    return [f for f in (base, twin) if f.exists()]


def game_labels(paths: list[str]) -> dict[tuple[str, int], dict]:
    """One label per game: keyed by (corpus, episode), read from the examples' ``meta``."""
    games: dict[tuple[str, int], dict] = {}
    for path in paths:
        files = _twin_files(path)
        if not files:
            raise SystemExit(f"no such corpus: {path}")
        for file in files:
            with open(file, encoding="utf-8") as handle:
                for line in handle:
                    meta = json.loads(line)["meta"]
                    games[(str(files[0]), meta["episode"])] = meta.get("label", {})
    return games


def write_not_won(paths: list[str], out: str) -> tuple[int, int]:
    """Write the training examples of ``paths`` whose game did not end in ``Victory`` to ``out``; returns
    (examples written, examples read)."""
    kept = read = 0
    with open(out, "w", encoding="utf-8") as sink:
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    read += 1
                    if json.loads(line)["meta"].get("label", {}).get("result") != "Victory":
                        sink.write(line)
                        kept += 1
    return kept, read


def _sort_key(value) -> tuple:
    """Numbers in numeric order (level 10 after level 2), then anything else by its text."""
    return (0, value, "") if isinstance(value, int | float) else (1, 0, str(value))


def outcome_rows(games: dict[tuple[str, int], dict], keys: list[str]) -> list[dict]:
    """Victories, ties and defeats per value of ``keys``, with the Wilson interval of the win rate."""
    groups: dict[tuple, Counter] = defaultdict(Counter)
    for label in games.values():
        groups[tuple(label.get(k, "-") for k in keys)][label.get("result", "")] += 1
    rows = []
    for group, results in sorted(groups.items(), key=lambda item: tuple(map(_sort_key, item[0]))):
        total = sum(results.values())
        low, high = wilson_interval(results["Victory"], total)
        rows.append(
            {**dict(zip(keys, group, strict=True)), "games": total, "wins": results["Victory"],
             "ties": results["Tie"], "defeats": results["Defeat"], "ci95": [round(low, 2), round(high, 2)]}
        )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpora", nargs="+", help="TextSC2 transcript files (.jsonl; the .heldout twin is read too)"
    )
    parser.add_argument(
        "--by", default="difficulty", help="comma-separated label keys to group by (default: difficulty)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    parser.add_argument(
        "--not-won", metavar="OUT", help="also write the training examples of the games not won to OUT"
    )
    args = parser.parse_args()
    if args.not_won:
        kept, read = write_not_won(args.corpora, args.not_won)
        print(f"{args.not_won}: {kept} of {read} training examples from games not won", file=sys.stderr)
    keys = [k.strip() for k in args.by.split(",") if k.strip()]
    rows = outcome_rows(game_labels(args.corpora), keys)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| " + " | ".join(keys) + " | games | won | ties | lost | win rate (Wilson 95%) |")
    print("|" + "---|" * (len(keys) + 5))
    for r in rows:
        low, high = r["ci95"]
        cells = [str(r[k]) for k in keys]
        rate = r["wins"] / r["games"]
        print(f"| {' | '.join(cells)} | {r['games']} | {r['wins']} | {r['ties']} | {r['defeats']} | "
              f"{rate:.2f} ({low:.2f}-{high:.2f}) |")  # fmt: skip


if __name__ == "__main__":
    main()
