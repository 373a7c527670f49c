"""Data sets of DAS windows: simulated (seeded), field data in the public Phi-OTDR ``.mat`` layout, numpy arrays.

Every loader returns a :class:`FiberDataset`: ``windows`` float32 (n, channels, samples), integer ``labels``,
optional radial ``distances`` from the fibre and ``pipe_distances`` from the pipe [m] (NaN where unknown),
``class_names`` and the sample rate ``fs``.

The public BJTU Phi-OTDR event set (Cao, Su, Jin and Yu, "An open dataset of phi-OTDR events with two
classification models as baselines"; https://github.com/BJTUSensor/Phi-OTDR_dataset_and_codes, data on Google
Drive and Baidu Netdisk) stores one event per ``.mat`` file, key ``data``, uint16 intensity of shape (10000 time
points, 12 spatial points), in ``train/<class>/`` and ``test/<class>/`` folders; its figures use the first
difference along time, which :func:`load_phi_otdr_mat` applies by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import Interrogator
from tactica.envs.fiber.stream import EventStream

__all__ = [
    "FiberDataset",
    "simulate_windows",
    "load_phi_otdr_mat",
    "load_numpy",
    "save_numpy",
    "SPLIT_NAMES",
]

#: folder names taken for data-set splits (``root/<split>/<class>/<n>.mat``) rather than classes.
SPLIT_NAMES = ("train", "test", "val", "valid", "validation")


@dataclass
class FiberDataset:
    """Windows (n, channels, samples), labels (n,), distances from the fibre (n,) [m, NaN unknown], class names,
    rate [Hz], free-form ``meta``, and distances from the pipe (n,) [m, NaN unknown; all NaN if not given]."""

    windows: np.ndarray
    labels: np.ndarray
    distances: np.ndarray
    class_names: tuple[str, ...] = K.CLASS_NAMES
    fs: float = K.PULSE_RATE
    meta: dict = field(default_factory=dict)
    pipe_distances: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.windows = np.asarray(self.windows, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.distances = np.asarray(self.distances, dtype=np.float64)
        self.class_names = tuple(str(c) for c in self.class_names)
        if self.windows.ndim != 3:
            raise ValueError(f"windows must be (n, channels, samples), got shape {self.windows.shape}")
        n = len(self.windows)
        if self.pipe_distances is None:
            self.pipe_distances = np.full(n, np.nan)
        self.pipe_distances = np.asarray(self.pipe_distances, dtype=np.float64)
        if self.labels.shape != (n,) or self.distances.shape != (n,) or self.pipe_distances.shape != (n,):
            raise ValueError(
                f"labels, distances and pipe_distances must have shape ({n},), got {self.labels.shape}, "
                f"{self.distances.shape} and {self.pipe_distances.shape}"
            )
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"labels must lie in 0..{len(self.class_names) - 1}")
        if not (isinstance(self.fs, (int, float, np.floating, np.integer)) and self.fs > 0):
            raise ValueError(f"fs must be a sample rate > 0 [Hz], got {self.fs!r}")
        self.fs = float(self.fs)

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def window_samples(self) -> int:
        """Samples per window."""
        return int(self.windows.shape[2])

    def subset(self, index) -> FiberDataset:
        meta = dict(self.meta)
        if "split" in meta:
            meta["split"] = np.asarray(meta["split"])[index]
        return replace(
            self,
            windows=self.windows[index],
            labels=self.labels[index],
            distances=self.distances[index],
            pipe_distances=self.pipe_distances[index],
            meta=meta,
        )

    def split(self, name: str) -> FiberDataset:
        """The windows of one split (``"train"``, ``"test"``, ...) of a data set loaded from a root with splits."""
        splits = self.meta.get("split")
        if splits is None:
            raise ValueError(
                "this data set has no splits (it was not loaded from root/<split>/<class>/ folders)"
            )
        splits = np.asarray(splits)
        if name not in set(splits.tolist()):
            raise ValueError(f"no split {name!r}; splits here: {sorted(set(splits.tolist()))}")
        return self.subset(np.flatnonzero(splits == name))

    def resample(self, fs: float) -> FiberDataset:
        """The same windows at sample rate ``fs`` (polyphase filtering, ``scipy.signal.resample_poly``), e.g. the
        BJTU set's 8 kHz down to the 1 kHz the shipped recognizer was trained at."""
        if not (isinstance(fs, (int, float, np.floating, np.integer)) and fs > 0):
            raise ValueError(f"fs must be a sample rate > 0 [Hz], got {fs!r}")
        return replace(self, windows=_resample(self.windows, self.fs, float(fs)), fs=float(fs))


