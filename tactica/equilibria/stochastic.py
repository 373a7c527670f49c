"""Stochastic (Markov) games: exact policy evaluation, best responses, exploitability, Shapley's value iteration.

Every function takes a :class:`tactica.envs.markov.model.MarkovGameModel` (``P[s, a_1..a_n, s']``,
``R[i, s, a_1..a_n]``, ``discount``, ``horizon``, ``initial_distribution``, ``terminal``, ``action_counts``) and
a *stationary profile*: per player an ``(S, A_i)`` array whose row ``s`` is a distribution over the player's
legal actions in ``s`` (illegal actions must have probability 0).

Horizon: ``horizon=None`` evaluates the infinite discounted sum (needs ``discount < 1`` or episodes that surely
end); an integer ``H`` evaluates ``H`` decision steps (the environment's truncation: ``horizon="model"``).
Reaching a terminal state ends the episode (no reward afterwards).  ``"auto"`` (default) is ``None`` when
``discount < 1`` and the model's horizon otherwise.

Values are exact up to linear-algebra round-off: evaluation solves ``(I - gamma P_pi) V = r_pi`` (or runs
backward induction over ``H`` steps); a best response is computed by policy iteration on the player's induced
MDP (exact at termination) or by backward induction (finite horizon, non-stationary best response).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "StationaryProfile",
    "as_policy",
    "uniform_policy",
    "evaluate_policy",
    "best_response",
    "BestResponse",
    "StochasticExploitability",
    "exploitability",
    "shapley_value_iteration",
    "ShapleySolution",
]

StationaryProfile = list[np.ndarray]


def _legal(model: Any, player: int) -> np.ndarray:
    """``(S, A_i)`` boolean mask of legal actions."""
    return np.arange(model.num_actions[player])[None, :] < model.action_counts[:, player][:, None]


def uniform_policy(model: Any) -> StationaryProfile:
    """Every player uniform over its legal actions in every state."""
    out = []
    for i in range(model.num_players):
        legal = _legal(model, i).astype(np.float64)
        out.append(legal / legal.sum(axis=1, keepdims=True))
    return out


def as_policy(model: Any, policy: Any, tol: float = 1e-6) -> StationaryProfile:
    """Validate a stationary profile (per player ``(S, A_i)``, rows distributions over legal actions)."""
    if not isinstance(policy, (list, tuple)) or len(policy) != model.num_players:
        raise ValueError(f"a stationary profile needs one (S, A_i) array per player ({model.num_players})")
    out = []
    for i, p in enumerate(policy):
        p = np.asarray(p, dtype=np.float64)
        shape = (model.num_states, model.num_actions[i])
        if p.shape != shape:
            raise ValueError(
                f"policy of player {i + 1} must have shape {shape} (states, actions); got {p.shape}"
            )
        if not np.isfinite(p).all() or (p < -tol).any():
            raise ValueError(f"policy of player {i + 1} has negative or non-finite entries")
        if (np.abs(p) * ~_legal(model, i) > tol).any():
            s, a = np.argwhere(np.abs(p) * ~_legal(model, i) > tol)[0]
            raise ValueError(f"policy of player {i + 1} gives illegal action {a} probability in state {s}")
        sums = p.sum(axis=1)
        if (np.abs(sums - 1.0) > tol).any():
            s = int(np.flatnonzero(np.abs(sums - 1.0) > tol)[0])
            raise ValueError(f"policy of player {i + 1} in state {s} sums to {sums[s]:.6g}, not 1")
        out.append(np.clip(p, 0.0, None) / np.clip(p, 0.0, None).sum(axis=1, keepdims=True))
    return out


def _resolve_horizon(model: Any, horizon: Any) -> int | None:
    if horizon == "auto":
        return None if model.discount < 1.0 else int(model.horizon)
    if horizon == "model":
        return int(model.horizon)
    if horizon is None:
        return None
    if isinstance(horizon, (int, np.integer)) and horizon >= 1:
        return int(horizon)
    raise ValueError(f"horizon must be 'auto', 'model', None or a positive integer; got {horizon!r}")


def _joint(model: Any, policy: StationaryProfile, skip: int | None = None) -> np.ndarray:
    """``(S, A_1..A_n)`` product of the players' per-state distributions (player ``skip`` left out: ones)."""
    n = model.num_players
    joint = np.ones((model.num_states,) + model.num_actions)
    for j in range(n):
        if j == skip:
            continue
        shape = [model.num_states] + [1] * n
        shape[j + 1] = model.num_actions[j]
        joint = joint * policy[j].reshape(shape)
    return joint


