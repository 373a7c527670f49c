"""The Warmup-Stable-Decay-Constant (WSDC) learning-rate schedule used to pre-train PLM.

Four phases over ``total_steps``: linear warmup from ``init_ratio * peak`` to the peak, a stable plateau at the
peak, a decay to ``min_ratio * peak`` (cosine, linear or 1-sqrt shape), then a constant tail at that floor.
PLM's paper names the phases but not their lengths, so every length is configurable, as fractions of the run
or as step counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["WSDCSchedule"]

_SHAPES = ("cosine", "linear", "sqrt")


@dataclass(frozen=True)
class WSDCSchedule:
    """Learning-rate multiplier per step (multiply by the peak learning rate).

    ``warmup``, ``stable``, ``decay`` and ``constant`` are fractions of ``total_steps`` (floats summing to 1) or
    step counts (ints summing to ``total_steps``).
    """

    total_steps: int
    warmup: float | int = 0.05
    stable: float | int = 0.55
    decay: float | int = 0.3
    constant: float | int = 0.1
    min_ratio: float = 0.1
    init_ratio: float = 0.0
    decay_shape: str = "cosine"

    def __post_init__(self) -> None:
        if not isinstance(self.total_steps, int) or self.total_steps < 1:
            raise ValueError(f"total_steps must be a positive int, got {self.total_steps!r}")
        phases = (self.warmup, self.stable, self.decay, self.constant)
        if any(isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0 for p in phases):
            raise ValueError(f"WSDC phase lengths must be non-negative numbers, got {phases}")
        if all(isinstance(p, int) for p in phases):
            if sum(phases) != self.total_steps:
                raise ValueError(
                    f"WSDC phase step counts {phases} must sum to total_steps={self.total_steps}"
                )
        elif abs(sum(phases) - 1.0) > 1e-6:
            raise ValueError(f"WSDC phase fractions {phases} must sum to 1")
        if not 0.0 <= self.min_ratio <= 1.0 or not 0.0 <= self.init_ratio <= 1.0:
            raise ValueError("min_ratio and init_ratio must lie in [0, 1]")
        if self.decay_shape not in _SHAPES:
            raise ValueError(
                f"decay_shape {self.decay_shape!r} is not supported; accepted: {', '.join(_SHAPES)}"
            )

    def step_counts(self) -> tuple[int, int, int, int]:
        """Steps in the warmup, stable, decay and constant phases (summing to ``total_steps``).

        Fractions are turned into whole steps by largest remainder, and every phase given a positive fraction
        gets at least one step when the run has that many: rounding each fraction on its own would give 12 steps
        of the default 0.05/0.55/0.3/0.1 a zero-length constant phase, and 10 steps no warmup.
        """
        phases = (self.warmup, self.stable, self.decay, self.constant)
        if all(isinstance(p, int) for p in phases):
            return phases  # type: ignore[return-value]
        total = self.total_steps
        exact = [p * total for p in phases]
        counts = [math.floor(x) for x in exact]
        wanted = [i for i, p in enumerate(phases) if p > 0]
        if total >= len(wanted):
            for i in wanted:
                counts[i] = max(counts[i], 1)
        while sum(counts) < total:  # the largest shortfall first; ties go to the earlier phase
            i = max(wanted, key=lambda j: (exact[j] - counts[j], -j))
            counts[i] += 1
        while sum(counts) > total:  # the largest excess first, never taking a phase below one step
            i = min((j for j in wanted if counts[j] > 1), key=lambda j: (exact[j] - counts[j], j))
            counts[i] -= 1
        return tuple(counts)  # type: ignore[return-value]

    def boundaries(self) -> tuple[int, int, int]:
        """Steps at which stable, decay and constant begin."""
        w, s, d, _ = self.step_counts()
        return w, w + s, w + s + d

    def __call__(self, step: int) -> float:
        """Multiplier for optimiser step ``step`` (0-based)."""
        stable_at, decay_at, constant_at = self.boundaries()
        if step < stable_at:
            return self.init_ratio + (1.0 - self.init_ratio) * (step + 1) / stable_at
        if step < decay_at:
            return 1.0
        if step < constant_at:
            progress = (step - decay_at + 1) / (constant_at - decay_at)
            if self.decay_shape == "cosine":
                shape = 0.5 * (1.0 + math.cos(math.pi * progress))
            elif self.decay_shape == "linear":
                shape = 1.0 - progress
            else:
                shape = 1.0 - math.sqrt(progress)
            return self.min_ratio + (1.0 - self.min_ratio) * shape
        return self.min_ratio

    def phase(self, step: int) -> str:
        stable_at, decay_at, constant_at = self.boundaries()
        if step < stable_at:
            return "warmup"
        if step < decay_at:
            return "stable"
        return "decay" if step < constant_at else "constant"
