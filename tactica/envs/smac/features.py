"""oxwhirl/smac's observation, state and action-mask vectors, computed for a whole batch of battles in one call.

Layouts (``docs/smac.md`` has the full tables):

* observation of agent ``a``: ``[move (4) | enemies (E x nf_en) | other allies ((A-1) x nf_al) | own]`` with
  enemy features ``[attackable, dist/9, dx/9, dy/9, health, shield?, type one-hot]``, ally features
  ``[visible, dist/9, dx/9, dy/9, health, shield?, type one-hot, last action?]`` (filled only within sight 9 and
  alive), own features ``[health, shield?, type one-hot, (0 if obs_timestep_number)]`` and, with
  ``obs_timestep_number``, the timestep appended after them; a dead agent sees zeros.
* state: ``[allies A x (health, cooldown/max_cd or energy/200, x, y relative to the map centre / playable size,
  shield?, type) | enemies E x (health, x, y, shield?, type) | last actions A x n_actions | timestep?]``.
* action mask: no-op for the dead only; stop; move N/S/E/W when ``int()`` of the point 1 away is on the
  pathing grid; attack enemy ``j`` (Medivac: heal ally ``j``) within centre distance 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from tactica.envs.smac.engine import SHOOT_RANGE, SIGHT_RANGE, BattleSim
from tactica.envs.smac.maps import ENEMY_TYPE_ORDERS, MAP_SIZE, TYPE_ORDERS


@njit(cache=True, inline="always")
def _norm(dx, dy):
    """sqrt(dx^2 + dy^2): libm's hypot, careful about overflow, is several times slower and not needed here."""
    return math.sqrt(dx * dx + dy * dy)


__all__ = ["FeatureConfig", "FeatureBuilder"]


@dataclass(frozen=True)
class FeatureConfig:
    """oxwhirl/smac's observation/state flags (same names and defaults)."""

    obs_all_health: bool = True
    obs_own_health: bool = True
    obs_last_action: bool = False
    obs_instead_of_state: bool = False
    obs_timestep_number: bool = False
    state_last_action: bool = True
    state_timestep_number: bool = False