def _continuation(model: Any) -> np.ndarray:
    """``P[s, a, s']`` with arrivals in terminal states cut (nothing is earned after the episode ends)."""
    return model.transitions * (~model.terminal).astype(np.float64)


def _chain(model: Any, policy: StationaryProfile) -> tuple[np.ndarray, np.ndarray]:
    joint = _joint(model, policy)
    n = model.num_players
    flat_joint = joint.reshape(model.num_states, -1)
    flat_p = _continuation(model).reshape(model.num_states, -1, model.num_states)
    p_pi = np.einsum("sa,sat->st", flat_joint, flat_p)
    r_pi = np.array(
        [(flat_joint * model.rewards[i].reshape(model.num_states, -1)).sum(axis=1) for i in range(n)]
    )
    return p_pi, r_pi


def _solve_discounted(p_pi: np.ndarray, r_pi: np.ndarray, gamma: float) -> np.ndarray:
    """``V`` with ``(I - gamma P) V = r`` exactly (``r`` one column or several).

    Large sparse chains (grid games, soccer: a few successors per state) go to SciPy's sparse LU, which is
    orders of magnitude faster there than a dense solve; raises ``numpy.linalg.LinAlgError`` when singular.
    """
    size = p_pi.shape[0]
    system = np.eye(size) - gamma * p_pi
    if size < 200 or np.count_nonzero(p_pi) > 0.05 * size * size:
        return np.linalg.solve(system, r_pi)
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import splu

    try:
        return splu(csc_matrix(system)).solve(np.ascontiguousarray(r_pi, dtype=np.float64))
    except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
        raise np.linalg.LinAlgError(str(exc)) from exc


def evaluate_policy(model: Any, policy: Any, horizon: Any = "auto") -> np.ndarray:
    """Each player's value in each state, ``V[i, s]`` (at time 0 for a finite horizon)."""
    policy = as_policy(model, policy)
    steps = _resolve_horizon(model, horizon)
    p_pi, r_pi = _chain(model, policy)
    gamma = float(model.discount)
    if steps is None:
        try:
            return _solve_discounted(p_pi, r_pi.T, gamma).T
        except np.linalg.LinAlgError as exc:
            raise ValueError(
                "the infinite-horizon value is undefined (discount 1 and episodes that may never end); "
                "pass horizon='model' or an integer"
            ) from exc
    values = np.zeros_like(r_pi)
    for _ in range(steps):
        values = r_pi + gamma * values @ p_pi.T
    return values


@dataclass(frozen=True)
class BestResponse:
    """A best response of one player: its values ``(S,)`` and a deterministic policy.

    ``policy`` is ``(S, A_i)`` for an infinite horizon (stationary) and ``(H, S, A_i)`` for a finite one.
    """

    values: np.ndarray
    policy: np.ndarray


def _player_mdp(model: Any, policy: StationaryProfile, player: int) -> tuple[np.ndarray, np.ndarray]:
    """The MDP player ``player`` faces: ``(P[s, a_i, s'], r[s, a_i])`` with the others' policies folded in."""
    others = _joint(model, policy, skip=player)
    moved_o = np.moveaxis(others, player + 1, 1)  # (S, A_i, others...)
    moved_p = np.moveaxis(_continuation(model), player + 1, 1)  # (S, A_i, others..., S')
    moved_r = np.moveaxis(model.rewards[player], player + 1, 1)
    size_i = model.num_actions[player]
    flat_o = moved_o.reshape(model.num_states, size_i, -1)
    flat_p = moved_p.reshape(model.num_states, size_i, -1, model.num_states)
    flat_r = moved_r.reshape(model.num_states, size_i, -1)
    p = np.einsum("sao,saot->sat", flat_o, flat_p)
    r = (flat_o * flat_r).sum(axis=2)
    return p, r


