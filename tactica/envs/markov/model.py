"""The exact dynamics of a finite general-sum stochastic (Markov) game.

Pure data and validation, no Gymnasium: this is what ``MarkovGameEnv.model()`` returns and what
:mod:`tactica.equilibria` solves.  A normal-form game is the one-state case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np

__all__ = ["MarkovGameModel"]

_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class MarkovGameModel:
    """A finite stochastic game ``(n, S, A, P, R, gamma, mu0)``.

    Attributes:
        transitions: ``P[s, a_1, ..., a_n, s']``, the probability of moving to ``s'`` (shape ``(S, *A, S)``).
        rewards: ``R[i, s, a_1, ..., a_n]``, player ``i``'s expected reward (shape ``(n, S, *A)``).
        action_counts: ``(S, n)`` integers; player ``i``'s legal actions in state ``s`` are ``0 ..
            action_counts[s, i] - 1``.  Tensors are padded to the largest count; entries of illegal joint
            actions are ignored (and set to a self-loop with reward 0 by :meth:`__post_init__`).
        discount: ``gamma`` in ``[0, 1]``.
        horizon: steps after which an episode is truncated.
        initial_distribution: ``mu0`` over states.
        terminal: states that end the episode when reached.
        state_names / action_names: labels for rendering and reports.
    """

    transitions: np.ndarray
    rewards: np.ndarray
    discount: float = 1.0
    horizon: int = 1
    initial_distribution: np.ndarray | None = None
    action_counts: np.ndarray | None = None
    terminal: np.ndarray | None = None
    state_names: tuple[str, ...] = ()
    action_names: tuple[tuple[str, ...], ...] = ()
    name: str = "custom"
    description: str = ""
    source: str = ""
    zero_sum: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        rewards = np.array(self.rewards, dtype=np.float64)
        transitions = np.array(self.transitions, dtype=np.float64)
        if rewards.ndim < 3:
            raise ValueError(
                f"rewards must have shape (n_players, n_states, A_1, ..., A_n); got ndim {rewards.ndim}"
            )
        n, num_states = rewards.shape[0], rewards.shape[1]
        max_actions = rewards.shape[2:]
        if len(max_actions) != n:
            raise ValueError(
                f"rewards has {n} players on axis 0 but {len(max_actions)} action axes; shape {rewards.shape}"
            )
        expected = (num_states, *max_actions, num_states)
        if transitions.shape != expected:
            raise ValueError(
                f"shape mismatch: transitions must have shape {expected} (S, A_1..A_n, S) to match rewards "
                f"{rewards.shape}; got {transitions.shape}"
            )
        counts = (
            np.tile(np.array(max_actions, dtype=np.int64), (num_states, 1))
            if self.action_counts is None
            else np.array(self.action_counts, dtype=np.int64)
        )
        if counts.shape != (num_states, n):
            raise ValueError(f"action_counts must have shape {(num_states, n)}; got {counts.shape}")
        if (counts < 1).any() or (counts > np.array(max_actions)).any():
            s, i = np.argwhere((counts < 1) | (counts > np.array(max_actions)))[0]
            raise ValueError(
                f"action_counts[{s}, {i}] = {counts[s, i]} must be between 1 and {max_actions[i]}"
            )
        if not np.isfinite(rewards).all():
            index = tuple(int(v) for v in np.argwhere(~np.isfinite(rewards))[0])
            raise ValueError(f"rewards{list(index)} is not finite")
        if not np.isfinite(transitions).all():
            index = tuple(int(v) for v in np.argwhere(~np.isfinite(transitions))[0])
            raise ValueError(f"transitions{list(index)} is not finite")
        legal = _legal_joint_mask(counts, max_actions)
        negative = (transitions < -_TOLERANCE) & legal[..., None]
        if negative.any():
            index = tuple(int(v) for v in np.argwhere(negative)[0])
            raise ValueError(
                f"negative probability transitions{list(index)} = {transitions[index]:.6g}; probabilities must be >= 0"
            )
        sums = transitions.sum(axis=-1)
        bad_rows = legal & (np.abs(sums - 1.0) > 1e-6)
        if bad_rows.any():
            index = tuple(int(v) for v in np.argwhere(bad_rows)[0])
            raise ValueError(
                f"row transitions{list(index)} sums to {sums[index]:.6g}; each row of P over next states must sum to 1"
            )
        # Illegal joint actions never happen; make them harmless self-loops so that solvers can vectorise.
        if not legal.all():
            transitions = transitions.copy()
            rewards = rewards.copy()
            transitions[~legal] = 0.0
            for s in range(num_states):
                illegal_here = ~legal[s]
                transitions[s][illegal_here, s] = 1.0
            rewards[:, ~legal] = 0.0
        transitions = np.clip(transitions, 0.0, None)
        transitions /= transitions.sum(axis=-1, keepdims=True)
        mu0 = (
            np.eye(num_states)[0]
            if self.initial_distribution is None
            else np.array(self.initial_distribution, dtype=np.float64)
        )
        if mu0.shape != (num_states,) or (mu0 < -_TOLERANCE).any() or abs(mu0.sum() - 1.0) > 1e-6:
            raise ValueError(
                f"initial_distribution must be a probability vector of length {num_states}; got {mu0.tolist()}"
            )
        terminal = (
            np.zeros(num_states, dtype=bool) if self.terminal is None else np.array(self.terminal, dtype=bool)
        )
        if terminal.shape != (num_states,):
            raise ValueError(
                f"terminal must be a boolean vector of length {num_states}; got shape {terminal.shape}"
            )
        if not 0.0 <= float(self.discount) <= 1.0:
            raise ValueError(f"discount must be in [0, 1]; got {self.discount}")
        if int(self.horizon) < 1:
            raise ValueError(f"horizon must be a positive number of steps; got {self.horizon}")
        state_names = tuple(self.state_names) or tuple(f"s{s}" for s in range(num_states))
        if len(state_names) != num_states:
            raise ValueError(f"state_names has {len(state_names)} names for {num_states} states")
        action_names = tuple(tuple(names) for names in self.action_names) or tuple(
            tuple(f"a{k}" for k in range(m)) for m in max_actions
        )
        if len(action_names) != n or any(len(a) != m for a, m in zip(action_names, max_actions)):
            raise ValueError(f"action_names must give {list(max_actions)} names for the {n} players")
        for name, value in (
            ("transitions", transitions),
            ("rewards", rewards),
            ("initial_distribution", mu0 / mu0.sum()),
            ("action_counts", counts),
            ("terminal", terminal),
            ("state_names", state_names),
            ("action_names", action_names),
            ("horizon", int(self.horizon)),
            ("discount", float(self.discount)),
        ):
            object.__setattr__(self, name, value)
        for array in (
            self.transitions,
            self.rewards,
            self.initial_distribution,
            self.action_counts,
            self.terminal,
        ):
            array.setflags(write=False)

    # ----------------------------------------------------------------------------------------------- queries
    @property
    def num_players(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def num_states(self) -> int:
        return int(self.rewards.shape[1])

    @property
    def num_actions(self) -> tuple[int, ...]:
        """The largest action count of each player (the size of its action space)."""
        return tuple(int(m) for m in self.rewards.shape[2:])

    @property
    def is_normal_form(self) -> bool:
        return self.num_states == 1

    def legal_actions(self, state: int, player: int) -> np.ndarray:
        return np.arange(self.action_counts[state, player])

    def action_mask(self, state: int, player: int) -> np.ndarray:
        mask = np.zeros(self.num_actions[player], dtype=np.int8)
        mask[: self.action_counts[state, player]] = 1
        return mask

    def stage_payoffs(self, state: int = 0) -> np.ndarray:
        """Payoff tensor ``(n, A_1..A_n)`` of one state's stage game, restricted to its legal actions."""
        index = (slice(None), state) + tuple(slice(0, int(c)) for c in self.action_counts[state])
        return np.array(self.rewards[index])

    def __repr__(self) -> str:
        return (
            f"MarkovGameModel(name={self.name!r}, players={self.num_players}, states={self.num_states}, "
            f"actions={self.num_actions}, discount={self.discount}, horizon={self.horizon})"
        )


def _legal_joint_mask(counts: np.ndarray, max_actions: tuple[int, ...]) -> np.ndarray:
    """Boolean ``(S, *A)``: whether each joint action is legal in each state."""
    num_states, n = counts.shape
    legal = np.ones((num_states, *max_actions), dtype=bool)
    for i in range(n):
        shape = [1] * (n + 1)
        shape[i + 1] = max_actions[i]
        actions = np.arange(max_actions[i]).reshape(shape)
        legal &= actions < counts[:, i].reshape((num_states,) + (1,) * n)
    return legal


def joint_actions(max_actions: tuple[int, ...]):
    """Every joint action of a game with these action counts (a convenience for builders)."""
    return product(*(range(m) for m in max_actions))
