"""CQL-Prior (offline) and its baseline, discrete CQL over the full action space, in one readable file.

CQL-Prior (Yan et al., ICLR 2025; ``value-based/CQL_overcook_salad.py`` of ``yanxue7/RL-LLM-Prior``) learns
Q from a fixed dataset with

    L = 0.5 * (Q(s, a) - y)^2 + cql_coef * (logsumexp_{a' in proposals(s)} Q(s, a') - Q(s, a)),
    y = r + gamma * (1 - terminated) * max_{a' in proposals(s')} Q_target(s', a'),

so both the conservative term and the backup run over the language model's k proposals, and it acts by the
posterior over the proposals (evaluation: its mode).  The baseline (``--agent cql``) is the same code with the
support set to every legal action: discrete CQL (Kumar et al., 2020) with the same network and budget.

Reference hyperparameters: the script's defaults are ``--cql_coef 0.1 --gamma 0.9 --mse_type mean``, soft
target updates with tau 0.005, gradient-norm clip 1.0; its README's CQL-Prior run uses ``--cql_coef 5.0 --gamma
0.99 --mse_type sum --lr 5e-4 --batch 128``.  ``Args`` takes the script's defaults, with a faster target
update (tau 0.02) for the short CPU budgets here.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.agents.llm_prior.common import (
    PosteriorPolicy,
    QNetwork,
    RunFolder,
    checkpoint_meta,
    evaluate,
    make_env,
    make_prior,
    progress_bar,
    save_checkpoint,
    seed_everything,
)
from tactica.agents.llm_prior.data import OfflineDataset, collect, file_digest
from tactica.agents.llm_prior.posterior import cql_prior_loss, max_backup
from tactica.agents.llm_prior.prior import PriorSampling
from tactica.agents.llm_prior.views import view_for_env

__all__ = ["Args", "train"]


@dataclass
class Args:
    env_id: str = "FrozenLakeText-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    prior: str | None = "expert:frozenlake?p=0.5"
    """the prior's ChatModel spec; None trains the baseline (CQL over every legal action)"""
    samples: int = 1000
    """dataset size (transitions)"""
    dataset: str | None = None
    """an existing dataset file (its first ``samples`` transitions); None collects one"""
    behaviour: str = "uniform"
    seed: int = 0
    """seeds the dataset (when collected), the network and the evaluation"""
    k: int = 5
    temperature: float = 1.0
    alpha: float = 0.1
    cql_coef: float = 0.1
    mse_reduction: str = "mean"
    gamma: float = 0.9
    learning_rate: float = 5e-4
    batch_size: int = 64
    gradient_steps: int = 2000
    tau: float = 0.02
    max_grad_norm: float = 1.0
    reward_scale: float = 1.0
    hidden: tuple[int, ...] = (64, 64)
    feature_dim: int = 512
    eval_every: int = 500
    eval_episodes: int = 5
    eval_seed: int = 10_000
    run_dir: str | None = None


def supports(dataset: OfflineDataset, policy: PosteriorPolicy) -> tuple[np.ndarray, np.ndarray]:
    """Log-weights of every transition's state and next state (the prior is asked once per distinct state)."""
    memo: dict[tuple[int, bytes], np.ndarray] = {}

    def of(text_id: int, legal: np.ndarray) -> np.ndarray:
        key = (int(text_id), legal.tobytes())
        if key not in memo:
            memo[key] = policy.log_prior_of(dataset.texts[int(text_id)], legal)
        return memo[key]

    now = np.stack([of(t, legal) for t, legal in zip(dataset.text_index, dataset.legal)])
    after = np.stack(
        [
            of(t, legal) if not done else np.full(len(legal), -np.inf)
            for t, legal, done in zip(dataset.next_text_index, dataset.next_legal, dataset.terminated)
        ]
    )
    return now.astype(np.float32), after.astype(np.float32)


