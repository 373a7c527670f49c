"""The pure rules of One Night Ultimate Werewolf: roles, deal, night, discussion, vote and winners.

No Gymnasium or PettingZoo here: :class:`Game` is a small state machine that the environment, the equilibrium
analysis, the agents' self-play and the benchmark all drive.  Defaults follow the official Bezier Games rules;
:meth:`RuleOptions.paper` reproduces the variant of Jin et al. (NeurIPS 2024, code ``KylJin/Werewolf``), each
difference being one named option:

============================  ===========================  ============================================
option                        official                     paper
============================  ===========================  ============================================
``lone_wolf_peek``            ``True``                     ``False`` (not implemented by the authors)
``seer_center``               ``"choose"`` two cards       ``"random"`` two of the three centre cards
``no_werewolf_outcome``       ``"official"``               ``"draw"`` whatever the votes
``no_kill_outcome``           ``"official"`` (wolves win)  ``"draw"`` (nobody dies, a wolf in play)
``allow_abstain``             ``False``                    ``True`` (an unparsable vote abstains)
``allow_self_vote``           ``False``                    ``True`` (the env does not check it)
``vote_rule``                 ``"official"``               ``"paper"`` (the authors' ``voting_step``)
``allowed_roles``             all eleven roles             Werewolf, Villager, Seer, Robber,
                                                           Troublemaker, Insomniac
============================  ===========================  ============================================

Positions: players are seats ``0..N-1``; the three centre cards are positions ``N, N+1, N+2``.  A deck of exactly
``N`` cards has no centre: the paper's three-player game (2 Werewolves and a Robber, the three "candidate roles"
its prompt names) is such a game.  Roles act by
their *initial* card in the official wake order, on the *current* cards; teams are decided by the *final* card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, Literal, NamedTuple

__all__ = [
    "Role",
    "Team",
    "Tactic",
    "Phase",
    "TEAM_OF",
    "WAKE_ORDER",
    "PAPER_ROLES",
    "NUM_CENTER",
    "RuleOptions",
    "NightAction",
    "PASS",
    "Fact",
    "Speech",
    "PublicSpeech",
    "PlayerView",
    "Outcome",
    "Game",
    "parse_deck",
    "resolve_votes",
    "decide_winners",
    "VOTE_RULES",
]

NUM_CENTER = 3


class Role(IntEnum):
    """The eleven base-game roles (Doppelganger excluded), in wake order first, then the sleepers."""

    WEREWOLF = 0
    MINION = 1
    MASON = 2
    SEER = 3
    ROBBER = 4
    TROUBLEMAKER = 5
    DRUNK = 6
    INSOMNIAC = 7
    VILLAGER = 8
    TANNER = 9
    HUNTER = 10

    @property
    def title(self) -> str:
        """The card's name as printed, e.g. ``"Troublemaker"``."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: Role | str | int) -> Role:
        """A role from a :class:`Role`, its name (any case) or its number."""
        if isinstance(value, Role):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                names = ", ".join(r.title for r in cls)
                raise ValueError(f"unknown role {value!r}; accepted: {names}") from None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(cls):
            return cls(value)
        raise TypeError(f"a role must be a Role, a role name or an int in [0, {len(cls)}), got {value!r}")


class Team(IntEnum):
    """The three win conditions."""

    VILLAGE = 0
    WEREWOLF = 1
    TANNER = 2


TEAM_OF: dict[Role, Team] = {role: Team.VILLAGE for role in Role}
TEAM_OF.update({Role.WEREWOLF: Team.WEREWOLF, Role.MINION: Team.WEREWOLF, Role.TANNER: Team.TANNER})

#: Official wake order of the roles that wake (Villager, Tanner and Hunter sleep).
WAKE_ORDER: tuple[Role, ...] = (
    Role.WEREWOLF,
    Role.MINION,
    Role.MASON,
    Role.SEER,
    Role.ROBBER,
    Role.TROUBLEMAKER,
    Role.DRUNK,
    Role.INSOMNIAC,
)

