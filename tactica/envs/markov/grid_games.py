"""Hu & Wellman's grid games and Littman's soccer as exact Markov game models.

Sources: J. Hu and M. P. Wellman, "Nash Q-learning for general-sum stochastic games", JMLR 4 (2003), section 5
(grid games 1 and 2, 3x3, moves up/down/left/right, goal reward 100, collision -1 with both bounced back,
discount 0.99; in grid game 2 an up-move out of a bottom corner passes the barrier with probability 1/2);
M. L. Littman, "Markov games as a framework for multi-agent reinforcement learning", ICML 1994 (soccer on a
4x5 grid, moves in random order, the ball changes hands on a blocked move, discount 0.9).
"""

from __future__ import annotations

from itertools import product

import numpy as np

from tactica.envs.markov.model import MarkovGameModel

__all__ = ["grid_game", "littman_soccer"]

_MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
GRID_REWARD_GOAL = 100.0
GRID_REWARD_COLLISION = -1.0


def _step_cell(cell: tuple[int, int], move: tuple[int, int], rows: int, cols: int) -> tuple[int, int]:
    r, c = cell[0] + move[0], cell[1] + move[1]
    if 0 <= r < rows and 0 <= c < cols:
        return (r, c)
    return cell  # a move off the grid leaves the agent where it is


def grid_game(variant: int = 1, discount: float = 0.99, horizon: int = 100) -> MarkovGameModel:
    """Hu & Wellman grid game 1 (separate goals) or 2 (shared goal, stochastic barriers)."""
    if variant not in (1, 2):
        raise ValueError(f"grid game variant must be 1 or 2; got {variant}")
    rows = cols = 3
    starts = ((2, 0), (2, 2))
    goals = ((0, 2), (0, 0)) if variant == 1 else ((0, 1), (0, 1))
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    states = [(a, b) for a in cells for b in cells if a != b or (variant == 2 and a == b == goals[0])]
    index = {s: k for k, s in enumerate(states)}
    moves = list(_MOVES.values())
    num_states, num_moves = len(states), len(moves)
    transitions = np.zeros((num_states, num_moves, num_moves, num_states))
    rewards = np.zeros((2, num_states, num_moves, num_moves))
    terminal = np.array([a == goals[0] or b == goals[1] for a, b in states])

    def outcomes(cell: tuple[int, int], move: tuple[int, int]) -> list[tuple[tuple[int, int], float]]:
        target = _step_cell(cell, move, rows, cols)
        if variant == 2 and cell in starts and move == _MOVES["up"]:
            return [(target, 0.5), (cell, 0.5)]  # the barrier stops half of the up-moves
        return [(target, 1.0)]

    for s, (a, b) in enumerate(states):
        if terminal[s]:
            transitions[s, :, :, s] = 1.0  # absorbing; the episode has ended
            continue
        for i, j in product(range(num_moves), repeat=2):
            expected = np.zeros(2)
            for (na, pa), (nb, pb) in product(outcomes(a, moves[i]), outcomes(b, moves[j])):
                prob = pa * pb
                reward = np.zeros(2)
                if na == nb and not (variant == 2 and na == goals[0]):
                    na, nb = a, b  # both try to enter one cell: bounced back
                    reward += GRID_REWARD_COLLISION
                reward[0] += GRID_REWARD_GOAL * (na == goals[0])
                reward[1] += GRID_REWARD_GOAL * (nb == goals[1])
                transitions[s, i, j, index[(na, nb)]] += prob
                expected += prob * reward
            rewards[:, s, i, j] = expected

    def cell_name(cell: tuple[int, int]) -> str:
        return f"{cell[0]}{cell[1]}"

    return MarkovGameModel(
        transitions=transitions,
        rewards=rewards,
        discount=discount,
        horizon=horizon,
        initial_distribution=np.eye(num_states)[index[starts]],
        terminal=terminal,
        state_names=tuple(f"p1={cell_name(a)},p2={cell_name(b)}" for a, b in states),
        action_names=(tuple(_MOVES), tuple(_MOVES)),
        name=f"grid_game_{variant}",
        description=f"Hu & Wellman grid game {variant}: 3x3 grid, cells named row-column from the top left",
        source="Hu & Wellman, JMLR 4 (2003), section 5",
    )


