"""Ask a PLM checkpoint the held-out TextSC2 prompts of a transcript corpus and compare with the expert's answers.

Prints, as JSON: how many replies parse as a ``Decisions:`` list the ``cos`` agent reads (at least one decision
line, each naming an action exactly), how many give exactly the expert's action list, how many start with the
expert's first action (``first_action``; ``pylon_first_found``: of the answers that start with ``<BUILD PYLON>``,
how many replies do too), the share of decision slots that match (and, for scale, the share of the expert's
slots that are ``<EMPTY ACTION>``, what always waiting would match), the expert's actions (not ``<EMPTY
ACTION>``) that the reply also names, in any slot (``action_recall``, counted as multisets) and the reply's
actions that the expert also took (``action_precision``), which score a compact answer (the actions only, see
``tactica.llm.games.textsc2``) and a slot answer alike, and the CPU seconds per call (``time.process_time``, so a
loaded machine does not inflate it).  ``--by-action`` adds, for each action, how often the expert names it, the
share of those the reply names too (recall), how often the reply names it, and how often a reply starts with it
when the expert's answer does (which actions a model misses, not only how many).

    python examples/game_model/eval_decisions.py --model runs/plm-games/checkpoint \\
        --corpus runs/corpora/textsc2-compact.heldout.jsonl --calls 20
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from tactica.envs.textsc2.actions import ACTIONS
from tactica.envs.textsc2.decisions import EMPTY_ACTION, parse_decisions
from tactica.llm import from_spec
from tactica.llm.games.corpus import read_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="checkpoint directory or shipped name (games)")
    parser.add_argument("--corpus", required=True, help="TextSC2 transcript file (.jsonl)")
    parser.add_argument("--calls", type=int, default=20, help="prompts to ask (the first N; default 20)")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument(
        "--by-action", action="store_true", help="add recall and first-action accuracy per action"
    )
    args = parser.parse_args()

    model = from_spec(f"plm:{args.model}", max_tokens=args.max_tokens)
    records = [r for r in read_corpus(args.corpus) if r["meta"]["env"] == "TextSC2-v1"][: args.calls]
    parsed = exact = slots = matched = empty = 0
    cpu = 0.0
    # per action: named by the expert, by the reply, by both (multisets); first in the expert's answer, and
    # first in the reply too -- the totals below are sums of these
    expert_named, reply_named, both_named = Counter(), Counter(), Counter()
    first_wanted, first_found = Counter(), Counter()
    for record in records:
        *prompt, answer = record["messages"]
        start = time.process_time()
        reply = model.chat(prompt, temperature=0.0)
        cpu += time.process_time() - start
        got, want = parse_decisions(reply), parse_decisions(answer["content"]).actions
        ok = "Decisions:" in reply and bool(got.matches) and all(m.how == "exact" for m in got.matches)
        parsed += ok
        exact += ok and got.actions == want
        slots += len(want)
        empty += sum(a == EMPTY_ACTION for a in want)
        matched += sum(a == b for a, b in zip(got.actions, want, strict=False)) if ok else 0
        taken = Counter(a for a in want if a != EMPTY_ACTION)
        said = Counter(a for a in got.actions if a != EMPTY_ACTION) if ok else Counter()
        expert_named.update(taken)
        reply_named.update(said)
        both_named.update(taken & said)
        if want:
            first_wanted[want[0]] += 1
            first_found[want[0]] += ok and got.actions[:1] == want[:1]
    n = max(len(records), 1)
    common = both_named.total()
    # the Pylon: the decision a state summary must be read for (supply is running out)
    pylon = ACTIONS.index("BUILD PYLON")
    by_action = {
        ACTIONS[a]: {"expert": expert_named[a], "recall": both_named[a] / expert_named[a], "reply": reply_named[a],
                     "first_wanted": first_wanted[a], "first_found": first_found[a]}
        for a, _ in expert_named.most_common()
    }  # fmt: skip
    print(json.dumps({"calls": len(records), "parseable": parsed / n, "exact": exact / n,
                      "first_action": first_found.total() / n,
                      "pylon_first_found": [first_found[pylon], first_wanted[pylon]],
                      "slot_accuracy": matched / max(slots, 1), "empty_slot_share": empty / max(slots, 1),
                      "action_recall": common / max(expert_named.total(), 1),
                      "action_precision": common / max(reply_named.total(), 1),
                      "cpu_s_per_call": cpu / n, **({"by_action": by_action} if args.by_action else {})},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
