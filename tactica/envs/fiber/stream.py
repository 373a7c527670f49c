"""Seeded event streams: a fibre, a soil domain, events arriving over time, read block by block.

:class:`EventStream` is the one source of simulated data in tactica: the environment reads windows from a short
stream (one zone), the training script samples windows from it, and ``tactica fiber monitor`` and the benchmark
read a long fibre (10 km) block by block.  Events arrive as a Poisson process along the fibre and in time; an
arrival closer than ``exclusion`` metres to an active event is dropped, so labels stay unambiguous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import REACH, FibreSimulator, Interrogator, Soil, response_span
from tactica.envs.fiber.sources import CONTINUOUS_GRAIN_S, Event

__all__ = [
    "Domain",
    "DOMAINS",
    "get_domain",
    "EventStream",
    "WindowLabel",
    "distance_bin",
    "distance_bins",
    "pipe_distance",
    "N_CLASSES",
    "N_BINS",
]

N_CLASSES = len(K.CLASS_NAMES)
_LONGEST_GRAIN_S = max(CONTINUOUS_GRAIN_S, 0.5)
N_BINS = len(K.DISTANCE_EDGES) - 1


def distance_bin(distance: float) -> int:
    """Index of the radial-distance bin of ``distance`` [m] (the last bin is closed); an unknown (NaN) distance
    has no bin and raises, so field data without distances cannot be taken for the farthest bin."""
    if math.isnan(distance):
        raise ValueError("an unknown (NaN) distance has no bin; use -1 (no target) for it")
    if distance < 0:
        raise ValueError(f"distance must be >= 0, got {distance}")
    return int(min(np.searchsorted(K.DISTANCE_EDGES, distance, side="right") - 1, N_BINS - 1))


def distance_bins(distances: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Bins of an array of distances: -1 where the distance is unknown (NaN) or the label is background (0)."""
    d = np.asarray(distances, dtype=float)
    known = ~np.isnan(d)
    if labels is not None:
        known &= np.asarray(labels) > 0
    out = np.full(d.shape, -1, dtype=np.int64)
    if known.any():
        if (d[known] < 0).any():
            raise ValueError("distances must be >= 0 (or NaN for unknown)")
        out[known] = np.minimum(np.searchsorted(K.DISTANCE_EDGES, d[known], side="right") - 1, N_BINS - 1)
    return out


def pipe_distance(distance: float, side: int, offset: float = K.PIPE_OFFSET) -> float:
    """Horizontal distance [m] of a source from the pipe's axis, given its distance from the fibre, the side it
    is on (``+1``: away from the pipe; ``-1``: towards it) and the fibre's offset from the pipe.

    With the pipe at 0 and the fibre at ``offset``, the source is at ``offset + side * distance``.
    """
    return abs(offset + side * distance)


@dataclass(frozen=True)
class Domain:
    """Ranges of soil and interrogator parameters; every stream draws its own values (domain randomisation).

    Five domains ship (see :data:`DOMAINS`): ``"loam"`` (the source domain the network is pre-trained on),
    ``"wet_clay"`` (slower, more damping, weaker coupling, noisier interrogator: the transfer target), and three
    held out from training: ``"dry_sand"``, ``"gravel"`` and ``"frozen"``.
    """

    name: str
    rayleigh_speed: tuple[float, float]
    damping_ratio: tuple[float, float]
    burial_depth: tuple[float, float]
    coupling: tuple[float, float]
    phase_noise: tuple[float, float]
    jump_rate: float = K.PHASE_JUMP_RATE
    ambient: float = K.AMBIENT_NANOSTRAIN

    def sample(self, rng: np.random.Generator, interrogator: Interrogator) -> tuple[Soil, Interrogator]:
        """Draw a soil and the interrogator's noise settings from this domain."""
        soil = Soil(
            rayleigh_speed=float(rng.uniform(*self.rayleigh_speed)),
            damping_ratio=float(rng.uniform(*self.damping_ratio)),
            burial_depth=float(rng.uniform(*self.burial_depth)),
            coupling=float(rng.uniform(*self.coupling)),
        )
        noisy = replace(
            interrogator,
            phase_noise=float(rng.uniform(*self.phase_noise)),
            jump_rate=self.jump_rate,
            ambient=self.ambient,
        )
        return soil, noisy


