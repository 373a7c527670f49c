"""DQN-Prior (online) and its baseline, DQN over the full action space, in one readable file.

DQN-Prior (Yan et al., ICLR 2025; ``value-based/train_overcooked.py`` of ``yanxue7/RL-LLM-Prior``) samples
k actions from the language-model prior at each state, acts by the posterior over them,
``softmax(Q(s, a_1..k) / alpha)`` (the reference code's ``Categorical(logits=10 * Q)``), and learns with

    y = r + gamma * (1 - terminated) * max_{a' in proposals(s')} Q_target(s', a'),   L = (Q(s, a) - y)^2.

With ``mode="exact"`` and a prior that scores every action it acts by the exact posterior
p(a|s) exp(Q(s,a)/alpha) over every legal action and backs up the soft value
alpha log sum_a p(a|s') exp(Q(s',a)/alpha).  The baseline (``--agent dqn``) is the same code with no prior:
epsilon-greedy over the legal actions (CleanRL's linear schedule) and the max over every legal action, with
the same network, replay buffer and budget.

Reference hyperparameters: AdamW, learning rate 5e-4, gradient-norm clip 1.0, gamma 0.99, soft target updates
with tau 0.005 (Overcooked: batch 64, buffer 4000, k 5, alpha 10 i.e. 0.1 here).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.agents.llm_prior.common import (
    BaseArgs,
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
from tactica.agents.llm_prior.posterior import max_backup, soft_backup
from tactica.agents.llm_prior.views import view_for_env

__all__ = ["Args", "train"]


@dataclass
class Args(BaseArgs):
    mode: str = "proposals"
    """proposals: direct posterior sampling over the k proposals; exact: needs a prior that scores"""
    samples: int = 3000
    """environment steps"""
    prior_floor: float = 0.01
    batch_size: int = 64
    buffer_size: int = 4000
    learning_starts: int = 100
    train_frequency: int = 1
    tau: float = 0.005
    start_e: float = 1.0
    end_e: float = 0.05
    exploration_fraction: float = 0.5


def linear_schedule(start_e: float, end_e: float, duration: int, t: int) -> float:
    slope = (end_e - start_e) / max(duration, 1)
    return max(slope * t + start_e, end_e)


class ReplayBuffer:
    """A ring buffer of transitions with the next state's support (log-weights) stored beside it."""

    def __init__(self, size: int, feature_dim: int, num_actions: int):
        self.size, self.full, self.position = size, False, 0
        self.features = np.zeros((size, feature_dim), dtype=np.float32)
        self.next_features = np.zeros((size, feature_dim), dtype=np.float32)
        self.actions = np.zeros(size, dtype=np.int64)
        self.rewards = np.zeros(size, dtype=np.float32)
        self.not_done = np.zeros(size, dtype=np.float32)
        self.next_log_w = np.zeros((size, num_actions), dtype=np.float32)

    def add(self, features, next_features, action, reward, terminated, next_log_w) -> None:
        i = self.position
        self.features[i], self.next_features[i], self.actions[i] = features, next_features, action
        self.rewards[i], self.not_done[i], self.next_log_w[i] = reward, 0.0 if terminated else 1.0, next_log_w
        self.position = (i + 1) % self.size
        self.full = self.full or self.position == 0

    def __len__(self) -> int:
        return self.size if self.full else self.position

    def sample(self, rng: np.random.Generator, batch_size: int) -> dict[str, torch.Tensor]:
        index = rng.integers(len(self), size=batch_size)
        return {
            name: torch.as_tensor(getattr(self, name)[index])
            for name in ("features", "next_features", "actions", "rewards", "not_done", "next_log_w")
        }


