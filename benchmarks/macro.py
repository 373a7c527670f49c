"""Macroeconomy steps per second at N = 10^2 ... 10^6 households: economy core, batched core, the env, and TaxAI.

Figures are steps per CPU-second of the process that runs them (``time.process_time``), single-threaded numpy.

Rows:
- ``core``: :meth:`tactica.envs.macro.Economy.step` for one economy (the dynamics, accounting and termination
  checks, including the wealth-Gini sort) under the calibrated 2022 US policy, driven with the households'
  decisions of the env row;
- ``batched``: the same with ``B`` economies stepped together, reported as economy-years per second;
- ``env``: ``MacroSMFG-v1``'s full ``step`` (action mapping, mean-field observations with quantiles and Ginis,
  infos) with the same fixed actions (the government repeats the calibrated policy), for N up to ``--env-max``;
  ``env_over_core`` is its time per step over the time its
  own ``Economy.step`` took inside it (the same trajectory), i.e. what the env adds to the core;
- ``taxai``: TaxAI's own ``economic_society.step`` (jidiai/TaxAI, run from its source in a subprocess) with the
  same fixed actions, when ``--taxai DIR`` (or ``TAXAI_DIR``) points at a checkout of it.  TaxAI needs ``gym``,
  ``pygame``, ``pandas``, ``quantecon`` and ``pyyaml`` from PyPI (``pip install tactica[taxai-peer]``); its code
  is never copied into tactica.  It calls ``np.trapz``, which numpy 2.4 renamed
  ``np.trapezoid``, so the worker aliases the old name.  Its published figures (47 steps/s at N = 1,000 on an EPYC
  7742) are printed alongside.

    python benchmarks/macro.py [--sizes 100 1000 10000] [--seconds 1.0] [--taxai ~/src/TaxAI] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: no BLAS threads behind the Gini's dot product

import numpy as np  # noqa: E402

from tactica.envs.macro import Calibration, Economy, Policy  # noqa: E402
from tactica.envs.macro.economy import action_from_policy  # noqa: E402
from tactica.envs.macro.env import MacroSMFGEnv  # noqa: E402

TAXAI_PUBLISHED = {10: 1800.0, 100: 482.0, 1000: 47.0, 10000: 4.0}
"""TaxAI README: env steps per second, single thread, AMD EPYC 7742."""

#: the fixed household action of every row: savings ratio 0.84 of cash on hand, hours share 0.22
HOUSEHOLD_ACTION = (0.7, -0.56)


def _rate(step, seconds: float, min_steps: int = 3) -> float:
    """Steps per CPU-second of this process (the reference machine is shared, so wall time overstates cost)."""
    step()  # warm-up (allocations, caches)
    count, start = 0, time.process_time()
    while True:
        step()
        count += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds and count >= min_steps:
            return count / elapsed


def core_rate(n: int, batch: int, seconds: float) -> float:
    """Economy-years per CPU-second of ``Economy.step`` under the calibrated policy and the env row's decisions."""
    cal = Calibration()
    economy = Economy(n, batch, cal)
    rng = np.random.default_rng(0)
    economy.reset(rng)
    policy = Policy.calibrated(cal, batch)
    lo, hi = cal.savings_bounds
    savings = np.full((batch, n), lo + (hi - lo) * (HOUSEHOLD_ACTION[0] + 1) / 2)
    hours = np.full((batch, n), (HOUSEHOLD_ACTION[1] + 1) / 2)

    def step() -> None:
        result = economy.step(policy, savings, hours, rng)
        if result.status.any():
            economy.reset(rng, result.status != 0)

    return _rate(step, seconds) * batch


def env_rate(n: int, seconds: float) -> tuple[float, float]:
    """(env steps per CPU-second, env step time over its own ``Economy.step`` time on the same trajectory)."""
    env = MacroSMFGEnv(num_households=n)
    env.reset(seed=0)
    # the calibrated 2022 US policy every year, as in the core row
    calibrated = action_from_policy(Policy.calibrated(env.calibration), env.calibration)[0]
    actions = {
        "government": calibrated.astype(np.float32),
        "households": np.tile(np.array(HOUSEHOLD_ACTION, dtype=np.float32), (n, 1)),
    }
    inner = [0.0]
    core_step = env.economy.step

    def timed_core(*args, **kwargs):
        t = time.process_time()
        result = core_step(*args, **kwargs)
        inner[0] += time.process_time() - t
        return result

    env.economy.step = timed_core

    def step() -> None:
        env.step(actions)
        if not env.agents:
            env.reset()

    step()
    inner[0] = 0.0
    count, start = 0, time.process_time()
    while True:
        step()
        count += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds and count >= 3:
            return count / elapsed, elapsed / max(inner[0], 1e-12)


# ------------------------------------------------------------------------------------------------ TaxAI peer
def taxai_worker(root: str, n: int, seconds: float) -> None:
    """Run TaxAI's own env from its checkout ``root`` (in this process) and print its steps per CPU-second."""
    import warnings

    import yaml

    warnings.filterwarnings("ignore")
    if not hasattr(np, "trapz"):  # TaxAI's Gini uses np.trapz, renamed np.trapezoid in numpy 2.4
        np.trapz = np.trapezoid
    sys.path.insert(0, root)
    os.chdir(root)  # it reads agents/data/advanced_scfp2022.csv relative to its root
    with open("cfg/default.yaml") as f:
        cfg = yaml.safe_load(f)["Environment"]
    for entity in cfg["Entities"]:
        if entity["entity_name"] == "household":
            entity["entity_args"]["n"] = n
    from env.env_core import economic_society

    np.random.seed(0)
    env = economic_society(cfg)
    env.reset()
    actions = {
        env.government.name: np.zeros(5, dtype=np.float32),
        env.households.name: np.tile(np.array(HOUSEHOLD_ACTION, dtype=np.float32), (n, 1)),
    }

    def step() -> None:
        if env.step(actions)[-1]:
            env.reset()

    print(json.dumps({"steps_per_s": _rate(step, seconds)}))


def taxai_rate(root: str | None, n: int, seconds: float) -> float | None:
    """TaxAI's steps per CPU-second at ``n`` households (a subprocess), or None without a checkout."""
    if not root:
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--taxai-worker", root, str(n), str(seconds)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"TaxAI at N={n} failed: {tail}", file=sys.stderr)
        return None
    return float(json.loads(lines[-1])["steps_per_s"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--taxai-worker"]:
        taxai_worker(argv[1], int(argv[2]), float(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU time per measurement")
    parser.add_argument("--households-per-batch", type=int, default=16_000, help="B = max(2, this / N)")
    parser.add_argument("--env-max", type=int, default=100_000, help="largest N for the env row")
    parser.add_argument(
        "--taxai",
        default=os.environ.get("TAXAI_DIR"),
        help="a checkout of jidiai/TaxAI to run side by side (default: $TAXAI_DIR)",
    )
    parser.add_argument("--taxai-max", type=int, default=10_000, help="largest N for TaxAI")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if any(n < 2 for n in args.sizes) or args.seconds <= 0:
        parser.error("sizes must be >= 2 and --seconds > 0")
    if args.taxai and not (Path(args.taxai) / "env" / "env_core.py").exists():
        parser.error(f"--taxai {args.taxai}: not a TaxAI checkout (no env/env_core.py)")
    rows = []
    for n in args.sizes:
        batch = max(2, args.households_per_batch // n)
        env, env_over_core = env_rate(n, args.seconds) if n <= args.env_max else (None, None)
        row = {
            "N": n,
            "core_steps_per_s": core_rate(n, 1, args.seconds),
            "batch": batch,
            "batched_steps_per_s": core_rate(n, batch, args.seconds),
            "env_steps_per_s": env,
            "env_over_core": env_over_core,
            "taxai_steps_per_s": taxai_rate(args.taxai, n, args.seconds) if n <= args.taxai_max else None,
            "taxai_published_steps_per_s": TAXAI_PUBLISHED.get(n),
        }
        if row["taxai_steps_per_s"]:
            row["core_over_taxai"] = row["core_steps_per_s"] / row["taxai_steps_per_s"]
            if env:
                row["env_over_taxai"] = env / row["taxai_steps_per_s"]
        rows.append(row)
        if not args.json:
            fmt = lambda v: "-" if v is None else f"{v:,.0f}"  # noqa: E731
            ratio = f"{row['core_over_taxai']:.0f}x" if row.get("core_over_taxai") else "-"
            overhead = "-" if env_over_core is None else f"{env_over_core:.2f}x its core"
            print(
                f"N={n:>9,}  core {fmt(row['core_steps_per_s']):>8}/s  batched(B={batch}) "
                f"{fmt(row['batched_steps_per_s']):>8}/s  env {fmt(env):>7}/s ({overhead})  "
                f"TaxAI {fmt(row['taxai_steps_per_s']):>5}/s (core {ratio})  published "
                f"{fmt(row['taxai_published_steps_per_s'])}/s",
                flush=True,
            )
    if args.json:
        print(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