#: The roles implemented by the authors of the paper (``onuw/agents/roles/``).
PAPER_ROLES: frozenset[Role] = frozenset(
    {Role.WEREWOLF, Role.VILLAGER, Role.SEER, Role.ROBBER, Role.TROUBLEMAKER, Role.INSOMNIAC}
)


class Tactic(IntEnum):
    """The six discussion tactics, in the index order of the paper's RL policy (``SPEAKING_STRATEGY``)."""

    HONEST_EVIDENCE = 0
    DECEPTIVE_EVIDENCE = 1
    HONEST_ACCUSATION = 2
    DECEPTIVE_ACCUSATION = 3
    HONEST_DEFENSE = 4
    DECEPTIVE_DEFENSE = 5

    @property
    def honest(self) -> bool:
        return self.value % 2 == 0

    @property
    def kind(self) -> str:
        """``"evidence"``, ``"accusation"`` or ``"defense"``: the part of a speech the listeners can see."""
        return ("evidence", "accusation", "defense")[self.value // 2]

    @property
    def label(self) -> str:
        return self.name.lower()


class Phase(IntEnum):
    NIGHT = 0
    DAY = 1
    VOTE = 2
    END = 3


Outcome_ = Literal["official", "draw"]
#: ``"official"``: the most-voted die, a tie kills every tied player, nobody dies when nobody has more than one
#: vote.  ``"paper"``: ``voting_step`` of ``KylJin/Werewolf`` -- a unique top vote-getter dies even with a single
#: vote (others abstaining), several players tied on one vote each: nobody dies, and when everybody abstains
#: every player is tied on top (zero votes), so the Village wins if a Werewolf is among the players.
VOTE_RULES = ("official", "paper")


@dataclass(frozen=True)
class RuleOptions:
    """Every rule choice of a game, each difference between the official rules and the paper named.

    Attributes:
        lone_wolf_peek: a Werewolf who wakes alone may look at one centre card.
        seer_center: ``"choose"``: the Seer picks two centre cards; ``"random"``: two of the three at random.
        no_werewolf_outcome: no Werewolf among the players. ``"official"``: the Village wins iff nobody dies
            (and the Minion wins iff someone else dies); ``"draw"``: the game is a draw whatever the votes.
        no_kill_outcome: a Werewolf is among the players and nobody dies. ``"official"``: the Werewolf team
            wins; ``"draw"``: a draw (the paper's 1-1-1 rule).
        minion_only_death: no Werewolf among the players and only the Minion dies: ``"village_wins"`` or
            ``"everyone_loses"`` (rule readings differ).
        allow_abstain: a vote may be ``None``.
        allow_self_vote: a player may vote for itself.
        vote_rule: who dies after the vote, ``"official"`` or ``"paper"`` (see :data:`VOTE_RULES`).
        discussion_rounds: rounds of day discussion; every player speaks once per round (0: no discussion).
        speaking_order: ``"fixed"``: seat order every round; ``"random"``: a fresh permutation every round.
        allowed_roles: roles a deck may contain (``None``: all).
    """

    lone_wolf_peek: bool = True
    seer_center: Literal["choose", "random"] = "choose"
    no_werewolf_outcome: Outcome_ = "official"
    no_kill_outcome: Outcome_ = "official"
    minion_only_death: Literal["village_wins", "everyone_loses"] = "village_wins"
    allow_abstain: bool = False
    allow_self_vote: bool = False
    vote_rule: Literal["official", "paper"] = "official"
    discussion_rounds: int = 3
    speaking_order: Literal["fixed", "random"] = "fixed"
    allowed_roles: frozenset[Role] | None = None

    def __post_init__(self) -> None:
        _check_choice("seer_center", self.seer_center, ("choose", "random"))
        _check_choice("no_werewolf_outcome", self.no_werewolf_outcome, ("official", "draw"))
        _check_choice("no_kill_outcome", self.no_kill_outcome, ("official", "draw"))
        _check_choice("minion_only_death", self.minion_only_death, ("village_wins", "everyone_loses"))
        _check_choice("speaking_order", self.speaking_order, ("fixed", "random"))
        _check_choice("vote_rule", self.vote_rule, VOTE_RULES)
        if isinstance(self.discussion_rounds, bool) or not isinstance(self.discussion_rounds, int):
            raise TypeError(f"discussion_rounds must be an int, got {self.discussion_rounds!r}")
        if not 0 <= self.discussion_rounds <= 20:
            raise ValueError(f"discussion_rounds must be in [0, 20], got {self.discussion_rounds}")
        if self.allowed_roles is not None:
            object.__setattr__(self, "allowed_roles", frozenset(Role.parse(r) for r in self.allowed_roles))

    @classmethod
    def official(cls, **overrides: Any) -> RuleOptions:
        """The official Bezier Games rules (the defaults), with ``overrides``."""
        return cls(**overrides)

    @classmethod
    def paper(cls, **overrides: Any) -> RuleOptions:
        """The authors' variant (``KylJin/Werewolf``): see the module docstring for every difference."""
        base = cls(
            lone_wolf_peek=False,
            seer_center="random",
            no_werewolf_outcome="draw",
            no_kill_outcome="draw",
            allow_abstain=True,
            allow_self_vote=True,
            vote_rule="paper",
            discussion_rounds=3,
            speaking_order="fixed",
            allowed_roles=PAPER_ROLES,
        )
        return replace(base, **overrides)

    @classmethod
    def named(cls, rules: str | RuleOptions, **overrides: Any) -> RuleOptions:
        """``"official"``, ``"paper"`` or a :class:`RuleOptions`, with ``overrides``."""
        if isinstance(rules, RuleOptions):
            return replace(rules, **overrides) if overrides else rules
        if rules == "official":
            return cls.official(**overrides)
        if rules == "paper":
            return cls.paper(**overrides)
        raise ValueError(f"rules must be 'official', 'paper' or a RuleOptions, got {rules!r}")


def _check_choice(name: str, value: Any, accepted: tuple[str, ...]) -> None:
    if value not in accepted:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, accepted))}, got {value!r}")


