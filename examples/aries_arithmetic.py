"""ARIES versus iterative DPO on multi-step arithmetic, at CPU scale.

1. pre-train a small PLM on question/solution chats and refinement chats (a flawed previous answer corrected,
   or a right one repeated) with tactica's PLM trainer, so it can both answer and refine;
2. from that model, per seed, run three methods for ``--rounds`` rounds with the same number of samples per
   prompt (``refine_steps + 1``):
   * ARIES with rule-based selection (chosen = last refinement, rejected = initial answer, format rules),
   * ARIES with reward selection (the task's exact-answer verifier as the reward model),
   * iterative DPO (independent direct answers, verifier pairs best against worst, direct pairs only);
3. after every round, greedy direct accuracy and accuracy after ``refine_steps`` refinements on held-out
   problems; the script prints a table with 95% t-intervals over seeds.

    OMP_NUM_THREADS=1 nice -n 10 python examples/aries_arithmetic.py --out runs/aries

writes ``results.json`` and ``aries.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from tactica.leaderboard.report import Stat
from tactica.llm.alignment import PreferenceConfig, load_causal_lm
from tactica.llm.alignment.aries import AriesConfig, run_aries
from tactica.llm.alignment.tasks import arithmetic

METHODS = {
    "aries-rule": ("aries", "rule"),
    "aries-reward": ("aries", "reward"),
    "iterative-dpo": ("iterative_dpo", "reward"),
}


def pretrain(out: Path, args) -> Path:
    from tactica.llm.plm.train import TrainConfig, train

    checkpoint = out / "base" / "checkpoint"
    if (out / "base" / "summary.json").is_file():
        return checkpoint
    corpus = out / "chats.jsonl"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    chats = arithmetic.sft_chats(args.sft_chats, seed=0)
    corpus.write_text("".join(json.dumps({"messages": c}) + "\n" for c in chats), encoding="utf-8")
    config = TrainConfig(
        out_dir=str(out / "base"), data=str(corpus), vocab_size=512, preset="tiny", seq_len=128, batch_size=32,
        steps=args.pretrain_steps, lr=3e-3, eval_every=500, save_every=100_000, evaluate_quantized=False,
        threads=1, model_overrides={"num_hidden_layers": args.layers, "hidden_size": args.hidden,
                                    "intermediate_size": 4 * args.hidden},
    )  # fmt: skip
    summary = train(config, progress=False)
    print(f"pre-trained: held-out loss {summary['heldout_loss']:.3f} ({summary['parameters']} parameters)")
    return checkpoint


def t_interval(values) -> tuple[float, float]:
    """Mean and half-width of the 95% Student-t interval (NaN values, e.g. a KL a run never reached, dropped)."""
    stat = Stat.of([v for v in values if not math.isnan(v)])
    return stat.mean, stat.half_width


def run_method(base: Path, name: str, seed: int, train_problems, eval_problems, args) -> list[dict]:
    method, selection = METHODS[name]
    policy = load_causal_lm(base)
    torch.manual_seed(seed)
    config = AriesConfig(
        rounds=args.rounds, refine_steps=args.refine_steps, selection=selection, method=method,
        prompts_per_round=args.prompts_per_round, temperature=args.temperature, max_new_tokens=48, seed=seed,
        train=PreferenceConfig(loss=args.loss, beta=args.beta, lr=args.lr, optimizer="adamw", warmup=5,
                               batch_size=32, epochs=args.epochs, seed=seed, device="cpu",
                               sft_weight=args.sft_weight),
    )  # fmt: skip

    def reward(index: int, text: str) -> float:
        return arithmetic.verify(train_problems[index], text)

    def evaluate(model, k: int) -> dict:
        return arithmetic.evaluate(model, eval_problems, args.refine_steps, max_new_tokens=48)

    result = run_aries(
        policy,
        [p.messages for p in train_problems],
        config,
        reward_fn=reward,
        rule=arithmetic.well_formed,
        evaluate=evaluate,
    )
    return result.rounds


def summarise(results: dict, args) -> list[dict]:
    table = []
    for name in METHODS:
        runs = [r for r in results["runs"] if r["method"] == name]
        if not runs:
            continue
        for k in range(args.rounds + 1):
            rows = [r["rounds"][k] for r in runs if len(r["rounds"]) > k]
            row = {"method": name, "round": k, "seeds": len(rows)}
            for key in ("direct_accuracy", "refined_accuracy"):
                row[key], row[key + "_ci95"] = t_interval([x["eval"][key] for x in rows])
            if k > 0:
                row["pairs"] = float(np.mean([x["pairs"] for x in rows]))
                row["samples"] = rows[0]["samples"]
            table.append(row)
    return table


def plot(table: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, key, title in ((axes[0], "direct_accuracy", "direct answer"),
                           (axes[1], "refined_accuracy", "after refinement")):  # fmt: skip
        for name in METHODS:
            rows = [r for r in table if r["method"] == name]
            if not rows:
                continue
            xs = [r["round"] for r in rows]
            ys = [r[key] for r in rows]
            err = [0 if math.isnan(r[key + "_ci95"]) else r[key + "_ci95"] for r in rows]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=name)
        ax.set_xlabel("round")
        ax.set_title(title)
        ax.set_xticks(range(max(r["round"] for r in table) + 1))
    axes[0].set_ylabel("held-out accuracy (greedy)")
    axes[1].legend()
    fig.suptitle("ARIES vs iterative DPO on multi-step arithmetic (mean, 95% t-interval over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="runs/aries")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--refine-steps", type=int, default=2)
    parser.add_argument("--prompts-per-round", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--loss", default="dpo")
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--sft-weight",
        type=float,
        default=1.0,
        help="weight of the chosen answers' per-token NLL added to the loss (RPO); 0 = plain loss",
    )
    parser.add_argument("--eval-problems", type=int, default=300)
    parser.add_argument("--sft-chats", type=int, default=6000)
    parser.add_argument("--pretrain-steps", type=int, default=800)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=96)
    parser.add_argument("--plot", help="also copy the figure here (e.g. docs/img/aries_arithmetic.png)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.process_time()
    base = pretrain(out, args)
    eval_problems = arithmetic.make_problems(args.eval_problems, seed=999)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {"runs": []}
    results["args"] = vars(args)
    done = {(r["method"], r["seed"]) for r in results["runs"]}
    for seed in args.seeds:
        train_problems = arithmetic.make_problems(args.rounds * args.prompts_per_round, seed=100 + seed)
        for name in args.methods:
            if (name, seed) in done:
                continue
            t0 = time.process_time()
            rounds = run_method(base, name, seed, train_problems, eval_problems, args)
            results["runs"].append({"method": name, "seed": seed, "rounds": rounds,
                                    "cpu_seconds": time.process_time() - t0})  # fmt: skip
            line = " ".join(f"r{x['round']}: {x['eval']['direct_accuracy']:.3f}/{x['eval']['refined_accuracy']:.3f}"
                            for x in rounds)  # fmt: skip
            print(f"{name:14s} seed {seed}: {line} ({time.process_time() - t0:.0f} CPU s)", flush=True)
            results_path.write_text(json.dumps(results, indent=1))
    results["summary"] = summarise(results, args)
    results["cpu_seconds_this_call"] = time.process_time() - started
    results_path.write_text(json.dumps(results, indent=1))
    plot(results["summary"], out / "aries.png")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "aries.png", args.plot)
    for row in results["summary"]:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
