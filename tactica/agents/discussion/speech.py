"""From a chosen tactic to a speech: the structured content, then the words.

:func:`realize` turns (view, belief, tactic) into the speech's claim and target, honest or deceptive relative to
the speaker's own information.  A writer then produces the words: :class:`TemplateWriter` (no model) or
:class:`LLMWriter`, which asks a :class:`tactica.llm.ChatModel` to say that content in the chosen style -- the
model writes the speech only; it does not choose the tactic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.agents.discussion.belief import village_probability, wolf_probability
from tactica.envs.onuw.rules import TEAM_OF, PlayerView, Role, Speech, Tactic, Team
from tactica.envs.onuw.view import player_view_from, speech_sentence

__all__ = [
    "realize",
    "belief_only_speech",
    "TemplateWriter",
    "LLMWriter",
    "TACTIC_DESCRIPTIONS",
    "as_chat_model",
]


def as_chat_model(llm: Any) -> Any:
    """A :class:`tactica.llm.ChatModel` from a model or a spec string (``"openai:..."``, ``"replay:..."``)."""
    if isinstance(llm, str):
        from tactica.llm import from_spec

        llm = from_spec(llm)
    if not hasattr(llm, "chat"):
        raise TypeError(f"llm must be a tactica.llm.ChatModel or a spec string, got {type(llm).__name__}")
    return llm


#: The tactic definitions shown to a writing model (paraphrasing the paper's SPEAKING_STRATEGY).
TACTIC_DESCRIPTIONS: dict[Tactic, str] = {
    Tactic.HONEST_EVIDENCE: "honest evidence: truthfully share the information you have",
    Tactic.DECEPTIVE_EVIDENCE: "deceptive evidence: share invented or misleading information",
    Tactic.HONEST_ACCUSATION: "honest accusation: accuse the player you really suspect",
    Tactic.DECEPTIVE_ACCUSATION: "deceptive accusation: accuse a player you believe is innocent",
    Tactic.HONEST_DEFENSE: "honest defense: defend yourself or others with the truth",
    Tactic.DECEPTIVE_DEFENSE: "deceptive defense: defend yourself or an ally with misleading claims",
}


def _night_target(view: PlayerView) -> int | None:
    action = view.night_action
    if action is None or not action.targets:
        return None
    target = action.targets[0]
    return target if target < view.num_players else None


def realize(
    view: PlayerView, belief: np.ndarray, tactic: Tactic, rng: np.random.Generator
) -> tuple[Any, Any]:
    """``(claim, target)`` of a speech with ``tactic`` by the player of ``view`` holding ``belief``."""
    n, me = view.num_players, view.seat
    others = [p for p in range(n) if p != me]
    wolf = wolf_probability(view, belief)
    village_roles = [r for r in view.roles_in_deck if TEAM_OF[r] == Team.VILLAGE]
    tactic = Tactic(tactic)
    if tactic == Tactic.HONEST_EVIDENCE:
        return view.initial_role, _night_target(view)
    if tactic == Tactic.DECEPTIVE_EVIDENCE:
        lies = [r for r in village_roles if r != view.initial_role]
        if lies:
            return lies[int(rng.integers(len(lies)))], others[int(rng.integers(len(others)))]
        # No other Village role to claim (the three-card game): lie about the night action instead.
        truth = _night_target(view)
        targets = [t for t in (None, *others) if t != truth]
        return view.initial_role, targets[int(rng.integers(len(targets)))]
    claim_w = Role.WEREWOLF if Role.WEREWOLF in view.roles_in_deck else None
    jitter = rng.random(n) * 1e-6  # break ties at random, reproducibly
    if tactic == Tactic.HONEST_ACCUSATION:
        return claim_w, max(others, key=lambda p: wolf[p] + jitter[p])
    if tactic == Tactic.DECEPTIVE_ACCUSATION:
        return claim_w, min(others, key=lambda p: wolf[p] + jitter[p])
    village = village_probability(view, belief)
    if tactic == Tactic.HONEST_DEFENSE:
        target = max(range(n), key=lambda p: village[p] + jitter[p])
        row = belief[target].copy()
        for i, r in enumerate(view.roles_in_deck):
            if TEAM_OF[r] != Team.VILLAGE:
                row[i] = 0.0
        return (view.roles_in_deck[int(np.argmax(row))] if row.any() else None), target
    # deceptive defense: protect the player most likely on the Werewolf team (possibly oneself)
    target = max(range(n), key=lambda p: (1.0 - village[p]) + jitter[p])
    claim = (
        Role.VILLAGER
        if Role.VILLAGER in view.roles_in_deck
        else (village_roles[0] if village_roles else None)
    )
    return claim, target


def belief_only_speech(
    view: PlayerView, belief: np.ndarray, rng: np.random.Generator
) -> tuple[Any, Any, Tactic]:
    """The "belief" ablation's speech (no tactic): name the player one most suspects.

    Returns ``(claim, target, tactic)`` where the tactic is the label the speech earns: an honest accusation
    for a player who believes it is Village, a deceptive one for a Werewolf (whose belief rules its team out).
    """
    claim, target = realize(view, belief, Tactic.HONEST_ACCUSATION, rng)
    me_wolf = 1.0 - village_probability(view, belief)[view.seat]
    if me_wolf > 0.5:
        # A Werewolf who "names the most suspect" would name its partner; it names the least suspect instead.
        claim, target = realize(view, belief, Tactic.DECEPTIVE_ACCUSATION, rng)
        return claim, target, Tactic.DECEPTIVE_ACCUSATION
    return claim, target, Tactic.HONEST_ACCUSATION


class TemplateWriter:
    """Words for the structured speech without a language model: a paraphrase drawn from the "speak" bank of
    :mod:`~.phrasing` (``vary=False``: the one fixed template sentence of :func:`speech_sentence`)."""

    def __init__(self, vary: bool = True):
        self.vary = vary

    def __call__(self, view: PlayerView, speech: Speech, rng: np.random.Generator | None = None) -> str:
        if not self.vary or rng is None:
            return speech_sentence(speech)
        from tactica.agents.discussion.phrasing import phrase

        return phrase(speech.kind, speech.claim, speech.target, speech.speaker, rng, bank="speak")


#: The writer decodes greedily by default: it only words content that was already chosen, and sampled wording
#: loses more of that content (the RL-instructed agent with the shipped game model speaking won 0.235 of 3,000
#: seeded games at temperature 0.7 against 0.271 greedy; template speech 0.250; docs/game_model.md).
WRITER_TEMPERATURE = 0.0


class LLMWriter:
    """Asks a chat model to voice a speech whose tactic and content were already chosen.

    Args:
        llm: a :class:`tactica.llm.ChatModel` or a spec string for :func:`tactica.llm.from_spec`.
        max_words: the word budget given to the model (the paper's prompt asks for < 50 words).
        temperature: the model's temperature (default :data:`WRITER_TEMPERATURE`, greedy); a sampled call is seeded
            from the ``rng`` it is given.
    """

    def __init__(self, llm: Any, max_words: int = 50, temperature: float = WRITER_TEMPERATURE):
        self.llm = as_chat_model(llm)
        self.max_words = max_words
        self.temperature = temperature

    def __call__(self, view: PlayerView, speech: Speech, rng: np.random.Generator | None = None) -> str:
        system = (
            "You are playing One Night Ultimate Werewolf. Concealing and deceiving are allowed. "
            f"Answer with your speech only, in fewer than {self.max_words} words."
        )
        user = (
            f"{player_view_from(view)}\n\nIn this turn, your speaking strategy is: "
            f"{TACTIC_DESCRIPTIONS[speech.tactic]}.\nThe content of your speech: {speech_sentence(speech)}\n"
            "Say it in your own words."
        )
        # the agent's seeded rng seeds the model's sampling, so a seeded game says the same words again
        seed = None if rng is None else int(rng.integers(2**31))
        reply = self.llm.chat(
            [{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=self.temperature,
            max_tokens=200,
            seed=seed,
        )
        words = reply.strip().split()
        return " ".join(words[: self.max_words * 2]) or speech_sentence(speech)
