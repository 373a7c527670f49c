"""The rules the original bot (``Protoss_bot.py``) puts behind its actions, as pure functions of a game state.

Both backends use them: the embedded engine (:mod:`tactica.envs.textsc2.actions`) and the real game
(:mod:`tactica.envs.textsc2.sc2_adapter`).  The thresholds live in the data file's ``helpers`` section.

Three rule sets:

* ``"textsc2"`` (the default): the original's rules, its bugs fixed.  BUILD PYLON only while supply left is
  at most 3 / 5 / 7 and few Pylons are pending, by game-time windows (06:00-07:00, 07:00-08:00, 08:00-10:00,
  after 10:00); structure counts (complete plus in construction, Warp Gates not counted as Gateways) capped in
  the original's inclusive ``MM:SS`` windows, with no cap after the last window; at most four Photon Cannons
  and four Shield Batteries, nine Nexuses with two pending, two Assimilators pending; an Assimilator needs a
  Pylon, a Photon Cannon a Cybernetics Core, a Shield Battery a Forge; unit caps (Observer 2, Warp Prism 1,
  Disruptor 1, Oracle 1, Phoenix 4, more than 75 Probes refused); a Mothership needs 10 supply left; Chrono
  Boost needs supply left (Nexus 2, Twilight Council, Stargate and Forge 4) and picks its target at random.
* ``original_bugs=True`` adds the original's bugs on top: RESEARCH PROTOSSGROUNDARMORSLEVEL2 (action 48)
  researches Ground Weapons 2, RESEARCH TEMPESTGROUNDATTACKUPGRADE (59) does nothing, TRAIN DISRUPTOR needs a
  Disruptor to exist, after Warp Gate research only Zealots, Stalkers and Dark Templar can be warped in,
  MULTI-RETREAT moves the army to its unit nearest the enemy, and a structure in construction counts twice
  against the caps (burnysc2 counts it in ``structures`` and again in ``already_pending``).
* ``"lotv"``: only what the game itself enforces (requirements, costs, supply, idle producers, one
  Mothership); no Pylon rule, caps, extra requirements or Chrono Boost supply conditions, and an Archon may
  be morphed from any two templar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RULE_SETS", "RuleSet", "pylon_thresholds", "build_gate", "train_gate", "chrono_gate"]

RULE_SETS = ("textsc2", "lotv")


@dataclass(frozen=True)
class RuleSet:
    """Which rules hold behind the actions.

    Args:
        name: ``"textsc2"`` (the original bot's rules) or ``"lotv"`` (only the game's own rules).
        pylon_rule: the original's BUILD PYLON conditions (default: on for ``"textsc2"``).
        structure_caps: the original's structure and unit caps (default: on for ``"textsc2"``).
        original_bugs: reproduce the original's bugs (``"textsc2"`` only).
    """

    name: str = "textsc2"
    pylon_rule: bool | None = None
    structure_caps: bool | None = None
    original_bugs: bool = False

    def __post_init__(self):
        if self.name not in RULE_SETS:
            raise ValueError(f"rules must be one of {', '.join(RULE_SETS)}, got {self.name!r}")
        if self.original_bugs and self.name != "textsc2":
            raise ValueError("original_bugs=True needs rules='textsc2' (the bugs are the original bot's)")
        default = self.name == "textsc2"
        object.__setattr__(self, "pylon_rule", default if self.pylon_rule is None else bool(self.pylon_rule))
        object.__setattr__(
            self, "structure_caps", default if self.structure_caps is None else bool(self.structure_caps)
        )

    @property
    def original(self) -> bool:
        """Whether the original bot's own checks apply (extra requirements, Chrono Boost conditions...)."""
        return self.name == "textsc2"


def pylon_thresholds(helpers: dict[str, Any], second: int) -> tuple[int, int]:
    """(most supply left, most Pylons pending) for BUILD PYLON at game time ``second`` (whole seconds)."""
    threshold, max_pending = 0, 0
    for since, thr, pend in helpers["pylon_rule"]:
        if second >= since:
            threshold, max_pending = thr, pend
    return int(threshold), int(max_pending)


def structure_limit(helpers: dict[str, Any], name: str, second: int) -> int | None:
    """The smallest cap of the original's windows that hold at ``second`` (inclusive, as its 'MM:SS' test)."""
    limits = [
        int(cap) for start, end, cap in helpers["structure_windows"].get(name, ()) if start <= second <= end
    ]
    fixed = helpers["structure_limits"].get(name)
    if fixed is not None:
        limits.append(int(fixed))
    return min(limits) if limits else None


def build_gate(
    rules: RuleSet,
    helpers: dict[str, Any],
    name: str,
    *,
    second: int,
    supply_left: float,
    supply_cap: int,
    built: Callable[[str], int],
    pending: Callable[[str], int],
    limits: dict[str, int | None] | None = None,
) -> str | None:
    """The original's conditions on BUILD ``name``; ``None`` when they allow it.

    ``built(kind)`` counts complete structures of exactly that kind, ``pending(kind)`` those in construction;
    ``limits`` is :func:`structure_limit` of every capped name at ``second`` when the caller has it already.
    """
    if name == "Pylon" and rules.pylon_rule:
        threshold, max_pending = pylon_thresholds(helpers, second)
        if supply_left > threshold or pending("Pylon") > max_pending or supply_cap >= 200:
            return "Not the right conditions to build a Pylon"
    if rules.original:
        for requirement in helpers["extra_requirements"].get(name, ()):
            if built(requirement) + pending(requirement) == 0:
                return f"No {requirement} available"
    if rules.structure_caps:
        limit = limits.get(name) if limits is not None else structure_limit(helpers, name, second)
        if limit is not None:
            count = built(name) + pending(name) * (2 if rules.original_bugs else 1)
            if count >= limit:
                return f"Not the right conditions to build a {name}"
        most = helpers["max_pending"].get(name)
        if most is not None and pending(name) >= most:
            return f"Not the right conditions to build a {name}"
    return None


def train_gate(
    rules: RuleSet,
    helpers: dict[str, Any],
    name: str,
    *,
    supply_left: float,
    have: Callable[[str], int],
) -> str | None:
    """The original's conditions on TRAIN ``name``; ``have(unit)`` counts living plus pending units.

    One Mothership at a time is the game's own rule and holds in every rule set.
    """
    if name == "Mothership":
        if have(name) >= 1:
            return "Not the right conditions to train a Mothership"
        if rules.original and supply_left < helpers["mothership_min_supply_left"]:
            return "Not enough supply left"
        return None
    if not rules.structure_caps:
        return None
    if name == "Probe":
        if have(name) > helpers["probe_limit"]:
            return f"Too many probes (more than {helpers['probe_limit']})"
        return None
    cap = helpers["unit_caps"].get(name)
    if cap is not None and have(name) >= cap:
        return f"{name} limit reached"
    return None


def chrono_gate(rules: RuleSet, helpers: dict[str, Any], target: str, *, supply_left: float) -> str | None:
    """The original's supply condition on CHRONOBOOST ``target``."""
    if rules.original:
        need = helpers["chrono_min_supply_left"].get(target, 0)
        if supply_left < need:
            return f"Not enough supply for {target}"
    return None
