"""Focus fire: every unit shoots the same enemy, the weakest one in range, so enemies die one after another.

Works for armies without special units (3m, 8m, 25m, 2s3z, 3s5z, 1c3s5z...).  Melee units (zealots) charge
the enemy nearest to the team's centre, which keeps them together in front of the ranged units, and once in
melee they hit whatever is next to them rather than walking through the fight.
"""

ENGAGED = 2.0  # a melee unit this close to an enemy is already fighting it


def pick_target(view, unit):
    in_range = view.enemies.in_attack_range_of(unit)
    if in_range.exists:
        # the weakest enemy in range; ties go to the one nearest to the team's centre
        centre = view.units.center
        return min(in_range, key=lambda e: (e.health + e.shield, e.distance_to(centre)))
    return view.enemies.closest_to(view.units.center)


def policy(view):
    if view.enemies.empty:
        return
    for unit in view.units:
        if unit.is_melee:
            near = view.enemies.closest_to(unit)
            if near.distance_to(unit) > ENGAGED:
                near = view.enemies.closest_to(view.units.center)
            unit.attack(near)
        else:
            unit.attack(pick_target(view, unit))