def train(args: Args, *, progress: bool = False) -> dict[str, Any]:
    torch.set_num_threads(1)
    rng = seed_everything(args.seed)
    run = RunFolder(Path(args.run_dir)) if args.run_dir else None
    env = make_env(args.env_id, args.env_kwargs)
    view = view_for_env(env, feature_dim=args.feature_dim)
    record = None if run is None or args.prior is None else run.path / "prior_transcript.jsonl"
    prior = make_prior(args.prior, view, args.sampling(), record=record)
    mode = "legal" if prior is None else args.mode
    if mode == "exact" and not prior.can_score:
        raise ValueError(f"mode 'exact' needs a prior that scores every action; {args.prior!r} does not")
    q_network = QNetwork(view.feature_dim, view.num_actions, args.hidden)
    target_network = copy.deepcopy(q_network)
    optimizer = torch.optim.AdamW(q_network.parameters(), lr=args.learning_rate)
    policy = PosteriorPolicy(
        view, q_network, prior, alpha=args.alpha, mode=mode, prior_floor=args.prior_floor
    )
    buffer = ReplayBuffer(args.buffer_size, view.feature_dim, view.num_actions)
    if run is not None:
        run.write_config(args)
    start = time.process_time()
    eval_rng = np.random.default_rng(args.eval_seed)
    name = "dqn" if prior is None else "dqn-prior"

    def evaluation(step: int, episodes_done: int) -> dict[str, Any]:
        result = evaluate(
            args.env_id, args.env_kwargs, lambda o, i: policy.act(o, i, eval_rng, greedy=True),
            args.eval_episodes, args.eval_seed,
        )  # fmt: skip
        row = {
            "samples": step,
            "episodes": episodes_done,
            "eval_return": result["mean_return"],
            "eval_success": result.get("success_rate"),
            "llm_calls": prior.calls if prior is not None else 0,
            "llm_calls_training": training_calls,
        }
        if run is not None:
            run.log(row)
        return row

    rows = []
    training_calls = 0
    observation, info = env.reset(seed=args.seed)
    episodes_done, episode_return, train_returns = 0, 0.0, []
    with progress_bar(args.samples, f"{name} on {args.env_id}", progress) as advance:
        for step in range(1, args.samples + 1):
            calls_before = prior.calls if prior is not None else 0
            epsilon = (
                linear_schedule(args.start_e, args.end_e, int(args.exploration_fraction * args.samples), step)
                if prior is None
                else 0.0
            )
            features = view.features(observation, info)
            action = policy.act(observation, info, rng, epsilon=epsilon)
            next_observation, reward, terminated, truncated, next_info = env.step(action)
            next_log_w = (
                np.full(view.num_actions, -np.inf)
                if terminated
                else policy.log_prior(next_observation, next_info)
            )
            buffer.add(
                features, view.features(next_observation, next_info), action,
                float(reward) * args.reward_scale, terminated, next_log_w,
            )  # fmt: skip
            if prior is not None:
                training_calls += prior.calls - calls_before
            episode_return += float(reward)
            if terminated or truncated:
                episodes_done += 1
                train_returns.append(episode_return)
                episode_return = 0.0
                observation, info = env.reset()
            else:
                observation, info = next_observation, next_info

            if step > args.learning_starts and step % args.train_frequency == 0:
                batch = buffer.sample(rng, args.batch_size)
                with torch.no_grad():
                    next_q = target_network(batch["next_features"])
                    if mode == "exact":
                        bootstrap = soft_backup(next_q, batch["next_log_w"], args.alpha)
                    else:
                        bootstrap = max_backup(next_q, batch["next_log_w"])
                    targets = batch["rewards"] + args.gamma * batch["not_done"] * bootstrap
                q = q_network(batch["features"]).gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
                loss = torch.nn.functional.mse_loss(q, targets)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(q_network.parameters(), args.max_grad_norm)
                optimizer.step()
                with torch.no_grad():
                    for target, online in zip(target_network.parameters(), q_network.parameters()):
                        target.mul_(1.0 - args.tau).add_(args.tau * online)
            if step % args.eval_every == 0 or step == args.samples:
                rows.append(evaluation(step, episodes_done))
            advance(1)
    env.close()

    summary = {
        "agent": name,
        "mode": mode,
        "env_id": args.env_id,
        "env_kwargs": args.env_kwargs,
        "prior": args.prior,
        "seed": args.seed,
        "samples": args.samples,
        "episodes": episodes_done,
        "train_mean_return": float(np.mean(train_returns)) if train_returns else None,
        "eval_return": rows[-1]["eval_return"],
        "eval_success": rows[-1]["eval_success"],
        "llm_calls_training": training_calls,
        "llm_calls": prior.calls if prior is not None else 0,
        "prior_stats": prior.stats() if prior is not None else None,
        "curve": [(r["samples"], r["eval_return"]) for r in rows],
        "cpu_seconds": time.process_time() - start,
    }
    if run is not None:
        meta = checkpoint_meta("q", view, args.hidden, agent=name, alpha=args.alpha, k=args.k, mode=mode)
        save_checkpoint(run.path / "q.pt", q_network, meta)
        run.write_summary(summary)
        run.plot("samples", f"{name} on {args.env_id}")
        summary["run_dir"] = str(run.path)
    return summary
