"""The 72 Protoss actions of TextStarCraft II, in the original's order, and what each one does.

Ids and strings follow the original ``utils/action_info.py`` (0-18 train, 19-33 build, 34-59 research, 60-71
other; 71 is ``EMPTY ACTION``).  :class:`ActionHandler` turns an id into an engine command and applies the
original bot's hidden gating rules (the Pylon rule, structure caps by game time, unit caps, the scouting
cooldown), each behind a switch.  Failures read ``"Action failed: <ACTION>, Reason: <reason>"``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from tactica.envs.textsc2.data import GameData, StructureType, UnitType, UpgradeType
from tactica.envs.textsc2.engine import Game, Player

__all__ = [
    "ACTIONS",
    "ACTION_DICT",
    "EMPTY_ACTION",
    "NUM_ACTIONS",
    "ActionSpec",
    "ActionHandler",
    "SPECS",
    "failure_message",
]

_TRAIN = [
    "Probe", "Zealot", "Adept", "Stalker", "Sentry", "HighTemplar", "DarkTemplar", "VoidRay", "Carrier", "Tempest",
    "Oracle", "Phoenix", "Mothership", "Observer", "Immortal", "WarpPrism", "Colossus", "Disruptor", "Archon",
]  # fmt: skip
_BUILD = [
    "Pylon", "Assimilator", "Nexus", "Gateway", "CyberneticsCore", "Forge", "TwilightCouncil", "RoboticsFacility",
    "Stargate", "TemplarArchive", "DarkShrine", "RoboticsBay", "FleetBeacon", "PhotonCannon", "ShieldBattery",
]  # fmt: skip
_RESEARCH = [
    "WarpGateResearch",
    "ProtossAirWeaponsLevel1", "ProtossAirWeaponsLevel2", "ProtossAirWeaponsLevel3",
    "ProtossAirArmorsLevel1", "ProtossAirArmorsLevel2", "ProtossAirArmorsLevel3",
    "AdeptPiercingAttack", "BlinkTech", "Charge",
    "ProtossGroundWeaponsLevel1", "ProtossGroundWeaponsLevel2", "ProtossGroundWeaponsLevel3",
    "ProtossGroundArmorsLevel1", "ProtossGroundArmorsLevel2", "ProtossGroundArmorsLevel3",
    "ProtossShieldsLevel1", "ProtossShieldsLevel2", "ProtossShieldsLevel3",
    "ExtendedThermalLance", "GraviticDrive", "ObserverGraviticBooster", "PsiStormTech",
    "VoidRaySpeedUpgrade", "PhoenixRangeUpgrade", "TempestGroundAttackUpgrade",
]  # fmt: skip
_OTHER = [
    ("SCOUTING PROBE", "scout", "Probe"),
    ("SCOUTING OBSERVER", "scout", "Observer"),
    ("SCOUTING ZEALOT", "scout", "Zealot"),
    ("SCOUTING PHOENIX", "scout", "Phoenix"),
    ("MULTI-ATTACK", "attack", ""),
    ("MULTI-RETREAT", "retreat", ""),
    ("CHRONOBOOST NEXUS", "chrono", "Nexus"),
    ("CHRONOBOOST CYBERNETICSCORE", "chrono", "CyberneticsCore"),
    ("CHRONOBOOST TWILIGHTCOUNCIL", "chrono", "TwilightCouncil"),
    ("CHRONOBOOST STARGATE", "chrono", "Stargate"),
    ("CHRONOBOOST FORGE", "chrono", "Forge"),
    ("EMPTY ACTION", "empty", ""),
]


@dataclass(frozen=True)
class ActionSpec:
    """One action: its id, its string, the engine command and the command's argument."""

    id: int
    text: str
    kind: str  # train, build, research, scout, attack, retreat, chrono, empty
    target: str


def _specs() -> tuple[ActionSpec, ...]:
    out = []
    for name in _TRAIN:
        text = "MORPH ARCHON" if name == "Archon" else f"TRAIN {name.upper()}"
        out.append(ActionSpec(len(out), text, "train", name))
    for name in _BUILD:
        out.append(ActionSpec(len(out), f"BUILD {name.upper()}", "build", name))
    for name in _RESEARCH:
        out.append(ActionSpec(len(out), f"RESEARCH {name.upper()}", "research", name))
    for text, kind, target in _OTHER:
        out.append(ActionSpec(len(out), text, kind, target))
    return tuple(out)


