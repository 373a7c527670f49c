"""Wrappers for RL agents on TextSC2-v1: a flat numeric observation with the action mask.

>>> import gymnasium as gym, tactica
>>> from tactica.envs.textsc2.wrappers import NumericObservation
>>> env = NumericObservation(gym.make("TextSC2-v1"))
>>> obs, info = env.reset(seed=0)
>>> obs["observation"].shape == env.observation_space["observation"].shape
True
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["NumericObservation"]


def _leaves(space: spaces.Space, prefix: str = "") -> list[str]:
    if isinstance(space, spaces.Dict):
        out: list[str] = []
        for key, sub in space.spaces.items():
            out += _leaves(sub, f"{prefix}{key}.")
        return out
    return [prefix[:-1]]


def _leaf(space: spaces.Space, path: list[str]) -> spaces.Box:
    for key in path:
        space = space[key]
    return space


class NumericObservation(gym.ObservationWrapper):
    """Replaces the nested dict and text by ``{"observation": float32 vector, "action_mask": int8 (72,)}``.

    The vector holds every numeric leaf of the original dict in a fixed order (:attr:`feature_names`):
    resources, buildings, units, planning, research progress and visible enemy counts.  Stable-Baselines3's
    ``MultiInputPolicy`` takes this space; the mask is for maskable algorithms.
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        inner = env.observation_space
        if not isinstance(inner, spaces.Dict) or "action_mask" not in inner.spaces:
            raise TypeError("NumericObservation wraps TextSC2-v1 (a Dict observation with an action_mask)")
        keys = ("resource", "building", "unit", "planning", "research", "enemy")
        self.feature_names: list[str] = []
        for key in keys:
            self.feature_names += _leaves(inner[key], f"{key}.")
        self._paths = [name.split(".") for name in self.feature_names]
        # Each feature keeps its leaf's lower bound (supply left may be negative); none has a finite top.
        low = np.array([float(_leaf(inner, path).low) for path in self._paths], dtype=np.float32)
        self.observation_space = spaces.Dict(
            {
                "observation": spaces.Box(low, np.inf, shape=(len(self.feature_names),), dtype=np.float32),
                "action_mask": inner["action_mask"],
            }
        )

    def observation(self, observation: dict) -> dict:
        vector = np.empty(len(self._paths), dtype=np.float32)
        for i, path in enumerate(self._paths):
            value = observation
            for key in path:
                value = value[key]
            vector[i] = float(value)
        return {"observation": vector, "action_mask": observation["action_mask"]}
