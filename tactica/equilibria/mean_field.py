"""Mean-field games: population flow, policy value, best response, exploitability, fictitious play.

A policy of the representative agent is time-dependent, ``pi[t, s, a]`` (shape ``(H, S, A)``; a stationary
``(S, A)`` array is repeated over time).  The **flow** it induces is ``mu_0`` (given) and
``mu_{t+1}(s') = sum_{s,a} mu_t(s) pi_t(a|s) P_t(mu_t)[s, a, s']``.  Against a fixed flow the agent faces an
ordinary finite-horizon MDP, solved exactly by backward induction.

**Exploitability** (OpenSpiel's MFG NashConv, ``open_spiel/python/mfg/algorithms/nash_conv.py``): the value of
a best response against the flow the policy induces minus the value of the policy itself, both averaged over
``mu_0``.  It is 0 exactly at a mean-field Nash equilibrium.

:func:`crowd_modelling` builds OpenSpiel's 1-D crowd-modelling game with the same dynamics and reward timing,
so its numbers can be compared with OpenSpiel's tests (uniform policy NashConv 2.8135365543870385).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.equilibria.games import MeanFieldGame

__all__ = [
    "as_mean_field_policy",
    "uniform_policy",
    "population_flow",
    "policy_value",
    "best_response",
    "MeanFieldExploitability",
    "exploitability",
    "fictitious_play",
    "crowd_modelling",
]


def as_mean_field_policy(game: MeanFieldGame, policy: object, tol: float = 1e-6) -> np.ndarray:
    """Validate a policy and return it as ``(H, S, A)``."""
    pi = np.asarray(policy, dtype=np.float64)
    if pi.shape == (game.num_states, game.num_actions):
        pi = np.broadcast_to(pi, (game.horizon, *pi.shape)).copy()
    expected = (game.horizon, game.num_states, game.num_actions)
    if pi.shape != expected:
        raise ValueError(f"a mean-field policy must have shape {expected} or {expected[1:]}; got {pi.shape}")
    if not np.isfinite(pi).all() or (pi < -tol).any() or (np.abs(pi.sum(axis=-1) - 1) > tol).any():
        raise ValueError("every row of a mean-field policy must be a probability distribution over actions")
    return np.clip(pi, 0.0, None)


def uniform_policy(game: MeanFieldGame) -> np.ndarray:
    return np.full((game.horizon, game.num_states, game.num_actions), 1.0 / game.num_actions)


def population_flow(game: MeanFieldGame, policy: object) -> np.ndarray:
    """``mu[t]`` for ``t = 0..H`` (shape ``(H + 1, S)``) induced by ``policy``."""
    pi = as_mean_field_policy(game, policy)
    mu = np.zeros((game.horizon + 1, game.num_states))
    mu[0] = game.initial_distribution
    for t in range(game.horizon):
        kernel = np.asarray(game.transition(mu[t], t))
        mu[t + 1] = np.einsum("s,sa,sat->t", mu[t], pi[t], kernel)
    return mu


def _backward(
    game: MeanFieldGame, flow: np.ndarray, policy: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Values ``V_0`` (S,) of ``policy`` (or of the best response if ``None``) against ``flow``, and the plan."""
    values = np.zeros(game.num_states)
    plan = np.zeros((game.horizon, game.num_states, game.num_actions))
    for t in reversed(range(game.horizon)):
        q = (
            np.asarray(game.reward(flow[t], t))
            + game.discount * np.asarray(game.transition(flow[t], t)) @ values
        )
        if policy is None:
            best = q.max(axis=1, keepdims=True)
            # ties share probability equally (OpenSpiel's greedy policy does the same)
            ties = np.isclose(q, best, rtol=0.0, atol=1e-12)
            plan[t] = ties / ties.sum(axis=1, keepdims=True)
        else:
            plan[t] = policy[t]
        values = (plan[t] * q).sum(axis=1)
    return values, plan


def policy_value(game: MeanFieldGame, policy: object, flow: np.ndarray | None = None) -> np.ndarray:
    """Per-state value ``V_0(s)`` of ``policy`` against ``flow`` (default: the flow it induces)."""
    pi = as_mean_field_policy(game, policy)
    flow = population_flow(game, pi) if flow is None else flow
    return _backward(game, flow, pi)[0]


