"""Classical baselines: an energy CUSUM detector and a softmax-regression classifier on hand-crafted features.

Both are numpy/scipy only and save to small ``.npz`` files.

* :class:`CusumDetector` watches, on every channel, the energy in the event band relative to a high band that
  holds only interrogator noise (so Rayleigh fading, which sets each channel's noise, cancels), after removing
  2 pi phase-jump spikes, and raises an alarm when Page's CUSUM of the excess crosses a threshold (quickest
  change detection).  It can
  detect but not tell events apart: an alarm is reported as ``alarm_class`` (a threat), and the radial distance
  is read off the peak energy with thresholds calibrated per bin (energy falls with distance, as the ground model's attenuation
  law says).
* :class:`FeatureClassifier` is multinomial logistic regression (L2, fitted by L-BFGS) on
  :func:`~tactica.agents.fiber.features.window_features`, one head for the class and one for the distance
  bin.  Transfer: :meth:`FeatureClassifier.fit` with ``prior=`` shrinks towards a source-domain model instead
  of towards zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import optimize

from tactica.envs.fiber import constants as K

__all__ = ["CusumDetector", "FeatureClassifier", "SoftmaxRegression", "despike", "frame_energies"]

_N_BINS = len(K.DISTANCE_EDGES) - 1


def despike(window: np.ndarray, k: float = 8.0) -> np.ndarray:
    """Replace isolated one-sample spikes (2 pi phase-unwrapping jumps in strain rate) by their neighbours' mean.

    A sample is a spike when it exceeds ``k`` times the channel's noise scale while both neighbours stay under
    twice it; real vibrations are band-limited and never jump in and out within one sample.
    """
    x = np.asarray(window, dtype=np.float32)
    scale = 1.2533 * np.mean(np.abs(x), axis=-1, keepdims=True) + 1e-12  # sigma from the mean |x| (Gaussian)
    left, mid, right = x[..., :-2], x[..., 1:-1], x[..., 2:]
    spikes = (np.abs(mid) > k * scale) & (np.abs(left) < 2 * scale) & (np.abs(right) < 2 * scale)
    if not spikes.any():
        return x
    y = x.copy()
    y[..., 1:-1][spikes] = 0.5 * (left + right)[spikes]
    return y


def frame_energies(window: np.ndarray, fs: float, frames: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Log10 energy per channel and frame in the event band and in a high reference band: two (..., frames).

    The event band (5-150 Hz) holds the vibrations; the reference band (0.55-0.9 of Nyquist) holds almost only the
    interrogator's phase noise, whose level follows each channel's fading amplitude.  Their difference is a
    detection statistic that needs no per-channel noise history.
    """
    x = despike(window)
    n = (x.shape[-1] // frames) * frames
    spectra = np.abs(np.fft.rfft(x[..., :n].reshape(*x.shape[:-1], frames, n // frames), axis=-1)) ** 2
    f = np.fft.rfftfreq(n // frames, 1.0 / fs)
    nyquist = fs / 2
    low = (f >= 5.0) & (f <= min(150.0, 0.3 * nyquist))
    high = (f >= 0.55 * nyquist) & (f <= 0.9 * nyquist)
    return np.log10(spectra[..., low].sum(-1) + 1.0), np.log10(spectra[..., high].sum(-1) + 1.0)


class CusumDetector:
    """Per-channel CUSUM on the event-band to noise-band energy ratio.

    Args:
        fs: sample rate [Hz].
        drift: CUSUM allowance k [log10 units]: an excess below it counts as noise.
        threshold: CUSUM alarm threshold h [log10 units x frames].
        level: the statistic's noise-only level (calibrated on background windows).
        alarm_class: class reported on an alarm (3: manual digging).
        bin_edges: peak event-band energies (log10) between distance bins, nearest bin first (descending).
    """

    def __init__(
        self,
        fs: float = K.PULSE_RATE,
        drift: float = 0.3,
        threshold: float = 2.0,
        level: float = -1.5,
        alarm_class: int = 3,
        bin_edges: np.ndarray | None = None,
    ):
        self.fs = float(fs)
        self.drift = float(drift)
        self.threshold = float(threshold)
        self.level = float(level)
        self.alarm_class = int(alarm_class)
        self.bin_edges = np.asarray(bin_edges if bin_edges is not None else [8.0, 7.0, 6.0, 5.0], dtype=float)
        self.reset()

    def reset(self) -> None:
        """Forget the CUSUM statistics (a new stream)."""
        self.cusum: np.ndarray | None = None

    def _scan(self, ratio: np.ndarray, cusum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run Page's recursion over the frames (last axis); returns (final statistic, its running maximum)."""
        best = cusum.copy()
        for j in range(ratio.shape[-1]):
            cusum = np.maximum(0.0, cusum + ratio[..., j] - self.level - self.drift)
            best = np.maximum(best, cusum)
        return cusum, best

    def update(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feed a window (channels, samples); returns (alarm per channel, peak event-band energy per channel)."""
        low, high = frame_energies(window, self.fs)
        if self.cusum is None or self.cusum.shape[0] != low.shape[0]:
            self.cusum = np.zeros(low.shape[0])
        self.cusum, best = self._scan(low - high, self.cusum)
        alarm = best > self.threshold
        self.cusum[alarm] = 0.0  # an alarm restarts the statistic (Page's rule)
        return alarm, low.max(axis=-1)

    def judge(self, window: np.ndarray) -> tuple[int, int]:
        """(class, distance bin) for one window; class 0 when no channel alarms."""
        alarm, peak = self.update(window)
        if not alarm.any():
            return 0, 0
        top = float(peak[alarm].max())
        return self.alarm_class, int(np.sum(top < self.bin_edges))

    def calibrate(
        self, windows: np.ndarray, labels: np.ndarray, distances: np.ndarray, nar: float = 0.05
    ) -> None:
        """Fit the noise level, the threshold (alarms on at most ``nar`` of background windows judged from a fresh
        state) and the energy edges between distance bins."""
        labels = np.asarray(labels)
        parts = [frame_energies(windows[i : i + 256], self.fs) for i in range(0, len(windows), 256)]
        low = np.concatenate([p[0] for p in parts])  # (n, channels, frames)
        ratio = low - np.concatenate([p[1] for p in parts])
        background = labels == 0
        if background.any():
            self.level = float(np.median(ratio[background]))
        _, best = self._scan(ratio, np.zeros(ratio.shape[:-1]))
        scores, peaks = best.max(axis=1), low.max(axis=(1, 2))
        if background.any():
            self.threshold = float(np.quantile(scores[background], 1.0 - nar)) + 1e-6
        edges = []
        bins = np.array([_bin(d) if np.isfinite(d) else -1 for d in distances])
        for b in range(_N_BINS - 1):
            near, far = peaks[(bins == b) & (labels > 0)], peaks[(bins == b + 1) & (labels > 0)]
            if near.size and far.size:
                edges.append(0.5 * (np.median(near) + np.median(far)))
            else:
                edges.append(self.bin_edges[b])
        self.bin_edges = np.minimum.accumulate(np.asarray(edges))

    def save(self, path: str | Path) -> None:
        np.savez(
            path,
            fs=self.fs,
            drift=self.drift,
            threshold=self.threshold,
            level=self.level,
            alarm_class=self.alarm_class,
            bin_edges=self.bin_edges,
        )

    @classmethod
    def load(cls, path: str | Path) -> CusumDetector:
        with np.load(path) as z:
            return cls(
                fs=float(z["fs"]),
                drift=float(z["drift"]),
                threshold=float(z["threshold"]),
                level=float(z["level"]),
                alarm_class=int(z["alarm_class"]),
                bin_edges=z["bin_edges"],
            )


def _bin(distance: float) -> int:
    return int(min(np.searchsorted(K.DISTANCE_EDGES, distance, side="right") - 1, _N_BINS - 1))


class SoftmaxRegression:
    """Multinomial logistic regression with an L2 penalty towards ``prior`` (zero by default)."""

    def __init__(self, n_classes: int, l2: float = 1e-2):
        self.n_classes = int(n_classes)
        self.l2 = float(l2)
        self.weights: np.ndarray | None = None  # (n_features + 1, n_classes), last row the bias

    def fit(self, x: np.ndarray, y: np.ndarray, prior: np.ndarray | None = None, max_iter: int = 500):
        x1 = np.hstack([x, np.ones((len(x), 1))])
        n, f = x1.shape
        onehot = np.eye(self.n_classes)[y]
        centre = np.zeros((f, self.n_classes)) if prior is None else prior
        start = centre.copy()
        penal = np.ones((f, 1))
        penal[-1] = 0.0  # the bias is not shrunk

        def loss(flat):
            w = flat.reshape(f, self.n_classes)
            z = x1 @ w
            z -= z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            diff = (w - centre) * penal
            value = -(onehot * logp).sum() / n + 0.5 * self.l2 * (diff**2).sum()
            grad = x1.T @ (np.exp(logp) - onehot) / n + self.l2 * diff
            return value, grad.ravel()

        result = optimize.minimize(
            loss, start.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
        )
        self.weights = result.x.reshape(f, self.n_classes)
        return self

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = np.hstack([x, np.ones((len(x), 1))]) @ self.weights
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)


class FeatureClassifier:
    """Softmax regression on standardised hand-crafted features: a class head and a distance-bin head."""

    def __init__(self, l2: float = 1e-2):
        self.l2 = l2
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.cls = SoftmaxRegression(len(K.CLASS_NAMES), l2)
        self.bin = SoftmaxRegression(_N_BINS, l2)

    def fit(self, features, labels, bins, prior: FeatureClassifier | None = None) -> FeatureClassifier:
        """Fit on features (n, f), labels (n,), bins (n,; -1 for background); ``prior``: shrink towards it."""
        features = np.asarray(features, dtype=np.float64)
        labels, bins = np.asarray(labels), np.asarray(bins)
        if prior is not None:
            self.mean, self.std = prior.mean, prior.std
        else:
            self.mean = features.mean(axis=0)
            self.std = features.std(axis=0) + 1e-6
        z = (features - self.mean) / self.std
        self.cls.fit(z, labels, prior=None if prior is None else prior.cls.weights)
        events = bins >= 0
        self.bin.fit(z[events], bins[events], prior=None if prior is None else prior.bin.weights)
        return self

    def predict(self, features) -> tuple[np.ndarray, np.ndarray]:
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.std
        return self.cls.proba(z).argmax(axis=1), self.bin.proba(z).argmax(axis=1)

    def save(self, path: str | Path) -> None:
        np.savez(path, mean=self.mean, std=self.std, cls=self.cls.weights, bin=self.bin.weights, l2=self.l2)

    @classmethod
    def load(cls, path: str | Path) -> FeatureClassifier:
        with np.load(path) as z:
            model = cls(float(z["l2"]))
            model.mean, model.std = z["mean"], z["std"]
            model.cls.weights, model.bin.weights = z["cls"], z["bin"]
        return model
