"""A fake ``sc2`` (burnysc2) package: the small subset of its API the real-game backend calls.

StarCraft II cannot run here, so the backend's tests install these modules in ``sys.modules`` (see
:func:`install`).  ``run_game`` steps the bot for ``World.steps`` steps (``client.game_step`` loops each) and
ends with ``World.result``; every command the bot issues (``train``, ``build``, ``research``, ``expand_now``,
abilities, ``warp_in``, ``attack``, ``move``, ``distribute_workers``, ``leave``) is recorded in ``World.calls``.
Costs come from the data file, so ``can_afford`` answers as the game would.
"""

from __future__ import annotations

import asyncio
import enum
import signal
import sys
import types
from dataclasses import dataclass, field

from tactica.envs.textsc2.data import load_data

DATA = load_data()
UnitTypeId = enum.Enum(
    "UnitTypeId", [n.upper() for n in (*DATA.units, *DATA.structures)] + ["LARVA", "EGG", "VESPENEGEYSER"]
)
UpgradeId = enum.Enum("UpgradeId", [n.upper() for n in DATA.upgrades])
AbilityId = enum.Enum("AbilityId", ["EFFECT_CHRONOBOOSTENERGYCOST", "MORPH_ARCHON", "WARPGATETRAIN_ZEALOT"])
BuffId = enum.Enum("BuffId", ["CHRONOBOOSTENERGYCOST"])
Race = enum.Enum("Race", ["Terran", "Zerg", "Protoss", "Random"])
Difficulty = enum.Enum(
    "Difficulty",
    ["VeryEasy", "Easy", "Medium", "MediumHard", "Hard", "Harder", "VeryHard", "CheatVision", "CheatMoney",
     "CheatInsane"],
)  # fmt: skip
AIBuild = enum.Enum("AIBuild", ["RandomBuild", "Rush", "Timing", "Power", "Macro", "Air"])
Result = enum.Enum("Result", ["Victory", "Defeat", "Tie", "Undecided"])


class Units(list):
    """burnysc2's ``Units``: a list with the selectors the backend uses."""

    @property
    def amount(self) -> int:
        return len(self)

    @property
    def ready(self) -> Units:
        return Units(u for u in self if u.is_ready)

    @property
    def idle(self) -> Units:
        return Units(u for u in self if u.is_idle)

    @property
    def random(self):
        return self[0]  # deterministic, so tests know which unit was chosen

    def closest_to(self, _position):
        return self[0]

    def closer_than(self, _distance, _position) -> Units:
        return Units(self)


@dataclass(frozen=True)
class Point:
    """burnysc2's ``Point2``, as far as the backend uses it."""

    x: float
    y: float

    def towards(self, other, distance: float) -> Point:
        return Point(self.x + distance, self.y + distance)  # direction does not matter to the tests


@dataclass
class Unit:
    """A unit or structure: its type, state, and the commands it received (recorded in the world)."""

    type_id: object
    world: World
    is_ready: bool = True
    is_idle: bool = True
    energy: float = 0.0
    buffs: set = field(default_factory=set)
    position: Point = Point(30.0, 30.0)
    cooldown: bool = False  # a Warp Gate on cooldown offers no WARPGATETRAIN ability
    far: bool = False  # away from home (MULTI-RETREAT needs one)

    def __call__(self, ability, target=None):
        self.world.calls.append(
            ("ability", ability.name, self.type_id.name, getattr(target, "type_id", None))
        )
        return True

    def has_buff(self, buff) -> bool:
        return buff in self.buffs

    def distance_to(self, _position) -> float:
        return 100.0 if self.far else 0.0

    def attack(self, target):
        self.world.calls.append(("attack", self.type_id.name))

    def move(self, target):
        self.world.calls.append(("move", self.type_id.name))

    def warp_in(self, unit, position):
        self.world.calls.append(("warp_in", unit.name, position))
        return True


@dataclass
class World:
    """The fake game's state and script."""

    minerals: int = 50
    vespene: int = 0
    supply_used: int = 12
    supply_cap: int = 15
    supply_army: int = 0
    steps: int = 5
    result: str = "Victory"
    structures: list = field(default_factory=list)
    units: list = field(default_factory=list)
    enemy_units: list = field(default_factory=list)
    enemy_structures: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)
    upgrades: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    run_kwargs: dict = field(default_factory=dict)
    game_loop: int = 0
    left: bool = False

    def add(self, name: str, n: int = 1, *, enemy: bool = False, **kw) -> None:
        structure = name in DATA.structures
        for _ in range(n):
            unit = Unit(UnitTypeId[name.upper()], self, **kw)
            if enemy:
                (self.enemy_structures if structure else self.enemy_units).append(unit)
            else:
                (self.structures if structure else self.units).append(unit)


WORLD = World()


class Client:
    def __init__(self, world: World):
        self.world = world
        self.game_step = 4

    async def leave(self):
        self.world.left = True
        self.world.calls.append(("leave",))


