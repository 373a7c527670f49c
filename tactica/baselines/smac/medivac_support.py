"""Marines and Marauders focus fire while the Medivac heals the most damaged soldier (MMM, MMM2).

Marauders (10 +10 vs armored) shoot enemy Marauders first; Marines shoot the weakest enemy in range; the
Medivac stays behind the army and heals whoever lost the most health, preferring units close to it.
"""


def weakest_in_range(view, unit):
    in_range = view.enemies.in_attack_range_of(unit)
    if unit.name == "marauder":
        armored = in_range.of_type("marauder", "medivac")
        if armored.exists:
            in_range = armored
    if in_range.exists:
        return min(in_range, key=lambda e: (e.health + e.shield, e.distance_to(view.units.center)))
    fighters = view.enemies.of_type("marine", "marauder")
    return (fighters if fighters.exists else view.enemies).closest_to(view.units.center)


def policy(view):
    if view.enemies.empty:
        return
    soldiers = view.units.of_type("marine", "marauder")
    for unit in view.units:
        if unit.name == "medivac":
            hurt = [s for s in soldiers if s.health < s.health_max]
            if hurt:
                patient = max(hurt, key=lambda s: (s.health_max - s.health) - 2 * s.distance_to(unit))
                unit.heal(patient)
            elif soldiers.exists:
                unit.move_towards(soldiers.center)
        else:
            unit.attack(weakest_in_range(view, unit))
