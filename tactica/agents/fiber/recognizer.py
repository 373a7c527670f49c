"""A trained :class:`~tactica.agents.fiber.network.FusionNet` with its preprocessing, saved as one ``.pt`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.agents.fiber.features import FEATURE_NAMES, batch_features, robust_scale
from tactica.agents.fiber.network import VIEWS, FusionNet

__all__ = ["Recognizer", "WEIGHTS_DIR", "shipped_weights"]

#: folder of the weights shipped with the package (written by ``python -m tactica.agents.fiber.train --ship``).
WEIGHTS_DIR = Path(__file__).parent / "weights"
#: checkpoint format; /2 added the per-view auxiliary heads and the wide path of the statistics view.
FORMAT = "tactica-fiber-fusion/2"


def shipped_weights(domain: str = "loam") -> Path:
    """Path of the shipped fusion weights for ``domain`` (``"loam"``: pre-trained; ``"wet_clay"``: fine-tuned)."""
    path = WEIGHTS_DIR / f"fusion_{domain}.pt"
    if not path.exists():
        known = sorted(p.stem.removeprefix("fusion_") for p in WEIGHTS_DIR.glob("fusion_*.pt"))
        raise ValueError(f"no shipped fusion weights for domain {domain!r}; available: {known}")
    return path


class Recognizer:
    """Preprocessing (scale, features, standardisation) plus the network; ``predict`` takes raw windows.

    Args:
        net: the network.
        feature_mean, feature_std: standardisation of the statistical features (fitted on training data).
        fs: sample rate the network was trained at [Hz].
        channel_spacing: channel spacing [m] the features assume.
        meta: free-form provenance (domain, seed, metrics).
    """

    def __init__(
        self,
        net: FusionNet,
        feature_mean: np.ndarray,
        feature_std: np.ndarray,
        fs: float = 1000.0,
        channel_spacing: float = 5.0,
        meta: dict[str, Any] | None = None,
    ):
        self.net = net
        self.feature_mean = np.asarray(feature_mean, dtype=np.float32)
        self.feature_std = np.asarray(feature_std, dtype=np.float32)
        self.fs = float(fs)
        self.channel_spacing = float(channel_spacing)
        self.meta = dict(meta or {})

    @classmethod
    def new(
        cls, views=VIEWS, feature_mean=None, feature_std=None, fs: float = 1000.0, seed: int = 0
    ) -> Recognizer:
        torch.manual_seed(seed)
        n = len(FEATURE_NAMES)
        mean = np.zeros(n) if feature_mean is None else feature_mean
        std = np.ones(n) if feature_std is None else feature_std
        return cls(FusionNet(n, views=views), mean, std, fs)

    # --------------------------------------------------------------------------------------- tensors
    def features(self, windows: np.ndarray) -> np.ndarray:
        """Raw statistical features (n, F) of windows (n, C, T)."""
        return batch_features(windows, self.fs, self.channel_spacing)

    def tensors(self, windows: np.ndarray, features: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
        """(scaled raw, log scale, standardised features) for windows (n, C, T)."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim == 2:
            windows = windows[None]
        if features is None:
            features = self.features(windows)
        scales = np.array([robust_scale(w) for w in windows], dtype=np.float32)
        raw = windows / scales[:, None, None]
        log_scale = (np.log10(scales) - 3.0)[:, None]
        stats = (features - self.feature_mean) / self.feature_std
        return (
            torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32)),
            torch.from_numpy(log_scale.astype(np.float32)),
            torch.from_numpy(np.asarray(stats, dtype=np.float32)),
        )

    @torch.no_grad()
    def predict_proba(self, windows: np.ndarray, features: np.ndarray | None = None, batch: int = 64):
        """Class and bin probabilities for windows (n, C, T): two arrays (n, 5)."""
        self.net.eval()
        raw, log_scale, stats = self.tensors(windows, features)
        pc, pb = [], []
        for i in range(0, len(raw), batch):
            lc, lb = self.net(raw[i : i + batch], log_scale[i : i + batch], stats[i : i + batch])
            pc.append(torch.softmax(lc, 1))
            pb.append(torch.softmax(lb, 1))
        return torch.cat(pc).numpy(), torch.cat(pb).numpy()

    def predict(
        self, windows: np.ndarray, features: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(classes, bins) for windows (n, C, T)."""
        pc, pb = self.predict_proba(windows, features)
        return pc.argmax(axis=1), pb.argmax(axis=1)

    # --------------------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        torch.save(
            {
                "format": FORMAT,
                "views": list(self.net.views),
                "n_features": self.net.n_features,
                "state_dict": state,
                "feature_mean": torch.from_numpy(self.feature_mean),
                "feature_std": torch.from_numpy(self.feature_std),
                "fs": self.fs,
                "channel_spacing": self.channel_spacing,
                "meta": self.meta,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> Recognizer:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(path)
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("format") != FORMAT:
            raise ValueError(
                f"{path} is not a tactica fibre fusion checkpoint of format {FORMAT!r} "
                f"(found {blob.get('format')!r}); retrain with python -m tactica.agents.fiber.train"
            )
        net = FusionNet(int(blob["n_features"]), views=blob["views"])
        net.load_state_dict(blob["state_dict"])
        net.eval()
        return cls(
            net,
            blob["feature_mean"].numpy(),
            blob["feature_std"].numpy(),
            float(blob["fs"]),
            float(blob["channel_spacing"]),
            blob.get("meta", {}),
        )
