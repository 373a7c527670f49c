"""Sample efficiency of LLM-prior RL: CQL-Prior vs CQL offline, DQN-Prior vs DQN online, 5 seeds each.

    python benchmarks/llm_prior.py run --setting frozenlake          # offline and online runs, resumable
    python benchmarks/llm_prior.py run --setting textsc2-1 --part offline
    python benchmarks/llm_prior.py report --img docs/img              # tables (Markdown) and plots

Every run writes one JSON result under ``--out`` (default ``runs/llm_prior``) and is skipped when its result
exists, so an interrupted sweep resumes.  Offline datasets are collected once per (setting, seed) by the uniform
behaviour policy, saved under ``--out/datasets``, and each dataset size is the first N transitions of that file.
Priors are the scripted expert prior ``expert:TASK?p=P`` at several qualities P (the expert's action with
probability P, otherwise a legal action uniformly); a language-model prior is one more entry of ``PRIORS``
(``--prior SPEC``).  Start it with ``nice -n 10`` and ``OMP_NUM_THREADS=1``: the runs are single-threaded.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Setting:
    """One environment configuration of the sweep and the budgets both agents get."""

    name: str
    env_id: str
    env_kwargs: dict[str, Any]
    task: str  # the expert prior's task
    priors: tuple[float, ...]  # expert-prior qualities p
    sizes: tuple[int, ...]  # offline dataset sizes
    target: float  # the stated return (success / win rate) to reach
    target_metric: str  # "eval_success"
    offline: dict[str, Any] = field(default_factory=dict)  # cql_prior.Args overrides
    online: dict[str, Any] = field(default_factory=dict)  # dqn_prior.Args overrides
    ppo: dict[str, Any] = field(default_factory=dict)  # ppo_prior.Args overrides
    alphas: tuple[float, ...] = (0.1,)  # posterior temperatures of the prior agents (0.1: the reference's 10)


_SC2 = {"step_loops": 64, "reward": "shaped"}
SETTINGS = {
    "frozenlake": Setting(
        "frozenlake",
        "FrozenLakeText-v0",
        {},
        "frozenlake",
        (0.0, 0.25, 0.5),
        (30, 100, 300, 1000, 3000, 10000),
        1.0,
        "eval_success",
        offline={"gradient_steps": 2000, "eval_every": 2000, "eval_episodes": 1, "gamma": 0.9},
        online={"samples": 3000, "eval_every": 250, "eval_episodes": 1, "gamma": 0.9},
        ppo={"samples": 3000, "eval_every": 250, "eval_episodes": 1, "gamma": 0.9},
        alphas=(0.1, 0.01),
    ),  # fmt: skip
    **{
        f"textsc2-{level}": Setting(
            f"textsc2-{level}",
            "TextSC2-v1",
            {"difficulty": level, **_SC2},
            "textsc2",
            (0.5,),
            (300, 1000, 3000, 10000),
            1.0,  # every evaluation game won: the uniform prior alone won 9/10, 7/10 at levels 1, 2
            "eval_success",
            offline={
                "gradient_steps": 2000,
                "eval_every": 2000,
                "eval_episodes": 10,
                "gamma": 0.99,
                "reward_scale": 0.01,
            },
            online={
                "samples": 6000,
                "eval_every": 1500,
                "eval_episodes": 5,
                "gamma": 0.99,
                "reward_scale": 0.01,
                "train_frequency": 4,
                "learning_starts": 300,
            },
            ppo={"samples": 6000, "eval_every": 1500, "eval_episodes": 5, "reward_scale": 0.01},
        )  # fmt: skip
        for level in (1, 2)
    },
}


def prior_spec(setting: Setting, p: float) -> str:
    return f"expert:{setting.task}?p={p:g}"


def dataset_path(out: Path, setting: Setting, seed: int) -> Path:
    return out / "datasets" / f"{setting.name}-uniform-seed{seed}-{max(setting.sizes)}.npz"


def ensure_dataset(out: Path, setting: Setting, seed: int) -> Path:
    from tactica.agents.llm_prior.common import make_env
    from tactica.agents.llm_prior.data import collect
    from tactica.agents.llm_prior.views import view_for_env

    path = dataset_path(out, setting, seed)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        env = make_env(setting.env_id, setting.env_kwargs)
        view = view_for_env(env)
        env.close()
        started = time.process_time()
        dataset = collect(setting.env_id, setting.env_kwargs, view, max(setting.sizes), seed=seed)
        dataset.save(path)
        print(
            f"dataset {path.name}: {dataset.meta['episodes']} episodes, {time.process_time() - started:.0f} CPU-s"
        )
    return path


def _save(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")


def agents(setting: Setting, priors: list[str | None], base: str) -> list[tuple[str | None, float, str]]:
    """``(prior, alpha, label)`` of the baseline and of each prior agent at each alpha of the setting."""
    out: list[tuple[str | None, float, str]] = []
    for spec in priors:
        if spec is None:
            out.append((None, setting.alphas[0], base))
            continue
        for alpha in setting.alphas:
            extra = f", alpha={alpha:g}" if len(setting.alphas) > 1 else ""
            out.append((spec, alpha, f"{base}-prior[{spec}{extra}]"))
    return out


def run_offline(
    out: Path, setting: Setting, priors: list[str | None], seeds: tuple[int, ...] = SEEDS
) -> None:
    """Every (dataset size, agent) of one seed in one batched training (``cql_prior.train_many``)."""
    from tactica.agents.llm_prior import cql_prior

    for seed in seeds:
        data = ensure_dataset(out, setting, seed)
        for spec in priors:
            if spec is not None:
                prior_alone(out, setting, spec, seed)
        todo: list[tuple[Path, str, Any]] = []
        for size in setting.sizes:
            for spec, alpha, label in agents(setting, priors, "cql"):
                target = out / "results" / setting.name / "offline" / f"{label}-n{size}-seed{seed}.json"
                if not target.is_file():
                    args = cql_prior.Args(
                        env_id=setting.env_id, env_kwargs=setting.env_kwargs, prior=spec, samples=size,
                        dataset=str(data), seed=seed, alpha=alpha, **setting.offline,
                    )  # fmt: skip
                    todo.append((target, label, args))
        if not todo:
            continue
        started = time.process_time()
        results = cql_prior.train_many([args for _, _, args in todo])
        for (target, label, _), result in zip(todo, results):
            result["label"] = label
            result["batched_runs"] = len(todo)
            _save(target, result)
            print(f"{setting.name} offline {label} n={result['samples']} seed={seed}: success "
                  f"{result['eval_success']} llm calls {result['llm_calls']}", flush=True)  # fmt: skip
        print(
            f"{setting.name} offline seed {seed}: {len(todo)} runs in {time.process_time() - started:.0f} CPU-s",
            flush=True,
        )


def prior_alone(out: Path, setting: Setting, spec: str, seed: int) -> None:
    """The prior by itself (Q = 0: its most proposed action), zero samples: the reference row of the table."""
    from tactica.agents.llm_prior.common import PosteriorPolicy, evaluate, make_env
    from tactica.agents.llm_prior.prior import ActionPrior, PriorSampling
    from tactica.agents.llm_prior.views import view_for_env

    target = out / "results" / setting.name / "offline" / f"prior-alone[{spec}]-n0-seed{seed}.json"
    if target.is_file():
        return
    env = make_env(setting.env_id, setting.env_kwargs)
    view = view_for_env(env)
    env.close()
    prior = ActionPrior(spec, view.instruction, view.action_names, PriorSampling(seed=1000 * seed))
    policy = PosteriorPolicy(view, None, prior)
    rng = np.random.default_rng(0)
    episodes = setting.offline.get("eval_episodes", 5)
    started = time.process_time()
    result = evaluate(
        setting.env_id, setting.env_kwargs, lambda o, i: policy.act(o, i, rng, greedy=True), episodes, 10_000
    )
    _save(target, {
        "label": f"prior-alone[{spec}]", "agent": "prior-alone", "prior": spec, "seed": seed, "samples": 0,
        "eval_return": result["mean_return"], "eval_success": result.get("success_rate"),
        "llm_calls": prior.calls, "cpu_seconds": time.process_time() - started,
    })  # fmt: skip


def run_online(
    out: Path, setting: Setting, priors: list[str | None], with_extras: bool, seeds: tuple[int, ...] = SEEDS
) -> None:
    from tactica.agents.llm_prior import dqn_prior, ppo_prior

    for seed in seeds:
        jobs: list[tuple[str, Any, Any]] = []
        for spec, alpha, label in agents(setting, priors, "dqn"):
            jobs.append((label, dqn_prior, dqn_prior.Args(
                env_id=setting.env_id, env_kwargs=setting.env_kwargs, prior=spec, seed=seed, alpha=alpha,
                **setting.online)))  # fmt: skip
        if with_extras:
            best = prior_spec(setting, 0.5)
            jobs.append((f"dqn-prior-exact[{best}]", dqn_prior, dqn_prior.Args(
                env_id=setting.env_id, env_kwargs=setting.env_kwargs, prior=best, mode="exact", seed=seed,
                alpha=setting.alphas[0], **setting.online)))  # fmt: skip
            jobs.append((f"ppo-prior[{best}]", ppo_prior, ppo_prior.Args(
                env_id=setting.env_id, env_kwargs=setting.env_kwargs, prior=best, seed=seed, **setting.ppo)))  # fmt: skip
        for label, module, args in jobs:
            target = out / "results" / setting.name / "online" / f"{label}-seed{seed}.json"
            if target.is_file():
                continue
            result = module.train(args)
            result["label"] = label
            _save(target, result)
            print(f"{setting.name} online {label} seed={seed}: final {result['eval_return']:.3f} "
                  f"llm calls {result['llm_calls']} ({result['cpu_seconds']:.0f} CPU-s)", flush=True)  # fmt: skip


# ------------------------------------------------------------------------------------------------- report
def _load(out: Path, setting: str, part: str) -> list[dict[str, Any]]:
    folder = out / "results" / setting / part
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def _mean_ci(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), float("nan")
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, float("nan")
    from scipy import stats

    half = float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))
    return mean, half


def _needed(rows: list[dict[str, Any]], sizes: tuple[int, ...], metric: str, target: float) -> int | None:
    """The smallest size from which every larger size of the grid reaches the target (None: never)."""
    reached = {r["samples"]: (r[metric] or 0) >= target for r in rows}
    needed = None
    for n in sorted(sizes, reverse=True):
        if not reached.get(n, False):
            break
        needed = n
    return needed


def offline_table(out: Path, setting: Setting) -> tuple[str, dict[str, Any]]:
    """Success per dataset size (mean ± 95% CI over seeds), the samples needed, and the LLM calls."""
    rows = [r for r in _load(out, setting.name, "offline") if r["samples"] > 0]
    labels = sorted({r["label"] for r in rows}, key=lambda s: (s != "cql", s))
    lines = [
        "| agent | " + " | ".join(f"N={n}" for n in setting.sizes)
        + " | samples needed (median; seeds that reached) | LLM calls to label that dataset (mean) |",
        "|---|" + "---|" * len(setting.sizes) + "---|---|",
    ]  # fmt: skip
    costs = [
        "| agent | " + " | ".join(f"N={n}" for n in setting.sizes) + " |",
        "|---|" + "---|" * len(setting.sizes),
    ]
    returns = list(costs)
    needed: dict[str, Any] = {}
    for label in labels:
        cells, cost_cells, return_cells = [], [], []
        for n in setting.sizes:
            results = [r for r in rows if r["label"] == label and r["samples"] == n]
            mean, half = _mean_ci([r[setting.target_metric] for r in results])
            cells.append(
                f"{mean:.2f}" + ("" if math.isnan(half) else f" ± {half:.2f}") + f" ({len(results)})"
            )
            mean_return, return_half = _mean_ci([r["eval_return"] for r in results])
            return_cells.append(
                f"{mean_return:.2f}" + ("" if math.isnan(return_half) else f" ± {return_half:.2f}")
            )
            if results:
                dataset_calls = np.mean([r.get("llm_calls_dataset", 0) for r in results])
                eval_calls = np.mean([r["llm_calls"] - r.get("llm_calls_dataset", 0) for r in results])
                cost_cells.append(f"{dataset_calls:.0f} + {eval_calls:.0f}")
            else:
                cost_cells.append("-")
        # seeds with every dataset size of the grid done
        seeds = [
            s
            for s in SEEDS
            if {r["samples"] for r in rows if r["label"] == label and r["seed"] == s} >= set(setting.sizes)
        ]
        per_seed = [
            _needed([r for r in rows if r["label"] == label and r["seed"] == seed], setting.sizes,
                    setting.target_metric, setting.target)
            for seed in seeds
        ]  # fmt: skip
        hits = [n for n in per_seed if n is not None]
        # the median over the seeds, a seed that never reached counting as beyond the largest size
        ordered = sorted(n if n is not None else math.inf for n in per_seed) or [math.inf]
        median = ordered[len(ordered) // 2]
        needed[label] = {"per_seed": per_seed, "median": None if math.isinf(median) else median}
        at = [r.get("llm_calls_dataset", 0) for r in rows if r["label"] == label and r["samples"] == median]
        median_text = f"> {max(setting.sizes)}" if math.isinf(median) else f"{median}"
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {median_text} ({len(hits)}/{len(seeds)}) | "
            + (f"{np.mean(at):.0f}" if at else "-") + " |"
        )  # fmt: skip
        costs.append(f"| {label} | " + " | ".join(cost_cells) + " |")
        returns.append(f"| {label} | " + " | ".join(return_cells) + " |")
    alone = [r for r in _load(out, setting.name, "offline") if r["samples"] == 0]
    prior_lines = [
        "| prior alone (no samples, Q = 0) | success / win rate | return | LLM calls (evaluation) |",
        "|---|---|---|---|",
    ]
    for label in sorted({r["label"] for r in alone}):
        results = [r for r in alone if r["label"] == label]
        mean, half = _mean_ci([r[setting.target_metric] for r in results])
        mean_return, return_half = _mean_ci([r["eval_return"] for r in results])
        prior_lines.append(
            f"| {label} | {mean:.2f} ± {half:.2f} ({len(results)} seeds) | {mean_return:.2f} ± {return_half:.2f} | "
            f"{np.mean([r['llm_calls'] for r in results]):.0f} |"
        )
    text = (
        "\n".join(lines)
        + "\n\nEvaluation return (mean ± 95% CI over seeds):\n\n"
        + "\n".join(returns)
        + "\n\nLLM calls (labelling the dataset + evaluation), mean over seeds:\n\n"
        + "\n".join(costs)
    )
    text += "\n\n" + "\n".join(prior_lines)
    return text, needed


def online_table(out: Path, setting: Setting) -> tuple[str, dict[str, list]]:
    rows = _load(out, setting.name, "online")
    labels = sorted({r["label"] for r in rows}, key=lambda s: (s != "dqn", s))
    curves: dict[str, list] = {}
    steps = None
    lines = []
    for label in labels:
        results = [r for r in rows if r["label"] == label]
        steps = [s for s, _ in results[0]["curve"]]
        matrix = np.array([[v for _, v in r["curve"]] for r in results if len(r["curve"]) == len(steps)])
        curves[label] = [steps, matrix]
        auc = matrix.mean(axis=1)
        mean_auc, half = _mean_ci(list(auc))
        final, final_half = _mean_ci(list(matrix[:, -1]))
        first = [next((s for s, v in zip(steps, row) if v >= setting.target), None) for row in matrix]
        reached = [f for f in first if f is not None]
        calls = np.mean([r["llm_calls_training"] for r in results])
        lines.append(
            f"| {label} | {len(results)} | {final:.2f} ± {final_half:.2f} | {mean_auc:.2f} ± {half:.2f} | "
            f"{'-' if not reached else int(np.median(reached))} ({len(reached)}/{len(results)}) | {calls:.0f} |"
        )
    header = [
        f"| agent | seeds | final return | mean return over the curve | env steps to first reach {setting.target:g} (median; seeds) | LLM calls in training (mean) |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    return "\n".join(header + lines), curves


def plot_curves(curves: dict[str, list], title: str, path: Path, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, (steps, matrix) in curves.items():
        mean = matrix.mean(axis=0)
        sem = matrix.std(axis=0, ddof=1) / math.sqrt(len(matrix)) if len(matrix) > 1 else np.zeros_like(mean)
        ax.plot(steps, mean, marker="o", markersize=3, label=f"{label} ({len(matrix)} seeds)")
        ax.fill_between(steps, mean - sem, mean + sem, alpha=0.15)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_offline(out: Path, setting: Setting, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in _load(out, setting.name, "offline") if r["samples"] > 0]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label in sorted({r["label"] for r in rows}, key=lambda s: (s != "cql", s)):
        means, halves = [], []
        for n in setting.sizes:
            mean, half = _mean_ci(
                [r[setting.target_metric] for r in rows if r["label"] == label and r["samples"] == n]
            )
            means.append(mean)
            halves.append(0.0 if math.isnan(half) else half)
        ax.errorbar(setting.sizes, means, yerr=halves, marker="o", markersize=3, capsize=2, label=label)
    ax.axhline(setting.target, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("offline dataset size (transitions)")
    ax.set_ylabel("success rate" if setting.task == "frozenlake" else "win rate")
    ax.set_title(
        f"{setting.env_id} {setting.env_kwargs or ''}: CQL-Prior vs CQL, 5 seeds (95% CI)", fontsize=8
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(out: Path, img: Path | None) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        offline, needed = offline_table(out, setting)
        online, curves = online_table(out, setting)
        print(f"\n### {name}: offline ({setting.target_metric} >= {setting.target:g})\n\n{offline}")
        print(f"\n### {name}: online\n\n{online}")
        summary[name] = {"needed": needed}
        if img is not None and curves:
            img.mkdir(parents=True, exist_ok=True)
            plot_curves(curves, f"{setting.env_id} {setting.env_kwargs or ''}: online, mean ± s.e.", img / f"llm_prior_online_{name}.png",
                        "evaluation return")  # fmt: skip
        if img is not None and _load(out, name, "offline"):
            plot_offline(out, setting, img / f"llm_prior_offline_{name}.png")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--setting", choices=sorted(SETTINGS), required=True)
    run.add_argument("--part", choices=["offline", "online", "both"], default="both")
    run.add_argument("--prior", action="append", default=[], help="extra prior spec (e.g. a language model)")
    run.add_argument(
        "--no-extras", action="store_true", help="online: skip the exact-posterior and PPO-Prior runs"
    )
    run.add_argument(
        "--alphas",
        type=float,
        nargs="+",
        default=None,
        help="posterior temperatures (default: the setting's)",
    )
    run.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="seeds to run (default 0-4)")
    run.add_argument("--out", default="runs/llm_prior")
    rep = sub.add_parser("report")
    rep.add_argument("--out", default="runs/llm_prior")
    rep.add_argument("--img", default=None)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    if args.command == "report":
        report(out, Path(args.img) if args.img else None)
        return 0
    setting = SETTINGS[args.setting]
    if args.alphas:
        setting = replace(setting, alphas=tuple(args.alphas))
    priors: list[str | None] = [None] + [prior_spec(setting, p) for p in setting.priors] + list(args.prior)
    if args.part in ("offline", "both"):
        run_offline(out, setting, priors, tuple(args.seeds))
    if args.part in ("online", "both"):
        run_online(out, setting, priors, with_extras=not args.no_extras, seeds=tuple(args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