class NightAction(NamedTuple):
    """One night decision.

    ``kind`` is ``"pass"``, ``"view"`` (Seer or lone Werewolf; ``targets`` are the positions looked at),
    ``"view_random_center"`` (the paper's Seer: two centre cards drawn at random), ``"rob"`` (Robber; one
    player), ``"swap"`` (Troublemaker; two other players) or ``"take"`` (Drunk; one centre position).
    """

    kind: str
    targets: tuple[int, ...] = ()


PASS = NightAction("pass")


class Fact(NamedTuple):
    """Something a player knows for sure: the card at ``position`` was ``role`` when ``source`` happened.

    Sources: ``"deal"`` (own card), ``"werewolves"``, ``"minion"``, ``"masons"``, ``"lone_wolf"``, ``"seer"``,
    ``"robber"``, ``"insomniac"``; later facts about a position supersede earlier ones.
    """

    source: str
    position: int
    role: Role


class Speech(NamedTuple):
    """A structured utterance of the day.

    ``tactic`` is the speaker's private intent (one of the six tactics); listeners see only its ``kind``, the
    ``claim`` and the ``target``.  Evidence: "I am the ``claim``" (and my night action involved ``target``);
    accusation: "``target`` is the ``claim``" (a Werewolf unless said otherwise); defense: "``target`` (maybe
    myself) is the ``claim`` / not a Werewolf".  ``text`` carries the words of an LLM player.
    """

    speaker: int
    tactic: Tactic
    claim: Role | None = None
    target: int | None = None
    text: str | None = None
    round: int = 0

    @property
    def kind(self) -> str:
        return self.tactic.kind


