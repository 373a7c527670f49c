"""Model-based control as inference for general-sum stochastic games: soft value iteration to an epsilon-Nash.

Every player ``i`` treats its own reward as the log-likelihood of an optimality variable, ``p(O|s, a) ~
exp(r_i / alpha)``, and the others' current policies as part of its environment.  Its variational posterior is
the soft Bellman solution::

    Q_i(s, a_i) = E_{a_-i ~ pi_-i(s)} [ R_i(s, a) + gamma * E_{s'} V_i(s') ]
    V_i(s)      = alpha * log sum_{a_i} exp(Q_i(s, a_i) / alpha)        (= E_pi[Q_i] + alpha * H(pi_i(s)))
    pi_i(a_i|s) = exp((Q_i(s, a_i) - V_i(s)) / alpha)

Each player needs only its own reward and the others' (marginal) behaviour: the updates are decentralised.  A
fixed point is an equilibrium of the entropy-regularised game; since ``0 <= H(pi_i(s)) <= log |A_i(s)|``, any
deviation gains at most ``alpha * log|A_i|`` per step over the soft response, so the fixed point is an
epsilon-Nash equilibrium of the original game with

    epsilon <= alpha * max_i log|A_i| * sum_{t < H} gamma^t        (finite horizon H)
    epsilon <= alpha * max_i log|A_i| / (1 - gamma)                  (discounted, infinite horizon)

(Levine 2018, arXiv:1805.00909, for the single-agent derivation; Zhao & Zhang 2025, arXiv:2503.06037, for the
decentralised multi-agent claim; Cen, Wei & Chi 2024 for the same knob in entropy-regularised games).  The
measured epsilon is computed independently by :mod:`tactica.equilibria.stochastic` (stationary profiles) or by
:func:`finite_horizon_exploitability` (time-indexed ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tactica.agents.cai.soft_stage import action_values, entropy, soft_stage_equilibrium
from tactica.envs.markov.model import MarkovGameModel

__all__ = [
    "SoftNashResult",
    "legal_masks",
    "epsilon_bound",
    "soft_value_iteration",
    "soft_backward_induction",
    "finite_horizon_exploitability",
    "measured_epsilon",
]


@dataclass
class SoftNashResult:
    """A CAI fixed point.

    Attributes:
        policies: per player ``(S, A_i)`` (stationary) or ``(H, S, A_i)`` (time-indexed, finite horizon).
        soft_values: ``(n, S)`` entropy-regularised values (at time 0 for a finite horizon).
        alpha: the temperature.
        horizon: ``None`` for the discounted infinite-horizon game, else the number of steps.
        iterations: sweeps of value iteration (or ``H`` for backward induction).
        residual: the last sweep's largest value change (0 for backward induction).
        history: the residual per sweep.
    """

    policies: list[np.ndarray]
    soft_values: np.ndarray
    alpha: float
    horizon: int | None
    iterations: int
    residual: float
    history: list[float] = field(default_factory=list)

    @property
    def stationary(self) -> bool:
        return self.horizon is None


def legal_masks(model: MarkovGameModel) -> list[np.ndarray]:
    """Per player the ``(S, A_i)`` boolean mask of legal actions."""
    return [
        np.arange(model.num_actions[i])[None, :] < model.action_counts[:, i][:, None]
        for i in range(model.num_players)
    ]


def _discount_sum(gamma: float, horizon: int | None) -> float:
    if horizon is None:
        if gamma >= 1.0:
            raise ValueError("the discounted bound needs discount < 1; give a finite horizon")
        return 1.0 / (1.0 - gamma)
    return float(horizon) if gamma == 1.0 else (1.0 - gamma**horizon) / (1.0 - gamma)


def epsilon_bound(model: MarkovGameModel, alpha: float, horizon: int | None = None) -> float:
    """``alpha * max_i log|A_i| * sum_{t<H} gamma^t`` (``horizon=None``: ``/(1 - gamma)``)."""
    log_actions = float(np.log(model.action_counts.max()))
    return float(alpha) * log_actions * _discount_sum(float(model.discount), horizon)


def _stage_payoffs(model: MarkovGameModel, continuation_values: np.ndarray) -> np.ndarray:
    """``G[i, s, a] = R[i, s, a] + gamma * sum_{s'} P[s, a, s'] V[i, s']`` with no value after terminal states."""
    alive = (~model.terminal).astype(np.float64)
    future = np.tensordot(
        continuation_values * alive, model.transitions, axes=([1], [model.transitions.ndim - 1])
    )
    # tensordot puts the player axis first: (n, S, A_1..A_n)
    return model.rewards + model.discount * future


def _soft_values(payoffs: np.ndarray, policies: list[np.ndarray], alpha: float) -> np.ndarray:
    return np.array(
        [
            (policies[i] * action_values(payoffs[i], policies, i)).sum(axis=1) + alpha * entropy(policies[i])
            for i in range(len(policies))
        ]
    )


def soft_value_iteration(
    model: MarkovGameModel,
    alpha: float,
    *,
    tol: float = 1e-10,
    max_iterations: int = 20_000,
    initial: list[np.ndarray] | None = None,
    progress: Any = None,
    callback: Any = None,
) -> SoftNashResult:
    """The stationary CAI fixed point of the discounted game.

    Each sweep gives every state the continuation values of the last sweep and solves its stage game's soft
    equilibrium (every player's policy the soft response to the others', warm started from the last sweep), then
    sets the values to the players' soft values.  ``progress(iteration, residual)`` is called after each sweep, and
    ``callback(iteration, policies)`` too (to trace the profile, e.g. its epsilon, along the iterations).
    """
    if not 0.0 <= model.discount < 1.0:
        raise ValueError(
            f"soft value iteration needs discount < 1 (got {model.discount}); use soft_backward_induction"
        )
    if not alpha > 0:
        raise ValueError(f"the temperature alpha must be > 0; got {alpha}")
    legal = legal_masks(model)
    policies = None if initial is None else [np.array(p, dtype=np.float64) for p in initial]
    values = np.zeros((model.num_players, model.num_states))
    history: list[float] = []
    residual = np.inf
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        payoffs = _stage_payoffs(model, values)
        # early sweeps need only rough stage solutions; the tolerance tightens as the values settle
        stage_tol = min(1e-4, max(tol * 1e-2, residual * 1e-3)) if np.isfinite(residual) else 1e-4
        policies, _ = soft_stage_equilibrium(
            payoffs, alpha, legal, initial=policies, tol=stage_tol, accept=max(stage_tol, 1e-10)
        )
        new_values = _soft_values(payoffs, policies, alpha)
        new_values[:, model.terminal] = 0.0
        residual = float(np.abs(new_values - values).max())
        values = new_values
        history.append(residual)
        if progress is not None:
            progress(iteration, residual)
        if callback is not None:
            callback(iteration, policies)
        if residual < tol:
            break
    return SoftNashResult(policies, values, float(alpha), None, iteration, residual, history)


def soft_backward_induction(
    model: MarkovGameModel, alpha: float, horizon: int | None = None
) -> SoftNashResult:
    """The time-indexed CAI fixed point of the ``H``-step game (the paper's finite-horizon setting)."""
    steps = int(model.horizon if horizon is None else horizon)
    if steps < 1:
        raise ValueError(f"horizon must be >= 1; got {steps}")
    legal = legal_masks(model)
    values = np.zeros((model.num_players, model.num_states))
    per_step: list[list[np.ndarray]] = []
    policies = None
    for _ in range(steps):
        payoffs = _stage_payoffs(model, values)
        policies, _ = soft_stage_equilibrium(payoffs, alpha, legal, initial=policies)
        values = _soft_values(payoffs, policies, alpha)
        values[:, model.terminal] = 0.0
        per_step.append(policies)
    per_step.reverse()  # computed from the last step back; index t = 0 is the first decision
    stacked = [np.stack([step[i] for step in per_step]) for i in range(model.num_players)]
    return SoftNashResult(stacked, values, float(alpha), steps, steps, 0.0, [])


def finite_horizon_exploitability(model: MarkovGameModel, policies: list[np.ndarray]) -> dict[str, Any]:
    """Exact regrets of a time-indexed profile ``(H, S, A_i)`` in the ``H``-step game, from ``mu_0``.

    Backward induction evaluates the profile and each player's (time-indexed) best response to the others.
    """
    steps = policies[0].shape[0]
    n = model.num_players
    values = np.zeros((n, model.num_states))
    best = np.zeros((n, model.num_states))
    for t in reversed(range(steps)):
        profile = [p[t] for p in policies]
        payoffs = _stage_payoffs(model, values)
        best_payoffs = _stage_payoffs(model, best)
        new_values = np.array([(profile[i] * action_values(payoffs[i], profile, i)).sum(1) for i in range(n)])
        legal = legal_masks(model)
        new_best = np.array(
            [np.where(legal[i], action_values(best_payoffs[i], profile, i), -np.inf).max(1) for i in range(n)]
        )
        new_values[:, model.terminal] = 0.0
        new_best[:, model.terminal] = 0.0
        values, best = new_values, new_best
    mu0 = model.initial_distribution
    regrets = np.clip(best @ mu0 - values @ mu0, 0.0, None)
    return {
        "values": values @ mu0,
        "best_response_values": best @ mu0,
        "regrets": regrets,
        "nash_conv": float(regrets.sum()),
        "epsilon": float(regrets.max()),
    }


def measured_epsilon(model: MarkovGameModel, result: SoftNashResult) -> float:
    """The exact epsilon of a CAI profile in the unregularised game it was computed for."""
    if result.stationary:
        from tactica.equilibria.stochastic import exploitability

        return exploitability(model, result.policies, horizon=None).epsilon
    return finite_horizon_exploitability(model, result.policies)["epsilon"]
