"""The alignment tasks: the sentiment scorer, the review corpus and the arithmetic problems and verifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tactica.llm.alignment.tasks import arithmetic
from tactica.llm.alignment.tasks.sentiment import review_corpus, review_prompts, sentiment_score


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize(
    "text,total",
    [
        ("the film was great.", 1),
        ("the film was not great.", -1),
        ("i hated the movie. the plot was dull and boring.", -3),
        ("what a charming, clever script; i would not recommend it.", 1),  # +1 +1 -1
        ("the music was loud.", 0),
        ("Never BORING, never dull!", 2),
    ],
)
def test_sentiment_score_is_the_sigmoid_of_the_lexicon_count(text, total):
    assert sentiment_score(text) == pytest.approx(_sigmoid(total))


def test_review_corpus_is_seeded_and_mixed():
    assert review_corpus(50, seed=3) == review_corpus(50, seed=3)
    assert review_corpus(50, seed=3) != review_corpus(50, seed=4)
    scores = np.array([sentiment_score(r) for r in review_corpus(600, seed=0)])
    assert 0.2 < (scores > 0.5).mean() < 0.8 and (scores < 0.5).mean() > 0.2
    prompts = review_prompts(20, seed=7)
    assert all(2 <= len(p.split()) <= 4 for p in prompts)


def test_arithmetic_solutions_verify_and_flaws_do_not():
    rng = np.random.default_rng(0)
    for problem in arithmetic.make_problems(50, seed=1):
        values = problem.partials()
        assert all(0 <= v <= 40 for v in values)
        good = arithmetic.solution(problem)
        assert arithmetic.verify(problem, good) == 1.0 and arithmetic.well_formed(good)
        signed = [problem.operands[0]] + [
            a if op == "+" else -a for op, a in zip(problem.operators, problem.operands[1:])
        ]
        assert arithmetic.final_answer(good) == sum(signed)
        bad = arithmetic.flawed_solution(problem, rng)
        assert arithmetic.verify(problem, bad) == 0.0 and arithmetic.well_formed(bad)
    problem = arithmetic.Problem((7, 5, 3, 8), ("+", "-", "+"))
    assert arithmetic.solution(problem) == "7 + 5 = 12. 12 - 3 = 9. 9 + 8 = 17. The answer is 17."
    assert not arithmetic.well_formed("7 + 5 = 12. so 17. The answer is 17.")
    assert not arithmetic.well_formed("7 + 5 = 12.")
    assert arithmetic.verify(problem, "The answer is 17.") == 1.0


def test_sft_chats_mix_direct_and_refinement_requests():
    chats = arithmetic.sft_chats(300, seed=0, refine_fraction=0.4)
    refine = [c for c in chats if "Previous answer:" in c[0]["content"]]
    assert 0.3 < len(refine) / len(chats) < 0.5
    for chat in chats:
        assert chat[-1]["role"] == "assistant" and arithmetic.well_formed(chat[-1]["content"])
