"""Trace one seeded TextSC2 game: both players' workers, army at home and groups on the map, every N steps.

The game is the one ``tactica play TextSC2-v1 --agent AGENT --opt difficulty=L`` plays with that episode seed
(the seeds of a ``--json`` output), so a lost game of a table can be replayed and read:

    python examples/game_model/textsc2_trace.py --level 3 --seed 586495418 --agent cos --llm plm:games

Each line is JSON: game time, our workers (``w``), army supply at home and in groups on the map (``field``:
position from 0, home, to 1, the enemy base; target ``e``nemy, ``h``ome or ``h``old; supply), the same for the
enemy (``ew``, ``ehome``, ``efield``), and the bases where a battle is on (0 ours, 1 the enemy's).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter


def trace(
    level: int, seed: int, agent: str = "cos", llm: str | None = None, every: int = 40
) -> tuple[str, list]:
    """(result, rows) of one game, a row every ``every`` steps and one at the end."""
    import gymnasium as gym

    import tactica  # noqa: F401  (registers the environments)
    from tactica import agents

    env = gym.make("TextSC2-v1", difficulty=level)
    player = agents.make(agent, action_space=env.action_space, **({"llm": llm} if llm else {}))
    player.reset(seed=seed)
    observation, info = env.reset(seed=seed)
    game = env.unwrapped.game

    def groups(p) -> list:
        return [
            [round(g.pos / game.distance, 2), g.target[0], round(p.army_supply(Counter(g.units)))]
            for g in p.groups
            if not g.scout
        ]

    rows, steps, done = [], 0, False
    while not done:
        observation, _, terminated, truncated, info = env.step(player.act(observation, info))
        steps += 1
        done = terminated or truncated
        if steps % every == 0 or done:
            me, enemy = game.players
            rows.append({"t": game.game_time(), "w": me.workers, "home": round(me.army_supply(Counter(me.home))),
                         "field": groups(me), "ew": enemy.workers,
                         "ehome": round(enemy.army_supply(Counter(enemy.home))), "efield": groups(enemy),
                         "battles": sorted(game.battles)})  # fmt: skip
    env.close()
    return str(info.get("result", "")), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--level", type=int, required=True, help="the built-in AI's level (1-10)")
    parser.add_argument("--seed", type=int, required=True, help="the episode seed")
    parser.add_argument("--agent", default="cos", help="the agent (default cos)")
    parser.add_argument("--llm", default=None, help="cos's model, e.g. plm:games")
    parser.add_argument("--every", type=int, default=40, help="steps between rows (default 40)")
    args = parser.parse_args()
    result, rows = trace(args.level, args.seed, args.agent, args.llm, args.every)
    print(json.dumps({"level": args.level, "seed": args.seed, "result": result}))
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
