"""SMAC simulator speed where users run it, beside smaclite and JaxMARL's SMAX in the same run.

Run:  python benchmarks/smac.py                         (3s5z, MMM2, 27m_vs_30m)
      python benchmarks/smac.py --json --maps 3s5z --steps 2000 --batch 64

Every figure counts agent steps of one battle with uniformly random legal actions (a batch of 64 stepping once
is 64 steps), per CPU-second of this process ("cpu") and per elapsed second ("wall"); on a shared machine the
CPU rate is the one that compares runs.  Measured, each after a warm-up:

* ``pettingzoo``: ``tactica.make_parallel("SMAC-v2")``: per-agent dicts with observation and action mask.
* ``pymarl``: oxwhirl/smac's loop on ``SMACEnv``: ``get_obs()``, ``get_state()``, ``get_avail_actions()``, ``step()``.
* ``batched``: ``SMACVectorEnv`` with ``--batch`` battles: observations, states and masks of all of them.
* ``smaclite``: uoe-agents/smaclite's ``SMACliteEnv`` (NumPy RVO2), when installed (from its source: it is not
  on PyPI), with its own observations and masks.
* ``smax``: JaxMARL's ``HeuristicEnemySMAX`` on JAX CPU, ``jit(vmap(scan))`` rollouts of ``--batch`` battles
  timed after compilation (its CPU time counts all of JAX's threads), when jaxmarl is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

import tactica
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
SMACLITE_MAPS = {
    "10m_vs_11m",
    "27m_vs_30m",
    "2c_vs_64zg",
    "2s3z",
    "2s_vs_1sc",
    "3s5z",
    "3s5z_vs_3s6z",
    "3s_vs_5z",
}
SMACLITE_MAPS |= {"bane_vs_bane", "corridor", "MMM", "MMM2"}


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _rates(steps: int, t: Timer) -> dict[str, float]:
    return {"steps": steps, "cpu_steps_per_s": steps / max(t.cpu, 1e-9), "wall_steps_per_s": steps / t.wall}


def bench_pettingzoo(map_name: str, steps: int, seed: int) -> dict:
    env = tactica.make_parallel("SMAC-v2", map_name=map_name)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)

    def run(n):
        nonlocal obs
        for _ in range(n):
            actions = {}
            for agent in env.agents:
                mask = obs[agent]["action_mask"]
                actions[agent] = int((rng.random(mask.shape) * mask).argmax())
            obs, *_ = env.step(actions)
            if not env.agents:
                obs, _ = env.reset()

    run(steps // 10)
    with Timer() as t:
        run(steps)
    return _rates(steps, t)


def bench_pymarl(map_name: str, steps: int, seed: int) -> dict:
    env = SMACEnv(map_name, seed=seed)
    rng = np.random.default_rng(seed)
    env.reset()

    def run(n):
        for _ in range(n):
            env.get_obs()
            env.get_state()
            avail = np.array(env.get_avail_actions())
            _, terminated, _ = env.step((rng.random(avail.shape) * avail).argmax(1))
            if terminated:
                env.reset()

    run(steps // 10)
    with Timer() as t:
        run(steps)
    return _rates(steps, t)


def bench_batched(map_name: str, batch: int, steps: int, seed: int) -> dict:
    env = SMACVectorEnv(map_name, num_envs=batch)
    obs, state, avail = env.reset(seed=seed)
    rounds = max(1, steps // batch)
    for _ in range(max(1, rounds // 10)):
        obs, state, avail, *_ = env.step(env.random_actions(avail))
    with Timer() as t:
        for _ in range(rounds):
            obs, state, avail, *_ = env.step(env.random_actions(avail))
    return _rates(rounds * batch, t)


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


def bench_smaclite(map_name: str, steps: int, seed: int) -> dict | str:
    if map_name not in SMACLITE_MAPS:
        return "no smaclite map"
    try:
        import gymnasium as gym

        with _quiet_stdout():  # smaclite prints which RVO2 port it uses, which would break --json output
            import smaclite  # noqa: F401

            env = gym.make(f"smaclite/{map_name}-v0", use_cpp_rvo2=False)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        return f"smaclite not available ({type(exc).__name__})"
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    limit = SMACEnv(map_name).episode_limit  # smaclite has no limit of its own (ePyMARL adds one)

    def run(n):
        t = 0
        for _ in range(n):
            avail = np.array(env.unwrapped.get_avail_actions())
            _, _, done, _, _ = env.step((rng.random(avail.shape) * avail).argmax(1).tolist())
            t += 1
            if done or t >= limit:
                env.reset()
                t = 0

    run(max(1, steps // 10))
    with Timer() as t:
        run(steps)
    return _rates(steps, t)


def bench_smax(map_name: str, batch: int, steps: int, seed: int) -> dict | str:
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

    def one_step(state, key):
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
    with Timer() as t:
        jax.block_until_ready(run(keys))
    return _rates(horizon * batch, t)


def _cell(value: dict | str, key: str = "cpu_steps_per_s") -> str:
    return f"{value[key]:,.0f}" if isinstance(value, dict) else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  python benchmarks/smac.py\n  python benchmarks/smac.py --json --maps 3s5z",
    )
    parser.add_argument("--maps", nargs="+", default=["3s5z", "MMM2", "27m_vs_30m"])
    parser.add_argument("--steps", type=int, default=3000, help="agent steps per single-battle measurement")
    parser.add_argument("--batch", type=int, default=64, help="battles in the batched runs")
    parser.add_argument("--smaclite-steps", type=int, default=300, help="steps timed for smaclite (slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peers", action="store_true", help="skip smaclite and SMAX")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch < 1 or args.smaclite_steps < 1:
        parser.error("--steps, --batch and --smaclite-steps must be positive")
    rows = []
    for map_name in args.maps:
        row = {
            "map": map_name,
            "pettingzoo": bench_pettingzoo(map_name, args.steps, args.seed),
            "pymarl": bench_pymarl(map_name, args.steps, args.seed),
            "batched": bench_batched(map_name, args.batch, args.steps * 8, args.seed),
        }
        skip = "skipped (--no-peers)"
        row["smaclite"] = skip if args.no_peers else bench_smaclite(map_name, args.smaclite_steps, args.seed)
        row["smax"] = skip if args.no_peers else bench_smax(map_name, args.batch, args.steps * 8, args.seed)
        for peer, ours in (("smaclite", "pymarl"), ("smax", "batched")):
            if isinstance(row[peer], dict):
                row[f"{ours}_vs_{peer}_cpu"] = row[ours]["cpu_steps_per_s"] / row[peer]["cpu_steps_per_s"]
                row[f"{ours}_vs_{peer}_wall"] = row[ours]["wall_steps_per_s"] / row[peer]["wall_steps_per_s"]
        rows.append(row)
    if args.json:
        print(json.dumps({"batch": args.batch, "rows": rows}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"SMAC agent steps per CPU-second (wall in brackets), random legal actions, batch {args.batch}"
    )
    for col in (
        "map",
        "SMAC-v2 (PettingZoo)",
        "pymarl loop",
        "batched",
        "smaclite",
        "SMAX batched",
        "ratios",
    ):
        table.add_column(col, justify="right")
    for row in rows:
        ratios = []
        if "pymarl_vs_smaclite_cpu" in row:
            ratios.append(f"pymarl/smaclite {row['pymarl_vs_smaclite_cpu']:.0f}x")
        if "batched_vs_smax_cpu" in row:
            ratios.append(f"batched/SMAX {row['batched_vs_smax_cpu']:.2f}x")
        table.add_row(
            row["map"],
            *(
                f"{_cell(row[k])} ({_cell(row[k], 'wall_steps_per_s')})"
                if isinstance(row[k], dict)
                else row[k]
                for k in ("pettingzoo", "pymarl", "batched", "smaclite", "smax")
            ),
            ", ".join(ratios) or "-",
        )
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
