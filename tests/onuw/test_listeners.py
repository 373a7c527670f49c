"""Listeners read the words of a speech: the text alone moves beliefs and votes."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.agents.discussion.agent import DiscussionAgent, RandomTactic
from tactica.agents.discussion.belief import auto_belief
from tactica.agents.discussion.listeners import (
    LLMListener,
    TextReader,
    beliefs_from_text,
    parse_belief_json,
    structured_reading,
)
from tactica.agents.discussion.selfplay import Setting, play_game
from tactica.envs.onuw.presets import PRESETS
from tactica.envs.onuw.rules import Game, Role, RuleOptions, Speech, Tactic
from tactica.llm.scripted import ScriptedChatModel

CONFESSION = "I am the Werewolf, vote me out!"
INNOCENT = "I am the Troublemaker, and I swapped two cards last night."


def _easy_game_after_night() -> Game:
    p = PRESETS["5p-easy"]
    game = Game(p.deck, 5, RuleOptions.paper(), deal=p.deal)
    game.play_night(p.forced_night)
    return game


@pytest.mark.parametrize("seat", [1, 3])
def test_only_the_text_changes_and_the_belief_moves(seat):
    """Same structured fields (honest evidence, claim Troublemaker), different words."""
    beliefs = {}
    for words in (INNOCENT, CONFESSION):
        game = _easy_game_after_night()
        game.speak(Speech(0, Tactic.HONEST_EVIDENCE, claim=Role.TROUBLEMAKER, text=words))
        view = game.view(seat)
        w = view.roles_in_deck.index(Role.WEREWOLF)
        beliefs[words] = auto_belief(view)(view)[0, w]
    assert beliefs[CONFESSION] > beliefs[INNOCENT] + 0.1


class _Speaker(DiscussionAgent):
    """Keeps the structured speech its policy chose; replaces the words."""

    def __init__(self, words: str | None, **kwargs):
        super().__init__(RandomTactic(), **kwargs)
        self.fixed_words = words

    def speak(self, view):
        speech = super().speak(view)
        return speech._replace(text=self.fixed_words) if self.fixed_words else speech


def test_only_the_text_changes_and_the_votes_move():
    """20 seeded games of the easy deal: Player 1 says the same structured things; confessing in words draws
    more votes than its own paraphrases."""
    setting = Setting.from_preset("5p-easy")
    votes = {}
    for words in (None, CONFESSION):
        total = 0
        for game_seed in range(20):
            agents = [DiscussionAgent(RandomTactic(), seed=game_seed * 16 + p) for p in range(5)]
            agents[0] = _Speaker(words, seed=game_seed * 16)
            record = play_game(setting, agents, np.random.default_rng(game_seed), record_states=False)
            total += record.outcome.tally[0]
        votes[words] = total
    assert votes[CONFESSION] > votes[None] + 10


def test_text_reader_reads_claims_accusations_and_defenses():
    reader = TextReader.default()
    kind, claim, target = reader.read("I am the Seer.").most_likely()
    assert (kind, claim, target) == ("evidence", Role.SEER, None)
    kind, claim, target = reader.read("I think Player 4 is the Werewolf.").most_likely()
    assert (kind, claim, target) == ("accusation", Role.WEREWOLF, 3)
    kind, claim, target = reader.read("Player 2 is not a Werewolf.").most_likely()
    assert (kind, target) == ("defense", 1)
    assert reader.meta["held_out_accuracy"]["speak_templates"]["all"] > 0.5


def test_beliefs_from_text_api():
    deck = "werewolf werewolf seer robber troublemaker insomniac villager villager".split()
    roles, quiet = beliefs_from_text([], 5, deck)
    roles, loud = beliefs_from_text(
        "Player 1: I think Player 3 is the Werewolf.\nPlayer 2: Player 3 is a wolf!", 5, deck
    )
    w = roles.index(Role.WEREWOLF)
    assert loud.shape == (5, 6) and np.allclose(loud.sum(axis=1), 1.0)
    assert loud[2, w] > quiet[2, w] + 0.1 and loud[0, w] == pytest.approx(quiet[0, w], abs=0.01)
    with pytest.raises(ValueError, match="Player k"):
        beliefs_from_text("nobody said this", 5, deck)
    with pytest.raises(ValueError, match="seat"):
        beliefs_from_text([(7, "hi")], 5, deck)


def test_structured_reading_matches_the_fields():
    r = structured_reading("accusation", Role.WEREWOLF, 2, speaker=0)
    assert r.most_likely() == ("accusation", Role.WEREWOLF, 2)
    assert structured_reading("defense", None, None, speaker=1).most_likely() == ("defense", None, -1)


def test_llm_listener_parses_the_belief_and_falls_back():
    game = _easy_game_after_night()
    game.speak(Speech(0, Tactic.HONEST_EVIDENCE, claim=Role.TROUBLEMAKER, text=CONFESSION))
    view = game.view(1)
    reply = 'Sure: {"Player 1": {"Werewolf": 0.9, "Robber": 0.1}, "Player 3": "Villager"} and more'
    llm = ScriptedChatModel([reply])
    listener = LLMListener(llm)
    belief = listener(view)
    roles = view.roles_in_deck
    assert belief[0, roles.index(Role.WEREWOLF)] == pytest.approx(0.9)
    assert belief[2, roles.index(Role.VILLAGER)] == 1.0
    assert listener.failures == 3  # Players 2, 4 and 5 fell back to the offline listener
    assert "I am the Werewolf, vote me out!" in llm.calls[0][1]["content"]
    assert parse_belief_json("no json here", 3, roles) == [None, None, None]
