"""A trained :class:`~tactica.agents.fiber.network.FusionNet` with its preprocessing, saved as one ``.pt`` file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from tactica.agents.fiber.features import FEATURE_NAMES, batch_features, robust_scale
from tactica.agents.fiber.network import VIEWS, FusionNet
from tactica.envs.fiber import constants as K

__all__ = [
    "Recognizer",
    "Prediction",
    "WEIGHTS_DIR",
    "shipped_weights",
    "weights_for_domain",
    "MIN_WINDOW_SAMPLES",
]

#: folder of the weights shipped with the package (written by ``python -m tactica.agents.fiber.train --ship``).
WEIGHTS_DIR = Path(__file__).parent / "weights"
#: checkpoint format; /2 added the per-view auxiliary heads and the wide path of the statistics view; /3 the
#: radial-distance head, the class names (a fine-tuned head may have its own label set), the window length and
#: the interrogator output the model was trained on.
FORMAT = "tactica-fiber-fusion/3"
#: shortest window the views take (the spectrogram's 128-point frames, the features' 64 samples).
MIN_WINDOW_SAMPLES = 256


def shipped_weights(domain: str = "loam") -> Path:
    """Path of the shipped fusion weights for ``domain`` (``"loam"``: pre-trained; ``"wet_clay"``: fine-tuned)."""
    path = WEIGHTS_DIR / f"fusion_{domain}.pt"
    if not path.exists():
        known = sorted(p.stem.removeprefix("fusion_") for p in WEIGHTS_DIR.glob("fusion_*.pt"))
        raise ValueError(f"no shipped fusion weights for domain {domain!r}; available: {known}")
    return path


def weights_for_domain(domain: str) -> Path:
    """The shipped fusion weights fine-tuned for ``domain`` if there are any, else the pre-trained ``loam`` ones
    (the soils held out of training have no weights of their own)."""
    path = WEIGHTS_DIR / f"fusion_{domain}.pt"
    return path if path.exists() else shipped_weights("loam")


class Prediction(NamedTuple):
    """What the recognizer says about a batch of windows."""

    classes: np.ndarray  # (n,) class index
    bins: np.ndarray  # (n,) radial-distance bin (from the fibre)
    distances: np.ndarray  # (n,) radial distance from the pipe [m]
    class_proba: np.ndarray  # (n, classes)
    bin_proba: np.ndarray  # (n, bins)


class Recognizer:
    """Preprocessing (scale, features, standardisation) plus the network; ``predict`` takes raw windows.

    Args:
        net: the network.
        feature_mean, feature_std: standardisation of the statistical features (fitted on training data).
        fs: sample rate the network was trained at [Hz].
        channel_spacing: channel spacing [m] the features assume.
        meta: free-form provenance (domain, seed, metrics).
        class_names: names of the class head's outputs.
        window_samples: window length [samples] the network was trained on.
        output: interrogator output the network was trained on (``"phase"`` or ``"intensity"``).
    """

    def __init__(
        self,
        net: FusionNet,
        feature_mean: np.ndarray,
        feature_std: np.ndarray,
        fs: float = K.PULSE_RATE,
        channel_spacing: float = K.CHANNEL_SPACING,
        meta: dict[str, Any] | None = None,
        class_names: tuple[str, ...] = K.CLASS_NAMES,
        window_samples: int = 2000,
        output: str = "phase",
    ):
        if len(class_names) != net.n_classes:
            raise ValueError(f"{len(class_names)} class names for a class head of {net.n_classes} outputs")
        self.net = net
        self.feature_mean = np.asarray(feature_mean, dtype=np.float32)
        self.feature_std = np.asarray(feature_std, dtype=np.float32)
        self.fs = float(fs)
        self.channel_spacing = float(channel_spacing)
        self.meta = dict(meta or {})
        self.class_names = tuple(str(c) for c in class_names)
        self.window_samples = int(window_samples)
        self.output = str(output)

    @classmethod
    def new(
        cls,
        views=VIEWS,
        feature_mean=None,
        feature_std=None,
        fs: float = K.PULSE_RATE,
        seed: int = 0,
        *,
        class_names: tuple[str, ...] = K.CLASS_NAMES,
        window_samples: int = 2000,
        output: str = "phase",
    ) -> Recognizer:
        torch.manual_seed(seed)
        n = len(FEATURE_NAMES)
        mean = np.zeros(n) if feature_mean is None else feature_mean
        std = np.ones(n) if feature_std is None else feature_std
        net = FusionNet(n, n_classes=len(class_names), views=views)
        return cls(net, mean, std, fs, class_names=class_names, window_samples=window_samples, output=output)

    # --------------------------------------------------------------------------------------- data checks
    def check_data(self, fs: float, window_samples: int, *, fine_tuning: bool = False) -> None:
        """Raise a ``ValueError`` saying what to do if windows at ``fs`` [Hz] of ``window_samples`` samples do not
        fit this model: the sample rate must be the model's (the features and spectrogram are in Hz), and the
        window length the model's unless ``fine_tuning`` (the views pool over time, so a fine-tuned model may
        take another length, which it then records)."""
        if not math.isclose(float(fs), self.fs, rel_tol=1e-6):
            raise ValueError(
                f"the data are sampled at {float(fs):g} Hz but this model was trained at {self.fs:g} Hz; "
                f"resample them first (FiberDataset.resample({self.fs:g}) or load_phi_otdr_mat(..., "
                f"resample_to={self.fs:g}))"
            )
        if window_samples < MIN_WINDOW_SAMPLES:
            raise ValueError(
                f"windows of {window_samples} samples are too short: the model needs >= {MIN_WINDOW_SAMPLES}"
            )
        if window_samples != self.window_samples and not fine_tuning:
            raise ValueError(
                f"windows of {window_samples} samples ({window_samples / self.fs:g} s) but this model takes "
                f"{self.window_samples} ({self.window_samples / self.fs:g} s); cut the data to that length or "
                f"fine-tune the model on windows of this length"
            )

    def check_dataset(self, dataset, *, fine_tuning: bool = False) -> None:
        """:meth:`check_data` for a :class:`~tactica.envs.fiber.datasets.FiberDataset`."""
        self.check_data(dataset.fs, dataset.window_samples, fine_tuning=fine_tuning)

    def replace_class_head(self, class_names: tuple[str, ...] | list[str]) -> None:
        """Fresh class heads for a new label set (e.g. the BJTU set's six classes), keeping everything else."""
        names = tuple(str(c) for c in class_names)
        if len(set(names)) != len(names):
            raise ValueError(f"class names must be distinct, got {names}")
        self.net.replace_class_head(len(names))
        self.class_names = names

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
    def infer(self, windows: np.ndarray, features: np.ndarray | None = None, batch: int = 64) -> Prediction:
        """Class, bin, radial distance from the pipe and the probabilities, for windows (n, C, T)."""
        self.net.eval()
        raw, log_scale, stats = self.tensors(windows, features)
        pc, pb, dist = [], [], []
        for i in range(0, len(raw), batch):
            lc, lb, d = self.net(raw[i : i + batch], log_scale[i : i + batch], stats[i : i + batch])
            pc.append(torch.softmax(lc, 1))
            pb.append(torch.softmax(lb, 1))
            dist.append(d)
        class_proba, bin_proba = torch.cat(pc).numpy(), torch.cat(pb).numpy()
        return Prediction(
            class_proba.argmax(axis=1),
            bin_proba.argmax(axis=1),
            torch.cat(dist).numpy(),
            class_proba,
            bin_proba,
        )

    def predict_proba(self, windows: np.ndarray, features: np.ndarray | None = None, batch: int = 64):
        """Class and bin probabilities for windows (n, C, T): two arrays (n, classes) and (n, bins)."""
        p = self.infer(windows, features, batch)
        return p.class_proba, p.bin_proba

    def predict(
        self, windows: np.ndarray, features: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(classes, bins) for windows (n, C, T)."""
        p = self.infer(windows, features)
        return p.classes, p.bins

    # --------------------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        torch.save(
            {
                "format": FORMAT,
                "views": list(self.net.views),
                "n_features": self.net.n_features,
                "class_names": list(self.class_names),
                "state_dict": state,
                "feature_mean": torch.from_numpy(self.feature_mean),
                "feature_std": torch.from_numpy(self.feature_std),
                "fs": self.fs,
                "channel_spacing": self.channel_spacing,
                "window_samples": self.window_samples,
                "output": self.output,
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
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            found = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
            raise ValueError(
                f"{path} is not a tactica fibre fusion checkpoint of format {FORMAT!r} "
                f"(found {found!r}); retrain with python -m tactica.agents.fiber.train"
            )
        names = tuple(blob["class_names"])
        net = FusionNet(int(blob["n_features"]), n_classes=len(names), views=blob["views"])
        net.load_state_dict(blob["state_dict"])
        net.eval()
        return cls(
            net,
            blob["feature_mean"].numpy(),
            blob["feature_std"].numpy(),
            float(blob["fs"]),
            float(blob["channel_spacing"]),
            blob.get("meta", {}),
            class_names=names,
            window_samples=int(blob["window_samples"]),
            output=str(blob["output"]),
        )
