"""The 72 Protoss actions of TextStarCraft II, in the original's order, and what each one does.

Ids and strings follow the original ``utils/action_info.py`` (0-18 train, 19-33 build, 34-59 research, 60-71
other; 71 is ``EMPTY ACTION``).  :class:`ActionHandler` turns an id into an engine command and applies the
original bot's hidden gating rules (the Pylon rule, structure caps by game time, unit caps, the scouting
cooldown), each behind a switch.  Failures read ``"Action failed: <ACTION>, Reason: <reason>"``.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        self._memo: tuple | None = None

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
            if g.loop - p.scouted_at < self._scout_cooldown:
                return "Scouting was done recently"
            return g.scout(p, spec.target, dry=dry)
        return None

    def _gate(self, spec: ActionSpec) -> str | None:
        p = self.player
        seconds = self.game.seconds
        if spec.kind == "build":
            name = spec.target
            if name == "Pylon" and self.pylon_rule:
                table = self.helpers["pylon_rule"]
                threshold, max_pending = table[0][1], table[0][2]
                for since, thr, pend in table:
                    if seconds >= since:
                        threshold, max_pending = thr, pend
                supply_left = p.supply_cap() - p.supply_used
                pending = sum(1 for s in p.structures if s.kind == "Pylon" and not s.done)
                if supply_left > threshold or pending > max_pending or p.supply_cap() >= 200:
                    return "Not the right conditions to build a Pylon"
            if self.structure_caps:
                caps = self.helpers["structure_caps"]
                if name in caps:
                    have = p.count(name, done=False)
                    if have >= _cap_at(caps[name], seconds):
                        return f"Not the right conditions to build a {name}"
                if name == "Nexus" and sum(1 for s in p.structures if s.kind == "Nexus" and not s.done) > 1:
                    return "Not the right conditions to build a Nexus"
                if (
                    name == "Assimilator"
                    and sum(1 for s in p.structures if s.kind == name and not s.done) >= 2
                ):
                    return "Not the right conditions to build a Assimilator"
        elif spec.kind == "train" and self.structure_caps:
            name = spec.target
            caps = self.helpers["unit_caps"]
            if name in caps or name == "Mothership":
                units, pending = self._memo or (p.unit_counts(), p.pending_units())
                have = units.get(name, 0) + pending.get(name, 0)
                if have >= caps.get(name, 1):
                    return f"Not the right conditions to train a {name}"
            if name == "Mothership":
                if p.supply_cap() - p.supply_used < self.helpers["mothership_min_supply_left"]:
                    return "Not the right conditions to train a Mothership"
        return None

    def mask(self, ignore_resources: bool = True) -> list[int]:
        """1 for every available action (EMPTY ACTION always is).

        An action is available when it would succeed now given enough minerals and gas: its requirements
        exist, a producer is idle, supply allows it and the original's rules do not block it.  With
        ``ignore_resources=False`` the mask is exactly "would succeed now".
        """
        p = self.player
        saved = p.minerals, p.gas
        if ignore_resources:
            p.minerals = p.gas = 1e12
        self._memo = (p.unit_counts(), p.pending_units())
        try:
            return [int(self._available(spec)) for spec in SPECS]
        finally:
            p.minerals, p.gas = saved
            self._memo = None

    def _available(self, spec: ActionSpec) -> bool:
        # Train and research have fast checks equal to the engine's (tests compare them with dry runs).
        if spec.kind == "research":
            return self._research_ok(spec.target)
        if spec.kind == "train":
            return self._train_ok(spec)
        return self.execute(spec.id, dry=True) is None

    def _train_ok(self, spec: ActionSpec) -> bool:
        """Whether ``execute`` of a train action would succeed now (``Game.train``'s checks, no reason built)."""
        if self._gate(spec):
            return False
        g, p = self.game, self.player
        u = g.data.units[spec.target]
        if any(not p.has_requirement(req) for req in u.requires):
            return False
        if u.producer == "Morph":
            if p.home.get(u.morph_from, 0) < u.morph_count:
                return False
            src = g.data.units[u.morph_from]
            return p.afford(
                max(0, u.minerals - src.minerals * u.morph_count), max(0, u.gas - src.gas * u.morph_count)
            )
        producers = [s for s in p.of_kind(u.producer) if s.done]
        if not producers:
            return False
        if u.warp and "WarpGateResearch" in p.upgrades:
            ready = any(s.kind == "WarpGate" and s.warp_ready <= g.loop for s in producers) or any(
                s.kind == "Gateway" and s.idle for s in producers
            )
        else:
            ready = any(s.idle for s in producers)
        if not ready or not p.afford(u.minerals, u.gas):
            return False
        return not (u.supply > 0 and p.supply_used + u.supply > p.supply_cap())

    def _research_ok(self, name: str) -> bool:
        """Whether ``Game.research(name)`` would succeed now (the same checks, without building a reason)."""
        p = self.player
        if name in p.upgrades:
            return False
        up = self.game.data.upgrades[name]
        at = [s for s in p.of_kind(up.researched_at) if s.done]
        if not at or any(s.job is not None and s.job.name == name for s in at):
            return False
        if any(not p.has_requirement(req) for req in up.requires):
            return False
        return any(s.idle for s in at) and p.afford(up.minerals, up.gas)
