"""``FrozenLakeText-v0``: Gymnasium's FrozenLake with a text observation and named actions."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from tactica.envs.frozenlake.rules import (
    ACTION_NAMES,
    MAPS,
    Position,
    check_map,
    move,
    slip_outcomes,
    start_of,
)
from tactica.envs.validation import check_seed, check_started, discrete_action

__all__ = ["FrozenLakeTextEnv", "describe"]

TEXT_CHARSET = frozenset(string.printable)
TEXT_MAX_LENGTH = 1024


def describe(desc: tuple[str, ...], position: Position) -> str:
    """The observation text: the map with ``P`` on the player's cell, and the position in words."""
    rows, cols = len(desc), len(desc[0])
    lines = [
        f"You are on a frozen lake, a {rows}x{cols} grid; rows are numbered 1-{rows} from the top, "
        f"columns 1-{cols} from the left.",
        "Map (P marks you; S start, F frozen ice, H hole, G goal):",
    ]
    for r, line in enumerate(desc):
        lines.append("".join("P" if (r, c) == position else letter for c, letter in enumerate(line)))
    lines.append(
        f"You are at row {position[0] + 1}, column {position[1] + 1}. "
        "Reach the goal G without falling into a hole H."
    )
    return "\n".join(lines)


class FrozenLakeTextEnv(gym.Env):
    """Cross a frozen lake to the goal without falling into a hole, seen as text.

    ## Description

    Gymnasium's ``FrozenLake-v1`` (the 4x4 map by default, not slippery) with a text observation and named
    actions, the setting of *Efficient Reinforcement Learning with Large Language Model Priors* (Yan et al.,
    ICLR 2025; its code runs ``FrozenLake-v1``, 4x4, ``is_slippery: false``, horizon 20).  The maps, moves and
    rewards are Gymnasium's (``tactica/envs/frozenlake/rules.py``).

    ## Action Space

    ``Discrete(4)`` in Gymnasium's order: 0 ``"move left"``, 1 ``"move down"``, 2 ``"move right"``,
    3 ``"move up"`` (``env.action_names``; also ``info["action_names"]``).  A move into the border leaves the
    player where it is.  Every action is always legal: ``info["action_mask"]`` is all ones.

    ## Observation Space

    ``Text(max_length=1024, charset=string.printable)``: the map with ``P`` on the player's cell and the position
    in words, e.g.::

        You are on a frozen lake, a 4x4 grid; rows are numbered 1-4 from the top, columns 1-4 from the left.
        Map (P marks you; S start, F frozen ice, H hole, G goal):
        PFFF
        FHFH
        FFFH
        HFFG
        You are at row 1, column 1. Reach the goal G without falling into a hole H.

    ## Rewards

    1 on reaching the goal, 0 otherwise (Gymnasium's).

    ## Starting State

    The start cell ``S`` (top left on the built-in maps).

    ## Episode End

    Terminated on reaching the goal or falling into a hole; truncated after ``max_steps`` steps (20).  The final
    ``info["success"]`` is 1 when the goal was reached.

    ## Arguments

    >>> import gymnasium as gym, tactica
    >>> env = gym.make("FrozenLakeText-v0", map_name="4x4", is_slippery=False, max_steps=20)

    | argument | default | meaning |
    |---|---|---|
    | ``map_name`` | ``"4x4"`` | ``"4x4"`` or ``"8x8"`` (Gymnasium's maps) |
    | ``desc`` | ``None`` | a custom map, a list of rows of ``S F H G`` (overrides ``map_name``) |
    | ``is_slippery`` | ``False`` | slippery ice: the move goes the intended way or perpendicular, 1/3 each |
    | ``max_steps`` | 20 | steps before truncation (the horizon) |

    ## Version History

    * v0: first version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    action_names = ACTION_NAMES

    def __init__(
        self,
        map_name: str = "4x4",
        desc: list[str] | tuple[str, ...] | None = None,
        is_slippery: bool = False,
        max_steps: int = 20,
        render_mode: str | None = None,
    ):
        if desc is None:
            if map_name not in MAPS:
                raise ValueError(f"map_name must be one of {', '.join(MAPS)}, got {map_name!r}")
            desc = MAPS[map_name]
        self.desc = check_map(desc)
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        self.is_slippery = bool(is_slippery)
        self.max_steps = int(max_steps)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(4)
        self.observation_space = spaces.Text(max_length=TEXT_MAX_LENGTH, min_length=1, charset=TEXT_CHARSET)
        self._mask = np.ones(4, dtype=np.int8)
        self.position: Position = start_of(self.desc)
        self.steps = 0
        self._started = False
        self._finished = False

    def _info(self, success: bool = False) -> dict[str, Any]:
        return {
            "action_mask": self._mask.copy(),
            "action_names": self.action_names,
            "position": self.position,
            "success": int(success),
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        check_seed(seed)
        super().reset(seed=seed)
        self.position = start_of(self.desc)
        self.steps = 0
        self._started, self._finished = True, False
        return describe(self.desc, self.position), self._info()

    def step(self, action):
        check_started(self._started, self._finished)
        action = discrete_action(action, 4, who=f"action ({', '.join(self.action_names)})")
        if self.is_slippery:
            action = int(self.np_random.choice(slip_outcomes(action)))
        self.position = move(self.desc, self.position, action)
        self.steps += 1
        letter = self.desc[self.position[0]][self.position[1]]
        terminated = letter in "GH"
        truncated = not terminated and self.steps >= self.max_steps
        reward = 1.0 if letter == "G" else 0.0
        self._finished = terminated or truncated
        return describe(self.desc, self.position), reward, terminated, truncated, self._info(letter == "G")

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return describe(self.desc, self.position) + "\n"
        if self.render_mode == "rgb_array":
            from tactica.envs.canvas import not_reset_frame
            from tactica.envs.frozenlake.pictures import lake_frame

            if not self._started:
                return not_reset_frame("FrozenLakeText-v0")
            return lake_frame(self.desc, self.position, self.steps, self.max_steps)
        return None
