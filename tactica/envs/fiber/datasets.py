"""Data sets of DAS windows: simulated (seeded), field data in the public Phi-OTDR ``.mat`` layout, numpy arrays.

Every loader returns a :class:`FiberDataset`: ``windows`` float32 (n, channels, samples), integer ``labels``,
optional radial ``distances`` [m] (NaN where unknown), ``class_names`` and the sample rate ``fs``.

The public BJTU Phi-OTDR event set (reference note section 2.1) stores one event per ``.mat`` file, key ``data``,
uint16 intensity of shape (10000 time points, 12 spatial points), in one folder per class; its figures use the
first difference along time, which :func:`load_phi_otdr_mat` applies by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import Interrogator
from tactica.envs.fiber.stream import EventStream

__all__ = ["FiberDataset", "simulate_windows", "load_phi_otdr_mat", "load_numpy", "save_numpy"]


@dataclass
class FiberDataset:
    """Windows (n, channels, samples), labels (n,), distances (n,) [m, NaN unknown], class names, rate [Hz]."""

    windows: np.ndarray
    labels: np.ndarray
    distances: np.ndarray
    class_names: tuple[str, ...] = K.CLASS_NAMES
    fs: float = K.PULSE_RATE
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.windows = np.asarray(self.windows, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.distances = np.asarray(self.distances, dtype=np.float64)
        if self.windows.ndim != 3:
            raise ValueError(f"windows must be (n, channels, samples), got shape {self.windows.shape}")
        n = len(self.windows)
        if self.labels.shape != (n,) or self.distances.shape != (n,):
            raise ValueError(
                f"labels and distances must have shape ({n},), got {self.labels.shape} and {self.distances.shape}"
            )
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"labels must lie in 0..{len(self.class_names) - 1}")

    def __len__(self) -> int:
        return len(self.windows)

    def subset(self, index) -> FiberDataset:
        return replace(
            self, windows=self.windows[index], labels=self.labels[index], distances=self.distances[index]
        )


def simulate_windows(
    n: int,
    seed: int,
    *,
    domain: str = "loam",
    n_channels: int = 12,
    window_s: float = 2.0,
    interrogator: Interrogator | None = None,
    background_fraction: float = 0.2,
    progress=None,
) -> FiberDataset:
    """``n`` labelled windows, each from a fresh stream of the domain (new soil, noise and fading per window).

    Classes are balanced over the four event classes, with ``background_fraction`` of quiet windows; each event
    is active for the whole window, at a uniform radial distance in [0, 30] m.  ``progress(i)`` is called after
    each window if given.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    base = interrogator or Interrogator()
    samples = int(round(window_s * base.pulse_rate))
    windows = np.empty((n, n_channels, samples), dtype=np.float32)
    labels = np.zeros(n, dtype=np.int64)
    distances = np.full(n, np.nan)
    for i in range(n):
        stream = EventStream(n_channels, rng, domain=domain, interrogator=base, event_rate=0.0)
        if rng.random() >= background_fraction:
            kind = int(rng.integers(1, len(K.CLASS_NAMES)))
            event = stream.new_event(kind, 0.0)
            if event.kind in (3, 4):
                # stationary work: only the part around the window matters, keep the source short
                event = replace(event, duration=min(event.duration, window_s + 4.0))
            lead = rng.uniform(0.0, max(event.duration - window_s, 0.0))
            event = replace(event, start=-lead)
            stream.add_event(event)
        windows[i] = stream.read(samples)
        label = stream.label(0.0, window_s)
        labels[i] = label.kind
        if label.kind:
            distances[i] = label.distance
        if progress is not None:
            progress(i)
    meta = {"domain": domain, "seed": seed, "window_s": window_s, "channel_spacing": base.channel_spacing}
    return FiberDataset(windows, labels, distances, K.CLASS_NAMES, base.pulse_rate, meta)


