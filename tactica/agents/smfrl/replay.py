"""Replay for SMFRL with household sub-sampling: memory per transition does not grow with N."""

from __future__ import annotations

import numpy as np

__all__ = ["MeanFieldReplay"]


class MeanFieldReplay:
    """A ring buffer of leader transitions, each with ``households`` randomly chosen followers.

    Per transition it keeps the public vector (before and after), the leader's action and reward, the
    population's mean action (over all N), and for ``households`` sampled households their private features
    (before and after), actions and rewards.  Memory is ``O(capacity x households)``, independent of N.
    """

    def __init__(self, capacity: int, public_dim: int, policy_dim: int, private_dim: int, households: int):
        if capacity < 1 or households < 1:
            raise ValueError("capacity and households must be >= 1")
        self.capacity, self.households = capacity, households
        f32 = np.float32
        self.public = np.zeros((capacity, public_dim), f32)
        self.next_public = np.zeros((capacity, public_dim), f32)
        self.leader_action = np.zeros((capacity, policy_dim), f32)
        self.leader_reward = np.zeros(capacity, f32)
        self.done = np.zeros(capacity, f32)
        self.mean_action = np.zeros((capacity, 2), f32)
        self.private = np.zeros((capacity, households, private_dim), f32)
        self.next_private = np.zeros((capacity, households, private_dim), f32)
        self.follower_action = np.zeros((capacity, households, 2), f32)
        self.follower_reward = np.zeros((capacity, households), f32)
        self.size = 0
        self._next = 0

    def add(
        self,
        rng: np.random.Generator,
        *,
        public: np.ndarray,
        next_public: np.ndarray,
        leader_action: np.ndarray,
        leader_reward: float,
        done: bool,
        private: np.ndarray,
        next_private: np.ndarray,
        follower_action: np.ndarray,
        follower_reward: np.ndarray,
    ) -> None:
        """Store one year; ``private``/``follower_action``/``follower_reward`` cover all N households."""
        n = private.shape[0]
        pick = rng.choice(n, size=self.households, replace=n < self.households)
        i = self._next
        self.public[i], self.next_public[i] = public, next_public
        self.leader_action[i], self.leader_reward[i], self.done[i] = leader_action, leader_reward, float(done)
        self.mean_action[i] = follower_action.mean(axis=0)
        self.private[i], self.next_private[i] = private[pick], next_private[pick]
        self.follower_action[i], self.follower_reward[i] = follower_action[pick], follower_reward[pick]
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        if self.size == 0:
            raise ValueError("the replay is empty")
        idx = rng.integers(0, self.size, size=batch)
        names = (
            "public",
            "next_public",
            "leader_action",
            "leader_reward",
            "done",
            "mean_action",
            "private",
            "next_private",
            "follower_action",
            "follower_reward",
        )
        return {name: getattr(self, name)[idx] for name in names}
