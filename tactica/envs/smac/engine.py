"""The embedded SMAC combat simulator: SC2 micro rules, vectorised with NumPy and batched over environments.

State arrays have shape ``(B, N)`` (``B`` environments, ``N = n_agents + n_enemies`` units, allies first in
SMAC's agent order, then enemies).  One call of :meth:`BattleSim.step` advances every environment by one agent
step of ``STEP_MUL = 8`` game loops:

1. **Orders.**  Allied orders come from SMAC action ids (:meth:`BattleSim.set_actions`): stop, move 2 units
   north/south/east/west, attack enemy ``j`` (a Medivac heals ally ``j``).  Enemy orders come from the built-in
   AI (:meth:`BattleSim._enemy_ai`): attack-move to the map's attack point, acquire the nearest armed ally within
   scan range (``max(range, 5) + radius``, as SC2's attack-move scan), keep a live target while it stays within
   sight, answer an attacker when nothing is in range.  Enemy Medivacs heal the nearest damaged friend or follow
   the army.
2. **Movement.**  Each unit moves at its speed towards its goal for the 8 loops, stopping once its target is in
   weapon range (edge to edge: ``range + both radii``, so melee units touch) or its move point is reached.
   Ground units are then pushed apart where they overlap (structures do not move) and kept on pathable cells
   (sliding along walls); Colossi walk over cliffs and Medivacs fly.
3. **Attacks.**  A unit fires in the first loop in which its weapon is ready and its target is in range; every
   weapon period is at least 10 loops, so each unit fires at most once per step.  Shots are resolved one at a
   time in game-loop order (ties in a seeded random order, like SC2's random update order), so a unit killed in
   loop 3 does not fire in loop 5.  Each hit is absorbed by shields first; what passes the shield loses the
   target's armor (at least 0.5 damage per hit, as in SC2).  Zealots and Colossi hit twice per attack.  After a
   shot the weapon cools down for its period plus a seeded jitter of -1..+2 loops (SC2's weapon randomness;
   ``cooldown_jitter=False`` turns it off for hand-computed tests).  Banelings explode on contact (16 +19 vs
   light, radius 2.2, allied units unharmed) and die; Colossi hit every enemy in a 2.8 x 0.3 line across the
   target.
4. **Support and regeneration.**  Medivacs heal 12.6 HP/s for 1 energy per 3 HP within range 4; Protoss shields
   regenerate 2/s after 10 s without damage; Zerg units regenerate 0.38 HP/s; energy regenerates 0.7875/s.
"""

from __future__ import annotations

import math

import numpy as np

from tactica.envs.smac.maps import ENEMY_TYPE_ORDERS, TYPE_ORDERS, MapSpec
from tactica.envs.smac.units import (
    ENERGY_REGEN_PER_SECOND,
    LOOPS_PER_SECOND,
    SHIELD_REGEN_DELAY_LOOPS,
    SHIELD_REGEN_PER_SECOND,
    STEP_MUL,
    ZERG_REGEN_PER_SECOND,
    UnitType,
    damage_per_attack,
    unit_type,
)

__all__ = [
    "BattleSim",
    "STOP",
    "MOVE",
    "ATTACK",
    "HEAL",
    "ATTACK_MOVE",
    "MOVE_AMOUNT",
    "SHOOT_RANGE",
    "SIGHT_RANGE",
]

# order kinds
STOP, MOVE, ATTACK, HEAL, ATTACK_MOVE = 0, 1, 2, 3, 4
MOVE_AMOUNT = 2.0  # oxwhirl/smac move_amount
SHOOT_RANGE = 6.0  # oxwhirl/smac unit_shoot_range: centre distance that makes an attack action available
SIGHT_RANGE = 9.0  # oxwhirl/smac unit_sight_range
# N, S, E, W as in oxwhirl/smac's Direction enum (actions 2..5)
DIRECTIONS = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
_STEP_S = STEP_MUL / LOOPS_PER_SECOND
_HEAL_RANGE = 4.0
_PROBE = DIRECTIONS[None, None] * (MOVE_AMOUNT / 2)  # avail_actions' pathing probes, half a move away
_count_nonzero = np.count_nonzero  # truth tests on tiny arrays: far cheaper than ndarray.any()/all()


