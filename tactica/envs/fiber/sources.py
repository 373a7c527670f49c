"""Event source models: what walking, a vehicle, a shovel and an excavator put into the ground.

Each model turns an :class:`Event` (class, start, duration, position, radial distance, speed) into the
:class:`~tactica.envs.fiber.physics.Grain` s that :class:`~tactica.envs.fiber.physics.FibreSimulator` propagates.
Rates and bands come from :mod:`tactica.envs.fiber.constants` .  Impulsive sources
(footsteps, strikes, bucket impacts) are one grain per impulse; continuous ones (engines, tyres) are cut into
Hann-windowed grains with 50 % overlap (the windows sum to one), each emitted where the source is at that time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sp_signal

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import Grain

__all__ = ["Event", "make_grains", "CONTINUOUS_GRAIN_S"]

#: length of one grain of a continuous source [s]; with 50 % overlap a 20 m/s vehicle moves 2.5 m per hop,
#: half a channel spacing, so the moving source is sampled finely enough (ours).
CONTINUOUS_GRAIN_S = 0.256


@dataclass
class Event:
    """One source in the stream.

    Attributes:
        kind: class index into :data:`constants.CLASS_NAMES` (1-4; 0 is background and has no source).
        start: start time [s].
        duration: duration [s].
        x0: along-fibre position at ``start`` [m].
        distance: radial (horizontal) distance from the fibre [m].
        velocity: along-fibre speed [m/s] (0 for stationary work).
        seed: seed of the event's own waveform generator, so an event renders the same in any block.
        side: ``+1`` if the source is on the far side of the fibre from the pipe, ``-1`` if on the pipe's side
            (the fibre senses only ``distance``; the distance from the pipe depends on the side).
    """

    kind: int
    start: float
    duration: float
    x0: float
    distance: float
    velocity: float = 0.0
    seed: int = 0
    side: int = 1
    _grains: list[Grain] | None = field(default=None, repr=False, compare=False)
    _starts: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in range(1, len(K.CLASS_NAMES)):
            raise ValueError(f"kind must be an event class 1..{len(K.CLASS_NAMES) - 1}, got {self.kind!r}")
        if self.duration <= 0:
            raise ValueError(f"duration must be > 0, got {self.duration}")
        if self.distance < 0:
            raise ValueError(f"distance must be >= 0, got {self.distance}")
        if self.side not in (-1, 1):
            raise ValueError(f"side must be +1 or -1, got {self.side!r}")

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def name(self) -> str:
        return K.CLASS_NAMES[self.kind]

    @property
    def is_threat(self) -> bool:
        return self.kind in K.THREAT_CLASSES

    def position(self, t: float) -> float:
        """Along-fibre position [m] at time ``t``."""
        return self.x0 + self.velocity * (min(max(t, self.start), self.end) - self.start)

    def grains(self, fs: float) -> list[Grain]:
        """The event's grains at sample rate ``fs`` (computed once, then cached)."""
        if self._grains is None:
            self._grains = make_grains(self, fs)
            self._starts = np.array([g.start for g in self._grains], dtype=np.int64)
        return self._grains

    def release(self) -> None:
        """Drop the cached grains (they are recomputed from the seed if needed again)."""
        self._grains = None
        self._starts = None

    def grains_between(self, fs: float, first: int, last: int) -> list[Grain]:
        """Grains emitted at sample indices in ``[first, last)``."""
        grains = self.grains(fs)
        lo, hi = np.searchsorted(self._starts, [first, last])
        return grains[lo:hi]


# ----------------------------------------------------------------------------------------------- waveforms
def _damped_tone(rng: np.random.Generator, fs: float, freq: float, decay: float, length: float) -> np.ndarray:
    """A tone with a smooth gamma envelope ``(t / tau) exp(1 - t / tau)``: no onset click, so no broadband."""
    t = np.arange(int(max(length, 10.0 * decay) * fs)) / fs
    envelope = (t / decay) * np.exp(1.0 - t / decay)
    return np.sin(2 * math.pi * freq * t + rng.uniform(0, 2 * math.pi)) * envelope


def _burst(rng: np.random.Generator, fs: float, decay: float, length: float) -> np.ndarray:
    """A broadband impulse: exponentially decaying white noise."""
    t = np.arange(int(length * fs)) / fs
    return rng.standard_normal(t.size) * np.exp(-t / decay)


def _band_noise(rng: np.random.Generator, fs: float, n: int, band: tuple[float, float]) -> np.ndarray:
    hi = min(band[1], 0.45 * fs)
    sos = sp_signal.butter(4, (band[0], hi), btype="bandpass", fs=fs, output="sos")
    x = sp_signal.sosfilt(sos, rng.standard_normal(n + 256))[256:]
    return x / (np.std(x) + 1e-12)


def _impulse_grains(event: Event, fs: float, times: np.ndarray, waves: list[np.ndarray]) -> list[Grain]:
    return [
        Grain(int(round(t * fs)), event.position(t), event.distance, w)
        for t, w in zip(times, waves)
        if event.start <= t < event.end
    ]


