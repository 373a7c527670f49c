"""How much of the expert a TextSC2 model lacks: the model plays ``cos`` games with some of the expert's answers.

Each game is played by the ``cos`` agent on ``MODEL`` (games seeded ``--seed`` to ``--seed`` + N - 1), and at
every call the look-ahead expert of the transcript corpora also answers from the same
state.  What is played:

* ``--expert-share B``: the expert's whole answer at a share ``B`` of the calls (drawn with the game's seed), the
  model's reply at the others: DAgger's beta, measured without recording a corpus;
* ``--expert-actions KIND,...``: the model's reply with every action that starts with one of the prefixes
  (``MULTI-ATTACK``, ``BUILD PYLON``, ``BUILD``, ``TRAIN``...) replaced by the expert's actions of those kinds,
  put first: which kind of decision the model is missing;
* neither: the model alone.

``--temperature T`` samples the model's replies (seeded per call as the ``cos`` agent seeds them); the default
is greedy.  ``--tally`` also counts, over all calls, how often each action is in the model's reply and in the
expert's answer (what the model never says where the expert keeps asking for it).  Prints wins, ties and a
Wilson 95% interval (``--json`` for the per-game results too):

    python examples/game_model/expert_share.py --model plm:games --level 3 --games 20 --expert-share 0.1
    python examples/game_model/expert_share.py --model plm:games --level 3 --games 20 --expert-actions BUILD
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

import numpy as np

from tactica.stats import wilson_interval


def mixed_reply(model_reply: str, expert_actions: list[str], prefixes: tuple[str, ...]) -> str:
    """``model_reply``'s decisions with those of the kinds in ``prefixes`` replaced by the expert's, put first."""
    wanted = [a for a in expert_actions if a.startswith(prefixes)]
    own = [
        a
        for a in re.findall(r"<([^>]+)>", model_reply.partition("Decisions:")[2])
        if not a.startswith(prefixes)
    ]
    actions = (wanted + own)[:5] or ["EMPTY ACTION"]
    return "Decisions:\n" + "".join(f"{i}: <{a}>\n" for i, a in enumerate(actions))


def play(
    model,
    level: int,
    seed: int,
    share: float,
    prefixes: tuple[str, ...],
    temperature: float,
    tally: dict[str, Counter] | None = None,
) -> dict:
    """One game; returns its result, length and how many calls the expert decided.  ``tally`` (``"model"`` and
    ``"expert"`` counters) gains every action of the model's replies and of the expert's answers."""
    from tactica.agents.summarization.cos import call_seed
    from tactica.envs.textsc2.actions import ACTIONS
    from tactica.llm.games.textsc2 import answer_actions, decisions_text, play_episode

    rng = np.random.default_rng(seed)
    counts = {"calls": 0, "expert_calls": 0}

    def answer(lookahead, env, messages, call):
        n = counts["calls"]
        counts["calls"] += 1
        expert = answer_actions(lookahead.slot_actions(), "compact")
        if share and rng.random() < share:
            counts["expert_calls"] += 1
            return decisions_text(expert)
        reply = model.chat(
            messages, temperature=temperature, seed=call_seed(seed, n) if temperature > 0 else None
        )
        if tally is not None:
            tally["model"].update(re.findall(r"<([^>]+)>", reply))
            tally["expert"].update(ACTIONS[a] for a in expert)
        if prefixes:
            names = [ACTIONS[a] for a in expert]
            counts["expert_calls"] += any(a.startswith(prefixes) for a in names)
            reply = mixed_reply(reply, names, prefixes)
        return reply

    _, info = play_episode(seed, level, answer=answer)
    return {"seed": seed, "result": str(info.get("result", "")), "steps": info["steps"], **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="language-model spec, e.g. plm:games")
    parser.add_argument("--level", type=int, default=3, help="the built-in AI's level (default 3)")
    parser.add_argument("--games", type=int, default=20, help="games to play (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="first game's seed (default 0)")
    parser.add_argument("--expert-share", type=float, default=0.0, help="share of calls the expert answers")
    parser.add_argument(
        "--expert-actions", default="", help="comma-separated action prefixes the expert decides"
    )
    parser.add_argument("--temperature", type=float, default=0.0, help="the model's temperature (default 0)")
    parser.add_argument("--tally", action="store_true", help="count each action in the replies and answers")
    parser.add_argument("--json", action="store_true", help="print JSON with every game")
    args = parser.parse_args()
    if not 0.0 <= args.expert_share <= 1.0:
        parser.error(f"--expert-share must lie in [0, 1], got {args.expert_share}")
    if args.games < 1:
        parser.error(f"--games must be positive, got {args.games}")
    from tactica.llm import from_spec

    model = from_spec(args.model)
    prefixes = tuple(p.strip() for p in args.expert_actions.split(",") if p.strip())
    tally = {"model": Counter(), "expert": Counter()} if args.tally else None
    games = [
        play(model, args.level, args.seed + k, args.expert_share, prefixes, args.temperature, tally)
        for k in range(args.games)
    ]
    wins = sum(g["result"] == "Victory" for g in games)
    ties = sum(g["result"] == "Tie" for g in games)
    low, high = wilson_interval(wins, len(games))
    summary = {"model": args.model, "level": args.level, "expert_share": args.expert_share,
               "expert_actions": list(prefixes), "temperature": args.temperature, "games": len(games),
               "wins": wins, "ties": ties, "ci95": [round(low, 2), round(high, 2)]}  # fmt: skip
    if tally is not None:
        actions = sorted(set(tally["model"]) | set(tally["expert"]), key=lambda a: -tally["expert"][a])
        summary["tally"] = {a: {"model": tally["model"][a], "expert": tally["expert"][a]} for a in actions}
    if args.json:
        print(json.dumps({**summary, "per_game": games}, indent=2))
    else:
        print(f"{wins}/{len(games)} won ({low:.2f}-{high:.2f}), {ties} ties: {json.dumps(summary)}")
        for action, count in summary.get("tally", {}).items():
            print(f"  {action:40s} model {count['model']:6d}  expert {count['expert']:6d}")


if __name__ == "__main__":
    main()
