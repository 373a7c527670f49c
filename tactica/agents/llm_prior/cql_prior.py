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
    BaseArgs,
    PosteriorPolicy,
    QNetwork,
    RunFolder,
    StackedQ,
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
from tactica.agents.llm_prior.prior import ActionPrior
from tactica.agents.llm_prior.views import TextView, view_for_env

__all__ = ["Args", "SHARED", "supports", "train", "train_many"]


@dataclass
class Args(BaseArgs):
    samples: int = 1000
    """dataset size (transitions)"""
    dataset: str | None = None
    """an existing dataset file (its first ``samples`` transitions); None collects one"""
    behaviour: str = "uniform"
    gamma: float = 0.9
    cql_coef: float = 0.1
    mse_reduction: str = "mean"
    batch_size: int = 64
    gradient_steps: int = 2000
    tau: float = 0.02
    eval_every: int = 500


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


@dataclass
class _Run:
    """One run of a (possibly batched) training: its data, prior and bookkeeping."""

    args: Args
    folder: RunFolder | None
    dataset: OfflineDataset
    prior: ActionPrior | None
    policy: PosteriorPolicy
    source: str  # runs with one source share its transitions (prefixes of one dataset file)
    log_w: np.ndarray  # (N, A) the support of each state
    next_log_w: np.ndarray  # (N, A) and of each next state
    rng: np.random.Generator
    dataset_llm_calls: int
    started: float
    rows: list[dict[str, Any]] = field(default_factory=list)


# Arguments every run of one batched training must share (they shape the networks and the update).
SHARED = (
    "env_id", "env_kwargs", "hidden", "feature_dim", "gradient_steps", "batch_size", "learning_rate", "gamma",
    "tau", "max_grad_norm", "cql_coef", "mse_reduction", "eval_every",
)  # fmt: skip


def _prepare(args: Args, view: TextView, progress: bool, loaded: dict[str, OfflineDataset]) -> _Run:
    started = time.process_time()
    folder = RunFolder(Path(args.run_dir)) if args.run_dir else None
    # --- the dataset: a file (loaded once per batch of runs), or collected now and saved in the run folder
    if args.dataset is not None:
        source = str(Path(args.dataset).resolve())
        if source not in loaded:
            loaded[source] = OfflineDataset.load(args.dataset)
        full = loaded[source]
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
        if folder is not None:
            dataset.save(folder.path / "dataset.npz")
        source = f"collected:{id(dataset)}"
        loaded[source] = dataset
    record = None if folder is None or args.prior is None else folder.path / "prior_transcript.jsonl"
    prior = make_prior(args.prior, view, args.sampling(), record=record)
    policy = PosteriorPolicy(
        view, None, prior, alpha=args.alpha, mode="legal" if prior is None else "proposals"
    )
    log_w, next_log_w = supports(dataset, policy)
    if folder is not None:
        folder.write_config(args)
    return _Run(
        args, folder, dataset, prior, policy, source, log_w, next_log_w, np.random.default_rng(args.seed),
        prior.calls if prior is not None else 0, started,
    )  # fmt: skip


def train(args: Args, *, progress: bool = False) -> dict[str, Any]:
    """Train one run and return its summary."""
    return train_many([args], progress=progress)[0]


