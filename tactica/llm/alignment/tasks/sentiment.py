"""Controlled sentiment: continue a movie review so that it reads positive.

The setting of the IMDb experiment of DPO (Rafailov et al. 2023) and TDPO (Zeng et al. 2024), rebuilt at a
size a CPU can train: a synthetic review corpus (:func:`review_corpus`) for pre-training a small language model,
review openings as prompts (:func:`review_prompts`), and a sentiment scorer (:func:`sentiment_score`) that is
part of the task, not of the policy.

The scorer is a transparent lexicon model: each positive word counts +1 and each negative word -1, flipped when
one of the two words before it is a negation ("not great" is negative); the reward is ``sigmoid(total)``, the
probability the review is positive, in (0, 1).  The corpus mixes positive, negative and mixed reviews, so a
model trained on it continues a prompt with either sentiment.
"""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["POSITIVE", "NEGATIVE", "NEGATORS", "sentiment_score", "review_corpus", "review_prompts"]

POSITIVE = frozenset(
    "great wonderful brilliant moving charming superb delightful funny beautiful clever loved enjoyed adored "
    "recommend fantastic gripping".split()
)
NEGATIVE = frozenset(
    "terrible boring awful dull weak painful messy bland clumsy silly hated disliked regretted avoid "
    "dreadful tedious".split()
)
NEGATORS = frozenset({"not", "never", "hardly"})

_POS_ADJ = ("great", "wonderful", "brilliant", "moving", "charming", "superb", "delightful", "funny",
            "beautiful", "clever", "fantastic", "gripping")  # fmt: skip
_NEG_ADJ = ("terrible", "boring", "awful", "dull", "weak", "painful", "messy", "bland", "clumsy", "silly",
            "dreadful", "tedious")  # fmt: skip
_NEUTRAL_ADJ = ("long", "quiet", "short", "strange", "simple", "loud", "slow", "dark")
_POS_VERB = ("loved", "enjoyed", "adored")
_NEG_VERB = ("hated", "disliked", "regretted")
_ASPECTS = ("movie", "film", "plot", "acting", "story", "ending", "music", "cast", "script", "director")
_WORD = re.compile(r"[a-z']+")


def sentiment_score(text: str) -> float:
    """Probability that ``text`` is positive: ``sigmoid(#positive - #negative)``, negations flipping a word."""
    words = _WORD.findall(text.lower())
    total = 0
    for i, word in enumerate(words):
        polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if polarity and any(w in NEGATORS for w in words[max(0, i - 2) : i]):
            polarity = -polarity
        total += polarity
    return 1.0 / (1.0 + math.exp(-total))


def _sentence(rng: np.random.Generator, positive: bool) -> str:
    aspect = str(rng.choice(_ASPECTS))
    good, bad = str(rng.choice(_POS_ADJ)), str(rng.choice(_NEG_ADJ))
    adj, opposite = (good, bad) if positive else (bad, good)
    kind = int(rng.integers(7))
    if kind == 0:
        return f"the {aspect} was {adj}."
    if kind == 1:
        return f"the {aspect} was not {opposite}."
    if kind == 2:
        return f"i {rng.choice(_POS_VERB if positive else _NEG_VERB)} the {aspect}."
    if kind == 3:
        return f"what a {adj} {aspect}."
    if kind == 4:
        return f"the {aspect} was {rng.choice(_NEUTRAL_ADJ)} but {adj}."
    if kind == 5:
        return "i would recommend it to my friends." if positive else "i would not recommend it to anyone."
    return f"the {aspect} felt {adj} and {rng.choice(_POS_ADJ if positive else _NEG_ADJ)}."


def review_corpus(num_reviews: int = 6000, seed: int = 0) -> list[str]:
    """Reviews of 2 to 5 sentences; a review leans positive, negative or mixed (probability of a positive
    sentence 0.85, 0.15 or 0.5), so continuations of a prompt can go either way."""
    if num_reviews < 1:
        raise ValueError(f"num_reviews must be positive, got {num_reviews}")
    rng = np.random.default_rng(seed)
    reviews = []
    for _ in range(num_reviews):
        lean = float(rng.choice((0.85, 0.15, 0.5)))
        n = int(rng.integers(2, 6))
        reviews.append(" ".join(_sentence(rng, bool(rng.random() < lean)) for _ in range(n)))
    return reviews


def review_prompts(num_prompts: int = 256, seed: int = 1, words: tuple[int, int] = (2, 4)) -> list[str]:
    """Review openings: the first 2-4 words of freshly generated reviews (like the IMDb prefixes of the DPO and
    TDPO experiments).  Use a seed other than the corpus seed for held-out prompts."""
    rng = np.random.default_rng(seed)
    prompts = []
    for review in review_corpus(num_prompts, seed=seed):
        tokens = review.split()
        prompts.append(" ".join(tokens[: int(rng.integers(words[0], words[1] + 1))]))
    return prompts
