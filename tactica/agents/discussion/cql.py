"""Discrete Conservative Q-Learning (Kumar et al., 2020) for the tactic policy, in plain torch.

The paper trains its discussion policy with d3rlpy's ``DiscreteCQL`` (learning rate 5e-5, batch 32, alpha 4.0,
2 critics, target update every 1,000 steps, gamma 0.99, 500k steps); :meth:`CQLConfig.paper` holds those
numbers.  This implementation keeps the method -- TD loss to a periodically copied target network plus
``alpha * (logsumexp_a Q(s, a) - Q(s, a_data))`` -- with an ensemble of critics whose minimum forms the target;
the default config is a shorter schedule that trains in seconds on a CPU.
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
    q = QEnsemble(s.shape[1], num_actions, config.n_critics, config.hidden)
    target = QEnsemble(s.shape[1], num_actions, config.n_critics, config.hidden)
    target.load_state_dict(q.state_dict())
    optimizer = torch.optim.Adam(q.parameters(), lr=config.learning_rate)
    for step in range(1, config.n_steps + 1):
        idx = torch.as_tensor(rng.integers(0, len(data), size=config.batch_size))
        with torch.no_grad():
            next_q = target.all_q(s2[idx]).min(dim=0).values  # pessimistic ensemble target
            greedy = q(s2[idx]).argmax(dim=1, keepdim=True)  # double-Q action selection
            y = r[idx] + config.gamma * (1.0 - d[idx]) * next_q.gather(1, greedy).squeeze(1)
        all_q = q.all_q(s[idx])  # (critics, batch, actions)
        taken = all_q.gather(2, a[idx].view(1, -1, 1).expand(config.n_critics, -1, 1)).squeeze(2)
        td = F.smooth_l1_loss(taken, y.expand_as(taken))
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
