"""Focus fire without overkill: each enemy gets just enough shooters to die, and wounded units step back.

Made for Marine mirrors (3m, 8m): the units nearest the enemy pick first; each shoots the enemy in its range
with the least health left after the shots already planned this step, and an enemy whose planned shots already
cover its health gets no more, so no volley is wasted.  A wounded ranged unit that is reloading steps away from
the nearest enemy, so the enemy's focus moves to a healthier unit.  Melee units fight as in focus fire.
"""

SHOT = 6.0  # damage planned per shot (a Marine's)
WOUNDED = 0.7  # a ranged unit below this share of its health steps back while reloading
CLOSE = 5.5  # ... when an enemy is this close
ENGAGED = 2.0  # a melee unit this close to an enemy is already fighting it


def pick_target(view, unit, planned):
    in_range = view.enemies.in_attack_range_of(unit)
    if in_range.empty:
        return view.enemies.closest_to(view.units.center)
    centre = view.units.center
    open_targets = [e for e in in_range if planned.get(e.tag, 0.0) < e.health + e.shield]
    choices = open_targets if open_targets else list(in_range)
    return min(choices, key=lambda e: (e.health + e.shield - planned.get(e.tag, 0.0), e.distance_to(centre)))


def policy(view):
    if view.enemies.empty:
        return
    planned = {}
    for unit in view.units.sorted_by_distance_to(view.enemies.center):
        near = view.enemies.closest_to(unit)
        if unit.is_melee:
            if near.distance_to(unit) > ENGAGED:
                near = view.enemies.closest_to(view.units.center)
            unit.attack(near)
        elif unit.health_percentage < WOUNDED and not unit.weapon_ready and near.distance_to(unit) < CLOSE:
            unit.move_away_from(near)
        else:
            target = pick_target(view, unit, planned)
            planned[target.tag] = planned.get(target.tag, 0.0) + SHOT
            unit.attack(target)
