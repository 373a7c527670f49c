"""The agent protocol: what the leaderboard, the CLI and the examples expect of every agent."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

__all__ = ["Agent", "action_mask_of"]


@runtime_checkable
class Agent(Protocol):
    """Maps observations to actions.

    Agents are made by name (:func:`tactica.agents.make`) with the action and observation spaces of the seat
    they play, so one agent class serves every environment whose spaces it understands.

    ``reset(seed)`` starts an episode (and seeds the agent's own random generator); ``act(observation, info)``
    returns an action in the action space.  Multi-agent runners make one agent per seat.
    """

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: Any, info: dict[str, Any]) -> Any: ...


def action_mask_of(observation: Any, info: dict[str, Any] | None) -> np.ndarray | None:
    """The int8 legal-move mask carried by an observation dict or by ``info`` (PettingZoo allows both)."""
    if isinstance(observation, dict) and "action_mask" in observation:
        return np.asarray(observation["action_mask"], dtype=np.int8)
    if info and "action_mask" in info:
        return np.asarray(info["action_mask"], dtype=np.int8)
    return None


def _is_space(space: Any) -> bool:
    return isinstance(space, gym.spaces.Space)
