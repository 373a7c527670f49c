"""Small torch networks and a running observation normaliser for SMFRL."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["mlp", "RunningNorm"]


def mlp(inputs: int, outputs: int, hidden: int, *, tanh: bool = False) -> nn.Sequential:
    """Two hidden ReLU layers; a tanh head for actors (actions live in ``[-1, 1]``)."""
    layers: list[nn.Module] = [nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()]
    layers.append(nn.Linear(hidden, outputs))
    if tanh:
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class RunningNorm:
    """Running mean and variance (Chan et al. parallel update); the last ``passthrough`` entries stay raw.

    The policy slots of the public vector are already in ``[-1, 1]`` and must stay raw so that a candidate
    leader action can be written into a normalised vector (the Stackelberg response of the followers).
    """

    def __init__(self, size: int, passthrough: int = 0, clip: float = 10.0):
        self.size, self.passthrough, self.clip = size, passthrough, clip
        self.mean = np.zeros(size)
        self.var = np.ones(size)
        self.count = 1e-4

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.size)
        batch_mean, batch_var, n = x.mean(axis=0), x.var(axis=0), x.shape[0]
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def __call__(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        mean = self.mean.copy()
        std = np.sqrt(self.var) + 1e-8
        if self.passthrough:
            mean[-self.passthrough :] = 0.0
            std[-self.passthrough :] = 1.0
        x = torch.as_tensor(np.asarray(x, dtype=np.float32) if not isinstance(x, torch.Tensor) else x)
        out = (x - torch.as_tensor(mean, dtype=torch.float32)) / torch.as_tensor(std, dtype=torch.float32)
        return out.clamp(-self.clip, self.clip)

    def state_dict(self) -> dict[str, torch.Tensor | float | int]:
        # tensors and numbers only, so that checkpoints load with torch.load(weights_only=True)
        return {
            "mean": torch.tensor(self.mean),
            "var": torch.tensor(self.var),
            "count": float(self.count),
            "passthrough": int(self.passthrough),
        }

    def load_state_dict(self, state: dict) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = float(state["count"])
        self.passthrough = int(state["passthrough"])
