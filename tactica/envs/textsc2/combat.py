"""The seeded combat model: battles at a base resolved from unit stats, one volley per engine step.

Each step of a battle both sides fire simultaneously.  A unit type's damage per second against a target type
is ``max(0.5, damage + bonus(attributes) + weapon level - (armor + armor level)) * attacks / cooldown`` (the
game's armor rule), multiplied by research effects (Charge, Blink, Stimpack...), by splash against groups
(``1 + (splash - 1) * min(1, n / 8)``), by the owner's combat multiplier (the built-in AI's micro quality) and
by a log-normal noise factor drawn from the game's generator (sigma 0.15), which makes close fights uncertain
but reproducible under a seed.  Fire is spread over the hittable targets in proportion to their numbers
(air/ground by weapon, cloaked units only when the other side has a detector).  Attackers shoot units and
defensive structures first, then workers and the remaining structures; a side loses whole units when the
damage accumulated on a type exceeds one unit's health plus shields.  Shield Batteries and Medivacs heal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from tactica.envs.textsc2.engine import Game, Group, Player

__all__ = ["fight_at_base", "per_attack_damage", "NOISE_SIGMA"]

NOISE_SIGMA = 0.15
BATTERY_POOL = 300.0  # 100 energy at 3 shields per energy
_WORKERS = "__workers__"


def per_attack_damage(weapon, weapon_level: int, target, target_armor_level: int) -> float:
    """Damage one attack deals to one target after bonuses, upgrades and armor (at least 0.5 per hit)."""
    attrs = target.attributes if hasattr(target, "attributes") else frozenset(("armored", "structure"))
    dmg = weapon.damage + weapon_level
    for attr, extra in weapon.bonus.items():
        if attr in attrs or (attr == "shields" and target.shields > 0):
            dmg += extra
    return max(0.5, dmg - (target.armor + target_armor_level)) * weapon.attacks


def _armor_level(owner: Player, utype) -> int:
    level = owner.levels.get(utype.armor_upgrade, 0) if getattr(utype, "armor_upgrade", None) else 0
    if owner.race == "Protoss":
        level += owner.levels.get("ProtossShields", 0)
    return level


def _targets(game: Game, owner: Player, units: dict[str, int], detected: bool, structures: list | None):
    """(tier 1, tier 2) target lists of (key, type, count, air)."""
    data = game.data
    tier1 = []
    for name, n in units.items():
        if n > 0:
            u = data.units[name]
            if u.cloaked and not detected:
                continue
            tier1.append((name, u, n, u.air))
    tier2 = []
    if structures is not None:
        for s in structures:
            st = data.structures[s.kind]
            entry = (s, st, 1, False)
            (tier1 if st.weapons and s.done else tier2).append(entry)
        if owner.workers > 0:
            tier2.append((_WORKERS, data.units[_worker(owner)], owner.workers, False))
    return tier1, tier2


def _worker(p: Player) -> str:
    from tactica.envs.textsc2.engine import WORKER

    return WORKER[p.race]


def _volley(
    game: Game, shooter: Player, units: dict[str, int], structures: list, target_owner: Player, tiers, dt
):
    """Damage dealt by ``shooter``'s units (and defensive structures) to each target key."""
    data = game.data
    tier1, tier2 = tiers
    out: dict = {}
    noise = math.exp(game.rng.normal(0.0, NOISE_SIGMA)) * shooter.combat_mult
    firing = [(data.units[k], n, k) for k, n in units.items() if n > 0]
    firing += [
        (data.structures[s.kind], 1, None) for s in structures if s.done and data.structures[s.kind].weapons
    ]
    # Per target, once per volley: its key in ``out`` and its armor upgrade level (units only).
    facts: dict[int, tuple] = {}
    for entry in tier1 + tier2:
        key, ttype = entry[0], entry[1]
        structure = hasattr(key, "kind")
        alevel = _armor_level(target_owner, ttype) if key is not None and not structure else 0
        facts[id(entry)] = (id(key) if structure else key, alevel)
    hits = game.damage_cache
    pools: dict[str, tuple[list, int]] = {}
    for utype, n, name in firing:
        mult = noise * (shooter.dps_mult.get(name, 1.0) if name else 1.0)
        wlevel = shooter.levels.get(utype.weapon_upgrade, 0) if getattr(utype, "weapon_upgrade", None) else 0
        splash_override = shooter.splash.get(name) if name else None
        for w in utype.weapons:
            # Who a weapon can shoot depends only on what it targets (ground, air or both): once per volley.
            found = pools.get(w.targets)
            if found is None:
                pool = [t for t in tier1 if w.hits(t[3])]
                if not pool:
                    pool = [t for t in tier2 if w.hits(t[3])]
                found = pools[w.targets] = (pool, sum(t[2] for t in pool))
            pool, total = found
            if not pool:
                continue
            rate = n * mult * dt / w.cooldown
            splash = splash_override or w.splash
            for entry in pool:
                _key, ttype, count, _air = entry
                dk, alevel = facts[id(entry)]
                # The damage of one attack depends only on the weapon, the levels and the target type.
                memo = (id(w), wlevel, id(ttype), alevel)
                hit = hits.get(memo)
                if hit is None:
                    hit = hits[memo] = per_attack_damage(w, wlevel, ttype, alevel)
                factor = 1.0 + (splash - 1.0) * min(1.0, count / 8.0) if splash > 1.0 and count > 1 else 1.0
                out[dk] = out.get(dk, 0.0) + rate * hit * factor * count / total
    return out


