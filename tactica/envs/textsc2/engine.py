"""The embedded StarCraft II macro simulator: pure rules on integer game loops, no Gymnasium.

Two :class:`Player` objects share one :class:`Game`.  Time advances in whole game loops (22.4 per Faster game
second).  Each player has bases (minerals and geysers that deplete), workers distributed over them, structures
with one production or research job each, Nexus energy and Chrono Boost, Warp Gates, Zerg larva and queens,
and armies that stay home, attack the opposing base, or retreat.  Battles are resolved by
:mod:`tactica.envs.textsc2.combat` with the game's seeded generator.

Commands (:meth:`Game.train`, :meth:`Game.build`, :meth:`Game.research`, :meth:`Game.chrono`,
:meth:`Game.attack`, :meth:`Game.retreat`, :meth:`Game.scout`) return ``None`` on success and a failure reason
otherwise; the reasons follow the wording of the original TextStarCraft II bot ("Cannot afford Pylon",
"No Gateway available", "Not enough supply left", "All Nexus are busy").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from tactica.envs.textsc2 import combat
from tactica.envs.textsc2.data import GameData, load_data

__all__ = [
    "RACES",
    "TOWNHALL",
    "WORKER",
    "GAS_BUILDING",
    "Job",
    "Structure",
    "Base",
    "Group",
    "Player",
    "Game",
]

RACES = ("Protoss", "Zerg", "Terran")
TOWNHALL = {"Protoss": "Nexus", "Zerg": "Hatchery", "Terran": "CommandCenter"}
WORKER = {"Protoss": "Probe", "Zerg": "Drone", "Terran": "SCV"}
GAS_BUILDING = {"Protoss": "Assimilator", "Zerg": "Extractor", "Terran": "Refinery"}
# A morphed structure still satisfies requirements on what it was morphed from (a Hive is also a Lair).
SATISFIES: dict[str, tuple[str, ...]] = {
    "Lair": ("Hatchery",),
    "Hive": ("Lair", "Hatchery"),
    "WarpGate": ("Gateway",),
}
QUEUE_LENGTH = 5  # a production structure queues at most five units, the one in production included
# Progress units per loop: 2 normally, 3 under Chrono Boost (+50%), so chrono stays in integer arithmetic.
_NORMAL, _BOOSTED = 2, 3
SCOUT_LINGER_LOOPS = 224  # a scout that is not killed watches the enemy base for 10 game seconds


@dataclass
class Job:
    """A unit or research in progress in a structure; ``progress`` counts half-loops (see ``_NORMAL``)."""

    name: str
    kind: str  # "unit" or "upgrade"
    progress: int
    total: int


@dataclass
class Structure:
    """One structure; ``remaining`` loops of construction (0 when complete)."""

    kind: str
    uid: int
    remaining: int
    base: int = -1
    job: Job | None = None
    queue: list[Job] = field(default_factory=list)  # units waiting behind ``job`` (see QUEUE_LENGTH)
    chrono_until: int = 0
    energy: int = 0  # 1/256 energy units (Nexus energy regenerates 9/256 per loop)
    damage: float = 0.0
    warp_ready: int = 0
    larva: int = 0
    larva_timer: int = 0
    morph_to: str | None = None
    morph_left: int = 0

    @property
    def done(self) -> bool:
        return self.remaining <= 0

    @property
    def idle(self) -> bool:
        return self.remaining <= 0 and self.job is None and self.morph_to is None


@dataclass
class Base:
    """A resource location: minerals left and gas left in each of its geysers."""

    minerals: float
    gas: list[float]
    alive: bool = True


@dataclass
class Group:
    """Units on the map outside their home base; ``pos`` is the distance walked towards the enemy base."""

    units: dict[str, int]
    target: str = "enemy"  # "enemy", "home", or "hold" (walk to ``hold_at`` and stay there)
    pos: float = 0.0
    hold_at: float = 0.0
    scout: bool = False
    linger: int = 0
    wounds: dict[str, float] = field(default_factory=dict)


class Player:
    """Everything one side owns."""

    def __init__(self, game: Game, index: int, race: str):
        if race not in RACES:
            raise ValueError(f"race must be one of {', '.join(RACES)}, got {race!r}")
        self.game = game
        self.index = index
        self.race = race
        data = game.data
        eco = data.economy
        self.minerals = float(eco["start_minerals"])
        self.gas = float(eco["start_gas"])
        self.workers = int(eco["start_workers"])
        self.bases: list[Base] = []
        self.structures: list[Structure] = []
        self.home: dict[str, int] = {}
        self.home_wounds: dict[str, float] = {}
        self.groups: list[Group] = []
        self.arrivals: list[list] = []  # [finish_loop, unit_name, count]: warp-ins, larva eggs, morphs
        self.upgrades: set[str] = set()
        self.levels: Counter[str] = Counter()
        self.dps_mult: dict[str, float] = {}
        self.speed_mult: dict[str, float] = {}
        self.splash: dict[str, float] = {}
        self.hp_bonus: dict[str, float] = {}
        self.income_mult = 1.0
        self.inject_eff = 1.0
        self.battery_pool: float | None = None  # Shield Battery energy left in the current battle
        self.combat_mult = 1.0
        self.vision_all = False
        self.auto_distribute = True
        self.auto_defend = True
        self.supply_used = float(self.workers)
        self.value_lost = 0.0
        self.value_killed = 0.0
        self.collected = [0.0, 0.0]
        self.scouted_at = -(10**9)
        self._uid = 0
        self._rates: tuple[list[float], list[list[float]]] | None = None
        self._cap: int | None = None
        self._kinds: tuple | None = None
        self._add_base()
        self._add_structure(TOWNHALL[race], remaining=0, base=0)
        if race == "Zerg":
            self.structures[0].larva = 3
            self.home["Overlord"] = 1

    # -- bookkeeping -------------------------------------------------------------------------------------
    def _add_base(self) -> int:
        eco = self.game.data.economy
        self.bases.append(Base(float(eco["minerals_per_base"]), []))
        self._rates = None
        return len(self.bases) - 1

    def _add_structure(self, kind: str, remaining: int, base: int = -1) -> Structure:
        self._uid += 1
        s = Structure(kind=kind, uid=self._uid, remaining=remaining, base=base)
        if kind == "Nexus":
            s.energy = self.game.data.economy["nexus_energy_start"] * 256
        self.structures.append(s)
        self.structures_changed()
        return s

    def structures_changed(self) -> None:
        """Forget cached structure counts and supply cap (a structure was added, completed, morphed or lost)."""
        self._cap = None
        self._kinds = None

    def _index(
        self,
    ) -> tuple[Counter[str], Counter[str], dict[str, list[Structure]], Counter[str], Counter[str]]:
        """(complete, all) counts and lists by kind with morph successors, then complete and unfinished counts
        by exact kind; rebuilt only after :meth:`structures_changed`."""
        if self._kinds is None:
            done_c: Counter[str] = Counter()
            all_c: Counter[str] = Counter()
            by_kind: dict[str, list[Structure]] = {}
            exact_done: Counter[str] = Counter()
            exact_pending: Counter[str] = Counter()
            for s in self.structures:
                (exact_done if s.done else exact_pending)[s.kind] += 1
                for k in (s.kind, *SATISFIES.get(s.kind, ())):
                    if k:
                        all_c[k] += 1
                        by_kind.setdefault(k, []).append(s)
                        if s.done:
                            done_c[k] += 1
            self._kinds = (done_c, all_c, by_kind, exact_done, exact_pending)
        return self._kinds

    def count(self, kind: str, *, done: bool = True) -> int:
        """Completed (or, with ``done=False``, all) structures of a kind; morph successors count too."""
        return self._index()[0 if done else 1].get(kind, 0)

    def of_kind(self, kind: str) -> list[Structure]:
        """Structures of a kind (complete or not), morph successors included; do not mutate the list."""
        return self._index()[2].get(kind, [])

    def done_structures(self) -> Counter[str]:
        """Completed structures by exact kind (a Warp Gate is not a Gateway here); do not mutate it.

        The same object is returned until the structures change, so callers may key caches on its identity.
        """
        return self._index()[3]

    def unfinished_structures(self) -> Counter[str]:
        """Structures under construction by exact kind, like :meth:`done_structures` (do not mutate it)."""
        return self._index()[4]

    def pending_structures(self) -> Counter[str]:
        """Structures under construction by exact kind (a fresh Counter)."""
        return Counter(self.unfinished_structures())

    def pending_units(self) -> Counter[str]:
        c: Counter[str] = Counter()
        for s in self.structures:
            if s.job is not None and s.job.kind == "unit":
                c[s.job.name] += 1
                for queued in s.queue:
                    c[queued.name] += 1
        for _, name, n in self.arrivals:
            c[name] += n
        return c

    def unit_counts(self) -> Counter[str]:
        """Every living unit (home, field and scouts), workers included."""
        c: Counter[str] = Counter({k: v for k, v in self.home.items() if v})
        for g in self.groups:
            for k, v in g.units.items():
                if v:
                    c[k] += v
        c[WORKER[self.race]] += self.workers
        return c

    def supply_cap(self) -> int:
        if self._cap is None:
            data = self.game.data
            cap = sum(data.structures[s.kind].supply_provided for s in self.structures if s.done)
            for name, n in self.unit_counts().items():
                cap += data.units[name].supply_provided * n
            self._cap = min(int(cap), int(data.economy["supply_cap"]))
        return self._cap

    def army_supply(self, units: Counter[str] | None = None) -> float:
        """Supply of every non-worker unit; ``units`` is :meth:`unit_counts` when the caller has it already."""
        data = self.game.data
        total = 0.0
        for name, n in (self.unit_counts() if units is None else units).items():
            u = data.units[name]
            if not u.worker:
                total += u.supply / u.count * n
        return total

    def army_value(self, where: str = "all") -> float:
        data = self.game.data
        units = self.home if where == "home" else self.unit_counts()
        return sum(data.units[k].value * v for k, v in units.items() if data.units[k].combat)

    def has_requirement(self, name: str) -> bool:
        if name in self.game.data.upgrades:
            return name in self.upgrades
        return self.count(name) > 0

    def researching(self) -> set[str]:
        return {s.job.name for s in self.structures if s.job is not None and s.job.kind == "upgrade"}

    def detector_at_home(self) -> bool:
        data = self.game.data
        if any(data.structures[kind].detector for kind in self.done_structures()):  # completed kinds
            return True
        return any(v and data.units[k].detector for k, v in self.home.items())

    # -- economy ---------------------------------------------------------------------------------------
    def income_rates(self) -> tuple[list[float], list[list[float]]]:
        """Per-loop mineral rate of each base and gas rate of each of its geysers, for the current workers."""
        if self._rates is None:
            data = self.game.data
            alive = [i for i, b in enumerate(self.bases) if b.alive and self._base_ready(i)]
            geysers = [(i, j) for i in alive for j, g in enumerate(self.bases[i].gas) if g > 0]
            workers = self.workers
            gas_workers = [[0] * len(b.gas) for b in self.bases]
            if self.auto_distribute:
                for i, j in geysers:
                    take = min(3, workers)
                    gas_workers[i][j] = take
                    workers -= take
            mineral_workers = [0] * len(self.bases)
            live = [i for i in alive if self.bases[i].minerals > 0]
            if live:
                # Fill every base to 16 (two per patch) before any base takes a third worker per patch.
                for cap in (16, 24):
                    for i in live:
                        take = max(0, min(cap - mineral_workers[i], workers))
                        mineral_workers[i] += take
                        workers -= take
            mult = self.income_mult
            minerals = [data.mineral_rate_per_loop(n) * mult for n in mineral_workers]
            gas = [[data.gas_rate_per_loop(n) * mult for n in row] for row in gas_workers]
            self._rates = (minerals, gas)
        return self._rates

    def _base_ready(self, index: int) -> bool:
        for s in self.structures:
            if s.base == index and s.done and self.game.data.structures[s.kind].townhall:
                return True
        return False

    def mine(self, loops: int) -> None:
        minerals, gas = self.income_rates()
        for i, base in enumerate(self.bases):
            rate = minerals[i]
            if rate > 0.0:
                got = min(rate * loops, base.minerals)
                base.minerals -= got
                self.minerals += got
                self.collected[0] += got
                if base.minerals <= 0:
                    self._rates = None
            for j, grate in enumerate(gas[i]):
                if grate > 0.0:
                    got = min(grate * loops, base.gas[j])
                    base.gas[j] -= got
                    self.gas += got
                    self.collected[1] += got
                    if base.gas[j] <= 0:
                        self._rates = None

    def afford(self, minerals: int, gas: int) -> bool:
        return self.minerals >= minerals and self.gas >= gas

    def pay(self, minerals: int, gas: int) -> None:
        self.minerals -= minerals
        self.gas -= gas

    def apply_upgrade(self, name: str) -> None:
        up = self.game.data.upgrades[name]
        self.upgrades.add(name)
        effect = up.effect
        if "line" in effect:
            self.levels[effect["line"]] += 1
        unit = effect.get("unit")
        if unit:
            self.dps_mult[unit] = self.dps_mult.get(unit, 1.0) * float(effect.get("dps", 1.0))
            self.speed_mult[unit] = self.speed_mult.get(unit, 1.0) * float(effect.get("speed", 1.0))
            if "splash" in effect:
                self.splash[unit] = float(effect["splash"])
            if "hp" in effect:
                self.hp_bonus[unit] = self.hp_bonus.get(unit, 0.0) + float(effect["hp"])


class Game:
    """A two-player game on one map.

    Args:
        races: the two races; player 0 is the agent's side.
        map_name: a map of the data file (its rush distance sets travel times).
        rng: the seeded generator that drives combat.
        data: game data (default: the pinned patch).
    """

    def __init__(
        self,
        races: tuple[str, str] = ("Protoss", "Zerg"),
        map_name: str = "Ancient Cistern LE",
        rng: np.random.Generator | None = None,
        data: GameData | None = None,
    ):
        self.data = data or load_data()
        if map_name not in self.data.maps:
            raise ValueError(f"unknown map {map_name!r}; available: {', '.join(self.data.maps)}")
        self.map_name = map_name
        self.distance = float(self.data.maps[map_name]["rush_distance"])
        self.rng = rng if rng is not None else np.random.default_rng()
        self.loop = 0
        self.players = [Player(self, 0, races[0]), Player(self, 1, races[1])]
        self.winner: int | None = None
        self.battles: set[int] = set()  # indices of players whose base is being fought over this step
        # combat.per_attack_damage results by (weapon, weapon level, target type, armor level) object ids; the
        # data objects live as long as the game, so the ids stay unique.
        self.damage_cache: dict[tuple[int, int, int, int], float] = {}

    # -- time ---------------------------------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        return self.loop / self.data.loops_per_second

    def game_time(self) -> str:
        """``MM:SS`` like the original observation's ``game_time``."""
        total = int(self.seconds)
        return f"{total // 60:02d}:{total % 60:02d}"

    def advance(self, loops: int) -> None:
        """Run ``loops`` game loops: income, energy, construction, production, movement, combat."""
        if loops <= 0:
            raise ValueError(f"loops must be a positive integer, got {loops}")
        for p in self.players:
            p.mine(loops)
            self._produce(p, loops)
        self.loop += loops
        self._move_and_fight(loops)
        self._check_end()

    def _produce(self, p: Player, loops: int) -> None:
        data = self.data
        eco = data.economy
        now = self.loop
        end = now + loops
        emax = eco["nexus_energy_max"] * 256
        for s in list(p.structures):
            if s.remaining > 0:
                s.remaining -= loops
                if s.remaining <= 0:
                    self._complete_structure(p, s)
                continue
            if s.kind == "Nexus" and s.energy < emax:
                s.energy = min(emax, s.energy + eco["energy_per_loop_256ths"] * loops)
            if s.morph_to is not None:
                # A morphing town hall keeps mining and spawning larva; it only cannot train.
                s.morph_left -= loops
                if s.morph_left <= 0:
                    s.kind, s.morph_to = s.morph_to, None
                    p.structures_changed()
            if p.race == "Zerg" and data.structures[s.kind].townhall:
                self._grow_larva(p, s, loops)
            job = s.job
            if job is not None:
                boosted = max(0, min(loops, s.chrono_until - now))
                job.progress += _BOOSTED * boosted + _NORMAL * (loops - boosted)
                if job.progress >= job.total:
                    s.job = s.queue.pop(0) if s.queue else None
                    if job.kind == "unit":
                        self._spawn(p, job.name, data.units[job.name].count)
                    else:
                        p.apply_upgrade(job.name)
                        if job.name == "WarpGateResearch":
                            self._morph_gateways(p)
        if p.arrivals:
            keep = []
            for item in p.arrivals:
                if item[0] <= end:
                    self._spawn(p, item[1], item[2])
                else:
                    keep.append(item)
            p.arrivals = keep
        if "WarpGateResearch" in p.upgrades:
            self._morph_gateways(p)

    def _grow_larva(self, p: Player, s: Structure, loops: int) -> None:
        eco = self.data.economy
        if s.larva < eco["larva_max"]:
            s.larva_timer += loops
            while s.larva_timer >= eco["larva_interval_loops"] and s.larva < eco["larva_max"]:
                s.larva_timer -= eco["larva_interval_loops"]
                s.larva += 1
        else:
            s.larva_timer = 0
        queens = p.home.get("Queen", 0)
        if not queens:
            return
        # Completed town halls (Hatchery, Lair...) from the cached structure index.
        halls = sum(n for kind, n in p.done_structures().items() if self.data.structures[kind].townhall)
        if halls:
            # Each queen injects one hatchery: +3 larva per inject cycle, at the player's inject efficiency.
            share = min(queens, halls) / halls
            expected = eco["inject_larva"] * share * loops / eco["inject_loops"] * p.inject_eff
            s.energy += int(round(expected * 256))
            while s.energy >= 256:
                s.energy -= 256
                s.larva += 1

    def _morph_gateways(self, p: Player) -> None:
        # of_kind("Gateway") lists Gateways and Warp Gates in structure order (the list is not changed below).
        for s in p.of_kind("Gateway"):
            if s.kind == "Gateway" and s.remaining <= 0 and s.job is None and s.morph_to is None:
                s.kind = "WarpGate"
                p.structures_changed()
                s.warp_ready = self.loop + self.data.economy["warpgate_morph_loops"]

    def _complete_structure(self, p: Player, s: Structure) -> None:
        st = self.data.structures[s.kind]
        s.remaining = 0
        p.structures_changed()
        if st.townhall:
            p._rates = None
        if st.gas_building:
            base = p.bases[s.base]
            base.gas.append(float(self.data.economy["gas_per_geyser"]))
            p._rates = None

    def _spawn(self, p: Player, name: str, n: int) -> None:
        if self.data.units[name].worker:
            p.workers += n
            p._rates = None
        else:
            p.home[name] = p.home.get(name, 0) + n
        if self.data.units[name].supply_provided:
            p._cap = None

    # -- commands -----------------------------------------------------------------------------------------
    def _missing_requirement(self, p: Player, requires: tuple[str, ...]) -> str | None:
        for req in requires:
            if not p.has_requirement(req):
                return req
        return None

    def _morph_extra_cost(self, u) -> tuple[int, int]:
        """What a morph costs on top of its sources (unit costs in the data are cumulative, as in sc2-techtree)."""
        src = self.data.units[u.morph_from]
        per_m, per_g = src.minerals / src.count, src.gas / src.count
        return max(0, int(round(u.minerals - per_m * u.morph_count))), max(
            0, int(round(u.gas - per_g * u.morph_count))
        )

    def train(self, p: Player, name: str, dry: bool = False, queue: bool = False) -> str | None:
        """Start one unit (a pair for Zerglings); returns a failure reason or ``None`` (``dry``: check only).

        With ``queue``, a unit whose producers are all busy is queued behind the job of the first complete
        producer (at most :data:`QUEUE_LENGTH` units per structure); resources and supply are taken at once.
        """
        data = self.data
        u = data.units.get(name)
        if u is None or u.race != p.race:
            return f"{name} is not a {p.race} unit"
        missing = self._missing_requirement(p, u.requires)
        if missing:
            return f"No {missing} available"
        if u.producer == "Morph":
            have = p.home.get(u.morph_from, 0)
            if have < u.morph_count:
                return f"Not enough {u.morph_from} to morph {name}"
            extra_m, extra_g = self._morph_extra_cost(u)
            if not p.afford(extra_m, extra_g):
                return f"Cannot afford {name}"
            if dry:
                return None
            p.pay(extra_m, extra_g)
            p.home[u.morph_from] -= u.morph_count
            p.supply_used += (
                u.supply - data.units[u.morph_from].supply / data.units[u.morph_from].count * u.morph_count
            )
            p.arrivals.append([self.loop + u.build_loops, name, 1])
            return None
        supply = u.supply
        if u.producer == "Larva":
            hatch = next((s for s in p.structures if s.done and s.larva > 0), None)
            if hatch is None:
                return "No Larva available"
        else:
            producers = [s for s in p.of_kind(u.producer) if s.done]
            if not producers:
                return f"No {u.producer} available"
            warp = u.warp and "WarpGateResearch" in p.upgrades
            if warp:
                gates = [s for s in producers if s.kind == "WarpGate" and s.warp_ready <= self.loop]
                idle = (
                    gates[0]
                    if gates
                    else next((s for s in producers if s.kind == "Gateway" and s.idle), None)
                )
            else:
                idle = next((s for s in producers if s.idle), None)
            if idle is None and queue and not warp:
                idle = next(
                    (s for s in producers if s.job is not None and len(s.queue) + 1 < QUEUE_LENGTH), None
                )
            if idle is None:
                return f"All {u.producer} are busy"
        if not p.afford(u.minerals, u.gas):
            return f"Cannot afford {name}"
        if supply > 0 and p.supply_used + supply > p.supply_cap():
            return "Not enough supply left"
        if dry:
            return None
        p.pay(u.minerals, u.gas)
        p.supply_used += supply
        if u.producer == "Larva":
            hatch.larva -= 1
            p.arrivals.append([self.loop + u.build_loops, name, u.count])
        elif idle.kind == "WarpGate":
            eco = self.data.economy
            cool = eco["warp_cooldown_s"].get(name, eco["warp_cooldown_s"]["default"])
            idle.warp_ready = self.loop + int(round(cool * data.loops_per_second))
            p.arrivals.append([self.loop + eco["warp_in_loops"], name, u.count])
        elif idle.job is not None:
            idle.queue.append(Job(name, "unit", 0, _NORMAL * u.build_loops))
        else:
            idle.job = Job(name, "unit", 0, _NORMAL * u.build_loops)
        return None

    def morph_archons(self, p: Player, pairs: list[tuple[str, str]], dry: bool = False) -> str | None:
        """Morph Archons from pairs of templar at home (``[("HighTemplar", "HighTemplar"), ...]``).

        Each pair is taken while the templar last; an Archon costs nothing on top of its two templar.
        """
        home = dict(p.home)
        made = []
        for a, b in pairs:
            while home.get(a, 0) >= 1 and home.get(b, 0) >= (2 if a == b else 1):
                home[a] -= 1
                home[b] -= 1
                made.append((a, b))
        if not made:
            return "No High Templar or Dark Templar available for Archon morph"
        if dry:
            return None
        data = self.data
        archon = data.units["Archon"]
        for a, b in made:
            p.home[a] -= 1
            p.home[b] -= 1
            p.supply_used += archon.supply - data.units[a].supply - data.units[b].supply
            p.arrivals.append([self.loop + archon.build_loops, "Archon", 1])
        return None

    def build(self, p: Player, name: str, dry: bool = False) -> str | None:
        """Start one structure; returns a failure reason or ``None``."""
        data = self.data
        st = data.structures.get(name)
        if st is None or st.race != p.race:
            return f"{name} is not a {p.race} structure"
        missing = self._missing_requirement(p, st.requires)
        if missing:
            return f"No {missing} available"
        if st.morph_from:
            source = next((s for s in p.structures if s.kind == st.morph_from and s.idle), None)
            if source is None:
                return f"No idle {st.morph_from} available"
        if p.workers <= 0:
            return f"No {WORKER[p.race]} available"
        base_index = -1
        if st.townhall and not st.morph_from:
            if len(p.bases) >= data.economy["max_bases"]:
                return "No expansion location available"
        if st.gas_building:
            free = [
                i
                for i, b in enumerate(p.bases)
                if b.alive
                and p._base_ready(i)
                and self._geysers_taken(p, i) < data.economy["geysers_per_base"]
            ]
            if not free:
                return "No free geyser available"
            base_index = free[0]
        if not p.afford(st.minerals, st.gas):
            return f"Cannot afford {name}"
        if dry:
            return None
        p.pay(st.minerals, st.gas)
        if st.morph_from:
            source.morph_to = name
            p.structures_changed()
            source.remaining = st.build_loops
            return None
        if st.townhall:
            base_index = p._add_base()
        if st.consumes_worker:
            p.workers -= 1
            p.supply_used -= 1
            p._rates = None
        p._add_structure(name, remaining=st.build_loops, base=base_index)
        return None

    def _geysers_taken(self, p: Player, base: int) -> int:
        return sum(1 for s in p.structures if s.base == base and self.data.structures[s.kind].gas_building)

    def research(self, p: Player, name: str, dry: bool = False) -> str | None:
        """Start one research; returns a failure reason or ``None``."""
        up = self.data.upgrades.get(name)
        if up is None:
            return f"{name} is not a research"
        if name in p.upgrades:
            return f"{name} is already researched"
        at = [s for s in p.of_kind(up.researched_at) if s.done]
        if any(s.job is not None and s.job.name == name for s in at):
            return f"{name} is already being researched"
        if not at:
            return f"No {up.researched_at} available"
        missing = self._missing_requirement(p, up.requires)
        if missing:
            return f"No {missing} available"
        idle = next((s for s in at if s.idle), None)
        if idle is None:
            return f"All {up.researched_at} are busy"
        if not p.afford(up.minerals, up.gas):
            return f"Cannot afford {name}"
        if dry:
            return None
        p.pay(up.minerals, up.gas)
        idle.job = Job(name, "upgrade", 0, _NORMAL * up.build_loops)
        return None

    def chrono(
        self, p: Player, target: str, dry: bool = False, structure: Structure | None = None
    ) -> str | None:
        """Chrono Boost one busy structure of kind ``target`` (or ``structure``) with 50 energy of a Nexus."""
        eco = self.data.economy
        cost = eco["chrono_energy"] * 256
        nexus = max(
            (s for s in p.structures if s.kind == "Nexus" and s.done), key=lambda s: s.energy, default=None
        )
        if nexus is None:
            return "No Nexus available"
        kinds = (target, "WarpGate") if target == "Gateway" else (target,)
        candidates = [s for k in kinds for s in p.of_kind(k) if s.done and s.kind == k]
        if not candidates:
            return f"No {target} available"
        busy = [s for s in candidates if s.job is not None and s.chrono_until <= self.loop]
        if structure is not None:
            busy = [structure] if structure in busy else []
        if not busy:
            return f"No busy {target} to boost"
        if nexus.energy < cost:
            return "Not enough Nexus energy"
        if dry:
            return None
        nexus.energy -= cost
        busy[0].chrono_until = self.loop + eco["chrono_duration_loops"]
        return None

    def attack(
        self, p: Player, min_army_supply: float = 0.0, dry: bool = False, redirect: bool = True
    ) -> str | None:
        """Send the combat units at home (and, with ``redirect``, any retreating group) towards the enemy base.

        It needs ``min_army_supply`` of army in all (home and field, as the original's ``supply_army``).
        """
        data = self.data
        # Queens stay home: they are the Zerg's defence and larva injectors, and they crawl off creep.
        fighters = {k: v for k, v in p.home.items() if v and data.units[k].combat and not data.units[k].queen}
        supply = sum(data.units[k].supply / data.units[k].count * v for k, v in fighters.items())
        returning = [g for g in p.groups if not g.scout and g.target != "enemy"] if redirect else []
        if not fighters and not returning:
            return "No army available"
        if min_army_supply > 0:
            field = sum(
                data.units[k].supply / data.units[k].count * v
                for g in p.groups
                if not g.scout
                for k, v in g.units.items()
            )
            if supply + field < min_army_supply:
                return "Not enough army to attack"
        if dry:
            return None
        for g in returning:
            g.target = "enemy"
        if not fighters:
            return None
        for k, v in fighters.items():
            p.home[k] -= v
        p.groups.append(Group(units=fighters, target="enemy", pos=0.0))
        return None

    def retreat(self, p: Player, dry: bool = False, to_front: bool = False) -> str | None:
        """Call every army group back home.

        ``to_front`` is the original bot's MULTI-RETREAT: every army unit moves to the army unit nearest the
        enemy base, so the front group stops where it is and the rest (home army included) walk up to it.
        """
        moved = [g for g in p.groups if not g.scout and g.target != "home"]
        if not moved:
            return "No army in the field to retreat"
        if dry:
            return None
        if not to_front:
            for g in moved:
                g.target = "home"
            return None
        front = max(g.pos for g in p.groups if not g.scout)
        for g in p.groups:
            if not g.scout:
                g.target, g.hold_at = "hold", front
        data = self.data
        home = {k: v for k, v in p.home.items() if v and data.units[k].combat and not data.units[k].queen}
        if home:
            for k, v in home.items():
                p.home[k] -= v
            p.groups.append(Group(units=home, target="hold", pos=0.0, hold_at=front))
        return None

    def scout(self, p: Player, unit: str, dry: bool = False) -> str | None:
        """Send one unit (a worker, or one of that kind at home) to look at the enemy base."""
        if unit == WORKER[p.race]:
            if p.workers <= 1:
                return f"No {unit} available"
            if dry:
                return None
            p.workers -= 1
            p._rates = None
        else:
            if p.home.get(unit, 0) <= 0:
                return f"No {unit} available"
            if dry:
                return None
            p.home[unit] -= 1
        linger = 10**9 if self.data.units[unit].cloaked else SCOUT_LINGER_LOOPS
        p.groups.append(Group(units={unit: 1}, target="enemy", pos=0.0, scout=True, linger=linger))
        p.scouted_at = self.loop
        return None

    # -- map: movement, vision, battles -------------------------------------------------------------------
    def group_speed(self, p: Player, g: Group) -> float:
        speeds = [self.data.units[k].speed * p.speed_mult.get(k, 1.0) for k, v in g.units.items() if v]
        return min(speeds) if speeds else 0.0

    def _move_and_fight(self, loops: int) -> None:
        dt = loops / self.data.loops_per_second
        dist = self.distance
        for p in self.players:
            for g in p.groups:
                step = self.group_speed(p, g) * dt
                if g.target == "enemy":
                    g.pos = min(dist, g.pos + step)
                    if g.scout and g.pos >= dist:
                        g.linger -= loops
                        if g.linger <= 0:
                            g.target = "home"
                elif g.target == "hold":
                    g.pos = (
                        min(g.hold_at, g.pos + step) if g.pos < g.hold_at else max(g.hold_at, g.pos - step)
                    )
                else:
                    g.pos = max(0.0, g.pos - step)
            arrived = [g for g in p.groups if g.pos <= 0.0 and g.target == "home"]
            if arrived:
                for g in arrived:
                    for k, v in g.units.items():
                        if v:
                            if self.data.units[k].worker:
                                p.workers += v
                                p._rates = None
                            else:
                                p.home[k] = p.home.get(k, 0) + v
                p.groups = [g for g in p.groups if not (g.pos <= 0.0 and g.target == "home")]
        self.battles.clear()
        for d in self.players:
            a = self.players[1 - d.index]
            here = [g for g in a.groups if g.pos >= dist and g.target != "home" and any(g.units.values())]
            if not here:
                if d.home_wounds:
                    d.home_wounds.clear()
                d.battery_pool = None
                continue
            if any(not g.scout for g in here):
                # A scout alone is shot at if seen but is no attack: it neither recalls the army nor counts as one.
                self.battles.add(d.index)
                if d.auto_defend:
                    for g in d.groups:
                        if not g.scout and g.target != "home":
                            g.target = "home"
            combat.fight_at_base(self, attacker=a, groups=here, defender=d, dt=dt)
            a.groups = [g for g in a.groups if any(g.units.values())]

    def visible_enemy(self, p: Player) -> tuple[Counter[str], Counter[str]]:
        """Enemy units and structures ``p`` sees now (no memory, as in the original)."""
        e = self.players[1 - p.index]
        units: Counter[str] = Counter()
        structures: Counter[str] = Counter()
        dist = self.distance
        watching = p.vision_all or any(
            g.pos >= dist and g.target != "home" and any(g.units.values()) for g in p.groups
        )
        for g in e.groups:
            if g.pos >= dist and g.target != "home" or p.vision_all:
                for k, v in g.units.items():
                    if v and (not self.data.units[k].cloaked or p.detector_at_home() or p.vision_all):
                        units[k] += v
        if watching:
            for k, v in e.home.items():
                if v:
                    units[k] += v
            if e.workers:
                units[WORKER[e.race]] += e.workers
            for s in e.structures:
                structures[s.kind] += 1
        return units, structures

    def _check_end(self) -> None:
        alive = [bool(p.structures) for p in self.players]
        if not alive[0] and not alive[1]:
            self.winner = -1
        elif not alive[0]:
            self.winner = 1
        elif not alive[1]:
            self.winner = 0
