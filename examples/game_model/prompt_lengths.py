"""How long the agents' prompts are in a checkpoint's tokens: does its context hold every call?

For each transcript corpus, the prompt (the recorded messages without the answer, with the generation header)
and the whole chat (with the answer) are counted in the checkpoint's tokens; prints, as JSON per corpus, the
number of calls, the median and longest prompt and the longest chat, beside the model's context
(``max_position_embeddings``).

    python examples/game_model/prompt_lengths.py --model games \\
        --corpus runs/corpora/textsc2-compact.heldout.jsonl,runs/corpora/smac.heldout.jsonl
"""

from __future__ import annotations

import argparse
import json

from tactica.llm.games.corpus import read_corpus
from tactica.llm.plm.checkpoint import resolve_checkpoint
from tactica.llm.plm.tokenizer import PLMTokenizer


def lengths(tokenizer: PLMTokenizer, corpus: str) -> dict:
    prompts, chats = [], []
    for record in read_corpus(corpus):
        messages = record["messages"]
        prompts.append(
            len(tokenizer.encode(tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True)))
        )
        chats.append(
            len(tokenizer.encode(tokenizer.apply_chat_template(messages, add_generation_prompt=False)))
        )
    prompts.sort()
    return {
        "calls": len(prompts),
        "median_prompt": prompts[len(prompts) // 2] if prompts else 0,
        "longest_prompt": prompts[-1] if prompts else 0,
        "longest_chat": max(chats, default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default="games", help="checkpoint directory or shipped name (default: games)"
    )
    parser.add_argument("--corpus", required=True, help="comma-separated transcript files (.jsonl)")
    args = parser.parse_args()
    folder = resolve_checkpoint(args.model)
    tokenizer = PLMTokenizer.from_pretrained(folder)
    context = json.loads((folder / "config.json").read_text())["max_position_embeddings"]
    report = {"context": context}
    report.update({path: lengths(tokenizer, path) for path in args.corpus.split(",") if path.strip()})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
