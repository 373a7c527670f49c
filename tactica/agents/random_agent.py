"""A mask-aware uniformly random agent that plays every tactica environment."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.base import action_mask_of

__all__ = ["RandomAgent"]


class RandomAgent:
    """Picks uniformly among the legal actions.

    When the observation (or ``info``) carries an ``action_mask`` and the action space is ``Discrete``, only
    actions whose mask entry is 1 are drawn; otherwise the action space is sampled with the agent's own seeded
    generator, so a seeded agent is reproducible and independent of the environment's generator.
    """

    def __init__(self, action_space: gym.spaces.Space, observation_space: gym.spaces.Space | None = None):
        if not isinstance(action_space, gym.spaces.Space):
            raise TypeError(f"action_space must be a gymnasium Space, got {type(action_space).__name__}")
        self.action_space = action_space
        self.observation_space = observation_space
        self._space = _copy_space(action_space)
        self._rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._space.seed(None if seed is None else int(self._rng.integers(2**31)))

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> Any:
        mask = action_mask_of(observation, info)
        if isinstance(self.action_space, gym.spaces.Discrete):
            if mask is not None:
                legal = np.flatnonzero(mask)
                if legal.size == 0:
                    raise ValueError("the action mask has no legal action")
                return int(self.action_space.start + self._rng.choice(legal))
            return int(self.action_space.start + self._rng.integers(self.action_space.n))
        if mask is not None and isinstance(self.action_space, gym.spaces.MultiDiscrete):
            return self._space.sample(mask=tuple(np.asarray(m, dtype=np.int8) for m in mask))
        return self._space.sample()


def _copy_space(space: gym.spaces.Space) -> gym.spaces.Space:
    # Sampling must not disturb the caller's space RNG, so the agent samples from a deep copy.
    import copy

    return copy.deepcopy(space)
