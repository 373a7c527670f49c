"""How much of the TextSC2 expert's next action the state shows: a decision tree on the numbers of the last chunk.

The ``cos`` agent's prompt ends with a state summary; the expert's answer starts with one action.  A decision tree
(scikit-learn) on 20 numbers read from the last summary chunk (game time, minerals, gas, supply, counts of
buildings, units and planned buildings) is trained on transcript corpora and asked the held-out chats.  Its
accuracy is what a model that reads those numbers can reach; the share of the most frequent first action is
what a model that ignores the state reaches.

    python examples/game_model/state_baseline.py --train runs/corpora/textsc2-compact.jsonl,runs/corpora/textsc2-explore.jsonl \
        --heldout runs/corpora/textsc2-compact.heldout.jsonl --depth 4,8,12
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

#: The numbers read from the last chunk (a missing line reads 0, as the summary leaves zero counts out).
FEATURES = (
    "Worker supply", "Mineral", "Gas", "Supply left", "Supply cap", "Supply used", "Army supply",
    "Pylon count", "Gateway count", "Nexus count", "Gas buildings count", "Cybernetics core count",
    "Forge count", "Probe count", "Zealot count", "Stalker count", "Planning pylon count",
    "Planning gateway count", "Planning probe count",
)  # fmt: skip


def state_numbers(prompt: str) -> list[float]:
    """Game time in seconds, then :data:`FEATURES`, read from the last ``chunkN:`` block of ``prompt``."""
    last = prompt.split("chunk")[-1]
    clock = re.search(r"- Game time: (\d+):(\d+)", last)
    numbers = [int(clock.group(1)) * 60 + int(clock.group(2)) if clock else 0.0]
    for name in FEATURES:
        found = re.search(rf"- {re.escape(name)}: ([\d.]+)", last)
        numbers.append(float(found.group(1)) if found else 0.0)
    return numbers


def first_actions(path: str) -> tuple[list[list[float]], list[str]]:
    """The state numbers of each chat's last prompt and the first action of its answer."""
    states, actions = [], []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            messages = json.loads(line)["messages"]
            answer = re.findall(r"<([A-Z ]+)>", messages[-1]["content"])
            states.append(state_numbers(messages[-2]["content"]))
            actions.append(answer[0] if answer else "")
    return states, actions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True, help="TextSC2 transcript corpora, comma-separated")
    parser.add_argument("--heldout", required=True, help="a held-out TextSC2 transcript file")
    parser.add_argument("--depth", default="4,8,12", help="tree depths to try, comma-separated")
    parser.add_argument("--action", default="BUILD PYLON", help="the action whose recall is printed")
    args = parser.parse_args()
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise SystemExit("this example needs scikit-learn: pip install scikit-learn") from None

    states, actions = [], []
    for path in args.train.split(","):
        more_states, more_actions = first_actions(path)
        states += more_states
        actions += more_actions
    test_states, test_actions = first_actions(args.heldout)
    action, count = Counter(actions).most_common(1)[0]
    print(f"{len(actions)} training chats; most frequent first action {action}: {count / len(actions):.3f}")
    wanted = [i for i, a in enumerate(test_actions) if a == args.action]
    for depth in (int(d) for d in args.depth.split(",")):
        tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=5, random_state=0)
        predicted = tree.fit(states, actions).predict(test_states)
        accuracy = sum(p == a for p, a in zip(predicted, test_actions)) / len(test_actions)
        found = sum(predicted[i] == args.action for i in wanted)
        print(f"depth {depth}: first action right on {accuracy:.3f} of {len(test_actions)} held-out chats; "
              f"{args.action} found in {found} of {len(wanted)}")  # fmt: skip


if __name__ == "__main__":
    main()
