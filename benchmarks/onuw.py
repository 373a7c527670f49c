"""Complete 5-player ONUW games per second with scripted players, through the rules module and the AEC env.

The scripted players pick uniformly among their legal choices (night action, tactic/claim/target, vote) with a
seeded generator.  There is no installable peer: the authors' ``KylJin/Werewolf`` engine is driven by LLM calls
and ships no scripted players, so the figures stand alone (target: >= 2,000 games/s through the rules module on
one core).

    python benchmarks/onuw.py [--games 3000] [--env-games 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from tactica.envs.onuw.env import ONUWEnv, default_deck
from tactica.envs.onuw.rules import Game, Phase, RuleOptions, Speech, Tactic

TACTICS = list(Tactic)


def play_rules_game(deck, options: RuleOptions, rng: np.random.Generator) -> float:
    """One complete game through :class:`Game`; returns player 0's reward."""
    game = Game(deck, 5, options, rng=rng)
    picks = rng.random(64)
    k = 0
    night = {}
    for p in range(5):
        choices = game.night_options(p)
        night[p] = choices[int(picks[k] * len(choices))]
        k += 1
    game.play_night(night)
    roles = game.roles_in_deck
    while game.phase == Phase.DAY:
        speaker = game.current_speaker()
        tactic = TACTICS[int(picks[k] * 6)]
        claim = roles[int(picks[k + 1] * len(roles))]
        target = int(picks[k + 2] * 5)
        game.speak(Speech(speaker, tactic, claim=claim, target=target))
        k += 3
    votes = []
    for p in range(5):
        target = int(picks[k] * 4)
        votes.append(target if target < p else target + 1)
        k += 1
    return game.vote(votes).rewards[0]


def play_env_game(env: ONUWEnv, rng: np.random.Generator, seed: int) -> None:
    env.reset(seed=seed)
    for _agent in env.agent_iter():
        _, _, term, trunc, info = env.last()
        if term or trunc:
            env.step(None)
        else:
            legal = np.flatnonzero(info["action_mask"])
            env.step(int(legal[int(rng.random() * legal.size)]))


def _rate(games: int, run) -> tuple[float, float]:
    """(games per CPU second of this process, games per wall-clock second).

    CPU time is the one-core figure on a shared machine: other processes' load does not count against it.
    """
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return games / (time.process_time() - cpu), games / (time.perf_counter() - wall)


def bench_rules(games: int, seed: int) -> tuple[float, float]:
    deck, options, rng = default_deck(5), RuleOptions(), np.random.default_rng(seed)
    play_rules_game(deck, options, rng)  # warm-up

    def run() -> None:
        for _ in range(games):
            play_rules_game(deck, options, rng)

    return _rate(games, run)


def bench_env(games: int, seed: int, text: bool) -> tuple[float, float]:
    env = ONUWEnv(num_players=5, text_observations=text)
    rng = np.random.default_rng(seed)
    play_env_game(env, rng, seed)

    def run() -> None:
        for i in range(games):
            play_env_game(env, rng, seed + i)

    return _rate(games, run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=3000, help="games through the rules module")
    parser.add_argument("--env-games", type=int, default=300, help="games through the AEC env")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.games < 1 or args.env_games < 1:
        parser.error("--games and --env-games must be >= 1")
    rules_cpu, rules_wall = bench_rules(args.games, args.seed)
    env_cpu, env_wall = bench_env(args.env_games, args.seed, text=False)
    text_cpu, text_wall = bench_env(max(1, args.env_games // 3), args.seed, text=True)
    results = {
        "rules_games_per_cpu_s": rules_cpu,
        "rules_games_per_wall_s": rules_wall,
        "aec_env_games_per_cpu_s": env_cpu,
        "aec_env_games_per_wall_s": env_wall,
        "aec_env_with_text_games_per_cpu_s": text_cpu,
        "aec_env_with_text_games_per_wall_s": text_wall,
        "target_rules_games_per_s": 2000,
        "rules_meets_target": rules_cpu >= 2000,
    }
    if args.json:
        print(json.dumps(results))
    else:
        print("ONUW, 5 players, 3 discussion rounds, scripted uniform players (one process, one core)")
        print("                        games/CPU-s   games/wall-s")
        print(f"  rules module        : {rules_cpu:11.0f}   {rules_wall:11.0f}   (target >= 2,000 per CPU-s)")
        print(f"  AEC env             : {env_cpu:11.0f}   {env_wall:11.0f}")
        print(f"  AEC env + text views: {text_cpu:11.0f}   {text_wall:11.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
