"""How an environment looks to an LLM-prior agent: a text, named actions, the legal ones, a feature vector.

The agents work on any environment that gives a text observation and named actions.  A :class:`TextView`
holds what is specific to one environment family:

- ``action_names``: the name of every action, index-aligned with the ``Discrete`` action space;
- ``instruction``: the task, first line of the prior's prompt;
- a featurizer for the Q and policy networks: hashed word n-grams of the text for any text environment, or
  the numeric observation of ``TextSC2-v1`` (counts, research, visible enemies, the action mask).

Views are made by kind (``"frozenlake"``, ``"textsc2"``, ``"text"``) so a checkpoint can name the view it was
trained with; :func:`view_for_env` and :func:`view_for_spaces` pick the kind from an environment.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.base import action_mask_of

__all__ = [
    "HashedTextFeatures",
    "TextSC2Features",
    "TextView",
    "VIEW_KINDS",
    "make_view",
    "view_for_env",
    "view_for_names",
    "view_for_spaces",
]

_WORD = re.compile(r"[a-z0-9]+")


class HashedTextFeatures:
    """Signed feature hashing of the text's words, word pairs and whole lines into ``dim`` numbers.

    Each distinct word, pair of adjacent words and line (with its line number, so a map row is one feature)
    adds +1 or -1 to one of ``dim`` slots; presence, not counts, so the few features that tell two states apart
    weigh as much as the many they share.  The hash is CRC-32 (the same on every platform and run, unlike
    Python's ``hash``), so a checkpoint's features mean the same thing wherever it is loaded.
    """

    name = "hashed-text"

    def __init__(self, dim: int = 512):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 8:
            raise ValueError(f"the hashed feature dimension must be an integer >= 8, got {dim!r}")
        self.dim = dim

    def __call__(self, text: str, observation: Any = None, mask: np.ndarray | None = None) -> np.ndarray:
        lower = text.lower()
        words = _WORD.findall(lower)
        grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}
        grams |= {f"line {i}: {line.strip()}" for i, line in enumerate(lower.splitlines()) if line.strip()}
        vector = np.zeros(self.dim, dtype=np.float32)
        for gram in grams:
            code = zlib.crc32(gram.encode())
            vector[code % self.dim] += 1.0 if (code >> 31) & 1 == 0 else -1.0
        return vector


class TextSC2Features:
    """``TextSC2-v1``'s numeric observation as a vector: log(1 + count) of every own count, the research
    fractions, hashed counts of the visible enemy (its keys depend on the opponent's race), the game minute / 30
    and the action mask."""

    name = "textsc2"
    ENEMY_BUCKETS = 32

    def __init__(self):
        from tactica.envs.textsc2.actions import NUM_ACTIONS
        from tactica.envs.textsc2.text import BUILDING_KEYS, RESEARCH_KEYS, RESOURCE_KEYS, UNIT_KEYS

        self._resource = tuple(k for k in RESOURCE_KEYS if k != "game_time")
        self._building = tuple(BUILDING_KEYS)
        self._unit = tuple(UNIT_KEYS)
        self._research = tuple((group, key) for group, keys in RESEARCH_KEYS.items() for key in keys)
        self.num_actions = NUM_ACTIONS
        self.dim = (
            (len(self._resource) + 2 * len(self._building) + 2 * len(self._unit) + len(self._research))
            + self.ENEMY_BUCKETS
            + 1
            + NUM_ACTIONS
        )

    def __call__(self, text: str, observation: Any = None, mask: np.ndarray | None = None) -> np.ndarray:
        if not isinstance(observation, dict) or "resource" not in observation:
            raise TypeError("TextSC2 features need the TextSC2-v1 observation dict")
        obs = observation
        planning_b, planning_u = obs["planning"]["planning_structure"], obs["planning"]["planning_unit"]
        counts = [float(obs["resource"][k]) for k in self._resource]
        counts += [float(obs["building"][k]) for k in self._building]
        counts += [float(planning_b.get(f"planning_{k}", 0)) for k in self._building]
        counts += [float(obs["unit"][k]) for k in self._unit]
        counts += [float(planning_u.get(f"planning_{k}", 0)) for k in self._unit]
        research = [float(obs["research"].get(group, {}).get(key, 0.0)) for group, key in self._research]
        enemy = np.zeros(self.ENEMY_BUCKETS, dtype=np.float32)
        for part in ("unit", "structure"):
            for key, value in obs["enemy"][part].items():
                enemy[zlib.crc32(f"{part}:{key}".encode()) % self.ENEMY_BUCKETS] += float(value)
        minute = float(obs["resource"]["game_loop"]) / 22.4 / 60.0
        legal = np.asarray(obs["action_mask"] if mask is None else mask, dtype=np.float32)
        return np.concatenate(
            [
                np.log1p(np.maximum(np.asarray(counts, dtype=np.float32), 0.0)),
                np.asarray(research, dtype=np.float32),
                np.log1p(enemy),
                np.asarray([minute / 30.0], dtype=np.float32),
                legal,
            ]
        ).astype(np.float32)


@dataclass
class TextView:
    """One environment family as the agents see it (see the module docstring)."""

    kind: str
    action_names: tuple[str, ...]
    instruction: str
    featurizer: Any = field(repr=False)

    @property
    def num_actions(self) -> int:
        return len(self.action_names)

    @property
    def feature_dim(self) -> int:
        return int(self.featurizer.dim)

    def text(self, observation: Any) -> str:
        """The observation's text: the observation itself, or its ``"text"`` entry."""
        if isinstance(observation, str):
            return observation
        if isinstance(observation, dict) and isinstance(observation.get("text"), str):
            return observation["text"]
        raise TypeError(
            f"an LLM-prior agent needs a text observation (a str or a dict with 'text'), got {type(observation).__name__}"
        )

    def legal(self, observation: Any, info: dict[str, Any] | None) -> np.ndarray:
        """A bool vector over the actions: the env's ``action_mask`` where it gives one, else all legal."""
        mask = action_mask_of(observation, info)
        if mask is None:
            return np.ones(self.num_actions, dtype=bool)
        mask = np.asarray(mask).astype(bool)
        if mask.shape != (self.num_actions,):
            raise ValueError(
                f"the action mask has shape {mask.shape}; this view has {self.num_actions} actions"
            )
        if not mask.any():
            raise ValueError("the action mask has no legal action")
        return mask

    def features(self, observation: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        return self.featurizer(self.text(observation), observation, action_mask_of(observation, info))

    def legal_names(self, legal: np.ndarray) -> tuple[str, ...]:
        return tuple(self.action_names[i] for i in np.flatnonzero(legal))


_INSTRUCTIONS = {
    "frozenlake": "You are playing FrozenLake. Choose the next move: reach the goal G without stepping into a "
    "hole H.",
    "textsc2": "You are playing StarCraft II as Protoss against the built-in AI. Choose the next macro action "
    "that brings you closer to destroying every enemy structure.",
    "onuw": "You are a player of One Night Ultimate Werewolf. Choose the discussion tactic of your next speech "
    "that helps your team win the vote.",
    "text": "You are playing a text game. Choose the next action.",
}
VIEW_KINDS = tuple(_INSTRUCTIONS)


def make_view(
    kind: str,
    action_names: Sequence[str] | None = None,
    *,
    feature_dim: int = 512,
    instruction: str | None = None,
) -> TextView:
    """The view of ``kind``; ``action_names`` are needed for ``"text"`` and ``"onuw"`` (the others know theirs)."""
    if kind not in _INSTRUCTIONS:
        raise ValueError(f"view kind must be one of {', '.join(VIEW_KINDS)}, got {kind!r}")
    if kind == "frozenlake":
        from tactica.envs.frozenlake.rules import ACTION_NAMES

        names, featurizer = ACTION_NAMES, HashedTextFeatures(feature_dim)
    elif kind == "textsc2":
        from tactica.envs.textsc2.actions import ACTIONS

        names, featurizer = tuple(ACTIONS), TextSC2Features()
    else:
        if not action_names:
            raise ValueError(f"a {kind!r} view needs the action names")
        names, featurizer = tuple(action_names), HashedTextFeatures(feature_dim)
    if action_names is not None and tuple(action_names) != tuple(names):
        raise ValueError(f"the {kind!r} view has its own action names; got a different list")
    if len(set(names)) != len(names):
        raise ValueError("action names must be distinct")
    return TextView(kind, tuple(str(n) for n in names), instruction or _INSTRUCTIONS[kind], featurizer)


def view_for_env(env: gym.Env, *, feature_dim: int = 512) -> TextView:
    """The view of a made environment: FrozenLakeText and TextSC2 by class, any other text environment
    through its ``action_names`` attribute."""
    from tactica.envs.frozenlake.env import FrozenLakeTextEnv
    from tactica.envs.textsc2.env import TextSC2Env

    base = env.unwrapped
    if isinstance(base, FrozenLakeTextEnv):
        return make_view("frozenlake", feature_dim=feature_dim)
    if isinstance(base, TextSC2Env):
        return make_view("textsc2")
    names = getattr(base, "action_names", None)
    if names is None:
        raise ValueError(
            f"{type(base).__name__} exposes no action_names; the LLM-prior agents need named actions"
        )
    return make_view("text", names, feature_dim=feature_dim)


def view_for_spaces(
    observation_space: gym.Space | None,
    action_space: gym.Space | None,
    action_names: Sequence[str] | None = None,
    *,
    feature_dim: int = 512,
) -> TextView:
    """The view from the spaces an agent is made with (the agent protocol gives no environment)."""
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"the LLM-prior agents play Discrete action spaces, got {action_space}")
    if isinstance(observation_space, gym.spaces.Dict) and {"text", "action_mask", "resource"} <= set(
        observation_space.spaces
    ):
        return make_view("textsc2")
    if action_names is None:
        raise ValueError("give action_names= for this environment (its spaces do not name the actions)")
    return view_for_names(action_names, feature_dim=feature_dim)


def view_for_names(action_names: Sequence[str], *, feature_dim: int = 512) -> TextView:
    """The view of a text environment that names its actions (``info["action_names"]``)."""
    from tactica.envs.frozenlake.rules import ACTION_NAMES

    if tuple(action_names) == ACTION_NAMES:
        return make_view("frozenlake", feature_dim=feature_dim)
    return make_view("text", action_names, feature_dim=feature_dim)
