"""How ``SMACProgram-v3`` plays an untrusted program: the parent simulates, the program only gives orders.

The program runs in :mod:`tactica.sandbox` (an isolated process).  Each step of each battle the parent sends
it a snapshot of the living units (plain JSON: the fields of :class:`~tactica.envs.smac.programs.UnitView`;
the map's name, size, attack point and pathing grid once per battle); :func:`program_orders`, in the
program's process, rebuilds the :class:`~tactica.envs.smac.programs.View`, calls ``policy(view)`` and sends
back the orders it gave.  The parent accepts only well-formed orders for its own living units
(:func:`checked_orders`), compiles them to SMAC actions and steps its own simulator: a program can report its
actions, never a result, so whatever it does, the win rate is the one the parent measured.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tactica.envs.smac.programs import Units, UnitView, View, _snapshot, play_episodes
from tactica.sandbox import Limits, ProgramError, ProgramFailed, ProgramSession, SandboxReport

if TYPE_CHECKING:  # the process server imports this module for program_orders: keep the simulator out
    from tactica.envs.smac.api import SMACEnv

__all__ = ["FIELDS", "checked_orders", "play_program", "program_orders"]

FIELDS = tuple(name for name in UnitView.__slots__ if not name.startswith("_"))
"""The fields of a unit as they cross to the program (one JSON list per unit, in this order)."""
MAP_SIZE = 32.0

# ---------------------------------------------------------------------------- in the program's process
_episode: dict[str, Any] = {}  # this process serves one program: its current battle's map and memory


def _unit(orders: dict | None, row: list) -> UnitView:
    fields = dict(zip(FIELDS, row))
    fields["attributes"] = tuple(fields["attributes"])
    return UnitView(orders, **fields)


def program_orders(namespace: dict[str, Any], request: dict[str, Any]) -> list[list]:
    """Sandbox task: ``policy(view)`` on one snapshot; the orders given, as ``[tag, kind, *args]`` lists."""
    policy = namespace.get("policy")
    if not callable(policy):
        raise ProgramError("the program must define a function 'policy(view)'")
    if "map" in request:  # a new battle
        battle = request["map"]
        _episode.clear()
        _episode.update(battle, memory={}, pathing=tuple(tuple(column) for column in battle["pathing"]))
    orders: dict[int, tuple] = {}
    view = View(
        Units(_unit(orders, row) for row in request["allies"]),
        Units(_unit(None, row) for row in request["enemies"]),
        request["iteration"],
        _episode["name"],
        MAP_SIZE,
        MAP_SIZE,
        tuple(_episode["enemy_attack_point"]),
        _episode["memory"],
        _episode["pathing"],
    )
    policy(view)
    return [[tag, *order] for tag, order in orders.items()]


# ---------------------------------------------------------------------------- in the parent
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def checked_orders(value: Any, env: SMACEnv) -> dict[int, tuple]:
    """The orders a program sent, if every one is a legal order for a living unit of ours; else ValueError."""
    sim = env.core.sim
    n_allies = env.n_agents
    n_enemies = len(sim.types) - n_allies
    living = {a for a in range(n_allies) if sim.alive[0, a]}
    if not isinstance(value, list) or len(value) > len(living):
        raise ValueError("the orders must be a list with at most one order per living unit")
    orders: dict[int, tuple] = {}
    for item in value:
        if not isinstance(item, list) or len(item) < 2:
            raise ValueError(f"malformed order {str(item)[:80]}")
        tag, kind, *args = item
        if not _is_int(tag) or tag not in living or tag in orders:
            raise ValueError(f"an order for {str(tag)[:20]}, which is not one living unit of yours")
        if kind == "attack" and len(args) == 1 and _is_int(args[0]) and 0 <= args[0] < n_enemies:
            orders[tag] = ("attack", args[0])
        elif (
            kind == "heal"
            and sim.types[tag].is_healer
            and len(args) == 1
            and _is_int(args[0])
            and 0 <= args[0] < n_allies
        ):
            orders[tag] = ("heal", args[0])
        elif kind == "move" and len(args) == 2 and all(_is_number(v) for v in args):
            orders[tag] = ("move", float(args[0]), float(args[1]))
        elif kind == "stop" and not args:
            orders[tag] = ("stop",)
        else:
            raise ValueError(f"malformed order {str(item)[:80]}")
    return orders


def _snapshot_request(env: SMACEnv, orders: dict, iteration: int, map_name: str) -> dict[str, Any]:
    allies, enemies = _snapshot(env, orders)
    request: dict[str, Any] = {
        "iteration": iteration,
        "allies": [[getattr(u, f) for f in FIELDS] for u in allies],
        "enemies": [[getattr(u, f) for f in FIELDS] for u in enemies],
    }
    if iteration == 0:
        spec = env.core.spec
        request["map"] = {
            "name": map_name,
            "enemy_attack_point": [float(v) for v in spec.enemy_attack_point],
            "pathing": spec.pathing_grid().astype(bool).tolist(),
        }
    return request


def play_program(
    source: str,
    map_name: str,
    seeds: list[int],
    env_kwargs: dict[str, Any],
    limits: Limits,
    *,
    allow_unisolated: bool | None = None,
) -> SandboxReport:
    """Play one battle per seed with the program's ``policy``; the report's value is the per-battle stats
    (dicts of :class:`~tactica.envs.smac.programs.EpisodeStats`), measured by the parent."""
    try:
        with ProgramSession(
            source, program_orders, limits=limits, required=("policy",), allow_unisolated=allow_unisolated
        ) as session:

            def give_orders(env: SMACEnv, orders: dict[int, tuple], iteration: int) -> None:
                request = _snapshot_request(env, orders, iteration, map_name)
                orders.update(session.call(request, check=lambda value: checked_orders(value, env)))

            stats = play_episodes(give_orders, map_name, seeds, **env_kwargs)
            return session.report([asdict(s) for s in stats])
    except ProgramFailed as failure:
        return failure.report