def train_many(runs_args: list[Args], *, progress: bool = False) -> list[dict[str, Any]]:
    """Train independent runs that share the :data:`SHARED` arguments in lockstep, one stacked network.

    Each run keeps its own dataset, prior, initial weights (``torch.manual_seed(seed)``, as a single run),
    batch draws and gradient clipping, so its result does not depend on which other runs it was batched with
    (up to floating-point summation order).
    """
    if not runs_args:
        return []
    first = runs_args[0]
    for other in runs_args[1:]:
        differing = [name for name in SHARED if getattr(other, name) != getattr(first, name)]
        if differing:
            raise ValueError(f"runs trained together must share {', '.join(differing)}")
    torch.set_num_threads(1)
    env = make_env(first.env_id, first.env_kwargs)
    view = view_for_env(env, feature_dim=first.feature_dim)
    env.close()
    loaded: dict[str, OfflineDataset] = {}
    runs = [_prepare(args, view, progress and len(runs_args) == 1, loaded) for args in runs_args]
    # One table of transitions per source (its longest prefix in use) and one of supports per run; a batch
    # is one gather from each with the runs' own draws.
    sizes = {}
    for run in runs:
        sizes[run.source] = max(sizes.get(run.source, 0), len(run.dataset))
    data_offset = dict(zip(sizes, np.cumsum([0, *sizes.values()])[:-1].tolist()))
    parts = [loaded[source].head(size) for source, size in sizes.items()]
    table = {
        "features": torch.as_tensor(np.concatenate([d.features for d in parts])),
        "next_features": torch.as_tensor(np.concatenate([d.next_features for d in parts])),
        "actions": torch.as_tensor(np.concatenate([d.actions for d in parts])),
        "rewards": torch.as_tensor(np.concatenate([d.rewards for d in parts]).astype(np.float32)),
        "not_done": torch.as_tensor(np.concatenate([~d.terminated for d in parts]).astype(np.float32)),
    }
    scale = torch.as_tensor([run.args.reward_scale for run in runs], dtype=torch.float32)[:, None]
    log_table = torch.as_tensor(np.concatenate([run.log_w for run in runs]))
    next_log_table = torch.as_tensor(np.concatenate([run.next_log_w for run in runs]))
    log_offset = np.cumsum([0, *(len(run.dataset) for run in runs)])[:-1][:, None]
    run_offset = np.asarray([data_offset[run.source] for run in runs])[:, None]
    inits = []
    for args in runs_args:
        seed_everything(args.seed)
        inits.append(QNetwork(view.feature_dim, view.num_actions, first.hidden))
    q_network = StackedQ(inits)
    target_network = copy.deepcopy(q_network)
    optimizer = torch.optim.AdamW(q_network.parameters(), lr=first.learning_rate)
    batch_size = first.batch_size

    def evaluation(run: _Run, m: int, step: int, losses: dict[str, float]) -> None:
        run.policy.q_network = q_network.network(m)
        eval_rng = np.random.default_rng(run.args.eval_seed)
        result = evaluate(
            run.args.env_id, run.args.env_kwargs, lambda o, i: run.policy.act(o, i, eval_rng, greedy=True),
            run.args.eval_episodes, run.args.eval_seed,
        )  # fmt: skip
        row = {
            "gradient_steps": step,
            "samples": len(run.dataset),
            "eval_return": result["mean_return"],
            "eval_success": result.get("success_rate"),
            "llm_calls": run.prior.calls if run.prior is not None else 0,
            **{k: v[m] for k, v in losses.items()},
        }
        run.rows.append(row)
        if run.folder is not None:
            run.folder.log(row)

    label = "cql-prior" if first.prior else "cql"
    with progress_bar(first.gradient_steps, f"{label} on {first.env_id}", progress) as advance:
        for step in range(1, first.gradient_steps + 1):
            draws = np.stack([run.rng.integers(len(run.dataset), size=batch_size) for run in runs])
            rows = torch.as_tensor(draws + run_offset)
            batch = {name: values[rows] for name, values in table.items()}
            batch["rewards"] = batch["rewards"] * scale
            batch["log_w"] = log_table[torch.as_tensor(draws + log_offset)]
            batch["next_log_w"] = next_log_table[torch.as_tensor(draws + log_offset)]
            with torch.no_grad():
                next_q = target_network(batch["next_features"])
                bootstrap = max_backup(next_q.flatten(0, 1), batch["next_log_w"].flatten(0, 1))
                targets = batch["rewards"] + first.gamma * batch["not_done"] * bootstrap.view(len(runs), -1)
            losses = cql_prior_loss(
                q_network(batch["features"]), batch["actions"], targets, batch["log_w"], first.cql_coef,
                first.mse_reduction,
            )  # fmt: skip
            optimizer.zero_grad()
            losses["loss"].sum().backward()
            q_network.clip_grad_norm(first.max_grad_norm)
            optimizer.step()
            with torch.no_grad():
                for target, online in zip(target_network.parameters(), q_network.parameters()):
                    target.mul_(1.0 - first.tau).add_(first.tau * online)
            if step % first.eval_every == 0 or step == first.gradient_steps:
                values = {k: v.detach().tolist() for k, v in losses.items()}
                for m, run in enumerate(runs):
                    evaluation(run, m, step, values)
            advance(1)
    return [_finish(run, q_network.network(m), view) for m, run in enumerate(runs)]


def _finish(run: _Run, network: QNetwork, view: TextView) -> dict[str, Any]:
    args, final = run.args, run.rows[-1]
    prior = run.prior
    summary = {
        "agent": "cql-prior" if prior is not None else "cql",
        "env_id": args.env_id,
        "env_kwargs": args.env_kwargs,
        "prior": args.prior,
        "seed": args.seed,
        "samples": len(run.dataset),
        "behaviour": run.dataset.meta.get("behaviour"),
        "dataset_seed": run.dataset.meta.get("seed"),
        "gradient_steps": args.gradient_steps,
        "eval_return": final["eval_return"],
        "eval_success": final["eval_success"],
        "llm_calls_dataset": run.dataset_llm_calls,
        "llm_calls": prior.calls if prior is not None else 0,
        "prior_stats": prior.stats() if prior is not None else None,
        "cpu_seconds": time.process_time() - run.started,
    }
    if run.folder is not None:
        meta = checkpoint_meta("q", view, args.hidden, agent=summary["agent"], alpha=args.alpha, k=args.k)
        save_checkpoint(run.folder.path / "q.pt", network, meta)
        if args.dataset is None:
            summary["dataset_sha256"] = file_digest(run.folder.path / "dataset.npz")
        run.folder.write_summary(summary)
        run.folder.plot("gradient_steps", f"{summary['agent']} on {args.env_id}, {len(run.dataset)} samples")
        summary["run_dir"] = str(run.folder.path)
    return summary
