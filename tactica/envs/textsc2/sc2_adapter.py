"""Obs-to-Text and Text-to-Action for the real game: a burnysc2 ``BotAI`` read and driven like the embedded one.

:func:`information` reads a python-sc2 ``BotAI`` into the very dict :func:`tactica.envs.textsc2.text.information`
builds from the embedded engine (the original ``Protoss_Bot.get_information`` groups: resource, building, unit,
planning, research, enemy), so the env turns it into the same observation and the same single-frame text.
:class:`RealActions` maps the 72 actions to burnysc2 calls (``train``, ``build``, ``expand_now``, ``research``,
Warp Gate ``warp_in``, Chrono Boost with ``AbilityId.EFFECT_CHRONOBOOSTENERGYCOST``, ``attack``/``move``) with the
original bot's gating rules and its failure wording ("Cannot afford Pylon", "No Gateway available", "Not enough
supply left", "All Nexus are busy", "Not the right conditions to build a Pylon").  The gating thresholds are the
data file's ``helpers`` tables, the same ones the embedded :class:`~tactica.envs.textsc2.actions.ActionHandler`
reads.

Nothing here imports ``sc2``: the caller passes the id enums (``UnitTypeId``, ``UpgradeId``, ``AbilityId``,
``BuffId``) as an :class:`Ids`, which keeps the module importable without the extra and testable with a fake.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from tactica.envs.textsc2.actions import SPECS, ActionSpec
from tactica.envs.textsc2.data import GameData
from tactica.envs.textsc2.rules import RuleSet, build_gate, chrono_gate, train_gate
from tactica.envs.textsc2.text import BUILDING_KEYS, RESEARCH_KEYS, UNIT_KEYS, enemy_keys

__all__ = ["Ids", "information", "RealActions", "enemy_names"]

# The original's defend(): at least this many enemy units this close to a Nexus pull the army.
DEFEND_RADIUS = 30.0
DEFEND_MIN_ENEMIES = 2


@dataclass(frozen=True)
class Ids:
    """burnysc2's id enums (``sc2.ids.*``), passed in so this module never imports ``sc2`` itself."""

    UnitTypeId: Any
    UpgradeId: Any
    AbilityId: Any
    BuffId: Any

    def unit(self, name: str):
        """``UnitTypeId`` of a data-file name (``"CyberneticsCore"`` -> ``UnitTypeId.CYBERNETICSCORE``)."""
        return self.UnitTypeId[name.upper()]

    def upgrade(self, name: str):
        return self.UpgradeId[name.upper()]


def enemy_names(data: GameData, race: str) -> dict[str, str]:
    """burnysc2 type name (``"SPAWNINGPOOL"``) -> the observation's enemy key (``"spawning_pool"``)."""
    units, structures = enemy_keys(data, race)
    names = [n for n, u in data.units.items() if u.race == race] + [
        n for n, s in data.structures.items() if s.race == race
    ]
    return {n.upper(): key for n, key in zip(names, units + structures)}


def _clock(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 60:02d}:{total % 60:02d}"


def _progress(value: float) -> float:
    """1 when done, else the fraction to 3 decimals and below 1 (as the embedded backend reports it)."""
    value = float(value)
    return 1 if value >= 1.0 else min(0.999, round(value, 3))


def information(bot, ids: Ids, enemy: dict[str, str]) -> dict:
    """The embedded backend's ``information`` dict, read from a burnysc2 ``BotAI`` at its current step.

    Enemy types outside the opponent race's vocabulary of the data file (Larva, Eggs, Changelings...) are left
    out, as the observation space has no key for them.
    """
    resource = {
        "game_time": _clock(bot.time),
        "worker_supply": int(bot.workers.amount),  # the original's self.workers.amount
        "mineral": int(bot.minerals),
        "gas": int(bot.vespene),
        "supply_left": int(bot.supply_left),
        "supply_cap": int(bot.supply_cap),
        "supply_used": int(bot.supply_used),
        "army_supply": int(bot.supply_army),
    }
    building = {key: int(bot.structures(ids.unit(name)).ready.amount) for key, name in BUILDING_KEYS.items()}
    unit = {key: int(bot.units(ids.unit(name)).amount) for key, name in UNIT_KEYS.items()}
    planning = {
        "planning_structure": {
            f"planning_{key}": int(bot.already_pending(ids.unit(name))) for key, name in BUILDING_KEYS.items()
        },
        "planning_unit": {
            f"planning_{key}": int(bot.already_pending(ids.unit(name))) for key, name in UNIT_KEYS.items()
        },
    }
    research = {
        group: {key: _progress(bot.already_pending_upgrade(ids.upgrade(up))) for key, up in keys.items()}
        for group, keys in RESEARCH_KEYS.items()
    }
    seen_units: Counter[str] = Counter()
    seen_structures: Counter[str] = Counter()
    for counter, group in ((seen_units, bot.enemy_units), (seen_structures, bot.enemy_structures)):
        for u in group:
            key = enemy.get(u.type_id.name)
            if key is not None:
                counter[key] += 1
    return {
        "resource": resource,
        "building": building,
        "unit": unit,
        "planning": planning,
        "research": research,
        "enemy": {
            "unit": dict(sorted(seen_units.items())),
            "structure": dict(sorted(seen_structures.items())),
        },
    }