class PublicSpeech(NamedTuple):
    """A speech as the listeners see it: no private tactic, only its kind, claim, target and words."""

    speaker: int
    kind: str
    claim: Role | None
    target: int | None
    text: str | None
    round: int


@dataclass(frozen=True)
class PlayerView:
    """Everything one player may know at a point of the game (what agents decide from).

    ``facts`` are the player's sure observations, ``night_action`` its own choice (after the night),
    ``speeches`` the public record, ``outcome`` the (public) result once the game is over.
    """

    seat: int
    num_players: int
    deck: tuple[Role, ...]
    roles_in_deck: tuple[Role, ...]
    initial_role: Role
    facts: tuple[Fact, ...]
    night_action: NightAction | None
    speeches: tuple[PublicSpeech, ...]
    phase: Phase
    options: RuleOptions
    current_speaker: int | None = None
    outcome: Outcome | None = None

    @property
    def tally(self) -> tuple[int, ...] | None:
        return None if self.outcome is None else self.outcome.tally

    @property
    def discussion_rounds(self) -> int:
        return self.options.discussion_rounds

    def known_cards(self) -> dict[int, Role]:
        """Position -> the latest card seen there (later facts supersede earlier ones)."""
        return {f.position: f.role for f in self.facts}

    @property
    def round(self) -> int:
        return len(self.speeches) // self.num_players

    @property
    def num_center(self) -> int:
        """Centre cards in this game: 3, or 0 for a deck of exactly ``N`` cards."""
        return len(self.deck) - self.num_players


@dataclass(frozen=True)
class Outcome:
    """The result of the vote: who died, which teams won, and each player's reward (+1 win, -1 loss, 0 draw)."""

    votes: tuple[int | None, ...]
    tally: tuple[int, ...]
    dead: frozenset[int]
    final_roles: tuple[Role, ...]
    draw: bool
    winning_teams: frozenset[Team]
    rewards: tuple[float, ...]
    reason: str

    def team_won(self, team: Team) -> bool:
        return team in self.winning_teams


def parse_deck(deck: Sequence[Role | str | int]) -> tuple[Role, ...]:
    """A deck as a tuple of :class:`Role` (names in any case are accepted)."""
    if isinstance(deck, (str, bytes)) or not isinstance(deck, Sequence):
        raise TypeError(f"deck must be a sequence of role names, got {type(deck).__name__}")
    return tuple(Role.parse(r) for r in deck)


# --------------------------------------------------------------------------------------------------- voting


def resolve_votes(
    votes: Sequence[int | None], final_roles: Sequence[Role], rule: str = "official"
) -> tuple[tuple[int, ...], frozenset[int]]:
    """Tally the votes and return ``(tally, dead)`` under ``rule`` (see :data:`VOTE_RULES`).

    Official: the most-voted players die (a tie kills every tied player) unless nobody has more than one vote.
    Paper: a unique top vote-getter dies whatever its count; a tie on one vote each kills nobody; any other tie
    (several players on two or more votes, or everyone on zero when all abstain) kills every tied player.  Under
    both, a dead Hunter takes the player it voted for along (repeatedly, should that be a Hunter too).
    """
    n = len(final_roles)
    tally = [0] * n
    for target in votes:
        if target is not None:
            tally[target] += 1
    top = max(tally)
    elected = {p for p in range(n) if tally[p] == top}
    if rule == "paper":
        dead = elected if len(elected) == 1 or top != 1 else set()
    elif rule == "official":
        dead = elected if top > 1 else set()
    else:
        raise ValueError(f"vote rule must be one of {VOTE_RULES}, got {rule!r}")
    frontier = [p for p in dead if final_roles[p] == Role.HUNTER]
    while frontier:
        hunter = frontier.pop()
        shot = votes[hunter]
        if shot is not None and shot not in dead:
            dead.add(shot)
            if final_roles[shot] == Role.HUNTER:
                frontier.append(shot)
    return tuple(tally), frozenset(dead)


