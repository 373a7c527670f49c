"""Build the game model's preference pairs, ranked by what happened in the game (see tactica/llm/games/pairs.py).

    python examples/game_model/build_pairs.py --smac-corpus runs/corpora/smac.jsonl --textsc2-games 40 \
        --levels 4,5 --out runs/pairs/games.jsonl

writes ``games.jsonl`` (training pairs), ``games.heldout.jsonl`` (held-out pairs: whole SMAC corpus episodes
held out by the corpus, and a seeded share of the TextSC2 games) and ``games.summary.json``.  Both files are
in the layout ``tactica train align --data ... --eval-data ...`` reads.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True, help="training pairs file (.jsonl)")
    parser.add_argument(
        "--smac-corpus", help="a SMACProgram-v3 llm-smac transcript corpus (its held-out twin too)"
    )
    parser.add_argument("--textsc2-games", type=int, default=0, help="TextSC2 games to pair (0: none)")
    parser.add_argument("--levels", default="4,5", help="built-in AI levels cycled over the TextSC2 games")
    parser.add_argument("--call-rate", type=float, default=0.3, help="share of TextSC2 calls paired")
    parser.add_argument("--horizon", type=int, default=5, help="expert windows played after the answered one")
    parser.add_argument("--rivals", type=int, default=3, help="worse programs paired with each SMAC answer")
    parser.add_argument("--heldout-fraction", type=float, default=0.1, help="share of TextSC2 games held out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from tactica.llm.games.corpus import heldout_path, read_corpus
    from tactica.llm.games.pairs import save_pairs, smac_pairs, split_pairs, textsc2_pairs

    try:
        levels = [int(x) for x in args.levels.split(",")]
    except ValueError:
        print(f"error: --levels must be comma-separated integers, got {args.levels!r}", file=sys.stderr)
        return 2
    start = time.process_time()
    train, heldout = [], []
    if args.smac_corpus:
        for path, bucket in ((args.smac_corpus, train), (heldout_path(args.smac_corpus), heldout)):
            if Path(path).exists():
                bucket += smac_pairs(
                    read_corpus(path, experts_only=False), rivals=args.rivals, seed=args.seed
                )
        print(f"SMACProgram: {len(train)} training, {len(heldout)} held-out pairs", flush=True)
    if args.textsc2_games:

        def progress(game: int, found: list) -> None:
            print(f"TextSC2 game {game + 1}/{args.textsc2_games}: {len(found)} pairs", flush=True)

        pairs = textsc2_pairs(
            args.textsc2_games,
            seed=args.seed,
            difficulties=levels,
            call_rate=args.call_rate,
            horizon=args.horizon,
            on_game=progress,
        )
        sc2_train, sc2_held = split_pairs(pairs, args.heldout_fraction, args.seed, group="game")
        train += sc2_train
        heldout += sc2_held
    out = Path(args.out)
    save_pairs(train, out)
    save_pairs(heldout, heldout_path(out))
    kinds = collections.Counter(
        f"{p['meta']['env']}:{p['meta'].get('rival', 'program')}:"
        f"{'expert' if p['meta'].get('chosen_is_expert', True) else 'rival'}-chosen"
        for p in train + heldout
    )
    summary = {"train": len(train), "heldout": len(heldout), "kinds": dict(kinds), "args": vars(args),
               "cpu_seconds": round(time.process_time() - start, 1)}  # fmt: skip
    out.with_suffix(".summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
