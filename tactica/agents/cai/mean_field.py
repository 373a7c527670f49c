"""Mean-field control as inference: the soft fixed point of a finite-horizon mean-field game, with baselines.

The representative agent treats its reward as the log-likelihood of optimality, ``p(O_t | s, a; mu_t) ~
exp(r(s, a, mu_t) / alpha)``.  Against a fixed population flow ``mu = (mu_0, ..., mu_H)`` its variational
posterior is the **soft backward induction**::

    Q_t(s, a) = r(s, a, mu_t) + gamma * sum_s' P(s' | s, a, mu_t) V_{t+1}(s'),        V_H = 0
    V_t(s)    = alpha * log sum_a exp(Q_t(s, a) / alpha)
    pi_t(a|s) = exp((Q_t(s, a) - V_t(s)) / alpha)

and the population that follows ``pi`` induces a new flow ``Phi(mu)``.  The CAI mean-field Nash equilibrium is a
fixed point ``mu = Phi(mu)`` (the equilibrium of the entropy-regularised game); like the stochastic-game case
(:func:`tactica.agents.cai.soft_nash.epsilon_bound`) the soft response loses at most ``alpha * log|A|`` per step,
so its exploitability in the unregularised game is at most ``alpha * H * log|A|``.  The plain iteration
``mu <- Phi(mu)`` can cycle (OpenSpiel's greedy fixed point on crowd modelling oscillates at NashConv 55.7), so
:func:`cai_fixed_point` damps it, ``mu <- (1 - w_k) mu + w_k Phi(mu)``, with ``w_k = 1/(k+1)`` (averaging, the
fictitious-play weight) or a constant ``w``; a temperature schedule drives ``alpha`` towards a small final value
so the result approaches the unregularised equilibrium.

Baselines: fictitious play (:func:`tactica.equilibria.mean_field.fictitious_play`, Perrin et al. 2020) and
online mirror descent (:func:`online_mirror_descent`, Perolat et al. 2022: the policy is the softmax of the
cumulative Q-values of past policies, each evaluated against its own flow).  All three are measured by the same
exact exploitability, :func:`tactica.equilibria.mean_field.exploitability`.

:func:`linear_quadratic` is a discrete linear-quadratic mean-field game with a closed form
(:func:`linear_quadratic_closed_form`), in the style of OpenSpiel's ``mean_field_lin_quad`` and Perrin et al.
(arXiv:2007.03458, sec. 4.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tactica.equilibria.games import MeanFieldGame
from tactica.equilibria.mean_field import (
    as_mean_field_policy,
    crowd_modelling,
    exploitability,
    fictitious_play,
    population_flow,
    uniform_policy,
)

__all__ = [
    "MeanFieldResult",
    "soft_backward_induction",
    "policy_q_values",
    "cai_fixed_point",
    "online_mirror_descent",
    "solve_mean_field",
    "linear_quadratic",
    "LinearQuadraticSolution",
    "linear_quadratic_closed_form",
    "population_mean",
    "mean_field_game",
    "MEAN_FIELD_GAMES",
    "MEAN_FIELD_METHODS",
]

MEAN_FIELD_METHODS = ("cai", "fp", "omd")


@dataclass
class MeanFieldResult:
    """The outcome of a mean-field solver.

    Attributes:
        policy: ``(H, S, A)`` time-indexed policy of the representative agent.
        flow: ``(H + 1, S)`` the population flow that policy induces.
        exploitability: NashConv of ``policy`` in the unregularised game.
        history: exploitability after each iteration.
        temperatures: the temperature used at each iteration (empty for fictitious play).
        method: ``"cai"``, ``"fp"`` or ``"omd"``.
    """

    policy: np.ndarray
    flow: np.ndarray
    exploitability: float
    history: list[float] = field(default_factory=list)
    temperatures: list[float] = field(default_factory=list)
    method: str = "cai"


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def soft_backward_induction(
    game: MeanFieldGame, flow: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """The soft (entropy-regularised) best response to a fixed flow.

    Returns:
        ``(policy (H, S, A), soft values V_0 (S,))``.
    """
    if not alpha > 0:
        raise ValueError(f"alpha (the temperature) must be > 0; got {alpha}")
    flow = np.asarray(flow, dtype=np.float64)
    values = np.zeros(game.num_states)
    policy = np.zeros((game.horizon, game.num_states, game.num_actions))
    for t in reversed(range(game.horizon)):
        q = (
            np.asarray(game.reward(flow[t], t))
            + game.discount * np.asarray(game.transition(flow[t], t)) @ values
        )
        top = q.max(axis=1, keepdims=True)
        # log-sum-exp shifted by the row maximum: exact at any temperature, no overflow as alpha -> 0
        log_norm = np.log(np.exp((q - top) / alpha).sum(axis=1, keepdims=True))
        policy[t] = np.exp((q - top) / alpha - log_norm)
        values = (top + alpha * log_norm)[:, 0]
    return policy, values


def policy_q_values(game: MeanFieldGame, policy: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``Q^pi_t(s, a)`` (shape ``(H, S, A)``) of ``policy`` against ``flow`` (unregularised)."""
    pi = as_mean_field_policy(game, policy)
    values = np.zeros(game.num_states)
    q_values = np.zeros((game.horizon, game.num_states, game.num_actions))
    for t in reversed(range(game.horizon)):
        q_values[t] = (
            np.asarray(game.reward(flow[t], t))
            + game.discount * np.asarray(game.transition(flow[t], t)) @ values
        )
        values = (pi[t] * q_values[t]).sum(axis=1)
    return q_values


