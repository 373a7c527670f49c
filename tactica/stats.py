"""Interval estimates shared by the leaderboard, the benchmarks and the examples."""

from __future__ import annotations

import math

__all__ = ["wilson_interval"]


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (95% by default; ``(0, 1)`` when ``n`` is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the interval holds p; min/max keep rounding (p = 1: 1 - 1e-16) from putting p outside it
    return max(0.0, min(p, centre - spread)), min(1.0, max(p, centre + spread))