def train(args: Args, *, progress: bool = False) -> dict[str, Any]:
    torch.set_num_threads(1)
    rng = seed_everything(args.seed)
    run = RunFolder(Path(args.run_dir)) if args.run_dir else None
    env = make_env(args.env_id, args.env_kwargs)
    view = view_for_env(env, feature_dim=args.feature_dim)
    env.close()
    start = time.process_time()

    # --- the dataset: a file, or collected now and saved in the run folder
    if args.dataset is not None:
        full = OfflineDataset.load(args.dataset)
        if full.meta.get("env_id") != args.env_id or list(full.meta.get("action_names", [])) != list(
            view.action_names
        ):
            raise ValueError(
                f"dataset {args.dataset} was collected on {full.meta.get('env_id')}, not {args.env_id}"
            )
        dataset = full.head(args.samples)
    else:
        with progress_bar(args.samples, "collecting", progress) as advance:
            dataset = collect(
                args.env_id, args.env_kwargs, view, args.samples, behaviour=args.behaviour, seed=args.seed,
                advance=advance,
            )  # fmt: skip
        if run is not None:
            dataset.save(run.path / "dataset.npz")

    record = None if run is None or args.prior is None else run.path / "prior_transcript.jsonl"
    prior = make_prior(
        args.prior, view, PriorSampling(args.k, args.temperature, seed=1000 * args.seed), record=record
    )
    policy = PosteriorPolicy(
        view, None, prior, alpha=args.alpha, mode="legal" if prior is None else "proposals"
    )
    log_w, next_log_w = supports(dataset, policy)
    dataset_llm_calls = prior.calls if prior is not None else 0

    q_network = QNetwork(view.feature_dim, view.num_actions, args.hidden)
    target_network = copy.deepcopy(q_network)
    optimizer = torch.optim.AdamW(q_network.parameters(), lr=args.learning_rate)
    policy.q_network = q_network
    tensors = {
        "features": torch.as_tensor(dataset.features),
        "next_features": torch.as_tensor(dataset.next_features),
        "actions": torch.as_tensor(dataset.actions),
        "rewards": torch.as_tensor(dataset.rewards * args.reward_scale),
        "not_done": torch.as_tensor(~dataset.terminated, dtype=torch.float32),
        "log_w": torch.as_tensor(log_w),
        "next_log_w": torch.as_tensor(next_log_w),
    }
    if run is not None:
        run.write_config(args)
    eval_rng = np.random.default_rng(args.eval_seed)

    def evaluation(step: int, loss: dict[str, float]) -> dict[str, Any]:
        q_network.eval()
        result = evaluate(
            args.env_id, args.env_kwargs, lambda o, i: policy.act(o, i, eval_rng, greedy=True),
            args.eval_episodes, args.eval_seed,
        )  # fmt: skip
        q_network.train()
        row = {
            "gradient_steps": step,
            "samples": len(dataset),
            "eval_return": result["mean_return"],
            "eval_success": result.get("success_rate"),
            "llm_calls": prior.calls if prior is not None else 0,
            **loss,
        }
        if run is not None:
            run.log(row)
        return row

    rows = []
    loss_values: dict[str, float] = {}
    with progress_bar(
        args.gradient_steps, f"{'cql-prior' if prior else 'cql'} on {args.env_id}", progress
    ) as advance:
        for step in range(1, args.gradient_steps + 1):
            batch = torch.as_tensor(rng.integers(len(dataset), size=args.batch_size))
            with torch.no_grad():
                next_q = target_network(tensors["next_features"][batch])
                targets = tensors["rewards"][batch] + args.gamma * tensors["not_done"][batch] * max_backup(
                    next_q, tensors["next_log_w"][batch]
                )
            losses = cql_prior_loss(
                q_network(tensors["features"][batch]), tensors["actions"][batch], targets,
                tensors["log_w"][batch], args.cql_coef, args.mse_reduction,
            )  # fmt: skip
            optimizer.zero_grad()
            losses["loss"].backward()
            torch.nn.utils.clip_grad_norm_(q_network.parameters(), args.max_grad_norm)
            optimizer.step()
            with torch.no_grad():
                for target, online in zip(target_network.parameters(), q_network.parameters()):
                    target.mul_(1.0 - args.tau).add_(args.tau * online)
            loss_values = {k: float(v.detach()) for k, v in losses.items()}
            if step % args.eval_every == 0 or step == args.gradient_steps:
                rows.append(evaluation(step, loss_values))
            advance(1)

    final = rows[-1]
    summary = {
        "agent": "cql-prior" if prior is not None else "cql",
        "env_id": args.env_id,
        "env_kwargs": args.env_kwargs,
        "prior": args.prior,
        "seed": args.seed,
        "samples": len(dataset),
        "behaviour": dataset.meta.get("behaviour"),
        "dataset_seed": dataset.meta.get("seed"),
        "gradient_steps": args.gradient_steps,
        "eval_return": final["eval_return"],
        "eval_success": final["eval_success"],
        "llm_calls_dataset": dataset_llm_calls,
        "llm_calls": prior.calls if prior is not None else 0,
        "prior_stats": prior.stats() if prior is not None else None,
        "cpu_seconds": time.process_time() - start,
    }
    if run is not None:
        meta = checkpoint_meta("q", view, args.hidden, agent=summary["agent"], alpha=args.alpha, k=args.k)
        save_checkpoint(run.path / "q.pt", q_network, meta)
        if args.dataset is None:
            summary["dataset_sha256"] = file_digest(run.path / "dataset.npz")
        run.write_summary(summary)
        run.plot("gradient_steps", f"{summary['agent']} on {args.env_id}, {len(dataset)} samples")
        summary["run_dir"] = str(run.path)
    return summary
