"""SMAC simulator speed: random masked actions, one environment and a batch, beside JaxMARL's SMAX on CPU.

Run:  python benchmarks/smac.py            (3s5z, MMM2, 27m_vs_30m; SMAX too when jaxmarl is installed)
      python benchmarks/smac.py --json --maps 3s5z --steps 1000 --batch 64

Each figure counts agent steps of one environment (a batch of 64 stepping once is 64 steps).  "cpu" rates
divide by the process's CPU time, "wall" rates by elapsed time; on a shared machine the CPU rate is the one that
compares runs.  SMAX is timed after JIT compilation, as ``jax.lax.scan`` rollouts of ``vmap``-ed
``HeuristicEnemySMAX`` steps with uniformly random legal actions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

from tactica.envs.smac import SMACEnv
from tactica.envs.smac.vector import SMACVectorEnv

SMAX_MAPS = {
    "3m",
    "8m",
    "25m",
    "2s3z",
    "3s5z",
    "5m_vs_6m",
    "10m_vs_11m",
    "27m_vs_30m",
    "3s5z_vs_3s6z",
    "3s_vs_5z",
}


def _rates(steps: int, wall: float, cpu: float) -> dict[str, float]:
    return {"steps": steps, "wall_steps_per_s": steps / wall, "cpu_steps_per_s": steps / max(cpu, 1e-9)}


def bench_single(map_name: str, steps: int, seed: int) -> dict[str, float]:
    env = SMACEnv(map_name, seed=seed)
    rng = np.random.default_rng(seed)
    env.reset()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        avail = env.core.avail_actions()[0]
        _, done, _ = env.step((rng.random(avail.shape) * avail).argmax(1))
        if done:
            env.reset()
    return _rates(steps, time.perf_counter() - wall, time.process_time() - cpu)


def bench_batched(map_name: str, batch: int, steps: int, seed: int) -> dict[str, float]:
    env = SMACVectorEnv(map_name, num_envs=batch)
    obs, state, avail = env.reset(seed=seed)
    rounds = max(1, steps // batch)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        obs, state, avail, reward, done, info = env.step(env.random_actions(avail))
    return _rates(rounds * batch, time.perf_counter() - wall, time.process_time() - cpu)


@contextlib.contextmanager
def _quiet_stdout():
    """Silence file descriptor 1 (prints that bypass ``sys.stdout`` redirection too)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def bench_smax(map_name: str, batch: int, steps: int, seed: int) -> dict[str, float] | str:
    """SMAX on CPU, or a string saying why it was not run."""
    if map_name not in SMAX_MAPS:
        return "no SMAX scenario"
    try:
        import jax
        import jax.numpy as jnp

        with _quiet_stdout():  # jaxmarl prints on import; keep --json output clean
            from jaxmarl.environments.smax import HeuristicEnemySMAX, map_name_to_scenario
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        return f"jaxmarl not installed ({type(exc).__name__})"
    env = HeuristicEnemySMAX(scenario=map_name_to_scenario(map_name))
    agents = env.agents
    horizon = max(1, steps // batch)

    def one_step(carry, key):
        state = carry
        k_act, k_step = jax.random.split(key)
        avail = env.get_avail_actions(state)
        keys = jax.random.split(k_act, len(agents))
        actions = {
            a: jax.random.categorical(k, jnp.log(avail[a].astype(jnp.float32) + 1e-12))
            for a, k in zip(agents, keys)
        }
        _, state, _, _, _ = env.step(k_step, state, actions)
        return state, None

    def rollout(key):
        k_reset, k_run = jax.random.split(key)
        _, state = env.reset(k_reset)
        state, _ = jax.lax.scan(one_step, state, jax.random.split(k_run, horizon))
        return state

    run = jax.jit(jax.vmap(rollout))
    keys = jax.random.split(jax.random.PRNGKey(seed), batch)
    jax.block_until_ready(run(keys))  # compile
    wall, cpu = time.perf_counter(), time.process_time()
    jax.block_until_ready(run(keys))
    return _rates(horizon * batch, time.perf_counter() - wall, time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--maps", nargs="+", default=["3s5z", "MMM2", "27m_vs_30m"])
    parser.add_argument("--steps", type=int, default=2000, help="agent steps per measurement")
    parser.add_argument("--batch", type=int, default=64, help="environments in the batched runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-smax", action="store_true", help="skip JaxMARL's SMAX")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch < 1:
        parser.error("--steps and --batch must be positive")
    rows = []
    for map_name in args.maps:
        row = {
            "map": map_name,
            "single": bench_single(map_name, args.steps, args.seed),
            "batched": bench_batched(map_name, args.batch, args.steps * 4, args.seed),
        }
        smax = "skipped" if args.no_smax else bench_smax(map_name, args.batch, args.steps * 4, args.seed)
        row["smax_batched"] = smax
        if isinstance(smax, dict):
            row["batched_vs_smax_cpu"] = row["batched"]["cpu_steps_per_s"] / smax["cpu_steps_per_s"]
            row["batched_vs_smax_wall"] = row["batched"]["wall_steps_per_s"] / smax["wall_steps_per_s"]
        rows.append(row)
    if args.json:
        print(json.dumps({"batch": args.batch, "rows": rows}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"SMAC steps/s, random actions (batch {args.batch}); cpu = per CPU-second, wall = elapsed"
    )
    for col in (
        "map",
        "single cpu",
        "single wall",
        "batched cpu",
        "batched wall",
        "SMAX cpu",
        "SMAX wall",
        "ratio",
    ):
        table.add_column(col, justify="right")
    for row in rows:
        smax = row["smax_batched"]
        smax_cells = (
            [f"{smax['cpu_steps_per_s']:,.0f}", f"{smax['wall_steps_per_s']:,.0f}"]
            if isinstance(smax, dict)
            else [smax, ""]
        )
        ratio = f"{row['batched_vs_smax_cpu']:.2f}x" if "batched_vs_smax_cpu" in row else "-"
        table.add_row(
            row["map"],
            f"{row['single']['cpu_steps_per_s']:,.0f}",
            f"{row['single']['wall_steps_per_s']:,.0f}",
            f"{row['batched']['cpu_steps_per_s']:,.0f}",
            f"{row['batched']['wall_steps_per_s']:,.0f}",
            *smax_cells,
            ratio,
        )
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