def _temperatures(
    alpha: float, initial: float | None, iterations: int, anneal_fraction: float
) -> list[float]:
    """Geometric schedule from ``initial`` to ``alpha`` over the first ``anneal_fraction`` of the iterations."""
    if initial is None or initial <= alpha:
        return [alpha] * iterations
    ramp = max(1, int(anneal_fraction * iterations))
    return [float(initial * (alpha / initial) ** min(1.0, k / ramp)) for k in range(iterations)]


def cai_fixed_point(
    game: MeanFieldGame,
    alpha: float = 0.01,
    iterations: int = 200,
    *,
    damping: float | str = "average",
    initial_alpha: float | None = None,
    anneal_fraction: float = 0.5,
    progress: Callable[[int, float], None] | None = None,
) -> MeanFieldResult:
    """Damped iteration of the CAI map: soft best response to the flow, then the flow it induces.

    Args:
        alpha: the (final) temperature.
        iterations: number of flow updates.
        damping: ``"average"`` (``w_k = 1/(k+1)``, fictitious-play weights on flows) or a constant weight
            ``w`` in ``(0, 1]`` (``1`` is the undamped fixed-point iteration).
        initial_alpha: start the temperature here and anneal geometrically to ``alpha`` over the first
            ``anneal_fraction`` of the iterations (a high start smooths the early, far-from-equilibrium flows).
        progress: optional ``callable(iteration, exploitability)``.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1; got {iterations}")
    if isinstance(damping, str):
        if damping != "average":
            raise ValueError(f"damping must be 'average' or a number in (0, 1]; got {damping!r}")
    elif not 0 < float(damping) <= 1:
        raise ValueError(f"damping must be 'average' or a number in (0, 1]; got {damping!r}")
    temperatures = _temperatures(float(alpha), initial_alpha, iterations, anneal_fraction)
    flow = population_flow(game, uniform_policy(game))
    history: list[float] = []
    policy = uniform_policy(game)
    for k, temperature in enumerate(temperatures, start=1):
        policy, _ = soft_backward_induction(game, flow, temperature)
        induced = population_flow(game, policy)
        weight = 1.0 / (k + 1) if damping == "average" else float(damping)
        flow = (1.0 - weight) * flow + weight * induced
        history.append(exploitability(game, policy).nash_conv)
        if progress is not None:
            progress(k, history[-1])
    # the returned policy is the soft response to the converged flow; its own flow is what is measured
    policy, _ = soft_backward_induction(game, flow, temperatures[-1])
    final = exploitability(game, policy).nash_conv
    history.append(final)
    return MeanFieldResult(policy, population_flow(game, policy), final, history, temperatures, "cai")


def online_mirror_descent(
    game: MeanFieldGame,
    iterations: int = 100,
    learning_rate: float = 1.0,
    *,
    progress: Callable[[int, float], None] | None = None,
) -> MeanFieldResult:
    """Online mirror descent (Perolat et al. 2022): ``y += lr * Q^{pi_k}(mu^{pi_k})``, ``pi = softmax(y)``."""
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1; got {iterations}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0; got {learning_rate}")
    cumulative = np.zeros((game.horizon, game.num_states, game.num_actions))
    policy = uniform_policy(game)
    history: list[float] = []
    for k in range(1, iterations + 1):
        flow = population_flow(game, policy)
        cumulative += learning_rate * policy_q_values(game, policy, flow)
        policy = _softmax_rows(cumulative)
        history.append(exploitability(game, policy).nash_conv)
        if progress is not None:
            progress(k, history[-1])
    return MeanFieldResult(policy, population_flow(game, policy), history[-1], history, [], "omd")


def solve_mean_field(
    game: MeanFieldGame,
    method: str = "cai",
    *,
    iterations: int = 200,
    alpha: float = 0.01,
    initial_alpha: float | None = None,
    learning_rate: float = 1.0,
    progress: Callable[[int, float], None] | None = None,
) -> MeanFieldResult:
    """Run one of :data:`MEAN_FIELD_METHODS` (``"cai"``, ``"fp"``, ``"omd"``) for ``iterations``."""
    if method == "cai":
        return cai_fixed_point(game, alpha, iterations, initial_alpha=initial_alpha, progress=progress)
    if method == "omd":
        return online_mirror_descent(game, iterations, learning_rate, progress=progress)
    if method == "fp":
        policy, history = fictitious_play(game, iterations)
        if progress is not None:
            progress(iterations, history[-1])
        return MeanFieldResult(policy, population_flow(game, policy), history[-1], history, [], "fp")
    raise ValueError(f"method must be one of {MEAN_FIELD_METHODS}; got {method!r}")


# --------------------------------------------------------------------------------------------------------------
# The linear-quadratic mean-field game


def population_mean(flow: np.ndarray, positions: np.ndarray | None = None) -> np.ndarray:
    """``m_t = sum_x mu_t(x) x`` for every row of ``flow`` (positions default to ``0..S-1``)."""
    flow = np.asarray(flow, dtype=np.float64)
    positions = np.arange(flow.shape[-1]) if positions is None else np.asarray(positions, dtype=np.float64)
    return flow @ positions


def _noise(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets ``-N..N`` (``N = ceil(3 sigma)``) with probabilities ``~ exp(-n^2 / (2 sigma^2))`` (grid units)."""
    if sigma == 0:
        return np.array([0]), np.array([1.0])
    width = int(np.ceil(3 * sigma))
    offsets = np.arange(-width, width + 1)
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return offsets, weights / weights.sum()


