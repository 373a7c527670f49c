"""What must a model get right to win TextSC2?  The ``cos`` agent played with the look-ahead expert as its
model, its answers perturbed the ways an imitation model errs; wins per level with Wilson 95% intervals.

Perturbations of each window's five decision slots (the expert's action at each, ``EMPTY ACTION`` where it waits):

* ``exact``: the slots as the expert fills them (the transcript corpus's answers, the ceiling);
* ``compact``: only the expert's actions, in order: the agent spreads them evenly over its window, so they are
  played at other steps than the expert chose;
* ``shuffle``: the expert's actions at random slots of the window (same actions, other order and steps);
* ``late``: every action one slot later (the last slot's action is lost);
* ``drop``: each action replaced by ``EMPTY ACTION`` with probability ``--p`` (default 0.3);
* ``first``: only the first slot's action (the one the prompt's state decides), the rest ``EMPTY ACTION``;
* ``without:WORD``: every action whose name holds ``WORD`` (``PYLON``, ``PROBE``, ``ATTACK``, ``TRAIN``...)
  replaced by ``EMPTY ACTION``: what the game needs the model to get right.

    python examples/game_model/perturbed_expert.py --perturb exact,compact,drop --levels 1,2,3,4 --games 4
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.llm.games.textsc2 import answer_actions, play_episode
from tactica.rollout import episode_seeds
from tactica.stats import wilson_interval as _wilson


def perturbation(name: str, rng: np.random.Generator, p: float):
    """A function of the slot actions giving the answer's actions."""
    if name == "exact":
        return list
    if name == "compact":
        return lambda slots: answer_actions(slots, "compact")
    if name == "late":
        return lambda slots: [EMPTY_ACTION, *slots[:-1]]
    if name == "first":
        return lambda slots: slots[:1] + [EMPTY_ACTION] * (len(slots) - 1)
    if name == "drop":
        return lambda slots: [EMPTY_ACTION if rng.random() < p else a for a in slots]

    if name.startswith("without:"):
        word = name.removeprefix("without:").upper()
        return lambda slots: [EMPTY_ACTION if word in ACTIONS[a] else a for a in slots]
    if name == "shuffle":

        def shuffle(slots):
            out = list(slots)
            rng.shuffle(out)
            return out

        return shuffle
    raise SystemExit(
        f"unknown perturbation {name!r}; known: exact, compact, shuffle, late, drop, first, without:WORD"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--perturb", default="exact,compact,shuffle,late,drop,first")
    parser.add_argument("--levels", default="1,2,3,4")
    parser.add_argument("--games", type=int, default=4, help="seeded games per level and perturbation")
    parser.add_argument("--p", type=float, default=0.3, help="drop probability of 'drop'")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows = []
    for name in args.perturb.split(","):
        for level in levels:
            rng = np.random.default_rng(args.seed)
            wins, cpu = 0, time.process_time()
            for seed in episode_seeds(args.seed, args.games):
                _, info = play_episode(seed, level, perturbation(name, rng, args.p))
                wins += info.get("result") == "Victory"
            low, high = _wilson(wins, args.games)
            row = {"perturb": name, "level": level, "games": args.games, "wins": wins,
                   "ci95": [round(low, 2), round(high, 2)], "cpu_s": round(time.process_time() - cpu, 1)}  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
