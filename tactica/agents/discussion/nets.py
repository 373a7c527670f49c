"""Small torch networks of the discussion agent and their checkpoint format (state dict + JSON metadata)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["mlp", "QEnsemble", "save_checkpoint", "load_checkpoint"]


def mlp(in_dim: int, out_dim: int, hidden: tuple[int, ...] = (256, 256)) -> nn.Sequential:
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden:
        layers += [nn.Linear(last, width), nn.ReLU()]
        last = width
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


class QEnsemble(nn.Module):
    """``n_critics`` independent Q-networks ``state -> Q(state, .)``; :meth:`forward` returns their mean.

    With ``n_quantiles > 1`` each critic outputs that many quantiles of the return per action (quantile
    regression, as d3rlpy's ``QRQFunctionFactory``) and ``Q`` is their mean.
    """

    def __init__(
        self,
        state_dim: int,
        num_actions: int,
        n_critics: int = 2,
        hidden: tuple[int, ...] = (256, 256),
        n_quantiles: int = 1,
    ):
        super().__init__()
        self.state_dim, self.num_actions, self.n_critics, self.hidden = (
            state_dim,
            num_actions,
            n_critics,
            hidden,
        )
        self.n_quantiles = n_quantiles
        self.critics = nn.ModuleList(
            mlp(state_dim, num_actions * n_quantiles, hidden) for _ in range(n_critics)
        )

    def all_quantiles(self, state: torch.Tensor) -> torch.Tensor:
        """``(n_critics, batch, actions, n_quantiles)``."""
        out = torch.stack([critic(state) for critic in self.critics])
        return out.view(*out.shape[:2], self.num_actions, self.n_quantiles)

    def all_q(self, state: torch.Tensor) -> torch.Tensor:
        """``(n_critics, batch, actions)``."""
        return self.all_quantiles(state).mean(dim=3)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.all_q(state).mean(dim=0)


def save_checkpoint(path: str | Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write ``model``'s weights and ``meta`` (must include ``kind`` and the constructor arguments)."""
    torch.save({"state_dict": model.state_dict(), "meta": meta}, str(path))


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network saved by :func:`save_checkpoint` (``kind``: ``"q"`` or ``"belief"``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    blob = torch.load(str(path), map_location="cpu", weights_only=True)
    meta = blob["meta"]
    hidden = tuple(meta["hidden"])
    if meta["kind"] == "q":
        model: nn.Module = QEnsemble(
            meta["state_dim"], meta["num_actions"], meta["n_critics"], hidden, meta.get("n_quantiles", 1)
        )
    elif meta["kind"] == "belief":
        model = mlp(meta["state_dim"], meta["out_dim"], hidden)
    else:
        raise ValueError(f"unknown checkpoint kind {meta['kind']!r} in {path}")
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta
