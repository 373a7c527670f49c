"""Chat lengths in tokens under each tokenizer split: a BPE trained per split on a sample of the corpora.

    C=runs/corpora; python examples/game_model/split_lengths.py \
        --corpus $C/textsc2-compact.jsonl,$C/textsc2-dagger2-s21.jsonl,$C/onuw-rl.jsonl,$C/onuw-paper-llm-tactic.jsonl,$C/smac.jsonl
"""

from __future__ import annotations

import argparse
import json
import random

from tactica.llm.plm import train_bpe
from tactica.llm.plm.tokenizer import SPLITS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="transcript corpora, comma-separated")
    parser.add_argument("--per-corpus", type=int, default=1500, help="chats drawn from each corpus (seeded)")
    parser.add_argument("--vocab-size", type=int, default=8192)
    args = parser.parse_args()
    chats, sources = [], []
    for path in args.corpus.split(","):
        with open(path, encoding="utf-8") as lines:
            rows = [json.loads(line)["messages"] for line in lines]
        random.Random(0).shuffle(rows)
        chats += rows[: args.per_corpus]
        sources += [path] * len(rows[: args.per_corpus])
    texts = ["".join(m["content"] for m in chat) for chat in chats]
    for split in SPLITS:
        tokenizer = train_bpe(texts, args.vocab_size, split=split)
        lengths = [
            len(tokenizer.encode(tokenizer.apply_chat_template(c, add_generation_prompt=False)))
            for c in chats
        ]
        n = sorted(lengths)
        print(
            f"{split}: {len(n)} chats, median {n[len(n) // 2]}, 99th percentile {n[int(len(n) * 0.99)]}, max {n[-1]}"
        )
        for path in dict.fromkeys(sources):  # each corpus's median, in the order given
            own = sorted(length for length, source in zip(lengths, sources, strict=True) if source == path)
            print(f"  {path}: median {own[len(own) // 2]}, max {own[-1]}")


if __name__ == "__main__":
    main()