def linear_quadratic(
    size: int = 41,
    horizon: int = 10,
    max_move: int = 3,
    sigma: float = 1.0,
    move_cost: float = 1.0,
    cross_q: float = 0.01,
    kappa: float = 0.5,
    terminal_cost: float = 1.0,
    initial_distribution: np.ndarray | None = None,
    spacing: float = 1.0,
) -> MeanFieldGame:
    """A linear-quadratic mean-field game on a discrete line (OpenSpiel ``mean_field_lin_quad`` style).

    The agent's position is ``x in {0..size-1}``; at each of ``horizon`` decisions it moves by
    ``a in {-K..K}`` (``K = max_move``, action index ``a + K``) plus a discrete Gaussian noise of standard
    deviation ``sigma`` (offsets ``-3 sigma..3 sigma``); positions are clipped at the two walls.  With ``m_t`` the
    population mean, the reward at decision ``t`` is::

        r_t = -1/2 c a^2 + q a (m_t - x) - kappa/2 (m_t - x)^2,      then  -1/2 c_T (m_H - x_H)^2  at the end.

    The terminal cost is paid at an extra decision ``t = H`` whose moves all keep the agent in place and cost
    the same, so the returned game has ``horizon + 1`` decisions and the last one is irrelevant.

    Args:
        size: number of grid points; keep the population away from the walls for the closed form to hold.
        move_cost, cross_q, kappa, terminal_cost: ``c``, ``q``, ``kappa``, ``c_T`` (concavity needs
            ``q^2 <= c kappa``).
        initial_distribution: ``mu_0``; default a discrete Gaussian (sd 2) centred at ``size // 2``.
    """
    if size < 3 or horizon < 1 or max_move < 1:
        raise ValueError(
            f"need size >= 3, horizon >= 1, max_move >= 1; got size={size}, horizon={horizon}, max_move={max_move}"
        )
    if sigma < 0 or move_cost <= 0 or kappa < 0 or terminal_cost < 0:
        raise ValueError("need sigma >= 0, move_cost > 0, kappa >= 0, terminal_cost >= 0")
    if cross_q**2 > move_cost * kappa + 1e-12:
        raise ValueError(
            f"the reward is concave only if q^2 <= c kappa; got q={cross_q}, c={move_cost}, kappa={kappa}"
        )
    if not spacing > 0:
        raise ValueError(f"spacing must be > 0; got {spacing}")
    positions = spacing * np.arange(size, dtype=np.float64)
    if initial_distribution is None:
        mu0 = np.exp(-((positions - positions[size // 2]) ** 2) / (2 * 2.0**2))
        mu0 /= mu0.sum()
    else:
        mu0 = np.asarray(initial_distribution, dtype=np.float64)
    steps = np.arange(-max_move, max_move + 1)
    moves = spacing * steps
    offsets, weights = _noise(sigma / spacing)
    kernel = np.zeros((size, moves.size, size))
    for s in range(size):
        for a, move in enumerate(steps):
            np.add.at(kernel[s, a], np.clip(s + move + offsets, 0, size - 1), weights)
    stay = np.zeros_like(kernel)
    stay[np.arange(size), :, np.arange(size)] = 1.0

    def transition(mu: np.ndarray, t: int) -> np.ndarray:
        return kernel if t < horizon else stay

    def reward(mu: np.ndarray, t: int) -> np.ndarray:
        gap = (positions @ mu - positions)[:, None]  # m_t - x
        if t == horizon:
            return np.broadcast_to(-0.5 * terminal_cost * gap**2, (size, moves.size)).copy()
        return -0.5 * move_cost * moves[None, :] ** 2 + cross_q * moves[None, :] * gap - 0.5 * kappa * gap**2

    return MeanFieldGame(
        num_states=size,
        num_actions=int(moves.size),
        horizon=horizon + 1,
        initial_distribution=mu0,
        transition=transition,
        reward=reward,
        name="linear_quadratic",
    )


@dataclass(frozen=True)
class LinearQuadraticSolution:
    """The closed form of the continuous-state analogue (see :func:`linear_quadratic_closed_form`)."""

    mean: np.ndarray  # (H + 1,) m_t, constant
    gain: np.ndarray  # (H,) k_t: the equilibrium move is a_t = k_t (m - x_t)
    riccati: np.ndarray  # (H + 1,) P_t: V_t(x) = -1/2 P_t (x - m)^2 + const
    variance: np.ndarray  # (H + 1,) Var_t of the population


def linear_quadratic_closed_form(
    initial_mean: float,
    initial_variance: float,
    horizon: int = 10,
    sigma: float = 1.0,
    move_cost: float = 1.0,
    cross_q: float = 0.01,
    kappa: float = 0.5,
    terminal_cost: float = 1.0,
) -> LinearQuadraticSolution:
    """Mean-field Nash equilibrium of ``x_{t+1} = x_t + a_t + eps_t`` (``Var eps = sigma^2``) with continuous moves.

    Derivation.  Guess a constant mean ``m`` and a quadratic value ``V_t(x) = -1/2 P_t y^2 + c_t`` in
    ``y = x - m``, with ``P_H = c_T``.  The Bellman step maximises
    ``-1/2 c a^2 - q a y - 1/2 kappa y^2 - 1/2 P_{t+1} E[(y + a + eps)^2]``; its first-order condition gives
    ``a = -k_t y`` with ``k_t = (q + P_{t+1}) / (c + P_{t+1})``, and substituting back the Riccati recursion
    ``P_t = kappa + P_{t+1} - (q + P_{t+1})^2 / (c + P_{t+1})``.  The population's mean move is
    ``-k_t E[y] = 0``: the guessed constant mean is consistent, so **the population mean stays at its
    initial mean** and the equilibrium is this linear feedback.  The variance then follows
    ``Var_{t+1} = (1 - k_t)^2 Var_t + sigma^2``.

    The discrete game of :func:`linear_quadratic` rounds moves to integers and clips at walls, so its
    equilibrium matches the mean exactly only away from the walls (and by symmetry); the gain and the
    variance are matched approximately.
    """
    riccati = np.zeros(horizon + 1)
    riccati[horizon] = terminal_cost
    gain = np.zeros(horizon)
    for t in reversed(range(horizon)):
        p = riccati[t + 1]
        gain[t] = (cross_q + p) / (move_cost + p)
        riccati[t] = kappa + p - (cross_q + p) ** 2 / (move_cost + p)
    variance = np.zeros(horizon + 1)
    variance[0] = initial_variance
    for t in range(horizon):
        variance[t + 1] = (1 - gain[t]) ** 2 * variance[t] + sigma**2
    return LinearQuadraticSolution(np.full(horizon + 1, float(initial_mean)), gain, riccati, variance)


MEAN_FIELD_GAMES: dict[str, Callable[..., MeanFieldGame]] = {
    "crowd_modelling": crowd_modelling,
    "linear_quadratic": linear_quadratic,
}


def mean_field_game(name: str, **kwargs) -> MeanFieldGame:
    """Build a mean-field game by name (:data:`MEAN_FIELD_GAMES`); ``kwargs`` go to its constructor."""
    if name not in MEAN_FIELD_GAMES:
        raise ValueError(f"unknown mean-field game {name!r}; known: {sorted(MEAN_FIELD_GAMES)}")
    try:
        return MEAN_FIELD_GAMES[name](**kwargs)
    except TypeError as error:
        raise ValueError(f"bad options for mean-field game {name!r}: {error}") from None
