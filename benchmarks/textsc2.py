"""TextSC2-v1 speed: game loops per second for full games with the scripted expert.

The peer is the original TextStarCraft II, which needs the real game: at best real time (22.4 loops per
second, a 20-minute game takes 20 minutes) and, with an LLM in the loop, about 7 hours per game (its README).
We report, per game and in total, the loops per second of (a) the full Gymnasium env with the expert (the
observation dict, the text summary and the action mask every step) and (b) the engine alone (the expert's
decisions replaced by the built-in AI on both sides, no observation), and the time a 20-minute game
(26,880 loops) takes at each rate.  Times are CPU seconds of this process (``time.process_time``), which is
what "on one core" means and stays meaningful on a shared machine.

    python benchmarks/textsc2.py --games 3 --difficulty Hard

The env row is what a user of ``gym.make("TextSC2-v1")`` gets: the Gymnasium wrappers of ``gym.make``, the full
observation (the dict of 0-d arrays, the text summary, the 72-action mask) and the expert's own decision time,
every 8 loops.
"""

from __future__ import annotations

import argparse
import json
import time

LOOPS_20_MIN = 26_880
REAL_TIME_LOOPS_PER_S = 22.4
LLM_GAME_SECONDS = 7 * 3600  # the original README: "approximately 7 hours for a single game"
TARGET_S = 1.0  # the target: a 20-minute game in under one second on one core


def env_game(seed: int, difficulty: str, time_limit_s: float) -> tuple[int, float, str]:
    import gymnasium as gym

    import tactica  # noqa: F401
    from tactica.agents import make

    env = gym.make("TextSC2-v1", difficulty=difficulty, time_limit_s=time_limit_s)
    agent = make("textsc2-expert", action_space=env.action_space)
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    start = time.process_time()
    while True:
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            break
    return env.unwrapped.game.loop, time.process_time() - start, info["result"]


def engine_game(seed: int, difficulty: str, loops: int) -> tuple[int, float]:
    import numpy as np

    from tactica.envs.textsc2.builtin_ai import BuiltinAI
    from tactica.envs.textsc2.engine import Game

    game = Game(races=("Protoss", "Zerg"), rng=np.random.default_rng(seed))
    me = BuiltinAI(game, game.players[0], difficulty, "power", np.random.default_rng(seed + 1))
    ai = BuiltinAI(game, game.players[1], difficulty, "macro", np.random.default_rng(seed + 2))
    start = time.process_time()
    while game.loop < loops and game.winner is None:
        me.update()
        ai.update()
        game.advance(8)
    return game.loop, time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--games", type=int, default=3)
    parser.add_argument("--difficulty", default="Hard")
    parser.add_argument(
        "--time-limit-s", type=float, default=1200.0, help="game seconds (default 20 minutes)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.games < 1 or args.time_limit_s <= 0:
        parser.error("--games must be >= 1 and --time-limit-s > 0")
    rows = []
    for seed in range(args.games):
        loops, seconds, result = env_game(seed, args.difficulty, args.time_limit_s)
        eloops, eseconds = engine_game(seed, args.difficulty, int(args.time_limit_s * 22.4))
        rows.append(
            {
                "seed": seed,
                "env_loops": loops,
                "env_s": seconds,
                "result": result,
                "engine_loops": eloops,
                "engine_s": eseconds,
            }
        )
    env_rate = sum(r["env_loops"] for r in rows) / sum(r["env_s"] for r in rows)
    engine_rate = sum(r["engine_loops"] for r in rows) / sum(r["engine_s"] for r in rows)
    summary = {
        "env_loops_per_s": env_rate,
        "env_s_per_20min_game": LOOPS_20_MIN / env_rate,
        "engine_loops_per_s": engine_rate,
        "engine_s_per_20min_game": LOOPS_20_MIN / engine_rate,
        "speedup_vs_real_time_env": env_rate / REAL_TIME_LOOPS_PER_S,
        "speedup_vs_llm_game_env": LLM_GAME_SECONDS / (LOOPS_20_MIN / env_rate),
        "target_s_per_20min_game": TARGET_S,
        "target_met": LOOPS_20_MIN / env_rate < TARGET_S,
        "games": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for r in rows:
        print(
            f"seed {r['seed']}: env {r['env_loops']} loops in {r['env_s']:.2f} CPU s ({r['result']}), "
            f"engine {r['engine_loops']} loops in {r['engine_s']:.2f} s"
        )
    print(
        f"env (obs + text + mask + expert): {env_rate:,.0f} loops/s -> a 20-minute game in {LOOPS_20_MIN / env_rate:.2f} s"
    )
    print(
        f"engine + built-in AI on both sides: {engine_rate:,.0f} loops/s -> {LOOPS_20_MIN / engine_rate:.2f} s"
    )
    verdict = "met" if summary["target_met"] else "NOT met"
    print(f"target: a 20-minute game in under {TARGET_S:.0f} CPU s with the expert: {verdict}")
    print(
        f"vs the real game: {env_rate / REAL_TIME_LOOPS_PER_S:,.0f}x real time; "
        f"vs ~7 h per LLM game in the original: the env part of a game is {summary['speedup_vs_llm_game_env']:,.0f}x shorter"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
