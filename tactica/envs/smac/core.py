"""SMAC's step semantics (actions, reward, episode end) over a batch of battles.

:class:`SMACBatch` is shared by the single-battle classes (:class:`tactica.envs.smac.env.SMACEnv`, the
PettingZoo env) and the batched training env (:class:`tactica.envs.smac.vector.SMACVectorEnv`), so all of them
compute rewards and terminations the same way as oxwhirl/smac's ``StarCraft2Env.step`` and ``reward_battle``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

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
        heuristic_ai: bool = False,
        heuristic_rest: bool = False,
        check_physics: bool = False,
    ):
        self.spec = get_map(map_name)
        self.sim = BattleSim(
            self.spec,
            num_envs,
            cooldown_jitter=cooldown_jitter,
            unit_overrides=unit_overrides,
            heuristic_ai=heuristic_ai,
            heuristic_rest=heuristic_rest,
        )
        self.heuristic_ai = bool(heuristic_ai)
        # with check_physics every game loop is checked (BattleSim.step_checked): terrain violations (on an
        # unwalkable cell, crossing one) are counted and the largest overlap between colliding units is kept
        self.check_physics = bool(check_physics)
        self.terrain_violations = np.zeros(2, np.int64)
        self.max_loop_overlap = 0.0
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
        # oxwhirl/smac adds the win (defeat) bonus the first time an episode's win (defeat) is seen only
        self.win_counted = np.zeros(num_envs, bool)
        self.defeat_counted = np.zeros(num_envs, bool)
        self._dist: np.ndarray | None = None
        healer = sim.healer
        team = sim.team
        medivac = np.array([u.name == "medivac" for u in sim.types])
        self._medivac = medivac
        self._count_matrix = np.stack(
            [team == 0, team == 1, (team == 0) & ~healer, (team == 1) & medivac], 1
        ).astype(np.int64)
        r = self.rcfg
        self._rflags = np.array(
            [
                r.reward_sparse,
                r.reward_only_positive,
                r.reward_abs_quirk,
                r.reward_scale,
                r.reward_death_value,
                r.reward_win,
                r.reward_defeat,
                r.reward_negative_scale,
                r.reward_scale_rate,
            ],
            float,
        )
        # flat offset of (env, agent) rows in (B, A, n_actions) arrays
        self._act_off = (np.arange(num_envs * A) * self.n_actions).reshape(num_envs, A)
        self._out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._dist: np.ndarray | None = None

    # ------------------------------------------------------------------ api
    def reset(self, envs: np.ndarray | None = None, rng: np.random.Generator | None = None) -> None:
        e = slice(None) if envs is None else envs
        self.sim.reset(envs, rng)
        self.last_action[e] = 0.0
        self.steps[e] = 0
        self.win_counted[e] = False
        self.defeat_counted[e] = False
        self._out = self._dist = None

    def outputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(observations (B, A, obs_len), states (B, state_len), masks (B, A, n_actions))``, computed once per
        step in one compiled pass."""
        if self._out is None:
            self._out = self.features.compute(self.last_action, self.steps)
        return self._out

    def distances(self) -> np.ndarray:
        if self._dist is None:
            self._dist = self.sim.distances()
        return self._dist

    def avail_actions(self) -> np.ndarray:
        """int8 (B, A, n_actions)."""
        return self.outputs()[2]

    def observations(self) -> np.ndarray:
        return self.outputs()[0]

    def states(self) -> np.ndarray:
        return self.outputs()[1]

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """Validate SMAC action ids (B, A) against the masks; raise ``ValueError`` naming the first bad one."""
        acts = np.asarray(actions)
        if acts.shape != (self.num_envs, self.n_agents) or acts.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({self.num_envs}, {self.n_agents}), got {acts.dtype} {acts.shape}"
            )
        avail = self.avail_actions()
        acts64 = acts.astype(np.int64, copy=False)
        # fast path: every id in 0..n_actions-1 (negatives wrap to huge unsigned values) and available
        if np.count_nonzero(acts64.view(np.uint64) < self.n_actions) == acts64.size:
            ok = avail.reshape(-1)[self._act_off + acts64] == 1
            if np.count_nonzero(ok) == ok.size:
                return acts64
        in_range = (acts >= 0) & (acts < self.n_actions)
        ok = in_range & (avail.reshape(-1)[self._act_off + np.where(in_range, acts, 0)] == 1)
        b, a = (int(x) for x in np.argwhere(~ok)[0])
        legal = np.flatnonzero(avail[b, a]).tolist()
        raise ValueError(f"agent {a} cannot perform action {int(acts[b, a])}; available actions: {legal}")

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance every battle; returns ``(reward (B,), terminated (B,), end_code (B,))``.

        ``end_code`` is 1 for a win, -1 for a loss, 0 for mutual destruction, 2 for a timeout and 3 for
        "still running" (oxwhirl/smac's ``update_units`` codes, plus 2 and 3).
        """
        if self.heuristic_ai:  # SMAC ignores (and does not check) the actions; only last_action records them
            acts = np.asarray(actions, dtype=np.int64)
            if (
                acts.shape != (self.num_envs, self.n_agents)
                or not ((acts >= 0) & (acts < self.n_actions)).all()
            ):
                raise ValueError(
                    f"actions must be ids in [0, {self.n_actions}) of shape {(self.num_envs, self.n_agents)}"
                )
        else:
            acts = self.check_actions(actions)
        sim = self.sim
        prev_hpsh = sim.hp + sim.sh
        was_alive = sim.alive.copy()
        if self.check_physics:
            counts, overlap = sim.step_checked(acts, rng)
            self.terrain_violations += counts
            self.max_loop_overlap = max(self.max_loop_overlap, overlap)
        else:
            sim.step(acts, rng)
        self._out = self._dist = None
        reward = np.empty(self.num_envs)
        code = np.empty(self.num_envs, np.int64)
        _settle(
            acts,
            prev_hpsh,
            was_alive,
            sim.hp,
            sim.sh,
            sim.alive,
            self._medivac,
            self.n_agents,
            self.mmm,
            self._rflags,
            self.max_reward,
            self.episode_limit,
            self.last_action,
            self.steps,
            self.win_counted,
            self.defeat_counted,
            reward,
            code,
        )
        return reward, code != 3, code

    def end_codes(self) -> np.ndarray:
        """oxwhirl/smac's ``update_units`` result per battle (1 win, -1 loss, 0 both dead, 3 still running)."""
        # live units per battle: allies, enemies, allies other than Medivacs, enemy Medivacs
        counts = self.sim.alive.astype(np.int64) @ self._count_matrix
        code = _END_CODES[np.minimum(counts[:, :2], 1) @ _LIVE_KEY]  # 2 * (allies live) + (enemies live)
        if self.mmm:
            # oxwhirl/smac's only_medivac_left: allies with no unit but Medivacs have lost; the enemy has lost
            # when its last live unit is a Medivac (defeat is checked first)
            code = np.where((counts[:, 1] == 1) & (counts[:, 3] == 1), 1, code)
            code = np.where(counts[:, 2] == 0, -1, code)
        return code


@njit(cache=True)
def _settle(
    acts,
    prev_hpsh,
    was_alive,
    hp,
    sh,
    alive,
    medivac,
    A,
    mmm,
    rflags,
    max_reward,
    limit,
    last_action,
    steps,
    win_counted,
    defeat_counted,
    reward,
    code,
):
    """oxwhirl/smac's ``reward_battle``, ``update_units`` and episode-limit logic after one step, per battle."""
    sparse, only_pos, abs_quirk, scale = rflags[0] != 0, rflags[1] != 0, rflags[2] != 0, rflags[3] != 0
    death_value, win_value, defeat_value, neg_scale, scale_rate = (
        rflags[4],
        rflags[5],
        rflags[6],
        rflags[7],
        rflags[8],
    )
    B, N = hp.shape
    for b in range(B):
        steps[b] += 1
        for a in range(A):
            for u in range(last_action.shape[2]):
                last_action[b, a, u] = 0.0
            last_action[b, a, acts[b, a]] = 1.0
        # dead units hold 0 health and shield, so a death's delta is the health + shield it had before
        d_enemy = 0.0
        d_ally = 0.0
        deaths_enemy = 0
        deaths_ally = 0
        n_ally = 0
        n_enemy = 0
        ally_non_medivac = 0
        enemy_medivac = 0
        for i in range(N):
            delta = prev_hpsh[b, i] - (hp[b, i] + sh[b, i])
            died = was_alive[b, i] and not alive[b, i]
            if i < A:
                d_ally += delta
                deaths_ally += died
                if alive[b, i]:
                    n_ally += 1
                    if not medivac[i]:
                        ally_non_medivac += 1
            else:
                d_enemy += delta
                deaths_enemy += died
                if alive[b, i]:
                    n_enemy += 1
                    if medivac[i]:
                        enemy_medivac += 1
        if only_pos:
            total = d_enemy + deaths_enemy * death_value
            r = abs(total) if abs_quirk else max(total, 0.0)
        else:
            r = d_enemy + deaths_enemy * death_value - (d_ally + deaths_ally * death_value) * neg_scale
        # update_units: loss is checked first, then win, then mutual destruction
        c = 3
        if (n_ally == 0 and n_enemy > 0) or (mmm and ally_non_medivac == 0):
            c = -1
        elif (n_ally > 0 and n_enemy == 0) or (mmm and n_enemy == 1 and enemy_medivac == 1):
            c = 1
        elif n_ally == 0 and n_enemy == 0:
            c = 0
        win = c == 1 and not win_counted[b]
        loss = c == -1 and not defeat_counted[b]
        if win:
            win_counted[b] = True
        if loss:
            defeat_counted[b] = True
        if sparse:
            r = (1.0 if win else 0.0) - (1.0 if loss else 0.0)
        else:
            r += (win_value if win else 0.0) + (defeat_value if loss else 0.0)
            if scale:
                r /= max_reward / scale_rate
        if c == 3 and steps[b] >= limit:
            c = 2
        reward[b] = r
        code[b] = c
