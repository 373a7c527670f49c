"""The embedded SMAC combat simulator: SC2 micro rules on the real maps, compiled with Numba, batched over battles.

State arrays have shape ``(B, N)`` (``B`` battles, ``N = n_agents + n_enemies`` units, allies first in SMAC's
agent order, then enemies in creation order).  One call of :meth:`BattleSim.step` advances every battle by one
agent step of ``STEP_MUL = 8`` game loops (16 loops per game second), loop by loop
(:func:`tactica.envs.smac.kernels.step_batch`):

1. **Delayed hits land**: missiles (Stalker, Marauder, Hydralisk, Spine Crawler; travel time from the missile
   speeds of the data), a Zealot's second blade 0.28 s after the first, the Colossus's beams 0.375 s after it
   fires.  A missile lands even if its shooter has died; channelled hits (Zealot, Colossus) do not.
2. **Orders.**  Allied orders come from SMAC action ids (:meth:`BattleSim.set_actions`): stop, move 2 north /
   south / east / west, attack enemy ``j`` (a Medivac heals ally ``j``); allies never act on their own (SMAC's
   "RL" copies are passive).  Enemies follow the map script's order (attack-move to a point, attack the allied
   group on 2c_vs_64zg, none on 2s_vs_1sc).  The maps start no AI script (no MeleeInitAI or AIStart in their
   MapScript.galaxy), so the enemies act on SC2's default unit behaviour: on attack-move they acquire the
   closest ally they can hit within ``max(range, 5)`` of their edge (threats before unarmed units, and one
   they can reach before one that an attacking friend of theirs, which holds position, stands in front of),
   keep it while it is in range or, with nothing else in range, within sight as long as no such friend blocks
   the way to it while another target is free (a structure: only in range), switch to a target in range when
   theirs is not, and turn on allies that shoot them.  The scripted attack on the allied group (2c_vs_64zg) takes the closest allied unit and keeps it
   until a friend blocks the way to it, then takes the closest one it can reach.  An enemy Medivac's heal
   autocasts on the most hurt biological friend within 6; otherwise it flies on to the attack point.
3. **Movement.**  Units walk at their data speed (the Medivac accelerates at 2.3125 per game second squared
   and flies) towards their goal along the pathing grid: straight when the line is clear, else along the
   shortest cell path (8-neighbourhood; two walkable cells that share a corner connect through it).  Every move
   is checked cell by cell, so ground units never enter or cross unwalkable cells; blocked moves slide along
   the wall.  Colossi also walk over cliffs.
4. **Attacks.**  A unit whose target is within weapon range (edge to edge) and whose weapon is ready starts an
   attack: it stands still for the damage point, then fires; the weapon is ready again after its period plus
   SC2's random delay (-1..+2 loops, seeded; ``cooldown_jitter=False`` turns it off).  Each hit is absorbed by
   shields first; what passes loses the target's armor (at least 0.5 per hit).  Weapons hit only the planes
   their data allow (Marauders, Zealots, Colossi, Zerglings, Banelings and Spine Crawlers cannot hit the
   Medivac).  A Baneling bursts when its target is within 0.25 (20 +15 vs light to every enemy
   ground unit within 2.2) and dies; a killed Baneling bursts too (its BanelingExplode death response);
   each Colossus beam hits every enemy ground unit on a 2.5-long line across the target.
5. **Collisions**: overlapping units whose SC2 collision layers meet are pushed apart (Gauss-Seidel passes, more
   of them in the last loop of a step); structures never move and a unit firing is not pushed by one that is
   not.  Air units and Colossi (which step over small units) are exempt; Colossi still collide with Colossi
   and structures.
6. **Support and regeneration** (from the maps' unit data): Medivacs heal 9 HP per game second for 0.33 energy
   per HP within range 4; shields regenerate 2 per game second after 10 game seconds (160 loops) without
   damage; Zerg units regenerate 0.2734 HP per game second; energy 0.5625 per game second.

Units spawn where SC2's ``CreateUnits`` puts them: one after another, each at the free spot nearest to the map
script's point (on a 1/8 lattice, in walkable cells, not overlapping earlier units).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tactica.envs.smac import kernels as K
from tactica.envs.smac.maps import TYPE_ORDERS, MapSpec
from tactica.envs.smac.units import (  # noqa: F401  (DIRECTIONS, SHOOT_RANGE, SIGHT_RANGE: engine's API)
    DIRECTIONS,
    LOOPS_PER_GAME_SECOND,
    SHOOT_RANGE,
    SIGHT_RANGE,
    STEP_MUL,
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
    "DIRECTIONS",
]

STOP, MOVE, ATTACK, HEAL, ATTACK_MOVE = K.STOP, K.MOVE, K.ATTACK, K.HEAL, K.ATTACK_MOVE
MOVE_AMOUNT = 2.0  # oxwhirl/smac move_amount
_AI_MODES = {"attack_point": K.AI_ATTACK_POINT, "attack_random_point_between": K.AI_ATTACK_POINT}
_AI_MODES.update({"attack_allies": K.AI_ATTACK_ALLIES, "none": K.AI_IDLE})
_MOVERS = {"ground": K.MOVER_GROUND, "fly": K.MOVER_FLY, "colossus": K.MOVER_COLOSSUS}
_MOVERS["structure"] = K.MOVER_STRUCTURE
_COLLIDE_ITERS = 160  # at most this many Gauss-Seidel passes per game loop (they stop once units are apart)
_FINAL_ITERS = 160  # ...and in the last loop of a step, so steps end with units apart


# ----------------------------------------------------------------------------------------- terrain
@lru_cache(maxsize=32)
def _terrain(terrain: tuple[str, ...]):
    """Walk grids (ground, Colossus), nearest-walkable-cell tables and all-pairs walking distances."""
    rows = np.array([list(r) for r in terrain])[::-1].T  # [x, y]
    ground = rows == "."
    colossus = ground | (rows == "c")
    walk = np.stack([ground, colossus]).astype(np.uint8)
    W, H = ground.shape
    nearest = np.stack([_nearest_cells(ground), _nearest_cells(colossus)])
    fields = K.all_distance_fields(walk)  # shortest walking distance to every cell, 2 x 8 MB
    have = np.ones((2, W * H), np.uint8)
    return walk, nearest, fields, have


def _nearest_cells(walkable: np.ndarray) -> np.ndarray:
    """For every cell, the index ``x * H + y`` of the nearest walkable cell (Euclidean between centres)."""
    W, H = walkable.shape
    xs, ys = np.nonzero(walkable)
    if xs.size == 0:
        return np.full(W * H, -1, np.int64)
    cx, cy = np.meshgrid(np.arange(W), np.arange(H), indexing="ij")
    d = (cx.reshape(-1, 1) - xs[None, :]) ** 2 + (cy.reshape(-1, 1) - ys[None, :]) ** 2
    k = d.argmin(axis=1)
    return (xs[k] * H + ys[k]).astype(np.int64)


@lru_cache(maxsize=1)
def _lattice(step: float = 0.125, reach: float = 12.0) -> np.ndarray:
    """Spawn-search offsets on a lattice, nearest first (ties broken by angle, for determinism)."""
    n = int(reach / step)
    g = np.arange(-n, n + 1) * step
    ox, oy = np.meshgrid(g, g, indexing="ij")
    off = np.stack([ox.ravel(), oy.ravel()], 1)
    r = np.hypot(off[:, 0], off[:, 1])
    keep = r <= reach
    off, r = off[keep], r[keep]
    order = np.lexsort((np.arctan2(off[:, 1], off[:, 0]), np.round(r, 9)))
    return off[order]


def _fits(walk: np.ndarray, x: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """Whether a unit centred at each (x, y) has its centre and its four axis extremes on walkable cells."""
    W, H = walk.shape
    ok = np.ones(x.shape, bool)
    for dx, dy in ((0, 0), (radius, 0), (-radius, 0), (0, radius), (0, -radius)):
        cx = np.floor(x + dx * 0.999).astype(int)
        cy = np.floor(y + dy * 0.999).astype(int)
        inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
        ok &= inside
        ok[inside] &= walk[cx[inside], cy[inside]] != 0
    return ok


def spawn_layout(spec: MapSpec) -> tuple[list, list]:
    """Where the map script's ``CreateUnits`` calls put each unit (allies sorted as SMAC sorts its agents)."""
    return _spawn_layout(spec.name, spec.terrain, spec.allies, spec.enemies, spec.map_type)


