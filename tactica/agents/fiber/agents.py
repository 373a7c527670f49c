"""Agents for ``FiberStream-v1``: the fusion network, the CUSUM detector and the feature classifier.

Each takes ``action_space=`` (the env's ``MultiDiscrete([5, 5])``) and ``observation_space=``, has
``reset(seed)`` and ``act(observation, info) -> np.ndarray([class, bin])``, and loads the weights shipped in
``tactica/agents/fiber/weights`` for its ``domain`` unless ``weights=`` names a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.fiber.classical import CusumDetector, FeatureClassifier
from tactica.agents.fiber.features import window_features
from tactica.agents.fiber.recognizer import WEIGHTS_DIR, Recognizer, shipped_weights
from tactica.envs.fiber import constants as K

__all__ = ["FusionAgent", "CusumAgent", "FeatureAgent"]


def _check_spaces(action_space: Any, observation_space: Any) -> None:
    if not isinstance(action_space, gym.spaces.MultiDiscrete) or list(action_space.nvec) != [5, 5]:
        raise TypeError(
            f"fibre agents play FiberStream-v1: action_space must be MultiDiscrete([5, 5]), got {action_space!r}"
        )
    if observation_space is not None and (
        not isinstance(observation_space, gym.spaces.Box) or len(observation_space.shape) != 2
    ):
        raise TypeError(f"observation_space must be a 2-D Box (channels, samples), got {observation_space!r}")


def _weights(kind: str, domain: str, suffix: str) -> Path:
    path = WEIGHTS_DIR / f"{kind}_{domain}.{suffix}"
    if not path.exists():
        known = sorted(p.stem.removeprefix(f"{kind}_") for p in WEIGHTS_DIR.glob(f"{kind}_*.{suffix}"))
        raise ValueError(f"no shipped {kind} weights for domain {domain!r}; available: {known}")
    return path


def _action(cls: int, bin_: int) -> np.ndarray:
    return np.array([int(cls), int(bin_) if cls else 0], dtype=np.int64)


class FusionAgent:
    """The multi-view fusion network (pre-trained on ``loam``; ``domain="wet_clay"`` loads the fine-tuned one).

    Args:
        action_space, observation_space: the env's spaces.
        domain: which shipped weights to load.
        weights: a checkpoint written by the training script (overrides ``domain``).
    """

    def __init__(
        self, action_space, observation_space=None, domain: str = "loam", weights: str | Path | None = None
    ):
        _check_spaces(action_space, observation_space)
        self.action_space = action_space
        self.recognizer = Recognizer.load(weights if weights is not None else shipped_weights(domain))
        if self.recognizer.class_names != K.CLASS_NAMES:
            raise ValueError(
                f"these weights name the classes {list(self.recognizer.class_names)}; an agent for FiberStream-v1 "
                f"needs a model of its classes {list(K.CLASS_NAMES)}"
            )

    def reset(self, seed: int | None = None) -> None:
        """The network is deterministic; nothing to reset."""

    def act(self, observation, info: dict[str, Any] | None = None) -> np.ndarray:
        classes, bins = self.recognizer.predict(np.asarray(observation)[None])
        return _action(classes[0], bins[0])


class CusumAgent:
    """The energy CUSUM detector: alarms as a threat with an energy-based distance bin, else background.

    It keeps its noise levels across the windows of an episode (a stream), as a deployed detector does.
    """

    def __init__(
        self, action_space, observation_space=None, domain: str = "loam", weights: str | Path | None = None
    ):
        _check_spaces(action_space, observation_space)
        self.action_space = action_space
        self.detector = CusumDetector.load(
            weights if weights is not None else _weights("cusum", domain, "npz")
        )

    def reset(self, seed: int | None = None) -> None:
        self.detector.reset()

    def act(self, observation, info: dict[str, Any] | None = None) -> np.ndarray:
        return _action(*self.detector.judge(np.asarray(observation)))


class FeatureAgent:
    """Softmax regression on hand-crafted features (the classical classifier baseline)."""

    def __init__(
        self,
        action_space,
        observation_space=None,
        domain: str = "loam",
        weights: str | Path | None = None,
        pulse_rate: float = 1000.0,
        channel_spacing: float = 5.0,
    ):
        _check_spaces(action_space, observation_space)
        self.action_space = action_space
        self.model = FeatureClassifier.load(
            weights if weights is not None else _weights("features", domain, "npz")
        )
        self.fs = float(pulse_rate)
        self.channel_spacing = float(channel_spacing)

    def reset(self, seed: int | None = None) -> None:
        """Deterministic; nothing to reset."""

    def act(self, observation, info: dict[str, Any] | None = None) -> np.ndarray:
        f = window_features(np.asarray(observation), self.fs, self.channel_spacing)[None]
        classes, bins = self.model.predict(f)
        return _action(classes[0], bins[0])
