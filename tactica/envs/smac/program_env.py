"""``SMACProgram-v3``: write a decision-tree program, get its win rate (LLM-SMAC as a Gymnasium env)."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from tactica.envs.smac.maps import get_map
from tactica.envs.smac.program_sandbox import play_program
from tactica.envs.smac.task_text import feedback_text, task_text
from tactica.envs.validation import check_seed, check_started
from tactica.sandbox import Limits

__all__ = ["SMACProgramEnv", "CHARSET"]

CHARSET = frozenset(string.printable)  # ASCII letters, digits, punctuation, space, \t \n \r \x0b \x0c
MAX_PROGRAM_CHARS = 20_000
MAX_OBS_CHARS = 16_000


class SMACProgramEnv(gym.Env):
    """Programs as actions: each step runs a Python decision-tree program on seeded SMAC battles.

    ## Description
    The LLM-SMAC setting (Deng et al., 2024): instead of choosing per-unit actions, the agent writes a program
    defining ``policy(view)`` that commands the whole team through a python-sc2-like API (``unit.attack(e)``,
    ``unit.move_towards(x, y)``...).  Each step runs the program in :mod:`tactica.sandbox` (AST allow-list,
    an isolated process with CPU/wall/memory limits, see ``docs/security.md``) on ``episodes_per_step``
    seeded battles of the embedded SMAC simulator and returns its win rate with LLM-SMAC-style feedback.  The
    battles are simulated by the env itself: the program's process receives each step's view and sends back
    only its units' orders, which the env checks before playing them.

    ## Action Space
    ``Text(max_length=20000, charset=string.printable)``: the program source.  A program longer than
    ``max_length`` is not in the action space: ``step`` raises ``ValueError``.  Characters outside the
    charset (an LLM's accented comment) are tolerated and only ever echoed back as ``?``.  Text that does not
    parse, breaks the sandbox rules or lacks ``policy`` is rejected without starting a process (reward 0, the
    reason in the feedback).

    ## Observation Space
    ``Text(max_length=16000, charset=string.printable)``: the task (map, armies with unit statistics,
    coordinate convention, program API and rules) followed by feedback on the last program (wins, ties,
    losses, units left, damage dealt and taken, errors with line numbers).

    ## Rewards
    The win rate of the program over the step's battles, in [0, 1].

    ## Starting State
    The task text with "No program submitted yet."  Battle seeds are drawn from the env's generator, so
    ``reset(seed=s)`` fixes every battle of the episode.

    ## Episode End
    Termination: a program reaches ``target_win_rate``.  Truncation: ``max_attempts`` programs submitted.

    ## Arguments
    ``map_name`` ("3m"), ``episodes_per_step`` (10), ``max_attempts`` (10), ``target_win_rate`` (1.0),
    ``limits`` (:class:`tactica.sandbox.Limits`, default 20 s CPU / 60 s wall / 1024 MB per step),
    ``render_mode`` (``"ansi"``, or ``"rgb_array"``: the battle's map and armies and each program's win
    rate), ``allow_unisolated`` (run programs even where OS isolation is unavailable; default: the
    ``TACTICA_SANDBOX_UNISOLATED`` environment variable, otherwise ``step`` raises
    :class:`tactica.sandbox.SandboxUnavailable`), plus ``env_kwargs`` passed to
    :class:`tactica.envs.smac.SMACEnv`.

    >>> import gymnasium as gym, tactica
    >>> env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=2)
    >>> obs, info = env.reset(seed=0)
    >>> obs.startswith("TASK")
    True

    ## Version History
    * v3: the battles of ``SMAC-v2``: an attack-moving enemy whose own attacking friends stand
      across its way to the closest ally acquires one it can reach (melee crowds surround their targets).
    * v2: the battles are those of ``SMAC-v1``'s simulator (real map terrain, per-loop collisions, path
      finding, SC2's default unit behaviour for the enemies); bad seeds and ``step`` before ``reset`` or
      after the end raise a clear error.
    * v1: the battles are simulated by the env and the program only sends orders (a program can no longer
      report its own result); a program longer than 20000 characters raises ``ValueError`` instead of
      being run; ``allow_unisolated`` argument.
    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}

    def __init__(
        self,
        map_name: str = "3m",
        episodes_per_step: int = 10,
        max_attempts: int = 10,
        target_win_rate: float = 1.0,
        limits: Limits | dict | None = None,
        env_kwargs: dict | None = None,
        render_mode: str | None = None,
        allow_unisolated: bool | None = None,
    ):
        get_map(map_name)
        if not isinstance(episodes_per_step, int) or episodes_per_step < 1:
            raise ValueError(f"episodes_per_step must be a positive int, got {episodes_per_step!r}")
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be a positive int, got {max_attempts!r}")
        if not 0.0 <= float(target_win_rate) <= 1.0:
            raise ValueError(f"target_win_rate must be in [0, 1], got {target_win_rate!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None, 'ansi' or 'rgb_array', got {render_mode!r}")
        self.map_name = map_name
        self.episodes_per_step = episodes_per_step
        self.max_attempts = max_attempts
        self.target_win_rate = float(target_win_rate)
        if isinstance(limits, dict):
            limits = Limits(**limits)
        self.limits = limits or Limits(cpu_seconds=20, wall_seconds=60, memory_mb=1024)
        self.env_kwargs = dict(env_kwargs or {})
        self.render_mode = render_mode
        self.allow_unisolated = allow_unisolated
        self.task = task_text(map_name, episodes_per_step)
        self.action_space = spaces.Text(max_length=MAX_PROGRAM_CHARS, min_length=0, charset=CHARSET)
        self.observation_space = spaces.Text(max_length=MAX_OBS_CHARS, min_length=1, charset=CHARSET)
        self._attempts = 0
        self._started = self._finished = False
        self._feedback = "No program submitted yet."
        #: (win rate, per-battle stats) of each program submitted this episode (what the picture shows)
        self.results: list[tuple[float, list[dict]]] = []

    def _observation(self) -> str:
        text = f"{self.task}\n\n{self._feedback}"
        # error messages may quote the program's own characters: keep the observation inside the charset
        text = "".join(ch if ch in CHARSET else "?" for ch in text)
        return text[:MAX_OBS_CHARS]

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict[str, Any]]:
        check_seed(seed)
        super().reset(seed=seed)
        self._attempts = 0
        self._finished = False
        self._started = True
        self._feedback = "No program submitted yet."
        self.results = []
        return self._observation(), {"map_name": self.map_name, "attempt": 0}

    def step(self, action: str):
        check_started(self._started, self._finished)
        _check_program_text(action)
        seeds = [int(s) for s in self.np_random.integers(0, 2**31 - 1, size=self.episodes_per_step)]
        self._attempts += 1
        report = play_program(
            action, self.map_name, seeds, self.env_kwargs, self.limits, allow_unisolated=self.allow_unisolated
        )
        stats: list[dict] = report.value if report.ok else []
        error = None if report.ok else report.describe()
        wins = sum(s["result"] == "win" for s in stats)
        ties = sum(s["result"] == "tie" for s in stats)
        win_rate = wins / self.episodes_per_step
        self._feedback = feedback_text(stats, error, self.episodes_per_step)
        self.results.append((win_rate, stats))
        info = {
            "win_rate": win_rate,
            "wins": wins,
            "ties": ties,
            "losses": self.episodes_per_step - wins - ties,
            "episodes": stats,
            "seeds": seeds,
            "error": error,
            "error_kind": report.error_kind,
            "error_line": report.line,
            "stdout": report.stdout,
            "attempt": self._attempts,
        }
        terminated = bool(win_rate >= self.target_win_rate and report.ok)
        truncated = bool(not terminated and self._attempts >= self.max_attempts)
        self._finished = terminated or truncated
        return self._observation(), float(win_rate), terminated, truncated, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            from tactica.envs.smac.pictures import program_frame

            return program_frame(self)
        if self.render_mode != "ansi":
            gym.logger.warn("render() needs render_mode='ansi' or 'rgb_array'")
            return None
        return self._feedback

    def close(self) -> None:
        pass


def _check_program_text(action) -> None:
    """A program longer than the action space's ``max_length`` is a bad action, not a bad program."""
    if not isinstance(action, str):
        raise TypeError(f"the action must be program text (str), got {type(action).__name__}")
    if len(action) > MAX_PROGRAM_CHARS:
        raise ValueError(
            f"the program is {len(action)} characters long; SMACProgram accepts at most {MAX_PROGRAM_CHARS} "
            "(action_space.max_length)"
        )
