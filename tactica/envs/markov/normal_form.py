"""Classic two-player normal-form games, with the payoffs the literature (and OpenSpiel) uses.

Each entry is ``(row payoffs, column payoffs, row action names, column action names, source)``.
"""

from __future__ import annotations

NORMAL_FORM_GAMES: dict[str, dict] = {
    "prisoners_dilemma": {
        "payoffs": ([[5, 0], [10, 1]], [[5, 10], [0, 1]]),
        "actions": (("cooperate", "defect"), ("cooperate", "defect")),
        "source": "OpenSpiel matrix_pd; unique equilibrium (defect, defect) with payoffs (1, 1)",
    },
    "battle_of_the_sexes": {
        "payoffs": ([[3, 0], [0, 2]], [[2, 0], [0, 3]]),
        "actions": (("bach", "stravinsky"), ("bach", "stravinsky")),
        "source": "OpenSpiel matrix_bos; three equilibria: two pure and row (3/5, 2/5), column (2/5, 3/5)",
    },
    "matching_pennies": {
        "payoffs": ([[1, -1], [-1, 1]], [[-1, 1], [1, -1]]),
        "actions": (("heads", "tails"), ("heads", "tails")),
        "source": "OpenSpiel matrix_mp; zero-sum, unique equilibrium uniform, value 0",
    },
    "rock_paper_scissors": {
        "payoffs": (
            [[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
            [[0, 1, -1], [-1, 0, 1], [1, -1, 0]],
        ),
        "actions": (("rock", "paper", "scissors"), ("rock", "paper", "scissors")),
        "source": "OpenSpiel matrix_rps; zero-sum, unique equilibrium uniform, value 0",
    },
    "chicken": {
        "payoffs": ([[0, 7], [2, 6]], [[0, 2], [7, 6]]),
        "actions": (("dare", "chicken"), ("dare", "chicken")),
        "source": "Aumann (1974) chicken: (D,D)=(0,0), (D,C)=(7,2), (C,D)=(2,7), (C,C)=(6,6); the correlated "
        "equilibrium 1/2 (C,C), 1/4 (D,C), 1/4 (C,D) pays (5.25, 5.25), outside the hull of its Nash equilibria",
    },
    "stag_hunt": {
        "payoffs": ([[2, 0], [1, 1]], [[2, 1], [0, 1]]),
        "actions": (("stag", "hare"), ("stag", "hare")),
        "source": "OpenSpiel matrix_sh; equilibria (stag, stag) 2, (hare, hare) 1, and mixed 1/2 paying 1",
    },
    "shapley": {
        "payoffs": (
            [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
            [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
        ),
        "actions": (("a", "b", "c"), ("a", "b", "c")),
        "source": "Shapley (1964), OpenSpiel matrix_shapleys_game; unique equilibrium uniform (1/3, 1/3); "
        "fictitious play cycles",
    },
}

ZERO_SUM_GAMES = frozenset({"matching_pennies", "rock_paper_scissors"})
