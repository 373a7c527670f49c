"""The program interface of SMAC: a python-sc2-like view whose orders compile to SMAC actions.

A program is Python source defining ``policy(view)``, called once per agent step with a :class:`View` of the
battle (full observation, as in LLM-SMAC's python-sc2 bots).  The program gives orders with
``unit.attack(enemy)``, ``unit.move_towards(x, y)``, ``unit.heal(ally)`` (Medivacs) and ``unit.stop()``; a unit
without a new order keeps its previous one (as SC2 units do) until its target dies.  Orders compile to SMAC
action ids: an attack on a target within SMAC's shoot range (centre distance 6) is the attack action, otherwise
the unit moves towards the target; a move picks the legal direction (N/S/E/W, 2 units) that gets closest to the
point.  Coordinates: x grows to the east, y to the north, on a 32 x 32 map; distances in SC2 units.

:func:`run_policy_episodes` plays seeded episodes with a trusted, in-process policy and returns per-episode
statistics; :func:`play_episodes` is its loop, which ``SMACProgram-v3`` drives with orders that a sandboxed
program sends back (:mod:`tactica.envs.smac.program_sandbox`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tactica.envs.smac.units import DIRECTIONS, LOOPS_PER_SECOND, SHOOT_RANGE

if TYPE_CHECKING:  # the sandbox's process server imports this module: keep the numba simulator out
    from tactica.envs.smac.api import SMACEnv

__all__ = [
    "UnitView",
    "Units",
    "View",
    "EpisodeStats",
    "compile_orders",
    "play_episodes",
    "run_policy_episodes",
]


class Units(list):
    """A list of :class:`UnitView` with python-sc2-style helpers."""

    @property
    def amount(self) -> int:
        return len(self)

    @property
    def exists(self) -> bool:
        return len(self) > 0

    @property
    def empty(self) -> bool:
        return len(self) == 0

    @property
    def center(self) -> tuple[float, float]:
        """Mean position (the map centre for an empty list)."""
        if not self:
            return (16.0, 16.0)
        return (sum(u.x for u in self) / len(self), sum(u.y for u in self) / len(self))

    def closest_to(self, other) -> UnitView | None:
        return min(self, key=lambda u: u.distance_to(other)) if self else None

    def furthest_to(self, other) -> UnitView | None:
        return max(self, key=lambda u: u.distance_to(other)) if self else None

    def sorted_by_distance_to(self, other) -> Units:
        return Units(sorted(self, key=lambda u: u.distance_to(other)))

    def closer_than(self, distance: float, other) -> Units:
        return Units(u for u in self if u.distance_to(other) < distance)

    def further_than(self, distance: float, other) -> Units:
        return Units(u for u in self if u.distance_to(other) > distance)

    def of_type(self, *names: str) -> Units:
        return Units(u for u in self if u.name in names)

    def weakest(self) -> UnitView | None:
        """The unit with the least health plus shield."""
        return min(self, key=lambda u: (u.health + u.shield, u.tag)) if self else None

    def in_attack_range_of(self, unit: UnitView) -> Units:
        return Units(u for u in self if unit.can_attack(u))


class UnitView:
    """One unit as the program sees it (a snapshot; changing its fields changes nothing in the battle)."""

    __slots__ = (
        "tag",
        "name",
        "is_ally",
        "x",
        "y",
        "health",
        "health_max",
        "shield",
        "shield_max",
        "energy",
        "weapon_cooldown",
        "ground_range",
        "sight_range",
        "speed",
        "radius",
        "attributes",
        "is_alive",
        "_orders",
    )

    def __init__(self, orders: dict | None, **fields: Any):
        for key, value in fields.items():
            setattr(self, key, value)
        self._orders = orders

    def __repr__(self) -> str:
        side = "ally" if self.is_ally else "enemy"
        return (
            f"<{side} {self.name} #{self.tag} at ({self.x:.1f}, {self.y:.1f}) hp {self.health:.0f}"
            + (f" sh {self.shield:.0f}" if self.shield_max else "")
            + ">"
        )

    # ------------------------------------------------------------ queries
    @property
    def position(self) -> tuple[float, float]:
        return (self.x, self.y)

    @property
    def health_percentage(self) -> float:
        return (self.health + self.shield) / (self.health_max + self.shield_max)

    @property
    def weapon_ready(self) -> bool:
        return self.weapon_cooldown <= 0

    @property
    def is_melee(self) -> bool:
        return self.ground_range < 1

    def distance_to(self, other) -> float:
        """Centre distance to a unit or an (x, y) point."""
        ox, oy = (other.x, other.y) if isinstance(other, UnitView) else (float(other[0]), float(other[1]))
        return math.hypot(self.x - ox, self.y - oy)

    def can_attack(self, enemy: UnitView) -> bool:
        """Whether an attack order on ``enemy`` is a SMAC attack action now (alive, centre distance <= 6)."""
        return enemy.is_alive and self.distance_to(enemy) <= SHOOT_RANGE

    # ------------------------------------------------------------- orders
    def _order(self, order: tuple) -> None:
        if not self.is_ally or self._orders is None:
            raise ValueError(f"{self!r} is not one of your units; only your units take orders")
        self._orders[self.tag] = order

    def attack(self, enemy: UnitView) -> None:
        """Attack ``enemy`` (moving towards it while it is out of range)."""
        if not isinstance(enemy, UnitView) or enemy.is_ally:
            raise ValueError(f"attack() needs an enemy unit, got {enemy!r}")
        self._order(("attack", enemy.tag))

    def heal(self, ally: UnitView) -> None:
        """Medivacs only: heal ``ally`` (moving towards it while it is out of range)."""
        if "heal" not in self.attributes:
            raise ValueError(f"{self.name} cannot heal; only Medivacs can")
        if not isinstance(ally, UnitView) or not ally.is_ally:
            raise ValueError(f"heal() needs one of your units, got {ally!r}")
        self._order(("heal", ally.tag))

    def move_towards(self, x, y=None) -> None:
        """Move towards the point (x, y) (or a unit, or an (x, y) tuple)."""
        if isinstance(x, UnitView):
            x, y = x.x, x.y
        elif y is None:
            x, y = x
        x, y = float(x), float(y)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"move_towards() needs finite coordinates, got ({x}, {y})")
        self._order(("move", x, y))

    move = move_towards

    def move_away_from(self, other, distance: float = 2.0) -> None:
        """Move ``distance`` directly away from a unit or point."""
        ox, oy = (other.x, other.y) if isinstance(other, UnitView) else other
        dx, dy = self.x - ox, self.y - oy
        norm = math.hypot(dx, dy) or 1.0
        self.move_towards(self.x + dx / norm * distance, self.y + dy / norm * distance)

    def stop(self) -> None:
        self._order(("stop",))


@dataclass
class View:
    """The battle as the program sees it each step."""

    units: Units
    enemies: Units
    iteration: int
    map_name: str
    map_width: float
    map_height: float
    enemy_attack_point: tuple[float, float]
    memory: dict
    pathing: Any

    def is_pathable(self, x: float, y: float) -> bool:
        """Whether ground units can stand at (x, y)."""
        xi, yi = int(math.floor(x)), int(math.floor(y))
        # len() and [xi][yi] serve the simulator's array and the nested tuples a sandboxed program gets
        return 0 <= xi < len(self.pathing) and 0 <= yi < len(self.pathing[0]) and bool(self.pathing[xi][yi])


@dataclass
class EpisodeStats:
    """One episode of a program."""

    seed: int
    result: str  # "win", "loss", "tie" (timeout or mutual destruction)
    steps: int
    episode_return: float
    damage_dealt: float
    damage_taken: float
    allies_left: int
    enemies_left: int


def _snapshot(env: SMACEnv, orders: dict) -> tuple[Units, Units]:
    sim = env.core.sim
    A = env.n_agents
    allies, enemies = Units(), Units()
    for i, kind in enumerate(sim.types):
        if not sim.alive[0, i]:
            continue
        ally = i < A
        attributes = kind.attributes + (("heal",) if kind.is_healer else ())
        view = UnitView(
            orders if ally else None,
            tag=i if ally else i - A,
            name=kind.name,
            is_ally=ally,
            x=float(sim.pos[0, i, 0]),
            y=float(sim.pos[0, i, 1]),
            health=float(sim.hp[0, i]),
            health_max=float(kind.health),
            shield=float(sim.sh[0, i]),
            shield_max=float(kind.shield),
            energy=float(sim.energy[0, i]),
            weapon_cooldown=float(sim.cd[0, i]) / LOOPS_PER_SECOND,
            ground_range=float(kind.range),
            sight_range=float(kind.sight),
            speed=float(kind.speed),
            radius=float(kind.radius),
            attributes=attributes,
            is_alive=True,
        )
        (allies if ally else enemies).append(view)
    return allies, enemies


def compile_orders(env: SMACEnv, orders: dict[int, tuple]) -> np.ndarray:
    """SMAC action ids for every agent from the standing orders (agent tag -> order)."""
    sim = env.core.sim
    A = env.n_agents
    avail = env.core.avail_actions()[0]
    actions = np.zeros(A, np.int64)
    for a in range(A):
        if not sim.alive[0, a]:
            actions[a] = 0
            continue
        order = orders.get(a, ("stop",))
        action = 1
        if order[0] in ("attack", "heal"):
            target = order[1] + (A if order[0] == "attack" else 0)
            if not sim.alive[0, target]:
                orders[a] = ("stop",)
            elif avail[a, 6 + order[1]]:
                action = 6 + order[1]
            else:
                action = _direction(sim.pos[0, a], sim.pos[0, target], avail[a])
        elif order[0] == "move":
            action = _direction(sim.pos[0, a], np.array(order[1:3]), avail[a])
        actions[a] = action
    return actions


def _direction(pos: np.ndarray, goal: np.ndarray, avail: np.ndarray) -> int:
    """The legal move (2..5) whose end point is closest to ``goal``; stop (1) if none gets closer."""
    best, best_d = 1, float(np.hypot(*(goal - pos)))
    if best_d < 0.5:
        return 1
    for k in range(4):
        if avail[2 + k]:
            d = float(np.hypot(*(goal - (pos + DIRECTIONS[k] * 2.0))))
            if d < best_d - 1e-9:
                best, best_d = 2 + k, d
    return best


def play_episodes(
    give_orders: Callable[[SMACEnv, dict[int, tuple], int], None],
    map_name: str,
    seeds: list[int],
    **env_kwargs: Any,
) -> list[EpisodeStats]:
    """Play one episode per seed; each step ``give_orders(env, orders, iteration)`` updates the standing
    orders (agent tag -> order) before they are compiled to SMAC actions."""
    from tactica.envs.smac.api import SMACEnv

    env = SMACEnv(map_name, **env_kwargs)
    results = []
    A = env.n_agents
    for seed in seeds:
        env.reset(seed=int(seed))
        orders: dict[int, tuple] = {}
        total, steps, terminated, info = 0.0, 0, False, {}
        while not terminated:
            give_orders(env, orders, steps)
            reward, terminated, info = env.step(compile_orders(env, orders))
            total += reward
            steps += 1
        sim = env.core.sim
        code = int(env.core.end_codes()[0])
        result = "win" if info.get("battle_won") else ("loss" if code == -1 else "tie")
        results.append(
            EpisodeStats(
                seed=int(seed),
                result=result,
                steps=steps,
                episode_return=float(total),
                damage_dealt=float(sim.damage_to[0, 1]),
                damage_taken=float(sim.damage_to[0, 0]),
                allies_left=int(sim.alive[0, :A].sum()),
                enemies_left=int(sim.alive[0, A:].sum()),
            )
        )
    return results


def run_policy_episodes(
    policy: Callable[[View], Any],
    map_name: str,
    seeds: list[int],
    *,
    on_error: Callable[[BaseException], None] | None = None,
    **env_kwargs: Any,
) -> list[EpisodeStats]:
    """Play one episode per seed with a trusted, in-process ``policy(view)``; its exceptions propagate."""
    episode: dict[str, dict] = {}

    def give_orders(env: SMACEnv, orders: dict[int, tuple], iteration: int) -> None:
        if iteration == 0:
            episode["memory"] = {}  # view.memory lasts one battle
        spec = env.core.spec
        allies, enemies = _snapshot(env, orders)
        view = View(
            allies,
            enemies,
            iteration,
            map_name,
            32.0,
            32.0,
            spec.enemy_attack_point,
            episode["memory"],
            spec.pathing_grid(),
        )
        policy(view)

    return play_episodes(give_orders, map_name, seeds, **env_kwargs)
