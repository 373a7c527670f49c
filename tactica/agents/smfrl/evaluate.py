"""The results table of ``docs/macro.md``: baselines and trained SMFRL runs on ``MacroSMFG-v1``.

    python -m tactica.agents.smfrl.evaluate --runs runs/macro/smfrl --sizes 100 1000 [--json] [--markdown FILE]

For each size N and each seed k (one SMFRL run per seed, ``<runs>/seed<k>``), every policy plays the same
seeded 300-year episode (env seed ``1000 + k``).  Baseline governments play against the rule-based households;
SMFRL plays with its own follower policy, and its leader is also shown against the rule-based households.
Figures are means (and standard deviations) over seeds of the episode summaries of
:func:`tactica.baselines.macro.rollout.run_episode`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["evaluate", "markdown_table"]

COLUMNS = (
    ("years", "years survived", "{:.0f}"),
    ("gdp_per_capita", "GDP per capita (USD)", "{:,.0f}"),
    ("income_gini", "income Gini", "{:.3f}"),
    ("wealth_gini", "wealth Gini", "{:.3f}"),
    ("social_welfare", "social welfare", "{:.3f}"),
    ("government_objective", "government objective", "{:.1f}"),
)


def _policies(run_dirs: list[Path]) -> list[tuple[str, str, Any]]:
    """(row name, income-tax mode, maker(env, seed_index) -> (government, households))."""
    from tactica.agents.random_agent import RandomAgent
    from tactica.agents.smfrl.agent import SMFRLGovernment, SMFRLHouseholds, load_learner
    from tactica.baselines.macro import BracketGovernment, FreeMarket, RuleHouseholds, SaezGovernment

    def rule(env):
        return RuleHouseholds(env.action_space("households"), calibration=env.calibration)

    def baseline(cls):
        return lambda env, k: (cls(action_space=env.action_space("government")), rule(env))

    learners: dict[int, Any] = {}

    def learner(k: int):
        if k not in learners:
            learners[k] = load_learner(run_dirs[k])
        return learners[k]

    def smfrl(env, k):
        return (
            SMFRLGovernment(env.action_space("government"), checkpoint=learner(k)),
            SMFRLHouseholds(env.action_space("households"), checkpoint=learner(k)),
        )

    def smfrl_rule(env, k):
        return SMFRLGovernment(env.action_space("government"), checkpoint=learner(k)), rule(env)

    rows = [
        ("free market", "hsv", baseline(FreeMarket)),
        ("US 2022 brackets", "brackets", baseline(BracketGovernment)),
        ("Saez formula", "brackets", baseline(SaezGovernment)),
        ("random", "hsv", baseline(RandomAgent)),
    ]
    if run_dirs:
        rows += [("SMFRL", "hsv", smfrl), ("SMFRL leader + rule households", "hsv", smfrl_rule)]
    return rows


def evaluate(
    run_dirs: list[Path], sizes: list[int], seeds: int, *, progress: bool = True, baselines: bool = True
) -> dict[str, Any]:
    """Summaries per (size, row): mean, std and per-seed values of every column (``baselines=False``: SMFRL rows only)."""
    from tactica.baselines.macro.rollout import run_episode
    from tactica.envs.macro.env import MacroSMFGEnv

    rows = _policies(run_dirs)
    if not baselines:
        rows = [row for row in rows if row[0].startswith("SMFRL")]
    results: dict[str, Any] = {}
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress()
        bar.start()
        task = bar.add_task("evaluating", total=len(sizes) * len(rows) * seeds)
    try:
        for n in sizes:
            for name, mode, maker in rows:
                per_seed = []
                for k in range(seeds):
                    env = MacroSMFGEnv(num_households=n, income_tax=mode)
                    government, households = maker(env, k)
                    per_seed.append(run_episode(env, government, households, seed=1000 + k))
                    if bar is not None:
                        bar.advance(task)
                summary = {}
                for key, _, _ in COLUMNS:
                    values = np.array([s[key] for s in per_seed], dtype=np.float64)
                    summary[key] = {
                        "mean": float(values.mean()),
                        "std": float(values.std()),
                        "values": values.tolist(),
                    }
                summary["terminations"] = [s["termination_reason"] for s in per_seed]
                results.setdefault(str(n), {})[name] = summary
    finally:
        if bar is not None:
            bar.stop()
    return results


def markdown_table(results: dict[str, Any]) -> str:
    """One Markdown table per size: mean ± std over seeds."""
    lines = []
    for n, rows in results.items():
        lines.append(
            f"**N = {int(n):,} households** (mean ± std over {len(next(iter(rows.values()))['years']['values'])} seeds)"
        )
        lines.append("")
        lines.append("| policy | " + " | ".join(title for _, title, _ in COLUMNS) + " |")
        lines.append("|---|" + "---|" * len(COLUMNS))
        for name, summary in rows.items():
            cells = [
                f"{fmt.format(summary[key]['mean'])} ± {fmt.format(summary[key]['std'])}"
                for key, _, fmt in COLUMNS
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate baselines and SMFRL runs on MacroSMFG-v1.")
    parser.add_argument(
        "--runs", type=Path, default=None, help="directory with seed<k>/checkpoint.pt SMFRL runs"
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON results here")
    parser.add_argument(
        "--merge", type=Path, default=None, help="add these rows to an earlier --out JSON file"
    )
    parser.add_argument("--no-baselines", action="store_true", help="evaluate the SMFRL rows only")
    args = parser.parse_args(argv)
    if args.seeds < 1 or any(n < 2 for n in args.sizes):
        parser.error("--seeds >= 1 and sizes >= 2 are required")
    run_dirs = []
    if args.runs is not None:
        run_dirs = [args.runs / f"seed{k}" for k in range(args.seeds)]
        missing = [str(d) for d in run_dirs if not (d / "checkpoint.pt").exists()]
        if missing:
            parser.error(f"missing SMFRL checkpoints: {missing}")
    results = evaluate(
        run_dirs, args.sizes, args.seeds, progress=not args.json, baselines=not args.no_baselines
    )
    if args.merge is not None:
        earlier = json.loads(args.merge.read_text())
        for size, rows in results.items():
            earlier.setdefault(size, {}).update(rows)
        results = earlier
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2) if args.json else markdown_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
