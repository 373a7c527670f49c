"""PPO-Prior: a KL-regularised policy gradient towards the language-model prior, in one readable file.

The variational form of LLM-prior RL (Yan et al., ICLR 2025, section 3.1) maximises
E_{a~pi}[Q(s, a)] - beta * KL(pi(.|s) || p(.|s)).  For a discrete action space whose prior is known on every
action the KL is exact: sum over the legal actions of pi (log pi - log p).  Here the policy is the prior
tilted by a learned head, ``logits = f_theta(s) + log p(a|s)`` with ``f`` zero at the start (so training starts
from the prior, as an LLM-parameterised policy starts from the LLM), trained by PPO's clipped objective
(Schulman et al., 2017; CleanRL's ``ppo.py``) plus ``beta`` times the exact KL per state.

The prior p is the model's own score of every action where it can score (``mode="exact"``, e.g. the scripted
expert prior), else the frequencies of its k proposals; either is mixed with ``prior_floor`` uniform so every
legal action keeps some mass and the KL stays finite.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.agents.llm_prior.common import (
    ActorCritic,
    BaseArgs,
    RunFolder,
    checkpoint_meta,
    evaluate,
    make_env,
    make_prior,
    progress_bar,
    save_checkpoint,
    seed_everything,
)
from tactica.agents.llm_prior.posterior import smoothed_log_prior
from tactica.agents.llm_prior.prior import ActionPrior
from tactica.agents.llm_prior.views import TextView, view_for_env

__all__ = ["Args", "PolicyActor", "kl_to_prior", "train"]


@dataclass
class Args(BaseArgs):
    prior: str = "expert:frozenlake?p=0.5"
    mode: str = "exact"
    """exact: the prior's score of every action (its proposal frequencies where it cannot score); proposals:
    always the proposal frequencies"""
    samples: int = 3000
    """environment steps"""
    beta: float = 0.05
    """weight of KL(pi || prior)"""
    prior_floor: float = 0.05
    num_steps: int = 128
    gae_lambda: float = 0.95
    update_epochs: int = 4
    num_minibatches: int = 4
    clip_coef: float = 0.2
    vf_coef: float = 0.5
    learning_rate: float = 2.5e-4
    max_grad_norm: float = 0.5


def kl_to_prior(logits: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """Exact KL(pi || p) per row, over the actions where the prior has mass (``pi`` = softmax(logits))."""
    support = torch.isfinite(log_prior)
    log_pi = torch.log_softmax(logits, dim=1)
    terms = torch.where(support, log_pi.exp() * (log_pi - torch.where(support, log_prior, 0.0)), 0.0)
    return terms.sum(dim=1)


class PolicyActor:
    """Acts with a trained (or fresh) :class:`ActorCritic` on top of the prior's log-probabilities."""

    def __init__(
        self, view: TextView, network: ActorCritic, prior: ActionPrior, *, mode: str, prior_floor: float
    ):
        if mode not in ("exact", "proposals"):
            raise ValueError(f"mode must be 'exact' or 'proposals', got {mode!r}")
        self.view, self.network, self.prior = view, network, prior
        self.mode, self.prior_floor = mode, float(prior_floor)

    def log_prior(self, observation: Any, info: dict[str, Any] | None) -> np.ndarray:
        legal = self.view.legal(observation, info)
        text = self.view.text(observation)
        if self.mode == "exact" and self.prior.can_score:
            probabilities = self.prior.probabilities(text, legal)
        else:
            counts = self.prior.counts(text, legal)
            probabilities = counts / counts.sum()
        return smoothed_log_prior(probabilities, legal, self.prior_floor)

    def logits(self, features: np.ndarray, log_prior: np.ndarray) -> torch.Tensor:
        with torch.no_grad():
            return self.network.logits(
                torch.as_tensor(features, dtype=torch.float32)[None],
                torch.as_tensor(log_prior, dtype=torch.float32)[None],
            )[0]

    def act(
        self, observation: Any, info: dict[str, Any] | None, rng: np.random.Generator, *, greedy: bool = False
    ) -> int:
        logits = self.logits(self.view.features(observation, info), self.log_prior(observation, info))
        if greedy:
            return int(torch.argmax(logits))
        probabilities = torch.softmax(logits.double(), dim=0).numpy()
        return int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))