def _apply(
    game: Game, owner: Player, enemy: Player, units: dict[str, int], wounds: dict[str, float], damage, heal
):
    """Apply damage to ``owner``'s units, workers and structures; record losses and kills."""
    data = game.data
    unit_damage = sum(v for k, v in damage.items() if isinstance(k, str) and k != _WORKERS)
    scale = 1.0
    if heal > 0.0 and unit_damage > 0.0:
        scale = max(0.0, unit_damage - heal) / unit_damage
    by_id: dict[int, object] | None = None  # built on the first structure hit only
    destroyed = []
    for key, dmg in damage.items():
        if key == _WORKERS:
            u = data.units[_worker(owner)]
            each = u.hp + u.shields
            total = wounds.get(_WORKERS, 0.0) + dmg
            kills = min(owner.workers, int(total // each))
            wounds[_WORKERS] = total - kills * each
            if kills:
                owner.workers -= kills
                owner.supply_used -= kills
                owner._rates = None
                owner.value_lost += kills * u.value
                enemy.value_killed += kills * u.value
        elif isinstance(key, str):
            u = data.units[key]
            each = u.hp + u.shields + owner.hp_bonus.get(key, 0.0)
            total = wounds.get(key, 0.0) + dmg * scale
            kills = min(units.get(key, 0), int(total // each))
            wounds[key] = total - kills * each
            if kills:
                units[key] -= kills
                owner.supply_used -= u.supply / u.count * kills
                owner.value_lost += kills * u.value
                enemy.value_killed += kills * u.value
                if u.supply_provided:
                    owner._cap = None
            if units.get(key, 0) <= 0:
                wounds.pop(key, None)
        else:
            if by_id is None:
                by_id = {id(s): s for s in owner.structures}
            s = by_id.get(key)
            if s is None:
                continue
            s.damage += dmg
            st = data.structures[s.kind]
            if s.damage >= st.hp + st.shields:
                destroyed.append(s)
    for s in destroyed:
        _destroy(game, owner, enemy, s)


def _destroy(game: Game, owner: Player, enemy: Player, s) -> None:
    data = game.data
    st = data.structures[s.kind]
    owner.structures.remove(s)
    owner.structures_changed()
    owner._rates = None
    value = st.minerals + st.gas
    owner.value_lost += value
    enemy.value_killed += value
    if s.job is not None and s.job.kind == "unit":
        for job in (s.job, *s.queue):
            owner.supply_used -= data.units[job.name].supply
    if st.townhall and 0 <= s.base < len(owner.bases):
        still = any(
            o.base == s.base and data.structures[o.kind].townhall for o in owner.structures if o is not s
        )
        if not still:
            owner.bases[s.base].alive = False
    if st.gas_building and 0 <= s.base < len(owner.bases) and s.done:
        gas = owner.bases[s.base].gas
        if gas:
            gas.pop()


def fight_at_base(game: Game, attacker: Player, groups: list[Group], defender: Player, dt: float) -> None:
    """One step of the battle at ``defender``'s base against ``attacker``'s arrived ``groups``."""
    data = game.data
    # Every group that has reached the base fights as one army (a scout joins the army it meets there).
    main = next((g for g in groups if not g.scout), groups[0])
    for g in groups:
        if g is not main:
            for k, v in g.units.items():
                if v:
                    main.units[k] = main.units.get(k, 0) + v
            g.units = {}
    main.scout = all(g.scout for g in groups)
    att_units = main.units
    att_detect = any(v and data.units[k].detector for k, v in att_units.items())
    def_detect = defender.detector_at_home()
    def_tiers = _targets(game, defender, defender.home, att_detect, defender.structures)
    att_tiers = _targets(game, attacker, att_units, def_detect, None)
    # Scouts look, they do not pick fights.
    to_def = {} if main.scout else _volley(game, attacker, att_units, [], defender, def_tiers, dt)
    # With no armed unit at home, the defender pulls its workers to fight (they are also the next targets).
    armed = any(v and data.units[k].weapons and not data.units[k].worker for k, v in defender.home.items())
    shooters = defender.home
    if not armed and defender.workers and not main.scout:
        shooters = {**defender.home, _worker(defender): defender.workers}
    to_att = _volley(game, defender, shooters, defender.structures, attacker, att_tiers, dt)
    # Shield Batteries heal at their rate until their energy (BATTERY_POOL shields each) runs out.
    batteries = [s for s in defender.structures if s.done and data.structures[s.kind].heals]
    if defender.battery_pool is None:
        defender.battery_pool = BATTERY_POOL * len(batteries)
    heal_def = min(defender.battery_pool, sum(data.structures[s.kind].heals for s in batteries) * dt)
    defender.battery_pool -= heal_def
    heal_att = sum(data.units[k].healer * v for k, v in att_units.items()) * dt
    _apply(game, attacker, defender, main.units, main.wounds, to_att, heal_att)
    _apply(game, defender, attacker, defender.home, defender.home_wounds, to_def, heal_def)
