"""Reward versus sequential-KL frontier of DPO, TDPO1 and TDPO2 on the controlled-sentiment task.

The IMDb experiment of the TDPO paper (Zeng et al., ICML 2024, Fig. 2), rebuilt at CPU scale:

1. pre-train a small PLM on a synthetic review corpus with tactica's PLM trainer (``tactica train plm``'s code);
2. per seed, sample 4 continuations of each training prompt from it, score them with the task's sentiment
   scorer and pair the best with the worst (ties skipped);
3. train DPO, TDPO1 and TDPO2 at several betas from the same start on the same pairs, and every
   ``--eval-every`` steps sample one continuation per held-out prompt and measure the mean reward and the mean
   sequential KL ``sum_t KL(pi_ref || pi)`` of the samples (TDPO's D_SeqKL); the sample-based sequence KL
   ``log pi(y) - log pi_ref(y)`` (the x axis of the DPO paper's frontier) is recorded too;
4. compare frontiers: per seed, the upper envelope of (KL, reward) points of each loss over its betas and
   checkpoints, read at fixed KL values; the script prints mean differences with 95% t-intervals over seeds.

    OMP_NUM_THREADS=1 nice -n 10 python examples/alignment_frontier.py --out runs/frontier

writes ``results.json`` and ``frontier.png`` in ``--out`` (``--plot`` copies the figure elsewhere).
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
from tactica.llm.alignment import PreferenceConfig, PreferenceTrainer, load_causal_lm
from tactica.llm.alignment.data import EncodedPair
from tactica.llm.alignment.generation import generate
from tactica.llm.alignment.scoring import score_responses
from tactica.llm.alignment.tasks.sentiment import review_corpus, review_prompts, sentiment_score

LOSSES = ("dpo", "tdpo1", "tdpo2")


def pretrain(out: Path, args) -> Path:
    """A small PLM trained on the review corpus (reused when already there)."""
    from tactica.llm.plm.train import TrainConfig, train

    checkpoint = out / "base" / "checkpoint"
    if (out / "base" / "summary.json").is_file():
        return checkpoint
    corpus = out / "reviews.jsonl"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    docs = review_corpus(args.corpus_reviews, seed=0)
    corpus.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs), encoding="utf-8")
    config = TrainConfig(
        out_dir=str(out / "base"), data=str(corpus), vocab_size=512, preset="tiny", seq_len=64, batch_size=32,
        steps=args.pretrain_steps, lr=3e-3, eval_every=200, save_every=10_000, evaluate_quantized=False, threads=1,
    )  # fmt: skip
    summary = train(config, progress=False)
    print(f"pre-trained: held-out loss {summary['heldout_loss']:.3f} ({summary['parameters']} parameters)")
    return checkpoint


def make_pairs(lm, prompts: list[str], samples: int, seed: int, max_new_tokens: int) -> tuple[list, dict]:
    """Best-versus-worst pairs among ``samples`` continuations per prompt, as token ids."""
    prompt_ids = [lm.tokenizer.encode_text(p) for p in prompts]
    drawn = generate(lm, [ids for ids in prompt_ids for _ in range(samples)], max_new_tokens=max_new_tokens,
                     temperature=1.0, seed=seed, batch_size=256)  # fmt: skip
    pairs, gaps = [], []
    for i, (prompt, ids) in enumerate(zip(prompts, prompt_ids)):
        group = drawn[i * samples : (i + 1) * samples]
        scores = [sentiment_score(prompt + lm.tokenizer.decode(s.ids)) for s in group]
        best, worst = int(np.argmax(scores)), int(np.argmin(scores))
        if scores[best] == scores[worst]:
            continue
        pairs.append(EncodedPair(ids, group[best].with_end(), group[worst].with_end()))
        gaps.append(scores[best] - scores[worst])
    base_reward = float(np.mean([sentiment_score(p + lm.tokenizer.decode(s.ids)) for p, s in
                                 zip([p for p in prompts for _ in range(samples)], drawn)]))  # fmt: skip
    return pairs, {"pairs": len(pairs), "mean_gap": float(np.mean(gaps)), "sample_reward": base_reward}


def evaluate(policy, reference, prompts: list[str], seed: int, max_new_tokens: int) -> dict:
    prompt_ids = [policy.tokenizer.encode_text(p) for p in prompts]
    samples = generate(policy, prompt_ids, max_new_tokens=max_new_tokens, temperature=1.0, seed=seed,
                       batch_size=256)  # fmt: skip
    rewards = [sentiment_score(p + policy.tokenizer.decode(s.ids)) for p, s in zip(prompts, samples)]
    stats = score_responses(policy, reference, [(p, s.with_end()) for p, s in zip(prompt_ids, samples)],
                            batch_size=256)  # fmt: skip
    return {
        "reward": float(np.mean(rewards)),
        "seq_kl": float(stats["kl"].mean()),
        "sample_kl": float((stats["logps"] - stats["ref_logps"]).mean()),
        "length": float(stats["tokens"].mean()),
    }


def run_one(base: Path, pairs, eval_prompts, loss: str, beta: float, seed: int, args) -> list[dict]:
    policy = load_causal_lm(base)
    torch.manual_seed(seed)
    config = PreferenceConfig(
        loss=loss, beta=beta, alpha=args.alpha, lr=args.lr, optimizer="adamw", warmup=10, batch_size=args.batch_size,
        epochs=args.epochs, grad_clip=10.0, seed=seed, device="cpu",
    )  # fmt: skip
    trainer = PreferenceTrainer(policy, config)
    points = [
        {"step": 0} | evaluate(policy, trainer.reference, eval_prompts, 10_000 + seed, args.max_new_tokens)
    ]

    def on_step(t: PreferenceTrainer) -> None:
        if t.step % args.eval_every == 0:
            point = evaluate(policy, t.reference, eval_prompts, 10_000 + seed + t.step, args.max_new_tokens)
            points.append({"step": t.step} | point)

    records = trainer.fit(pairs, on_step=on_step)
    total = trainer.step
    if points[-1]["step"] != total:
        points.append({"step": total} | evaluate(policy, trainer.reference, eval_prompts, 10_000 + seed + total,
                                                 args.max_new_tokens))  # fmt: skip
    last = [r for r in records if r["kind"] == "train"][-1]
    for p in points:
        p["train_accuracy"] = last["accuracy"] if p["step"] == total else None
    return points


def envelope_at(points: list[tuple[float, float]], grid: np.ndarray) -> np.ndarray:
    """The upper envelope of (kl, reward) points, read at ``grid`` by linear interpolation of the running best
    reward over increasing KL (NaN beyond the largest KL reached)."""
    pts = sorted(points)
    xs, best, ys = [], -math.inf, []
    for x, y in pts:
        best = max(best, y)
        xs.append(x)
        ys.append(best)
    out = np.interp(grid, xs, ys)
    out[grid > xs[-1]] = np.nan
    return out


def t_interval(values) -> tuple[float, float]:
    """Mean and half-width of the 95% Student-t interval (NaN values, e.g. a KL a run never reached, dropped)."""
    stat = Stat.of([v for v in values if not math.isnan(v)])
    return stat.mean, stat.half_width


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"dpo": "tab:blue", "tdpo1": "tab:orange", "tdpo2": "tab:green"}
    runs = results["runs"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for ax, key, label in ((axes[0], "seq_kl", "sequential KL  sum_t KL(pi_ref || pi)  (TDPO)"),
                           (axes[2], "sample_kl", "sequence KL  E[log pi(y) - log pi_ref(y)]  (DPO)")):  # fmt: skip
        for loss in LOSSES:
            pts = [
                (p[key], p["reward"])
                for run in runs
                if run["loss"] == loss
                for p in run["points"]
                if p["step"] > 0
            ]
            if not pts:
                continue
            xs, ys = zip(*pts)
            ax.scatter(xs, ys, s=9, alpha=0.35, color=colors[loss])
            grid = np.linspace(0, max(xs), 80)
            ax.plot(
                grid,
                envelope_at(pts, grid),
                color=colors[loss],
                label=f"{loss.upper()} (envelope of all runs)",
            )
        ax.set_xlabel(label)
        ax.set_ylabel("mean sentiment reward")
        ax.legend(loc="lower right", fontsize=8)
    # the comparison the summary makes: per-seed envelopes, mean and 95% interval, within the common KL range
    ax = axes[1]
    top = results["summary"]["common_kl_range"]
    grid = np.linspace(0.05, top, 40)
    seeds = sorted({r["seed"] for r in runs})
    for loss in LOSSES:
        curves = []
        for seed in seeds:
            pts = [(p["seq_kl"], p["reward"]) for r in runs if r["loss"] == loss and r["seed"] == seed
                   for p in r["points"] if p["step"] > 0]  # fmt: skip
            curves.append(envelope_at(pts, grid))
        stats = [t_interval(list(column)) for column in np.array(curves).T]
        mean = np.array([m for m, _ in stats])
        half = np.nan_to_num(np.array([h for _, h in stats]))
        ax.plot(grid, mean, color=colors[loss], label=loss.upper())
        ax.fill_between(grid, mean - half, mean + half, color=colors[loss], alpha=0.15)
    ax.set_xlabel("sequential KL (common range of all losses and seeds)")
    ax.set_ylabel("reward on the per-seed envelope")
    ax.set_title(f"mean over {len(seeds)} seeds, 95% t-interval", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("Controlled sentiment: reward vs KL of DPO, TDPO1, TDPO2 (betas "
                 + ", ".join(str(b) for b in results["betas"]) + "; points: every beta, seed and checkpoint)")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarise(results: dict) -> dict:
    runs = results["runs"]
    seeds = sorted({r["seed"] for r in runs})
    table = []
    for loss in LOSSES:
        for beta in results["betas"]:
            finals = [r["points"][-1] for r in runs if r["loss"] == loss and r["beta"] == beta]
            if not finals:
                continue
            row = {"loss": loss, "beta": beta}
            for key in ("reward", "seq_kl", "sample_kl"):
                row[key], row[key + "_ci95"] = t_interval([f[key] for f in finals])
            table.append(row)
    # frontier comparison at fixed KL values, per seed
    all_kl = [p["seq_kl"] for r in runs for p in r["points"] if p["step"] > 0]
    reach = {loss: [] for loss in LOSSES}
    per_seed = {loss: {} for loss in LOSSES}
    for loss in LOSSES:
        for seed in seeds:
            pts = [(p["seq_kl"], p["reward"]) for r in runs if r["loss"] == loss and r["seed"] == seed
                   for p in r["points"] if p["step"] > 0]  # fmt: skip
            if pts:
                per_seed[loss][seed] = pts
                reach[loss].append(max(x for x, _ in pts))
    common = min(min(v) for v in reach.values() if v)
    grid = np.quantile([k for k in all_kl if k <= common], [0.25, 0.5, 0.75, 1.0]) if all_kl else np.array([])
    comparison = []
    for kl in grid:
        row = {"seq_kl": float(kl)}
        values = {
            loss: [float(envelope_at(per_seed[loss][s], np.array([kl]))[0]) for s in seeds] for loss in LOSSES
        }
        for loss in LOSSES:
            row[loss], row[loss + "_ci95"] = t_interval(values[loss])
        for a, b in (("tdpo2", "dpo"), ("tdpo1", "dpo"), ("tdpo2", "tdpo1")):
            row[f"{a}-{b}"], row[f"{a}-{b}_ci95"] = t_interval([x - y for x, y in zip(values[a], values[b])])
        comparison.append(row)
    return {"final": table, "frontier": comparison, "common_kl_range": float(common)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="runs/frontier")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.05, 0.1, 0.3, 1.0])
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--train-prompts", type=int, default=800)
    parser.add_argument("--eval-prompts", type=int, default=256)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--corpus-reviews", type=int, default=6000)
    parser.add_argument("--pretrain-steps", type=int, default=600)
    parser.add_argument("--plot", help="also copy the figure here (e.g. docs/img/alignment_frontier.png)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.process_time()
    base = pretrain(out, args)
    base_lm = load_causal_lm(base)
    eval_prompts = review_prompts(args.eval_prompts, seed=999)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {"runs": [], "pairs": {}}
    results.update({"betas": args.betas, "args": vars(args)})
    done = {(r["loss"], r["beta"], r["seed"]) for r in results["runs"]}
    for seed in args.seeds:
        if all((loss, beta, seed) in done for loss in LOSSES for beta in args.betas):
            continue
        train_prompts = review_prompts(args.train_prompts, seed=100 + seed)
        pairs, info = make_pairs(base_lm, train_prompts, args.samples, seed, args.max_new_tokens)
        results["pairs"][str(seed)] = info
        print(f"seed {seed}: {info}", flush=True)
        for beta in args.betas:
            for loss in LOSSES:
                if (loss, beta, seed) in done:
                    continue
                t0 = time.process_time()
                points = run_one(base, pairs, eval_prompts, loss, beta, seed, args)
                results["runs"].append({"loss": loss, "beta": beta, "seed": seed, "points": points,
                                        "cpu_seconds": time.process_time() - t0})  # fmt: skip
                final = points[-1]
                print(f"  {loss:5s} beta {beta:<5} seed {seed}: reward {final['reward']:.3f} seq KL "
                      f"{final['seq_kl']:.2f} ({time.process_time() - t0:.0f} CPU s)", flush=True)  # fmt: skip
                results_path.write_text(json.dumps(results, indent=1))
    results["summary"] = summarise(results)
    results["cpu_seconds_this_call"] = time.process_time() - started
    results_path.write_text(json.dumps(results, indent=1))
    plot(results, out / "frontier.png")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "frontier.png", args.plot)
    print(json.dumps(results["summary"], indent=1))


if __name__ == "__main__":
    main()