def _continuous_grains(event: Event, fs: float, source: np.ndarray) -> list[Grain]:
    """Cut a continuous source signal (starting at ``event.start``) into overlapping Hann grains."""
    n = int(round(CONTINUOUS_GRAIN_S * fs))
    hop = n // 2
    window = sp_signal.windows.hann(n, sym=False)
    first = int(round(event.start * fs))
    grains = []
    for offset in range(0, max(source.size - n, 0) + 1, hop):
        t_mid = event.start + (offset + n / 2) / fs
        grains.append(
            Grain(first + offset, event.position(t_mid), event.distance, source[offset : offset + n] * window)
        )
    return grains


def _periodic_times(
    rng: np.random.Generator, event: Event, period: tuple[float, float], jitter: float
) -> np.ndarray:
    """Impulse times with a random mean period and per-interval jitter, starting at a random phase."""
    mean = rng.uniform(*period)
    count = int(event.duration / (mean * (1 - jitter))) + 2
    gaps = mean * (1.0 + jitter * rng.uniform(-1.0, 1.0, size=count))
    return event.start + rng.uniform(0, mean) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])


# ----------------------------------------------------------------------------------------------- models
def _walking(event: Event, fs: float, rng: np.random.Generator) -> list[Grain]:
    cadence = rng.uniform(*K.WALK_CADENCE_HZ)
    times = _periodic_times(rng, event, (1 / cadence, 1 / cadence), 0.06)
    freq = rng.uniform(K.WALK_BAND_HZ[0] + 10, K.WALK_BAND_HZ[1] - 15)
    waves = [
        K.WALK_LEVEL
        * rng.lognormal(0.0, 0.25)
        * _damped_tone(rng, fs, freq * rng.uniform(0.9, 1.1), rng.uniform(0.015, 0.03), 0.15)
        for _ in times
    ]
    return _impulse_grains(event, fs, times, waves)


def _vehicle(event: Event, fs: float, rng: np.random.Generator) -> list[Grain]:
    n = int(math.ceil(event.duration * fs))
    t = np.arange(n) / fs
    engine = rng.uniform(*K.VEHICLE_ENGINE_HZ)
    source = _band_noise(rng, fs, n, K.VEHICLE_BAND_HZ) + 0.6 * np.sin(2 * math.pi * engine * t)
    return _continuous_grains(event, fs, K.VEHICLE_LEVEL * source)


def _digging(event: Event, fs: float, rng: np.random.Generator) -> list[Grain]:
    strikes = _periodic_times(rng, event, K.DIG_INTERVAL_S, 0.3)
    times, waves = [], []
    for t in strikes:
        level = K.DIG_LEVEL * rng.lognormal(0.0, 0.3)
        times.append(t)
        waves.append(level * _burst(rng, fs, rng.uniform(*K.DIG_DECAY_S), 0.08))
        # the thrown soil lands a few tenths of a second later: a weaker, duller thud
        times.append(t + rng.uniform(0.25, 0.45))
        waves.append(0.3 * level * _damped_tone(rng, fs, rng.uniform(30, 60), 0.02, 0.1))
    return _impulse_grains(event, fs, np.asarray(times), waves)


def _excavation(event: Event, fs: float, rng: np.random.Generator) -> list[Grain]:
    n = int(math.ceil(event.duration * fs))
    t = np.arange(n) / fs
    f0 = rng.uniform(*K.EXCAVATOR_ENGINE_HZ)
    # engine speed wanders by a few per cent; integrate the instantaneous frequency for the phase
    wander = 1.0 + 0.04 * _band_noise(rng, fs, n, (0.05, 0.5)) / 3.0
    phase = 2 * math.pi * np.cumsum(f0 * wander) / fs
    engine = sum((1.0 / k) * np.sin(k * phase + rng.uniform(0, 2 * math.pi)) for k in range(1, 5))
    source = engine * (1.0 + 0.2 * np.sin(2 * math.pi * rng.uniform(0.2, 0.6) * t))
    grains = _continuous_grains(event, fs, K.EXCAVATOR_LEVEL * source)
    impacts = _periodic_times(rng, event, K.EXCAVATOR_IMPACT_S, 0.4)
    waves = [2.0 * K.EXCAVATOR_LEVEL * rng.lognormal(0, 0.3) * _burst(rng, fs, 0.02, 0.12) for _ in impacts]
    grains += _impulse_grains(event, fs, impacts, waves)
    grains.sort(key=lambda g: g.start)
    return grains


_MODELS = {1: _walking, 2: _vehicle, 3: _digging, 4: _excavation}


def make_grains(event: Event, fs: float) -> list[Grain]:
    """All grains of ``event`` at sample rate ``fs``, sorted by emission sample; drawn from ``event.seed``."""
    rng = np.random.default_rng(event.seed)
    grains = _MODELS[event.kind](event, fs, rng)
    grains.sort(key=lambda g: g.start)
    return grains