@lru_cache(maxsize=32)
def _spawn_layout(name, terrain, allies, enemies, map_type):
    walk, _, _, _ = _terrain(terrain)
    offsets = _lattice()
    placed: list[tuple[UnitType, float, float]] = []
    teams: list[list[tuple[UnitType, float, float]]] = [[], []]
    for team, groups in enumerate((allies, enemies)):
        for group in groups:
            kind = unit_type(group.unit)
            cx, cy = group.centre
            xs = cx + offsets[:, 0]
            ys = cy + offsets[:, 1]
            fits = np.flatnonzero(_fits(walk[1 if kind.cliff_walker else 0], xs, ys, kind.radius))
            for _ in range(group.count):
                if kind.flying:
                    x, y = cx, cy
                else:
                    x = y = None
                    others = [
                        (px, py, kind.radius + other.radius - 1e-9)
                        for other, px, py in placed
                        if other.collide_mask & kind.collide_mask
                    ]
                    o = np.array(others).reshape(-1, 3)
                    for start in range(0, fits.size, 512):  # the nearest free spot is nearly always early
                        k = fits[start : start + 512]
                        free = (
                            (xs[k, None] - o[None, :, 0]) ** 2 + (ys[k, None] - o[None, :, 1]) ** 2
                            >= o[None, :, 2] ** 2
                        ).all(axis=1)
                        if free.any():
                            first = k[np.argmax(free)]
                            x, y = float(xs[first]), float(ys[first])
                            break
                    if x is None:
                        raise ValueError(f"{name}: no room to place a {kind.name} near {group.centre}")
                placed.append((kind, x, y))
                teams[team].append((kind, x, y))
    rank = {unit: i for i, unit in enumerate(TYPE_ORDERS[map_type])}
    ally_units = sorted(teams[0], key=lambda u: (rank.get(u[0].name, len(rank)), u[1], u[2]))
    return ally_units, teams[1]


