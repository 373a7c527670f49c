"""Beliefs over every player's final role, from one player's :class:`~tactica.envs.onuw.rules.PlayerView`.

- :class:`ExactBelief`: the Bayesian posterior over final cards, by enumerating every deal and every other
  player's night action (uniform prior over legal actions) consistent with what the player saw.  Exact, and
  feasible for small settings (the 3-player game: a few dozen worlds); it refuses settings above ``max_worlds``.
- :class:`HeuristicBelief`: a fast closed-form approximation for larger games: sure knowledge, discounted by
  the chance that a card moved at night, mixed with the deck composition, then moved by what is said (the
  listeners of :mod:`tactica.agents.discussion.listeners` read the words of a speech when it has some).
- :class:`LearnedBelief`: a small torch network trained on self-play logs to predict final roles from the
  player's features (``python -m tactica.agents.discussion.train belief``).

Every belief returns an ``(N, K)`` array: row ``p`` is a distribution over the deck's distinct roles
(``view.roles_in_deck``) for player ``p``'s final card.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tactica.envs.onuw.features import encode_observation
from tactica.envs.onuw.rules import TEAM_OF, Game, PlayerView, Role, Team

__all__ = [
    "Belief",
    "ExactBelief",
    "HeuristicBelief",
    "LearnedBelief",
    "NightKnowledge",
    "auto_belief",
    "wolf_probability",
]


class Belief(Protocol):
    def __call__(self, view: PlayerView) -> np.ndarray: ...


def wolf_probability(view: PlayerView, belief: np.ndarray) -> np.ndarray:
    """``P(player p's final card is a Werewolf)`` for every seat (0 when the deck has no Werewolf)."""
    if Role.WEREWOLF not in view.roles_in_deck:
        return np.zeros(view.num_players)
    return belief[:, view.roles_in_deck.index(Role.WEREWOLF)]


def village_probability(view: PlayerView, belief: np.ndarray) -> np.ndarray:
    """``P(player p ends on Team Village)`` for every seat."""
    cols = [i for i, r in enumerate(view.roles_in_deck) if TEAM_OF[r] == Team.VILLAGE]
    return belief[:, cols].sum(axis=1)


class HeuristicBelief:
    """A fast approximate posterior (see the module docstring): the night knowledge in closed form, then every
    speech read by a :class:`~tactica.agents.discussion.listeners.ListeningBelief`.

    Args:
        keep: probability that a card seen at night is still there at the end (cards move at night).
        claim_weight: how much a public role claim about a player moves that player's row.
        accusation_weight: how much each Werewolf accusation against a player moves its Werewolf mass.
        reader: reads speeches that have words (default: the shipped offline text reader).
    """

    def __init__(
        self,
        keep: float = 0.75,
        claim_weight: float = 0.25,
        accusation_weight: float = 0.08,
        reader: Any = None,
    ):
        from tactica.agents.discussion.listeners import ListeningBelief

        if not 0.0 <= keep <= 1.0:
            raise ValueError(f"keep must be in [0, 1], got {keep}")
        self.keep, self.claim_weight, self.accusation_weight = keep, claim_weight, accusation_weight
        self._listening = ListeningBelief(self.private, reader, claim_weight, accusation_weight)

    def private(self, view: PlayerView) -> np.ndarray:
        """The belief from the player's own night knowledge only (deck composition, cards seen)."""
        roles = view.roles_in_deck
        index = {r: i for i, r in enumerate(roles)}
        n = view.num_players
        counts = Counter(view.deck)
        base = np.array([counts[r] for r in roles], dtype=float) / len(view.deck)
        belief = np.empty((n, len(roles)))
        belief[:] = base
        for fact in view.facts:
            if fact.position >= n:
                continue
            robber_own = fact.source == "robber" and fact.position == view.seat
            # nothing moves after the Insomniac looks; a Robber's new card moves only if a Troublemaker acts
            keep = 1.0 if fact.source == "insomniac" else (0.9 if robber_own else self.keep)
            row = belief[fact.position]
            row[:] = (1.0 - keep) * base
            row[index[fact.role]] += keep
        return belief

    def __call__(self, view: PlayerView) -> np.ndarray:
        return self._listening(view)


class ExactBelief:
    """The exact posterior over final cards given the player's private information (night only).

    Worlds are ``(deal, night actions of the others)`` with a uniform deal and, by default, uniform legal night
    actions; a world is kept when replaying it gives the player exactly the facts it has.  ``night_prior(seat,
    role, options)`` may give other probabilities for a player's legal night actions (``options`` in the order of
    :meth:`Game.night_options`), e.g. a strategy profile of :mod:`tactica.envs.onuw.equilibrium`.  Raises
    ``ValueError`` when the setting has more than ``max_worlds`` worlds (use :class:`HeuristicBelief` or
    :class:`LearnedBelief`).
    """

    def __init__(self, max_worlds: int = 20_000, night_prior: Any = None):
        self.max_worlds = max_worlds
        self.night_prior = night_prior
        self._cache: dict[Any, np.ndarray] = {}

    def __call__(self, view: PlayerView) -> np.ndarray:
        key = (view.seat, view.deck, view.facts, view.night_action, view.num_players, view.options)
        if key not in self._cache:
            self._cache[key] = self._posterior(view)
        return self._cache[key]

    def _posterior(self, view: PlayerView) -> np.ndarray:
        n, seat = view.num_players, view.seat
        roles = view.roles_in_deck
        index = {r: i for i, r in enumerate(roles)}
        rest = list(view.deck)
        rest.remove(view.initial_role)
        deals = sorted(set(itertools.permutations(rest)))
        if len(deals) > self.max_worlds:
            raise ValueError(f"{len(deals)} deals exceed max_worlds={self.max_worlds}; use a learned belief")
        options = view.options
        posterior = np.zeros((n, len(roles)))
        own_facts = set(view.facts)
        worlds = 0
        for others in deals:
            cards = list(others[:seat]) + [view.initial_role] + list(others[seat:])
            game = Game(view.deck, n, options, rng=np.random.default_rng(0), deal=cards)
            if not {f for f in game.knowledge[seat]} <= own_facts:
                continue
            choices = [
                [view.night_action or game.night_options(p)[0]] if p == seat else game.night_options(p)
                for p in range(n)
            ]
            combos = math.prod(len(c) for c in choices)
            worlds += combos
            if worlds > self.max_worlds:
                raise ValueError(f"more than max_worlds={self.max_worlds} worlds; use a learned belief")
            probabilities = [
                self._prior(p, cards[p], c) if p != seat else [1.0] for p, c in enumerate(choices)
            ]
            for picks in itertools.product(*(range(len(c)) for c in choices)):
                weight = math.prod(probabilities[p][i] for p, i in enumerate(picks))
                if weight <= 0:
                    continue
                actions = [choices[p][i] for p, i in enumerate(picks)]
                replay = Game(view.deck, n, options, rng=np.random.default_rng(0), deal=cards)
                replay.play_night(dict(enumerate(actions)))
                if not _consistent(replay, seat, view):
                    continue
                for p, role in enumerate(replay.final_roles):
                    posterior[p, index[role]] += weight
        total = posterior.sum(axis=1, keepdims=True)
        if (total <= 0).any():
            raise ValueError("the view is inconsistent with the deck and rules")
        return posterior / total

    def _prior(self, seat: int, role: Role, options: list) -> list[float]:
        if self.night_prior is None:
            return [1.0 / len(options)] * len(options)
        probabilities = [float(x) for x in self.night_prior(seat, role, options)]
        if len(probabilities) != len(options) or min(probabilities) < 0 or abs(sum(probabilities) - 1) > 1e-9:
            raise ValueError(
                f"night_prior must give a distribution over the {len(options)} night options of seat {seat}"
            )
        return probabilities


def _consistent(replay: Game, seat: int, view: PlayerView) -> bool:
    """Does replaying this world give the player exactly the facts it has?"""
    n = view.num_players
    random_look = view.night_action is not None and view.night_action.kind == "view_random_center"

    def comparable(facts) -> set:
        return {f for f in facts if not (random_look and f.source == "seer" and f.position >= n)}

    if comparable(replay.knowledge[seat]) != comparable(view.facts):
        return False
    # The paper Seer's two random centre cards (every pair equally likely in every world): nothing moved the
    # centre before the Seer woke, so the cards seen must be the initial centre cards.
    return all(
        replay.initial_center[f.position - n] == f.role
        for f in view.facts
        if random_look and f.source == "seer" and f.position >= n
    )


class LearnedBelief:
    """A trained network ``features(view) -> (N, K)`` final-role distribution.

    Load with :meth:`load` from a checkpoint written by ``python -m tactica.agents.discussion.train belief``.
    """

    def __init__(self, model: Any, num_players: int, roles: tuple[Role, ...]):
        self.model = model
        self.num_players = num_players
        self.roles = tuple(roles)

    @classmethod
    def load(cls, path: str | Path) -> LearnedBelief:
        from tactica.agents.discussion.nets import load_checkpoint

        model, meta = load_checkpoint(path)
        return cls(model, meta["num_players"], tuple(Role[r] for r in meta["roles"]))

    def __call__(self, view: PlayerView) -> np.ndarray:
        import torch

        if view.num_players != self.num_players or view.roles_in_deck != self.roles:
            raise ValueError("this belief model was trained for another number of players or deck")
        x = torch.from_numpy(encode_observation(view, self.roles))[None]
        with torch.no_grad():
            logits = self.model(x).reshape(self.num_players, len(self.roles))
        return torch.softmax(logits, dim=-1).numpy().astype(float)


class NightKnowledge:
    """The belief from the player's night knowledge alone (exact in small settings, heuristic otherwise): the
    discussion is not modelled (the no-LLM counterpart of the paper's ReAct agent, which has no belief step)."""

    def __init__(self):
        self._exact = ExactBelief()
        self._heuristic = HeuristicBelief()

    def __call__(self, view: PlayerView) -> np.ndarray:
        if len(view.deck) <= 6:
            return self._exact(view)
        return self._heuristic.private(view)


_SHARED: dict[Any, Belief] = {}


def auto_belief(view: PlayerView, cache: dict[Any, Belief] | None = None) -> Belief:
    """Exact night knowledge where the setting is small (at most 6 cards), heuristic otherwise; either way every
    speech is then read by the shipped offline listener (words) or from its structured fields.

    One instance per setting, shared by default (``cache``): the exact posteriors it memoises depend only on
    the view, so every agent can reuse them.
    """
    from tactica.agents.discussion.listeners import ListeningBelief

    cache = _SHARED if cache is None else cache
    key = (view.num_players, view.deck)
    if key not in cache:
        cache[key] = ListeningBelief(ExactBelief()) if len(view.deck) <= 6 else HeuristicBelief()
    return cache[key]
