"""What the LLM-prior trainers share: networks, the posterior policy, evaluation, checkpoints, run folders.

The three trainers (``dqn_prior.py``, ``cql_prior.py``, ``ppo_prior.py``) are one readable file each, in the
style of CleanRL; this module holds only the pieces that are the same in all of them, so the baselines and the
prior agents use identical networks, evaluation and bookkeeping.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from tactica.agents.discussion.nets import mlp
from tactica.agents.llm_prior.posterior import (
    greedy_action,
    log_weights,
    sample_action,
    smoothed_log_prior,
)
from tactica.agents.llm_prior.prior import ActionPrior, PriorSampling
from tactica.agents.llm_prior.views import TextView, make_view

__all__ = [
    "ActorCritic",
    "BaseArgs",
    "checkpoint_meta",
    "PRIOR_MODES",
    "PosteriorPolicy",
    "QNetwork",
    "RunFolder",
    "StackedQ",
    "evaluate",
    "load_checkpoint",
    "make_env",
    "make_prior",
    "progress_bar",
    "save_checkpoint",
    "seed_everything",
]

PRIOR_MODES = ("proposals", "exact", "legal")


@dataclass
class BaseArgs:
    """The arguments every trainer takes; each trainer's ``Args`` adds its own (and may change defaults)."""

    env_id: str = "FrozenLakeText-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    prior: str | None = "expert:frozenlake?p=0.5"
    """the prior's ChatModel spec; None trains the baseline without a prior"""
    samples: int = 3000
    seed: int = 0
    k: int = 5
    """proposals per state"""
    temperature: float = 1.0
    alpha: float = 0.1
    """posterior temperature: q ∝ p exp(Q/alpha)"""
    gamma: float = 0.99
    learning_rate: float = 5e-4
    max_grad_norm: float = 1.0
    reward_scale: float = 1.0
    hidden: tuple[int, ...] = (64, 64)
    feature_dim: int = 512
    """hashed text features (text environments)"""
    eval_every: int = 250
    eval_episodes: int = 5
    eval_seed: int = 10_000
    run_dir: str | None = None

    def sampling(self) -> PriorSampling:
        """Proposals of run ``seed`` use model seeds ``1000 * seed + i`` (runs' proposals do not overlap)."""
        return PriorSampling(self.k, self.temperature, seed=1000 * self.seed)


