"""Streaming monitor: a cheap detector screens every channel, the network classifies only what it flags.

This is how deployed DAS systems run on long fibres: per-channel energy CUSUM on the whole fibre, then the
recognition network on a window of ``zone_channels`` channels centred on each cluster of alarmed channels.
:class:`Monitor` reads a long :class:`~tactica.envs.fiber.stream.EventStream` window by window and returns the
alarms of each window with the time spent simulating, screening and classifying (for the real-time factor).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tactica.agents.fiber.classical import CusumDetector
from tactica.agents.fiber.recognizer import Recognizer
from tactica.envs.fiber import constants as K
from tactica.envs.fiber.scoring import bin_centres
from tactica.envs.fiber.stream import EventStream

__all__ = ["Alarm", "Monitor", "MonitorStats"]


@dataclass
class Alarm:
    """One classified detection."""

    time_s: float
    position_m: float
    kind: int
    bin: int
    confidence: float
    truth_kind: int
    truth_distance: float

    @property
    def name(self) -> str:
        return K.CLASS_NAMES[self.kind]

    @property
    def distance_range(self) -> str:
        lo, hi = K.DISTANCE_EDGES[self.bin], K.DISTANCE_EDGES[self.bin + 1]
        return f"{lo:g}-{hi:g} m"

    def as_dict(self) -> dict:
        return {
            "time_s": self.time_s,
            "position_m": self.position_m,
            "class": self.name,
            "distance_bin": self.bin,
            "distance_m": float(bin_centres()[self.bin]),
            "confidence": self.confidence,
            "truth_class": K.CLASS_NAMES[self.truth_kind],
            "truth_distance_m": self.truth_distance,
        }


@dataclass
class MonitorStats:
    """Accumulated seconds of stream and of work, and alarm counts."""

    stream_s: float = 0.0
    simulate_s: float = 0.0
    screen_s: float = 0.0
    classify_s: float = 0.0
    cpu_s: float = 0.0
    windows: int = 0
    zones: int = 0
    alarms: int = 0
    threat_alarms: int = 0
    false_threat_alarms: int = 0
    by_class: dict[str, int] = field(default_factory=dict)

    def real_time_factor(self, include_simulation: bool = True) -> float:
        """Stream seconds per second of work (> 1: faster than real time)."""
        work = self.screen_s + self.classify_s + (self.simulate_s if include_simulation else 0.0)
        return self.stream_s / work if work > 0 else float("inf")

    def cpu_real_time_factor(self) -> float:
        """Stream seconds per CPU second of this process (the one-core figure on a shared machine)."""
        return self.stream_s / self.cpu_s if self.cpu_s > 0 else float("inf")

    def as_dict(self) -> dict:
        return {
            "stream_s": self.stream_s,
            "cpu_s": self.cpu_s,
            "simulate_s": self.simulate_s,
            "screen_s": self.screen_s,
            "classify_s": self.classify_s,
            "windows": self.windows,
            "zones_classified": self.zones,
            "alarms": self.alarms,
            "threat_alarms": self.threat_alarms,
            "false_threat_alarms": self.false_threat_alarms,
            "alarms_by_class": dict(self.by_class),
            "real_time_factor": self.real_time_factor(),
            "real_time_factor_without_simulation": self.real_time_factor(False),
            "cpu_real_time_factor": self.cpu_real_time_factor(),
        }


class Monitor:
    """Screen a long stream with a CUSUM detector and classify flagged zones with a recogniser.

    Args:
        stream: the stream to read.
        recognizer: the trained network (``None``: report detector alarms only, as class "threat").
        detector: the screening detector (its threshold applies per channel).
        window_s: window length [s].
        zone_channels: channels in a classified zone (the network's training width).
    """

    def __init__(
        self,
        stream: EventStream,
        recognizer: Recognizer | None,
        detector: CusumDetector,
        window_s: float = 2.0,
        zone_channels: int = 12,
    ):
        if zone_channels > stream.n_channels:
            raise ValueError(
                f"zone_channels ({zone_channels}) exceeds the fibre's {stream.n_channels} channels"
            )
        self.stream = stream
        self.recognizer = recognizer
        self.detector = detector
        self.window_s = float(window_s)
        self.samples = int(round(window_s * stream.fs))
        self.zone_channels = int(zone_channels)
        self.stats = MonitorStats()

    def _zones(self, alarm: np.ndarray, peak: np.ndarray) -> list[int]:
        """First channel of one zone per cluster of alarmed channels, centred on the cluster's peak."""
        starts = []
        idx = np.flatnonzero(alarm)
        if idx.size == 0:
            return starts
        clusters = np.split(idx, np.flatnonzero(np.diff(idx) > self.zone_channels // 2) + 1)
        for cluster in clusters:
            centre = int(cluster[np.argmax(peak[cluster])])
            first = min(max(centre - self.zone_channels // 2, 0), self.stream.n_channels - self.zone_channels)
            starts.append(first)
        return starts

    def step(self) -> list[Alarm]:
        """Process the next window; returns its alarms."""
        stream, st = self.stream, self.stats
        t0 = stream.time
        cpu = time.process_time()
        tic = time.perf_counter()
        data = stream.read(self.samples)
        toc = time.perf_counter()
        alarm, peak = self.detector.update(data)
        starts = self._zones(alarm, peak)
        tac = time.perf_counter()
        alarms: list[Alarm] = []
        if starts:
            zones = np.stack([data[s : s + self.zone_channels] for s in starts])
            if self.recognizer is not None:
                pc, pb = self.recognizer.predict_proba(zones)
                kinds, bins, conf = pc.argmax(1), pb.argmax(1), pc.max(1)
            else:
                kinds = np.full(len(starts), self.detector.alarm_class)
                bins, conf = np.zeros(len(starts), dtype=int), np.ones(len(starts))
            spacing = stream.interrogator.channel_spacing
            for s, k, b, c in zip(starts, kinds, bins, conf):
                if k == 0:
                    continue  # the network overrules the detector: background
                x_lo, x_hi = s * spacing, (s + self.zone_channels - 1) * spacing
                truth = stream.label(t0, stream.time, x_lo, x_hi)
                alarms.append(
                    Alarm(
                        t0, 0.5 * (x_lo + x_hi), int(k), int(b), float(c), truth.kind, float(truth.distance)
                    )
                )
        tuc = time.perf_counter()
        st.stream_s += self.samples / stream.fs
        st.simulate_s += toc - tic
        st.screen_s += tac - toc
        st.classify_s += tuc - tac
        st.cpu_s += time.process_time() - cpu
        st.windows += 1
        st.zones += len(starts)
        for a in alarms:
            st.alarms += 1
            st.by_class[a.name] = st.by_class.get(a.name, 0) + 1
            if a.kind in K.THREAT_CLASSES:
                st.threat_alarms += 1
                if a.truth_kind not in K.THREAT_CLASSES:
                    st.false_threat_alarms += 1
        return alarms
