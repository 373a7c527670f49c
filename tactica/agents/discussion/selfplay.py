"""Self-play through the rules module: logged games for offline RL, and the evaluation tables.

One game is played by one :class:`DiscussionAgent` per seat on a :class:`Setting`.  Every speech becomes an
offline-RL transition with the paper's reward (``processor._calc_reward`` of ``KylJin/Werewolf``): +1 win,
-1 loss, 0 draw by the speaker's final team, minus ``votes_received / N``, the same reward on each of the
speaker's turns, ``done`` on its last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tactica.agents.discussion.agent import DiscussionAgent, agent_state
from tactica.envs.onuw.presets import get_preset
from tactica.envs.onuw.rules import (
    TEAM_OF,
    Game,
    NightAction,
    Outcome,
    Phase,
    PlayerView,
    Role,
    RuleOptions,
    Team,
)

__all__ = ["Setting", "GameRecord", "play_game", "transitions", "evaluate_matchup", "MatchupResult"]


@dataclass(frozen=True)
class Setting:
    """Deck, rules and optional fixed deal / scripted night of a game (see :mod:`tactica.envs.onuw.presets`)."""

    num_players: int
    deck: tuple[Role, ...]
    options: RuleOptions
    deal: tuple[Role, ...] | None = None
    forced_night: dict[int, NightAction] = field(default_factory=dict)
    name: str = "custom"

    @classmethod
    def from_preset(cls, name: str, rules: str | RuleOptions | None = None, **overrides: Any) -> Setting:
        preset = get_preset(name)
        options = RuleOptions.named(rules or preset.rules, **{**preset.rule_overrides, **overrides})
        return cls(preset.num_players, preset.deck, options, preset.deal, dict(preset.forced_night), name)


@dataclass
class GameRecord:
    """A finished game: the outcome and, per speech, ``(seat, state, tactic)``."""

    outcome: Outcome
    initial_roles: tuple[Role, ...]
    speeches: list[tuple[int, np.ndarray, int]]
    num_players: int
    roles_in_deck: tuple[Role, ...] = ()
    views: list[PlayerView] = field(default_factory=list)
    night_actions: dict[int, NightAction] = field(default_factory=dict)
    public_speeches: tuple[Any, ...] = ()  # what the listeners saw (words, or the structured fields)


def play_game(
    setting: Setting,
    agents: Sequence[DiscussionAgent],
    rng: np.random.Generator,
    record_states: bool = True,
    views: bool = False,
) -> GameRecord:
    """Play one game; ``rng`` deals the cards (random deals) and draws the paper Seer's random look.

    ``record_states`` keeps the RL state of every speech; ``views`` keeps the speaker's and voters' views.
    """
    n = setting.num_players
    if len(agents) != n:
        raise ValueError(f"{n} players need {n} agents, got {len(agents)}")
    game = Game(setting.deck, n, setting.options, rng=rng, deal=setting.deal)
    night = {}
    for p in range(n):
        if p in setting.forced_night:
            night[p] = setting.forced_night[p]
        else:
            night[p] = agents[p].night_action(game.view(p), game.night_options(p))
    game.play_night(night)
    speeches = []
    seen: list[PlayerView] = []
    while game.phase == Phase.DAY:
        p = game.current_speaker()
        view = game.view(p)
        speech = agents[p].speak(view)
        if record_states:
            speeches.append((p, agent_state(view, agents[p].belief(view)), int(speech.tactic)))
        if views:
            seen.append(view)
        game.speak(speech)
    voter_views = [game.view(p) for p in range(n)]
    if views:
        seen += voter_views
    votes = [agents[p].vote(voter_views[p], game.legal_vote_targets(p)) for p in range(n)]
    outcome = game.vote(votes)
    public = game.view(0).speeches
    return GameRecord(
        outcome, game.initial, speeches, n, game.roles_in_deck, seen, dict(game.night_actions), public
    )


def transitions(record: GameRecord) -> list[tuple[np.ndarray, int, float, np.ndarray, bool]]:
    """The paper's offline-RL transitions of one game: ``(state, tactic, reward, next_state, done)``."""
    out = record.outcome
    n = record.num_players
    by_seat: dict[int, list[tuple[np.ndarray, int]]] = {}
    for seat, state, tactic in record.speeches:
        by_seat.setdefault(seat, []).append((state, tactic))
    rows = []
    for seat, turns in by_seat.items():
        reward = out.rewards[seat] - out.tally[seat] / n
        for i, (state, tactic) in enumerate(turns):
            last = i == len(turns) - 1
            nxt = state if last else turns[i + 1][0]
            rows.append((state, tactic, float(reward), nxt, last))
    return rows


@dataclass(frozen=True)
class MatchupResult:
    """Aggregates over games of one matchup."""

    games: int
    village_win: float
    werewolf_win: float
    draw: float
    focal_team_win: float
    focal_votes: float
    other_votes: float
    tactic_counts: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def evaluate_matchup(
    setting: Setting,
    focal: Callable[[int], DiscussionAgent],
    others: Callable[[int], DiscussionAgent],
    focal_team: Team,
    games: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> MatchupResult:
    """Play ``games`` seeded games with ``focal(seed)`` agents on the seats whose *final* card is on
    ``focal_team`` and ``others(seed)`` elsewhere (random deals: decided after the night of each game)."""
    rng = np.random.default_rng(seed)
    village = werewolf = draws = focal_wins = 0
    focal_votes = other_votes = 0.0
    focal_seats_total = other_seats_total = 0
    tactics = np.zeros(6, dtype=int)
    n = setting.num_players
    for g in range(games):
        game_seed = int(rng.integers(2**31))
        deal_rng = np.random.default_rng(game_seed)
        focal_seats = _team_seats(setting, focal_team, np.random.default_rng(game_seed))
        agents = [
            (focal if p in focal_seats else others)(game_seed * 16 + p)  # seeded per game and seat
            for p in range(n)
        ]
        record = play_game(setting, agents, deal_rng, record_states=False)
        out = record.outcome
        village += Team.VILLAGE in out.winning_teams
        werewolf += Team.WEREWOLF in out.winning_teams
        draws += out.draw
        focal_wins += focal_team in out.winning_teams
        for p in range(n):
            if p in focal_seats:
                focal_votes += out.tally[p]
                focal_seats_total += 1
                for tactic in agents[p].tactics_used:
                    tactics[int(tactic)] += 1
            else:
                other_votes += out.tally[p]
                other_seats_total += 1
        if progress is not None:
            progress(g + 1)
    return MatchupResult(
        games=games,
        village_win=village / games,
        werewolf_win=werewolf / games,
        draw=draws / games,
        focal_team_win=focal_wins / games,
        focal_votes=focal_votes / max(1, focal_seats_total),
        other_votes=other_votes / max(1, other_seats_total),
        tactic_counts=tuple(int(x) for x in tactics),
    )


def _team_seats(setting: Setting, team: Team, rng: np.random.Generator) -> set[int]:
    # Replays the deal and the scripted night to find the final teams (fixed deals) -- with a random deal and
    # free night the final cards are not known in advance, so the initial cards decide.
    game = Game(setting.deck, setting.num_players, setting.options, rng=rng, deal=setting.deal)
    if setting.forced_night:
        game.play_night(setting.forced_night)
        roles = game.final_roles
    else:
        roles = game.initial
    return {p for p, r in enumerate(roles) if TEAM_OF[r] == team}
