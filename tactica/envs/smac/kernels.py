"""Compiled (Numba) kernels of the SMAC simulator: terrain queries, path finding, movement, collisions, combat.

Everything here works on plain NumPy arrays so one call advances a whole batch of battles; :mod:`engine` owns
the arrays and documents the model.  Conventions: positions are map coordinates, cell ``(x, y)`` is the unit
square ``[x, x+1) x [y, y+1)`` (``floor`` of a point); ``walk[g]`` is a ``(W, H)`` uint8 grid per movement class
(0 ground, 1 Colossus); times are game loops.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, _nrt=False)
def _norm(dx, dy):
    """sqrt(dx^2 + dy^2): libm's hypot, careful about overflow, is several times slower and not needed here."""
    return math.sqrt(dx * dx + dy * dy)


# ---------------------------------------------------------------- layouts of the static unit table
# float parameters, fu[i, ...]
R, SPD, ACC, RANGE, SIGHT, SCAN, PERIOD, DPOINT, MSPD, MACC = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
NHIT, HINT, IMPACT, SPL_R, SPL_H, SPL_S, ARMOR, HPMAX, SHMAX, HREG = 10, 11, 12, 13, 14, 15, 16, 17, 18, 19
SDELAY, SREG, EREG, EMAX, HEALRATE, HEALC, DAMAGE = 20, 21, 22, 23, 24, 25, 26
NFU = 27
# integer parameters, iu[i, ...]
AIR, MOVER, LAYER, SPLASH, SUICIDE, HEALER, ARMED, BIO, TEAM = 0, 1, 2, 3, 4, 5, 6, 7, 8
NIU = 9
MOVER_GROUND, MOVER_FLY, MOVER_COLOSSUS, MOVER_STRUCTURE = 0, 1, 2, 3
SPLASH_NONE, SPLASH_RADIUS, SPLASH_LINE = 0, 1, 2
# orders
STOP, MOVE, ATTACK, HEAL, ATTACK_MOVE = 0, 1, 2, 3, 4
# enemy behaviours (the map script's order)
AI_ATTACK_POINT, AI_ATTACK_ALLIES, AI_IDLE = 0, 1, 2
# delayed effects
EV_HIT, EV_CHANNEL_HIT, EV_LINE = 0, 1, 2
AI_PERIOD = 2  # game loops between two target evaluations of the built-in AI
BURST_PENDING = -2.0  # swing value of a dead baneling whose death burst has not gone off yet
INF = 1e30
COLLIDE_TOL = 0.005  # overlaps below 0.5% of the two radii count as resolved
SQRT2 = math.sqrt(2.0)
_EPS = 1e-9


# ---------------------------------------------------------------------------------------- terrain
@njit(cache=True, _nrt=False)
def cell_walkable(walk, g, cx, cy):
    return 0 <= cx < walk.shape[1] and 0 <= cy < walk.shape[2] and walk[g, cx, cy] != 0


@njit(cache=True, _nrt=False)
def segment_clear(walk, g, x0, y0, x1, y1):
    """Whether the straight segment from (x0, y0) to (x1, y1) stays on walkable cells.

    Cells are visited by exact grid traversal; a segment through a lattice corner passes diagonally (it touches
    the two side cells in one point only), so two walkable cells that share only a corner are connected.
    """
    cx = int(math.floor(x0))
    cy = int(math.floor(y0))
    if int(math.floor(x1)) == cx and int(math.floor(y1)) == cy:
        return True  # within the cell the segment starts in (a cell is convex)
    dx = x1 - x0
    dy = y1 - y0
    sx = 1 if dx > 0 else (-1 if dx < 0 else 0)
    sy = 1 if dy > 0 else (-1 if dy < 0 else 0)
    tdx = 1.0 / abs(dx) if sx != 0 else INF
    tdy = 1.0 / abs(dy) if sy != 0 else INF
    if sx > 0:
        tx = (cx + 1 - x0) / dx
    elif sx < 0:
        tx = (x0 - cx) / -dx
    else:
        tx = INF
    if sy > 0:
        ty = (cy + 1 - y0) / dy
    elif sy < 0:
        ty = (y0 - cy) / -dy
    else:
        ty = INF
    for _ in range(256):
        # a boundary reached exactly at the end is entered only when moving up (floor convention)
        cross_x = tx < 1.0 or (tx == 1.0 and sx > 0)
        cross_y = ty < 1.0 or (ty == 1.0 and sy > 0)
        if not cross_x and not cross_y:
            return True
        if cross_x and cross_y and abs(tx - ty) <= 1e-12:
            cx += sx
            cy += sy
            tx += tdx
            ty += tdy
        elif cross_x and (not cross_y or tx < ty):
            cx += sx
            tx += tdx
        else:
            cy += sy
            ty += tdy
        if cx < 0 or cy < 0 or cx >= walk.shape[1] or cy >= walk.shape[2] or walk[g, cx, cy] == 0:
            return False
    return True


@njit(cache=True, _nrt=False)
def slide_move(walk, g, x, y, dx, dy, ax, ay):
    """Move from (x, y) by (dx, dy) without entering unwalkable cells, sliding along walls.

    Every position taken is also reachable in a straight line from the anchor (ax, ay), where the unit stood at
    the start of the game loop, so a unit's movement over one loop never cuts the corner of an unwalkable
    cell.  Long moves are split into steps of at most 0.45 so each axis crosses at most one cell boundary per
    step.  Returns the new position.
    """
    length = _norm(dx, dy)
    n = int(math.ceil(length / 0.45)) if length > 0.45 else 1
    sx = dx / n
    sy = dy / n
    for _ in range(n):
        if segment_clear(walk, g, x, y, x + sx, y + sy) and segment_clear(walk, g, ax, ay, x + sx, y + sy):
            x += sx
            y += sy
            continue
        # blocked: move along the larger component first, then the other, each up to the wall
        if abs(sx) >= abs(sy):
            x1 = _axis_move(walk, g, x, y, sx, True)
            y1 = y
            x2 = x1
            y2 = _axis_move(walk, g, x1, y, sy, False)
        else:
            x1 = x
            y1 = _axis_move(walk, g, x, y, sy, False)
            x2 = _axis_move(walk, g, x, y1, sx, True)
            y2 = y1
        if segment_clear(walk, g, ax, ay, x2, y2):
            x, y = x2, y2
        elif segment_clear(walk, g, ax, ay, x1, y1):
            x, y = x1, y1
        else:
            break
    return x, y


