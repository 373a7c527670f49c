"""SMAC's step semantics (actions, reward, episode end) over a batch of battles.

:class:`SMACBatch` is shared by the single-battle classes (:class:`tactica.envs.smac.env.SMACEnv`, the
PettingZoo env) and the batched training env (:class:`tactica.envs.smac.vector.SMACVectorEnv`), so all of them
compute rewards and terminations the same way as oxwhirl/smac's ``StarCraft2Env.step`` and ``reward_battle``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.envs.smac.engine import BattleSim
from tactica.envs.smac.features import FeatureBuilder, FeatureConfig
from tactica.envs.smac.maps import get_map

__all__ = ["RewardConfig", "SMACBatch"]

# update_units codes by (allies alive, enemies alive): both dead 0, loss -1, win 1, running 3
_END_CODES = np.array([0, -1, 1, 3], np.int64)
_LIVE_KEY = np.array([2, 1], np.int64)


@dataclass(frozen=True)
class RewardConfig:
    """oxwhirl/smac's reward flags (same names and defaults) plus ``reward_abs_quirk``.

    ``reward_only_positive=True`` makes SMAC return ``abs(delta_enemy + delta_deaths)``, which turns enemy shield
    regeneration (a negative damage delta) into positive reward (oxwhirl/smac issue #72).  ``reward_abs_quirk``
    (default ``True``, SMAC-compatible) keeps that ``abs``; ``False`` clips at zero instead.
    """

    reward_sparse: bool = False
    reward_only_positive: bool = True
    reward_death_value: float = 10.0
    reward_win: float = 200.0
    reward_defeat: float = 0.0
    reward_negative_scale: float = 0.5
    reward_scale: bool = True
    reward_scale_rate: float = 20.0
    reward_abs_quirk: bool = True


class SMACBatch:
    """``num_envs`` SMAC battles on one map with SMAC's action rules, features, rewards and episode ends."""

    def __init__(
        self,
        map_name: str,
        num_envs: int = 1,
        *,
        features: FeatureConfig | None = None,
        rewards: RewardConfig | None = None,
        cooldown_jitter: bool = True,
        unit_overrides: tuple[list, list] | None = None,
        episode_limit: int | None = None,
    ):
        self.spec = get_map(map_name)
        self.sim = BattleSim(
            self.spec, num_envs, cooldown_jitter=cooldown_jitter, unit_overrides=unit_overrides
        )
        if episode_limit is not None and (not isinstance(episode_limit, int) or episode_limit < 1):
            raise ValueError(f"episode_limit must be a positive int or None, got {episode_limit!r}")
        self.episode_limit = episode_limit or self.spec.episode_limit
        self.fcfg = features or FeatureConfig()
        self.rcfg = rewards or RewardConfig()
        self.features = FeatureBuilder(self.sim, self.fcfg, self.episode_limit)
        self.num_envs = num_envs
        self.n_agents = self.sim.n_agents
        self.n_enemies = self.sim.n_enemies
        self.n_actions = 6 + self.n_enemies
        sim = self.sim
        A = self.n_agents
        self.max_reward = (
            self.n_enemies * self.rcfg.reward_death_value
            + self.rcfg.reward_win
            + float((sim.hp_max[A:] + sim.sh_max[A:]).sum())
        )
        self.mmm = self.spec.map_type == "MMM"
        self.last_action = np.zeros((num_envs, A, self.n_actions), np.float32)
        self.steps = np.zeros(num_envs, np.int64)
        self._dist: np.ndarray | None = None
        healer = sim.healer
        team = sim.team
        self._count_matrix = np.stack(
            [team == 0, team == 1, (team == 0) & ~healer, (team == 1) & ~healer], 1
        ).astype(np.int64)
        # flat offset of (env, agent) rows in (B, A, n_actions) arrays
        self._act_off = (np.arange(num_envs * A) * self.n_actions).reshape(num_envs, A)
        self._avail: np.ndarray | None = None

    # ------------------------------------------------------------------ api
    def reset(self, envs: np.ndarray | None = None) -> None:
        e = slice(None) if envs is None else envs
        self.sim.reset(envs)
        self.last_action[e] = 0.0
        self.steps[e] = 0
        self._dist = self._avail = None

    def distances(self) -> np.ndarray:
        if self._dist is None:
            self._dist = self.sim.distances()
        return self._dist

    def avail_actions(self) -> np.ndarray:
        """int8 (B, A, n_actions)."""
        if self._avail is None:
            self._avail = self.sim.avail_actions(self.distances())
        return self._avail

    def observations(self) -> np.ndarray:
        return self.features.observations(
            self.distances(), self.avail_actions(), self.last_action, self.steps
        )

    def states(self) -> np.ndarray:
        obs = self.observations() if self.fcfg.obs_instead_of_state else None
        return self.features.states(obs, self.last_action, self.steps)

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """Validate SMAC action ids (B, A) against the masks; raise ``ValueError`` naming the first bad one."""
        acts = np.asarray(actions)
        if acts.shape != (self.num_envs, self.n_agents) or acts.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({self.num_envs}, {self.n_agents}), got {acts.dtype} {acts.shape}"
            )
        avail = self.avail_actions()
        acts64 = acts.astype(np.int64)
        # fast path: every id in 0..n_actions-1 (negatives wrap to huge unsigned values) and available
        if np.count_nonzero(acts64.view(np.uint64) < self.n_actions) == acts64.size:
            ok = avail.reshape(-1)[self._act_off + acts64] == 1
            if np.count_nonzero(ok) == ok.size:
                return acts64
        in_range = (acts >= 0) & (acts < self.n_actions)
        ok = in_range & (avail.reshape(-1)[self._act_off + np.where(in_range, acts, 0)] == 1)
        if np.count_nonzero(ok) != ok.size:
            b, a = (int(x) for x in np.argwhere(~ok)[0])
            legal = np.flatnonzero(avail[b, a]).tolist()
            raise ValueError(f"agent {a} cannot perform action {int(acts[b, a])}; available actions: {legal}")
        return acts.astype(np.int64)

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance every battle; returns ``(reward (B,), terminated (B,), end_code (B,))``.

        ``end_code`` is 1 for a win, -1 for a loss, 0 for mutual destruction, 2 for a timeout and 3 for
        "still running" (oxwhirl/smac's ``update_units`` codes, plus 2 and 3).
        """
        acts = self.check_actions(actions)
        sim, r = self.sim, self.rcfg
        A = self.n_agents
        prev = sim.hp + sim.sh
        was_alive = sim.alive.copy()
        self.last_action[:] = 0.0
        self.last_action.reshape(-1)[self._act_off + acts] = 1.0
        sim.step(acts, rng, self.distances())
        self._dist = self._avail = None
        self.steps += 1
        # dead units hold 0 health and shield, so a death's delta is the health + shield it had before
        delta = prev - (sim.hp + sim.sh)
        died = was_alive ^ sim.alive
        delta_enemy = delta[:, A:].sum(1)
        delta_deaths = died[:, A:].sum(1) * r.reward_death_value
        if r.reward_only_positive:
            total = delta_enemy + delta_deaths
            reward = np.abs(total) if r.reward_abs_quirk else np.maximum(total, 0.0)
        else:
            delta_ally = delta[:, :A].sum(1) * r.reward_negative_scale
            delta_deaths = delta_deaths - died[:, :A].sum(1) * r.reward_death_value * r.reward_negative_scale
            reward = delta_enemy + delta_deaths - delta_ally
        code = self.end_codes()
        win, loss = code == 1, code == -1
        if r.reward_sparse:
            reward = win.astype(float) - loss.astype(float)
        else:
            reward = reward + win * r.reward_win + loss * r.reward_defeat
            if r.reward_scale:
                reward = reward / (self.max_reward / r.reward_scale_rate)
        timeout = self.steps >= self.episode_limit
        if np.count_nonzero(timeout):
            code = np.where((code == 3) & timeout, 2, code)
        return reward.astype(np.float64, copy=False), code != 3, code

    def end_codes(self) -> np.ndarray:
        """oxwhirl/smac's ``update_units`` result per battle (1 win, -1 loss, 0 both dead, 3 still running)."""
        # live units per battle: allies, enemies, allies other than Medivacs, enemies other than Medivacs
        counts = self.sim.alive @ self._count_matrix
        code = _END_CODES[np.minimum(counts[:, :2], 1) @ _LIVE_KEY]  # 2 * (allies live) + (enemies live)
        if self.mmm:  # oxwhirl/smac's only_medivac_left: a side left with only Medivacs has lost
            code = np.where(counts[:, 3] == 0, 1, code)
            code = np.where(counts[:, 2] == 0, -1, code)  # defeat is checked first in SMAC
        return code