class BattleSim:
    """A batch of ``num_envs`` independent battles on one map.

    Args:
        spec: the map.
        num_envs: how many battles advance together.
        cooldown_jitter: add SC2's -1..+2 loop weapon random delay (seeded); ``False`` makes fights exactly
            computable.
        unit_overrides: optional ``(ally_layout, enemy_layout)`` lists of ``(unit name, x, y)`` replacing the map's
            spawns (used by tests and custom scenarios).
        heuristic_ai: allied units follow oxwhirl/smac's heuristic instead of the actions (``heuristic_ai=True``).
        heuristic_rest: with ``heuristic_ai``, approach targets beyond SMAC's shooting range with moves.
        collisions: resolve unit collisions (``False`` only for experiments).
    """

    def __init__(
        self,
        spec: MapSpec,
        num_envs: int = 1,
        *,
        cooldown_jitter: bool = True,
        unit_overrides: tuple[list, list] | None = None,
        heuristic_ai: bool = False,
        heuristic_rest: bool = False,
        collisions: bool = True,
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.spec = spec
        self.num_envs = B = int(num_envs)
        self.cooldown_jitter = bool(cooldown_jitter)
        self.heuristic_ai = bool(heuristic_ai)
        self.heuristic_rest = bool(heuristic_rest)
        self.collisions = bool(collisions)
        if unit_overrides is None:
            allies, enemies = spawn_layout(spec)
        else:
            allies = [(unit_type(n), float(x), float(y)) for n, x, y in unit_overrides[0]]
            enemies = [(unit_type(n), float(x), float(y)) for n, x, y in unit_overrides[1]]
            if not allies or not enemies:
                raise ValueError("unit_overrides needs at least one ally and one enemy")
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
        self.radius = np.array([u.radius for u in t], float)
        self.weapon_range = np.array([u.range for u in t], float)
        self.sight = np.array([u.sight for u in t], float)
        self.flying = np.array([u.flying for u in t], bool)
        self.healer = np.array([u.is_healer for u in t], bool)
        self.armed = np.array([u.is_armed for u in t], bool)
        self.cliff_walker = np.array([u.cliff_walker for u in t], bool)
        self.ground = ~self.flying
        self.collide_mask = np.array([u.collide_mask for u in t], np.int64)
        self.energy_max = np.array([u.energy_max for u in t], float)
        self.max_cd = np.array([u.max_cooldown_loops for u in t], float)
        # damage of one hit of i on j: 0 within a team (no friendly fire) and where the weapon cannot hit
        self.damage = np.array(
            [
                [damage_per_attack(a, b) if ti != tj else 0.0 for b, tj in zip(t, self.team)]
                for a, ti in zip(t, self.team)
            ]
        )
        self.grid = spec.pathing_grid()
        self._walk, self._nearest, self._fields, self._have = _terrain(spec.terrain)
        self._ai_mode = _AI_MODES[spec.enemy_order]
        self._fu, self._iu = self._unit_tables()
        # dynamic state
        self.pos = np.zeros((B, N, 2))
        self.vel = np.zeros((B, N))
        self.hp = np.zeros((B, N))
        self.sh = np.zeros((B, N))
        self.energy = np.zeros((B, N))
        self.cd = np.zeros((B, N))
        self.alive = np.zeros((B, N), bool)
        self.order = np.zeros((B, N), np.int8)
        self.target = np.zeros((B, N), np.int64)
        self.point = np.zeros((B, N, 2))
        self.swing = np.zeros((B, N))
        self.swing_target = np.zeros((B, N), np.int64)
        self.last_hit = np.zeros((B, N))
        self.attacked_by = np.zeros((B, N), np.int64)
        self.loop = np.zeros(B, np.int64)
        self.damage_to = np.zeros((B, 2))  # hp + shield damage received, per team (0 allies, 1 enemies)
        self.attack_point = np.zeros((B, 2))
        self.hz_target = np.zeros((B, A), np.int64)
        self._planted = np.zeros((B, N), np.uint8)
        self._anchor = np.zeros((B, N, 2))  # positions at the start of the current game loop
        Q = 4 * N + 16
        self._ev_t = np.zeros((B, Q))
        self._ev_kind = np.zeros((B, Q), np.int64)
        self._ev_src = np.zeros((B, Q), np.int64)
        self._ev_dst = np.zeros((B, Q), np.int64)
        self._build_action_tables()
        self.loop_observer = None  # see step_checked
        self.reset()

    def _unit_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-unit constants in game loops for the kernels (layout in kernels.py)."""
        L = LOOPS_PER_GAME_SECOND
        fu = np.zeros((self.n_units, K.NFU))
        iu = np.zeros((self.n_units, K.NIU), np.int64)
        for i, u in enumerate(self.types):
            fu[i, K.R] = u.radius
            fu[i, K.SPD] = u.speed_per_loop
            fu[i, K.ACC] = u.acceleration_per_loop
            fu[i, K.RANGE] = u.heal_range if u.is_healer else u.range
            fu[i, K.SIGHT] = u.sight
            fu[i, K.SCAN] = max(u.range, 5.0)
            fu[i, K.PERIOD] = u.period * L
            fu[i, K.DPOINT] = u.damage_point * L
            fu[i, K.MSPD] = u.missile_speed / L
            fu[i, K.MACC] = u.missile_acceleration / L**2
            fu[i, K.NHIT] = max(u.attacks, 1)
            fu[i, K.HINT] = u.attack_interval * L
            fu[i, K.IMPACT] = u.impact_delay * L
            fu[i, K.SPL_R] = u.splash_radius
            fu[i, K.SPL_H] = u.splash_half_length
            fu[i, K.SPL_S] = u.splash_search_radius
            fu[i, K.ARMOR] = u.armor
            fu[i, K.HPMAX] = u.health
            fu[i, K.SHMAX] = u.shield
            fu[i, K.HREG] = u.health_regen / L
            fu[i, K.SDELAY] = u.shield_regen_delay * L
            fu[i, K.SREG] = u.shield_regen / L
            fu[i, K.EREG] = u.energy_regen / L
            fu[i, K.EMAX] = u.energy_max
            fu[i, K.HEALRATE] = u.heal_rate / L
            fu[i, K.HEALC] = u.heal_energy_per_health
            fu[i, K.DAMAGE] = u.damage
            iu[i, K.AIR] = u.flying
            iu[i, K.MOVER] = _MOVERS[u.mover]
            iu[i, K.LAYER] = u.collide_mask
            iu[i, K.SPLASH] = {None: K.SPLASH_NONE, "radius": K.SPLASH_RADIUS, "line": K.SPLASH_LINE}[
                u.splash
            ]
            iu[i, K.SUICIDE] = u.suicide
            iu[i, K.HEALER] = u.is_healer
            iu[i, K.ARMED] = u.is_armed
            iu[i, K.BIO] = "biological" in u.attributes
            iu[i, K.TEAM] = self.team[i]
        return fu, iu

    def _build_action_tables(self) -> None:
        A, E = self.n_agents, self.n_enemies
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
        self._probe = DIRECTIONS[None, None] * (MOVE_AMOUNT / 2)
        self._ally_healers = bool(self.healer[:A].any())

    # ------------------------------------------------------------------ reset
    def reset(self, envs: np.ndarray | None = None, rng: np.random.Generator | None = None) -> None:
        """Put the battles ``envs`` (all by default; an index array or bool mask) back at their start.

        ``rng`` draws the random parts of a start (2m_vs_1z's attack point); without it they take their mean.
        """
        e = slice(None) if envs is None else envs
        A = self.n_agents
        self.pos[e] = self.start_pos
        self.vel[e] = 0.0
        self.hp[e] = self.hp_max
        self.sh[e] = self.sh_max
        self.energy[e] = np.array([u.energy_start for u in self.types])
        self.cd[e] = 0.0
        self.alive[e] = True
        self.swing[e] = -1.0
        self.swing_target[e] = 0
        self.last_hit[e] = -1e9
        self.attacked_by[e] = -1
        self.loop[e] = 0
        self.damage_to[e] = 0.0
        self.hz_target[e] = -1
        self._ev_t[e] = K.INF
        n = len(np.arange(self.num_envs)[e])
        points = self.spec.enemy_attack_points or (self.spec.enemy_attack_point,)
        if self.spec.enemy_order == "attack_random_point_between" and rng is not None:
            lo = np.minimum(points[0], points[1])
            hi = np.maximum(points[0], points[1])
            self.attack_point[e] = lo + rng.random((n, 2)) * (hi - lo)
        else:
            self.attack_point[e] = self.spec.enemy_attack_point
        self.order[e] = STOP
        self.target[e] = 0
        self.point[e] = self.start_pos
        if self._ai_mode == K.AI_ATTACK_POINT:
            self.order[e, A:] = np.where(self.armed[A:], ATTACK_MOVE, STOP)
            self.point[e, A:] = self.attack_point[e][:, None, :]

    # ---------------------------------------------------------------- queries
    def distances(self) -> np.ndarray:
        """Centre distances between all units, shape (B, N, N)."""
        x, y = self.pos[..., 0], self.pos[..., 1]
        return np.hypot(x[:, :, None] - x[:, None, :], y[:, :, None] - y[:, None, :])

    def pathable(self, xy: np.ndarray) -> np.ndarray:
        """Whether points ``xy`` (..., 2) lie on ground-pathable cells (``floor`` of each coordinate)."""
        cell = np.floor(np.asarray(xy, float)).astype(np.int64)
        W, H = self.grid.shape
        inside = (cell[..., 0] >= 0) & (cell[..., 0] < W) & (cell[..., 1] >= 0) & (cell[..., 1] < H)
        out = np.zeros(cell.shape[:-1], bool)
        out[inside] = self.grid[cell[..., 0][inside], cell[..., 1][inside]]
        return out

    def avail_actions(self, dist: np.ndarray | None = None) -> np.ndarray:
        """SMAC's available-action mask for every agent, int8 (B, n_agents, 6 + n_enemies)."""
        A, E = self.n_agents, self.n_enemies
        B = self.num_envs
        if dist is None:
            dist = self.distances()
        alive = self.alive[:, :A]
        avail = np.zeros((B, A, 6 + E), np.int8)
        avail[:, :, 1] = alive
        # oxwhirl/smac can_move: int() of the point half a move away (truncation, so x in [0, 1) may go west),
        # in bounds and on SC2's pathing grid
        probe = np.trunc(self.pos[:, :A, None, :] + self._probe).astype(np.int64)
        W, H = self.grid.shape
        inside = (probe[..., 0] >= 0) & (probe[..., 0] < W) & (probe[..., 1] >= 0) & (probe[..., 1] < H)
        ok = np.zeros(inside.shape, bool)
        ok[inside] = self.grid[probe[..., 0][inside], probe[..., 1][inside]]
        avail[:, :, 2:6] = ok & alive[:, :, None]
        shoot = (dist[:, :A, A:] <= SHOOT_RANGE) & self.alive[:, None, A:] & alive[:, :, None]
        if self._ally_healers:
            heal_ok = (dist[:, :A, :A] <= SHOOT_RANGE) & self.alive[:, None, :A]
            heal_ok &= ~self.healer[None, None, :A] & alive[:, :, None]
            healers = self.healer[:A]
            shoot[:, healers, :] = False
            k = min(A, E)  # heal targets use the attack slots: ally j is action 6 + j
            shoot[:, healers, :k] = heal_ok[:, healers, :k]
        avail[:, :, 6:] = shoot
        avail[:, :, 0] = ~alive
        return avail

    # ---------------------------------------------------------------- actions
    def set_actions(self, actions: np.ndarray) -> None:
        """Turn SMAC action ids (B, n_agents) into allied orders (validity is the caller's job).

        The no-op (dead agents only) issues no order, as in SMAC; a move's point is 2 away from where the
        unit stands now.
        """
        act = np.asarray(actions, dtype=np.int64).reshape(self.num_envs, self.n_agents)
        K.set_orders(
            act,
            self._act_kind,
            self._act_target,
            self._act_dir,
            self.pos,
            self.order,
            self.target,
            self.point,
        )

    # ------------------------------------------------------------------- step
    def step(
        self, actions: np.ndarray | None, rng: np.random.Generator, dist: np.ndarray | None = None
    ) -> None:
        """Advance every battle by one agent step (8 game loops) with allied SMAC actions (B, n_agents).

        ``actions`` is ignored (may be ``None``) with ``heuristic_ai``; ``dist`` is accepted for callers that
        pass the current distances and is not needed.
        """
        if not self.heuristic_ai:
            self.set_actions(actions)
        rand = rng.random((self.num_envs, STEP_MUL, self.n_units + 1))
        self._run(rand, 0, STEP_MUL)

    def step_checked(self, actions: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """:meth:`step`, loop by loop (the same battle), checking the physics after every game loop.

        Returns ``([ground units on unwalkable cells, loop moves that crossed one], largest overlap)``: the counts
        summed over the 8 loops and battles, the overlap the largest of two colliding units after any loop, as
        a fraction of their combined radii.  ``loop_observer``, when set, is called after every loop with the
        simulator and the ``alive`` array from before that loop (``benchmarks/smac_play.py --fates`` counts who
        kills whom with it).
        """
        if not self.heuristic_ai:
            self.set_actions(actions)
        rand = rng.random((self.num_envs, STEP_MUL, self.n_units + 1))
        movers = np.where(self.flying, -1, self.cliff_walker.astype(np.int64))
        out = np.zeros(2, np.int64)
        overlap = 0.0
        for k in range(STEP_MUL):
            prev = self.pos.copy()
            alive_before = self.alive.copy()
            self._run(rand[:, k : k + 1], k, 1)
            K.check_moves(self._walk, movers, prev, self.pos, self.alive, out)
            overlap = max(overlap, float(self.max_overlap().max()))
            if self.loop_observer is not None:
                self.loop_observer(self, alive_before)
        return out, overlap

    def _run(self, rand: np.ndarray, first_loop: int, n_loops: int) -> None:
        K.step_batch(
            self.n_agents,
            self._ai_mode,
            (2 if self.heuristic_rest else 1) if self.heuristic_ai else 0,
            first_loop,
            n_loops,
            STEP_MUL,
            _COLLIDE_ITERS if self.collisions else 0,
            _FINAL_ITERS,
            self._fu,
            self._iu,
            self.damage,
            self._walk,
            self._nearest,
            self._fields,
            self._have,
            self.pos,
            self.vel,
            self.hp,
            self.sh,
            self.energy,
            self.cd,
            self.alive,
            self.order,
            self.target,
            self.point,
            self.swing,
            self.swing_target,
            self.last_hit,
            self.attacked_by,
            self.loop,
            self.damage_to,
            self.attack_point,
            self.hz_target,
            self._planted,
            self._ev_t,
            self._ev_kind,
            self._ev_src,
            self._ev_dst,
            np.ascontiguousarray(rand),
            1.0 if self.cooldown_jitter else 0.0,
            self._anchor,
        )

    def max_overlap(self) -> np.ndarray:
        """Largest overlap of two colliding units per battle, as a fraction of their combined radii."""
        return K.max_ground_overlap(self.pos, self.alive, self.radius, self.collide_mask)

    @property
    def seconds(self) -> np.ndarray:
        """Game time of every battle, in game seconds."""
        return self.loop / LOOPS_PER_GAME_SECOND
