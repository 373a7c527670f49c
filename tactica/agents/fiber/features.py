"""Hand-crafted features of a DAS window (numpy only): the "statistical" view and the classical baseline's input.

Per channel, the 16 statistics of the BJTU baseline (BJTU feature_extraction.py: max, min, peak-to-peak, mean,
spectral energy, variance, std, RMS, rectified mean, shape, impulse, crest and clearance factors, kurtosis,
kurtosis factor, spectral entropy) and log band energies; across channels, the spatial energy footprint (its
width grows with radial distance, Wu et al. 2020) and the drift of the energy centroid (moving sources); in
time, the periodicity and impulsiveness of the energy envelope (footsteps, strikes).  Scale-carrying values
enter as logarithms so the features stay well conditioned across 5 orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["window_features", "batch_features", "FEATURE_NAMES", "BANDS_HZ", "robust_scale", "sb3_view"]

#: frequency bands [Hz] of the band-energy features (ours; split at the event bands of constants.py).
BANDS_HZ: tuple[tuple[float, float], ...] = ((1, 10), (10, 30), (30, 60), (60, 120), (120, 250), (250, 500))
_STATS = (
    "log_max",
    "log_neg_min",
    "log_p2p",
    "mean_over_rms",
    "log_energy",
    "log_var",
    "log_std",
    "log_rms",
    "log_rect_mean",
    "shape_factor",
    "log_impulse_factor",
    "log_crest_factor",
    "log_clearance_factor",
    "log_kurtosis",
    "log_kurtosis_factor",
    "spectral_entropy",
)
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"peak_{s}" for s in _STATS)
    + tuple(f"peak_band_{lo}_{hi}" for lo, hi in BANDS_HZ)
    + tuple(f"mean_band_{lo}_{hi}" for lo, hi in BANDS_HZ)
    + ("spectral_centroid", "footprint_width", "footprint_sharpness", "centroid_speed")
    + ("envelope_periodicity", "envelope_period_s", "envelope_kurtosis", "log_median_channel_rms")
)
_EPS = 1e-6


def robust_scale(window: np.ndarray) -> float:
    """A noise-robust amplitude scale of a window: the median channel RMS (>= 1 nano-strain / s)."""
    rms = np.sqrt(np.mean(np.square(window, dtype=np.float64), axis=-1))
    return float(max(np.median(rms), 1.0))


def _channel_stats(x: np.ndarray, power: np.ndarray) -> np.ndarray:
    absx = np.abs(x)
    mx, mn = x.max(), x.min()
    rms = np.sqrt(np.mean(x * x)) + _EPS
    rect = absx.mean() + _EPS
    peak = absx.max() + _EPS
    var = x.var() + _EPS
    centred = x - x.mean()
    kurt = np.mean(centred**4) / var**2
    p = power / (power.sum() + _EPS)
    entropy = -np.sum(p * np.log(p + 1e-20)) / np.log(p.size)
    clearance = peak / (np.mean(np.sqrt(absx)) ** 2 + _EPS)
    return np.array(
        [
            np.log10(abs(mx) + 1),
            np.log10(abs(mn) + 1),
            np.log10(mx - mn + 1),
            x.mean() / rms,
            np.log10(power.sum() + 1),
            np.log10(var),
            np.log10(np.sqrt(var)),
            np.log10(rms),
            np.log10(rect),
            rms / rect,
            np.log10(peak / rect),
            np.log10(peak / rms),
            np.log10(clearance),
            np.log10(kurt + _EPS),
            np.log10(kurt / rms**4 + 1e-30) / 10.0,
            entropy,
        ]
    )


def window_features(window: np.ndarray, fs: float, channel_spacing: float = 5.0) -> np.ndarray:
    """Feature vector (len :data:`FEATURE_NAMES`) of one window (channels x samples) of strain rate."""
    x = np.asarray(window, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 64:
        raise ValueError(f"window must be (channels, samples >= 64), got shape {x.shape}")
    c, n = x.shape
    spectrum = np.abs(np.fft.rfft(x, axis=1)) ** 2 / n
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    # drop the broadband interrogator noise above the event bands when locating the event
    useful = (freqs >= 1.0) & (freqs <= min(250.0, fs / 2))
    channel_energy = spectrum[:, useful].sum(axis=1) + _EPS
    peak = int(np.argmax(channel_energy))
    bands = np.stack(
        [spectrum[:, (freqs >= lo) & (freqs < min(hi, fs / 2 + 1))].sum(axis=1) for lo, hi in BANDS_HZ],
        axis=1,
    )
    log_bands = np.log10(bands + 1.0)
    stats = _channel_stats(x[peak], spectrum[peak])
    centroid = float((spectrum[peak, useful] * freqs[useful]).sum() / (spectrum[peak, useful].sum() + _EPS))

    # spatial footprint of the energy above the quietest channels' level
    floor = np.median(channel_energy)
    excess = np.maximum(channel_energy - floor, 0.0)
    positions = np.arange(c) * channel_spacing
    if excess.sum() > 0:
        mu = (excess * positions).sum() / excess.sum()
        width = np.sqrt((excess * (positions - mu) ** 2).sum() / excess.sum())
    else:
        width = 0.0
    sharpness = np.log10(channel_energy.max() / (channel_energy.mean() + _EPS) + _EPS)

    # energy envelope in 50 ms frames: centroid track (moving sources) and periodicity (footsteps, strikes)
    frame = max(int(0.05 * fs), 1)
    frames = n // frame
    env = np.square(x[:, : frames * frame]).reshape(c, frames, frame).mean(axis=2)
    env_excess = np.maximum(env - np.median(env, axis=1, keepdims=True), 0.0) + _EPS
    track = (env_excess * positions[:, None]).sum(axis=0) / env_excess.sum(axis=0)
    weights = env_excess.sum(axis=0)
    t = np.arange(frames) * frame / fs
    if frames >= 3:
        w = weights / weights.sum()
        tm = (w * t).sum()
        slope = (w * (t - tm) * (track - (w * track).sum())).sum() / ((w * (t - tm) ** 2).sum() + _EPS)
    else:
        slope = 0.0
    total = env.sum(axis=0)
    total = total - total.mean()
    ac = np.correlate(total, total, mode="full")[frames - 1 :]
    ac = ac / (ac[0] + _EPS)
    lo, hi = max(int(0.3 / (frame / fs)), 1), min(int(1.6 / (frame / fs)), frames - 1)
    if hi > lo:
        lag = lo + int(np.argmax(ac[lo:hi]))
        periodicity, period = float(ac[lag]), lag * frame / fs
    else:
        periodicity, period = 0.0, 0.0
    env_total = env.sum(axis=0)
    env_kurt = np.mean((env_total - env_total.mean()) ** 4) / (env_total.var() ** 2 + _EPS)
    median_rms = np.log10(robust_scale(x))
    return np.concatenate(
        [
            stats,
            log_bands[peak],
            log_bands.mean(axis=0),
            [centroid / 100.0, width / 10.0, sharpness, abs(slope) / 10.0],
            [periodicity, period, np.log10(env_kurt + 1.0), median_rms],
        ]
    ).astype(np.float32)


def batch_features(windows: np.ndarray, fs: float, channel_spacing: float = 5.0) -> np.ndarray:
    """Features of a batch (batch, channels, samples) -> (batch, n_features) float32."""
    return np.stack([window_features(w, fs, channel_spacing) for w in windows])


def sb3_view(env) -> tuple[Any, Callable[[np.ndarray], np.ndarray]]:
    """The numeric view Stable-Baselines3 trains on for ``FiberStream-v1``: the window's features.

    A raw window is ``n_channels x window samples`` numbers (24,000 by default) spanning five orders of magnitude;
    an MLP on it is a 37 MB model that learns slowly.  The view is the feature vector of the classical baseline
    (:func:`window_features`, logarithms where scales vary), ``len(FEATURE_NAMES)`` numbers.  Returns the view's
    observation space and the function from an observation to it (used in training and at play time alike).
    """
    import gymnasium as gym

    base = env.unwrapped
    fs, spacing = base.interrogator.pulse_rate, base.interrogator.channel_spacing

    def view(window: np.ndarray) -> np.ndarray:
        return window_features(np.asarray(window), fs, spacing).astype(np.float32)

    space = gym.spaces.Box(-np.inf, np.inf, (len(FEATURE_NAMES),), np.float32)
    return space, view
