"""Discrete Conservative Q-Learning (Kumar et al., 2020) for the tactic policy, in plain torch.

The paper trains its discussion policy with d3rlpy's ``DiscreteCQL`` (learning rate 5e-5, batch 32, alpha 4.0,
2 critics, quantile-regression Q-functions with 32 quantiles, target update every 1,000 steps, gamma 0.99, 500k
steps); :meth:`CQLConfig.paper` holds those numbers.  This implementation keeps the method -- TD loss to a
periodically copied target network (double-Q action selection, the pessimistic critic of the ensemble) plus
``alpha * (logsumexp_a Q(s, a) - Q(s, a_data))`` -- with either expected-value critics (``q_function="mean"``,
smooth-L1 TD loss) or quantile critics (``q_function="qr"``: the quantile Huber loss of QR-DQN, Dabney et al.
2018, on ``n_quantiles`` quantiles at midpoints ``(2i + 1) / 2N``, Q = their mean); the default config is a
shorter schedule that trains in seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tactica.agents.discussion.nets import QEnsemble

__all__ = ["CQLConfig", "OfflineDataset", "train_cql"]


@dataclass(frozen=True)
class CQLConfig:
    learning_rate: float = 3e-4
    batch_size: int = 256
    alpha: float = 1.0  # the paper uses 4.0 (CQLConfig.paper()); 1.0 won more on our logs (docs/onuw.md)
    gamma: float = 0.99
    n_critics: int = 2
    target_update_interval: int = 500
    n_steps: int = 4000
    hidden: tuple[int, ...] = (256, 256)
    seed: int = 0
    num_threads: int = 1  # small networks: more torch threads only add contention
    q_function: str = "mean"  # "mean" or "qr" (quantile regression, the paper's QRQFunctionFactory)
    n_quantiles: int = 32  # used by q_function="qr"

    def __post_init__(self) -> None:
        if self.q_function not in ("mean", "qr"):
            raise ValueError(f"q_function must be 'mean' or 'qr', got {self.q_function!r}")
        if self.n_quantiles < 2 and self.q_function == "qr":
            raise ValueError(f"n_quantiles must be >= 2 for quantile critics, got {self.n_quantiles}")

    @classmethod
    def paper(cls, **overrides: Any) -> CQLConfig:
        """The paper's hyper-parameters (``training/train.py`` of ``KylJin/Werewolf``)."""
        base = cls(
            learning_rate=5e-5,
            batch_size=32,
            alpha=4.0,
            n_critics=2,
            target_update_interval=1000,
            n_steps=500_000,
            gamma=0.99,
            seed=42,
            q_function="qr",
            n_quantiles=32,
        )
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OfflineDataset:
    """Transitions ``(s, a, r, s', done)`` as arrays (``next_states`` of terminal rows are ignored)."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    dones: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.states)
        if not n:
            raise ValueError("the dataset is empty")
        for name in ("actions", "rewards", "next_states", "dones"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, states has {n}")

    def __len__(self) -> int:
        return len(self.states)


def quantile_huber_loss(predicted: torch.Tensor, target: torch.Tensor, taus: torch.Tensor) -> torch.Tensor:
    """QR-DQN's loss: ``predicted`` ``(critics, batch, N)`` quantiles at ``taus`` against ``target`` ``(batch, N)``
    samples; Huber threshold 1, summed over predicted quantiles, averaged over target samples and the batch."""
    u = target[None, :, None, :] - predicted[..., :, None]  # (critics, batch, N_pred, N_target)
    huber = torch.where(u.abs() <= 1.0, 0.5 * u**2, u.abs() - 0.5)
    weight = (taus[None, None, :, None] - (u.detach() < 0).float()).abs()
    return (weight * huber).mean(dim=3).sum(dim=2).mean()


def train_cql(
    data: OfflineDataset,
    num_actions: int,
    config: CQLConfig = CQLConfig(),
    callback: Callable[[int, dict[str, float]], None] | None = None,
) -> QEnsemble:
    """Train a Q-ensemble on ``data``; ``callback(step, metrics)`` is called every 100 steps."""
    threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        return _train(data, num_actions, config, callback)
    finally:
        torch.set_num_threads(threads)


def _train(
    data: OfflineDataset,
    num_actions: int,
    config: CQLConfig,
    callback: Callable[[int, dict[str, float]], None] | None,
) -> QEnsemble:
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    s = torch.as_tensor(data.states, dtype=torch.float32)
    a = torch.as_tensor(data.actions, dtype=torch.long)
    r = torch.as_tensor(data.rewards, dtype=torch.float32)
    s2 = torch.as_tensor(data.next_states, dtype=torch.float32)
    d = torch.as_tensor(data.dones, dtype=torch.float32)
    if int(a.min()) < 0 or int(a.max()) >= num_actions:
        raise ValueError(f"actions must lie in [0, {num_actions})")
    quantiles = config.n_quantiles if config.q_function == "qr" else 1
    q = QEnsemble(s.shape[1], num_actions, config.n_critics, config.hidden, quantiles)
    target = QEnsemble(s.shape[1], num_actions, config.n_critics, config.hidden, quantiles)
    taus = (2 * torch.arange(quantiles, dtype=torch.float32) + 1) / (2 * quantiles)
    target.load_state_dict(q.state_dict())
    optimizer = torch.optim.Adam(q.parameters(), lr=config.learning_rate)
    for step in range(1, config.n_steps + 1):
        idx = torch.as_tensor(rng.integers(0, len(data), size=config.batch_size))
        batch = len(idx)
        with torch.no_grad():
            greedy = q(s2[idx]).argmax(dim=1)  # double-Q action selection
            next_quantiles = target.all_quantiles(s2[idx])[
                :, torch.arange(batch), greedy
            ]  # (critics, batch, N)
            # the pessimistic critic of the ensemble, per sample
            worst = next_quantiles.mean(dim=2).argmin(dim=0)
            next_z = next_quantiles[worst, torch.arange(batch)]  # (batch, N)
            y = r[idx, None] + config.gamma * (1.0 - d[idx, None]) * next_z
        all_quantiles = q.all_quantiles(s[idx])  # (critics, batch, actions, N)
        all_q = all_quantiles.mean(dim=3)
        chosen = a[idx].view(1, -1, 1, 1).expand(config.n_critics, -1, 1, quantiles)
        taken_z = all_quantiles.gather(2, chosen).squeeze(2)  # (critics, batch, N)
        taken = taken_z.mean(dim=2)
        if quantiles == 1:
            td = F.smooth_l1_loss(taken, y[:, 0].expand_as(taken))
        else:
            td = quantile_huber_loss(taken_z, y, taus)
        conservative = (torch.logsumexp(all_q, dim=2) - taken).mean()
        loss = td + config.alpha * conservative
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % config.target_update_interval == 0:
            target.load_state_dict(q.state_dict())
        if callback is not None and step % 100 == 0:
            callback(step, {"loss": loss.item(), "td": td.item(), "conservative": conservative.item()})
    q.eval()
    return q