def load_phi_otdr_mat(
    root: str | Path,
    *,
    key: str = "data",
    fs: float = 8000.0,
    difference: bool = True,
    class_names: tuple[str, ...] | None = None,
) -> FiberDataset:
    """Load ``.mat`` files laid out one folder per class (``root/<class>/<sample>.mat``).

    Each file's ``key`` array is (time, channels) as in the BJTU set; it is transposed to (channels, time) and,
    with ``difference``, differenced along time (intensity to its rate of change).  Classes are the folder names
    in sorted order unless ``class_names`` fixes the order (a folder not in it is an error).  ``fs`` is the
    pulse rate (BJTU: 12.5 kHz on the 5 km fibre, 8 kHz on the 10 km one).
    """
    try:
        from scipy.io import loadmat
    except ImportError as exc:  # pragma: no cover - scipy is a core dependency
        from tactica.errors import MissingDependency

        raise MissingDependency("scipy", purpose="reading .mat files") from exc
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory of class folders")
    files = sorted(root.glob("*/*.mat"))
    if not files:
        raise ValueError(f"no .mat files found under {root}/<class>/")
    folders = sorted({f.parent.name for f in files})
    names = tuple(class_names) if class_names else tuple(folders)
    unknown = set(folders) - set(names)
    if unknown:
        raise ValueError(f"class folders {sorted(unknown)} are not in class_names {list(names)}")
    arrays, labels = [], []
    for f in files:
        content = loadmat(f)
        if key not in content:
            keys = [k for k in content if not k.startswith("__")]
            raise ValueError(f"{f} has no key {key!r}; keys: {keys}")
        a = np.asarray(content[key], dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"{f}: {key!r} must be 2-D (time, channels), got shape {a.shape}")
        a = a.T
        if difference:
            a = np.diff(a, axis=1)
        arrays.append(a.astype(np.float32))
        labels.append(names.index(f.parent.name))
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"samples differ in shape: {sorted(shapes)}")
    return FiberDataset(
        np.stack(arrays), np.array(labels), np.full(len(arrays), np.nan), names, fs, {"source": str(root)}
    )


def load_numpy(path: str | Path, *, fs: float | None = None) -> FiberDataset:
    """Load windows from ``.npz`` (keys ``windows``, ``labels``, optional ``distances``, ``class_names``,
    ``fs``) or a bare ``.npy`` of windows (n, channels, samples) with all labels 0."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.suffix == ".npy":
        windows = np.load(path)
        if windows.ndim != 3:
            raise ValueError(f"{path}: expected (n, channels, samples), got shape {windows.shape}")
        n = len(windows)
        return FiberDataset(windows, np.zeros(n, dtype=np.int64), np.full(n, np.nan), fs=fs or K.PULSE_RATE)
    if path.suffix != ".npz":
        raise ValueError(f"{path}: expected a .npz or .npy file")
    with np.load(path, allow_pickle=False) as z:
        if "windows" not in z or "labels" not in z:
            raise ValueError(f"{path}: a .npz needs arrays 'windows' and 'labels', has {sorted(z.files)}")
        windows, labels = z["windows"], z["labels"]
        distances = z["distances"] if "distances" in z else np.full(len(labels), np.nan)
        names = tuple(str(s) for s in z["class_names"]) if "class_names" in z else K.CLASS_NAMES
        rate = float(z["fs"]) if "fs" in z else (fs or K.PULSE_RATE)
    if fs is not None and not math.isclose(rate, fs):
        rate = fs
    return FiberDataset(windows, labels, distances, names, rate, {"source": str(path)})


def save_numpy(dataset: FiberDataset, path: str | Path) -> None:
    """Write ``dataset`` as ``.npz`` readable by :func:`load_numpy`."""
    np.savez_compressed(
        path,
        windows=dataset.windows,
        labels=dataset.labels,
        distances=dataset.distances,
        class_names=np.array(dataset.class_names),
        fs=np.float64(dataset.fs),
    )
