"""oxwhirl/smac's observation and state vectors, computed for a whole batch of battles at once.

Layouts (``docs/smac.md`` has the full tables):

* observation of agent ``a``: ``[move (4) | enemies (E x nf_en) | other allies ((A-1) x nf_al) | own]`` with
  enemy features ``[attackable, dist/9, dx/9, dy/9, health, shield?, type one-hot]``, ally features
  ``[visible, dist/9, dx/9, dy/9, health, shield?, type one-hot, last action?]`` (filled only within sight 9 and
  alive), own features ``[health, shield?, type one-hot]``; a dead agent sees zeros.
* state: ``[allies A x (health, cooldown/max_cd or energy/200, x, y relative to the map centre / playable size,
  shield?, type) | enemies E x (health, x, y, shield?, type) | last actions A x n_actions]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.envs.smac.engine import SIGHT_RANGE, BattleSim
from tactica.envs.smac.maps import ENEMY_TYPE_ORDERS, MAP_SIZE, TYPE_ORDERS

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
    """Builds observations and states of a :class:`BattleSim` (all its battles)."""

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
        self.nf_en = 4 + self.utb + (1 + self.shield_enemy if config.obs_all_health else 0)
        self.nf_al = (
            4
            + self.utb
            + (1 + self.shield_ally if config.obs_all_health else 0)
            + (self.n_actions if config.obs_last_action else 0)
        )
        self.nf_own = self.utb + (1 + self.shield_ally if config.obs_own_health else 0)
        self.obs_size = (
            4 + E * self.nf_en + (A - 1) * self.nf_al + self.nf_own + int(config.obs_timestep_number)
        )
        self.ally_state_dim = 4 + self.shield_ally + self.utb
        self.enemy_state_dim = 3 + self.shield_enemy + self.utb
        if config.obs_instead_of_state:
            self.state_size = A * self.obs_size
        else:
            self.state_size = (
                A * self.ally_state_dim
                + E * self.enemy_state_dim
                + (A * self.n_actions if config.state_last_action else 0)
                + int(config.state_timestep_number)
            )
        # other[a] lists the allies of agent a in id order (SMAC's ally slots)
        self.others = np.array([[j for j in range(A) if j != a] for a in range(A)], np.int64).reshape(
            A, A - 1
        )
        self._rows = np.arange(A)[:, None]
        x0, y0, x1, y1 = spec.playable
        self.max_dist = np.array([x1 - x0, y1 - y0])
        self.centre = np.array([MAP_SIZE / 2, MAP_SIZE / 2])
        self.shield_max = np.where(sim.sh_max > 0, sim.sh_max, 1.0)
        self.cd_norm = np.where(sim.healer, 200.0, sim.max_cd)

    # ------------------------------------------------------------------ obs
    def observations(
        self, dist: np.ndarray, avail: np.ndarray, last_action: np.ndarray, steps: np.ndarray
    ) -> np.ndarray:
        """Observations (B, A, obs_size) float32, written segment by segment into one array."""
        sim, cfg = self.sim, self.cfg
        A, E, B = sim.n_agents, sim.n_enemies, sim.num_envs
        alive = sim.alive
        me = alive[:, :A]
        health = sim.hp / sim.hp_max
        shield = sim.sh / self.shield_max
        out = np.zeros((B, A, self.obs_size), np.float32)
        out[..., :4] = avail[:, :, 2:6]
        at = 4
        # enemies
        en = out[..., at : at + E * self.nf_en].reshape(B, A, E, self.nf_en)
        at += E * self.nf_en
        d_en = dist[:, :A, A:]
        rel = sim.pos[:, None, A:, :] - sim.pos[:, :A, None, :]
        en[..., 0] = avail[:, :, 6:]
        en[..., 1] = d_en / SIGHT_RANGE
        en[..., 2:4] = rel / SIGHT_RANGE
        k = 4
        if cfg.obs_all_health:
            en[..., k] = health[:, None, A:]
            k += 1
            if self.shield_enemy:
                en[..., k] = shield[:, None, A:]
                k += 1
        if self.utb:
            en[..., k : k + self.utb] = self.onehot[A:]
        en *= ((d_en < SIGHT_RANGE) & alive[:, None, A:])[..., None]
        # allies, in SMAC's slot order (every other ally by id)
        if A > 1:
            oth = self.others
            al = out[..., at : at + (A - 1) * self.nf_al].reshape(B, A, A - 1, self.nf_al)
            at += (A - 1) * self.nf_al
            d_al = dist[:, self._rows, oth]
            al[..., 0] = 1.0
            al[..., 1] = d_al / SIGHT_RANGE
            al[..., 2:4] = (sim.pos[:, oth, :] - sim.pos[:, :A, None, :]) / SIGHT_RANGE
            k = 4
            if cfg.obs_all_health:
                al[..., k] = health[:, oth]
                k += 1
                if self.shield_ally:
                    al[..., k] = shield[:, oth]
                    k += 1
            if self.utb:
                al[..., k : k + self.utb] = self.onehot[oth]
                k += self.utb
            if cfg.obs_last_action:
                al[..., k:] = last_action[:, oth]
            al *= ((d_al < SIGHT_RANGE) & alive[:, oth])[..., None]
        # own
        if cfg.obs_own_health:
            out[..., at] = health[:, :A]
            at += 1
            if self.shield_ally:
                out[..., at] = shield[:, :A]
                at += 1
        if self.utb:
            out[..., at : at + self.utb] = self.onehot[:A]
            at += self.utb
        if cfg.obs_timestep_number:
            out[..., at] = (steps / self.episode_limit)[:, None]
        out *= me[..., None]
        return out

    # ---------------------------------------------------------------- state
    def states(self, obs: np.ndarray | None, last_action: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Global states (B, state_size) float32; ``obs`` is needed only with ``obs_instead_of_state``."""
        sim, cfg = self.sim, self.cfg
        A, B = sim.n_agents, sim.num_envs
        if cfg.obs_instead_of_state:
            return obs.reshape(B, -1).astype(np.float32)
        alive = sim.alive
        health = sim.hp / sim.hp_max
        xy = (sim.pos - self.centre) / self.max_dist
        al = [health[:, :A], np.where(sim.healer[:A], sim.energy[:, :A], sim.cd[:, :A]) / self.cd_norm[:A]]
        al += [xy[:, :A, 0], xy[:, :A, 1]]
        if self.shield_ally:
            al.append(sim.sh[:, :A] / self.shield_max[:A])
        al = np.stack(al, -1)
        en = [health[:, A:], xy[:, A:, 0], xy[:, A:, 1]]
        if self.shield_enemy:
            en.append(sim.sh[:, A:] / self.shield_max[A:])
        en = np.stack(en, -1)
        if self.utb:
            al = np.concatenate([al, np.broadcast_to(self.onehot[:A], (B, A, self.utb))], -1)
            en = np.concatenate([en, np.broadcast_to(self.onehot[A:], (B, sim.n_enemies, self.utb))], -1)
        parts = [(al * alive[:, :A, None]).reshape(B, -1), (en * alive[:, A:, None]).reshape(B, -1)]
        if cfg.state_last_action:
            parts.append(last_action.reshape(B, -1))
        if cfg.state_timestep_number:
            parts.append((steps / self.episode_limit)[:, None])
        return np.concatenate(parts, -1).astype(np.float32)
