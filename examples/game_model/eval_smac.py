"""Let the LLM-SMAC agent solve SMACProgram maps with a PLM checkpoint, then measure each map's final program.

For each map, ``llm-smac`` with ``llm=plm:MODEL`` runs its plan -> code -> test -> critic loop with the agent's
default budget (3 plans x 3 programs, target win rate 1.0, each program tested on the environment's 10 seeded
battles).  The program it ends with (its best by those 10 battles) is then measured on ``--battles`` fresh
seeded battles, with a Wilson 95% interval.  Prints a Markdown table, or JSON with ``--json``.

    python examples/game_model/eval_smac.py --model games --maps 3m,8m,2s3z,3s5z --battles 100
"""

from __future__ import annotations

import argparse
import json
import time

from tactica import agents
from tactica.envs.smac.program_env import SMACProgramEnv
from tactica.llm.games.smac import measure
from tactica.stats import wilson_interval as wilson

MEASURE_SEED = 2024  # battles of the final measurement (the solve loop's battles come from --seed)


def solve_map(model: str, map_name: str, battles: int, seed: int) -> dict:
    """Solve ``map_name`` with the agent, then measure its final program on ``battles`` seeded battles."""
    env = SMACProgramEnv(map_name=map_name)
    agent = agents.make(
        "llm-smac", llm=f"plm:{model}", action_space=env.action_space, observation_space=env.observation_space
    )
    start = time.process_time()
    result = agent.solve(env, seed=seed)
    solve_cpu = time.process_time() - start
    env.close()
    final = measure(result["best_program"], map_name, battles=battles, seed=MEASURE_SEED)
    wins = round(final["win_rate"] * battles)
    return {
        "map": map_name,
        "programs_tried": len(result["programs"]),
        "llm_calls": result["llm_calls"],
        "solve_win_rates": [p["win_rate"] for p in result["programs"]],
        "errors": [p["error"] for p in result["programs"] if p["error"]],
        "final_win_rate": final["win_rate"],
        "final_ci": [round(x, 3) for x in wilson(wins, battles)],
        "battles": battles,
        "final_error": final["error"],
        "solve_cpu_s": round(solve_cpu, 1),
        "program": result["best_program"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default="games", help="checkpoint directory or shipped name (default: games)"
    )
    parser.add_argument("--maps", default="3m,8m,2s3z,3s5z", help="comma-separated SMAC maps")
    parser.add_argument("--battles", type=int, default=100, help="battles measuring each final program")
    parser.add_argument("--seed", type=int, default=0, help="seed of the solve loop's battles")
    parser.add_argument("--json", action="store_true", help="print JSON (with the programs)")
    args = parser.parse_args()
    rows = [
        solve_map(args.model, m.strip(), args.battles, args.seed) for m in args.maps.split(",") if m.strip()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        "| map | programs tried (10-battle win rates) | final program: win rate (95% CI) | battles | CPU-s |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        tried = ", ".join(f"{w:.0%}" for w in r["solve_win_rates"])
        low, high = r["final_ci"]
        print(
            f"| {r['map']} | {r['programs_tried']} ({tried}) | {r['final_win_rate']:.2f} ({low:.2f}-{high:.2f}) "
            f"| {r['battles']} | {r['solve_cpu_s']} |"
        )


if __name__ == "__main__":
    main()
