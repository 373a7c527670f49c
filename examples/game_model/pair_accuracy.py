"""Preference accuracy and margin of an aligned model against its reference, per game, on pairs files.

    python examples/game_model/pair_accuracy.py --model games-aligned --reference runs/base/plm-games \
        --pairs runs/pairs/heldout.jsonl

Accuracy is the share of pairs whose chosen answer gained more log-probability over the reference than the
rejected one (the trainer's ``accuracy``); the margin is ``beta`` times that gain difference.
"""

from __future__ import annotations

import argparse
import json

from tactica.llm.alignment.data import pairs_from_records
from tactica.llm.alignment.models import load_causal_lm
from tactica.llm.alignment.trainer import PreferenceConfig, PreferenceTrainer
from tactica.llm.plm.checkpoint import resolve_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="aligned checkpoint (directory or shipped name)")
    parser.add_argument("--reference", required=True, help="the checkpoint it was aligned from")
    parser.add_argument("--pairs", required=True, help="comma-separated pairs files (with meta.env)")
    parser.add_argument("--beta", type=float, default=0.1)
    args = parser.parse_args()
    records = [json.loads(line) for path in args.pairs.split(",") for line in open(path, encoding="utf-8")]
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(record["meta"]["env"], []).append(record)
    groups["all"] = records
    policy = load_causal_lm(resolve_checkpoint(args.model))
    reference = load_causal_lm(resolve_checkpoint(args.reference))
    trainer = PreferenceTrainer(policy, PreferenceConfig(loss="tdpo2", beta=args.beta), reference)
    for name, rows in groups.items():
        metrics = trainer.evaluate(trainer.encode(pairs_from_records(rows)))
        print(json.dumps({"pairs": name, "count": len(rows), "accuracy": round(metrics["accuracy"], 3),
                          "margin": round(metrics["rewards/margin"], 4)}))  # fmt: skip


if __name__ == "__main__":
    main()