DOMAINS: dict[str, Domain] = {
    "loam": Domain(
        "loam",
        rayleigh_speed=(130.0, 200.0),
        damping_ratio=(0.02, 0.04),
        burial_depth=(0.8, 1.2),
        coupling=(0.04, 0.06),
        phase_noise=(0.015, 0.025),
    ),
    "wet_clay": Domain(
        "wet_clay",
        rayleigh_speed=(90.0, 130.0),
        damping_ratio=(0.04, 0.06),
        burial_depth=(1.0, 1.5),
        coupling=(0.02, 0.035),
        phase_noise=(0.025, 0.04),
        jump_rate=3 * K.PHASE_JUMP_RATE,
        ambient=2 * K.AMBIENT_NANOSTRAIN,
    ),
    # Rayleigh speed ~0.92 of the shear-wave speed; loose dry sand Vs ~100-200 m/s with high damping and poor
    # cable coupling (a dry, loose backfill grips the cable badly)
    "dry_sand": Domain(
        "dry_sand",
        rayleigh_speed=(100.0, 170.0),
        damping_ratio=(0.03, 0.05),
        burial_depth=(0.8, 1.5),
        coupling=(0.025, 0.045),
        phase_noise=(0.015, 0.03),
    ),
    # dense gravel, Vs ~200-350 m/s, lower damping: waves carry farther, with less low-passing
    "gravel": Domain(
        "gravel",
        rayleigh_speed=(190.0, 320.0),
        damping_ratio=(0.015, 0.03),
        burial_depth=(0.8, 1.2),
        coupling=(0.035, 0.055),
        phase_noise=(0.015, 0.025),
        ambient=1.5 * K.AMBIENT_NANOSTRAIN,
    ),
    # frozen ground, Vs ~400-600 m/s, damping ~0.01: stiff, fast, well coupled (the cable is frozen in)
    "frozen": Domain(
        "frozen",
        rayleigh_speed=(350.0, 550.0),
        damping_ratio=(0.008, 0.02),
        burial_depth=(0.8, 1.2),
        coupling=(0.05, 0.08),
        phase_noise=(0.015, 0.025),
    ),
}
"""Soil and noise domains (soil speeds and damping: typical shear-wave speeds and damping ratios of soils, e.g.
Kramer, *Geotechnical Earthquake Engineering*, 1996, ch. 6; coupling and noise ranges ours)."""


def get_domain(domain: str | Domain) -> Domain:
    """A :class:`Domain` by name (or the domain itself)."""
    if isinstance(domain, Domain):
        return domain
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; known: {', '.join(sorted(DOMAINS))}")
    return DOMAINS[domain]


@dataclass(frozen=True)
class WindowLabel:
    """Ground truth of one window over one stretch of fibre: class 0 (background) or the dominant event."""

    kind: int
    distance: float = -1.0
    position: float = -1.0
    event: Event | None = None
    pipe_distance: float = -1.0

    @property
    def bin(self) -> int:
        """Distance bin, or -1 for background."""
        return distance_bin(self.distance) if self.kind else -1

    @property
    def name(self) -> str:
        return K.CLASS_NAMES[self.kind]


#: duration ranges [s] of each event class (ours; a shovel or an excavator works for minutes in the field,
#: shortened so an episode sees many events).
DURATION_S = {1: (6.0, 20.0), 2: (4.0, 20.0), 3: (10.0, 40.0), 4: (15.0, 60.0)}


