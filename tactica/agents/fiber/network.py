"""The multi-view, multi-domain fusion network for DAS event recognition and radial distance (torch).

Three views of one window (channels x samples of strain rate) feed three branches whose embeddings are fused
into a shared trunk with three heads (event class, radial-distance bin, and the radial distance from the pipe in
metres, a regression), as in the multitask sDAS network (Wu et al., IEEE IoT-J 2024) and the "multi-view,
multi-domain feature fusion" of Zhu et al. (AAAI 2024):

* **raw** (space-time domain): the window scaled by its median channel RMS, a strided 2-D CNN over
  (channel, time), max-pooled over channels so the event may sit anywhere along the window;
* **spec** (time-frequency domain): per-channel log STFT power, a small 2-D CNN shared by all channels, pooled
  over channels (max and mean);
* **stats** (statistical domain): the hand-crafted feature vector of
  :func:`~tactica.agents.fiber.features.window_features`, standardised, through an MLP.

The log of the window scale enters the trunk directly: absolute level is a distance cue the normalised views
cannot see.  With the statistics view the standardised features also enter the trunk directly (a wide path), so
the network contains the linear classifier on those features and the branches only have to add to it.  Each
branch has its own auxiliary class and bin head: trained with a share of the loss (deep supervision), every view
must learn to recognise events on its own, which keeps the fusion from leaning on whichever view is easiest to
fit early on and ignoring the others.  A network built with a subset of ``views`` is the single-view ablation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["FusionNet", "VIEWS", "DISTANCE_SCALE"]

VIEWS = ("raw", "spec", "stats")


class _RawBranch(nn.Module):
    def __init__(self, width: int = 24):
        super().__init__()
        self.net = nn.Sequential(
            # stride 8 in time: 8 ms steps at 1 kHz, still twice the period of the highest event band
            nn.Conv2d(1, 8, (3, 9), stride=(1, 8), padding=(1, 4)),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, (3, 7), stride=(1, 4), padding=(1, 3)),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, width, (3, 5), stride=(1, 2), padding=(1, 2)),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        self.out_dim = 2 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.net(x.unsqueeze(1))  # (B, width, C, T')
        h = h.amax(dim=3)  # strongest response in time, per channel
        return torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1)


class _SpecBranch(nn.Module):
    def __init__(self, n_fft: int = 128, width: int = 16):
        super().__init__()
        self.n_fft = n_fft
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, width, 3, stride=2, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((4, 1)),  # keep coarse frequency position, average over time
        )
        self.out_dim = 2 * 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t = x.shape
        spec = torch.stft(
            x.reshape(b * c, t),
            self.n_fft,
            hop_length=self.n_fft // 2,
            window=self.window,
            return_complex=True,
        )
        logp = torch.log1p(spec.abs() ** 2)  # (B*C, F, frames)
        h = self.net(logp.unsqueeze(1)).reshape(b, c, -1)
        return torch.cat([h.amax(dim=1), h.mean(dim=1)], dim=1)


class _StatsBranch(nn.Module):
    def __init__(self, n_features: int, width: int = 48):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.out_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


#: scale of the distance head's output [m]: ``distance = DISTANCE_SCALE * softplus(z)``.
DISTANCE_SCALE = 10.0


class FusionNet(nn.Module):
    """Multi-view fusion network with a class head, a distance-bin head and a radial-distance head.

    Args:
        n_features: length of the statistical feature vector.
        n_classes: event classes including background.
        n_bins: radial-distance bins.
        views: the views to use (any non-empty subset of ``("raw", "spec", "stats")``).
    """

    def __init__(self, n_features: int, n_classes: int = 5, n_bins: int = 5, views: Sequence[str] = VIEWS):
        super().__init__()
        views = tuple(views)
        if not views or any(v not in VIEWS for v in views) or len(set(views)) != len(views):
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {views!r}")
        self.views = views
        self.n_features = int(n_features)
        self.branches = nn.ModuleDict()
        if "raw" in views:
            self.branches["raw"] = _RawBranch()
        if "spec" in views:
            self.branches["spec"] = _SpecBranch()
        if "stats" in views:
            self.branches["stats"] = _StatsBranch(n_features)
        self.n_classes = int(n_classes)
        self.n_bins = int(n_bins)
        # one linear head per branch: class logits then bin logits (auxiliary, used in training only)
        self.aux_heads = nn.ModuleDict(
            {name: nn.Linear(b.out_dim, n_classes + n_bins) for name, b in self.branches.items()}
        )
        fused = sum(b.out_dim for b in self.branches.values()) + 1
        if "stats" in views:
            fused += self.n_features  # the wide path
        self.trunk = nn.Sequential(nn.Linear(fused, 64), nn.ReLU(), nn.Dropout(0.1))
        self.class_head = nn.Linear(64, n_classes)
        self.bin_head = nn.Linear(64, n_bins)
        self.distance_head = nn.Linear(64, 1)

    def replace_class_head(self, n_classes: int) -> None:
        """New, freshly initialised class heads (the main one and each view's auxiliary one) for ``n_classes``
        classes, for fine-tuning on a data set with another label set; the trunk, branches, bin and distance
        heads keep their weights (the auxiliary heads keep their bin rows)."""
        if not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
        self.class_head = nn.Linear(self.class_head.in_features, n_classes)
        for name, old in list(self.aux_heads.items()):
            new = nn.Linear(old.in_features, n_classes + self.n_bins)
            with torch.no_grad():
                new.weight[n_classes:] = old.weight[self.n_classes :]
                new.bias[n_classes:] = old.bias[self.n_classes :]
            self.aux_heads[name] = new
        self.n_classes = n_classes

    def forward(
        self, raw: torch.Tensor, log_scale: torch.Tensor, stats: torch.Tensor, *, aux: bool = False
    ) -> tuple[torch.Tensor, ...]:
        """``raw`` (B, C, T) scaled window, ``log_scale`` (B, 1), ``stats`` (B, F) standardised features;
        returns (class logits, bin logits, radial distance from the pipe [m] (B,)), and with ``aux`` also
        ``{view: (class logits, bin logits)}`` of the auxiliary per-view heads."""
        parts, heads = [], {}
        for name, branch in self.branches.items():
            h = branch(stats if name == "stats" else raw)
            parts.append(h)
            if aux:
                logits = self.aux_heads[name](h)
                heads[name] = (logits[:, : self.n_classes], logits[:, self.n_classes :])
        parts.append(log_scale)
        if "stats" in self.branches:
            parts.append(stats)
        h = self.trunk(torch.cat(parts, dim=1))
        distance = DISTANCE_SCALE * nn.functional.softplus(self.distance_head(h)).squeeze(1)
        if aux:
            return self.class_head(h), self.bin_head(h), distance, heads
        return self.class_head(h), self.bin_head(h), distance
