"""Macroeconomy steps per second at N = 10^2 ... 10^6 households: economy core, batched core, and the env.

Figures are steps per CPU-second of the benchmark process (``time.process_time``), single-threaded numpy.

Rows:
- ``core``: :meth:`tactica.envs.macro.Economy.step` for one economy (the dynamics, accounting and termination
  checks, including the wealth-Gini sort);
- ``batched``: the same with ``B`` economies stepped together, reported as economy-years per second;
- ``env``: ``MacroSMFG-v0``'s full ``step`` (action mapping, mean-field observation with quantiles and Ginis,
  infos), rule-free (fixed actions), for N up to ``--env-max``;
- ``loop``: the peer, a TaxAI-style step that loops over households in Python for the super-star process and
  ranks households with ``sorted`` (TaxAI's ``env_core.py`` / ``household.py`` structure, re-implemented here
  because TaxAI is not installable from PyPI); its published figures (47 steps/s at N = 1,000 on an EPYC
  7742) are printed alongside.

    python benchmarks/macro.py [--sizes 100 1000 10000 100000 1000000] [--seconds 1.0] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: no BLAS threads behind the Gini's dot product

import numpy as np  # noqa: E402

from tactica.envs.macro import Calibration, Economy, Policy  # noqa: E402
from tactica.envs.macro.env import MacroSMFGEnv  # noqa: E402

TAXAI_PUBLISHED = {10: 1800.0, 100: 482.0, 1000: 47.0, 10000: 4.0}
"""TaxAI README: env steps per second, single thread, AMD EPYC 7742."""


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
    cal = Calibration()
    economy = Economy(n, batch, cal)
    rng = np.random.default_rng(0)
    economy.reset(rng)
    policy = Policy.calibrated(cal, batch)
    savings = np.full((batch, n), 0.84)
    hours = np.full((batch, n), cal.hours_fraction)

    def step() -> None:
        result = economy.step(policy, savings, hours, rng)
        if result.status.any():
            economy.reset(rng, result.status != 0)

    return _rate(step, seconds) * batch


def env_rate(n: int, seconds: float) -> float:
    env = MacroSMFGEnv(num_households=n)
    env.reset(seed=0)
    gov = np.zeros(5, dtype=np.float32)
    households = np.tile(np.array([0.7, -0.56], dtype=np.float32), (n, 1))
    actions = {"government": gov, "households": households}

    def step() -> None:
        env.step(actions)
        if not env.agents:
            env.reset()

    return _rate(step, seconds)


def loop_rate(n: int, seconds: float) -> float:
    """A TaxAI-style step: per-household Python loop for productivity, ``sorted`` for the group statistics."""
    cal = Calibration()
    rng = np.random.default_rng(0)
    e = np.exp(rng.standard_normal(n))
    a = np.exp(rng.standard_normal(n))
    star = np.zeros(n, dtype=bool)
    h = np.full(n, cal.hours_fraction)

    def step() -> None:
        nonlocal a
        normal_mean = e[~star].mean() if (~star).any() else 1.0
        for i in range(n):  # TaxAI's Household.generate_e_ability loops like this
            if star[i]:
                if rng.random() > cal.superstar_persistence:
                    star[i] = False
                    e[i] = rng.uniform(e.min(), e.max())
                else:
                    e[i] = cal.superstar_multiple * normal_mean
            else:
                if rng.random() < cal.superstar_entry:
                    star[i] = True
                else:
                    e[i] = np.exp(
                        cal.productivity_persistence * np.log(e[i])
                        + cal.productivity_shock_std * rng.standard_normal()
                    )
        k = a.sum() * 0.7
        labour = float((e * h).sum())
        y = cal.tfp * k**cal.capital_share * labour ** (1 - cal.capital_share)
        wage = (1 - cal.capital_share) * y / labour
        income = wage * e * h + 0.04 * a
        after = income - (income - (1 - 0.263) * income ** (1 - 0.049) * income.mean() ** 0.049)
        a = 0.84 * (a + after)
        order = sorted(range(n), key=lambda i: a[i])  # TaxAI ranks households with sorted(lambda)
        top = order[-max(1, n // 10) :]
        _ = a[top].mean(), income[top].mean()

    return _rate(step, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--households-per-batch", type=int, default=16_000, help="B = max(2, this / N)")
    parser.add_argument("--env-max", type=int, default=100_000, help="largest N for the env row")
    parser.add_argument("--loop-max", type=int, default=10_000, help="largest N for the Python-loop peer")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if any(n < 2 for n in args.sizes) or args.seconds <= 0:
        parser.error("sizes must be >= 2 and --seconds > 0")
    rows = []
    for n in args.sizes:
        batch = max(2, args.households_per_batch // n)
        row = {
            "N": n,
            "core_steps_per_s": core_rate(n, 1, args.seconds),
            "batch": batch,
            "batched_steps_per_s": core_rate(n, batch, args.seconds),
            "env_steps_per_s": env_rate(n, args.seconds) if n <= args.env_max else None,
            "loop_steps_per_s": loop_rate(n, args.seconds) if n <= args.loop_max else None,
            "taxai_published_steps_per_s": TAXAI_PUBLISHED.get(n),
        }
        if row["loop_steps_per_s"]:
            row["core_over_loop"] = row["core_steps_per_s"] / row["loop_steps_per_s"]
        if row["taxai_published_steps_per_s"]:
            row["core_over_taxai_published"] = row["core_steps_per_s"] / row["taxai_published_steps_per_s"]
        rows.append(row)
        if not args.json:
            fmt = lambda v: "-" if v is None else f"{v:,.0f}"  # noqa: E731
            ratio = f"{row.get('core_over_loop', 0):.0f}x" if row["loop_steps_per_s"] else "-"
            print(
                f"N={n:>9,}  core {fmt(row['core_steps_per_s']):>8}/s  batched(B={batch}) "
                f"{fmt(row['batched_steps_per_s']):>8}/s  env {fmt(row['env_steps_per_s']):>7}/s  "
                f"loop peer {fmt(row['loop_steps_per_s']):>6}/s ({ratio})  TaxAI published "
                f"{fmt(row['taxai_published_steps_per_s'])}/s",
                flush=True,
            )
    if args.json:
        print(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
