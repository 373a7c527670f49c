"""Does a TextSC2 model read the state? Its probability of the expert's first action where the expert takes it.

For the first ``--prompts`` chats of a transcript corpus whose answer starts with ``--action``, prints the
model's probability of answering ``Decisions:`` then ``0: <ACTION>`` and of ``0: <TRAIN PROBE>`` (the most
frequent first action); then, over the first ``--calls`` chats, how many of those whose answer holds the action
get it back in the model's greedy reply, and how many replies equal the expert's list.

    python examples/game_model/first_action.py --model runs/plm-games/checkpoint \
        --corpus runs/corpora/textsc2-compact.jsonl --prompts 8 --calls 300
"""

from __future__ import annotations

import argparse
import json
import math
import re

import torch

from tactica.llm import from_spec
from tactica.llm.alignment.models import load_causal_lm
from tactica.llm.plm.checkpoint import resolve_checkpoint
from tactica.llm.plm.tokenizer import PLMTokenizer


def actions(text: str) -> list[str]:
    return re.findall(r"<([A-Z ]+)>", text)


def answer_probability(model, tokenizer, messages: list[dict], answer: str) -> float:
    """The model's probability of ``answer`` as the start of its reply to ``messages``."""
    prompt = tokenizer.encode(tokenizer.apply_chat_template(messages, add_generation_prompt=True))
    ids = tokenizer.encode(tokenizer.apply_chat_template(messages, add_generation_prompt=True) + answer)
    with torch.no_grad():
        logps = model(torch.tensor([ids]))[0].log_softmax(-1)
    return math.exp(sum(logps[i - 1, ids[i]].item() for i in range(len(prompt), len(ids))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="checkpoint directory or shipped name (games)")
    parser.add_argument("--corpus", required=True, help="a TextSC2 transcript file (.jsonl)")
    parser.add_argument("--action", default="BUILD PYLON")
    parser.add_argument("--prompts", type=int, default=8, help="chats whose answer starts with the action")
    parser.add_argument("--calls", type=int, default=300, help="chats asked for greedy replies")
    args = parser.parse_args()
    directory = resolve_checkpoint(args.model)
    tokenizer, model = PLMTokenizer.from_pretrained(directory), load_causal_lm(str(directory)).module.eval()
    with open(args.corpus, encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(max(args.calls, 5000)), lines)]
    starting = [r for r in rows if actions(r["messages"][-1]["content"])[:1] == [args.action]][: args.prompts]
    for row in starting:
        messages = row["messages"][:-1]
        mine, probe = (answer_probability(model, tokenizer, messages, f"Decisions:\n0: <{a}>\n")
                       for a in (args.action, "TRAIN PROBE"))  # fmt: skip
        print(f"P(0: <{args.action}>) = {mine:.3f}   P(0: <TRAIN PROBE>) = {probe:.3f}")
    chat = from_spec(f"plm:{directory}")
    holding = found = exact = 0
    for row in rows[: args.calls]:
        want, got = actions(row["messages"][-1]["content"]), actions(chat.chat(row["messages"][:-1]))
        exact += want == got
        if args.action in want:
            holding += 1
            found += args.action in got
    print(f"first {args.calls} chats: greedy reply equals the expert's list {exact / args.calls:.1%}; "
          f"{args.action} named in {found} of the {holding} whose answer holds it")  # fmt: skip


if __name__ == "__main__":
    main()
