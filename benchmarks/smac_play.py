"""SMAC: random or heuristic play on every map, with the simulator's physics checked after every game loop.

Run:  python benchmarks/smac_play.py --policy random --episodes 100        (the random-play table of docs/smac.md)
      python benchmarks/smac_play.py --policy heuristic --episodes 100     (the heuristic table of docs/smac.md)
      python benchmarks/smac_play.py --policy program --episodes 100          (the programs table of docs/smac.md)
      python benchmarks/smac_play.py --policy random --maps 3m 2c_vs_64zg --episodes 5 --json
      python benchmarks/smac_play.py --policy random --maps bane_vs_bane --fates    (who kills whom)

``random`` picks, for every agent and step, one of its available actions uniformly at random (oxwhirl/smac's
random agent); ``heuristic`` is oxwhirl/smac's ``heuristic_ai`` (every agent attacks the nearest enemy, walking
there when it is out of range; Medivacs heal the nearest damaged ally); ``program`` plays the hand-written
program of ``tactica.baselines.smac`` for the map (default maps: those that have one; no physics checks).  Episode ``k`` of a map is seeded
``--seed + k``.  Each game loop is checked (``BattleSim.step_checked``): ground units standing on a cell their
movement class cannot walk, straight moves within a loop that cross such a cell, and the largest overlap of two
units that collide, as a fraction of their combined radii.  With ``--check`` the exit status is 1 when a random
policy wins 5% or more of a map's battles, an overlap reaches 10% or the terrain is violated.  ``--fates``
also counts, per battle, who dealt the killing blow to whom (each death is credited to the last unit that hit
the victim) and how every Baneling ended: burst on its attack, killed first (it then bursts as it dies, its
``BanelingExplode`` death response), or alive at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

import numpy as np

from tactica.baselines.smac import PROGRAMS, load_policy
from tactica.envs.smac import MAP_NAMES, SMACEnv
from tactica.envs.smac.programs import run_policy_episodes
from tactica.stats import wilson_interval as wilson


def play_program(map_name: str, episodes: int, seed: int) -> dict:
    cpu = time.process_time()
    stats = run_policy_episodes(load_policy(map_name), map_name, list(range(seed, seed + episodes)))
    wins = sum(s.result == "win" for s in stats)
    low, high = wilson(wins, episodes)
    return {
        "map": map_name,
        "policy": f"program {PROGRAMS[map_name]}",
        "episodes": episodes,
        "wins": wins,
        "win_rate": wins / episodes,
        "win_rate_ci95": [low, high],
        "max_overlap": 0.0,
        "units_on_unwalkable_cells": 0,
        "moves_crossing_unwalkable_cells": 0,
        "mean_episode_steps": float(np.mean([s.steps for s in stats])),
        "cpu_seconds": time.process_time() - cpu,
    }


class Fates:
    """Who kills whom, game loop by game loop (``BattleSim.loop_observer``, battle 0 of the simulator).

    A unit that dies in a loop in which it was hit is credited to the last unit that hit it.  A Baneling that
    dies without a hit in that loop burst on its attack; one that was hit was killed, and its death response
    burst it there; so every kill by a Baneling is labelled ``burst`` or ``death burst``.
    """

    def __init__(self, sim) -> None:
        self.kind = [t.name for t in sim.types]
        self.side = ["ally" if team == 0 else "enemy" for team in sim.team]
        self.kills: Counter = Counter()  # (killer side, killer kind, how, victim kind) -> deaths
        self.banelings: Counter = Counter()  # (side, "burst" | "killed" | "alive") -> count

    def __call__(self, sim, alive_before: np.ndarray) -> None:
        now = sim.loop[0] - 1  # the loop that has just run
        died = np.flatnonzero(alive_before[0] & ~sim.alive[0])
        hit = {int(i): sim.last_hit[0, i] == now for i in died}
        how = {}
        for i in died:
            if self.kind[i] == "baneling":
                how[int(i)] = "death burst" if hit[int(i)] else "burst"
                self.banelings[(self.side[i], "killed" if hit[int(i)] else "burst")] += 1
        for i in died:
            if hit[int(i)]:
                k = int(sim.attacked_by[0, i])
                self.kills[(self.side[k], self.kind[k], how.get(k, "attack"), self.kind[i])] += 1

    def end_episode(self, sim) -> None:
        for i in np.flatnonzero(sim.alive[0]):
            if self.kind[i] == "baneling":
                self.banelings[(self.side[i], "alive")] += 1

    def summary(self, episodes: int) -> dict:
        return {
            "banelings_per_battle": {
                f"{side} {fate}": n / episodes for (side, fate), n in sorted(self.banelings.items())
            },
            "kills_per_battle": [
                {"killer": f"{side} {kind}", "how": how, "victim": victim, "per_battle": n / episodes}
                for (side, kind, how, victim), n in sorted(self.kills.items(), key=lambda kv: -kv[1])
            ],
        }


def play(map_name: str, policy: str, episodes: int, seed: int, fates: bool = False) -> dict:
    if policy == "program":
        return play_program(map_name, episodes, seed)
    env = SMACEnv(map_name, seed=seed, heuristic_ai=policy == "heuristic")
    env.core.check_physics = True
    counter = Fates(env.core.sim) if fates else None
    env.core.sim.loop_observer = counter
    rng = np.random.default_rng(seed)
    wins = steps = 0
    cpu = time.process_time()
    for k in range(episodes):
        env.reset(seed=seed + k)
        terminated, info = False, {}
        while not terminated:
            avail = env.core.avail_actions()[0]
            actions = (rng.random(avail.shape) * avail).argmax(axis=1)  # uniform over the available actions
            _, terminated, info = env.step(actions)
            steps += 1
        wins += bool(info["battle_won"])
        if counter is not None:
            counter.end_episode(env.core.sim)
    low, high = wilson(wins, episodes)
    on_wall, crossing = (int(v) for v in env.core.terrain_violations)
    row = {
        "map": map_name,
        "policy": policy,
        "episodes": episodes,
        "wins": wins,
        "win_rate": wins / episodes,
        "win_rate_ci95": [low, high],
        "max_overlap": env.core.max_loop_overlap,
        "units_on_unwalkable_cells": on_wall,
        "moves_crossing_unwalkable_cells": crossing,
        "mean_episode_steps": steps / episodes,
        "cpu_seconds": time.process_time() - cpu,
    }
    if counter is not None:
        row["fates"] = counter.summary(episodes)
    return row


def print_fates(fates: dict) -> None:
    banes = fates["banelings_per_battle"]
    if banes:
        print("  banelings per battle: " + ", ".join(f"{k} {v:.2f}" for k, v in banes.items()))
    for k in fates["kills_per_battle"]:
        if k["per_battle"] >= 0.05:
            print(f"  {k['killer']:16s} {k['how']:11s} kills {k['per_battle']:5.2f} {k['victim']} per battle")


def failures(row: dict) -> list[str]:
    out = []
    if row["policy"] == "random" and row["win_rate"] >= 0.05:
        out.append(f"random play wins {row['win_rate']:.0%}")
    if row["max_overlap"] >= 0.10:
        out.append(f"overlap {row['max_overlap']:.1%}")
    if row["units_on_unwalkable_cells"] or row["moves_crossing_unwalkable_cells"]:
        out.append("terrain violated")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:5]),
    )
    parser.add_argument("--policy", choices=("random", "heuristic", "program"), default="random")
    parser.add_argument("--maps", nargs="+", help="maps (default: all 23; with program, those with one)")
    parser.add_argument("--episodes", type=int, default=100, help="battles per map (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails (see above)")
    parser.add_argument("--fates", action="store_true", help="count who kills whom (random and heuristic)")
    args = parser.parse_args(argv)
    if args.maps is None:
        args.maps = list(PROGRAMS) if args.policy == "program" else list(MAP_NAMES)
    known = PROGRAMS if args.policy == "program" else MAP_NAMES
    unknown = [m for m in args.maps if m not in known]
    if unknown or args.episodes < 1 or (args.fates and args.policy == "program"):
        if unknown:
            message = f"error: unknown maps {unknown}"
        elif args.episodes < 1:
            message = "error: --episodes must be positive"
        else:
            message = "error: --fates needs --policy random or heuristic"
        print(message, file=sys.stderr)
        return 2
    rows = []
    for map_name in args.maps:
        row = play(map_name, args.policy, args.episodes, args.seed, fates=args.fates)
        rows.append(row)
        if not args.json:
            low, high = row["win_rate_ci95"]
            print(
                f"{map_name:18s} {args.policy} wins {row['wins']:3d}/{row['episodes']} "
                f"({row['win_rate']:.0%}, 95% CI {low:.0%}-{high:.0%})  max overlap {row['max_overlap']:.1%}  "
                f"on unwalkable {row['units_on_unwalkable_cells']}  crossing {row['moves_crossing_unwalkable_cells']}"
                f"  {row['mean_episode_steps']:.0f} steps/episode  {row['cpu_seconds']:.0f} CPU s",
                flush=True,
            )
            if "fates" in row:
                print_fates(row["fates"])
    failed = [(r["map"], f) for r in rows for f in failures(r)]
    if args.json:
        print(json.dumps({"policy": args.policy, "rows": rows, "failed": failed}, indent=2))
    elif failed:
        print("checks failed: " + "; ".join(f"{m}: {f}" for m, f in failed))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