class QNetwork(nn.Module):
    """Q(s, .) for every named action from the state's features (the reference head: two hidden layers of 64)."""

    def __init__(self, feature_dim: int, num_actions: int, hidden: Sequence[int] = (64, 64)):
        super().__init__()
        self.feature_dim, self.num_actions, self.hidden = int(feature_dim), int(num_actions), tuple(hidden)
        self.net = mlp(self.feature_dim, self.num_actions, self.hidden)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class StackedQ(nn.Module):
    """``M`` independent :class:`QNetwork` s of one shape, evaluated by batched matrix products.

    A sweep trains many small networks (seeds, priors, dataset sizes) whose cost is the per-call overhead of
    torch, not arithmetic; stacking them makes one call serve all.  Model ``m`` only ever sees its own slice of
    the weights, so the runs stay independent (the losses are summed, Adam works element by element and
    :meth:`clip_grad_norm` clips each model's gradient on its own).
    """

    def __init__(self, networks: Sequence[QNetwork]):
        super().__init__()
        first = networks[0]
        if any(n.hidden != first.hidden or n.feature_dim != first.feature_dim for n in networks):
            raise ValueError("stacked Q networks must have one shape")
        self.feature_dim, self.num_actions, self.hidden = first.feature_dim, first.num_actions, first.hidden
        linears = [[m for m in n.net if isinstance(m, nn.Linear)] for n in networks]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].weight.detach().T for layers in linears]).contiguous())
            for i in range(len(linears[0]))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].bias.detach()[None] for layers in linears]).contiguous())
            for i in range(len(linears[0]))
        )

    def __len__(self) -> int:
        return int(self.weights[0].shape[0])

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(M, B, feature_dim)`` -> ``(M, B, num_actions)``."""
        x = features
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if i < len(self.weights) - 1:
                x = torch.relu(x)
        return x

    def clip_grad_norm(self, max_norm: float) -> None:
        """Scale each model's gradient to norm at most ``max_norm`` (``clip_grad_norm_`` per model)."""
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        squared = sum(g.pow(2).reshape(len(self), -1).sum(dim=1) for g in grads)
        scale = (max_norm / (squared.sqrt() + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))

    def network(self, m: int) -> QNetwork:
        """Model ``m`` as a plain :class:`QNetwork` (a copy)."""
        single = QNetwork(self.feature_dim, self.num_actions, self.hidden)
        layers = [layer for layer in single.net if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for layer, weight, bias in zip(layers, self.weights, self.biases):
                layer.weight.copy_(weight[m].T)
                layer.bias.copy_(bias[m, 0])
        return single


class ActorCritic(nn.Module):
    """A policy head added to the log-prior (zero at the start, so the policy starts as the prior) and a value."""

    def __init__(self, feature_dim: int, num_actions: int, hidden: Sequence[int] = (64, 64)):
        super().__init__()
        self.feature_dim, self.num_actions, self.hidden = int(feature_dim), int(num_actions), tuple(hidden)
        self.actor = mlp(self.feature_dim, self.num_actions, self.hidden)
        self.critic = mlp(self.feature_dim, 1, self.hidden)
        nn.init.zeros_(self.actor[-1].weight)
        nn.init.zeros_(self.actor[-1].bias)

    def logits(self, features: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
        return self.actor(features) + log_prior

    def value(self, features: torch.Tensor) -> torch.Tensor:
        return self.critic(features).squeeze(-1)


def seed_everything(seed: int) -> np.random.Generator:
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def make_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    import tactica  # noqa: F401  (registers the ids)

    return gym.make(env_id, **(env_kwargs or {}))


def make_prior(
    spec: str | None,
    view: TextView,
    sampling: PriorSampling,
    *,
    record: str | Path | None = None,
) -> ActionPrior | None:
    if spec is None:
        return None
    return ActionPrior(spec, view.instruction, view.action_names, sampling, record=record)


class PosteriorPolicy:
    """Acts by q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha) (see :mod:`.posterior`).

    Args:
        view: the environment's :class:`TextView`.
        q_network: a :class:`QNetwork`, or ``None`` for Q ≡ 0 (the posterior is then the prior itself).
        prior: the :class:`ActionPrior` (``None`` with ``mode="legal"``).
        alpha: the temperature; the reference code's ``alpha=10`` multiplies Q, i.e. ``alpha = 0.1`` here.
        mode: ``"proposals"`` (direct posterior sampling over the k proposals), ``"exact"`` (the prior scored on
            every action, mixed with ``prior_floor`` uniform) or ``"legal"`` (no prior: Q over the legal actions).
        prior_floor: uniform mass mixed into the exact prior.
    """

    def __init__(
        self,
        view: TextView,
        q_network: QNetwork | None,
        prior: ActionPrior | None,
        *,
        alpha: float = 0.1,
        mode: str = "proposals",
        prior_floor: float = 0.01,
    ):
        if mode not in PRIOR_MODES:
            raise ValueError(f"mode must be one of {', '.join(PRIOR_MODES)}, got {mode!r}")
        if mode != "legal" and prior is None:
            raise ValueError(f"mode {mode!r} needs a prior")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        self.view, self.q_network, self.prior = view, q_network, prior
        self.alpha, self.mode, self.prior_floor = float(alpha), mode, float(prior_floor)

    def log_prior(self, observation: Any, info: dict[str, Any] | None) -> np.ndarray:
        """The log-weights of the state's support (see :mod:`.posterior`)."""
        legal = self.view.legal(observation, info)
        return self.log_prior_of(self.view.text(observation), legal)

    def log_prior_of(self, text: str, legal: np.ndarray) -> np.ndarray:
        if self.mode == "legal":
            return log_weights(legal.astype(np.float64))
        if self.mode == "exact":
            return smoothed_log_prior(self.prior.probabilities(text, legal), legal, self.prior_floor)
        return log_weights(self.prior.counts(text, legal))

    def q_values(self, features: np.ndarray) -> np.ndarray:
        if self.q_network is None:
            return np.zeros(self.view.num_actions)
        with torch.no_grad():
            return self.q_network(torch.as_tensor(features, dtype=torch.float32)[None])[0].double().numpy()

    def act(
        self,
        observation: Any,
        info: dict[str, Any] | None,
        rng: np.random.Generator,
        *,
        greedy: bool = False,
        epsilon: float = 0.0,
    ) -> int:
        """An action: epsilon-greedy over the legal actions when ``epsilon`` > 0 and the draw says so, else a
        draw from the posterior or, with ``greedy``, its mode (argmax of Q/alpha + log p; over the proposals
        the counts weigh in, so where Q does not tell the actions apart the most proposed one is played)."""
        log_prior = self.log_prior(observation, info)
        if epsilon > 0 and rng.random() < epsilon:
            return int(rng.choice(np.flatnonzero(self.view.legal(observation, info))))
        q = self.q_values(self.view.features(observation, info))
        if greedy:
            return greedy_action(q, log_prior, self.alpha)
        return sample_action(q, log_prior, self.alpha, rng)


def evaluate(
    env_id: str,
    env_kwargs: dict[str, Any],
    act: Callable[[Any, dict[str, Any]], int],
    episodes: int,
    seed: int,
) -> dict[str, Any]:
    """Mean return (and success / win rate where the env reports it) of ``act`` over seeded episodes."""
    from tactica.rollout import episode_seeds

    env = make_env(env_id, env_kwargs)
    returns, successes, lengths = [], [], []
    for episode_seed in episode_seeds(seed, episodes):
        observation, info = env.reset(seed=episode_seed)
        total, length, done = 0.0, 0, False
        while not done:
            observation, reward, terminated, truncated, info = env.step(act(observation, info))
            total += float(reward)
            length += 1
            done = terminated or truncated
        returns.append(total)
        lengths.append(length)
        if "success" in info:
            successes.append(float(info["success"]))
        elif "result" in info:
            successes.append(float(info["result"] == "Victory"))
    env.close()
    out: dict[str, Any] = {
        "mean_return": float(np.mean(returns)),
        "returns": returns,
        "mean_length": float(np.mean(lengths)),
    }
    if successes:
        out["success_rate"] = float(np.mean(successes))
    return out


# --------------------------------------------------------------------------------------------- checkpoints
def save_checkpoint(path: Path, network: nn.Module, meta: dict[str, Any]) -> None:
    """The network's tensors (``torch.load(weights_only=True)`` reads them) and a JSON sidecar."""
    torch.save({k: v.detach().cpu() for k, v in network.state_dict().items()}, path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any], TextView]:
    """``(network, meta, view)`` of a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    if not path.is_file() or not sidecar.is_file():
        raise FileNotFoundError(f"checkpoint {path} (and its {sidecar.name}) not found")
    meta = json.loads(sidecar.read_text())
    for key in ("network", "view", "action_names", "feature_dim", "hidden"):
        if key not in meta:
            raise ValueError(f"checkpoint {sidecar} has no {key!r}")
    view = make_view(meta["view"], meta["action_names"], feature_dim=int(meta["feature_dim"]))
    cls = {"q": QNetwork, "actor-critic": ActorCritic}.get(meta["network"])
    if cls is None:
        raise ValueError(f"checkpoint {sidecar}: unknown network {meta['network']!r}")
    network = cls(view.feature_dim, view.num_actions, meta["hidden"])
    network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    network.eval()
    return network, meta, view


def checkpoint_meta(network: str, view: TextView, hidden: Sequence[int], **extra: Any) -> dict[str, Any]:
    return {
        "network": network,
        "view": view.kind,
        "action_names": list(view.action_names),
        "feature_dim": view.feature_dim,
        "hidden": list(hidden),
        **extra,
    }


# ---------------------------------------------------------------------------------------------- run folders
@dataclass
class RunFolder:
    """A run directory: ``config.json``, ``metrics.jsonl`` (one line per evaluation), ``summary.json``,
    ``curve.png`` and the checkpoint."""

    path: Path
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self):
        self.path = Path(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "metrics.jsonl").write_text("")
        (self.path / "prior_transcript.jsonl").unlink(missing_ok=True)  # a transcript belongs to one run

    def write_config(self, config: Any) -> None:
        data = asdict(config) if hasattr(config, "__dataclass_fields__") else dict(config)
        (self.path / "config.json").write_text(json.dumps(data, indent=2, default=str) + "\n")

    def log(self, row: dict[str, Any]) -> None:
        self.metrics.append(row)
        with (self.path / "metrics.jsonl").open("a") as handle:
            handle.write(json.dumps(row) + "\n")

    def write_summary(self, summary: dict[str, Any]) -> None:
        (self.path / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    def plot(self, x: str, title: str) -> Path | None:
        """The learning curve (evaluation return against ``x``) as ``curve.png``."""
        rows = [r for r in self.metrics if "eval_return" in r]
        if not rows:
            return None
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot([r[x] for r in rows], [r["eval_return"] for r in rows], marker="o")
        ax.set_xlabel(x.replace("_", " "))
        ax.set_ylabel("evaluation return")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        target = self.path / "curve.png"
        fig.savefig(target, dpi=110)
        plt.close(fig)
        return target


@contextmanager
def progress_bar(total: int, description: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """``advance(n)``: a rich bar on a terminal, a plain line every 10% otherwise, nothing when disabled."""
    if not enabled:
        yield lambda n=1: None
        return
    if sys.stdout.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)
        return
    done, next_report, start = 0, max(1, total // 10), time.monotonic()

    def advance(n: int = 1) -> None:
        nonlocal done, next_report
        done += n
        if done >= next_report or done == total:
            print(f"{description}: {done}/{total} ({time.monotonic() - start:.0f} s)", flush=True)
            next_report = done + max(1, total // 10)

    yield advance
