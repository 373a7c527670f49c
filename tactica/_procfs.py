"""Reading this process's memory figures from Linux's ``/proc/self/status``.

One reader serves the sandbox's address-space accounting and the benchmarks' peak-memory measurements.
"""

from __future__ import annotations

__all__ = ["status_kib"]


def status_kib(field: str) -> int:
    """The value of ``field`` (``VmRSS``, ``VmHWM``, ``VmSize``...) in KiB.

    Raises ``OSError`` where ``/proc/self/status`` cannot be read (not Linux) and ``KeyError`` naming the field
    where the kernel does not report it.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(f"/proc/self/status has no {field!r} line")