class RealActions:
    """The 72 actions on a burnysc2 ``BotAI``, with the original bot's gating rules and failure reasons.

    Args:
        bot: the ``BotAI`` (Protoss).
        ids: burnysc2's id enums.
        data: the game data (requirements, producers, helper thresholds).
        rules: the rule set of :mod:`tactica.envs.textsc2.rules` (its gating, shared with the embedded backend).
        step_loops: game loops per step (the scouting cooldown is 300 steps of 8 loops).
    """

    def __init__(
        self,
        bot,
        ids: Ids,
        data: GameData,
        *,
        rules: RuleSet | None = None,
    ):
        self.bot = bot
        self.ids = ids
        self.data = data
        self.rules = rules or RuleSet()
        self.helpers = data.helpers
        self._scout_cooldown = int(self.helpers["scout_cooldown_steps"]) * 8
        self._scouted_at = -(10**9)

    # -- state helpers -----------------------------------------------------------------------------------
    def _loop(self) -> int:
        return int(self.bot.state.game_loop)

    def _done(self, name: str) -> int:
        return int(self.bot.structures(self.ids.unit(name)).ready.amount)

    def _all(self, name: str) -> int:
        """Completed structures plus those in construction (the caps count both, as the original)."""
        return self._done(name) + int(self.bot.already_pending(self.ids.unit(name)))

    def _has(self, requirement: str) -> bool:
        if requirement in self.data.upgrades:
            return float(self.bot.already_pending_upgrade(self.ids.upgrade(requirement))) >= 1.0
        if requirement == "Gateway":  # a Warp Gate is a Gateway for requirements
            return self._done("Gateway") + self._done("WarpGate") > 0
        return self._done(requirement) > 0

    def _missing(self, requires) -> str | None:
        return next((r for r in requires if not self._has(r)), None)

    def _army(self):
        workers = {self.ids.unit("Probe")}
        return [u for u in self.bot.units if u.type_id not in workers]

    # -- gating (the original's hidden rules) -------------------------------------------------------------
    def gate(self, spec: ActionSpec) -> str | None:
        bot, ids, name = self.bot, self.ids, spec.target
        if spec.kind == "build":
            return build_gate(
                self.rules,
                self.helpers,
                name,
                second=int(bot.time),
                supply_left=bot.supply_left,
                supply_cap=bot.supply_cap,
                built=self._done,
                pending=lambda k: int(bot.already_pending(ids.unit(k))),
            )
        if spec.kind == "train":

            def have(kind: str) -> int:
                living = bot.workers.amount if kind == "Probe" else bot.units(ids.unit(kind)).amount
                return int(living) + int(bot.already_pending(ids.unit(kind)))

            return train_gate(self.rules, self.helpers, name, supply_left=bot.supply_left, have=have)
        if spec.kind == "scout" and self._loop() - self._scouted_at < self._scout_cooldown:
            return "Scouting was done recently"
        return None

    # -- checks: the failure reason an action would give now, or None --------------------------------------
    def check(self, spec: ActionSpec, ignore_resources: bool = False) -> str | None:
        """Why ``spec`` would fail now (``ignore_resources``: as if minerals and gas were unlimited)."""
        reason = self.gate(spec)
        if reason:
            return reason
        kind = spec.kind
        if kind == "train":
            return self._check_train(spec.target, ignore_resources)
        if kind == "build":
            return self._check_build(spec.target, ignore_resources)
        if kind == "research":
            return self._check_research(spec.target, ignore_resources)
        if kind == "chrono":  # a busy target first, then the original's supply condition
            return self._chrono_pair(spec.target)[0] or chrono_gate(
                self.rules, self.helpers, spec.target, supply_left=self.bot.supply_left
            )
        if kind == "attack":
            return None if self._army() else "No army available"
        if kind == "retreat":
            home = self.bot.start_location
            away = [u for u in self._army() if u.distance_to(home) > DEFEND_RADIUS]
            return None if away else "No army in the field to retreat"
        if kind == "scout":
            if spec.target == "Probe":
                return None if self.bot.workers.amount > 1 else "No Probe available"
            return (
                None if self.bot.units(self.ids.unit(spec.target)).amount else f"No {spec.target} available"
            )
        return None

    def _check_train(self, name: str, ignore_resources: bool) -> str | None:
        u = self.data.units[name]
        missing = self._missing(u.requires)
        if missing:
            return f"No {missing} available"
        if u.producer == "Morph":
            if self.bot.units(self.ids.unit(u.morph_from)).idle.amount < u.morph_count:
                return f"Not enough {u.morph_from} to morph {name}"
            return None
        if u.warp and self._warpgate_done():
            if not self.bot.structures(self.ids.unit("WarpGate")).ready.amount and not self._idle(u.producer):
                return f"All {u.producer} are busy"
        else:
            producers = self.bot.structures(self.ids.unit(u.producer)).ready
            if not producers.amount:
                return f"No {u.producer} available"
            if not producers.idle.amount:
                return f"All {u.producer} are busy"
        if not ignore_resources and not self.bot.can_afford(self.ids.unit(name)):
            return f"Cannot afford {name}"
        if u.supply > 0 and self.bot.supply_left < u.supply:
            return "Not enough supply left"
        return None

    def _check_build(self, name: str, ignore_resources: bool) -> str | None:
        st = self.data.structures[name]
        missing = self._missing(st.requires)
        if missing:
            return f"No {missing} available"
        if not self.bot.workers.amount:
            return "No Probe available"
        if name == "Assimilator" and self._free_geyser() is None:
            return "No free geyser available"
        if not ignore_resources and not self.bot.can_afford(self.ids.unit(name)):
            return f"Cannot afford {name}"
        return None

    def _check_research(self, name: str, ignore_resources: bool) -> str | None:
        up = self.data.upgrades[name]
        progress = float(self.bot.already_pending_upgrade(self.ids.upgrade(name)))
        if progress >= 1.0:
            return f"{name} is already researched"
        if progress > 0.0:
            return f"{name} is already being researched"
        at = self.bot.structures(self.ids.unit(up.researched_at)).ready
        if not at.amount:
            return f"No {up.researched_at} available"
        missing = self._missing(up.requires)
        if missing:
            return f"No {missing} available"
        if not at.idle.amount:
            return f"All {up.researched_at} are busy"
        if not ignore_resources and not self.bot.can_afford(self.ids.upgrade(name)):
            return f"Cannot afford {name}"
        return None

    def _warpgate_done(self) -> bool:
        return float(self.bot.already_pending_upgrade(self.ids.upgrade("WarpGateResearch"))) >= 1.0

    def _idle(self, name: str) -> bool:
        return bool(self.bot.structures(self.ids.unit(name)).ready.idle.amount)

    def _free_geyser(self):
        bot = self.bot
        for nexus in bot.structures(self.ids.unit("Nexus")).ready:
            for geyser in bot.vespene_geyser.closer_than(10, nexus):
                if not bot.gas_buildings.closer_than(1, geyser).amount:
                    return geyser
        return None

    def _chrono_pair(self, target: str):
        """(failure reason, nexus, structure to boost) for Chrono Boost on a busy, unboosted ``target``."""
        ids = self.ids
        nexuses = list(self.bot.structures(ids.unit("Nexus")).ready)
        if not nexuses:
            return "No Nexus available", None, None
        kinds = (target, "WarpGate") if target == "Gateway" else (target,)
        candidates = [s for k in kinds for s in self.bot.structures(ids.unit(k)).ready]
        if not candidates:
            return f"No {target} available", None, None
        busy = [s for s in candidates if not s.is_idle and not s.has_buff(ids.BuffId.CHRONOBOOSTENERGYCOST)]
        if not busy:
            return f"No busy {target} to boost", None, None
        nexus = max(nexuses, key=lambda n: n.energy)
        if nexus.energy < self.data.economy["chrono_energy"]:
            return "Not enough Nexus energy", None, None
        return None, nexus, busy[0]

    # -- mask --------------------------------------------------------------------------------------------
    def mask(self) -> list[int]:
        """1 for every action that would succeed now given enough minerals and gas (as the embedded mask)."""
        return [int(self.check(spec, ignore_resources=True) is None) for spec in SPECS]

    # -- execution ----------------------------------------------------------------------------------------
    async def execute(self, action: int) -> str | None:
        """Issue action ``action``; returns the failure reason or ``None``."""
        spec = SPECS[action]
        if spec.kind == "empty":
            return None
        reason = self.check(spec)
        if reason:
            return reason
        bot, ids = self.bot, self.ids
        if spec.kind == "train":
            return await self._train(spec.target)
        if spec.kind == "build":
            return await self._build(spec.target)
        if spec.kind == "research":
            return None if bot.research(ids.upgrade(spec.target)) else f"Cannot research {spec.target}"
        if spec.kind == "chrono":
            _, nexus, structure = self._chrono_pair(spec.target)
            nexus(ids.AbilityId.EFFECT_CHRONOBOOSTENERGYCOST, structure)
            return None
        if spec.kind == "attack":
            self.attack(self._army())
            return None
        if spec.kind == "retreat":
            for u in self._army():
                u.move(bot.start_location)
            return None
        if spec.kind == "scout":
            unit = bot.workers.random if spec.target == "Probe" else bot.units(ids.unit(spec.target)).random
            unit.move(bot.enemy_start_locations[0])
            self._scouted_at = self._loop()
            return None
        return None

    def attack(self, units) -> None:
        target = self.bot.enemy_start_locations[0]
        for u in units:
            u.attack(target)

    async def _train(self, name: str) -> str | None:
        bot, ids = self.bot, self.ids
        u = self.data.units[name]
        if u.producer == "Morph":
            for ht in list(bot.units(ids.unit(u.morph_from)).idle)[: u.morph_count]:
                ht(ids.AbilityId.MORPH_ARCHON)
            return None
        if u.warp and self._warpgate_done():
            gates = bot.structures(ids.unit("WarpGate")).ready
            pylons = bot.structures(ids.unit("Pylon")).ready
            if gates.amount and pylons.amount:
                # A Warp Gate off cooldown offers its WARPGATETRAIN_* abilities; the original warps in at the
                # Pylon nearest the enemy (3 cells towards it, off the Pylon's own footprint).
                abilities = await bot.get_available_abilities(list(gates))
                ready = [
                    g for g, a in zip(gates, abilities) if any(x.name.startswith("WARPGATETRAIN") for x in a)
                ]
                if not ready:
                    return f"All {u.producer} are busy"
                enemy = bot.enemy_start_locations[0]
                pylon = pylons.closest_to(enemy)
                ready[0].warp_in(ids.unit(name), pylon.position.towards(enemy, 3))
                return None
        return None if bot.train(ids.unit(name)) else f"All {u.producer} are busy"

    async def _build(self, name: str) -> str | None:
        bot, ids = self.bot, self.ids
        if name == "Nexus":
            await bot.expand_now()
            return None
        if name == "Assimilator":
            ok = await bot.build(ids.unit(name), self._free_geyser())
        else:
            near = self._build_site(name)
            ok = await bot.build(ids.unit(name), near=near)
        return None if ok else f"Cannot place {name}"

    def _build_site(self, name: str):
        bot, ids = self.bot, self.ids
        if name == "Pylon":
            return bot.start_location
        return bot.structures(ids.unit("Pylon")).ready.random.position

    # -- the original's helpers, every step ---------------------------------------------------------------
    async def helpers_step(self, *, distribute: bool, defend: bool, auto_attack: bool) -> None:
        """``distribute_workers()``, ``defend()`` and the 12:00 timed attack of the original bot."""
        bot = self.bot
        if distribute:
            await bot.distribute_workers()
        army = self._army()
        if defend and bot.supply_army >= self.helpers["defend_min_army_supply"]:
            for nexus in bot.structures(self.ids.unit("Nexus")):
                near = bot.enemy_units.closer_than(DEFEND_RADIUS, nexus)
                if near.amount >= DEFEND_MIN_ENEMIES:
                    for u in army:
                        u.attack(near.closest_to(u))
                    return
        h = self.helpers
        late = bot.time >= h["attack_time_s"] and bot.supply_used >= h["attack_supply_used"]
        if auto_attack and late and bot.supply_army >= h["attack_min_army_supply"]:
            self.attack([u for u in army if u.is_idle])