def best_response(model: Any, policy: Any, player: int, horizon: Any = "auto") -> BestResponse:
    """The best response of ``player`` to the others' stationary policies (values in every state)."""
    policy = as_policy(model, policy)
    if not 0 <= player < model.num_players:
        raise ValueError(f"player must be in [0, {model.num_players}); got {player}")
    steps = _resolve_horizon(model, horizon)
    p, r = _player_mdp(model, policy, player)
    legal = _legal(model, player)
    gamma = float(model.discount)
    num_states, size_i = r.shape
    if steps is not None:
        values = np.zeros(num_states)
        plan = np.zeros((steps, num_states, size_i))
        for t in reversed(range(steps)):
            q = np.where(legal, r + gamma * p @ values, -np.inf)
            best = q.argmax(axis=1)
            plan[t, np.arange(num_states), best] = 1.0
            values = q[np.arange(num_states), best]
        return BestResponse(values, plan)
    values, choice = _policy_iteration(p, r, legal, gamma)
    stationary = np.zeros((num_states, size_i))
    stationary[np.arange(num_states), choice] = 1.0
    return BestResponse(values, stationary)


def _policy_iteration(
    p: np.ndarray, r: np.ndarray, legal: np.ndarray, gamma: float, choice: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values and actions of the MDP ``(p[s, a, s'], r[s, a])``: exact values of each greedy policy,
    stopping when it is stable.  ``choice`` warm-starts it (e.g. with the previous round's answer)."""
    num_states = r.shape[0]
    rows = np.arange(num_states)
    if choice is None:
        choice = np.argmax(legal, axis=1)
    for _ in range(10_000):
        try:
            values = _solve_discounted(p[rows, choice], r[rows, choice], gamma)
        except np.linalg.LinAlgError as exc:
            raise ValueError(
                "infinite-horizon best response undefined (discount 1); pass a finite horizon"
            ) from exc
        q = np.where(legal, r + gamma * p @ values, -np.inf)
        current = q[rows, choice]
        improve = q.max(axis=1) > current + 1e-12 * max(1.0, float(np.abs(values).max()))
        if not improve.any():
            break
        choice = np.where(improve, q.argmax(axis=1), choice)
    return values, choice


@dataclass(frozen=True)
class StochasticExploitability:
    """How far a stationary profile is from a Nash equilibrium of a stochastic game.

    Attributes:
        values / best_response_values: ``(n, S)`` value of the profile and of each player's best response.
        state_regrets: ``(n, S)`` their difference in every state.
        initial_values / initial_best_response_values / regrets: ``(n,)`` the same from the initial distribution.
        nash_conv: ``sum_i regrets``; epsilon: ``max_i regrets``.
    """

    values: np.ndarray
    best_response_values: np.ndarray
    state_regrets: np.ndarray
    initial_values: np.ndarray
    initial_best_response_values: np.ndarray
    regrets: np.ndarray
    nash_conv: float
    epsilon: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "nash_conv": self.nash_conv,
            "epsilon": self.epsilon,
            "players": [
                {"value": float(v), "best_response_value": float(b), "regret": float(r)}
                for v, b, r in zip(self.initial_values, self.initial_best_response_values, self.regrets)
            ],
            "state_regrets": self.state_regrets.tolist(),
        }


def exploitability(model: Any, policy: Any, horizon: Any = "auto") -> StochasticExploitability:
    """Each player's best-response value minus its value under ``policy``, per state and from ``mu_0``."""
    policy = as_policy(model, policy)
    values = evaluate_policy(model, policy, horizon)
    br = np.array([best_response(model, policy, i, horizon).values for i in range(model.num_players)])
    state_regrets = np.clip(br - values, 0.0, None)
    mu0 = model.initial_distribution
    initial, initial_br = values @ mu0, br @ mu0
    regrets = np.clip(initial_br - initial, 0.0, None)
    return StochasticExploitability(
        values=values,
        best_response_values=br,
        state_regrets=state_regrets,
        initial_values=initial,
        initial_best_response_values=initial_br,
        regrets=regrets,
        nash_conv=float(regrets.sum()),
        epsilon=float(regrets.max()),
    )


@dataclass(frozen=True)
class ShapleySolution:
    """Values ``(S,)`` of player 1 and both players' stationary minimax policies."""

    values: np.ndarray
    policy: StationaryProfile
    iterations: int
    residual: float


def shapley_value_iteration(
    model: Any, *, tol: float = 1e-10, max_iterations: int = 1_000, method: str = "hoffman-karp"
) -> ShapleySolution:
    """Solve a 2-player zero-sum discounted stochastic game (Shapley 1953).

    ``method="value"``: Shapley's value iteration ``V(s) <- val[R_1(s) + gamma sum_s' P(s, ., ., s') V(s')]``,
    a contraction with modulus ``gamma``, stopped when an update changes ``V`` by less than
    ``tol (1 - gamma) / gamma``.  ``method="hoffman-karp"`` (default): the policy-iteration variant (Hoffman &
    Karp 1966): take player 1's maximin strategies of the current stage games, then set ``V`` to the exact
    value of that stationary strategy against player 2's best response (an MDP solved by policy iteration);
    it stops when ``V`` no longer moves, usually after a handful of rounds.  Stage games are solved in batches
    by :func:`~tactica.equilibria.zero_sum_lp.solve_matrix_games`.
    Returns player 1's values and both players' stationary minimax policies.
    """
    from tactica.equilibria.zero_sum_lp import solve_matrix_games

    if model.num_players != 2:
        raise ValueError(f"Shapley value iteration needs a 2-player game; this one has {model.num_players}")
    if np.abs(model.rewards.sum(axis=0)).max() > 1e-9 * max(1.0, float(np.abs(model.rewards).max())):
        raise ValueError("Shapley value iteration needs a zero-sum game (R_1 = -R_2)")
    if method not in ("value", "hoffman-karp"):
        raise ValueError(f"method must be 'value' or 'hoffman-karp'; got {method!r}")
    gamma = float(model.discount)
    if gamma >= 1.0:
        raise ValueError("Shapley value iteration needs discount < 1")
    cont = _continuation(model)
    num_states = model.num_states
    counts = model.action_counts

    def stage_solutions(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q = model.rewards[0] + gamma * cont @ values
        stage_values = np.empty(num_states)
        row_policy = np.zeros((num_states, model.num_actions[0]))
        col_policy = np.zeros((num_states, model.num_actions[1]))
        # states sharing legal-action counts are solved together in one batch
        for m, n in {(int(a), int(b)) for a, b in counts}:
            group = np.flatnonzero((counts[:, 0] == m) & (counts[:, 1] == n))
            v, x, y = solve_matrix_games(q[group, :m, :n])
            stage_values[group] = v
            row_policy[group, :m] = x
            col_policy[group, :n] = y
        return stage_values, row_policy, col_policy

    values = np.zeros(num_states)
    stop = tol * (1 - gamma) / max(gamma, 1e-12) if method == "value" else tol
    residual, iterations = np.inf, 0
    uniform = uniform_policy(model)
    legal = _legal(model, 1)
    response_choice = None
    while iterations < max_iterations:
        iterations += 1
        new, row_policy, _ = stage_solutions(values)
        if method == "hoffman-karp":
            # the exact value of this maximin strategy against a best-responding minimiser; the minimiser's
            # previous answer warm-starts its policy iteration (consecutive rounds differ little)
            p, r = _player_mdp(model, [row_policy, uniform[1]], 1)
            response, response_choice = _policy_iteration(p, r, legal, gamma, response_choice)
            new = np.maximum(-response, values) if iterations > 1 else -response
        residual = float(np.abs(new - values).max())
        values = new
        if residual < stop:
            break
    _, row_policy, col_policy = stage_solutions(values)
    return ShapleySolution(values, [row_policy, col_policy], iterations, residual)