SPECS: tuple[ActionSpec, ...] = _specs()
ACTIONS: tuple[str, ...] = tuple(s.text for s in SPECS)
NUM_ACTIONS = len(ACTIONS)
EMPTY_ACTION = ACTIONS.index("EMPTY ACTION")
ACTION_DICT: dict[str, dict[int, str]] = {
    "TRAIN UNIT": {i: ACTIONS[i] for i in range(0, 19)},
    "BUILD STRUCTURE": {i: ACTIONS[i] for i in range(19, 34)},
    "RESEARCH TECHNIQUE": {i: ACTIONS[i] for i in range(34, 60)},
    "OTHER ACTION": {i: ACTIONS[i] for i in range(60, 72)},
}
assert NUM_ACTIONS == 72 and EMPTY_ACTION == 71


def failure_message(action: str, reason: str) -> str:
    """The original's failure line."""
    return f"Action failed: {action}, Reason: {reason}"


def _cap_at(table: list[list[float]], seconds: float) -> int:
    for until, cap in table:
        if seconds < until:
            return int(cap)
    return int(table[-1][1])


class ActionHandler:
    """Executes action ids for one Protoss player with the original bot's gating rules.

    Args:
        game: the engine.
        player: the Protoss player (seat 0).
        pylon_rule: BUILD PYLON only when supply is nearly used up and few Pylons are pending (thresholds rise at
            06:00 and 10:00), as in the original bot.
        structure_caps: the original's per-game-time caps on Gateways, Cores, Forges, Robotics Facilities,
            Stargates, cannons, batteries and Nexuses, and its unit caps (Probe 75, Observer 2, ...).
        step_loops: loops per env step (the scouting cooldown is 300 steps of the original's 8 loops).
    """

    def __init__(self, game: Game, player: Player, *, pylon_rule: bool = True, structure_caps: bool = True):
        if player.race != "Protoss":
            raise ValueError(
                "the 72 TextStarCraft II actions are Protoss actions; the agent must play Protoss"
            )
        self.game = game
        self.player = player
        self.pylon_rule = pylon_rule
        self.structure_caps = structure_caps
        self.helpers = game.data.helpers
        self._scout_cooldown = int(self.helpers["scout_cooldown_steps"]) * 8
        self._tech: _TechTable | None = None
        self._build_memo: tuple | None = None
        self._rules: tuple[float, float, tuple[int, int, dict[str, int]]] | None = None

    def execute(self, action: int, dry: bool = False) -> str | None:
        """Run action ``action`` (``dry``: only check it); returns the failure reason or ``None``."""
        spec = SPECS[action]
        g, p = self.game, self.player
        gate = self._gate(spec)
        if gate:
            return gate
        if spec.kind == "train":
            return g.train(p, spec.target, dry=dry)
        if spec.kind == "build":
            return g.build(p, spec.target, dry=dry)
        if spec.kind == "research":
            return g.research(p, spec.target, dry=dry)
        if spec.kind == "chrono":
            return g.chrono(p, spec.target, dry=dry)
        if spec.kind == "attack":
            return g.attack(p, min_army_supply=float(self.helpers["attack_min_army_supply"]), dry=dry)
        if spec.kind == "retreat":
            return g.retreat(p, dry=dry)
        if spec.kind == "scout":
            if self._scouted_recently():
                return "Scouting was done recently"
            return g.scout(p, spec.target, dry=dry)
        return None

    def _scouted_recently(self) -> bool:
        return self.game.loop - self.player.scouted_at < self._scout_cooldown

    def _gate(self, spec: ActionSpec) -> str | None:
        p = self.player
        if spec.kind == "build":
            return self._build_gate(spec.target, p.supply_cap(), p.pending_structures().get)
        if spec.kind == "train" and self.structure_caps:
            name = spec.target
            if self._unit_cap_blocks(name, p.unit_counts, p.pending_units):
                return f"Not the right conditions to train a {name}"
            if name == "Mothership":
                if p.supply_cap() - p.supply_used < self.helpers["mothership_min_supply_left"]:
                    return "Not the right conditions to train a Mothership"
        return None

    def _rules_now(self) -> tuple[int, int, dict[str, int]]:
        """The Pylon rule's (supply-left threshold, most pending Pylons) and each capped structure's limit now.

        They change only at the game times their tables name, so one computation serves until the next one.
        """
        seconds = self.game.seconds
        cached = self._rules
        if cached is not None and cached[0] <= seconds < cached[1]:
            return cached[2]
        table = self.helpers["pylon_rule"]
        threshold, max_pending = table[0][1], table[0][2]
        for since, thr, pend in table:
            if seconds >= since:
                threshold, max_pending = thr, pend
        caps = {name: _cap_at(rows, seconds) for name, rows in self.helpers["structure_caps"].items()}
        times = [row[0] for row in table] + [
            row[0] for rows in self.helpers["structure_caps"].values() for row in rows
        ]
        start = max((t for t in times if t <= seconds), default=-math.inf)
        end = min((t for t in times if t > seconds), default=math.inf)
        rules = (threshold, max_pending, caps)
        self._rules = (start, end, rules)
        return rules

    def _build_gate(
        self,
        name: str,
        cap: int,
        pending: Callable[[str, int], int],
        rules: tuple[int, int, dict[str, int]] | None = None,
    ) -> str | None:
        """The Pylon rule and the structure caps; ``pending(kind, 0)`` counts structures under construction and
        ``rules`` is :meth:`_rules_now` (computed here when not given)."""
        p = self.player
        threshold, max_pending, caps = rules or self._rules_now()
        if name == "Pylon" and self.pylon_rule:
            if cap - p.supply_used > threshold or pending("Pylon", 0) > max_pending or cap >= 200:
                return "Not the right conditions to build a Pylon"
        if self.structure_caps:
            limit = caps.get(name)
            if limit is not None and p.count(name, done=False) >= limit:
                return f"Not the right conditions to build a {name}"
            if name == "Nexus" and pending("Nexus", 0) > 1:
                return "Not the right conditions to build a Nexus"
            if name == "Assimilator" and pending(name, 0) >= 2:
                return "Not the right conditions to build a Assimilator"
        return None

    def _unit_cap_blocks(
        self, name: str, units: Callable[[], Counter], pending: Callable[[], Counter]
    ) -> bool:
        """Whether the original's unit caps forbid one more ``name`` (the counts are computed only if needed)."""
        caps = self.helpers["unit_caps"]
        if name not in caps and name != "Mothership":
            return False
        return units().get(name, 0) + pending().get(name, 0) >= caps.get(name, 1)

    def mask(
        self, ignore_resources: bool = True, *, counts: tuple[Counter, Counter] | None = None
    ) -> list[int]:
        """1 for every available action (EMPTY ACTION always is).

        An action is available when it would succeed now given enough minerals and gas: its requirements
        exist, a producer is idle, supply allows it and the original's rules do not block it.  With
        ``ignore_resources=False`` the mask is exactly "would succeed now".

        The checks are those of :meth:`execute` with ``dry=True`` (the tests compare the two at every step),
        but what several actions share (producers, requirements, pending counts) is gathered once.
        ``counts`` is ``(player.unit_counts(), player.pending_units())`` when the caller has them already.
        """
        return _Availability(self, ignore_resources, counts).mask()