def best_response(game: MeanFieldGame, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(V_0 (S,), policy (H, S, A))`` of a best response to a fixed flow."""
    return _backward(game, np.asarray(flow, dtype=np.float64), None)


@dataclass(frozen=True)
class MeanFieldExploitability:
    """``nash_conv = mu_0 . (V_BR - V_pi)`` with the per-state values it came from."""

    nash_conv: float
    policy_value: float
    best_response_value: float
    state_values: np.ndarray
    state_best_response_values: np.ndarray


def exploitability(game: MeanFieldGame, policy: object) -> MeanFieldExploitability:
    """Exploitability of ``policy`` against the population flow it induces."""
    pi = as_mean_field_policy(game, policy)
    flow = population_flow(game, pi)
    values = _backward(game, flow, pi)[0]
    br_values = _backward(game, flow, None)[0]
    mu0 = game.initial_distribution
    return MeanFieldExploitability(
        nash_conv=float(mu0 @ (br_values - values)),
        policy_value=float(mu0 @ values),
        best_response_value=float(mu0 @ br_values),
        state_values=values,
        state_best_response_values=br_values,
    )


def fictitious_play(game: MeanFieldGame, iterations: int = 10) -> tuple[np.ndarray, list[float]]:
    """Mean-field fictitious play (Perrin et al. 2020, as in OpenSpiel's ``FictitiousPlay``).

    Each iteration best-responds to the current flow and averages policies *weighted by their flows*
    (``1 - 1/(k+1)`` and ``1/(k+1)`` at step ``k``), so the averaged policy induces the averaged flow.

    Returns:
        ``(policy (H, S, A), exploitability after each iteration)``.
    """
    pi = uniform_policy(game)
    history = []
    for k in range(1, iterations + 1):
        flow = population_flow(game, pi)
        _, br = best_response(game, flow)
        br_flow = population_flow(game, br)
        weight = 1.0 / (k + 1)
        old = (1 - weight) * flow[:-1, :, None] * pi
        new = weight * br_flow[:-1, :, None] * br
        total = old + new
        mass = total.sum(axis=-1, keepdims=True)
        pi = np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), 1.0 / game.num_actions)
        history.append(exploitability(game, pi).nash_conv)
    return pi, history


def crowd_modelling(size: int = 10, horizon: int = 10) -> MeanFieldGame:
    """OpenSpiel's ``python_mfg_crowd_modelling`` (1-D torus of ``size`` cells, actions -1/0/+1, noise -1/0/+1).

    Reward at decision time ``t`` in cell ``x``: ``1 - |x - size/2| / (size/2) - |a_{t-1}| / size
    - log(mu_t(x) + 1e-25)``, where ``a_{t-1}`` is the previous move (none at ``t = 0``), as in OpenSpiel's
    state, which charges a move at the next decision; the last move is therefore free.
    """
    half = size // 2
    moves = np.array([-1, 0, 1])
    # the move cost is paid at the next decision, so attach it to (s, a) at t for every t but the last
    cells = np.arange(size)
    position = 1.0 - np.abs(cells - half) / half

    # a state-action pair (s, a) leads to (s + a + noise) mod size, noise uniform on {-1, 0, 1}
    kernel = np.zeros((size, 3, size))
    for s in range(size):
        for a, move in enumerate(moves):
            for noise in (-1, 0, 1):
                kernel[s, a, (s + move + noise) % size] += 1.0 / 3.0

    def transition(mu: np.ndarray, t: int) -> np.ndarray:
        return kernel

    def reward(mu: np.ndarray, t: int) -> np.ndarray:
        base = position - np.log(mu + 1e-25)
        cost = np.abs(moves) / size if t < horizon - 1 else np.zeros(3)
        return base[:, None] - cost[None, :]

    return MeanFieldGame(
        num_states=size,
        num_actions=3,
        horizon=horizon,
        initial_distribution=np.full(size, 1.0 / size),
        transition=transition,
        reward=reward,
        name="crowd_modelling",
    )
