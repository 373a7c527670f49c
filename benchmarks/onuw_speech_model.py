"""The RL-instructed agent (``onuw-rl``) speaking through a language model vs its template speech, same seeds.

Player 3 is ``onuw-rl``: its RL tactic policy chooses each speech's tactic and content; with ``--llm`` the
model words it (the agent's :class:`~tactica.agents.discussion.speech.LLMWriter`), without it the agent says
the template paraphrase.  Every other seat is the no-LLM Belief agent, whose offline listener reads the words
themselves, so the model's wording is what moves their beliefs and votes.  Both runs play the same seeded deals
(the paper's 3p, 5p-easy and 5p-hard; paper rules); the table gives Player 3's win rate with a 95% Wilson
interval and the votes it received, per deal and pooled.

    python benchmarks/onuw_speech_model.py --llm plm:games --games 100
    python benchmarks/onuw_speech_model.py --llm plm:runs/plm-onuw/checkpoint --games 50 --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from onuw_paper_table import DEALS, play_deal, wilson, win_cell  # noqa: E402


def compare(llm_spec: str, games: int, seed: int, deals: list[str]) -> list[dict]:
    from tactica.agents.discussion.agent import make_rl_agent
    from tactica.llm import from_spec

    model = from_spec(llm_spec)
    rows = []
    for deal in deals:
        for speech, llm in (("template", None), ("model", model)):
            row = play_deal(
                deal, "rl", games, seed, None, player3=lambda s, m=llm: make_rl_agent(llm=m, seed=s)
            )
            rows.append({"speech": speech} | row)
    for speech in ("template", "model"):
        mine = [r for r in rows if r["speech"] == speech]
        wins = round(sum(r["win_rate"] * r["games"] for r in mine))
        n = sum(r["games"] for r in mine)
        votes = sum(r["votes"] * r["games"] for r in mine) / n
        rows.append({"speech": speech, "deal": "all", "games": n, "win_rate": wins / n,
                     "win_ci": [round(x, 3) for x in wilson(wins, n)], "votes": votes})  # fmt: skip
    return rows


def markdown(rows: list[dict]) -> str:
    header = (
        "| deal | Player 3 speech | games | win rate (95% CI) | votes received |\n|---|---|---|---|---|\n"
    )
    cells = [(r["deal"], r["speech"], r["games"], win_cell(r), f"{r['votes']:.2f}") for r in rows]
    return header + "".join("| " + " | ".join(map(str, row)) + " |\n" for row in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/onuw_speech_model.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--llm", required=True, help="the model that words Player 3's speeches (a tactica.llm spec)"
    )
    parser.add_argument("--games", type=int, default=100, help="games per deal and speech (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deals", default=",".join(DEALS), help=f"comma-separated, from {', '.join(DEALS)}")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    deals = [d for d in args.deals.split(",") if d]
    if args.games < 1 or any(d not in DEALS for d in deals):
        print(f"error: --games must be >= 1 and --deals from {DEALS}", file=sys.stderr)
        return 2
    try:
        rows = compare(args.llm, args.games, args.seed, deals)
    except (ValueError, LookupError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rows) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
