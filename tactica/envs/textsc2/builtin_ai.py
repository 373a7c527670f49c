"""A model of StarCraft II's built-in AI: three races, ten difficulty levels, six build styles.

The model is tactica's own (Blizzard does not publish the AI), built so that strength rises with the level in
the same ways the real levels differ:

* **Macro quality** (levels 1-7): how often the AI acts (``period_s``), how many workers and bases it takes,
  its army cap, static defence, the earliest attack, whether it retreats and researches upgrades, and how
  well its army fights (``combat_mult``, standing for micro and target choice).  VeryEasy is slow and small:
  one base, 16 workers, 24 army supply, no static defence, no wave before 7:00.
* **Aggression**: the army supply at which it attacks and the earliest attack time, shifted by the build style.
* **Cheats** (levels 8-10) are Elite and more: CheatVision sees the whole map (here a higher combat
  multiplier: it sees every unit it fights), CheatMoney harvests faster (``income_mult``; Blizzard publishes
  no multiplier), CheatInsane has both, stronger.

The numbers were set so that ``textsc2-expert``'s win rate falls with the level on development seeds
(``benchmarks/textsc2_calibration.py``; the report uses other seeds).

At every level it plays like the real AI in four ways the calibration depends on: it spends what it mines
(workers leave gas while gas piles up unspent), it saves for a new expansion when a base runs dry, it defends
(a wave in the field turns back when its base is attacked; with no army at home its workers fight), and it
keeps attacking until the game is over (one wave at a time, but a remnant left at the enemy base does not
hold back the next, and from ``WAVE_INTERVAL_S`` after a wave the next leaves at the first wave's size, so a
beaten opponent is finished off).

Build styles choose the tech path and army composition per race: ``rush`` (early cheap units, first attack
near 3:00), ``timing`` (one tech unit, attack near 6:00), ``power`` (upgrades and a strong mid-game army),
``macro`` (extra bases, late attack), ``air`` (air units) and ``random`` (one of those, drawn at reset).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tactica.envs.textsc2.engine import GAS_BUILDING, TOWNHALL, WORKER, Game, Player

__all__ = ["DIFFICULTIES", "BLIZZARD_NAMES", "BUILDS", "Level", "LEVELS", "BuiltinAI", "difficulty_index"]

DIFFICULTIES = (
    "VeryEasy", "Easy", "Medium", "MediumHard", "Hard", "Harder", "VeryHard", "CheatVision", "CheatMoney",
    "CheatInsane",
)  # fmt: skip
# The names the game's menu shows for the same levels (the paper's "Harder (Lv5)" is python-sc2's Hard).
BLIZZARD_NAMES = (
    "VeryEasy", "Easy", "Medium", "Hard", "Harder", "Very Hard", "Elite", "CheatVision", "CheatMoney",
    "CheatInsane",
)  # fmt: skip
BUILDS = ("rush", "timing", "power", "macro", "air", "random")
WAVE_INTERVAL_S = 150.0  # the longest the AI waits between attack waves once it has a first wave's army


@dataclass(frozen=True)
class Level:
    """The parameters of one difficulty level."""

    period_s: float  # seconds between decisions
    actions: int  # commands per decision
    workers_per_base: int
    max_workers: int
    max_bases: int
    expand_s: float  # game time of the first expansion; later ones follow every expand_s / 2
    attack_supply: float  # army supply that triggers an attack
    combat_mult: float
    upgrades: int  # weapon/armor levels it researches
    retreat: bool
    max_army: float  # army supply it stops at (the easy levels keep small armies)
    income_mult: float = 1.0
    vision: bool = False
    static: int = 4  # static defences it builds at home from 3:00 (two per town hall, at most this many)
    first_attack_s: float = 0.0  # no wave leaves before this game time, whatever the build


LEVELS: tuple[Level, ...] = (
    Level(6.0, 2, 12, 16, 1, 900, 12, 0.60, 0, False, 24, static=0, first_attack_s=420),
    Level(2.7, 4, 20, 44, 3, 310, 25, 0.68, 0, False, 105, static=0, first_attack_s=270),
    Level(2.6, 4, 20, 44, 3, 300, 26, 0.71, 0, False, 110, static=0, first_attack_s=240),
    Level(2.55, 4, 20, 46, 3, 295, 26, 0.71, 0, True, 115, static=2),
    Level(2.5, 5, 20, 46, 3, 290, 27, 0.72, 1, True, 120),
    Level(2.4, 5, 20, 46, 3, 285, 27, 0.76, 1, True, 130),
    Level(2.2, 5, 20, 48, 3, 280, 28, 0.78, 1, True, 140),
    Level(2.0, 5, 20, 48, 3, 280, 28, 0.84, 1, True, 140, vision=True),
    Level(2.0, 5, 20, 48, 3, 280, 28, 0.88, 1, True, 140, income_mult=1.06),
    Level(2.0, 5, 20, 48, 3, 280, 28, 0.95, 1, True, 140, income_mult=1.15, vision=True),
)

# Per race and style: tech structures in order, production structure and count per base, army composition.
_PLANS: dict[str, dict[str, dict]] = {
    "Zerg": {
        "rush": {
            "tech": ["SpawningPool"],
            "army": {"Zergling": 1.0},
            "first_attack_s": 150,
            "supply_scale": 0.5,
        },
        "timing": {
            "tech": ["SpawningPool", "RoachWarren"],
            "army": {"Roach": 0.8, "Zergling": 0.2},
            "first_attack_s": 330,
        },
        "power": {
            "tech": ["SpawningPool", "RoachWarren", "EvolutionChamber", "Lair", "HydraliskDen"],
            "army": {"Roach": 0.5, "Hydralisk": 0.4, "Zergling": 0.1},
            "first_attack_s": 420,
        },
        "macro": {
            "tech": [
                "SpawningPool",
                "RoachWarren",
                "EvolutionChamber",
                "Lair",
                "HydraliskDen",
                "InfestationPit",
                "Hive",
                "UltraliskCavern",
            ],
            "army": {"Roach": 0.3, "Hydralisk": 0.3, "Zergling": 0.2, "Ultralisk": 0.2},
            "first_attack_s": 540,
        },
        "air": {
            "tech": ["SpawningPool", "Lair", "EvolutionChamber", "Spire"],
            "army": {"Mutalisk": 0.6, "Corruptor": 0.2, "Zergling": 0.2},
            "first_attack_s": 480,
        },
    },
    "Terran": {
        "rush": {
            "tech": ["SupplyDepot", "Barracks"],
            "army": {"Marine": 1.0},
            "first_attack_s": 200,
            "supply_scale": 0.5,
        },
        "timing": {
            "tech": ["SupplyDepot", "Barracks", "Factory", "Starport"],
            "army": {"Marine": 0.6, "Marauder": 0.3, "Medivac": 0.1},
            "first_attack_s": 360,
        },
        "power": {
            "tech": ["SupplyDepot", "Barracks", "EngineeringBay", "Factory"],
            "army": {"Marine": 0.5, "Marauder": 0.2, "SiegeTank": 0.3},
            "first_attack_s": 420,
        },
        "macro": {
            "tech": ["SupplyDepot", "Barracks", "EngineeringBay", "Factory", "Armory", "Starport"],
            "army": {"Marine": 0.4, "Marauder": 0.2, "SiegeTank": 0.2, "Thor": 0.1, "Medivac": 0.1},
            "first_attack_s": 540,
        },
        "air": {
            "tech": ["SupplyDepot", "Barracks", "Factory", "Starport", "FusionCore"],
            "army": {"Marine": 0.3, "Banshee": 0.3, "VikingFighter": 0.2, "Battlecruiser": 0.2},
            "first_attack_s": 480,
        },
    },
    "Protoss": {
        "rush": {
            "tech": ["Pylon", "Gateway"],
            "army": {"Zealot": 1.0},
            "first_attack_s": 200,
            "supply_scale": 0.5,
        },
        "timing": {
            "tech": ["Pylon", "Gateway", "CyberneticsCore", "RoboticsFacility"],
            "army": {"Stalker": 0.7, "Immortal": 0.3},
            "first_attack_s": 360,
        },
        "power": {
            "tech": [
                "Pylon",
                "Gateway",
                "CyberneticsCore",
                "Forge",
                "RoboticsFacility",
                "TwilightCouncil",
                "RoboticsBay",
            ],
            "army": {"Stalker": 0.4, "Zealot": 0.2, "Immortal": 0.2, "Colossus": 0.2},
            "first_attack_s": 420,
        },
        "macro": {
            "tech": [
                "Pylon",
                "Gateway",
                "CyberneticsCore",
                "Forge",
                "TwilightCouncil",
                "RoboticsFacility",
                "TemplarArchive",
            ],
            "army": {"Zealot": 0.3, "Stalker": 0.3, "Archon": 0.2, "Immortal": 0.2},
            "first_attack_s": 540,
        },
        "air": {
            "tech": ["Pylon", "Gateway", "CyberneticsCore", "Stargate", "FleetBeacon"],
            "army": {"VoidRay": 0.5, "Phoenix": 0.2, "Carrier": 0.3},
            "first_attack_s": 480,
        },
    },
}
_SUPPLY = {"Protoss": ("build", "Pylon"), "Terran": ("build", "SupplyDepot"), "Zerg": ("train", "Overlord")}
_SUPPLY_UNITS = {"Overlord"}
_PRODUCTION = {"Protoss": "Gateway", "Terran": "Barracks", "Zerg": None}
_UPGRADE_LINES = {
    "Protoss": ["ProtossGroundWeaponsLevel", "ProtossGroundArmorsLevel"],
    "Terran": ["TerranInfantryWeaponsLevel", "TerranInfantryArmorsLevel"],
    "Zerg": ["ZergMissileWeaponsLevel", "ZergGroundArmorsLevel"],
}
_FORGE = {"Protoss": "Forge", "Terran": "EngineeringBay", "Zerg": "EvolutionChamber"}
# Static defence every level builds at home from 3:00 (two per town hall).
_STATIC = {
    "Protoss": ("Forge", "PhotonCannon"),
    "Terran": ("Barracks", "Bunker"),
    "Zerg": ("SpawningPool", "SpineCrawler"),
}


def difficulty_index(difficulty: int | str) -> int:
    """0-based level from 1-10, a python-sc2 name (``"Hard"``) or a Blizzard menu name (``"Harder"``)."""
    if isinstance(difficulty, (int, np.integer)) and not isinstance(difficulty, bool):
        if 1 <= int(difficulty) <= 10:
            return int(difficulty) - 1
        raise ValueError(f"difficulty must be 1-10, got {difficulty}")
    if isinstance(difficulty, str):
        key = difficulty.replace(" ", "").lower()
        for names in (DIFFICULTIES, BLIZZARD_NAMES):
            for i, name in enumerate(names):
                if name.replace(" ", "").lower() == key:
                    return i
    raise ValueError(f"difficulty must be 1-10 or one of {', '.join(DIFFICULTIES)}; got {difficulty!r}")


class BuiltinAI:
    """Plays one side of a :class:`Game` like the built-in AI at a level and build style.

    Args:
        game: the engine.
        player: the AI's player.
        difficulty: 1-10 or a level name.
        build: one of :data:`BUILDS`.
        rng: the generator for the random build and decision jitter (the env passes one derived from its seed).
    """

    def __init__(
        self, game: Game, player: Player, difficulty: int | str, build: str, rng: np.random.Generator
    ):
        if build not in BUILDS:
            raise ValueError(f"build must be one of {', '.join(BUILDS)}, got {build!r}")
        self.game = game
        self.player = player
        self.level_index = difficulty_index(difficulty)
        self.level = LEVELS[self.level_index]
        self.rng = rng
        self.build = str(rng.choice(BUILDS[:-1])) if build == "random" else build
        self.plan = _PLANS[player.race][self.build]
        player.income_mult = self.level.income_mult
        player.combat_mult = self.level.combat_mult
        player.vision_all = self.level.vision
        player.inject_eff = 0.5 + 0.5 * min(1.0, self.level_index / 6)
        player.auto_defend = True
        self.period = max(1, int(round(self.level.period_s * game.data.loops_per_second)))
        self.next_decision = int(rng.integers(0, self.period))
        self.waves = 0
        self.last_wave = 0  # game loop of the last wave

    # -- one decision ---------------------------------------------------------------------------------
    def update(self) -> None:
        """Act if a decision is due at the current game loop."""
        if self.game.loop < self.next_decision:
            return
        self.next_decision = self.game.loop + self.period
        issued = 0
        for command, repeat in self._wishes():
            if issued >= self.level.actions:
                break
            # A structure or research is ordered once per decision; a unit wish is tried again (several units
            # from several producers) and checks its own cap before every unit.
            while issued < self.level.actions and command() is None:
                issued += 1
                if not repeat:
                    break
        self._balance_gas()
        self._army_orders()

    def _balance_gas(self) -> None:
        """Move workers off gas while gas piles up unspent, and back once it runs low.

        The real AI spends what it mines; without this a mineral-starved AI banks thousands of gas.  The
        engine's worker distribution either fills every geyser first or mines minerals only, so the switch has
        hysteresis (off above 2x the mineral bank and 400 gas, on again below 150 gas).
        """
        p = self.player
        if p.auto_distribute and p.gas > max(400.0, 2.0 * p.minerals):
            p.auto_distribute = False
        elif not p.auto_distribute and p.gas < 150.0:
            p.auto_distribute = True
        else:
            return
        p._rates = None  # the engine caches per-base income rates for the current distribution

    def _wishes(self) -> list[tuple[Callable[[], str | None], bool]]:
        """This decision's commands in priority order, each with whether it may repeat within the decision."""
        g, p, lv = self.game, self.player, self.level
        race = p.race
        townhall = TOWNHALL[race]
        bases = self._bases()
        if bases < lv.max_bases and self._mined_out():
            # Income is running dry: the AI saves for a new expansion before anything else.
            reason = g.build(p, townhall, dry=True)
            if reason is None or reason.startswith("Cannot afford"):
                return [(lambda: g.build(p, townhall), False)]
        kind, name = _SUPPLY[race]
        wishes: list[tuple[Callable[[], str | None], bool]] = []
        supply = (lambda: g.build(p, name)) if kind == "build" else (lambda: g.train(p, name))
        wishes.append((lambda: supply() if self._need_supply() else "supply is enough", True))
        worker = (lambda: g.train(p, WORKER[race]) if self._workers_wanted() else "enough workers", True)
        army = [(lambda u=unit: self._train_army(u), True) for unit in self._army_choices()]
        # Army before workers once the army falls behind the economy (a third of worker supply after 4:00).
        workers = p.workers + p.pending_units().get(WORKER[race], 0)
        army_first = g.seconds > 240 and p.army_supply() < workers / 3
        if army_first:
            wishes += army
        if not (self.build == "rush" and g.seconds < 180 and workers >= 13):
            wishes.append(worker)
        if bases < lv.max_bases and g.seconds >= self._next_expand(bases) and p.minerals >= 250:
            wishes.append(
                (lambda: g.build(p, townhall) if self._bases() < lv.max_bases else "enough bases", False)
            )
        for tech in self.plan["tech"]:
            if self._have(tech) == 0:
                wishes.append((lambda t=tech: g.build(p, t), False))
                break
        # Gas comes late enough not to starve the mineral line, and stops when gas piles up.
        t = g.seconds
        gas_wanted = 0 if t < 100 else 1 if t < 210 else min(2 * bases, 1 + int((t - 210) // 50))
        if self.build == "rush":
            gas_wanted = 0 if t < 300 else min(gas_wanted, 1)
        if p.gas > 600:
            gas_wanted = 0
        if self._gas_count() < gas_wanted:
            wishes.append((lambda: g.build(p, GAS_BUILDING[race]), False))
        if race == "Zerg" and p.home.get("Queen", 0) + p.pending_units().get("Queen", 0) < bases:
            wishes.append((lambda: g.train(p, "Queen"), False))
        needs, static = _STATIC[race]
        if lv.static and g.seconds > 180 and self._have(static) < min(lv.static, 2 * bases):
            if self._have(needs) == 0:
                wishes.append((lambda: g.build(p, needs), False))
            wishes.append((lambda: g.build(p, static), False))
        prod = _PRODUCTION[race]
        if prod is not None and self._have(prod) < self._production_target(bases):
            wishes.append((lambda: g.build(p, prod), False))
        for extra in self._extra_producers():
            if self._have(extra) < max(1, bases - 1):
                wishes.append((lambda e=extra: g.build(p, e), False))
        if lv.upgrades:
            forge = _FORGE[race]
            if self._have(forge) == 0 and g.seconds > 300:
                wishes.append((lambda: g.build(p, forge), False))
            for line in _UPGRADE_LINES[race]:
                for level in range(1, lv.upgrades + 1):
                    up = f"{line}{level}"
                    if up in g.data.upgrades and up not in p.upgrades:
                        wishes.append((lambda u=up: g.research(p, u), False))
                        break
        if not army_first:
            wishes += army
        return wishes

    # -- the caps the AI keeps ------------------------------------------------------------------------------
    def _bases(self) -> int:
        """Town halls (built or in construction) on bases that still have minerals: at most ``max_bases``."""
        p, data = self.player, self.game.data
        return sum(
            1
            for s in p.structures
            if data.structures[s.kind].townhall and (s.base < 0 or p.bases[s.base].minerals > 1000)
        )

    def _have(self, kind: str) -> int:
        """Structures of ``kind`` built, in construction or being morphed into (a Lair counts from its start)."""
        p = self.player
        return p.count(kind, done=False) + sum(1 for s in p.structures if s.morph_to == kind)

    def _workers_wanted(self) -> bool:
        p, lv = self.player, self.level
        target = min(lv.max_workers, lv.workers_per_base * self._bases() + 6 * self._gas_count())
        return p.workers + p.pending_units().get(WORKER[p.race], 0) < target

    def _need_supply(self) -> bool:
        p = self.player
        producers = max(
            1,
            sum(
                1
                for s in p.structures
                if s.kind in ("Gateway", "WarpGate", "Barracks", "Factory", "Starport", "RoboticsFacility")
            ),
        )
        supply_left = p.supply_cap() - p.supply_used
        short = supply_left + 8 * self._pending_supply() < 2 + 2 * (producers + self._bases())
        return short and p.supply_cap() < 200

    def _army_supply_planned(self) -> float:
        """Army supply alive and in production (Queens included, supply providers not)."""
        p, data = self.player, self.game.data
        pending = sum(
            data.units[k].supply / data.units[k].count * n
            for k, n in p.pending_units().items()
            if not data.units[k].worker and k not in _SUPPLY_UNITS
        )
        return p.army_supply() + pending

    def _train_army(self, unit: str) -> str | None:
        """Train one ``unit`` unless that would take the army past the level's army cap."""
        u = self.game.data.units[unit]
        if self._army_supply_planned() + u.supply > self.level.max_army:
            return "army cap reached"
        return self.game.train(self.player, unit)

    def _mined_out(self) -> bool:
        """Whether a finished town hall stands on a base with (nearly) no minerals left."""
        p = self.player
        townhalls = (s for s in p.structures if s.done and self.game.data.structures[s.kind].townhall)
        return any(0 <= s.base < len(p.bases) and p.bases[s.base].minerals <= 1000 for s in townhalls)

    def _pending_supply(self) -> int:
        p = self.player
        if p.race == "Zerg":
            return p.pending_units().get("Overlord", 0)
        name = _SUPPLY[p.race][1]
        return sum(1 for s in p.structures if s.kind == name and not s.done)

    def _gas_count(self) -> int:
        return self.player.count(GAS_BUILDING[self.player.race], done=False)

    def _next_expand(self, bases: int) -> float:
        first = self.level.expand_s * (1.5 if self.build == "rush" else 0.8 if self.build == "macro" else 1.0)
        if self.player.race == "Zerg":
            first *= 0.6  # Zerg expands early: a hatchery is also its larva (production)
        return first + (bases - 1) * first / 2

    def _production_target(self, bases: int) -> int:
        per_base = 3 if self.build == "rush" else 2
        return min(per_base * bases, 1 + self.level_index) if self.level_index < 3 else per_base * bases

    def _extra_producers(self) -> list[str]:
        p = self.player
        data = self.game.data
        out = []
        for unit in self.plan["army"]:
            producer = data.units[unit].producer
            if producer not in ("Larva", "Morph", _PRODUCTION[p.race]) and producer not in out:
                out.append(producer)
        return out

    def _army_choices(self) -> list[str]:
        """Army units ordered by how far below its share of the composition each one is."""
        p = self.player
        counts = p.unit_counts()
        data = self.game.data
        army = self.plan["army"]
        total = sum(counts.get(u, 0) * data.units[u].supply / data.units[u].count for u in army) + 1e-9
        deficit = sorted(
            army,
            key=lambda u: counts.get(u, 0) * data.units[u].supply / data.units[u].count / total - army[u],
        )
        if p.race == "Protoss" and "Archon" in army:
            deficit = [
                "HighTemplar" if u == "Archon" and p.home.get("HighTemplar", 0) < 2 else u for u in deficit
            ]
        return deficit

    # -- army -------------------------------------------------------------------------------------------
    def _supply(self, units: dict[str, int]) -> float:
        """Supply of the units that go on attacks (combat units; Queens stay home)."""
        data = self.game.data.units
        return sum(
            data[k].supply / data[k].count * v
            for k, v in units.items()
            if data[k].combat and not data[k].queen
        )

    def _army_orders(self) -> None:
        g, p, lv = self.game, self.player, self.level
        enemy = g.players[1 - p.index]
        away = [grp for grp in p.groups if not grp.scout and grp.target == "enemy"]
        if g.battles and p.index in g.battles:
            for grp in away:
                grp.target = "home"
            return
        home_supply = self._supply(p.home)
        if away and lv.retreat:
            for grp in away:
                if grp.pos >= g.distance:
                    mine = sum(g.data.units[k].value * v for k, v in grp.units.items())
                    theirs = enemy.army_value("home")
                    if mine < 0.6 * theirs:
                        grp.target = "home"
        scale = self.plan.get("supply_scale", 1.0)
        base = lv.attack_supply * scale
        # One wave at a time, but a remnant (under half a first wave) left at the enemy base does not hold back
        # the next: it only ties up what it is still shooting at.
        if any(grp.pos < g.distance or self._supply(grp.units) >= base / 2 for grp in away):
            return
        first = max(self.plan["first_attack_s"], lv.first_attack_s)
        if g.seconds < first:
            return
        # Waves grow (x1.25 per wave, at most x3) but never past what the level's army cap lets it gather, and a
        # wave of at least the first wave's size leaves once WAVE_INTERVAL_S has passed since the last one: the
        # AI keeps attacking until the game ends instead of idling below a threshold it cannot reach.
        threshold = min(base * (1.0 + 0.25 * min(self.waves, 8)), 0.6 * lv.max_army)
        if g.loop - self.last_wave >= WAVE_INTERVAL_S * g.data.loops_per_second:
            threshold = min(threshold, base)
        ready = home_supply >= threshold or (p.supply_used >= 150 and home_supply > 40)
        if not ready:
            return
        if g.attack(p) is None:
            self.waves += 1
            self.last_wave = g.loop
