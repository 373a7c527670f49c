"""A generated English corpus about games, for training small PLMs from scratch offline.

The text has structure a small model can learn and a unigram model cannot: arithmetic that must be right,
rules that pair words (rock beats scissors), game logs whose moves and scores follow from earlier sentences,
and payoff statements.  Everything is drawn from one seeded ``numpy`` generator, so a seed fixes the corpus.
``generate_chats`` gives the same facts as question/answer chats for supervised fine-tuning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["generate_corpus", "generate_chats"]

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_RPS = {"rock": "scissors", "scissors": "paper", "paper": "rock"}
_PLAYERS = ("Alice", "Bob", "Carol", "Dave", "Erin", "Frank")
_UNITS = ("marine", "zealot", "zergling", "stalker", "marauder", "hydralisk")
_PLACES = ("the north ridge", "the south base", "the river", "the east gate", "the west woods", "the centre")
_GAMES = {
    "prisoner's dilemma": ("cooperate", "defect", (3, 3), (0, 5), (5, 0), (1, 1)),
    "stag hunt": ("stag", "hare", (4, 4), (0, 3), (3, 0), (3, 3)),
    "chicken": ("swerve", "straight", (0, 0), (-1, 1), (1, -1), (-10, -10)),
}


def _arithmetic(rng: np.random.Generator) -> tuple[str, str, str]:
    a, b = int(rng.integers(0, 11)), int(rng.integers(0, 11))
    if rng.random() < 0.5:
        return f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}.", f"{a} plus {b} is {a + b}."
    a, b = max(a, b), min(a, b)
    return f"What is {a} minus {b}?", f"{a} minus {b} is {a - b}.", f"{a} minus {b} is {a - b}."


def _counting(rng: np.random.Generator) -> tuple[str, str, str]:
    start = int(rng.integers(0, 15))
    words = " ".join(_NUMBER_WORDS[start : start + 5])
    return (
        f"Count from {_NUMBER_WORDS[start]}.",
        words + ".",
        f"Counting from {_NUMBER_WORDS[start]}: {words}.",
    )


def _rps(rng: np.random.Generator) -> tuple[str, str, str]:
    winner = str(rng.choice(list(_RPS)))
    loser = _RPS[winner]
    p, q = rng.choice(_PLAYERS, size=2, replace=False)
    story = f"{p} plays {winner} and {q} plays {loser}. {winner.capitalize()} beats {loser}, so {p} wins the round."
    return f"What beats {loser}?", f"{winner.capitalize()} beats {loser}.", story


def _payoff(rng: np.random.Generator) -> tuple[str, str, str]:
    name = str(rng.choice(list(_GAMES)))
    a, b, *cells = _GAMES[name]
    i, j = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    moves = (a, b)
    u, v = cells[2 * i + j]
    text = f"In the {name}, if the row player plays {moves[i]} and the column player plays {moves[j]}, "
    text += f"the row player gets {u} and the column player gets {v}."
    question = f"In the {name}, what does the row player get for {moves[i]} against {moves[j]}?"
    return question, f"The row player gets {u}.", text


def _battle(rng: np.random.Generator) -> tuple[str, str, str]:
    p = str(rng.choice(_PLAYERS))
    unit = str(rng.choice(_UNITS))
    n = int(rng.integers(2, 13))
    place = str(rng.choice(_PLACES))
    lost = int(rng.integers(0, n))
    left = n - lost
    story = (
        f"{p} sends {n} {unit}s to {place}. The fight costs {lost} {unit}s. "
        f"{p} has {left} {unit}s left at {place}."
    )
    question = f"{p} sends {n} {unit}s and loses {lost}. How many are left?"
    return question, f"{p} has {left} {unit}s left.", story


_MAKERS: tuple[Callable[[np.random.Generator], tuple[str, str, str]], ...] = (
    _arithmetic,
    _counting,
    _rps,
    _payoff,
    _battle,
)


def generate_corpus(num_documents: int = 4000, seed: int = 0, sentences_per_document: int = 6) -> list[str]:
    """``num_documents`` short documents, each a few generated statements joined into a paragraph."""
    if num_documents < 1:
        raise ValueError(f"num_documents must be positive, got {num_documents}")
    rng = np.random.default_rng(seed)
    documents = []
    for _ in range(num_documents):
        parts = [_MAKERS[int(rng.integers(len(_MAKERS)))](rng)[2] for _ in range(sentences_per_document)]
        documents.append(" ".join(parts))
    return documents


def generate_chats(num_chats: int = 2000, seed: int = 0) -> list[dict]:
    """Question/answer chats in the OpenAI message format: ``{"messages": [user, assistant]}``."""
    if num_chats < 1:
        raise ValueError(f"num_chats must be positive, got {num_chats}")
    rng = np.random.default_rng(seed)
    chats = []
    for _ in range(num_chats):
        question, answer, _ = _MAKERS[int(rng.integers(len(_MAKERS)))](rng)
        chats.append(
            {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}
        )
    return chats
