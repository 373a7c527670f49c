"""Kiting: ranged units shoot when their weapon is ready and step away from melee enemies while it reloads.

Made for 3s_vs_3z / 3s_vs_4z / 3s_vs_5z: Stalkers (speed 4.13, range 6) against Zealots (speed 3.15, melee).
A reloading Stalker with a Zealot closer than ``FLEE`` moves in the one of the four SMAC directions that keeps
it furthest from every Zealot, staying ``WALL`` away from the map edge so it is never cornered.
"""

import math

FLEE = 5.5  # flee while reloading if a melee enemy is this close
WALL = 2.0  # keep this far from the map edge
STEPS = ((0.0, 2.0), (0.0, -2.0), (2.0, 0.0), (-2.0, 0.0))


def escape_point(view, unit):
    best, best_score = None, -1e9
    for dx, dy in STEPS:
        x, y = unit.x + dx, unit.y + dy
        if not view.is_pathable(x, y):
            continue
        nearest = min(math.hypot(x - e.x, y - e.y) for e in view.enemies)
        edge = min(x, y, view.map_width - x, view.map_height - y)
        score = nearest - max(0.0, WALL - edge) * 2.0
        if score > best_score:
            best, best_score = (x, y), score
    return best


def policy(view):
    if view.enemies.empty:
        return
    for unit in view.units:
        threat = view.enemies.closest_to(unit)
        in_range = view.enemies.in_attack_range_of(unit)
        reloading = unit.weapon_cooldown > 0.05
        if reloading and threat.distance_to(unit) < FLEE:
            point = escape_point(view, unit)
            if point:
                unit.move_towards(*point)
        elif in_range.exists:
            unit.attack(in_range.weakest())
        elif reloading:
            unit.stop()
        else:
            unit.attack(threat)
