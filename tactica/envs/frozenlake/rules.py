"""FrozenLake's rules, as in Gymnasium's ``FrozenLake-v1`` (``gymnasium/envs/toy_text/frozen_lake.py``).

The maps, the action order (0 left, 1 down, 2 right, 3 up), the clamped moves at the border, the slippery
outcomes (the intended direction or one of its two perpendiculars, 1/3 each) and the reward (1 on reaching the
goal, 0 otherwise) are Gymnasium's.  Pure functions of the map and a position; no Gymnasium import.
"""

from __future__ import annotations

from collections import deque

__all__ = [
    "ACTION_NAMES",
    "MAPS",
    "Position",
    "check_map",
    "distances_to_goal",
    "move",
    "optimal_actions",
    "slip_outcomes",
    "start_of",
]

# Gymnasium's MAPS (frozen_lake.py).
MAPS: dict[str, tuple[str, ...]] = {
    "4x4": ("SFFF", "FHFH", "FFFH", "HFFG"),
    "8x8": ("SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"),
}
# Gymnasium's action order: LEFT = 0, DOWN = 1, RIGHT = 2, UP = 3.
ACTION_NAMES: tuple[str, ...] = ("move left", "move down", "move right", "move up")
_DELTAS = ((0, -1), (1, 0), (0, 1), (-1, 0))

Position = tuple[int, int]  # (row, column), 0-based from the top left


def check_map(desc: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The map as a tuple of rows, or ``ValueError`` saying what is wrong with it."""
    rows = tuple(desc)
    if not rows or any(len(row) != len(rows[0]) for row in rows) or not rows[0]:
        raise ValueError("a FrozenLake map must be a non-empty list of rows of equal length")
    letters = set("".join(rows))
    if not letters <= set("SFHG"):
        raise ValueError(f"a FrozenLake map uses only S, F, H, G; got {sorted(letters - set('SFHG'))}")
    if "".join(rows).count("S") != 1 or "G" not in letters:
        raise ValueError("a FrozenLake map needs exactly one start S and at least one goal G")
    return rows


def start_of(desc: tuple[str, ...]) -> Position:
    for row, line in enumerate(desc):
        if "S" in line:
            return row, line.index("S")
    raise ValueError("the map has no start S")


def move(desc: tuple[str, ...], position: Position, action: int) -> Position:
    """Where ``action`` leads from ``position``: one cell, clamped at the border (Gymnasium's ``inc``)."""
    d_row, d_col = _DELTAS[action]
    row = min(max(position[0] + d_row, 0), len(desc) - 1)
    col = min(max(position[1] + d_col, 0), len(desc[0]) - 1)
    return row, col


def slip_outcomes(action: int) -> tuple[int, int, int]:
    """The directions a slippery move can take, each with probability 1/3 (Gymnasium's order)."""
    return (action - 1) % 4, action, (action + 1) % 4


def distances_to_goal(desc: tuple[str, ...]) -> dict[Position, int]:
    """Non-slippery moves from each reachable non-hole cell to the nearest goal (breadth-first, holes blocked)."""
    goals = [(r, c) for r, line in enumerate(desc) for c, letter in enumerate(line) if letter == "G"]
    distance = {goal: 0 for goal in goals}
    frontier = deque(goals)
    while frontier:
        cell = frontier.popleft()
        for action in range(4):
            # predecessors: cells from which one move lands on ``cell``
            d_row, d_col = _DELTAS[action]
            before = (cell[0] - d_row, cell[1] - d_col)
            if not (0 <= before[0] < len(desc) and 0 <= before[1] < len(desc[0])):
                continue
            if before in distance or desc[before[0]][before[1]] in "HG":
                continue
            if move(desc, before, action) == cell:
                distance[before] = distance[cell] + 1
                frontier.append(before)
    return distance


def optimal_actions(desc: tuple[str, ...], position: Position) -> tuple[int, ...]:
    """The actions on a shortest non-slippery path to a goal from ``position`` (all four if none exists)."""
    distance = distances_to_goal(desc)
    here = distance.get(position)
    if here is None or here == 0:
        return (0, 1, 2, 3)
    return tuple(a for a in range(4) if distance.get(move(desc, position, a)) == here - 1)
