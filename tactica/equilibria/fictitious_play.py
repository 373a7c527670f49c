"""Learning dynamics for ``n``-player normal-form games: fictitious play and replicator dynamics.

**Fictitious play** (Brown 1951): at every iteration each player plays a pure best response to the others'
empirical frequencies (simultaneous updates; ties go to the lowest index, so runs are deterministic).  The
empirical profile converges to a Nash equilibrium in 2-player zero-sum games (Robinson 1951), 2x2 games and
potential games, but not in general: in Shapley's 3x3 game play cycles through ever longer runs and the
empirical profile never settles (Shapley 1964).  No guarantee; read the epsilon it reports.

**Replicator dynamics**: ``dx_i(a)/dt = x_i(a) (v_i(a) - x_i . v_i)``, integrated with classical 4th-order
Runge-Kutta at a fixed step.  Interior rest points are Nash equilibria; in zero-sum games like
Rock-Paper-Scissors the trajectory orbits the equilibrium (``sum log x`` is conserved) instead of converging.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.equilibria.exploitability import exploitability
from tactica.equilibria.games import NormalFormGame, as_profile
from tactica.equilibria.solution import Equilibrium

__all__ = ["FictitiousPlayResult", "fictitious_play", "replicator_dynamics", "ReplicatorResult"]


@dataclass(frozen=True, eq=False)
class FictitiousPlayResult:
    """The run of fictitious play.

    Attributes:
        profile: the final empirical profile (one frequency vector per player).
        actions: ``(iterations, n)`` pure actions played.
        epsilon: ``(len(checkpoints),)`` epsilon of the empirical profile at each checkpoint.
        checkpoints: iteration numbers at which ``epsilon`` was measured.
    """

    game: NormalFormGame
    profile: tuple[np.ndarray, ...]
    actions: np.ndarray
    epsilon: np.ndarray
    checkpoints: np.ndarray

    def equilibrium(self) -> Equilibrium:
        """The final empirical profile as an (approximate) equilibrium, with its epsilon."""
        report = exploitability(self.game, list(self.profile))
        return Equilibrium(
            profile=self.profile,
            payoffs=self.game.expected_payoffs(list(self.profile)),
            epsilon=report.epsilon,
            method="fp",
            info={"iterations": int(len(self.actions))},
        )


def fictitious_play(
    game: NormalFormGame,
    iterations: int = 10_000,
    *,
    initial: tuple[int, ...] | None = None,
    checkpoints: int = 100,
) -> FictitiousPlayResult:
    """Run simultaneous fictitious play for ``iterations`` steps from the pure profile ``initial``.

    Args:
        initial: first joint action (default: every player's first strategy).
        checkpoints: how many (log-spaced) iterations at which to record epsilon.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1; got {iterations}")
    n, sizes = game.num_players, game.num_actions
    joint = tuple(0 for _ in range(n)) if initial is None else tuple(int(a) for a in initial)
    if len(joint) != n or any(not 0 <= a < m for a, m in zip(joint, sizes)):
        raise ValueError(
            f"initial must be a joint pure action with one index per player in {sizes}; got {initial}"
        )
    counts = [np.zeros(m) for m in sizes]
    # cumulative payoff of each own strategy against the others' past pure actions: the best response to the
    # empirical frequencies maximises it, so each step costs O(sum A_i) instead of a tensor contraction
    cumulative = [np.zeros(m) for m in sizes]
    marks = set(np.unique(np.geomspace(1, iterations, num=checkpoints).astype(int)).tolist())
    actions = np.zeros((iterations, n), dtype=np.int64)
    eps, at = [], []
    for t in range(iterations):
        for i, a in enumerate(joint):
            counts[i][a] += 1
            index = list(joint)
            index[i] = slice(None)
            cumulative[i] += game.payoffs[(i, *index)]
        actions[t] = joint
        joint = tuple(int(np.argmax(c)) for c in cumulative)
        if t + 1 in marks:
            freqs = [c / (t + 1) for c in counts]
            values = game.action_values(freqs)
            at.append(t + 1)
            eps.append(max(float(v.max() - v @ f) for v, f in zip(values, freqs)))
    profile = tuple(c / iterations for c in counts)
    return FictitiousPlayResult(game, profile, actions, np.array(eps), np.array(at))


@dataclass(frozen=True, eq=False)
class ReplicatorResult:
    """A replicator trajectory: ``times`` (T,) and, per player, ``(T, A_i)`` mixed strategies."""

    times: np.ndarray
    trajectory: tuple[np.ndarray, ...]

    @property
    def final(self) -> list[np.ndarray]:
        return [traj[-1] for traj in self.trajectory]


def replicator_dynamics(
    game: NormalFormGame,
    initial: object | None = None,
    *,
    horizon: float = 100.0,
    dt: float = 0.01,
) -> ReplicatorResult:
    """Integrate the (multi-population) replicator dynamics from ``initial`` (default: uniform)."""
    if dt <= 0 or horizon <= 0:
        raise ValueError("dt and horizon must be positive")
    start = [np.full(m, 1.0 / m) for m in game.num_actions] if initial is None else as_profile(game, initial)
    scale = game.payoff_range()

    def field(x: list[np.ndarray]) -> list[np.ndarray]:
        values = game.action_values(x, validate=False)
        return [p * (v - p @ v) / scale for p, v in zip(x, values)]

    steps = int(np.ceil(horizon / dt))
    x = [p.copy() for p in start]
    history = [[p.copy()] for p in x]
    for _ in range(steps):
        k1 = field(x)
        k2 = field([p + 0.5 * dt * k for p, k in zip(x, k1)])
        k3 = field([p + 0.5 * dt * k for p, k in zip(x, k2)])
        k4 = field([p + dt * k for p, k in zip(x, k3)])
        x = [p + dt / 6 * (a + 2 * b + 2 * c + d) for p, a, b, c, d in zip(x, k1, k2, k3, k4)]
        # the simplex is invariant; project away round-off
        x = [np.clip(p, 0.0, None) / np.clip(p, 0.0, None).sum() for p in x]
        for h, p in zip(history, x):
            h.append(p.copy())
    times = np.arange(steps + 1) * dt
    return ReplicatorResult(times, tuple(np.array(h) for h in history))
