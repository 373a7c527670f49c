"""Many SMAC battles stepped together: one NumPy call advances all of them (for training and benchmarks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.smac.core import RewardConfig, SMACBatch
from tactica.envs.smac.features import FeatureConfig

__all__ = ["SMACVectorEnv"]


class SMACVectorEnv:
    """``num_envs`` battles of one map with SMAC's vectors, batched; finished battles restart automatically.

    ``reset(seed)`` returns ``(obs (B, A, obs_size), state (B, state_size), avail (B, A, n_actions))``;
    ``step(actions (B, A))`` returns ``(obs, state, avail, reward (B,), terminated (B,), info)`` where
    ``info`` holds arrays ``battle_won``, ``timeout``, ``episode_length`` for the battles that just ended
    (their observations are already those of the next battle, as Gymnasium's same-step autoreset).

    >>> env = SMACVectorEnv("3m", num_envs=4)
    >>> obs, state, avail = env.reset(seed=0)
    >>> obs.shape, state.shape, avail.shape
    ((4, 3, 30), (4, 48), (4, 3, 9))
    """

    def __init__(
        self,
        map_name: str = "3m",
        num_envs: int = 8,
        *,
        features: FeatureConfig | None = None,
        rewards: RewardConfig | None = None,
        cooldown_jitter: bool = True,
    ):
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.core = SMACBatch(
            map_name, num_envs, features=features, rewards=rewards, cooldown_jitter=cooldown_jitter
        )
        self.num_envs = num_envs
        self.n_agents = self.core.n_agents
        self.n_actions = self.core.n_actions
        self.obs_size = self.core.features.obs_len
        self.state_size = self.core.features.state_len
        self.rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.rng = np.random.default_rng(seed)
        self.core.reset(rng=self.rng)
        return self._outputs()

    def _outputs(self):
        obs, state, avail = self.core.outputs()
        return obs, state, avail

    def step(self, actions: np.ndarray):
        reward, terminated, code = self.core.step(np.asarray(actions), self.rng)
        info: dict[str, Any] = {
            "battle_won": code == 1,
            "timeout": code == 2,
            "episode_length": self.core.steps.copy(),
        }
        if terminated.any():
            self.core.reset(np.flatnonzero(terminated), rng=self.rng)
        return (*self._outputs(), reward, terminated, info)

    def random_actions(self, avail: np.ndarray | None = None) -> np.ndarray:
        """Uniformly random legal actions for every agent of every battle (vectorised)."""
        avail = self.core.avail_actions() if avail is None else avail
        noise = self.rng.random(avail.shape) * avail
        return noise.argmax(axis=-1)