class _TechTable:
    """The train, research and build actions whose requirements are met (and whose producer or research
    structure is complete).  It depends only on which kinds of structure are complete (morph successors
    included) and on the research done, so it is rebuilt only when one of them changes, not every step."""

    def __init__(self, p: Player, data: GameData, kinds: frozenset[str]):
        self.kinds = kinds
        self.upgrades = len(p.upgrades)  # research only ever grows
        self.index = p._index()  # the structure index this table was last checked against
        capped = {*data.helpers["unit_caps"], "Mothership"}
        self.train: list[tuple[int, str, UnitType, bool]] = []
        for i, spec in _BY_KIND["train"]:
            u = data.units[spec.target]
            if (u.producer == "Morph" or p.count(u.producer) > 0) and all(
                p.has_requirement(r) for r in u.requires
            ):
                self.train.append((i, spec.target, u, spec.target in capped))
        self.research: list[tuple[int, str, UpgradeType]] = []
        for i, spec in _BY_KIND["research"]:
            up = data.upgrades.get(spec.target)
            if (
                up is not None
                and spec.target not in p.upgrades
                and p.count(up.researched_at) > 0
                and all(p.has_requirement(r) for r in up.requires)
            ):
                self.research.append((i, spec.target, up))
        self.build: list[tuple[int, str, StructureType]] = []
        for i, spec in _BY_KIND["build"]:
            st = data.structures[spec.target]
            if st.race == p.race and all(p.has_requirement(r) for r in st.requires):
                self.build.append((i, spec.target, st))
        # A morph also needs an idle source structure, a state the memo of build answers does not track.
        self.build_memoizable = not any(st.morph_from for _, _, st in self.build)