def decide_winners(
    final_roles: Sequence[Role], dead: frozenset[int], options: RuleOptions
) -> tuple[bool, frozenset[Team], str]:
    """``(draw, winning_teams, reason)`` under ``options`` for the final cards of the players and the dead."""
    wolves_in_play = Role.WEREWOLF in final_roles
    wolf_died = any(final_roles[p] == Role.WEREWOLF for p in dead)
    tanner_died = any(final_roles[p] == Role.TANNER for p in dead)
    winners: set[Team] = set()
    if tanner_died:
        winners.add(Team.TANNER)
    if wolves_in_play:
        if not dead and options.no_kill_outcome == "draw":
            return True, frozenset(), "nobody died with a Werewolf in play: draw (paper rule)"
        if wolf_died:
            winners.add(Team.VILLAGE)
            reason = "a Werewolf died: the Village wins"
        elif tanner_died:
            reason = "the Tanner died and no Werewolf did: the Werewolves do not win"
        else:
            winners.add(Team.WEREWOLF)
            reason = "no Werewolf died: the Werewolf team wins"
        return False, frozenset(winners), reason
    if options.no_werewolf_outcome == "draw":
        return True, frozenset(), "no Werewolf among the players: draw (paper rule)"
    minions = {p for p in range(len(final_roles)) if final_roles[p] == Role.MINION}
    if not dead:
        winners.add(Team.VILLAGE)
        reason = "no Werewolf among the players and nobody died: the Village wins"
    elif dead <= minions:
        if options.minion_only_death == "village_wins":
            winners.add(Team.VILLAGE)
            reason = "no Werewolf among the players and only the Minion died: the Village wins"
        else:
            reason = "no Werewolf among the players and only the Minion died: everyone loses"
    else:
        reason = "no Werewolf among the players but someone died: the Village loses"
        if minions and not tanner_died:
            winners.add(Team.WEREWOLF)
            reason += "; the Minion wins"
    return False, frozenset(winners), reason


def _rewards(final_roles: Sequence[Role], dead: frozenset[int], draw: bool, winners: frozenset[Team]):
    if draw:
        return tuple(0.0 for _ in final_roles)
    out = []
    for p, role in enumerate(final_roles):
        team = TEAM_OF[role]
        # A Tanner wins only by its own death; every other player wins with its team.
        won = (p in dead) if team == Team.TANNER else team in winners
        out.append(1.0 if won else -1.0)
    return tuple(out)


# ----------------------------------------------------------------------------------------------- the game


