"""Pure-strategy Nash equilibria of ``n``-player games, by vectorised best-response masks.

For each player ``i`` the boolean tensor ``U_i == max over axis i`` marks profiles where ``i`` cannot gain by a
unilateral pure deviation; their intersection is the set of pure equilibria.  Exact on exact games
(comparisons of Fractions); on float games ties within ``tol * payoff range`` count as best responses.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium, sort_equilibria

__all__ = ["pure_equilibria", "best_response_mask"]


def best_response_mask(game: NormalFormGame, player: int, tol: float = 0.0) -> np.ndarray:
    """Boolean tensor: at which pure profiles ``player``'s strategy is a best response to the others."""
    if game.exact is not None and tol == 0.0:
        u = game.exact[player]
        best = np.max(u, axis=player, keepdims=True)
        return np.asarray(u >= best, dtype=bool)
    u = game.payoffs[player]
    return u >= u.max(axis=player, keepdims=True) - tol * game.payoff_range()


def pure_equilibria(game: NormalFormGame, tol: float = 0.0) -> list[Equilibrium]:
    """Every pure-strategy Nash equilibrium (exact when the game has exact payoffs and ``tol == 0``)."""
    mask = np.ones(game.num_actions, dtype=bool)
    for i in range(game.num_players):
        mask &= best_response_mask(game, i, tol)
    found = []
    for joint in np.argwhere(mask):
        joint = tuple(int(a) for a in joint)
        profile = tuple(np.eye(m)[a] for a, m in zip(joint, game.num_actions))
        exact_profile = None
        exact_payoffs = None
        if game.exact is not None:
            exact_profile = tuple(
                tuple(Fraction(int(k == a)) for k in range(m)) for a, m in zip(joint, game.num_actions)
            )
            exact_payoffs = tuple(Fraction(v) for v in game.exact[(slice(None), *joint)])
        found.append(
            Equilibrium(
                profile=profile,
                payoffs=game.payoffs_of(joint),
                exact_profile=exact_profile,
                exact_payoffs=exact_payoffs,
                method="pure",
                info={"joint_action": joint},
            )
        )
    return sort_equilibria(found)
