"""The real-game backend (``backend="sc2"``): StarCraft II through burnysc2, imported lazily.

The embedded simulator is the default and needs nothing; the real game needs the ``sc2`` extra
(``pip install "tactica[sc2]"``) and an installed StarCraft II.
"""

from __future__ import annotations

from tactica.errors import MissingDependency

__all__ = ["require_sc2"]


def require_sc2():
    """Import burnysc2's ``sc2`` package or raise :class:`MissingDependency` naming the ``sc2`` extra.

    With burnysc2 present this still raises ``NotImplementedError``: driving the real game (a python-sc2
    ``BotAI`` that serves the same observation and action adapters) is not part of this version.
    """
    try:
        import sc2  # noqa: F401
    except ImportError as exc:
        raise MissingDependency("burnysc2", extra="sc2", purpose='TextSC2-v0 with backend="sc2"') from exc
    raise NotImplementedError(
        'backend="sc2" (the real StarCraft II through burnysc2) is not implemented in TextSC2-v0 yet; '
        'use backend="embedded"'
    )