class BotAI:
    """The subset of ``sc2.bot_ai.BotAI`` the backend reads and calls."""

    def __init__(self):
        self.world = WORLD
        self.client = Client(self.world)
        self.state = types.SimpleNamespace(game_loop=0)
        self.start_location = Point(30.0, 30.0)
        self.enemy_start_locations = [Point(150.0, 150.0)]

    # -- state ---------------------------------------------------------------------------------------
    minerals = property(lambda self: self.world.minerals)
    vespene = property(lambda self: self.world.vespene)
    supply_used = property(lambda self: self.world.supply_used)
    supply_cap = property(lambda self: self.world.supply_cap)
    supply_left = property(lambda self: self.world.supply_cap - self.world.supply_used)
    supply_army = property(lambda self: self.world.supply_army)
    supply_workers = property(lambda self: self.workers.amount)
    time = property(lambda self: self.state.game_loop / 22.4)
    enemy_units = property(lambda self: Units(self.world.enemy_units))
    enemy_structures = property(lambda self: Units(self.world.enemy_structures))

    @property
    def workers(self) -> Units:
        return Units(u for u in self.world.units if u.type_id is UnitTypeId.PROBE)

    @property
    def units(self):
        world = self.world

        class _Selector(Units):
            def __call__(self, type_id):
                return Units(u for u in world.units if u.type_id is type_id)

        return _Selector(world.units)

    def structures(self, type_id) -> Units:
        return Units(u for u in self.world.structures if u.type_id is type_id)

    @property
    def vespene_geyser(self) -> Units:
        return Units([Unit(UnitTypeId.VESPENEGEYSER, self.world)])

    @property
    def gas_buildings(self) -> Units:
        return self.structures(UnitTypeId.ASSIMILATOR)

    def already_pending(self, type_id) -> float:
        return self.world.pending.get(type_id.name, 0)

    def already_pending_upgrade(self, upgrade) -> float:
        return self.world.upgrades.get(upgrade.name, 0.0)

    def can_afford(self, item) -> bool:
        name = next(n for n in (*DATA.units, *DATA.structures, *DATA.upgrades) if n.upper() == item.name)
        cost = DATA.units.get(name) or DATA.structures.get(name) or DATA.upgrades.get(name)
        return self.world.minerals >= cost.minerals and self.world.vespene >= cost.gas

    async def get_available_abilities(self, units):
        return [[] if u.cooldown else [AbilityId.WARPGATETRAIN_ZEALOT] for u in units]

    # -- commands ------------------------------------------------------------------------------------
    def train(self, type_id, amount: int = 1) -> int:
        self.world.calls.append(("train", type_id.name))
        return 1

    async def build(self, building, near=None, **_kw) -> bool:
        self.world.calls.append(("build", building.name))
        return True

    def research(self, upgrade) -> bool:
        self.world.calls.append(("research", upgrade.name))
        return True

    async def expand_now(self):
        self.world.calls.append(("expand_now",))

    async def distribute_workers(self):
        self.world.calls.append(("distribute_workers",))

    async def on_start(self):
        pass

    async def on_step(self, iteration: int):
        raise NotImplementedError

    async def on_end(self, result):
        pass


class Bot:
    def __init__(self, race, ai):
        self.race, self.ai = race, ai


class Computer:
    def __init__(self, race, difficulty, ai_build):
        self.race, self.difficulty, self.ai_build = race, difficulty, ai_build


async def _play(bot: BotAI, world: World):
    await bot.on_start()
    for iteration in range(world.steps):
        bot.state.game_loop = world.game_loop
        await bot.on_step(iteration)
        if world.left:
            return Result.Defeat
        world.game_loop += bot.client.game_step
    result = Result[world.result]
    await bot.on_end(result)
    return result


def run_game(map_settings, players, realtime, game_time_limit=None, random_seed=None, **_kw):
    WORLD.run_kwargs = dict(
        map=map_settings,
        players=players,
        realtime=realtime,
        game_time_limit=game_time_limit,
        random_seed=random_seed,
    )
    return asyncio.run(_play(players[0].ai, WORLD))


def install(monkeypatch, world: World) -> World:
    """Put the fake ``sc2`` package (playing ``world``) in ``sys.modules`` for one test."""
    global WORLD
    WORLD = world
    this = sys.modules[__name__]
    modules = {
        "sc2": types.ModuleType("sc2"),
        "sc2.maps": types.SimpleNamespace(get=lambda name: f"map:{name}"),
        "sc2.bot_ai": types.SimpleNamespace(BotAI=BotAI),
        "sc2.data": types.SimpleNamespace(AIBuild=AIBuild, Difficulty=Difficulty, Race=Race, Result=Result),
        "sc2.ids": types.ModuleType("sc2.ids"),
        "sc2.ids.ability_id": types.SimpleNamespace(AbilityId=AbilityId),
        "sc2.ids.buff_id": types.SimpleNamespace(BuffId=BuffId),
        "sc2.ids.unit_typeid": types.SimpleNamespace(UnitTypeId=UnitTypeId),
        "sc2.ids.upgrade_id": types.SimpleNamespace(UpgradeId=UpgradeId),
        "sc2.main": types.SimpleNamespace(run_game=run_game),
        "sc2.player": types.SimpleNamespace(Bot=Bot, Computer=Computer),
        # burnysc2's game launcher installs a SIGINT handler with the real ``signal`` module.
        "sc2.sc2process": types.SimpleNamespace(signal=signal),
    }
    modules["sc2"].maps = modules["sc2.maps"]
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    assert this.WORLD is world
    return world