@dataclass
class Game:
    """One game from the deal to the vote.

    Args:
        deck: the ``N + 3`` cards in play (role names or :class:`Role`), or exactly ``N`` for a game without
            centre cards (the paper's three-player game).
        num_players: ``N`` in 3..10.
        options: the rule choices.
        rng: a ``numpy.random.Generator`` (deal, random speaking order, the paper Seer's random centre look).
        deal: optional fixed deal: seats first, then the centre; a permutation of ``deck``.

    Drive it with :meth:`play_night`, then :meth:`speak` ``discussion_rounds * N`` times, then :meth:`vote`.
    ``actors()`` says who must act now; ``knowledge[p]`` is what player ``p`` knows for sure.
    """

    deck: Sequence[Role | str]
    num_players: int
    options: RuleOptions = field(default_factory=RuleOptions)
    rng: Any = None
    deal: Sequence[Role | str] | None = None

    def __post_init__(self) -> None:
        n = self.num_players
        if isinstance(n, bool) or not isinstance(n, int) or not 3 <= n <= 10:
            raise ValueError(f"num_players must be an int in [3, 10], got {n!r}")
        self.deck = parse_deck(self.deck)
        if len(self.deck) not in (n + NUM_CENTER, n):
            raise ValueError(
                f"a {n}-player game needs {n + NUM_CENTER} cards ({NUM_CENTER} in the centre) or {n} (no centre), "
                f"the deck has {len(self.deck)}"
            )
        self.num_center = len(self.deck) - n
        if not self.num_center and Role.DRUNK in self.deck:
            raise ValueError("a deck without centre cards cannot hold a Drunk (it must take a centre card)")
        allowed = self.options.allowed_roles
        if allowed is not None and not set(self.deck) <= allowed:
            bad = sorted(r.title for r in set(self.deck) - allowed)
            raise ValueError(f"roles {bad} are not allowed by these rules (allowed_roles)")
        if self.deal is None:
            if self.rng is None:
                raise ValueError("a random deal needs rng (a numpy Generator)")
            order = self.rng.permutation(len(self.deck))
            cards = [self.deck[i] for i in order]
        else:
            cards = list(parse_deck(self.deal))
            if sorted(cards) != sorted(self.deck):
                raise ValueError("deal must be a permutation of the deck")
        self.initial: tuple[Role, ...] = tuple(cards[:n])
        self.initial_center: tuple[Role, ...] = tuple(cards[n:])
        self.cards: list[Role] = cards
        self.roles_in_deck: tuple[Role, ...] = tuple(sorted(set(self.deck)))
        self.phase = Phase.NIGHT
        self.knowledge: list[list[Fact]] = [[Fact("deal", p, cards[p])] for p in range(n)]
        self.night_actions: dict[int, NightAction] = {}
        self.speeches: list[Speech] = []
        self._public: list[PublicSpeech] = []  # the listeners' record, kept alongside for cheap views
        self.votes: tuple[int | None, ...] | None = None
        self.outcome: Outcome | None = None
        rounds = self.options.discussion_rounds
        if self.options.speaking_order == "random" and rounds:
            if self.rng is None:
                raise ValueError("a random speaking order needs rng (a numpy Generator)")
            self.speaking_orders = [tuple(int(i) for i in self.rng.permutation(n)) for _ in range(rounds)]
        else:
            self.speaking_orders = [tuple(range(n)) for _ in range(rounds)]
        self._open_eyes()

    # ------------------------------------------------------------------------------------------- queries

    @property
    def final_roles(self) -> tuple[Role, ...]:
        """The players' current cards (final once the night is over)."""
        return tuple(self.cards[: self.num_players])

    @property
    def center(self) -> tuple[Role, ...]:
        return tuple(self.cards[self.num_players :])

    @property
    def speech_index(self) -> int:
        return len(self.speeches)

    @property
    def num_speeches(self) -> int:
        return self.options.discussion_rounds * self.num_players

    def current_speaker(self) -> int | None:
        """The seat that speaks next, or ``None`` outside the day."""
        if self.phase != Phase.DAY:
            return None
        i = len(self.speeches)
        return self.speaking_orders[i // self.num_players][i % self.num_players]

    def actors(self) -> tuple[int, ...]:
        """The seats that must act now: everyone at night and at the vote, the speaker by day."""
        if self.phase in (Phase.NIGHT, Phase.VOTE):
            return tuple(range(self.num_players))
        if self.phase == Phase.DAY:
            return (self.current_speaker(),)  # type: ignore[return-value]
        return ()

    def is_lone_wolf(self, player: int) -> bool:
        return self.initial[player] == Role.WEREWOLF and self.initial.count(Role.WEREWOLF) == 1

    def night_options(self, player: int) -> list[NightAction]:
        """The legal night actions of ``player`` (``[PASS]`` for roles without a choice)."""
        n = self.num_players
        role = self.initial[player]
        others = [p for p in range(n) if p != player]
        center = range(n, n + self.num_center)
        if role == Role.WEREWOLF:
            if self.options.lone_wolf_peek and self.is_lone_wolf(player):
                return [PASS] + [NightAction("view", (c,)) for c in center]
            return [PASS]
        if role == Role.SEER:
            looks = [NightAction("view", (p,)) for p in others]
            if not self.num_center:
                pass
            elif self.options.seer_center == "random":
                looks.append(NightAction("view_random_center"))
            else:
                looks += [NightAction("view", (a, b)) for a in center for b in center if a < b]
            return [PASS] + looks
        if role == Role.ROBBER:
            return [PASS] + [NightAction("rob", (p,)) for p in others]
        if role == Role.TROUBLEMAKER:
            return [PASS] + [NightAction("swap", (a, b)) for a in others for b in others if a < b]
        if role == Role.DRUNK:
            return [NightAction("take", (c,)) for c in center]
        return [PASS]

    def legal_vote_targets(self, player: int) -> list[int | None]:
        targets: list[int | None] = [
            p for p in range(self.num_players) if p != player or self.options.allow_self_vote
        ]
        if self.options.allow_abstain:
            targets.append(None)
        return targets

    # ------------------------------------------------------------------------------------------- night

    def _open_eyes(self) -> None:
        """What is learned before any choice: Werewolves, Minion and Masons see who they must see."""
        wolves = [p for p, r in enumerate(self.initial) if r == Role.WEREWOLF]
        masons = [p for p, r in enumerate(self.initial) if r == Role.MASON]
        for p, role in enumerate(self.initial):
            if role == Role.WEREWOLF:
                self.knowledge[p] += [Fact("werewolves", w, Role.WEREWOLF) for w in wolves if w != p]
            elif role == Role.MINION:
                self.knowledge[p] += [Fact("minion", w, Role.WEREWOLF) for w in wolves]
            elif role == Role.MASON:
                self.knowledge[p] += [Fact("masons", m, Role.MASON) for m in masons if m != p]

    def play_night(self, actions: Mapping[int, NightAction] | None = None) -> None:
        """Resolve the night in wake order; ``actions`` maps a seat to its choice (missing seats pass).

        A Drunk without an action takes the first centre card.  Raises ``ValueError`` on an illegal action.
        """
        if self.phase != Phase.NIGHT:
            raise ValueError(f"play_night called in phase {self.phase.name}")
        actions = dict(actions or {})
        n = self.num_players
        for p in list(actions):
            if not isinstance(p, int) or not 0 <= p < n:
                raise ValueError(f"night action for unknown seat {p!r}")
        chosen: dict[int, NightAction] = {}
        for p in range(n):
            action = actions.get(p)
            options = self.night_options(p)
            if action is None:
                action = options[0]
            elif action not in options:
                raise ValueError(
                    f"illegal night action {action!r} for seat {p} ({self.initial[p].title}); "
                    f"legal: {options}"
                )
            chosen[p] = action
        self.night_actions = chosen
        cards = self.cards
        by_role: dict[Role, list[int]] = {}
        for p, role in enumerate(self.initial):
            by_role.setdefault(role, []).append(p)
        for role in WAKE_ORDER:
            for p in by_role.get(role, ()):
                action = chosen[p]
                kind = action.kind
                if kind == "pass":
                    pass
                elif kind == "view":
                    source = "seer" if role == Role.SEER else "lone_wolf"
                    self.knowledge[p] += [Fact(source, t, cards[t]) for t in action.targets]
                elif kind == "view_random_center":
                    picks = sorted(int(i) for i in self.rng.choice(self.num_center, size=2, replace=False))
                    self.knowledge[p] += [Fact("seer", n + c, cards[n + c]) for c in picks]
                elif kind == "rob":
                    (t,) = action.targets
                    cards[p], cards[t] = cards[t], cards[p]
                    self.knowledge[p] += [Fact("robber", t, Role.ROBBER), Fact("robber", p, cards[p])]
                elif kind == "swap":
                    a, b = action.targets
                    cards[a], cards[b] = cards[b], cards[a]
                elif kind == "take":
                    (c,) = action.targets
                    cards[p], cards[c] = cards[c], cards[p]
                if role == Role.INSOMNIAC:
                    self.knowledge[p].append(Fact("insomniac", p, cards[p]))
        self.phase = Phase.DAY if self.options.discussion_rounds else Phase.VOTE

    # --------------------------------------------------------------------------------------------- day

    def speak(self, speech: Speech) -> None:
        """Add the current speaker's speech to the public record."""
        if self.phase != Phase.DAY:
            raise ValueError(f"speak called in phase {self.phase.name}")
        speaker = self.current_speaker()
        if speech.speaker != speaker:
            raise ValueError(f"seat {speech.speaker} spoke out of turn; seat {speaker} speaks now")
        if not isinstance(speech.tactic, Tactic):
            raise TypeError(f"speech.tactic must be a Tactic, got {speech.tactic!r}")
        if speech.claim is not None and speech.claim not in self.roles_in_deck:
            raise ValueError(f"claimed role {speech.claim!r} is not in the deck")
        if speech.target is not None and not 0 <= speech.target < self.num_players:
            raise ValueError(f"speech target {speech.target!r} is not a seat in [0, {self.num_players})")
        rnd = len(self.speeches) // self.num_players
        if speech.round != rnd:
            speech = speech._replace(round=rnd)
        self.speeches.append(speech)
        self._public.append(
            PublicSpeech(speech.speaker, speech.tactic.kind, speech.claim, speech.target, speech.text, rnd)
        )
        if len(self.speeches) == self.num_speeches:
            self.phase = Phase.VOTE

    # -------------------------------------------------------------------------------------------- vote

    def vote(self, votes: Sequence[int | None]) -> Outcome:
        """Resolve the simultaneous vote (one entry per seat) and end the game."""
        if self.phase != Phase.VOTE:
            raise ValueError(f"vote called in phase {self.phase.name}")
        n = self.num_players
        if len(votes) != n:
            raise ValueError(f"expected {n} votes, got {len(votes)}")
        for p, target in enumerate(votes):
            if target is None:
                if not self.options.allow_abstain:
                    raise ValueError(f"seat {p} abstained but these rules do not allow abstaining")
            elif isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n:
                raise ValueError(f"seat {p} voted {target!r}; a vote is a seat in [0, {n})")
            elif target == p and not self.options.allow_self_vote:
                raise ValueError(f"seat {p} voted for itself but these rules do not allow it")
        final = self.final_roles
        tally, dead = resolve_votes(votes, final, self.options.vote_rule)
        draw, winners, reason = decide_winners(final, dead, self.options)
        if self.options.vote_rule == "paper" and max(tally) == 0 and not draw:
            reason = f"everybody abstained, so every player is tied on top (authors' voting_step): {reason}"
        self.votes = tuple(votes)
        self.outcome = Outcome(
            votes=tuple(votes),
            tally=tally,
            dead=dead,
            final_roles=final,
            draw=draw,
            winning_teams=winners,
            rewards=_rewards(final, dead, draw, winners),
            reason=reason,
        )
        self.phase = Phase.END
        return self.outcome

    def view(self, player: int) -> PlayerView:
        """What ``player`` knows now, as a :class:`PlayerView`."""
        return PlayerView(
            seat=player,
            num_players=self.num_players,
            deck=self.deck,  # type: ignore[arg-type]
            roles_in_deck=self.roles_in_deck,
            initial_role=self.initial[player],
            facts=tuple(self.knowledge[player]),
            night_action=self.night_actions.get(player),
            speeches=tuple(self._public),
            phase=self.phase,
            options=self.options,
            current_speaker=self.current_speaker(),
            outcome=self.outcome,
        )

    def known_cards(self, player: int) -> dict[int, Role]:
        """Position -> the latest card ``player`` saw there (later facts supersede earlier ones)."""
        return {f.position: f.role for f in self.knowledge[player]}
