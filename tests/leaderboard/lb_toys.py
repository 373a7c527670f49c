"""Leaderboard test toys: a tiny seeded environment and agents, registered by :func:`register_all`.

The leaderboard tests run these instead of the real environments so their numbers do not move when other
rooms change theirs.  Importing this module registers nothing (the conformance suite must not see the toys);
worker processes import ``lb_plugin``, which registers them (``--import lb_plugin`` / ``imports=``).
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

import tactica
from tactica import agents
from tactica.envs import registration

TOY = "LeaderboardToy-v0"
SLOW_TOY = "LeaderboardSlowToy-v0"
TEXT_TOY = "LeaderboardTextToy-v0"  # text observations, no numeric view
VIEWED_TEXT_TOY = "LeaderboardViewedTextToy-v0"  # the same, with a numeric view declared


class ToyEnv(gym.Env):
    """Guess the hidden digit: 4 rounds, reward 1 per right guess; the episode is won with 2 right guesses.

    ``difficulty`` d hides the digit among ``2 + d`` values (the action space stays Discrete(6)); the mask
    marks the ``2 + d`` candidates legal.  ``delay`` sleeps that many seconds per step (kill-and-resume tests).
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self, difficulty: int = 1, delay: float = 0.0, rounds: int = 4, render_mode: str | None = None
    ):
        if not 0 <= difficulty <= 4:
            raise ValueError(f"difficulty must be in 0..4; got {difficulty}")
        self.difficulty, self.delay, self.rounds, self.render_mode = difficulty, delay, rounds, render_mode
        self.action_space = gym.spaces.Discrete(6)
        self.observation_space = gym.spaces.Dict(
            {
                "round": gym.spaces.Box(0, rounds, (1,), np.float32),
                "action_mask": gym.spaces.Box(0, 1, (6,), np.int8),
            }
        )

    def _obs(self) -> dict[str, Any]:
        mask = np.zeros(6, np.int8)
        mask[: 2 + self.difficulty] = 1
        return {"round": np.array([self._round], np.float32), "action_mask": mask}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._round, self._right = 0, 0
        self._hidden = int(self.np_random.integers(2 + self.difficulty))
        return self._obs(), {}

    def step(self, action):
        if self.delay:
            time.sleep(self.delay)
        right = int(action) == self._hidden
        self._right += right
        self._round += 1
        self._hidden = int(self.np_random.integers(2 + self.difficulty))
        done = self._round >= self.rounds
        info = {"win": self._right >= 2, "right": self._right} if done else {}
        return self._obs(), float(right), done, False, info

    def render(self) -> str:
        return f"round {self._round}, right {self._right}"


class TextToyEnv(gym.Env):
    """Say whether the word is long: observation a word (Text), action 0 short / 1 long, reward 1 if right."""

    metadata = {"render_modes": []}
    WORDS = ("ox", "cat", "horse", "giraffe")

    def __init__(self, render_mode: str | None = None):
        self.observation_space = gym.spaces.Text(max_length=8)
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._word = self.WORDS[int(self.np_random.integers(len(self.WORDS)))]
        return self._word, {}

    def step(self, action):
        reward = float(int(action) == int(len(self._word) > 3))
        return self._word, reward, True, False, {}


def text_length_view(env: gym.Env):
    """The numeric view of :class:`TextToyEnv` (its ``sb3_view``): the word's length."""
    space = gym.spaces.Box(0.0, float(env.observation_space.max_length), (1,), np.float32)
    return space, lambda observation: np.array([len(observation)], np.float32)


class FirstLegalAgent:
    """Always guesses 0: a deterministic scripted agent."""

    def __init__(self, action_space, observation_space=None, **kwargs: Any):
        self.kwargs = kwargs

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation, info):
        return 0


class BrokenAgent(FirstLegalAgent):
    """Raises on its first move (a failing job)."""

    def act(self, observation, info):
        raise RuntimeError("this agent always fails")


class PickyAgent(FirstLegalAgent):
    """Declines every environment at construction, with its reason (as seat-specific agents do)."""

    def __init__(self, action_space, observation_space=None, **kwargs: Any):
        raise ValueError(f"picky plays only Discrete(2), got {action_space}")


def toy_suite(episodes: int = 4, ids: tuple[str, ...] = (TOY,), quick: bool = False):
    """A suite over the toy ids only."""
    from tactica.leaderboard import Suite

    return Suite("test", episodes=episodes, env_ids=ids, quick=quick)


def register_all() -> None:
    """Register the toy ids and agents (idempotent)."""
    known = tactica.registry()
    if TOY not in known:
        registration.register(
            TOY,
            "lb_toys:ToyEnv",
            kind="single",
            summary="leaderboard test toy",
            baseline_agent="lb-first",
            conformance_kwargs=({"difficulty": 0},),
        )
    if SLOW_TOY not in known:
        registration.register(
            SLOW_TOY,
            "lb_toys:ToyEnv",
            kind="single",
            summary="slow toy",
            kwargs={"delay": 0.02},
            baseline_agent="lb-first",
        )
    for env_id, view in ((TEXT_TOY, None), (VIEWED_TEXT_TOY, "lb_toys:text_length_view")):
        if env_id not in known:
            registration.register(
                env_id, "lb_toys:TextToyEnv", kind="single", summary="text toy", sb3_view=view
            )
    table = agents.registry()
    for name, entry, fields in (
        ("lb-first", "lb_toys:FirstLegalAgent", {"env_ids": (TOY, SLOW_TOY)}),
        ("lb-broken", "lb_toys:BrokenAgent", {"env_ids": ("NoSuchEnv-v0",)}),
        ("lb-llm", "lb_toys:FirstLegalAgent", {"env_ids": (TOY,), "needs_llm": True}),
        ("lb-picky", "lb_toys:PickyAgent", {"env_ids": (TOY,)}),
    ):
        if name not in table:
            agents.register(name, entry, summary="leaderboard test agent", **fields)


def unregister_all() -> None:
    """Remove what :func:`register_all` added (tests must not leak ids into the conformance suite)."""
    for env_id in (TOY, SLOW_TOY, TEXT_TOY, VIEWED_TEXT_TOY):
        registration._REGISTRY.pop(env_id, None)
        gym.registry.pop(env_id, None)
    for name in ("lb-first", "lb-broken", "lb-llm", "lb-picky"):
        agents._AGENTS.pop(name, None)