def train(args: Args, *, progress: bool = False) -> dict[str, Any]:
    torch.set_num_threads(1)
    rng = seed_everything(args.seed)
    run = RunFolder(Path(args.run_dir)) if args.run_dir else None
    env = make_env(args.env_id, args.env_kwargs)
    view = view_for_env(env, feature_dim=args.feature_dim)
    if not args.prior:
        raise ValueError("ppo-prior needs a prior (a ChatModel spec)")
    record = None if run is None else run.path / "prior_transcript.jsonl"
    prior = make_prior(args.prior, view, args.sampling(), record=record)
    network = ActorCritic(view.feature_dim, view.num_actions, args.hidden)
    optimizer = torch.optim.Adam(network.parameters(), lr=args.learning_rate, eps=1e-5)
    actor = PolicyActor(view, network, prior, mode=args.mode, prior_floor=args.prior_floor)
    if run is not None:
        run.write_config(args)
    start = time.process_time()
    eval_rng = np.random.default_rng(args.eval_seed)

    n, a_dim = args.num_steps, view.num_actions
    features = np.zeros((n, view.feature_dim), dtype=np.float32)
    log_priors = np.zeros((n, a_dim), dtype=np.float32)
    actions = np.zeros(n, dtype=np.int64)
    logprobs, rewards, dones, values = (np.zeros(n, dtype=np.float32) for _ in range(4))
    minibatch = max(1, n // args.num_minibatches)

    rows: list[dict[str, Any]] = []

    def evaluation(mark: int, episodes_done: int, training_calls: int, kl: float) -> None:
        result = evaluate(
            args.env_id, args.env_kwargs, lambda o, i: actor.act(o, i, eval_rng, greedy=True),
            args.eval_episodes, args.eval_seed,
        )  # fmt: skip
        row = {
            "samples": mark,
            "episodes": episodes_done,
            "eval_return": result["mean_return"],
            "eval_success": result.get("success_rate"),
            "llm_calls": prior.calls,
            "llm_calls_training": training_calls,
            "kl": kl,
        }
        rows.append(row)
        if run is not None:
            run.log(row)

    training_calls, episodes_done = 0, 0
    observation, info = env.reset(seed=args.seed)
    step = 0
    next_eval = min(args.eval_every, args.samples)
    with progress_bar(args.samples, f"ppo-prior on {args.env_id}", progress) as advance:
        while step < args.samples:
            length = min(n, args.samples - step)
            for t in range(length):
                calls_before = prior.calls
                features[t] = view.features(observation, info)
                log_priors[t] = actor.log_prior(observation, info)
                training_calls += prior.calls - calls_before
                with torch.no_grad():
                    x = torch.as_tensor(features[t])[None]
                    logits = network.logits(x, torch.as_tensor(log_priors[t])[None])[0]
                    values[t] = float(network.value(x)[0])
                probabilities = torch.softmax(logits.double(), dim=0).numpy()
                actions[t] = int(rng.choice(a_dim, p=probabilities / probabilities.sum()))
                logprobs[t] = float(torch.log_softmax(logits, dim=0)[actions[t]])
                observation, reward, terminated, truncated, info = env.step(int(actions[t]))
                rewards[t], dones[t] = float(reward) * args.reward_scale, float(terminated or truncated)
                step += 1
                advance(1)
                if terminated or truncated:
                    episodes_done += 1
                    observation, info = env.reset()
            # bootstrap from the state after the rollout (GAE, CleanRL's form)
            with torch.no_grad():
                next_value = float(network.value(torch.as_tensor(view.features(observation, info))[None])[0])
            advantages = np.zeros(length, dtype=np.float32)
            last = 0.0
            for t in reversed(range(length)):
                following = next_value if t == length - 1 else values[t + 1]
                not_done = 1.0 - dones[t]
                delta = rewards[t] + args.gamma * following * not_done - values[t]
                last = delta + args.gamma * args.gae_lambda * not_done * last
                advantages[t] = last
            returns = advantages + values[:length]
            b = {
                "features": torch.as_tensor(features[:length]),
                "log_prior": torch.as_tensor(log_priors[:length]),
                "actions": torch.as_tensor(actions[:length]),
                "logprobs": torch.as_tensor(logprobs[:length]),
                "advantages": torch.as_tensor(advantages),
                "returns": torch.as_tensor(returns),
            }
            for _ in range(args.update_epochs):
                order = rng.permutation(length)
                for first in range(0, length, minibatch):
                    idx = torch.as_tensor(order[first : first + minibatch])
                    logits = network.logits(b["features"][idx], b["log_prior"][idx])
                    new_logprob = (
                        torch.log_softmax(logits, dim=1).gather(1, b["actions"][idx, None]).squeeze(1)
                    )
                    ratio = (new_logprob - b["logprobs"][idx]).exp()
                    adv = b["advantages"][idx]
                    if len(idx) > 1:
                        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                    pg_loss = torch.max(
                        -adv * ratio, -adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)
                    ).mean()
                    v_loss = 0.5 * (network.value(b["features"][idx]) - b["returns"][idx]).pow(2).mean()
                    kl = kl_to_prior(logits, b["log_prior"][idx]).mean()
                    loss = pg_loss + args.vf_coef * v_loss + args.beta * kl
                    optimizer.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(network.parameters(), args.max_grad_norm)
                    optimizer.step()
            # evaluations at every eval_every mark the rollout crossed (labelled with the mark), and at the end
            while next_eval <= step:
                evaluation(next_eval, episodes_done, training_calls, float(kl.detach()))
                next_eval += args.eval_every
            if step == args.samples and (not rows or rows[-1]["samples"] != step):
                evaluation(step, episodes_done, training_calls, float(kl.detach()))
    env.close()
    summary = {
        "agent": "ppo-prior",
        "mode": args.mode,
        "env_id": args.env_id,
        "env_kwargs": args.env_kwargs,
        "prior": args.prior,
        "seed": args.seed,
        "samples": args.samples,
        "episodes": episodes_done,
        "eval_return": rows[-1]["eval_return"],
        "eval_success": rows[-1]["eval_success"],
        "llm_calls_training": training_calls,
        "llm_calls": prior.calls,
        "prior_stats": prior.stats(),
        "curve": [(r["samples"], r["eval_return"]) for r in rows],
        "cpu_seconds": time.process_time() - start,
    }
    if run is not None:
        meta = checkpoint_meta(
            "actor-critic",
            view,
            args.hidden,
            agent="ppo-prior",
            k=args.k,
            mode=args.mode,
            prior_floor=args.prior_floor,
        )
        save_checkpoint(run.path / "policy.pt", network, meta)
        run.write_summary(summary)
        run.plot("samples", f"ppo-prior on {args.env_id}")
        summary["run_dir"] = str(run.path)
    return summary