_SOCCER_ACTIONS = {"north": (-1, 0), "south": (1, 0), "east": (0, 1), "west": (0, -1), "stand": (0, 0)}


def littman_soccer(discount: float = 0.9, horizon: int = 100) -> MarkovGameModel:
    """Littman's 4x5 soccer: A attacks the left goal, B the right; goals occupy the two middle rows.

    Each step the two moves are executed in a random order (1/2 each).  A move into the other player's square
    does not happen, and the ball goes to the player that was standing there.  Carrying the ball off the left
    edge in a goal row scores for A, off the right edge for B (own goals count for the opponent).  The scorer
    gets +1 and the other -1 (zero-sum), and the episode ends.
    """
    rows, cols = 4, 5
    goal_rows = (1, 2)
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    live = [(a, b, ball) for a in cells for b in cells if a != b for ball in (0, 1)]
    states = live + ["A scored", "B scored"]
    index = {s: k for k, s in enumerate(states)}
    scored = {0: index["A scored"], 1: index["B scored"]}
    moves = list(_SOCCER_ACTIONS.values())
    num_states, num_moves = len(states), len(moves)
    transitions = np.zeros((num_states, num_moves, num_moves, num_states))
    rewards = np.zeros((2, num_states, num_moves, num_moves))
    terminal = np.zeros(num_states, dtype=bool)
    terminal[[scored[0], scored[1]]] = True
    for k in scored.values():
        transitions[k, :, :, k] = 1.0

    def move_player(pos, ball, mover, move):
        """Apply one player's move; returns (positions, ball owner, scorer or None)."""
        me, other = pos[mover], pos[1 - mover]
        r, c = me[0] + move[0], me[1] + move[1]
        if ball == mover and r in goal_rows and (c < 0 or c >= cols):
            return pos, ball, 0 if c < 0 else 1  # left edge: A's goal; right edge: B's goal
        if not (0 <= r < rows and 0 <= c < cols):
            return pos, ball, None
        if (r, c) == other:
            return pos, 1 - mover, None  # blocked: the standing player takes the ball
        new = list(pos)
        new[mover] = (r, c)
        return tuple(new), ball, None

    for s, (a, b, ball) in enumerate(live):
        for i, j in product(range(num_moves), repeat=2):
            for first in (0, 1):
                pos, owner, scorer = (a, b), ball, None
                for mover in (first, 1 - first):
                    if scorer is None:
                        pos, owner, scorer = move_player(
                            pos, owner, mover, moves[i] if mover == 0 else moves[j]
                        )
                if scorer is not None:
                    transitions[s, i, j, scored[scorer]] += 0.5
                    sign = 1.0 if scorer == 0 else -1.0
                    rewards[:, s, i, j] += 0.5 * np.array([sign, -sign])
                else:
                    transitions[s, i, j, index[(pos[0], pos[1], owner)]] += 0.5
    start_a, start_b = (1, 3), (2, 1)
    initial = np.zeros(num_states)
    initial[index[(start_a, start_b, 0)]] = 0.5
    initial[index[(start_a, start_b, 1)]] = 0.5

    def name(state) -> str:
        if isinstance(state, str):
            return state
        a, b, ball = state
        return f"A={a[0]}{a[1]},B={b[0]}{b[1]},ball={'AB'[ball]}"

    return MarkovGameModel(
        transitions=transitions,
        rewards=rewards,
        discount=discount,
        horizon=horizon,
        initial_distribution=initial,
        terminal=terminal,
        state_names=tuple(name(s) for s in states),
        action_names=(tuple(_SOCCER_ACTIONS), tuple(_SOCCER_ACTIONS)),
        name="littman_soccer",
        description="Littman's soccer: 4x5 grid, A starts at row 1 column 3, B at row 2 column 1, ball to either",
        source="Littman, ICML 1994",
        zero_sum=True,
    )
