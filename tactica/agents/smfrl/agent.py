"""SMFRL policies as tactica agents: the trained leader for ``government``, the follower for ``households``."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from tactica.agents.smfrl.learner import SMFRL

__all__ = ["SMFRLGovernment", "SMFRLHouseholds", "load_learner"]


def load_learner(checkpoint: str | Path | SMFRL) -> SMFRL:
    """A learner from a checkpoint file written by the training script (or the learner itself)."""
    if isinstance(checkpoint, SMFRL):
        return checkpoint
    path = Path(checkpoint)
    if path.is_dir():
        path = path / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"no SMFRL checkpoint at {path}; train one with python -m tactica.agents.smfrl.train"
        )
    try:
        # weights_only: a checkpoint is data; unpickling arbitrary objects would run the file's code
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(
            f"{path} holds objects other than tensors and numbers (a checkpoint of an older tactica?); it is not "
            f"loaded because unpickling them could run code. Retrain it. ({str(exc).splitlines()[0]})"
        ) from None
    return SMFRL.from_state_dict(state["learner"] if "learner" in state else state)


class _SMFRLAgent:
    def __init__(
        self, action_space: gym.spaces.Space, observation_space: gym.spaces.Space | None, checkpoint, noise
    ):
        if checkpoint is None:
            raise ValueError(
                "SMFRL agents need checkpoint= (a run directory, a checkpoint.pt file or a learner)"
            )
        self.learner = load_learner(checkpoint)
        self.action_space, self.observation_space = action_space, observation_space
        self.noise = float(noise)
        self._rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)


class SMFRLGovernment(_SMFRLAgent):
    """The trained SMFRL leader; ``noise`` > 0 adds Gaussian exploration noise of that scale."""

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        checkpoint: str | Path | SMFRL | None = None,
        noise: float = 0.0,
    ):
        super().__init__(action_space, observation_space, checkpoint, noise)
        if action_space.shape != (self.learner.policy_dim,):
            raise ValueError(
                f"the checkpoint's leader acts in {self.learner.policy_dim} dims, the env in {action_space.shape}"
            )

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        action = self.learner.leader_act(np.asarray(observation, dtype=np.float32))
        if self.noise:
            action = np.clip(action + self.noise * self._rng.standard_normal(action.shape), -1, 1).astype(
                np.float32
            )
        return action


class SMFRLHouseholds(_SMFRLAgent):
    """The trained SMFRL follower policy, acting for all N households at once."""

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        checkpoint: str | Path | SMFRL | None = None,
        noise: float = 0.0,
    ):
        super().__init__(action_space, observation_space, checkpoint, noise)

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        private = np.asarray(observation["private"], dtype=np.float32)
        public = np.asarray(observation["public"], dtype=np.float32)
        if public.shape[-1] != self.learner.public_dim:
            raise ValueError(
                f"the checkpoint expects a public vector of {self.learner.public_dim}, got {public.shape}"
            )
        action = self.learner.follower_act(private, public)
        if self.noise:
            action = np.clip(action + self.noise * self._rng.standard_normal(action.shape), -1, 1).astype(
                np.float32
            )
        return action