class EventStream:
    """A continuous, seeded DAS stream over ``n_channels`` channels.

    Args:
        n_channels: channels on the fibre.
        rng: the generator every draw comes from (soil, events, noise).
        domain: a :class:`Domain` or its name.
        interrogator: geometry and rate of the interrogator (its noise settings come from the domain).
        event_rate: event arrivals per km of fibre per hour (before exclusion).
        class_weights: relative arrival frequency of classes 1..4.
        exclusion: an arrival closer than this [m] to an active event is dropped.
        max_distance: largest radial distance of an event [m].
        range_start: optical distance from the interrogator to the stream's first channel [m] (fibre loss makes
            far channels noisier).
        pipe_offset: horizontal offset of the fibre from the pipe's axis [m]; labels carry each event's
            distance from the pipe as well as from the fibre.
    """

    def __init__(
        self,
        n_channels: int,
        rng: np.random.Generator,
        *,
        domain: str | Domain = "loam",
        interrogator: Interrogator | None = None,
        event_rate: float = 60.0,
        class_weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0),
        exclusion: float = 2 * REACH,
        max_distance: float = K.MAX_DISTANCE,
        range_start: float = 0.0,
        pipe_offset: float = K.PIPE_OFFSET,
    ):
        if event_rate < 0:
            raise ValueError(f"event_rate must be >= 0, got {event_rate}")
        if len(class_weights) != N_CLASSES - 1 or min(class_weights) < 0 or sum(class_weights) <= 0:
            raise ValueError(
                f"class_weights must be {N_CLASSES - 1} non-negative numbers with a positive sum"
            )
        if not 0 < max_distance <= K.MAX_DISTANCE:
            raise ValueError(f"max_distance must be in (0, {K.MAX_DISTANCE}], got {max_distance}")
        if not (math.isfinite(pipe_offset) and pipe_offset >= 0):
            raise ValueError(f"pipe_offset must be a distance >= 0 [m], got {pipe_offset!r}")
        self.rng = rng
        self.domain = get_domain(domain)
        base = interrogator or Interrogator()
        self.soil, self.interrogator = self.domain.sample(rng, base)
        self.sim = FibreSimulator(n_channels, self.soil, self.interrogator, rng, range_start=range_start)
        self.pipe_offset = float(pipe_offset)
        self.n_channels = int(n_channels)
        self.fs = self.interrogator.pulse_rate
        self.length_m = self.interrogator.channel_spacing * (self.n_channels - 1)
        self.event_rate = float(event_rate)
        weights = np.asarray(class_weights, dtype=float)
        self.class_p = weights / weights.sum()
        self.exclusion = float(exclusion)
        self.max_distance = float(max_distance)
        self.sample = 0  # index of the next sample to read
        self.events: list[Event] = []  # active and recently ended events
        self.history: list[Event] = []  # every accepted event (for labels and metrics)
        self._next_arrival = self._draw_gap(0.0)
        # a grain emitted this long before a block can still reach the fibre in it (grains last at most 0.3 s:
        # a footstep's ten decay times; engine grains CONTINUOUS_GRAIN_S)
        self._lookback = response_span(self.soil, self.fs) + int(math.ceil(_LONGEST_GRAIN_S * self.fs))

    @property
    def time(self) -> float:
        """Stream time [s] of the next sample."""
        return self.sample / self.fs

    def _draw_gap(self, now: float) -> float:
        total = self.event_rate * max(self.length_m, self.interrogator.channel_spacing) / 1000.0 / 3600.0
        return math.inf if total <= 0 else now + float(self.rng.exponential(1.0 / total))

    def new_event(
        self, kind: int, start: float, *, distance: float | None = None, x: float | None = None
    ) -> Event:
        """Draw an event of class ``kind`` starting at ``start`` (position and distance random unless given)."""
        rng = self.rng
        margin = self.interrogator.channel_spacing
        lo, hi = margin, max(self.length_m - margin, margin + 1e-6)
        d = float(rng.uniform(0.0, self.max_distance)) if distance is None else float(distance)
        duration = float(rng.uniform(*DURATION_S[kind]))
        velocity = 0.0
        x0 = float(rng.uniform(lo, hi)) if x is None else float(x)
        if kind in (1, 2):
            speed = float(rng.uniform(*(K.WALK_SPEED if kind == 1 else K.VEHICLE_SPEED)))
            velocity = speed if rng.random() < 0.5 else -speed
            room = (hi - x0) if velocity > 0 else (x0 - lo)
            if kind == 2 and x is None:
                # a vehicle drives through: it enters at one end of the fibre (or of its reach)
                x0 = lo if velocity > 0 else hi
                room = hi - lo
            duration = max(min(duration, room / speed), 1.0)
        side = 1 if rng.random() < 0.5 else -1
        return Event(kind, start, duration, x0, d, velocity, seed=int(rng.integers(2**63)), side=side)

    def _spawn(self, until: float) -> None:
        while self._next_arrival < until:
            t = self._next_arrival
            kind = int(self.rng.choice(np.arange(1, N_CLASSES), p=self.class_p))
            event = self.new_event(kind, t)
            self.add_event(event)
            self._next_arrival = self._draw_gap(t)

    def add_event(self, event: Event) -> bool:
        """Add ``event`` unless it comes within ``exclusion`` of an active event; returns whether it was added."""
        for other in self.events:
            overlap_t = other.start < event.end and event.start < other.end
            if overlap_t and abs(other.position(event.start) - event.position(event.start)) < self.exclusion:
                return False
        self.events.append(event)
        self.history.append(event)
        return True

    def read(self, n_samples: int) -> np.ndarray:
        """The next ``n_samples`` of measured strain rate [nano-strain / s], float32 (n_channels, n_samples)."""
        n_samples = int(n_samples)
        if n_samples < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        first, last = self.sample, self.sample + n_samples
        self._spawn(last / self.fs)
        grains = []
        for event in self.events:
            grains += event.grains_between(self.fs, first - self._lookback, last)
        strain = self.sim.render_strain(grains, first, n_samples)
        self.sample = last
        # forget events whose waves have died out
        horizon = (first - self._lookback) / self.fs
        keep = []
        for event in self.events:
            if event.end >= horizon:
                keep.append(event)
            else:
                event.release()
        self.events = keep
        return self.sim.measure(strain)

    def label(
        self, t0: float, t1: float, x_lo: float | None = None, x_hi: float | None = None
    ) -> WindowLabel:
        """Truth of the window ``[t0, t1)`` over fibre ``[x_lo, x_hi]`` (default: the whole fibre): the event
        active for the largest part (at least half) of the window and inside the stretch at its centre."""
        x_lo = 0.0 if x_lo is None else x_lo
        x_hi = self.length_m if x_hi is None else x_hi
        mid = 0.5 * (t0 + t1)
        best, best_overlap = None, 0.5 * (t1 - t0)
        for event in self.history[::-1]:
            if event.end <= t0 - 120.0:
                break
            overlap = min(event.end, t1) - max(event.start, t0)
            if overlap >= best_overlap and x_lo <= event.position(mid) <= x_hi:
                best, best_overlap = event, overlap
        if best is None:
            return WindowLabel(0)
        return WindowLabel(
            best.kind,
            best.distance,
            best.position(mid),
            best,
            pipe_distance(best.distance, best.side, self.pipe_offset),
        )
