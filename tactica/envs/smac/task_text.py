"""The text task of SMACProgram-v3: map, armies, unit statistics, coordinates and the program API (ASCII)."""

from __future__ import annotations

from collections import Counter

from tactica.envs.smac.maps import get_map
from tactica.envs.smac.units import unit_type

__all__ = ["task_text", "API_TEXT", "feedback_text"]

API_TEXT = """\
PROGRAM API
Write Python source that defines `policy(view)`. It is called once per step (8 game loops = 0.357 s) and
gives orders to your units; it returns nothing. A unit without a new order keeps its previous order.
  view.units / view.enemies : lists of live units with .closest_to(p), .furthest_to(p), .weakest(),
      .of_type(*names), .closer_than(d, p), .further_than(d, p), .sorted_by_distance_to(p),
      .in_attack_range_of(unit), .center, .amount, .exists, .empty     (p: a unit or an (x, y) tuple)
  view.iteration (step number), view.map_width, view.map_height, view.enemy_attack_point,
  view.is_pathable(x, y), view.memory (a dict kept between steps of one battle)
  unit fields: tag, name, x, y, position, health, health_max, shield, shield_max, health_percentage,
      energy, weapon_cooldown (seconds until it can fire), weapon_ready, ground_range, sight_range, speed,
      radius, is_melee, attributes; unit.distance_to(p); unit.can_attack(enemy) (centre distance <= 6)
  orders: unit.attack(enemy), unit.move_towards(x, y), unit.move_away_from(p, distance=2),
      unit.heal(ally) (Medivac only), unit.stop()
Orders become SMAC actions: an attack on an enemy within centre distance 6 shoots it, otherwise the unit
walks towards it; moves go 2 units north, south, east or west, whichever gets closest to the point.
RULES: imports only of math, itertools, collections, heapq, functools, statistics; no names or attributes
starting with an underscore; no open/exec/eval/getattr/globals/class. Check lists for emptiness. Each step has
a CPU budget; errors end the evaluation and are reported with their line number."""


def _unit_line(name: str, count: int) -> str:
    u = unit_type(name)
    bonus = ", ".join(f"+{v:g} vs {k}" for k, v in u.bonus) or "no bonus"
    if u.is_healer:
        weapon = f"heals {u.heal_per_second:g} HP/s within range {u.range:g} (1 energy per {u.heal_per_energy:g} HP)"
    elif u.suicide:
        weapon = f"explodes on contact: {u.damage:g} ({bonus}) to every enemy within {u.splash_radius:g}"
    else:
        hits = f"{u.damage:g} x{u.attacks}" if u.attacks > 1 else f"{u.damage:g}"
        weapon = f"damage {hits} ({bonus}), cooldown {u.cooldown:g} s, range {u.range:g}"
        if u.splash == "line":
            weapon += (
                f", hits every enemy in a {u.splash_length:g} x {u.splash_width:g} line across the target"
            )
    shield = f", shield {u.shield:g}" if u.shield else ""
    return (
        f"  {count} x {name}: health {u.health:g}{shield}, armor {u.armor:g}, {weapon}, sight {u.sight:g}, "
        f"speed {u.speed:g}/s, radius {u.radius:g}, {'/'.join(u.attributes)}{', flying' if u.flying else ''}"
    )


def task_text(map_name: str, episodes: int) -> str:
    spec = get_map(map_name)
    allies = Counter()
    enemies = Counter()
    for g in spec.allies:
        allies[g.unit] += g.count
    for g in spec.enemies:
        enemies[g.unit] += g.count
    ally_spawn = ", ".join(f"{g.unit} near ({g.centre[0]:g}, {g.centre[1]:g})" for g in spec.allies)
    enemy_spawn = ", ".join(f"{g.unit} near ({g.centre[0]:g}, {g.centre[1]:g})" for g in spec.enemies)
    lines = [
        f"TASK: write a decision-tree program that wins the SMAC battle '{map_name}' against the built-in AI.",
        f"Each program is tested on {episodes} seeded battles; the reward is the fraction won.",
        "",
        "MAP",
        f"  32 x 32; x grows to the east, y to the north. {spec.description}",
        f"  Your units start at: {ally_spawn}. Enemies start at: {enemy_spawn}.",
        f"  The enemies attack-move to ({spec.enemy_attack_point[0]:g}, {spec.enemy_attack_point[1]:g}) and "
        "fight the nearest of your units in range (they answer units that shoot them).",
        f"  A battle is lost if all your units die and counts as a tie after {spec.episode_limit} steps.",
        "YOUR UNITS",
        *(_unit_line(n, c) for n, c in allies.items()),
        "ENEMY UNITS",
        *(_unit_line(n, c) for n, c in enemies.items()),
        "Shields absorb damage first; armor reduces each hit on health. No abilities or upgrades.",
        "",
        API_TEXT,
    ]
    return "\n".join(lines)


def feedback_text(stats: list[dict], error: str | None, episodes: int) -> str:
    """LLM-SMAC-style feedback on the last program."""
    if error and not stats:
        return f"FEEDBACK ON YOUR LAST PROGRAM\nThe program failed before any battle finished: {error}"
    wins = sum(s["result"] == "win" for s in stats)
    ties = sum(s["result"] == "tie" for s in stats)
    losses = episodes - wins - ties
    n = max(len(stats), 1)
    mean = lambda key: sum(s[key] for s in stats) / n  # noqa: E731
    lines = [
        "FEEDBACK ON YOUR LAST PROGRAM",
        f"You win {wins} times, tie {ties} times, and lose {losses} times out of {episodes} combats.",
        f"On average {mean('allies_left'):.1f} of your units and {mean('enemies_left'):.1f} enemy units are left, "
        f"you deal {mean('damage_dealt'):.1f} damage and take {mean('damage_taken'):.1f} damage, "
        f"over {mean('steps'):.1f} steps, with a SMAC return of {mean('episode_return'):.2f}.",
    ]
    if error:
        lines.append(f"The program raised an error (the remaining battles count as losses): {error}")
    return "\n".join(lines)