def _resample(x: np.ndarray, fs: float, to: float) -> np.ndarray:
    """``x`` (..., time) at ``fs`` resampled to ``to`` along its last axis (polyphase), float32."""
    from fractions import Fraction

    from scipy import signal as sp_signal

    ratio = Fraction(to / fs).limit_denominator(1000)
    if ratio == 1:
        return np.asarray(x, dtype=np.float32)
    return sp_signal.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)


def simulate_windows(
    n: int,
    seed: int,
    *,
    domain: str = "loam",
    n_channels: int = 12,
    window_s: float = 2.0,
    interrogator: Interrogator | None = None,
    background_fraction: float = 0.2,
    range_km: tuple[float, float] = (0.0, 10.0),
    pipe_offset: float = K.PIPE_OFFSET,
    progress=None,
) -> FiberDataset:
    """``n`` labelled windows, each from a fresh stream of the domain (new soil, noise and fading per window).

    Classes are balanced over the four event classes, with ``background_fraction`` of quiet windows; each event
    is active for the whole window, at a uniform radial distance in [0, 30] m from the fibre, on a random side
    of it (``pipe_distances`` follow from ``pipe_offset``).  Each window's stretch of fibre starts a uniform
    ``range_km`` down the fibre (fibre loss: farther is noisier).  ``progress(i)`` is called after each window
    if given.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0.0 <= range_km[0] <= range_km[1]:
        raise ValueError(f"range_km must be (low, high) with 0 <= low <= high, got {range_km!r}")
    rng = np.random.default_rng(seed)
    base = interrogator or Interrogator()
    samples = int(round(window_s * base.pulse_rate))
    windows = np.empty((n, n_channels, samples), dtype=np.float32)
    labels = np.zeros(n, dtype=np.int64)
    distances = np.full(n, np.nan)
    pipe = np.full(n, np.nan)
    for i in range(n):
        stream = EventStream(
            n_channels,
            rng,
            domain=domain,
            interrogator=base,
            event_rate=0.0,
            range_start=1000.0 * float(rng.uniform(*range_km)),
            pipe_offset=pipe_offset,
        )
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
            pipe[i] = label.pipe_distance
        if progress is not None:
            progress(i)
    meta = {
        "domain": domain,
        "seed": seed,
        "window_s": window_s,
        "channel_spacing": base.channel_spacing,
        "output": base.output,
        "pipe_offset": pipe_offset,
    }
    return FiberDataset(windows, labels, distances, K.CLASS_NAMES, base.pulse_rate, meta, pipe)


def load_phi_otdr_mat(
    root: str | Path,
    *,
    fs: float,
    key: str = "data",
    difference: bool = True,
    class_names: tuple[str, ...] | None = None,
    split: str | None = None,
    resample_to: float | None = None,
    progress=None,
) -> FiberDataset:
    """Load ``.mat`` files laid out one folder per class, from a data set's root.

    ``root`` may be the folder of class folders (``root/<class>/<n>.mat``), a root with split folders
    (``root/train/<class>/``, ``root/test/<class>/``) or the folder above it (the BJTU archive unpacks to
    ``das_data/train/...``): every ``.mat`` file up to three folders down is found, its class is its folder's
    name, and its split the folder above when that is named ``train``/``test``/``val``/... (``meta["split"]``;
    :meth:`FiberDataset.split` selects one; ``split=`` loads only one).

    Each file's ``key`` array is (time, channels) as in the BJTU set; it is transposed to (channels, time) and,
    with ``difference``, differenced along time (intensity to its rate of change).  Classes are the folder names
    in sorted order unless ``class_names`` fixes the order (a folder not in it is an error).  ``fs`` is the pulse
    rate the files were recorded at, which no BJTU file states: 12.5 kHz on its 5 km fibre, 8 kHz on its 10 km
    one (10,000 samples = 0.8 s or 1.25 s).  ``resample_to`` resamples every window (e.g. to 1 kHz, the shipped
    recognizer's rate); :meth:`~tactica.agents.fiber.recognizer.Recognizer.check_data` tells whether the result
    fits a model.
    """
    try:
        from scipy.io import loadmat
    except ImportError as exc:  # pragma: no cover - scipy is a core dependency
        from tactica.errors import MissingDependency

        raise MissingDependency("scipy", purpose="reading .mat files") from exc
    if not (isinstance(fs, (int, float, np.floating, np.integer)) and fs > 0):
        raise ValueError(f"fs must be the recording's sample rate > 0 [Hz], got {fs!r}")
    if resample_to is not None and not (
        isinstance(resample_to, (int, float, np.floating, np.integer)) and resample_to > 0
    ):
        raise ValueError(f"resample_to must be a sample rate > 0 [Hz] or None, got {resample_to!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory (expected a data set root or class folders)")
    files = sorted(f for depth in ("*/*.mat", "*/*/*.mat", "*/*/*/*.mat") for f in root.glob(depth))
    if not files:
        raise ValueError(
            f"no .mat files found under {root} (looked in <class>/, <split>/<class>/ and <dir>/<split>/<class>/)"
        )
    splits = [f.parent.parent.name if f.parent.parent.name.lower() in SPLIT_NAMES else "" for f in files]
    if split is not None:
        chosen = [i for i, s in enumerate(splits) if s == split]
        if not chosen:
            raise ValueError(f"no split {split!r} under {root}; splits found: {sorted(set(splits) - {''})}")
        files = [files[i] for i in chosen]
        splits = [splits[i] for i in chosen]
    folders = sorted({f.parent.name for f in files})
    if any(name.lower() in SPLIT_NAMES for name in folders):
        raise ValueError(
            f"{root}: .mat files directly inside a split folder; expected <split>/<class>/<n>.mat"
        )
    names = tuple(class_names) if class_names else tuple(folders)
    unknown = set(folders) - set(names)
    if unknown:
        raise ValueError(f"class folders {sorted(unknown)} are not in class_names {list(names)}")
    arrays, labels = [], []
    for i, f in enumerate(files):
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
        # one window at a time: the whole BJTU set at 8 kHz is 7.5 GB of float32, at 1 kHz under 1 GB
        arrays.append(
            _resample(a, fs, float(resample_to)) if resample_to is not None else a.astype(np.float32)
        )
        labels.append(names.index(f.parent.name))
        if progress is not None:
            progress(i)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"samples differ in shape (channels, time): {sorted(shapes)}")
    meta: dict = {"source": str(root)}
    if any(splits):
        meta["split"] = np.array(splits)
    n = len(arrays)
    rate = float(fs) if resample_to is None else float(resample_to)
    return FiberDataset(np.stack(arrays), np.array(labels), np.full(n, np.nan), names, rate, meta)


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
        pipe = z["pipe_distances"] if "pipe_distances" in z else None
        names = tuple(str(s) for s in z["class_names"]) if "class_names" in z else K.CLASS_NAMES
        rate = float(z["fs"]) if "fs" in z else (fs or K.PULSE_RATE)
    if fs is not None and not math.isclose(rate, fs):
        rate = fs
    return FiberDataset(windows, labels, distances, names, rate, {"source": str(path)}, pipe)


def save_numpy(dataset: FiberDataset, path: str | Path) -> None:
    """Write ``dataset`` as ``.npz`` readable by :func:`load_numpy`."""
    np.savez_compressed(
        path,
        windows=dataset.windows,
        labels=dataset.labels,
        distances=dataset.distances,
        pipe_distances=dataset.pipe_distances,
        class_names=np.array(dataset.class_names),
        fs=np.float64(dataset.fs),
    )
