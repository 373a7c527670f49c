"""How far agents' play of the three-player game is from equilibrium: the paper's NashConv metric.

Agents play the ``3p`` preset (Players 1 and 2 Werewolves, Player 3 the Robber, paper rules); their frequencies
become a behaviour profile of :class:`tactica.envs.onuw.equilibrium.ThreePlayerGame` and the equilibrium module
computes its NashConv.  The projection of a whole discussion onto the module's one Robber message is:
the last speech in which the Robber claims the Robber card decides -- no night target named: "I did not switch",
Player 1 or Player 2 named: "I robbed Player k" -- and a Robber that never claims its card counts as "I did not
switch" (it said nothing of a switch).  Speeches are read as the Werewolves hear them (words through the offline
listener, structured fields otherwise).  Votes for oneself or abstentions (an LLM's) leave the game out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tactica.agents.discussion.listeners import TextReader, structured_reading
from tactica.agents.discussion.selfplay import Setting, play_game
from tactica.envs.onuw.equilibrium import VOTE_TARGETS, ThreePlayerGame, nash_conv, profile_from_counts
from tactica.envs.onuw.rules import Role

__all__ = ["robber_message", "profile_counts", "three_player_nash_conv"]

_NIGHT = {None: 0, 0: 1, 1: 2}  # the Robber's night target -> stay, rob P1, rob P2


def robber_message(speeches: Any, reader: TextReader | None = None) -> int:
    """The module's message index (0 no switch, 1 robbed P1, 2 robbed P2) of the Robber's public speeches."""
    message = 0
    for s in speeches:
        if s.speaker != 2:
            continue
        if s.text:
            kind, claim, target = (reader or TextReader.default()).read(s.text).most_likely()
        else:
            kind, claim, target = structured_reading(s.kind, s.claim, s.target, 2).most_likely()
        if kind == "evidence" and claim == Role.ROBBER:
            message = {0: 1, 1: 2}.get(target, 0)  # type: ignore[arg-type]
    return message


def profile_counts(records: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Counts ``(night, message, robber_vote, wolf_votes, games_left_out)`` of finished ``3p`` game records."""
    night = np.zeros(3)
    message = np.zeros((3, 3))
    robber_vote = np.zeros((3, 3, 2))
    wolf_votes = np.zeros((2, 3, 2))
    left_out = 0
    for record in records:
        votes = record.outcome.votes
        if any(v is None or v == p or v not in VOTE_TARGETS[p] for p, v in enumerate(votes)):
            left_out += 1
            continue
        robber = record.night_actions.get(2)
        a = _NIGHT[robber.targets[0] if robber is not None and robber.kind == "rob" else None]
        m = robber_message(record.public_speeches)
        night[a] += 1
        message[a, m] += 1
        robber_vote[a, m, VOTE_TARGETS[2].index(votes[2])] += 1
        for wolf in (0, 1):
            wolf_votes[wolf, m, VOTE_TARGETS[wolf].index(votes[wolf])] += 1
    return night, message, robber_vote, wolf_votes, left_out


def three_player_nash_conv(
    make_agent: Callable[[int, int], Any], games: int, seed: int, tie_rule: str = "draw"
) -> dict[str, Any]:
    """Play ``games`` seeded ``3p`` games with ``make_agent(seat, seed)`` on every seat; return the NashConv of
    the empirical profile in the game with discussion (``tie_rule``: the paper's ``"draw"`` for 1-1-1)."""
    setting = Setting.from_preset("3p")
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(games):
        game_seed = int(rng.integers(2**31))
        agents = [make_agent(p, game_seed * 16 + p) for p in range(3)]
        records.append(play_game(setting, agents, np.random.default_rng(game_seed), record_states=False))
    night, message, robber_vote, wolf_votes, left_out = profile_counts(records)
    profile = profile_from_counts(night, message, robber_vote, wolf_votes)
    game = ThreePlayerGame(discussion=True, tie_rule=tie_rule)  # type: ignore[arg-type]
    from tactica.envs.onuw.equilibrium import expected_utilities

    return {
        "games": games,
        "left_out": left_out,
        "nash_conv": nash_conv(game, profile),
        "utilities": expected_utilities(game, profile).round(4).tolist(),
        "night": (night / max(1, night.sum())).round(4).tolist(),
        "profile": profile,
    }