@njit(cache=True, _nrt=False)
def _axis_move(walk, g, x, y, d, along_x):
    if d == 0.0:
        return x if along_x else y
    if along_x:
        if segment_clear(walk, g, x, y, x + d, y):
            return x + d
        # stop at the boundary of the current cell (just inside it when moving up)
        c = math.floor(x)
        return c + 1.0 - 1e-7 if d > 0 else c
    if segment_clear(walk, g, x, y, x, y + d):
        return y + d
    c = math.floor(y)
    return c + 1.0 - 1e-7 if d > 0 else c


@njit(cache=True)
def distance_field(walk, goal):
    """Shortest walking distances (8-neighbourhood, diagonal steps sqrt(2)) from every cell to cell ``goal``."""
    W, H = walk.shape
    n = W * H
    dist = np.full(n, INF, np.float32)
    done = np.zeros(n, np.uint8)
    # binary heap of (distance, cell)
    heap_d = np.empty(8 * n + 8, np.float64)
    heap_c = np.empty(8 * n + 8, np.int64)
    size = 0
    dist[goal] = 0.0
    heap_d[0] = 0.0
    heap_c[0] = goal
    size = 1
    while size > 0:
        d = heap_d[0]
        c = heap_c[0]
        size -= 1
        # pop: move last to root and sift down
        if size > 0:
            ld = heap_d[size]
            lc = heap_c[size]
            k = 0
            while True:
                a = 2 * k + 1
                if a >= size:
                    break
                b = a + 1
                m = a if (b >= size or heap_d[a] <= heap_d[b]) else b
                if heap_d[m] >= ld:
                    break
                heap_d[k] = heap_d[m]
                heap_c[k] = heap_c[m]
                k = m
            heap_d[k] = ld
            heap_c[k] = lc
        if done[c]:
            continue
        done[c] = 1
        cx = c // H
        cy = c - cx * H
        for ox in range(-1, 2):
            for oy in range(-1, 2):
                if ox == 0 and oy == 0:
                    continue
                nx = cx + ox
                ny = cy + oy
                if nx < 0 or ny < 0 or nx >= W or ny >= H or walk[nx, ny] == 0:
                    continue
                nc = nx * H + ny
                nd = d + (SQRT2 if ox != 0 and oy != 0 else 1.0)
                if nd < dist[nc]:
                    dist[nc] = nd
                    # push and sift up
                    k = size
                    size += 1
                    while k > 0:
                        p = (k - 1) // 2
                        if heap_d[p] <= nd:
                            break
                        heap_d[k] = heap_d[p]
                        heap_c[k] = heap_c[p]
                        k = p
                    heap_d[k] = nd
                    heap_c[k] = nc
    return dist