class _Availability:
    """One evaluation of the 72 actions' checks on a fixed state.

    Each check mirrors the engine command's (only success matters here, not which reason a failure gives);
    what several actions share (producers, research structures, pending counts) is gathered once, and the
    requirement checks come from the cached :class:`_TechTable`.
    """

    def __init__(
        self, handler: ActionHandler, ignore_resources: bool, counts: tuple[Counter, Counter] | None = None
    ):
        self.handler = handler
        self.game = g = handler.game
        self.player = p = handler.player
        self.data = g.data
        self.loop = g.loop
        if ignore_resources:
            self.minerals = self.gas = 1e12
        else:
            self.minerals, self.gas = p.minerals, p.gas
        self.cap = p.supply_cap()
        self.used = p.supply_used
        table, index = handler._tech, p._index()
        if table is None or table.index is not index or table.upgrades != len(p.upgrades):
            kinds = frozenset(index[0])  # complete kinds (counts are never zero)
            if table is None or table.kinds != kinds or table.upgrades != len(p.upgrades):
                table = handler._tech = _TechTable(p, self.data, kinds)
            table.index = index
        self.table = table
        self._producers: dict[str, tuple[bool, bool, bool]] = {}
        self._research_sites: dict[str, tuple[set[str], bool]] = {}
        self._pending: Counter | None = None
        self._counts = counts
        self._rules = handler._rules_now()

    def mask(self) -> list[int]:
        out = [0] * NUM_ACTIONS
        handler, table = self.handler, self.table
        afford = self._afford
        caps = handler.structure_caps
        for i, name, u, capped in table.train:
            if not (caps and capped and handler._unit_cap_blocks(name, self._units, self._pending_units)):
                out[i] = self._train_ok(name, u)
        for i, name, up in table.research:
            jobs, idle = self._site(up.researched_at)
            out[i] = int(idle and name not in jobs and afford(up.minerals, up.gas))
        # Whether a structure may be built depends on the structure set (and research), the rules of the
        # current time window, supply, workers, bases and the resources counted: reuse the last answers while
        # those repeat.
        p = self.player
        index, rules = p._index(), self._rules
        values = (self.cap, self.used, p.workers > 0, [b.alive for b in p.bases], self.minerals, self.gas)
        last = handler._build_memo
        if (
            table.build_memoizable
            and last is not None
            and last[0] is index
            and last[1] is table
            and last[2] is rules
            and last[3] == values
        ):
            built = last[4]
        else:
            built = [(i, self._build_ok(name, st)) for i, name, st in table.build]
            handler._build_memo = (index, table, rules, values, built)
        for i, ok in built:
            out[i] = ok
        if self._chrono_energy() >= self.data.economy["chrono_energy"] * 256:
            for i, spec in _BY_KIND["chrono"]:
                out[i] = self._chrono_target_ok(spec.target)
        # A handful of cheap commands: the engine's own dry runs.
        scouts = [] if handler._scouted_recently() else _BY_KIND["scout"]
        for i, _ in scouts + _BY_KIND["attack"] + _BY_KIND["retreat"]:
            out[i] = int(handler.execute(i, dry=True) is None)
        out[EMPTY_ACTION] = 1
        return out

    # -- shared facts --------------------------------------------------------------------------------------
    def _units(self) -> Counter:
        if self._counts is None:
            self._counts = (self.player.unit_counts(), self.player.pending_units())
        return self._counts[0]

    def _pending_units(self) -> Counter:
        self._units()
        return self._counts[1]

    def _afford(self, minerals: float, gas: float) -> bool:
        return self.minerals >= minerals and self.gas >= gas

    def _producer(self, kind: str) -> tuple[bool, bool, bool]:
        """(any idle, any Warp Gate off cooldown, any idle Gateway) among the complete ``of_kind(kind)``."""
        facts = self._producers.get(kind)
        if facts is None:
            idle = warp = gate = False
            for s in self.player.of_kind(kind):
                if s.remaining > 0:
                    continue
                free = s.job is None and s.morph_to is None
                idle = idle or free
                if s.kind == "WarpGate":
                    warp = warp or s.warp_ready <= self.loop
                elif s.kind == "Gateway":
                    gate = gate or free
            facts = self._producers[kind] = (idle, warp, gate)
        return facts

    def _site(self, kind: str) -> tuple[set[str], bool]:
        """(jobs running in the complete structures of ``kind``, whether one of them is idle)."""
        facts = self._research_sites.get(kind)
        if facts is None:
            idle = False
            jobs: set[str] = set()
            for s in self.player.of_kind(kind):
                if s.remaining > 0:
                    continue
                if s.job is not None:
                    jobs.add(s.job.name)
                elif s.morph_to is None:
                    idle = True
            facts = self._research_sites[kind] = (jobs, idle)
        return facts

    def _pending_count(self, kind: str, default: int = 0) -> int:
        if self._pending is None:
            self._pending = self.player.pending_structures()
        return self._pending.get(kind, default)

    # -- per action kind (requirements already hold: see _TechTable) ----------------------------------------
    def _train_ok(self, name: str, u: UnitType) -> int:
        p, data = self.player, self.data
        if name == "Mothership" and self.handler.structure_caps:
            if self.cap - self.used < self.handler.helpers["mothership_min_supply_left"]:
                return 0
        if u.producer == "Morph":
            if p.home.get(u.morph_from, 0) < u.morph_count:
                return 0
            src = data.units[u.morph_from]
            return int(
                self._afford(
                    max(0, u.minerals - src.minerals * u.morph_count), max(0, u.gas - src.gas * u.morph_count)
                )
            )
        idle, warp, gate = self._producer(u.producer)
        ready = (warp or gate) if u.warp and "WarpGateResearch" in p.upgrades else idle
        if not ready or not self._afford(u.minerals, u.gas):
            return 0
        return int(not (u.supply > 0 and self.used + u.supply > self.cap))

    def _build_ok(self, name: str, st: StructureType) -> int:
        handler, p, g = self.handler, self.player, self.game
        if handler._build_gate(name, self.cap, self._pending_count, self._rules):
            return 0
        if st.morph_from and not any(s.kind == st.morph_from and s.idle for s in p.structures):
            return 0
        if p.workers <= 0:
            return 0
        eco = self.data.economy
        if st.townhall and not st.morph_from and len(p.bases) >= eco["max_bases"]:
            return 0
        if st.gas_building and not any(
            b.alive and p._base_ready(i) and g._geysers_taken(p, i) < eco["geysers_per_base"]
            for i, b in enumerate(p.bases)
        ):
            return 0
        return int(self._afford(st.minerals, st.gas))

    def _chrono_energy(self) -> int:
        """The most energy of a complete Nexus (-1 without one): Chrono Boost spends it."""
        return max(
            (s.energy for s in self.player.of_kind("Nexus") if s.kind == "Nexus" and s.remaining <= 0),
            default=-1,
        )

    def _chrono_target_ok(self, target: str) -> int:
        """Whether a structure of kind ``target`` is busy and not boosted yet (the energy is checked before)."""
        kinds = (target, "WarpGate") if target == "Gateway" else (target,)
        for k in kinds:
            for s in self.player.of_kind(k):
                if s.kind == k and s.remaining <= 0 and s.job is not None and s.chrono_until <= self.loop:
                    return 1
        return 0


_BY_KIND: dict[str, list[tuple[int, ActionSpec]]] = {}
for _spec in SPECS:
    _BY_KIND.setdefault(_spec.kind, []).append((_spec.id, _spec))
