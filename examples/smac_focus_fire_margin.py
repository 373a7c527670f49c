"""How narrow a SMAC win is: scripted focus fire with a share of uniformly random actions mixed in.

Run:  python examples/smac_focus_fire_margin.py --map-name 3m --battles 200
      python examples/smac_focus_fire_margin.py --map-name 8m --epsilons 0 0.01 0.05 --json

Every living agent attacks the enemy with the least health + shield among those it can attack (ties: the lowest
enemy id), walks east while it can attack none, and otherwise stops; with probability epsilon each agent's
action is replaced by a uniformly random legal one, as an epsilon-greedy learner's behaviour policy does.  The
win rate at epsilon 0.05 (the final exploration rate of pymarl's QMIX) shows how much of a greedy policy's win
survives the exploration its training data comes from.  Win rates carry Wilson 95% intervals.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from tactica.envs.smac.vector import SMACVectorEnv
from tactica.stats import wilson_interval as wilson

MOVE_EAST, STOP, FIRST_ATTACK = 4, 1, 6


def focus_fire(env: SMACVectorEnv, avail: np.ndarray) -> np.ndarray:
    """The scripted actions (B, A) for the current step of every battle."""
    sim, A = env.core.sim, env.n_agents
    enemy_life = sim.hp[:, A:] + sim.sh[:, A:]
    can_attack = avail[:, :, FIRST_ATTACK:] > 0
    weakest = np.where(can_attack, -enemy_life[:, None, :], -np.inf).argmax(axis=2) + FIRST_ATTACK
    fallback = np.where(avail[:, :, MOVE_EAST] > 0, MOVE_EAST, np.where(avail[:, :, STOP] > 0, STOP, 0))
    return np.where(can_attack.any(axis=2), weakest, fallback)


def win_rate(map_name: str, epsilon: float, battles: int, seed: int) -> tuple[int, float]:
    """Battles won (of ``battles``, played together) and the mean return, at this epsilon."""
    env = SMACVectorEnv(map_name, num_envs=battles)
    _, _, avail = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    done = np.zeros(battles, bool)
    won = np.zeros(battles, bool)
    total = np.zeros(battles)
    while not done.all():
        actions = focus_fire(env, avail)
        random_pick = (rng.random(avail.shape) * avail).argmax(axis=2)
        actions = np.where(rng.random(actions.shape) < epsilon, random_pick, actions)
        _, _, avail, reward, terminated, info = env.step(actions)
        total += reward * ~done
        won |= info["battle_won"] & terminated & ~done
        done |= terminated
    return int(won.sum()), float(total.mean())


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:4]),
    )
    parser.add_argument("--map-name", default="3m", help="SMAC map (default 3m)")
    parser.add_argument("--battles", type=int, default=200, help="battles per epsilon (default 200)")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.0, 0.01, 0.05, 0.2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of a table")
    args = parser.parse_args(argv)
    from tactica.envs.smac.maps import MAP_NAMES

    if args.map_name not in MAP_NAMES:
        parser.error(f"unknown map {args.map_name!r}; known maps: {', '.join(sorted(MAP_NAMES))}")
    if args.battles < 1 or not all(0.0 <= e <= 1.0 for e in args.epsilons):
        parser.error("--battles must be at least 1 and every epsilon in [0, 1]")
    rows = []
    for epsilon in args.epsilons:
        wins, mean_return = win_rate(args.map_name, epsilon, args.battles, args.seed)
        low, high = wilson(wins, args.battles)
        rows.append(
            {
                "map": args.map_name,
                "epsilon": epsilon,
                "battles": args.battles,
                "wins": wins,
                "win_rate": wins / args.battles,
                "ci95": [low, high],
                "mean_return": mean_return,
            }
        )
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"focus fire on {args.map_name}, {args.battles} battles per epsilon (seed {args.seed})")
        for r in rows:
            low, high = r["ci95"]
            print(
                f"  epsilon {r['epsilon']:<5} win {r['win_rate']:6.1%} ({low:.0%}-{high:.0%})"
                f"  mean return {r['mean_return']:5.2f}"
            )
    return rows


if __name__ == "__main__":
    main()