def _layout(groups, type_order: tuple[str, ...]) -> list[tuple[UnitType, float, float]]:
    """Spawn positions: each group in a square grid around its centre; sorted by (type, x, y) like SMAC."""
    units = []
    for group in groups:
        kind = unit_type(group.unit)
        spacing = 2 * kind.radius + 0.1
        cols = math.ceil(math.sqrt(group.count))
        rows = math.ceil(group.count / cols)
        for k in range(group.count):
            r, c = divmod(k, cols)
            x = group.centre[0] + (c - (cols - 1) / 2) * spacing
            y = group.centre[1] + (r - (rows - 1) / 2) * spacing
            units.append((kind, round(x, 4), round(y, 4)))
    rank = {name: i for i, name in enumerate(type_order)}
    units.sort(key=lambda u: (rank.get(u[0].name, len(rank)), u[1], u[2]))
    return units


class BattleSim:
    """A batch of ``num_envs`` independent battles on one map.

    Args:
        spec: the map.
        num_envs: how many battles advance together.
        cooldown_jitter: add SC2's -1..+2 loop weapon jitter (seeded); ``False`` makes fights exactly computable.
        unit_overrides: optional ``(ally_layout, enemy_layout)`` lists of ``(unit name, x, y)`` replacing the map's
            spawns (used by tests and custom scenarios).
    """

    def __init__(
        self,
        spec: MapSpec,
        num_envs: int = 1,
        *,
        cooldown_jitter: bool = True,
        unit_overrides: tuple[list, list] | None = None,
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.spec = spec
        self.num_envs = B = int(num_envs)
        self.cooldown_jitter = bool(cooldown_jitter)
        if unit_overrides is None:
            allies = _layout(spec.allies, TYPE_ORDERS[spec.map_type])
            enemies = _layout(spec.enemies, ENEMY_TYPE_ORDERS[spec.map_type])
        else:
            allies = [(unit_type(n), float(x), float(y)) for n, x, y in unit_overrides[0]]
            enemies = [(unit_type(n), float(x), float(y)) for n, x, y in unit_overrides[1]]
        self.n_agents = A = len(allies)
        self.n_enemies = len(enemies)
        self.n_units = N = A + self.n_enemies
        self.types: list[UnitType] = [u[0] for u in allies + enemies]
        self.start_pos = np.array([[u[1], u[2]] for u in allies + enemies], dtype=np.float64)
        self.team = np.array([0] * A + [1] * self.n_enemies, dtype=np.int8)
        t = self.types
        self.hp_max = np.array([u.health for u in t], float)
        self.sh_max = np.array([u.shield for u in t], float)
        self.armor = np.array([u.armor for u in t], float)
        self.speed = np.array([u.speed_per_loop for u in t], float)
        self.radius = np.array([u.radius for u in t], float)
        self.weapon_range = np.array([u.range for u in t], float)
        self.sight = np.array([u.sight for u in t], float)
        self.period = np.array([u.period_loops for u in t], np.int64)
        self.attacks = np.array([u.attacks for u in t], np.int64)
        self.flying = np.array([u.flying for u in t], bool)
        self.healer = np.array([u.is_healer for u in t], bool)
        self.armed = np.array([u.is_armed for u in t], bool)
        self.cliff_walker = np.array([u.cliff_walker for u in t], bool)
        self.zerg = np.array([u.race == "zerg" for u in t], bool)
        self.mobile = self.speed > 0
        self.energy_max = np.array([u.energy_max for u in t], float)
        self.scan = np.maximum(self.weapon_range, 5.0) + self.radius
        self.ground = ~self.flying
        # damage of one attack of i on j (0 within a team: no friendly fire in SMAC micro)
        self.damage = np.array(
            [
                [damage_per_attack(a, b) if ti != tj else 0.0 for b, tj in zip(t, self.team)]
                for a, ti in zip(t, self.team)
            ]
        )
        self.grid = spec.pathing_grid()
        self.max_cd = np.array([u.max_cooldown_loops for u in t], float)
        self.attack_point = np.array(spec.enemy_attack_point, float)
        # dynamic state
        self.pos = np.zeros((B, N, 2))
        self.hp = np.zeros((B, N))
        self.sh = np.zeros((B, N))
        self.energy = np.zeros((B, N))
        self.cd = np.zeros((B, N), np.int64)
        self.alive = np.zeros((B, N), bool)
        self.order = np.zeros((B, N), np.int8)
        self.target = np.zeros((B, N), np.int64)
        self.point = np.zeros((B, N, 2))
        self.last_hit = np.zeros((B, N), np.int64)
        self.attacked_by = np.full((B, N), -1, np.int64)
        self.loop = np.zeros(B, np.int64)
        self.damage_to = np.zeros((B, 2))  # hp + shield damage received, per team (0 allies, 1 enemies)
        self._arange_n = np.arange(N)
        self._build_tables()
        self.reset()

    def _build_tables(self) -> None:
        """Static lookup tables that keep the per-step work to a few NumPy calls."""
        A, N, B, E = self.n_agents, self.n_units, self.num_envs, self.n_enemies
        W, H = self.grid.shape
        padded = np.zeros((W + 2, H + 2), bool)
        padded[1:-1, 1:-1] = self.grid
        self._grid_flat = padded.reshape(-1)
        self._grid_h = H + 2
        self._cell_stride = np.array([H + 2, 1], np.intp)
        self._cell_offset = H + 3
        self._map_max = float(W) - 1e-6
        self._boff = (np.arange(B) * N)[:, None]  # flat offset of each env's units
        self._boff_e = (np.arange(B * E) * A).reshape(B, E)  # flat offset into (B, E, A) arrays
        # flat offset of each enemy's row in (B, N, N) arrays
        self._boff_ed = (np.arange(B)[:, None] * N + np.arange(A, N)[None, :]) * N
        # action id -> order kind / target unit / move offset, per agent
        kinds = np.full((A, 6 + E), STOP, np.int8)
        kinds[:, 2:6] = MOVE
        kinds[:, 6:] = np.where(self.healer[:A, None], HEAL, ATTACK)
        slots = np.arange(E)
        targets = np.zeros((A, 6 + E), np.int64)
        targets[:, 6:] = np.where(
            self.healer[:A, None], np.minimum(slots, A - 1)[None, :], A + slots[None, :]
        )
        self._act_kind, self._act_target = kinds, targets
        self._act_dir = np.zeros((6 + E, 2))
        self._act_dir[2:6] = DIRECTIONS * MOVE_AMOUNT
        self._agent_rows = np.arange(A)
        self._engages = np.array([False, False, True, True, False])  # indexed by order kind
        self._moves = np.array([False, True, True, True, True])
        self._is_attack = np.array([False, False, True, False, False])  # order == ATTACK
        self._healer_ids = np.nonzero(self.healer)[0]
        self._own_reach = np.where(self.healer, _HEAL_RANGE, self.weapon_range) + self.radius
        self._inv_speed = np.where(self.speed > 0, 1.0 / np.maximum(self.speed, 1e-12), 1e9)
        self._travel = self.speed * STEP_MUL
        self._can_fire = self.armed & ~self.healer
        solid_pair = self.ground[:, None] & self.ground[None, :]
        np.fill_diagonal(solid_pair, False)
        self._rsum = np.where(solid_pair, self.radius[:, None] + self.radius[None, :], -1.0)
        self._near = np.where(solid_pair, self._rsum + 2 * self._travel.max() + 1e-6, -1.0)
        mob = self.mobile.astype(float)
        self._share = mob[:, None] / np.maximum(mob[:, None] + mob[None, :], 1e-9)
        i = self._arange_n.astype(float)
        self._tie = np.stack([np.cos(i[:, None] - i[None, :]), np.sin(i[:, None] - i[None, :])], -1)
        self._scan_ea = self.scan[A:, None] + self.radius[None, :A]
        self._leash_e = self.sight[A:]
        self._unarmed_penalty = np.where(self.armed[:A], 0.0, 100.0)
        self._free = self.flying | self.cliff_walker
        self._enemy_armed = self.armed[A:]
        self._enemy_healer_ids = np.arange(A, N)[self.healer[A:]]
        self._any_shield = bool((self.sh_max > 0).any())
        self._any_zerg = bool(self.zerg.any())
        self._ally_healers = bool(self.healer[:A].any())
        # plain-list copies for the per-shot loop
        self._damage_l = self.damage.tolist()
        self._armor_l = self.armor.tolist()
        self._attacks_l = self.attacks.tolist()
        self._period_l = self.period.tolist()
        self._team_l = self.team.tolist()

    # ------------------------------------------------------------------ reset
    def reset(self, envs: np.ndarray | None = None) -> None:
        """Put the battles ``envs`` (all by default; an index array or bool mask) back at their start."""
        e = slice(None) if envs is None else envs
        self.pos[e] = self.start_pos
        self.hp[e] = self.hp_max
        self.sh[e] = self.sh_max
        self.energy[e] = np.array([u.energy_start for u in self.types])
        self.cd[e] = 0
        self.alive[e] = True
        self.order[e] = STOP
        self.target[e] = 0
        self.point[e] = self.start_pos
        self.point[e, self.n_agents :] = np.where(
            self.armed[self.n_agents :, None], self.attack_point, self.start_pos[self.n_agents :]
        )
        self.last_hit[e] = -(10**6)
        self.attacked_by[e] = -1
        self.loop[e] = 0
        self.damage_to[e] = 0.0

    # ---------------------------------------------------------------- queries
    def distances(self) -> np.ndarray:
        """Centre distances between all units, shape (B, N, N)."""
        x, y = self.pos[..., 0], self.pos[..., 1]
        return np.hypot(x[:, :, None] - x[:, None, :], y[:, :, None] - y[:, None, :])

    def pathable(self, xy: np.ndarray) -> np.ndarray:
        """Whether points ``xy`` (..., 2) are inside the map and on pathable ground (within 1 of the map)."""
        # flat cell (x + 1) * grid_h + (y + 1): the padded grid has a blocked border of one cell
        return self._grid_flat[np.floor(xy).astype(np.intp) @ self._cell_stride + self._cell_offset]

    def avail_actions(self, dist: np.ndarray | None = None) -> np.ndarray:
        """SMAC's available-action mask for every agent, int8 (B, n_agents, 6 + n_enemies)."""
        A, E = self.n_agents, self.n_enemies
        B = self.num_envs
        if dist is None:
            dist = self.distances()
        avail = np.zeros((B, A, 6 + E), np.int8)
        alive = self.alive[:, :A]
        probe = self.pos[:, :A, None, :] + _PROBE
        avail[:, :, 1] = alive
        avail[:, :, 2:6] = self.pathable(probe) & alive[:, :, None]
        in_range = dist[:, :A, A:] <= SHOOT_RANGE
        shoot = in_range & self.alive[:, None, A:] & alive[:, :, None]
        if self._ally_healers:
            heal_ok = (
                (dist[:, :A, :A] <= SHOOT_RANGE) & self.alive[:, None, :A] & ~self.healer[None, None, :A]
            )
            heal_ok &= alive[:, :, None]
            healers = self.healer[:A]
            shoot[:, healers, :] = False
            k = min(A, E)  # heal targets use the attack slots: ally j is action 6 + j
            shoot[:, healers, :k] = heal_ok[:, healers, :k]
        avail[:, :, 6:] = shoot
        avail[:, :, 0] = ~alive
        return avail

    # ---------------------------------------------------------------- actions
    def set_actions(self, actions: np.ndarray) -> None:
        """Turn SMAC action ids (B, n_agents) into allied orders (validity is the caller's job)."""
        A = self.n_agents
        act = np.asarray(actions, dtype=np.intp).reshape(self.num_envs, A)
        self.order[:, :A] = self._act_kind[self._agent_rows, act]
        self.target[:, :A] = self._act_target[self._agent_rows, act]
        # a move order's point is 2 away from where the unit stands now (only MOVE orders read it)
        self.point[:, :A] = self.pos[:, :A] + self._act_dir[act]

    def _enemy_ai(self, dist: np.ndarray) -> None:
        """The built-in AI's orders for every enemy unit (vectorised over envs and units)."""
        A = self.n_agents
        d = dist[:, A:, :A]  # (B, E, A)
        alive_flat = self.alive.reshape(-1)
        # keep a live target that is still within sight (enemy targets are always allies: ids < A)
        cur = self.target[:, A:]
        # healers' targets are friends: masked
        cur_d = dist.reshape(-1)[self._boff_ed + np.minimum(cur, A - 1)]
        keep = self._is_attack[self.order[:, A:]] & alive_flat[self._boff + cur] & (cur_d <= self._leash_e)
        # acquire: nearest ally within scan range, armed units first (SC2 prefers threats)
        score = np.where((d <= self._scan_ea) & self.alive[:, None, :A], d + self._unarmed_penalty, np.inf)
        best = score.argmin(axis=2)
        has = score.reshape(-1)[self._boff_e + best] < np.inf
        new_target = np.where(keep, cur, best)
        engaged = keep | has
        # nothing in range: answer a live attacker, else keep attack-moving
        if _count_nonzero(engaged) != engaged.size:
            idle = ~engaged
            attacker = self.attacked_by[:, A:]
            answer = (attacker >= 0) & alive_flat[self._boff + np.maximum(attacker, 0)]
            new_target = np.where(idle, np.where(answer, attacker, -1), new_target)
            order = np.where(new_target >= 0, ATTACK, ATTACK_MOVE)
            target = np.maximum(new_target, 0)
        else:  # every enemy has a (non-negative) target
            order, target = ATTACK, new_target
        # armed enemies' move point is the attack point (set at reset); healers are handled below
        if self._enemy_healer_ids.size:
            armed = self._enemy_armed
            self.order[:, A:] = np.where(armed, order, self.order[:, A:])
            self.target[:, A:] = np.where(armed, target, self.target[:, A:])
        else:
            self.order[:, A:] = order
            self.target[:, A:] = target
        if self._enemy_healer_ids.size:
            self._enemy_healers(dist, self._enemy_healer_ids)

    def _enemy_healers(self, dist: np.ndarray, healers: np.ndarray) -> None:
        A = self.n_agents
        friends = np.arange(A, self.n_units)
        patients = friends[~self.healer[A:]]
        for h in healers:
            hurt = self.alive[:, patients] & (self.hp[:, patients] < self.hp_max[patients])
            d = np.where(hurt, dist[:, h, patients], np.inf)
            near = d <= self.sight[h]
            pick = np.argmin(d, axis=1)
            has = near[np.arange(self.num_envs), pick]
            army = self.alive[:, patients]
            count = np.maximum(army.sum(1), 1)
            centroid = (self.pos[:, patients] * army[..., None]).sum(1) / count[:, None]
            behind = centroid + np.array([2.0, 0.0]) * np.sign(self.pos[:, h, 0:1] - centroid[:, 0:1] + 1e-9)
            self.order[:, h] = np.where(has, HEAL, MOVE)
            self.target[:, h] = np.where(has, patients[pick], 0)
            self.point[:, h] = np.where(has[:, None], self.point[:, h], behind)

    # ------------------------------------------------------------------- step
    def step(self, actions: np.ndarray, rng: np.random.Generator, dist: np.ndarray | None = None) -> None:
        """Advance every battle by one agent step (8 game loops) with allied SMAC actions (B, n_agents).

        ``dist`` may pass the current distance matrix when the caller already has it.
        """
        self.set_actions(actions)
        if dist is None:
            dist = self.distances()
        self._enemy_ai(dist)
        fire_loop = self._move(dist)
        jitter = rng.integers(-1, 3, size=fire_loop.shape) if self.cooldown_jitter else None
        self._resolve_attacks(fire_loop, jitter, rng)
        self._heal()
        self._regenerate()
        self.cd = np.maximum(self.cd - STEP_MUL, 0)
        self.loop += STEP_MUL

    def _move(self, dist: np.ndarray) -> np.ndarray:
        """Move units for 8 loops; return the loop (0..7) each unit fires in, or 99."""
        order = self.order
        tgt = self.target
        flat_t = self._boff + tgt
        engage = self._engages[order] & self.alive.reshape(-1)[flat_t] & self.alive
        goal = np.where(engage[..., None], self.pos.reshape(-1, 2)[flat_t], self.point)
        moving = self._moves[order] & self.alive
        delta = goal - self.pos
        d = np.hypot(delta[..., 0], delta[..., 1])
        gap = np.maximum(d - engage * (self._own_reach + self.radius[tgt]), 0.0)
        travel = np.minimum(gap, self._travel) * moving
        new = self.pos + delta * (travel / np.maximum(d, 1e-9))[..., None]
        # units move at most _travel per step: pairs further apart than that cannot touch, so skip the check
        if _count_nonzero(dist <= self._near):
            new = self._collide(new)
        self.pos = self._keep_on_ground(new)
        fire_loop = np.maximum(self.cd, np.ceil(gap * self._inv_speed - 1e-9))
        fire = engage & self._is_attack[order] & self._can_fire & (fire_loop < STEP_MUL)
        return np.where(fire, fire_loop, 99).astype(np.int64)

    def _collide(self, new: np.ndarray) -> np.ndarray:
        """Push overlapping ground units apart (structures stay put)."""
        dx = new[:, :, None, 0] - new[:, None, :, 0]
        dy = new[:, :, None, 1] - new[:, None, :, 1]
        d = np.hypot(dx, dy)
        overlap = self._rsum - d  # negative for air units and the diagonal
        overlap *= self.alive[:, :, None]
        overlap *= self.alive[:, None, :]
        np.maximum(overlap, 0.0, out=overlap)
        if not _count_nonzero(overlap):
            return new
        overlap *= self._share
        # push i away from j along their separating direction: sum_j overlap_ij * (x_i - x_j) / d_ij
        coef = overlap / np.maximum(d, 1e-6)
        out = new.copy()
        out[..., 0] += (coef * dx).sum(2)
        out[..., 1] += (coef * dy).sum(2)
        # the diagonal is always within 1e-6, so only more hits than diagonal cells can mean a stacked pair
        if _count_nonzero(d <= 1e-6) > d.shape[0] * d.shape[1]:
            stacked = (overlap > 0) & (d <= 1e-6)
            # coincident units separate along a fixed direction that depends on their indices
            if _count_nonzero(stacked):
                out += np.einsum("bij,ijk->bik", overlap * stacked, self._tie)
        return out

    def _keep_on_ground(self, new: np.ndarray) -> np.ndarray:
        """Ground units may not leave pathable cells; they slide along the blocked axis instead."""
        old = self.pos
        new = np.minimum(np.maximum(new, 0.0), self._map_max)
        ok = self.pathable(new) | self._free
        if _count_nonzero(ok) == ok.size:
            return new
        slide_x = np.stack([new[..., 0], old[..., 1]], -1)
        slide_y = np.stack([old[..., 0], new[..., 1]], -1)
        ok_x = self.pathable(slide_x)
        ok_y = self.pathable(slide_y)
        fallback = np.where(ok_x[..., None], slide_x, np.where(ok_y[..., None], slide_y, old))
        return np.where(ok[..., None], new, fallback)

    def _resolve_attacks(
        self, fire_loop: np.ndarray, jitter: np.ndarray | None, rng: np.random.Generator
    ) -> None:
        """Fire every ready weapon in game-loop order, one shot at a time.

        Shots are few per step and strictly sequential (a kill cancels later shots), so they are resolved on
        plain Python lists of the battle state and written back once.
        """
        b_idx, i_idx = np.nonzero(fire_loop < STEP_MUL)
        if b_idx.size == 0:
            return
        loops = fire_loop[b_idx, i_idx]
        if b_idx.size > 1:
            order = np.lexsort((rng.random(b_idx.size), loops))
            b_idx, i_idx, loops = b_idx[order], i_idx[order], loops[order]
        N = self.n_units
        led = _Ledger(self)
        target = self.target.reshape(-1)
        jit = jitter.reshape(-1).tolist() if jitter is not None else None
        cd = self.cd.reshape(-1)
        attacked_by = self.attacked_by.reshape(-1)
        types, period, start = self.types, self._period_l, self.loop.tolist()
        for b, i, fl in zip(b_idx.tolist(), i_idx.tolist(), loops.tolist()):
            shooter = b * N + i
            t = int(target[shooter])
            victim = b * N + t
            if not led.alive[shooter] or not led.alive[victim]:
                continue
            kind = types[i]
            now = start[b] + fl
            if kind.suicide:
                self._splash_radius(led, b, i, now)
                led.damage[b][self._team_l[i]] += led.hp[shooter] + led.sh[shooter]
                led.kill(shooter)
                continue
            led.hit(b, i, t, now)
            if kind.splash == "line":
                self._splash_line(led, b, i, t, now)
            cd[shooter] = fl + period[i] + (jit[shooter] if jit is not None else 0)
            attacked_by[victim] = i
        led.write_back()

    def _victims(self, led: _Ledger, b: int, i: int) -> np.ndarray:
        N = self.n_units
        alive = np.array(led.alive[b * N : (b + 1) * N], bool)
        return np.nonzero(alive & (self.team != self.team[i]) & self.ground)[0]

    def _splash_radius(self, led: _Ledger, b: int, i: int, now: int) -> None:
        radius = self.types[i].splash_radius
        victims = self._victims(led, b, i)
        d = np.linalg.norm(self.pos[b, victims] - self.pos[b, i], axis=1) - self.radius[victims]
        for t in victims[d <= radius].tolist():
            led.hit(b, i, t, now)

    def _splash_line(self, led: _Ledger, b: int, i: int, t: int, now: int) -> None:
        kind = self.types[i]
        axis = self.pos[b, t] - self.pos[b, i]
        norm = float(np.hypot(*axis))
        if norm < 1e-9:
            return
        along_dir = axis / norm
        across_dir = np.array([-along_dir[1], along_dir[0]])
        victims = self._victims(led, b, i)
        victims = victims[victims != t]
        rel = self.pos[b, victims] - self.pos[b, t]
        across = np.abs(rel @ across_dir) - self.radius[victims]
        along = np.abs(rel @ along_dir) - self.radius[victims]
        for v in victims[(across <= kind.splash_length / 2) & (along <= kind.splash_width / 2)].tolist():
            led.hit(b, i, v, now)

    def _heal(self) -> None:
        healers = self._healer_ids
        if healers.size == 0:
            return
        B = self.num_envs
        bidx = np.arange(B)[:, None]
        tgt = self.target[:, healers]
        d = np.linalg.norm(self.pos[bidx, tgt] - self.pos[:, healers], axis=-1)
        ok = (
            (self.order[:, healers] == HEAL)
            & self.alive[:, healers]
            & self.alive[bidx, tgt]
            & (d <= _HEAL_RANGE + self.radius[healers] + self.radius[tgt])
        )
        per_step = np.array([self.types[h].heal_per_second for h in healers]) * _STEP_S
        per_energy = np.array([self.types[h].heal_per_energy for h in healers])
        missing = self.hp_max[tgt] - self.hp[bidx, tgt]
        amount = np.minimum(np.minimum(per_step, missing), self.energy[:, healers] * per_energy) * ok
        amount = np.maximum(amount, 0.0)
        np.add.at(self.hp, (np.broadcast_to(bidx, tgt.shape), tgt), amount)
        self.energy[:, healers] -= amount / per_energy

    def _regenerate(self) -> None:
        if self._any_shield:
            # now - last_hit >= delay, with now the loop after this step (exact integer arithmetic)
            recent = self.loop[:, None] + (STEP_MUL - SHIELD_REGEN_DELAY_LOOPS)
            shielded = self.alive & (self.sh < self.sh_max) & (self.last_hit <= recent)
            if _count_nonzero(shielded):
                regen = np.minimum(self.sh + SHIELD_REGEN_PER_SECOND * _STEP_S, self.sh_max)
                self.sh = np.where(shielded, regen, self.sh)
        if self._any_zerg:
            grow = self.alive & self.zerg
            self.hp = np.where(
                grow, np.minimum(self.hp + ZERG_REGEN_PER_SECOND * _STEP_S, self.hp_max), self.hp
            )
        if self._enemy_healer_ids.size or self._ally_healers:
            regen = np.minimum(self.energy + ENERGY_REGEN_PER_SECOND * _STEP_S, self.energy_max)
            self.energy = np.where(self.alive & self.healer, regen, self.energy)


class _Ledger:
    """Health, shields and life of a batch as Python lists while shots resolve one by one."""

    def __init__(self, sim: BattleSim):
        self.sim = sim
        self.hp = sim.hp.reshape(-1).tolist()
        self.sh = sim.sh.reshape(-1).tolist()
        self.alive = sim.alive.reshape(-1).tolist()
        self.damage = sim.damage_to.tolist()
        self.hit_at: dict[int, int] = {}

    def hit(self, b: int, i: int, t: int, now: int) -> None:
        """One attack of unit i on unit t in env b: every hit goes through shields first, then armor."""
        sim = self.sim
        per_hit = sim._damage_l[i][t]
        if per_hit <= 0:
            return
        k = b * sim.n_units + t
        hp, sh, armor = self.hp[k], self.sh[k], sim._armor_l[t]
        dealt = 0.0
        for _ in range(sim._attacks_l[i]):
            if hp <= 0:
                break
            absorbed = min(sh, per_hit)
            sh -= absorbed
            rest = per_hit - absorbed
            if rest > 0:
                loss = min(max(rest - armor, 0.5), hp)
                hp -= loss
                dealt += loss
            dealt += absorbed
        self.hp[k], self.sh[k] = hp, sh
        self.hit_at[k] = now
        self.damage[b][sim._team_l[t]] += dealt
        if hp <= 0:
            self.kill(k)

    def kill(self, k: int) -> None:
        self.hp[k] = 0.0
        self.sh[k] = 0.0
        self.alive[k] = False

    def write_back(self) -> None:
        sim = self.sim
        shape = sim.hp.shape
        sim.hp = np.array(self.hp).reshape(shape)
        sim.sh = np.array(self.sh).reshape(shape)
        alive = np.array(self.alive, bool).reshape(shape)
        died = sim.alive & ~alive
        sim.alive = alive
        if _count_nonzero(died):  # the dead drop their orders
            sim.order[died] = STOP
        sim.damage_to = np.array(self.damage)
        if self.hit_at:
            flat = sim.last_hit.reshape(-1)
            for k, now in self.hit_at.items():
                flat[k] = now
