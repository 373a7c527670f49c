"""Markov games by name: classic normal-form games, grid games, soccer, and seeded generators.

``make_model(name, **kwargs)`` is the single source of every catalog game's payoffs: the environment, the
equilibrium solvers and the CLI all build games through it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tactica.envs.markov.grid_games import grid_game, littman_soccer
from tactica.envs.markov.model import MarkovGameModel
from tactica.envs.markov.normal_form import NORMAL_FORM_GAMES, ZERO_SUM_GAMES

__all__ = ["CATALOG", "GENERATORS", "game_names", "make_model", "normal_form_model"]

#: rounds of a repeated normal-form game when the caller does not choose a horizon
DEFAULT_REPEATS = 10


def normal_form_model(
    payoffs,
    *,
    horizon: int = DEFAULT_REPEATS,
    discount: float = 1.0,
    action_names=(),
    name: str = "normal_form",
    source: str = "",
    zero_sum: bool = False,
) -> MarkovGameModel:
    """A repeated normal-form game: payoff tensor ``(n, A_1..A_n)`` or a list of per-player arrays."""
    payoffs = np.asarray(payoffs, dtype=np.float64)
    if payoffs.ndim < 2 or payoffs.ndim - 1 != payoffs.shape[0]:
        raise ValueError(f"payoffs must have shape (n, A_1, ..., A_n); got {payoffs.shape}")
    shape = payoffs.shape[1:]
    return MarkovGameModel(
        transitions=np.ones((1, *shape, 1)),
        rewards=payoffs[:, None],
        discount=discount,
        horizon=horizon,
        state_names=("stage",),
        action_names=action_names,
        name=name,
        source=source,
        zero_sum=zero_sum,
    )


def _classic(name: str) -> Callable[..., MarkovGameModel]:
    entry = NORMAL_FORM_GAMES[name]

    def build(horizon: int = DEFAULT_REPEATS, discount: float = 1.0) -> MarkovGameModel:
        return normal_form_model(
            entry["payoffs"],
            horizon=horizon,
            discount=discount,
            action_names=entry["actions"],
            name=name,
            source=entry["source"],
            zero_sum=name in ZERO_SUM_GAMES,
        )

    build.__doc__ = entry["source"]
    return build


def _check_size(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def random_normal_form(
    num_players: int = 2,
    num_actions: int = 3,
    seed: int = 0,
    low: float = 0.0,
    high: float = 1.0,
    horizon: int = DEFAULT_REPEATS,
) -> MarkovGameModel:
    """GAMUT's RandomGame: every payoff independent and uniform on ``[low, high)``."""
    n, m = _check_size("num_players", num_players, 2), _check_size("num_actions", num_actions)
    rng = np.random.default_rng(seed)
    payoffs = rng.uniform(low, high, size=(n, *([m] * n)))
    return normal_form_model(payoffs, horizon=horizon, name=f"random_normal_form(n={n},m={m},seed={seed})")


def covariant_normal_form(
    num_players: int = 2,
    num_actions: int = 3,
    correlation: float = 0.0,
    seed: int = 0,
    horizon: int = DEFAULT_REPEATS,
) -> MarkovGameModel:
    """GAMUT's CovariantGame: each outcome's payoff vector is normal with unit variances and correlation r.

    ``r = 1`` gives common-interest games, ``r = -1/(n-1)`` the most competitive ones.
    """
    n, m = _check_size("num_players", num_players, 2), _check_size("num_actions", num_actions)
    lowest = -1.0 / (n - 1)
    if not lowest <= correlation <= 1.0:
        raise ValueError(f"correlation must be in [{lowest:.4g}, 1] for {n} players; got {correlation}")
    covariance = np.full((n, n), float(correlation))
    np.fill_diagonal(covariance, 1.0)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(np.zeros(n), covariance, size=m**n, method="eigh")
    payoffs = np.moveaxis(draws.reshape(*([m] * n), n), -1, 0)
    return normal_form_model(
        payoffs, horizon=horizon, name=f"covariant_normal_form(n={n},m={m},r={correlation},seed={seed})"
    )


def random_markov(
    num_players: int = 2,
    num_states: int = 3,
    num_actions: int = 2,
    seed: int = 0,
    discount: float = 0.9,
    horizon: int = 50,
    concentration: float = 1.0,
    min_actions: int | None = None,
) -> MarkovGameModel:
    """Random transitions (Dirichlet rows) and uniform rewards on ``[-1, 1]``, every state non-terminal.

    With ``min_actions`` each player's number of legal actions in each state is drawn from ``min_actions ..
    num_actions`` (per-state action sets, carried by the action mask).
    """
    n = _check_size("num_players", num_players, 2)
    s = _check_size("num_states", num_states)
    m = _check_size("num_actions", num_actions)
    if concentration <= 0:
        raise ValueError(f"concentration must be > 0; got {concentration}")
    rng = np.random.default_rng(seed)
    shape = (s, *([m] * n))
    transitions = rng.dirichlet(np.full(s, float(concentration)), size=shape)
    rewards = rng.uniform(-1.0, 1.0, size=(n, *shape))
    counts = None
    if min_actions is not None:
        low = _check_size("min_actions", min_actions)
        if low > m:
            raise ValueError(f"min_actions must be <= num_actions ({m}); got {low}")
        counts = rng.integers(low, m + 1, size=(s, n))
    return MarkovGameModel(
        transitions=transitions,
        rewards=rewards,
        action_counts=counts,
        discount=discount,
        horizon=horizon,
        initial_distribution=np.full(s, 1.0 / s),
        name=f"random_markov(n={n},S={s},m={m},seed={seed})",
    )


CATALOG: dict[str, Callable[..., MarkovGameModel]] = {
    **{name: _classic(name) for name in NORMAL_FORM_GAMES},
    "grid_game_1": lambda discount=0.99, horizon=100: grid_game(1, discount=discount, horizon=horizon),
    "grid_game_2": lambda discount=0.99, horizon=100: grid_game(2, discount=discount, horizon=horizon),
    "littman_soccer": littman_soccer,
}

GENERATORS: dict[str, Callable[..., MarkovGameModel]] = {
    "random_normal_form": random_normal_form,
    "covariant_normal_form": covariant_normal_form,
    "random_markov": random_markov,
}


def game_names() -> list[str]:
    """Every name ``make_model`` accepts: catalog games, then generators."""
    return [*CATALOG, *GENERATORS]


def make_model(name: str, **kwargs) -> MarkovGameModel:
    """Build a catalog game or a generated one by name; unknown names and arguments get a clear error."""
    builder = CATALOG.get(name) or GENERATORS.get(name)
    if builder is None:
        raise ValueError(f"unknown game {name!r}; valid games: {', '.join(game_names())}")
    try:
        return builder(**kwargs)
    except TypeError as exc:
        import inspect

        accepted = ", ".join(inspect.signature(builder).parameters)
        raise ValueError(f"bad arguments for game {name!r} ({exc}); accepted: {accepted}") from None
