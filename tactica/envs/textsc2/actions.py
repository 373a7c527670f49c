"""The 72 Protoss actions of TextStarCraft II, in the original's order, and what each one does.

Ids and strings follow the original ``utils/action_info.py`` (0-18 train, 19-33 build, 34-59 research, 60-71
other; 71 is ``EMPTY ACTION``).  :class:`ActionHandler` turns an id into an engine command under a rule set of
:mod:`tactica.envs.textsc2.rules` (the original bot's Pylon rule, structure and unit caps by game time, extra
requirements, Chrono Boost conditions, its Gateway queue and Archon morphs, optionally its bugs; or only the
game's rules) and the scouting cooldown.  Failures read ``"Action failed: <ACTION>, Reason: <reason>"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tactica.envs.textsc2.data import GameData, StructureType, UnitType, UpgradeType, load_data
from tactica.envs.textsc2.engine import QUEUE_LENGTH, Game, Player
from tactica.envs.textsc2.rules import (
    RuleSet,
    build_gate,
    chrono_gate,
    pylon_thresholds,
    structure_limit,
    train_gate,
)

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


_HT_PAIR, _DT_PAIR, _MIXED_PAIR = (
    ("HighTemplar", "HighTemplar"),
    ("DarkTemplar", "DarkTemplar"),
    ("HighTemplar", "DarkTemplar"),
)
ARCHON = _TRAIN.index("Archon")


class ActionHandler:
    """Executes action ids for one Protoss player under a :class:`~tactica.envs.textsc2.rules.RuleSet`.

    Args:
        game: the engine.
        player: the Protoss player (seat 0).
        rules: the rule set (default: the original bot's rules, its bugs fixed); see :mod:`.rules`.
        rng: draws the original's random Chrono Boost target (default: a generator seeded with 0).
        pylon_rule, structure_caps: shortcuts that override the rule set's switches.
    """

    def __init__(
        self,
        game: Game,
        player: Player,
        *,
        rules: RuleSet | None = None,
        rng: np.random.Generator | None = None,
        pylon_rule: bool | None = None,
        structure_caps: bool | None = None,
    ):
        if player.race != "Protoss":
            raise ValueError(
                "the 72 TextStarCraft II actions are Protoss actions; the agent must play Protoss"
            )
        rules = rules or RuleSet()
        if pylon_rule is not None or structure_caps is not None:
            rules = RuleSet(
                rules.name,
                rules.pylon_rule if pylon_rule is None else pylon_rule,
                rules.structure_caps if structure_caps is None else structure_caps,
                rules.original_bugs,
            )
        self.game = game
        self.player = player
        self.rules = rules
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.helpers = game.data.helpers
        self._scout_cooldown = int(self.helpers["scout_cooldown_steps"]) * 8
        self._tech: _TechTable | None = None
        self._build_memo: tuple | None = None
        self._rules_cache: tuple[int, tuple, dict] | None = None

    @property
    def pylon_rule(self) -> bool:
        return bool(self.rules.pylon_rule)

    @property
    def structure_caps(self) -> bool:
        return bool(self.rules.structure_caps)

    def execute(self, action: int, dry: bool = False) -> str | None:
        """Run action ``action`` (``dry``: only check it); returns the failure reason or ``None``."""
        spec = SPECS[action]
        g, p = self.game, self.player
        bugs = self.rules.original_bugs
        gate = self._gate(spec)
        if gate:
            return gate
        if spec.kind == "train":
            if action == ARCHON:
                if not self.rules.original:  # the game takes any two templar
                    return g.morph_archons(p, [_HT_PAIR, _DT_PAIR, _MIXED_PAIR], dry=dry)
                # The original morphs its High Templar if it has any (a lone one does nothing), else its Dark
                # Templar, in pairs.
                return g.morph_archons(p, [_HT_PAIR if p.home.get("HighTemplar", 0) else _DT_PAIR], dry=dry)
            u = g.data.units[spec.target]
            if bugs and u.warp and "WarpGateResearch" in p.upgrades:
                if spec.target not in self.helpers["original_bugs"]["warpable"]:
                    return f"Unit type {spec.target.upper()} not warpable"
            # The original queues a Gateway unit on a busy Gateway when none is idle.
            return g.train(p, spec.target, dry=dry, queue=u.producer == "Gateway")
        if spec.kind == "build":
            return g.build(p, spec.target, dry=dry)
        if spec.kind == "research":
            target = spec.target
            if bugs and action == _RESEARCH_48:
                target = self.helpers["original_bugs"]["action_48_researches"]
            if bugs and target == "TempestGroundAttackUpgrade":
                return None  # a no-op in the original
            return g.research(p, target, dry=dry)
        if spec.kind == "chrono":
            return self._chrono(spec.target, dry)
        if spec.kind == "attack":
            return g.attack(p, min_army_supply=float(self.helpers["attack_min_army_supply"]), dry=dry)
        if spec.kind == "retreat":
            return g.retreat(p, dry=dry, to_front=bugs)
        if spec.kind == "scout":
            if self._scouted_recently():
                return "Scouting was done recently"
            return g.scout(p, spec.target, dry=dry)
        return None

    def _chrono(self, target: str, dry: bool) -> str | None:
        g, p = self.game, self.player
        # A busy target first, then (the original) a random target that must be busy, then its supply condition.
        reason = g.chrono(p, target, dry=True)
        if reason:
            return reason
        pick = None
        if self.rules.original and not dry:
            pool = [s for s in p.of_kind(target) if s.kind == target]
            pick = pool[int(self.rng.integers(len(pool)))]
            if pick.remaining > 0 or pick.job is None or pick.chrono_until > g.loop:
                return f"{target} is idle or already chronoboosted"
        reason = chrono_gate(self.rules, self.helpers, target, supply_left=p.supply_cap() - p.supply_used)
        if reason or dry:
            return reason
        return g.chrono(p, target, structure=pick)

    def _scouted_recently(self) -> bool:
        return self.game.loop - self.player.scouted_at < self._scout_cooldown

    def _gate(self, spec: ActionSpec) -> str | None:
        p = self.player
        if spec.kind == "build":
            pending = p.unfinished_structures()
            return self._build_gate(spec.target, p.supply_cap(), lambda k, _d=0: pending.get(k, _d))
        if spec.kind == "train":
            name = spec.target
            if name == "Disruptor" and self.rules.original_bugs:
                needed = self.helpers["original_bugs"]["disruptor_requires"]
                if p.unit_counts().get(needed, 0) == 0:
                    return f"{needed.upper()} not available"
            counts = (p.unit_counts(), p.pending_units())
            return train_gate(
                self.rules,
                self.helpers,
                name,
                supply_left=p.supply_cap() - p.supply_used,
                have=lambda k: counts[0].get(k, 0) + counts[1].get(k, 0),
            )
        return None

    def _rules_now(self) -> tuple:
        """The rule parameters of the current whole game second (the windows change only at whole seconds)."""
        second = int(self.game.seconds)
        cached = self._rules_cache
        if cached is not None and cached[0] == second:
            return cached[1]
        helpers = self.helpers
        names = sorted({*helpers["structure_windows"], *helpers["structure_limits"]})
        limits = {n: structure_limit(helpers, n, second) for n in names}
        signature = (pylon_thresholds(helpers, second), tuple(limits.values()))
        self._rules_cache = (second, signature, limits)
        return signature

    def _build_gate(self, name: str, cap: int, pending: Callable[..., int]) -> str | None:
        """The original's conditions on BUILD ``name``; ``pending(kind, 0)`` counts structures in construction."""
        p = self.player
        done = p.done_structures()
        return build_gate(
            self.rules,
            self.helpers,
            name,
            second=int(self.game.seconds),
            supply_left=cap - p.supply_used,
            supply_cap=cap,
            built=lambda k: done.get(k, 0),
            pending=lambda k: pending(k, 0),
            limits=self._limits_now(),
        )

    def _limits_now(self) -> dict[str, int | None]:
        """:func:`structure_limit` of every capped structure at the current whole game second."""
        self._rules_now()
        return self._rules_cache[2]

    def mask(
        self, ignore_resources: bool = True, *, counts: tuple[Counter, Counter] | None = None
    ) -> list[int]:
        """1 for every available action (EMPTY ACTION always is).

        An action is available when it would succeed now given enough minerals and gas: its requirements
        exist, a producer is idle (or, for Gateway units, can queue one), supply allows it and the rules do not
        block it.  With ``ignore_resources=False`` the mask is exactly "would succeed now" (a Chrono Boost whose
        random target turns out idle can still fail).

        The checks are those of :meth:`execute` with ``dry=True`` (the tests compare the two at every step),
        but what several actions share (producers, requirements, pending counts) is gathered once.
        ``counts`` is ``(player.unit_counts(), player.pending_units())`` when the caller has them already.
        """
        return _Availability(self, ignore_resources, counts).mask()


# The units train_gate can refuse (the Probe limit, the Mothership rules and the data file's unit caps).
_GATED_UNITS = frozenset({"Probe", "Mothership", *load_data().helpers["unit_caps"]})
_RESEARCH_48 = 19 + len(_BUILD) + _RESEARCH.index("ProtossGroundArmorsLevel2")
_RESEARCH_59 = 19 + len(_BUILD) + _RESEARCH.index("TempestGroundAttackUpgrade")


class _TechTable:
    """The train, research and build actions whose requirements are met (and whose producer or research
    structure is complete).  It depends only on which kinds of structure are complete (morph successors
    included) and on the research done, so it is rebuilt only when one of them changes, not every step."""

    def __init__(self, p: Player, data: GameData, kinds: frozenset[str]):
        self.kinds = kinds
        self.upgrades = len(p.upgrades)  # research only ever grows
        self.index = p._index()  # the structure index this table was last checked against
        self.train: list[tuple[int, str, UnitType]] = []
        for i, spec in _BY_KIND["train"]:
            u = data.units[spec.target]
            if i != ARCHON and p.count(u.producer) > 0 and all(p.has_requirement(r) for r in u.requires):
                self.train.append((i, spec.target, u))
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
        self._producers: dict[str, tuple[bool, bool, bool, bool]] = {}
        self._research_sites: dict[str, tuple[set[str], bool]] = {}
        self._pending: Counter | None = None
        self._counts = counts
        self._rules = handler._rules_now()

    def mask(self) -> list[int]:
        out = [0] * NUM_ACTIONS
        handler, table = self.handler, self.table
        afford = self._afford
        rules, helpers = handler.rules, handler.helpers
        bugs = rules.original_bugs

        def have(kind: str) -> int:
            return self._units().get(kind, 0) + self._pending_units().get(kind, 0)

        supply_left = self.cap - self.used
        for i, name, u in table.train:
            if bugs and name == "Disruptor":
                out[i] = int(handler.execute(i, dry=True) is None)
            elif (
                name not in _GATED_UNITS
                or train_gate(rules, helpers, name, supply_left=supply_left, have=have) is None
            ):
                out[i] = self._train_ok(name, u)
        home = self.player.home
        if home.get("HighTemplar", 0) + home.get("DarkTemplar", 0) >= 2:  # else no pair can morph
            out[ARCHON] = int(handler.execute(ARCHON, dry=True) is None)
        for i, name, up in table.research:
            jobs, idle = self._site(up.researched_at)
            out[i] = int(idle and name not in jobs and afford(up.minerals, up.gas))
        if bugs:  # actions 48 and 59 do something else in the original
            for i in (_RESEARCH_48, _RESEARCH_59):
                out[i] = int(handler.execute(i, dry=True) is None)
        # Whether a structure may be built depends on the structure set (and research), the rules of the
        # current time window, supply, workers, bases and the resources counted: reuse the last answers while
        # those repeat.
        p = self.player
        index, window = p._index(), self._rules
        values = (self.cap, self.used, p.workers > 0, [b.alive for b in p.bases], self.minerals, self.gas)
        last = handler._build_memo
        if (
            table.build_memoizable
            and last is not None
            and last[0] is index
            and last[1] is table
            and last[2] == window
            and last[3] == values
        ):
            built = last[4]
        else:
            built = [(i, self._build_ok(name, st)) for i, name, st in table.build]
            handler._build_memo = (index, table, window, values, built)
        for i, ok in built:
            out[i] = ok
        if self._chrono_energy() >= self.data.economy["chrono_energy"] * 256:
            for i, spec in _BY_KIND["chrono"]:
                gate = chrono_gate(rules, helpers, spec.target, supply_left=supply_left)
                out[i] = 0 if gate else self._chrono_target_ok(spec.target)
        # A handful of cheap commands: the engine's own dry runs.
        g = self.game
        if not handler._scouted_recently():
            for i, spec in _BY_KIND["scout"]:
                out[i] = int(g.scout(p, spec.target, dry=True) is None)
        attack, retreat = _BY_KIND["attack"][0][0], _BY_KIND["retreat"][0][0]
        out[attack] = int(handler.execute(attack, dry=True) is None)
        out[retreat] = int(g.retreat(p, dry=True) is None)
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

    def _producer(self, kind: str) -> tuple[bool, bool, bool, bool]:
        """(any idle, any Warp Gate off cooldown, any idle Gateway, any busy one with room in its queue) among
        the complete ``of_kind(kind)``."""
        facts = self._producers.get(kind)
        if facts is None:
            idle = warp = gate = room = False
            for s in self.player.of_kind(kind):
                if s.remaining > 0:
                    continue
                free = s.job is None and s.morph_to is None
                idle = idle or free
                room = room or (s.job is not None and len(s.queue) + 1 < QUEUE_LENGTH)
                if s.kind == "WarpGate":
                    warp = warp or s.warp_ready <= self.loop
                elif s.kind == "Gateway":
                    gate = gate or free
            facts = self._producers[kind] = (idle, warp, gate, room)
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
        """Whether TRAIN ``name`` would succeed (its gate passed and its requirements hold already)."""
        p = self.player
        idle, warp, gate, room = self._producer(u.producer)
        if u.warp and "WarpGateResearch" in p.upgrades:
            ready = warp or gate
            if (
                self.handler.rules.original_bugs
                and name not in self.handler.helpers["original_bugs"]["warpable"]
            ):
                ready = False
        else:
            ready = idle or (room and u.producer == "Gateway")
        if not ready or not self._afford(u.minerals, u.gas):
            return 0
        return int(not (u.supply > 0 and self.used + u.supply > self.cap))

    def _build_ok(self, name: str, st: StructureType) -> int:
        handler, p, g = self.handler, self.player, self.game
        if handler._build_gate(name, self.cap, self._pending_count):
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