@njit(cache=True)
def all_distance_fields(walk):
    """Distance fields to every walkable cell, per movement class: (G, W*H goal, W*H cell) float32 (INF where
    no path)."""
    G, W, H = walk.shape
    fields = np.full((G, W * H, W * H), INF, np.float32)
    for g in range(G):
        if walk[g].all():
            continue  # no obstacle: every straight line is clear and the fields are never read
        for goal in range(W * H):
            if walk[g, goal // H, goal % H]:
                fields[g, goal, :] = distance_field(walk[g], goal)
    return fields


@njit(cache=True, _nrt=False)
def waypoint(walk, nearest, fields, have, g, x, y, gx, gy):
    """Where a unit of movement class ``g`` at (x, y) walks next to reach (gx, gy): the goal itself when the
    straight line is clear, else the furthest visible point along the shortest cell path."""
    W = walk.shape[1]
    H = walk.shape[2]
    if segment_clear(walk, g, x, y, gx, gy):
        return gx, gy
    gcx = min(max(int(math.floor(gx)), 0), W - 1)
    gcy = min(max(int(math.floor(gy)), 0), H - 1)
    goal = nearest[g, gcx * H + gcy]
    if goal < 0:
        return gx, gy
    cx = int(math.floor(x))
    cy = int(math.floor(y))
    if not cell_walkable(walk, g, cx, cy):
        return gx, gy
    cur = cx * H + cy
    wx = x
    wy = y
    found = False
    for _ in range(12):
        if fields[g, goal, cur] <= 0.0:
            break
        ccx = cur // H
        ccy = cur - ccx * H
        best = -1
        bestd = fields[g, goal, cur]
        for ox in range(-1, 2):
            for oy in range(-1, 2):
                if ox == 0 and oy == 0:
                    continue
                nx = ccx + ox
                ny = ccy + oy
                if not cell_walkable(walk, g, nx, ny):
                    continue
                nd = fields[g, goal, nx * H + ny]
                if nd < bestd - 1e-6:
                    bestd = nd
                    best = nx * H + ny
        if best < 0:
            break
        bx = best // H
        by = best - bx * H
        px = bx + 0.5
        py = by + 0.5
        corner = False
        if (
            bx != ccx
            and by != ccy
            and not (cell_walkable(walk, g, bx, ccy) and cell_walkable(walk, g, ccx, by))
        ):
            # a diagonal step past a blocked side cell goes through the shared corner
            px = float(max(bx, ccx))
            py = float(max(by, ccy))
            corner = True
        if abs(px - x) < 1e-9 and abs(py - y) < 1e-9:
            cur = best  # standing on that corner already
            continue
        if segment_clear(walk, g, x, y, px, py):
            wx = px
            wy = py
            found = True
            cur = best
            if corner:
                break
        else:
            break
    if not found:
        return gx, gy
    if fields[g, goal, cur] <= 0.0 and segment_clear(walk, g, x, y, gx, gy):
        return gx, gy
    return wx, wy


# ---------------------------------------------------------------------------------------- combat
@njit(cache=True, _nrt=False)
def _kill(b, t, alive, hp, sh, order, swing):
    alive[b, t] = False
    hp[b, t] = 0.0
    sh[b, t] = 0.0
    order[b, t] = STOP
    swing[b, t] = -1.0


@njit(cache=True, _nrt=False)
def _hit(b, i, t, hits, now, fu, iu, dmg, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to):
    """``hits`` hits of unit i's weapon on unit t: shields absorb first, armor reduces what reaches health."""
    per_hit = dmg[i, t]
    if per_hit <= 0.0 or not alive[b, t]:
        return
    h = hp[b, t]
    s = sh[b, t]
    armor = fu[t, ARMOR]
    dealt = 0.0
    for _ in range(hits):
        if h <= 0.0:
            break
        absorbed = min(s, per_hit)
        s -= absorbed
        dealt += absorbed
        rest = per_hit - absorbed
        if rest > 0.0:
            loss = min(max(rest - armor, 0.5), h)
            h -= loss
            dealt += loss
    hp[b, t] = h
    sh[b, t] = s
    last_hit[b, t] = now
    attacked_by[b, t] = i
    damage_to[b, iu[t, TEAM]] += dealt
    if h <= 0.0:
        _kill(b, t, alive, hp, sh, order, swing)
        if iu[t, SUICIDE]:
            swing[b, t] = BURST_PENDING  # a killed baneling still bursts (its BanelingExplode death response)


@njit(cache=True, _nrt=False)
def _push_event(b, when, kind, src, dst, ev_t, ev_kind, ev_src, ev_dst):
    Q = ev_t.shape[1]
    for q in range(Q):
        if ev_t[b, q] >= INF:
            ev_t[b, q] = when
            ev_kind[b, q] = kind
            ev_src[b, q] = src
            ev_dst[b, q] = dst
            return
    raise RuntimeError("SMAC simulator: the queue of delayed hits is full")


@njit(cache=True, _nrt=False)
def _missile_loops(fu, i, distance):
    v0 = fu[i, MSPD]
    if v0 <= 0.0:
        return 0.0
    a = fu[i, MACC]
    if a <= 0.0:
        return distance / v0
    return (-v0 + math.sqrt(v0 * v0 + 2.0 * a * distance)) / a


@njit(cache=True, _nrt=False)
def _line_hits(b, i, t, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to):
    """A Colossus attack: two beams, each hitting the target and every enemy ground unit on a line across it."""
    N = pos.shape[1]
    ax = pos[b, t, 0] - pos[b, i, 0]
    ay = pos[b, t, 1] - pos[b, i, 1]
    norm = _norm(ax, ay)
    if norm < _EPS:
        ax, ay, norm = 1.0, 0.0, 1.0
    ax /= norm
    ay /= norm
    half = fu[i, SPL_H]
    search = fu[i, SPL_S]
    for j in range(N):
        if not alive[b, j] or iu[j, TEAM] == iu[i, TEAM] or iu[j, AIR]:
            continue
        if j != t:
            rx = pos[b, j, 0] - pos[b, t, 0]
            ry = pos[b, j, 1] - pos[b, t, 1]
            across = abs(-ay * rx + ax * ry)
            along = abs(ax * rx + ay * ry)
            reach = search + fu[j, R]
            if along > reach or across > half + reach:
                continue
        _hit(
            b,
            i,
            j,
            int(fu[i, NHIT]),
            now,
            fu,
            iu,
            dmg,
            alive,
            hp,
            sh,
            order,
            swing,
            last_hit,
            attacked_by,
            damage_to,
        )


@njit(cache=True, _nrt=False)
def _burst(b, i, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to):
    """A baneling's Volatile Burst: one hit on every enemy ground unit within its radius (plus their radius)."""
    N = pos.shape[1]
    radius = fu[i, SPL_R]
    for j in range(N):
        if not alive[b, j] or iu[j, TEAM] == iu[i, TEAM] or iu[j, AIR]:
            continue
        d = _norm(pos[b, j, 0] - pos[b, i, 0], pos[b, j, 1] - pos[b, i, 1])
        if d - fu[j, R] <= radius:
            _hit(b, i, j, 1, now, fu, iu, dmg, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to)


@njit(cache=True, _nrt=False)
def _death_bursts(b, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to):
    """Bursts of banelings killed by damage, including those their bursts kill in turn."""
    N = pos.shape[1]
    found = True
    while found:
        found = False
        for i in range(N):
            if swing[b, i] == BURST_PENDING:
                swing[b, i] = -1.0
                found = True
                _burst(
                    b, i, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to
                )


@njit(cache=True, _nrt=False)
def _fire(
    b,
    i,
    t,
    now,
    fu,
    iu,
    dmg,
    pos,
    alive,
    hp,
    sh,
    order,
    swing,
    last_hit,
    attacked_by,
    damage_to,
    ev_t,
    ev_kind,
    ev_src,
    ev_dst,
):
    """Unit i's weapon goes off at its target t (the damage point has passed)."""
    if iu[i, SUICIDE]:
        _burst(b, i, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to)
        damage_to[b, iu[i, TEAM]] += hp[b, i] + sh[b, i]
        _kill(b, i, alive, hp, sh, order, swing)
        return
    if not alive[b, t]:
        return
    if iu[i, SPLASH] == SPLASH_LINE:
        _push_event(b, now + fu[i, IMPACT], EV_LINE, i, t, ev_t, ev_kind, ev_src, ev_dst)
        return
    nhit = int(fu[i, NHIT])
    if fu[i, MSPD] > 0.0:
        d = _norm(pos[b, t, 0] - pos[b, i, 0], pos[b, t, 1] - pos[b, i, 1]) - fu[t, R]
        _push_event(b, now + _missile_loops(fu, i, max(d, 0.0)), EV_HIT, i, t, ev_t, ev_kind, ev_src, ev_dst)
    else:
        _hit(b, i, t, 1, now, fu, iu, dmg, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to)
    for k in range(1, nhit):  # further hits of a channelled melee attack (Zealot)
        _push_event(b, now + k * fu[i, HINT], EV_CHANNEL_HIT, i, t, ev_t, ev_kind, ev_src, ev_dst)


@njit(cache=True, _nrt=False)
def _run_events(
    b,
    now,
    fu,
    iu,
    dmg,
    pos,
    alive,
    hp,
    sh,
    order,
    swing,
    last_hit,
    attacked_by,
    damage_to,
    ev_t,
    ev_kind,
    ev_src,
    ev_dst,
):
    Q = ev_t.shape[1]
    for q in range(Q):
        if ev_t[b, q] > now + 1e-9:
            continue
        kind = ev_kind[b, q]
        i = ev_src[b, q]
        t = ev_dst[b, q]
        ev_t[b, q] = INF
        if kind == EV_HIT:  # a missile: lands even if its shooter died
            _hit(b, i, t, 1, now, fu, iu, dmg, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to)
        elif kind == EV_CHANNEL_HIT:
            if alive[b, i]:
                _hit(
                    b,
                    i,
                    t,
                    1,
                    now,
                    fu,
                    iu,
                    dmg,
                    alive,
                    hp,
                    sh,
                    order,
                    swing,
                    last_hit,
                    attacked_by,
                    damage_to,
                )
        elif kind == EV_LINE:
            if alive[b, i]:
                _line_hits(
                    b,
                    i,
                    t,
                    now,
                    fu,
                    iu,
                    dmg,
                    pos,
                    alive,
                    hp,
                    sh,
                    order,
                    swing,
                    last_hit,
                    attacked_by,
                    damage_to,
                )


# ------------------------------------------------------------------------------------- behaviour
@njit(cache=True, _nrt=False)
def _edge_gap(b, i, t, pos, fu):
    d = _norm(pos[b, t, 0] - pos[b, i, 0], pos[b, t, 1] - pos[b, i, 1])
    return d - fu[i, R] - fu[t, R]


@njit(cache=True, _nrt=False)
def _crowd_blocked(b, i, t, fu, iu, pos, alive, planted):
    """Whether a friend of unit i that holds position (it is attacking) stands across the straight way i walks
    until t is in its weapon's range.

    SC2's movers push idle and moving friends out of the way but not attacking ones, so a melee unit behind a
    fighting line of its own side cannot walk through it to a target beyond.
    """
    N = pos.shape[1]
    x = pos[b, i, 0]
    y = pos[b, i, 1]
    dx = pos[b, t, 0] - x
    dy = pos[b, t, 1] - y
    d = _norm(dx, dy)
    if d < _EPS:
        return False
    ux = dx / d
    uy = dy / d
    stop = d - fu[t, R] - fu[i, R] - fu[i, RANGE]  # how far i walks before t is in range
    li = iu[i, LAYER]
    for k in range(N):
        if k == i or k == t or not alive[b, k] or not planted[b, k] or iu[k, TEAM] != iu[i, TEAM]:
            continue  # only a friend that attacks holds position: idle and walking ones make way
        if (li & iu[k, LAYER]) == 0:
            continue
        rx = pos[b, k, 0] - x
        ry = pos[b, k, 1] - y
        proj = rx * ux + ry * uy
        if proj <= 0.0 or proj > stop + fu[k, R]:
            continue
        if abs(-uy * rx + ux * ry) < fu[i, R] + fu[k, R]:
            return True
    return False


@njit(cache=True, _nrt=False)
def _ai_target_score(b, e, a, scan, fu, iu, dmg, pos, alive):
    """How much enemy e wants ally a before reachability (lower is better): the edge distance, +100 for a unit
    that cannot attack; INF when e's weapon cannot hit a, or (with ``scan``) a is beyond e's scan range."""
    if not alive[b, a] or dmg[e, a] <= 0.0:
        return INF
    dx = pos[b, a, 0] - pos[b, e, 0]
    dy = pos[b, a, 1] - pos[b, e, 1]
    reach = fu[e, SCAN] + fu[e, R] + fu[a, R]
    if scan and dx * dx + dy * dy > reach * reach:
        return INF
    gap = math.sqrt(dx * dx + dy * dy) - fu[e, R] - fu[a, R]
    return gap + (0.0 if iu[a, ARMED] else 100.0)


@njit(cache=True, _nrt=False)
def _best_target(b, e, n_agents, scan, crowd, fu, iu, dmg, pos, alive, planted):
    """The ally enemy e acquires, and its score: the lowest :func:`_ai_target_score`, +50 for a target out of
    range that a friend holding position stands in front of (:func:`_crowd_blocked`; ``crowd``: whether any
    friend of e holds position at all).

    The SMAC map scripts start no AI script (their MapScript.galaxy calls neither MeleeInitAI nor AIStart), so
    the enemies act on SC2's default unit behaviour: on attack-move a unit acquires the closest enemy it can
    hit within its scan range, threats (units that can attack) before the others, and one it can reach
    before one its own fighting crowd stands in front of.  (The blocking test runs only for candidates that
    would beat the best so far, which keeps it cheap.)
    """
    best = -1
    best_score = INF
    for a in range(n_agents):
        score = _ai_target_score(b, e, a, scan, fu, iu, dmg, pos, alive)
        if score >= best_score:
            continue
        if (
            crowd
            and _edge_gap(b, e, a, pos, fu) > fu[e, RANGE]
            and _crowd_blocked(b, e, a, fu, iu, pos, alive, planted)
        ):
            score += 50.0
            if score >= best_score:
                continue
        best_score = score
        best = a
    return best, best_score


@njit(cache=True, _nrt=False)
def _enemy_ai(b, n_agents, ai_mode, attack_point, fu, iu, dmg, pos, alive, hp, order, target, point, planted):
    """The built-in AI's orders for every live enemy (SC2 attack-move semantics, see engine.py)."""
    N = pos.shape[1]
    crowd = False  # whether any enemy holds position (attacks): if none, no enemy's way is blocked
    for k in range(n_agents, N):
        if alive[b, k] and planted[b, k]:
            crowd = True
            break
    for e in range(n_agents, N):
        if not alive[b, e]:
            continue
        if iu[e, HEALER]:
            _enemy_healer(b, e, n_agents, ai_mode, attack_point, fu, iu, pos, alive, hp, order, target, point)
            continue
        if not iu[e, ARMED]:
            continue
        cur = target[b, e]
        have = order[b, e] == ATTACK and alive[b, cur] and dmg[e, cur] > 0.0
        in_range = have and _edge_gap(b, e, cur, pos, fu) <= fu[e, RANGE]
        if in_range:
            continue  # keep attacking a target in range
        if ai_mode == AI_ATTACK_ALLIES:
            # the script's attack order on the allied group: the closest member it can reach, kept while
            # it can still reach it
            if have and not (crowd and _crowd_blocked(b, e, cur, fu, iu, pos, alive, planted)):
                continue
            best, _ = _best_target(b, e, n_agents, False, crowd, fu, iu, dmg, pos, alive, planted)
            if best >= 0:
                order[b, e] = ATTACK
                target[b, e] = best
            else:
                order[b, e] = STOP
            continue
        # the closest threat within scan range
        best, _ = _best_target(b, e, n_agents, True, crowd, fu, iu, dmg, pos, alive, planted)
        best_in_range = best >= 0 and _edge_gap(b, e, best, pos, fu) <= fu[e, RANGE]
        if have and not best_in_range and fu[e, SPD] > 0.0:
            d = _norm(pos[b, cur, 0] - pos[b, e, 0], pos[b, cur, 1] - pos[b, e, 1])
            # chase it while nothing else is in range and it stays within sight, unless its own crowd holds
            # it back from this target and another can be reached
            if d <= fu[e, SIGHT] and not (
                crowd
                and best >= 0
                and best != cur
                and _crowd_blocked(b, e, cur, fu, iu, pos, alive, planted)
                and not _crowd_blocked(b, e, best, fu, iu, pos, alive, planted)
            ):
                continue
        if best >= 0:
            order[b, e] = ATTACK
            target[b, e] = best
            continue
        order[b, e] = ATTACK_MOVE if ai_mode == AI_ATTACK_POINT else STOP
        point[b, e, 0] = attack_point[b, 0]
        point[b, e, 1] = attack_point[b, 1]


@njit(cache=True, _nrt=False)
def _answer_attackers(b, n_agents, ai_mode, attacked_by, iu, dmg, alive, order, target):
    """Enemies hit by an ally they were not fighting turn on it (SC2's 'acquire' response)."""
    N = alive.shape[1]
    if ai_mode == AI_ATTACK_ALLIES:
        return
    for e in range(n_agents, N):
        if not alive[b, e] or not iu[e, ARMED] or iu[e, HEALER]:
            continue
        att = attacked_by[b, e]
        if att < 0 or att >= n_agents or not alive[b, att] or dmg[e, att] <= 0.0:
            continue
        if order[b, e] != ATTACK or not alive[b, target[b, e]]:
            order[b, e] = ATTACK
            target[b, e] = att


@njit(cache=True, _nrt=False)
def _enemy_healer(b, h, n_agents, ai_mode, attack_point, fu, iu, pos, alive, hp, order, target, point):
    """An enemy Medivac: its heal autocasts on the most hurt biological friend within 6 (the MedivacHeal
    ability's AutoCastRange), else it carries on with its attack-move (it flies to the point)."""
    N = pos.shape[1]
    best = -1
    best_frac = 2.0
    best_d = INF
    for j in range(n_agents, N):
        if j == h or not alive[b, j] or not iu[j, BIO] or hp[b, j] >= fu[j, HPMAX]:
            continue
        d = _norm(pos[b, j, 0] - pos[b, h, 0], pos[b, j, 1] - pos[b, h, 1])
        frac = hp[b, j] / fu[j, HPMAX]
        if d - fu[h, R] - fu[j, R] <= 6.0 and (frac < best_frac or (frac == best_frac and d < best_d)):
            best_frac = frac
            best_d = d
            best = j
    if best >= 0:
        order[b, h] = HEAL
        target[b, h] = best
    elif ai_mode == AI_ATTACK_POINT:
        order[b, h] = MOVE
        point[b, h, 0] = attack_point[b, 0]
        point[b, h, 1] = attack_point[b, 1]
    else:
        order[b, h] = STOP


@njit(cache=True, _nrt=False)
def _heuristic_allies(b, n_agents, rest, fu, iu, pos, alive, hp, order, target, point, hz_target):
    """oxwhirl/smac's heuristic_ai: keep attacking the current target, else the nearest live enemy (a Medivac
    heals the nearest damaged non-Medivac ally).  With ``rest`` (heuristic_rest) a target out of SMAC's
    shooting range 6 is approached by a 2-unit move along the larger axis instead."""
    N = pos.shape[1]
    for a in range(n_agents):
        if not alive[b, a]:
            continue
        cur = hz_target[b, a]
        healer = iu[a, HEALER] != 0
        if healer:
            if cur < 0 or not alive[b, cur] or hp[b, cur] >= fu[cur, HPMAX]:
                cur = -1
                best_d = INF
                for j in range(n_agents):
                    if iu[j, HEALER] or not alive[b, j] or hp[b, j] >= fu[j, HPMAX]:
                        continue
                    d = _norm(pos[b, j, 0] - pos[b, a, 0], pos[b, j, 1] - pos[b, a, 1])
                    if d < best_d:
                        best_d = d
                        cur = j
        elif cur < 0 or not alive[b, cur]:
            # (SMAC's check that Marauders skip Medivacs compares enemy types with the allies' Medivac id,
            # so it never fires; a Marauder sent at a Medivac idles, as its weapon cannot hit air)
            cur = -1
            best_d = INF
            for j in range(n_agents, N):
                if not alive[b, j]:
                    continue
                d = _norm(pos[b, j, 0] - pos[b, a, 0], pos[b, j, 1] - pos[b, a, 1])
                if d < best_d:
                    best_d = d
                    cur = j
        hz_target[b, a] = cur
        if cur < 0:
            continue  # SMAC issues no command
        dx = pos[b, cur, 0] - pos[b, a, 0]
        dy = pos[b, cur, 1] - pos[b, a, 1]
        if rest and _norm(dx, dy) > 6.0:
            order[b, a] = MOVE
            if abs(dx) > abs(dy):
                point[b, a, 0] = pos[b, a, 0] + (2.0 if dx > 0 else -2.0)
                point[b, a, 1] = pos[b, a, 1]
            else:
                point[b, a, 0] = pos[b, a, 0]
                point[b, a, 1] = pos[b, a, 1] + (2.0 if dy > 0 else -2.0)
            continue
        order[b, a] = HEAL if healer else ATTACK
        target[b, a] = cur


@njit(cache=True, _nrt=False)
def _steer(b, i, x, y, dx, dy, exclude, fu, iu, pos, vel, alive):
    """Local avoidance: turn a heading (dx, dy) (unit length) past the nearest standing unit in the way.

    A unit that stands (fires, holds, or is idle) and would be hit within one unit of travel is passed on the
    side the heading is already offset to, as SC2's movers steer around units instead of pushing into them.
    """
    N = pos.shape[1]
    li = iu[i, LAYER]
    best = -1
    best_proj = INF
    for j in range(N):
        if j == i or j == exclude or not alive[b, j] or (li & iu[j, LAYER]) == 0 or vel[b, j] > 1e-9:
            continue
        rx = pos[b, j, 0] - x
        ry = pos[b, j, 1] - y
        proj = rx * dx + ry * dy
        clear = fu[i, R] + fu[j, R]
        if proj <= 0.0 or proj > clear + 1.0:
            continue
        lat = -dy * rx + dx * ry
        if abs(lat) < clear and proj < best_proj:
            best_proj = proj
            best = j
    if best < 0:
        return dx, dy
    rx = pos[b, best, 0] - x
    ry = pos[b, best, 1] - y
    lat = -dy * rx + dx * ry
    clear = (fu[i, R] + fu[best, R]) * 1.05
    side = -1.0 if lat >= 0.0 else 1.0  # pass on the side away from the blocker's offset
    tx = pos[b, best, 0] + side * -dy * clear - x
    ty = pos[b, best, 1] + side * dx * clear - y
    n = _norm(tx, ty)
    if n < 1e-12:
        return dx, dy
    return tx / n, ty / n


@njit(cache=True, _nrt=False)
def _move_towards(b, i, gx, gy, budget, g, walk, nearest, fields, have, fu, iu, pos, vel, alive, exclude):
    """Move unit i up to ``budget`` towards (gx, gy) along its path (steering round standing units, see
    :func:`_steer`; ``exclude`` is the unit it is going for); returns the distance covered."""
    x = pos[b, i, 0]
    y = pos[b, i, 1]
    vmax = fu[i, SPD]
    if vmax <= 0.0:
        return 0.0
    # acceleration (instant for ground units, whose data say 1000): speed ramps up, and brakes to arrive
    v = min(vel[b, i] + fu[i, ACC], vmax)
    remaining = _norm(gx - x, gy - y)
    if fu[i, ACC] < vmax:
        v = min(v, math.sqrt(2.0 * fu[i, ACC] * remaining) + fu[i, ACC])
    v = min(v, budget)
    vel[b, i] = v
    if iu[i, AIR]:
        if remaining <= v:
            nx, ny = gx, gy
        else:
            nx = x + (gx - x) * v / remaining
            ny = y + (gy - y) * v / remaining
        W = walk.shape[1]
        H = walk.shape[2]
        pos[b, i, 0] = min(max(nx, 0.0), W - 1e-6)
        pos[b, i, 1] = min(max(ny, 0.0), H - 1e-6)
        return v
    covered = 0.0
    x0 = x
    y0 = y
    for _ in range(3):  # up to three path legs per loop (waypoints at corners)
        left = v - covered
        if left <= 1e-9:
            break
        wx, wy = waypoint(walk, nearest, fields, have, g, x, y, gx, gy)
        dx = wx - x
        dy = wy - y
        d = _norm(dx, dy)
        if d <= 1e-12:
            break
        if d <= left:
            if segment_clear(walk, g, x, y, wx, wy) and segment_clear(walk, g, x0, y0, wx, wy):
                x, y = wx, wy
            else:
                x, y = slide_move(walk, g, x, y, dx, dy, x0, y0)
            covered += d
            if wx == gx and wy == gy:
                break
        else:
            ux, uy = dx / d, dy / d
            if iu[i, LAYER] != 0:
                ux, uy = _steer(b, i, x, y, ux, uy, exclude, fu, iu, pos, vel, alive)
            x, y = slide_move(walk, g, x, y, ux * left, uy * left, x0, y0)
            covered += left
            break
    pos[b, i, 0] = x
    pos[b, i, 1] = y
    return covered


@njit(cache=True, _nrt=False)
def _push(walk, g, x, y, dx, dy, ax, ay):
    """A collision push: free within the unit's cell (and its anchor's), else a checked slide."""
    nx = x + dx
    ny = y + dy
    fx = math.floor(nx)
    fy = math.floor(ny)
    if fx == math.floor(x) and fy == math.floor(y) and fx == math.floor(ax) and fy == math.floor(ay):
        return nx, ny
    return slide_move(walk, g, x, y, dx, dy, ax, ay)


@njit(cache=True, _nrt=False)
def _resolve_collisions(b, iters, tol, fu, iu, walk, pos, alive, planted, anchor):
    """Push overlapping units apart (Gauss-Seidel passes over all pairs whose collision layers meet).

    Immobile units (structures) never move; a unit firing (planted) takes a fifth of the push against one that is
    not; the push a
    unit cannot take (a wall behind it) goes to the other unit.  Returns the largest overlap left.
    """
    N = pos.shape[1]
    worst = 0.0
    for _ in range(iters):
        worst = 0.0
        for i in range(N):
            li = iu[i, LAYER]
            if not alive[b, i] or li == 0:
                continue
            for j in range(i + 1, N):
                if not alive[b, j] or (li & iu[j, LAYER]) == 0:
                    continue
                dx = pos[b, i, 0] - pos[b, j, 0]
                dy = pos[b, i, 1] - pos[b, j, 1]
                rs = fu[i, R] + fu[j, R]
                if abs(dx) >= rs or abs(dy) >= rs:
                    continue
                d = _norm(dx, dy)
                ov = rs - d
                if ov <= tol * rs:
                    continue
                if d < 1e-9:  # coincident: separate along a direction fixed by the pair
                    ang = 2.399963 * (i * 31 + j)
                    nx = math.cos(ang)
                    ny = math.sin(ang)
                else:
                    nx = dx / d
                    ny = dy / d
                mi = fu[i, SPD] > 0.0
                mj = fu[j, SPD] > 0.0
                if mi and mj:
                    if planted[b, i] and not planted[b, j]:
                        wi = 0.2
                    elif planted[b, j] and not planted[b, i]:
                        wi = 0.8
                    else:
                        wi = 0.5
                elif mi:
                    wi = 1.0
                elif mj:
                    wi = 0.0
                else:
                    continue
                if ov > worst * rs:
                    worst = ov / rs
                gi = 1 if iu[i, MOVER] == MOVER_COLOSSUS else 0
                gj = 1 if iu[j, MOVER] == MOVER_COLOSSUS else 0
                got = 0.0
                if wi > 0.0:
                    ox = pos[b, i, 0]
                    oy = pos[b, i, 1]
                    px, py = _push(
                        walk, gi, ox, oy, nx * ov * wi, ny * ov * wi, anchor[b, i, 0], anchor[b, i, 1]
                    )
                    pos[b, i, 0] = px
                    pos[b, i, 1] = py
                    got = (px - ox) * nx + (py - oy) * ny
                rest = ov - got
                if rest > 1e-12 and mj:
                    px, py = _push(
                        walk,
                        gj,
                        pos[b, j, 0],
                        pos[b, j, 1],
                        -nx * rest,
                        -ny * rest,
                        anchor[b, j, 0],
                        anchor[b, j, 1],
                    )
                    pos[b, j, 0] = px
                    pos[b, j, 1] = py
        if worst <= tol:
            break
    return worst


# ------------------------------------------------------------------------------------------ step
@njit(cache=True, _nrt=False)
def set_orders(acts, kinds, targets, dirs, pos, order, target, point):
    """Allied orders from SMAC action ids (B, A); the no-op (0) issues no order, as in SMAC."""
    B, A = acts.shape
    for b in range(B):
        for a in range(A):
            act = acts[b, a]
            if act == 0:
                continue
            k = kinds[a, act]
            order[b, a] = k
            target[b, a] = targets[a, act]
            if k == MOVE:
                point[b, a, 0] = pos[b, a, 0] + dirs[act, 0]
                point[b, a, 1] = pos[b, a, 1] + dirs[act, 1]


@njit(cache=True)
def step_batch(
    n_agents,
    ai_mode,
    heuristic,
    first_loop,
    n_loops,
    step_loops,
    collide_iters,
    final_iters,
    fu,
    iu,
    dmg,
    walk,
    nearest,
    fields,
    have,
    pos,
    vel,
    hp,
    sh,
    energy,
    cd,
    alive,
    order,
    target,
    point,
    swing,
    swing_target,
    last_hit,
    attacked_by,
    loop,
    damage_to,
    attack_point,
    hz_target,
    planted,
    ev_t,
    ev_kind,
    ev_src,
    ev_dst,
    rand,
    jitter,
    anchor,
):
    """Advance every battle ``n_loops`` game loops, loops ``first_loop``.. of an agent step of ``step_loops``.

    ``rand`` holds uniform numbers (B, n_loops, N + 1): the weapon random delays per unit (-1..+2 loops, times
    ``jitter``), and the rotation of the unit update order per loop.  A step run in one call or loop by loop
    (with the matching slices of ``rand``) gives the same battle.
    """
    B = pos.shape[0]
    N = pos.shape[1]
    for b in range(B):
        if heuristic > 0 and first_loop == 0:
            _heuristic_allies(
                b, n_agents, heuristic == 2, fu, iu, pos, alive, hp, order, target, point, hz_target
            )
        for k in range(n_loops):
            kk = first_loop + k  # the loop's index within the agent step
            now = float(loop[b])
            for i in range(N):
                anchor[b, i, 0] = pos[b, i, 0]
                anchor[b, i, 1] = pos[b, i, 1]
            _run_events(
                b,
                now,
                fu,
                iu,
                dmg,
                pos,
                alive,
                hp,
                sh,
                order,
                swing,
                last_hit,
                attacked_by,
                damage_to,
                ev_t,
                ev_kind,
                ev_src,
                ev_dst,
            )
            _death_bursts(
                b, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to
            )
            _answer_attackers(b, n_agents, ai_mode, attacked_by, iu, dmg, alive, order, target)
            _enemy_ai(
                b, n_agents, ai_mode, attack_point, fu, iu, dmg, pos, alive, hp, order, target, point, planted
            )
            start = int(rand[b, k, N] * N) % N
            for m in range(N):
                i = (start + m) % N
                planted[b, i] = 0
                if not alive[b, i]:
                    continue
                g = 1 if iu[i, MOVER] == MOVER_COLOSSUS else 0
                # an attack under way: the unit stands until the damage point, then the weapon goes off
                if swing[b, i] >= 0.0:
                    planted[b, i] = 1
                    swing[b, i] -= 1.0
                    if swing[b, i] <= 1e-9:
                        swing[b, i] = -1.0
                        _fire(
                            b,
                            i,
                            swing_target[b, i],
                            now,
                            fu,
                            iu,
                            dmg,
                            pos,
                            alive,
                            hp,
                            sh,
                            order,
                            swing,
                            last_hit,
                            attacked_by,
                            damage_to,
                            ev_t,
                            ev_kind,
                            ev_src,
                            ev_dst,
                        )
                    vel[b, i] = 0.0
                    continue
                o = order[b, i]
                t = target[b, i]
                if o == ATTACK or o == HEAL:
                    if not alive[b, t] or (o == ATTACK and dmg[i, t] <= 0.0):
                        order[b, i] = STOP  # the target is gone, or the weapon cannot hit it
                        vel[b, i] = 0.0
                        continue
                    reach = fu[i, RANGE]
                    gap = _edge_gap(b, i, t, pos, fu) - reach
                    if gap <= 1e-9:
                        vel[b, i] = 0.0
                        planted[b, i] = 1
                        if o == HEAL:
                            if iu[t, BIO] and hp[b, t] < fu[t, HPMAX] and energy[b, i] > 0.0:
                                amount = min(
                                    fu[i, HEALRATE], fu[t, HPMAX] - hp[b, t], energy[b, i] / fu[i, HEALC]
                                )
                                hp[b, t] += amount
                                energy[b, i] -= amount * fu[i, HEALC]
                        elif cd[b, i] <= 0.0:
                            cd[b, i] = fu[i, PERIOD] + jitter * (rand[b, k, i] * 3.0 - 1.0)
                            swing_target[b, i] = t
                            if fu[i, DPOINT] <= 1e-9:
                                _fire(
                                    b,
                                    i,
                                    t,
                                    now,
                                    fu,
                                    iu,
                                    dmg,
                                    pos,
                                    alive,
                                    hp,
                                    sh,
                                    order,
                                    swing,
                                    last_hit,
                                    attacked_by,
                                    damage_to,
                                    ev_t,
                                    ev_kind,
                                    ev_src,
                                    ev_dst,
                                )
                            else:
                                swing[b, i] = fu[i, DPOINT]
                        continue
                    _move_towards(
                        b,
                        i,
                        pos[b, t, 0],
                        pos[b, t, 1],
                        gap + 1e-6,
                        g,
                        walk,
                        nearest,
                        fields,
                        have,
                        fu,
                        iu,
                        pos,
                        vel,
                        alive,
                        t,
                    )
                elif o == MOVE or o == ATTACK_MOVE:
                    gx = point[b, i, 0]
                    gy = point[b, i, 1]
                    if abs(gx - pos[b, i, 0]) < 1e-6 and abs(gy - pos[b, i, 1]) < 1e-6:
                        vel[b, i] = 0.0
                        continue
                    _move_towards(
                        b, i, gx, gy, INF, g, walk, nearest, fields, have, fu, iu, pos, vel, alive, -1
                    )
                else:
                    vel[b, i] = 0.0
            _death_bursts(
                b, now, fu, iu, dmg, pos, alive, hp, sh, order, swing, last_hit, attacked_by, damage_to
            )
            if collide_iters > 0:
                iters = final_iters if kk == step_loops - 1 else collide_iters
                _resolve_collisions(b, iters, COLLIDE_TOL, fu, iu, walk, pos, alive, planted, anchor)
            # regeneration and cooldowns
            for i in range(N):
                if not alive[b, i]:
                    continue
                if fu[i, HREG] > 0.0 and hp[b, i] < fu[i, HPMAX]:
                    hp[b, i] = min(hp[b, i] + fu[i, HREG], fu[i, HPMAX])
                if fu[i, SHMAX] > 0.0 and sh[b, i] < fu[i, SHMAX] and now - last_hit[b, i] >= fu[i, SDELAY]:
                    sh[b, i] = min(sh[b, i] + fu[i, SREG], fu[i, SHMAX])
                if fu[i, EMAX] > 0.0 and energy[b, i] < fu[i, EMAX]:
                    energy[b, i] = min(energy[b, i] + fu[i, EREG], fu[i, EMAX])
                if cd[b, i] > 0.0:
                    cd[b, i] = max(cd[b, i] - 1.0, 0.0)
            loop[b] += 1


@njit(cache=True)
def max_ground_overlap(pos, alive, radius, layer):
    """Largest overlap between two units that collide, as a fraction of their combined radii, per battle."""
    B = pos.shape[0]
    N = pos.shape[1]
    out = np.zeros(B)
    for b in range(B):
        for i in range(N):
            if not alive[b, i] or layer[i] == 0:
                continue
            for j in range(i + 1, N):
                if not alive[b, j] or (layer[i] & layer[j]) == 0:
                    continue
                rs = radius[i] + radius[j]
                d = _norm(pos[b, i, 0] - pos[b, j, 0], pos[b, i, 1] - pos[b, j, 1])
                if rs - d > out[b] * rs:
                    out[b] = (rs - d) / rs
    return out


@njit(cache=True, _nrt=False)
def check_moves(walk, movers, prev, pos, alive, out):
    """Count, over all battles, ground units standing on a cell their class cannot walk (out[0]) and units whose
    straight move from ``prev`` to ``pos`` crosses one (out[1]).  ``movers[i]``: -1 air, else the class."""
    B, N = alive.shape
    for b in range(B):
        for i in range(N):
            g = movers[i]
            if g < 0 or not alive[b, i]:
                continue
            x, y = pos[b, i, 0], pos[b, i, 1]
            cx, cy = int(math.floor(x)), int(math.floor(y))
            if cx < 0 or cy < 0 or cx >= walk.shape[1] or cy >= walk.shape[2] or walk[g, cx, cy] == 0:
                out[0] += 1
            if not segment_clear(walk, g, prev[b, i, 0], prev[b, i, 1], x, y):
                out[1] += 1