class FeatureBuilder:
    """Builds observations, states and action masks of a :class:`BattleSim` (all its battles)."""

    def __init__(self, sim: BattleSim, config: FeatureConfig, episode_limit: int):
        self.sim = sim
        self.cfg = config
        self.episode_limit = episode_limit
        spec = sim.spec
        A, E = sim.n_agents, sim.n_enemies
        self.n_actions = 6 + E
        self.utb = spec.unit_type_bits
        self.shield_ally = int(sim.types[0].race == "protoss")
        self.shield_enemy = int(sim.types[A].race == "protoss")
        self.onehot = np.zeros((sim.n_units, self.utb), np.float32)
        if self.utb:
            for i, kind in enumerate(sim.types):
                order = TYPE_ORDERS[spec.map_type] if i < A else ENEMY_TYPE_ORDERS[spec.map_type]
                self.onehot[i, order.index(kind.name)] = 1.0
        self._onehot = np.zeros((sim.n_units, max(self.utb, 1)), np.float32)  # never empty, for the kernel
        self._onehot[:, : self.utb] = self.onehot
        self.nf_en = 4 + self.utb + (1 + self.shield_enemy if config.obs_all_health else 0)
        self.nf_al = (
            4
            + self.utb
            + (1 + self.shield_ally if config.obs_all_health else 0)
            + (self.n_actions if config.obs_last_action else 0)
        )
        # oxwhirl/smac counts the timestep in the own features (a slot it leaves at zero) and then appends the
        # timestep after them, so with obs_timestep_number its vectors are one longer than get_obs_size()
        self.nf_own = (
            self.utb
            + (1 + self.shield_ally if config.obs_own_health else 0)
            + int(config.obs_timestep_number)
        )
        self.obs_size = 4 + E * self.nf_en + (A - 1) * self.nf_al + self.nf_own
        self.obs_len = self.obs_size + int(config.obs_timestep_number)
        self.ally_state_dim = 4 + self.shield_ally + self.utb
        self.enemy_state_dim = 3 + self.shield_enemy + self.utb
        if config.obs_instead_of_state:
            self.state_size = A * self.obs_size  # SMAC's get_state_size(); the vector holds A * obs_len
            self.state_len = A * self.obs_len
        else:
            self.state_size = (
                A * self.ally_state_dim
                + E * self.enemy_state_dim
                + (A * self.n_actions if config.state_last_action else 0)
                + int(config.state_timestep_number)
            )
            self.state_len = self.state_size
        x0, y0, x1, y1 = spec.playable
        self.max_dist = np.array([x1 - x0, y1 - y0], float)
        self.centre = np.array([MAP_SIZE / 2, MAP_SIZE / 2], float)
        self.shield_max = np.where(sim.sh_max > 0, sim.sh_max, 1.0)
        self.cd_norm = np.where(sim.healer, 200.0, sim.max_cd)
        self._flags = np.array(
            [
                config.obs_all_health,
                config.obs_own_health,
                config.obs_last_action,
                config.obs_timestep_number,
                config.state_last_action,
                config.state_timestep_number,
                config.obs_instead_of_state,
                self.shield_ally,
                self.shield_enemy,
                self.utb,
            ],
            np.int64,
        )
        self._grid = np.ascontiguousarray(sim.grid, np.uint8)

    def compute(self, last_action: np.ndarray, steps: np.ndarray):
        """``(obs (B, A, obs_len) float32, state (B, state_len) float32, avail (B, A, n_actions) int8)``."""
        sim = self.sim
        B, A = sim.num_envs, sim.n_agents
        obs = np.zeros((B, A, self.obs_len), np.float32)
        state = np.zeros((B, self.state_len), np.float32)
        avail = np.zeros((B, A, self.n_actions), np.int8)
        _features(
            sim.pos,
            sim.hp,
            sim.sh,
            sim.energy,
            sim.cd,
            sim.alive,
            sim.hp_max,
            self.shield_max,
            self.cd_norm,
            sim.healer,
            self._onehot,
            self._grid,
            last_action,
            steps.astype(np.float64) / self.episode_limit,
            self.centre,
            self.max_dist,
            self._flags,
            A,
            self.nf_en,
            self.nf_al,
            obs,
            state,
            avail,
        )
        return obs, state, avail


