"""The original TextStarCraft II evaluation metrics: PBR, RUR, APU, TR (``git_evaluation_metrics.py``).

The original computes them offline from one observation per env step; :class:`MetricsRecorder` takes the same
frames (the ``information`` dict of every step) and applies the same definitions:

* **PBR** (population block ratio): over frames until ``supply_used >= 194``, the seconds (parsed from
  ``MM:SS``) between a frame and the previous one are added to the block time whenever ``supply_left == 0``;
  PBR = block time / game seconds at the stop.  Lower is better.
* **RUR** (resource utilization ratio): the sum over the same frames of unspent ``mineral + gas``, divided by
  the game seconds at the stop.  It sums per-step samples, so it grows with the sampling rate; we also report
  ``rur_per_second``, the time-average of the unspent bank (independent of the step length).
* **APU** (average population utilization): the mean over all frames of ``supply_used / supply_cap``.
* **TR** (technology rate): the maximum over frames of (buildings with count > 0 + research entries equal to
  1) / (number of building keys + number of research keys), 16 + 26 = 42 for Protoss.
"""

from __future__ import annotations

__all__ = ["MetricsRecorder", "parse_game_time", "SUPPLY_STOP"]

SUPPLY_STOP = 194


def parse_game_time(text: str) -> int:
    """Seconds from ``MM:SS``."""
    minutes, _, seconds = text.partition(":")
    if not seconds or not minutes.isdigit() or not seconds.isdigit():
        raise ValueError(f"game time must be MM:SS, got {text!r}")
    return int(minutes) * 60 + int(seconds)


class MetricsRecorder:
    """Accumulates the four metrics frame by frame (constant memory)."""

    def __init__(self) -> None:
        self.frames = 0
        self.stopped = False
        self.block_seconds = 0
        self.stop_seconds = 0
        self.unspent_sum = 0.0
        self.unspent_time = 0.0
        self.apu_sum = 0.0
        self.tr = 0.0
        self.last_supply_used = 0
        self._prev_seconds: int | None = None
        self._prev_loop_seconds: float | None = None
        self._prev_unspent = 0.0

    def record(self, info: dict, exact_seconds: float | None = None) -> None:
        """Add one frame (an ``information`` dict); ``exact_seconds`` is the game time with fractions."""
        res = info["resource"]
        seconds = parse_game_time(res["game_time"])
        self.frames += 1
        cap = res["supply_cap"]
        self.apu_sum += res["supply_used"] / cap if cap else 0.0
        self.last_supply_used = res["supply_used"]
        building = info["building"]
        research = [v for group in info["research"].values() for v in group.values()]
        tech = len([v for v in building.values() if v > 0]) + research.count(1)
        self.tr = max(self.tr, tech / (len(building) + len(research)))
        if not self.stopped:
            if self._prev_seconds is not None and res["supply_left"] == 0:
                self.block_seconds += seconds - self._prev_seconds
            unspent = res["mineral"] + res["gas"]
            self.unspent_sum += unspent
            if exact_seconds is not None:
                if self._prev_loop_seconds is not None:
                    self.unspent_time += self._prev_unspent * (exact_seconds - self._prev_loop_seconds)
                self._prev_loop_seconds = exact_seconds
                self._prev_unspent = unspent
            self.stop_seconds = seconds
            if res["supply_used"] >= SUPPLY_STOP:
                self.stopped = True
        self._prev_seconds = seconds

    def result(self) -> dict[str, float]:
        """PBR, RUR, APU, TR, the per-second RUR and the last supply used."""
        t = self.stop_seconds
        span = self._prev_loop_seconds or 0.0
        return {
            "PBR": self.block_seconds / t if t else 0.0,
            "RUR": self.unspent_sum / t if t else 0.0,
            "APU": self.apu_sum / self.frames if self.frames else 0.0,
            "TR": self.tr,
            "rur_per_second": self.unspent_time / span if span else 0.0,
            "last_supply_used": float(self.last_supply_used),
        }
