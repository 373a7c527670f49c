"""Soft (entropy-regularised) equilibria of stage games, batched over states.

In a stage game with payoff tensors ``G[i, s, a_1..a_n]`` the control-as-inference fixed point at temperature
``alpha`` is the profile where every player's policy is the posterior of its own optimality variable::

    pi_i(a_i | s) = exp(Q_i(s, a_i) / alpha) / Z_i(s),   Q_i(s, a_i) = E_{a_-i ~ pi_-i}[ G_i(s, a) ]

i.e. the logit quantal response equilibrium with precision ``lambda = 1 / alpha``.  We solve it for every state
at once by Newton's method on the players' log-odds (one free coordinate fewer than actions per player), warm
started from a given profile and, when Newton stalls, by continuation in the temperature from a high value,
where the fixed point is unique and near uniform, down to ``alpha``.  Illegal actions keep probability zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["action_values", "soft_stage_equilibrium", "softmax_policy", "entropy"]

_LOG_FLOOR = -1e30


def action_values(payoffs: np.ndarray, policies: list[np.ndarray], player: int) -> np.ndarray:
    """``Q_i(s, a_i)``: player ``i``'s payoff tensor ``(S, A_1..A_n)`` averaged over the others' policies."""
    values = payoffs
    n = len(policies)
    # contract the other players' axes from the last to the first so the axis numbers stay valid
    for j in reversed(range(n)):
        if j == player:
            continue
        shape = [policies[j].shape[0]] + [1] * (values.ndim - 1)
        shape[j + 1] = policies[j].shape[1]
        values = (values * policies[j].reshape(shape)).sum(axis=j + 1, keepdims=True)
    return values.reshape(values.shape[0], -1)


def softmax_policy(values: np.ndarray, alpha: float, legal: np.ndarray) -> np.ndarray:
    """Row-wise ``exp(values / alpha)`` normalised over the legal actions."""
    logits = np.where(legal, values / alpha, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def entropy(policy: np.ndarray) -> np.ndarray:
    """Row-wise Shannon entropy in nats."""
    safe = np.where(policy > 0, policy, 1.0)
    return -(policy * np.log(safe)).sum(axis=1)


def _residual(payoffs, policies, alpha, legal) -> np.ndarray:
    """Stacked fixed-point residuals ``pi_i - softmax(Q_i / alpha)`` over players, ``(S, sum_i A_i)``."""
    return np.concatenate(
        [
            policies[i] - softmax_policy(action_values(payoffs[i], policies, i), alpha, legal[i])
            for i in range(len(policies))
        ],
        axis=1,
    )


def _from_coordinates(z: np.ndarray, sizes: list[int], legal: list[np.ndarray]) -> list[np.ndarray]:
    """Free log-odds (the last action of each player is the reference, fixed at 0) to policies."""
    policies, start = [], 0
    for size, mask in zip(sizes, legal):
        logits = np.concatenate([z[:, start : start + size - 1], np.zeros((z.shape[0], 1))], axis=1)
        logits = np.where(mask, logits, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        policies.append(weights / weights.sum(axis=1, keepdims=True))
        start += size - 1
    return policies


def _to_coordinates(policies: list[np.ndarray], legal: list[np.ndarray]) -> np.ndarray:
    columns = []
    for policy, mask in zip(policies, legal):
        # the reference is the last *legal* action; illegal entries are masked anyway
        safe = np.log(np.clip(policy, 1e-300, None))
        reference = np.take_along_axis(
            safe, (mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1))[:, None], 1
        )
        columns.append(np.where(mask[:, :-1], safe[:, :-1] - reference, 0.0))
    return np.concatenate(columns, axis=1)


def _newton(payoffs, policies, alpha, legal, iterations: int, tol: float) -> tuple[list[np.ndarray], float]:
    """Damped Newton on ``F(z) = z - log-odds(softmax(Q(pi(z)) / alpha))`` for all states at once."""
    sizes = [p.shape[1] for p in policies]
    # each player's last legal action is its reference; reorder so the reference is the last column
    z = _to_coordinates(policies, legal)

    def field(z: np.ndarray) -> np.ndarray:
        current = _from_coordinates(z, sizes, legal)
        responses = [
            softmax_policy(action_values(payoffs[i], current, i), alpha, legal[i])
            for i in range(len(current))
        ]
        return z - _to_coordinates(responses, legal)

    f = field(z)
    norm = np.abs(f).max(axis=1)
    dim = z.shape[1]
    for _ in range(iterations):
        if norm.max() < tol:
            break
        step = 1e-7
        jac = np.empty((z.shape[0], dim, dim))
        for k in range(dim):
            shifted = z.copy()
            shifted[:, k] += step
            jac[:, :, k] = (field(shifted) - f) / step
        try:
            delta = np.linalg.solve(jac, -f[..., None])[..., 0]
        except np.linalg.LinAlgError:
            delta = -np.linalg.lstsq(jac.reshape(-1, dim), f.reshape(-1), rcond=None)[0].reshape(z.shape)
        scale = np.ones(z.shape[0])
        for _ in range(30):  # backtracking per state
            trial = z + scale[:, None] * delta
            trial_f = field(trial)
            trial_norm = np.abs(trial_f).max(axis=1)
            worse = trial_norm > norm * (1 - 1e-4 * scale) + 1e-15
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        z, f, norm = trial, trial_f, trial_norm
    policies = _from_coordinates(z, sizes, legal)
    return policies, float(np.abs(_residual(payoffs, policies, alpha, legal)).max())


def soft_stage_equilibrium(
    payoffs: np.ndarray,
    alpha: float,
    legal: list[np.ndarray] | None = None,
    initial: list[np.ndarray] | None = None,
    *,
    tol: float = 1e-12,
    newton_iterations: int = 50,
    continuation_ratio: float = 1.05,
    fixed_point_iterations: int = 100,
    damping: float = 0.5,
    accept: float = 1e-10,
) -> tuple[list[np.ndarray], float]:
    """The soft (logit) equilibrium of the stage game of every state.

    Args:
        payoffs: ``(n, S, A_1..A_n)`` stage payoffs.
        alpha: temperature (> 0).
        legal: per player ``(S, A_i)`` boolean legal-action masks (default: all legal).
        initial: warm start (default: uniform, and continuation from a high temperature).  From a warm start
            the solver first takes up to ``fixed_point_iterations`` damped soft-response steps (cheap), then Newton.
        continuation_ratio: temperature ratio between continuation steps; small steps keep the path on the
            principal branch (the one that starts at the uniform profile) in games with several soft equilibria.

    Returns:
        ``(policies, residual)``: per player ``(S, A_i)`` policies and the largest fixed-point residual.
    """
    if not alpha > 0:
        raise ValueError(f"the temperature alpha must be > 0; got {alpha}")
    payoffs = np.asarray(payoffs, dtype=np.float64)
    num_states = payoffs.shape[1]
    sizes = list(payoffs.shape[2:])
    if legal is None:
        legal = [np.ones((num_states, m), dtype=bool) for m in sizes]
    uniform = [mask / mask.sum(axis=1, keepdims=True) for mask in (m.astype(np.float64) for m in legal)]
    if initial is not None:
        policies = [np.array(p, dtype=np.float64) for p in initial]
        for _ in range(fixed_point_iterations):  # cheap damped soft responses from the warm start
            responses = [
                softmax_policy(action_values(payoffs[i], policies, i), alpha, legal[i])
                for i in range(len(policies))
            ]
            change = max(float(np.abs(r - p).max()) for r, p in zip(responses, policies))
            policies = [(1 - damping) * p + damping * r for p, r in zip(policies, responses)]
            if change < tol:
                break
        residual = float(np.abs(_residual(payoffs, policies, alpha, legal)).max())
        if residual < accept:
            return policies, residual
        initial = policies
        policies, residual = _newton(
            payoffs, [np.array(p, dtype=np.float64) for p in initial], alpha, legal, newton_iterations, tol
        )
        if residual < accept:
            return policies, residual
    # continuation: from a temperature where the logit map is a contraction down to alpha
    spread = float(payoffs.max() - payoffs.min()) or 1.0
    start = max(alpha, 4.0 * spread)
    schedule = np.geomspace(
        start, alpha, num=max(2, int(np.ceil(np.log(start / alpha) / np.log(continuation_ratio))) + 1)
    )
    policies = uniform
    residual = np.inf
    for temperature in schedule:
        policies, residual = _newton(payoffs, policies, float(temperature), legal, newton_iterations, tol)
    return policies, residual