@njit(cache=True)
def _features(
    pos,
    hp,
    sh,
    energy,
    cd,
    alive,
    hp_max,
    sh_max,
    cd_norm,
    healer,
    onehot,
    grid,
    last_action,
    tfrac,
    centre,
    max_dist,
    flags,
    A,
    nf_en,
    nf_al,
    obs,
    state,
    avail,
):
    all_health, own_health, obs_last, obs_ts = flags[0], flags[1], flags[2], flags[3]
    st_last, st_ts, obs_state, sh_al, sh_en, utb = flags[4], flags[5], flags[6], flags[7], flags[8], flags[9]
    B = pos.shape[0]
    N = pos.shape[1]
    E = N - A
    n_actions = 6 + E
    W = grid.shape[0]
    H = grid.shape[1]
    k_heal = min(A, E)
    for b in range(B):
        # ---- action masks
        for a in range(A):
            if not alive[b, a]:
                avail[b, a, 0] = 1
                continue
            avail[b, a, 1] = 1
            x = pos[b, a, 0]
            y = pos[b, a, 1]
            for d in range(4):
                # oxwhirl/smac can_move: int() (truncation) of the point half a move (1) away
                if d == 0:
                    px, py = int(x), int(y + 1.0)
                elif d == 1:
                    px, py = int(x), int(y - 1.0)
                elif d == 2:
                    px, py = int(x + 1.0), int(y)
                else:
                    px, py = int(x - 1.0), int(y)
                if 0 <= px < W and 0 <= py < H and grid[px, py]:
                    avail[b, a, 2 + d] = 1
            if healer[a]:
                for j in range(k_heal):
                    if alive[b, j] and not healer[j]:
                        dd = _norm(pos[b, j, 0] - x, pos[b, j, 1] - y)
                        if dd <= SHOOT_RANGE:
                            avail[b, a, 6 + j] = 1
            else:
                for e in range(E):
                    j = A + e
                    if alive[b, j]:
                        dd = _norm(pos[b, j, 0] - x, pos[b, j, 1] - y)
                        if dd <= SHOOT_RANGE:
                            avail[b, a, 6 + e] = 1
        # ---- observations
        for a in range(A):
            if not alive[b, a]:
                continue
            x = pos[b, a, 0]
            y = pos[b, a, 1]
            o = obs[b, a]
            for d in range(4):
                o[d] = avail[b, a, 2 + d]
            at = 4
            for e in range(E):
                j = A + e
                dx = pos[b, j, 0] - x
                dy = pos[b, j, 1] - y
                dd = _norm(dx, dy)
                if alive[b, j] and dd < SIGHT_RANGE:
                    o[at] = avail[b, a, 6 + e]
                    o[at + 1] = dd / SIGHT_RANGE
                    o[at + 2] = dx / SIGHT_RANGE
                    o[at + 3] = dy / SIGHT_RANGE
                    k = at + 4
                    if all_health:
                        o[k] = hp[b, j] / hp_max[j]
                        k += 1
                        if sh_en:
                            o[k] = sh[b, j] / sh_max[j]
                            k += 1
                    for u in range(utb):
                        o[k + u] = onehot[j, u]
                at += nf_en
            for j in range(A):
                if j == a:
                    continue
                dx = pos[b, j, 0] - x
                dy = pos[b, j, 1] - y
                dd = _norm(dx, dy)
                if alive[b, j] and dd < SIGHT_RANGE:
                    o[at] = 1.0
                    o[at + 1] = dd / SIGHT_RANGE
                    o[at + 2] = dx / SIGHT_RANGE
                    o[at + 3] = dy / SIGHT_RANGE
                    k = at + 4
                    if all_health:
                        o[k] = hp[b, j] / hp_max[j]
                        k += 1
                        if sh_al:
                            o[k] = sh[b, j] / sh_max[j]
                            k += 1
                    for u in range(utb):
                        o[k + u] = onehot[j, u]
                    k += utb
                    if obs_last:
                        for u in range(n_actions):
                            o[k + u] = last_action[b, j, u]
                at += nf_al
            if own_health:
                o[at] = hp[b, a] / hp_max[a]
                at += 1
                if sh_al:
                    o[at] = sh[b, a] / sh_max[a]
                    at += 1
            for u in range(utb):
                o[at + u] = onehot[a, u]
            at += utb
            if obs_ts:
                o[at + 1] = tfrac[b]  # after the own features' zero slot
        # ---- state
        s = state[b]
        if obs_state:
            L = obs.shape[2]
            for a in range(A):
                for u in range(L):
                    s[a * L + u] = obs[b, a, u]
            continue
        at = 0
        for i in range(N):
            ally = i < A
            width = (4 + sh_al + utb) if ally else (3 + sh_en + utb)
            if alive[b, i]:
                s[at] = hp[b, i] / hp_max[i]
                k = at + 1
                if ally:
                    s[k] = (energy[b, i] if healer[i] else cd[b, i]) / cd_norm[i]
                    k += 1
                s[k] = (pos[b, i, 0] - centre[0]) / max_dist[0]
                s[k + 1] = (pos[b, i, 1] - centre[1]) / max_dist[1]
                k += 2
                if sh_al if ally else sh_en:
                    s[k] = sh[b, i] / sh_max[i]
                    k += 1
                for u in range(utb):
                    s[k + u] = onehot[i, u]
            at += width
        if st_last:
            for a in range(A):
                for u in range(n_actions):
                    s[at + a * n_actions + u] = last_action[b, a, u]
            at += A * n_actions
        if st_ts:
            s[at] = tfrac[b]
