"""The three-player ONUW game of Jin et al. as an explicit extensive-form game: utilities, NashConv, PBE checks.

Setting (``werewolf_3p``, the ``3p`` preset): three cards, Players 1 and 2 Werewolves, Player 3 the Robber; the
deal is common knowledge (the authors' prompt names the three roles), so the only private information is the
Robber's night action ``a``:

- ``stay``: final cards W, W, R;  ``rob_p1``: final R, W, W (Player 1 is now Village and does not know it);
  ``rob_p2``: final W, R, W.
- With discussion the Robber sends one cheap-talk message ``m`` ("I did not switch", "I robbed Player 1",
  "I robbed Player 2"); without discussion there is one (empty) message.
- Everyone then votes for one of the other two players at once.  Information sets: the Werewolves see ``m``;
  the Robber sees ``a`` (and ``m``, its own).

Leaf utilities come from :mod:`tactica.envs.onuw.rules` (the vote and the winners of the real game), so the tie
rule is the rules module's ``no_kill_outcome``: ``"official"`` (nobody dies -> the Werewolf team wins) or
``"draw"`` (the paper's 1-1-1 draw).  A behaviour profile is a :class:`Profile`; :func:`nash_conv` sums the
players' best-response gains computed on the tree; :func:`to_normal_form` gives the reduced normal form as a
:class:`tactica.equilibria.games.NormalFormGame` so the same numbers come out of :mod:`tactica.equilibria`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tactica.envs.onuw.presets import DECK_3P
from tactica.envs.onuw.rules import PASS as _PASS
from tactica.envs.onuw.rules import Game, NightAction, RuleOptions

__all__ = [
    "NIGHT_ACTIONS",
    "MESSAGES",
    "ThreePlayerGame",
    "Profile",
    "expected_utilities",
    "best_response_values",
    "nash_conv",
    "werewolf_beliefs",
    "final_role_beliefs",
    "FINAL_WEREWOLF",
    "pbe_gap",
    "pure_equilibrium_payoffs",
    "fully_revealing_profile",
    "no_discussion_profile",
    "profile_from_counts",
    "to_normal_form",
]

NIGHT_ACTIONS = ("stay", "rob_p1", "rob_p2")
MESSAGES = ("no_switch", "robbed_p1", "robbed_p2")
# Player i's two vote options are the other two seats, in seat order.
VOTE_TARGETS = ((1, 2), (0, 2), (0, 1))
_NIGHT = (_PASS, NightAction("rob", (0,)), NightAction("rob", (1,)))


@dataclass(frozen=True)
class ThreePlayerGame:
    """The explicit game: ``utility[a, v1, v2, v3]`` is the utility vector after night action ``a`` and votes.

    Args:
        discussion: whether the Robber sends a message (3 messages) or not (1).
        tie_rule: ``"official"`` or ``"draw"``: what happens when every player gets one vote.
    """

    discussion: bool = True
    tie_rule: Literal["official", "draw"] = "official"
    utility: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tie_rule not in ("official", "draw"):
            raise ValueError(f"tie_rule must be 'official' or 'draw', got {self.tie_rule!r}")
        options = RuleOptions.paper(discussion_rounds=0, no_kill_outcome=self.tie_rule)
        table = np.zeros((3, 2, 2, 2, 3))
        for a, night in enumerate(_NIGHT):
            for votes in itertools.product(range(2), repeat=3):
                game = Game(DECK_3P, 3, options, deal=DECK_3P)
                game.play_night({2: night})
                outcome = game.vote([VOTE_TARGETS[p][v] for p, v in enumerate(votes)])
                table[(a, *votes)] = outcome.rewards
        table.setflags(write=False)
        object.__setattr__(self, "utility", table)

    @property
    def num_messages(self) -> int:
        return 3 if self.discussion else 1


@dataclass
class Profile:
    """A behaviour profile; every array holds probabilities along its last axis.

    Attributes:
        night: ``(3,)`` the Robber's night action (stay, rob P1, rob P2).
        message: ``(3, M)`` the Robber's message given its night action.
        robber_vote: ``(3, M, 2)`` the Robber's vote (Player 1, Player 2) given action and message.
        wolf_votes: ``(2, M, 2)`` Player 1's vote (P2, P3) and Player 2's vote (P1, P3) given the message.
    """

    night: np.ndarray
    message: np.ndarray
    robber_vote: np.ndarray
    wolf_votes: np.ndarray

    def __post_init__(self) -> None:
        self.night = np.asarray(self.night, dtype=float)
        self.message = np.asarray(self.message, dtype=float)
        self.robber_vote = np.asarray(self.robber_vote, dtype=float)
        self.wolf_votes = np.asarray(self.wolf_votes, dtype=float)
        m = self.message.shape[-1] if self.message.ndim == 2 else -1
        shapes = {
            "night": (self.night.shape, (3,)),
            "message": (self.message.shape, (3, m)),
            "robber_vote": (self.robber_vote.shape, (3, m, 2)),
            "wolf_votes": (self.wolf_votes.shape, (2, m, 2)),
        }
        for name, (got, want) in shapes.items():
            if got != want or m not in (1, 3):
                raise ValueError(f"{name} has shape {got}; expected {want} with M in (1, 3) messages")
            array = getattr(self, name)
            if (array < -1e-12).any() or not np.allclose(array.sum(axis=-1), 1.0):
                raise ValueError(f"{name} must hold probability distributions along its last axis")

    @property
    def num_messages(self) -> int:
        return self.message.shape[1]


def _check(game: ThreePlayerGame, profile: Profile) -> None:
    if profile.num_messages != game.num_messages:
        raise ValueError(
            f"the profile has {profile.num_messages} message(s) but the game has {game.num_messages} "
            f"(discussion={game.discussion})"
        )


def _leaf_values(game: ThreePlayerGame, profile: Profile) -> np.ndarray:
    """``V[a, m, v1, v2, v3, i]``: reach probability (chance + every player) times utility."""
    reach = (
        profile.night[:, None, None, None, None]
        * profile.message[:, :, None, None, None]
        * profile.wolf_votes[0][None, :, :, None, None]
        * profile.wolf_votes[1][None, :, None, :, None]
        * profile.robber_vote[:, :, None, None, :]
    )
    return reach[..., None] * game.utility[:, None]


def expected_utilities(game: ThreePlayerGame, profile: Profile) -> np.ndarray:
    """The three players' expected utilities under ``profile``."""
    _check(game, profile)
    return _leaf_values(game, profile).sum(axis=(0, 1, 2, 3, 4))


def _wolf_vote_values(game: ThreePlayerGame, profile: Profile, wolf: int) -> np.ndarray:
    """``Q[m, v]``: Werewolf ``wolf``'s payoff mass from voting ``v`` at message ``m`` (others fixed)."""
    u = game.utility[..., wolf]
    other = profile.wolf_votes[1 - wolf]
    reach_am = profile.night[:, None] * profile.message  # (a, m)
    if wolf == 0:
        # sum over v2, v3 of P(v2|m) P(v3|a,m) u[a, v1, v2, v3]
        q = np.einsum("am,mj,amk,aijk->mi", reach_am, other, profile.robber_vote, u)
    else:
        q = np.einsum("am,mi,amk,aijk->mj", reach_am, other, profile.robber_vote, u)
    return q


def _robber_values(game: ThreePlayerGame, profile: Profile) -> np.ndarray:
    """``R[a, m, v3]``: the Robber's payoff at its decision nodes (the Werewolves' strategies fixed)."""
    u = game.utility[..., 2]
    w1, w2 = profile.wolf_votes
    return np.einsum("mi,mj,aijk->amk", w1, w2, u)


def best_response_values(game: ThreePlayerGame, profile: Profile) -> np.ndarray:
    """Each player's best-response value against the others' strategies in ``profile``."""
    _check(game, profile)
    br1 = _wolf_vote_values(game, profile, 0).max(axis=1).sum()
    br2 = _wolf_vote_values(game, profile, 1).max(axis=1).sum()
    br3 = _robber_values(game, profile).max(axis=2).max(axis=1).max()
    return np.array([br1, br2, br3])


def nash_conv(game: ThreePlayerGame, profile: Profile) -> float:
    """``sum_i (best-response value_i - utility_i)`` (0 exactly at a Nash equilibrium)."""
    gains = best_response_values(game, profile) - expected_utilities(game, profile)
    return float(np.maximum(gains, 0.0).sum())


def werewolf_beliefs(profile: Profile) -> np.ndarray:
    """``B[m, a]``: the Werewolves' Bayesian posterior over the night action given message ``m``.

    Rows of messages sent with probability zero are ``nan`` (off the path: Bayes' rule says nothing).
    """
    joint = profile.night[:, None] * profile.message  # (a, m)
    total = joint.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        beliefs = (joint / total).T
    beliefs[total <= 0] = np.nan
    return beliefs


#: ``FINAL_WEREWOLF[a, seat]``: whether ``seat`` holds a Werewolf card after night action ``a``.
FINAL_WEREWOLF = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=float)


def final_role_beliefs(action_beliefs: np.ndarray) -> np.ndarray:
    """Beliefs over the night action (``(..., 3)``) as beliefs over final cards: ``(..., 3 seats, 2)`` with the
    probabilities of (Werewolf, Robber) per seat -- the form of a player's belief in the environment."""
    wolf = np.asarray(action_beliefs, dtype=float) @ FINAL_WEREWOLF
    return np.stack([wolf, 1.0 - wolf], axis=-1)


def pbe_gap(game: ThreePlayerGame, profile: Profile, off_path_beliefs: np.ndarray | None = None) -> float:
    """The largest gain from deviating at any information set, on or off the path.

    A Perfect Bayesian Equilibrium has gap 0: every Werewolf vote is a best response to the belief at its
    message (Bayes' rule on the path, ``off_path_beliefs[m]`` off it -- a ``(M, 3)`` array whose rows for
    on-path messages are ignored), and every Robber choice is a best response at every night action and message,
    given the continuation.
    """
    _check(game, profile)
    beliefs = werewolf_beliefs(profile)
    off = np.isnan(beliefs[:, 0])
    if off.any():
        if off_path_beliefs is None:
            raise ValueError(
                f"messages {np.flatnonzero(off).tolist()} are off the path: give off_path_beliefs"
            )
        beliefs[off] = np.asarray(off_path_beliefs, dtype=float)[off]
    gap = 0.0
    u = game.utility
    for m in range(game.num_messages):
        for wolf in (0, 1):
            other = profile.wolf_votes[1 - wolf][m]
            # value of each own vote at message m, weighting night actions by the belief
            per_a = []
            for a in range(3):
                rv = profile.robber_vote[a, m]
                if wolf == 0:
                    per_a.append(np.einsum("j,k,ijk->i", other, rv, u[a, ..., 0]))
                else:
                    per_a.append(np.einsum("i,k,ijk->j", other, rv, u[a, ..., 1]))
            q = beliefs[m] @ np.array(per_a)
            gap = max(gap, float(q.max() - q @ profile.wolf_votes[wolf][m]))
    # The Robber: one-shot deviations at its vote, message and night nodes (enough in a finite game).
    r = _robber_values(game, profile)  # (a, m, v)
    vote_value = (r * profile.robber_vote).sum(axis=2)  # (a, m)
    gap = max(gap, float((r.max(axis=2) - vote_value).max()))
    message_value = (vote_value * profile.message).sum(axis=1)  # (a,)
    gap = max(gap, float((vote_value.max(axis=1) - message_value).max()))
    return max(gap, float(message_value.max() - profile.night @ message_value))


# ---------------------------------------------------------------------------------------- named profiles


def fully_revealing_profile() -> Profile:
    """The revealing PBE with discussion: rob P1 or P2 at 1/2, say whom, the robbed player gets two votes.

    After the (off-path) message "no switch" both Werewolves vote the Robber (belief: it stayed).  Utilities
    (0, 0, +1).
    """
    # Truthful after robbing.  Having stayed (probability 0) the Robber is Village and would rather claim to
    # have robbed Player 1 and vote it: sequential rationality asks for the best reply at that node too.
    message = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    robber_vote = np.zeros((3, 3, 2))
    robber_vote[:, :, 0] = 1.0  # vote Player 1 ...
    robber_vote[2, :, :] = [0.0, 1.0]  # ... unless Player 2 was robbed
    wolf1 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # P1: vote P3 after "no switch", else P2
    wolf2 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # P2: vote P3 after "no switch", else P1
    return Profile([0.0, 0.5, 0.5], message, robber_vote, np.stack([wolf1, wolf2]))


def no_discussion_profile(stay: float = 0.0, vote_robber: float = 1.0) -> Profile:
    """The symmetric no-discussion profile: the Robber stays w.p. ``stay`` and otherwise robs P1 or P2 at
    1/2, then votes the player it robbed (Player 1 after staying); each Werewolf votes the Robber w.p.
    ``vote_robber`` and the other Werewolf otherwise."""
    if not 0.0 <= stay <= 1.0 or not 0.0 <= vote_robber <= 1.0:
        raise ValueError("stay and vote_robber must be probabilities in [0, 1]")
    s = (1.0 - stay) / 2.0
    robber_vote = np.array([[[1.0, 0.0]], [[1.0, 0.0]], [[0.0, 1.0]]])
    wolf = np.array([[1.0 - vote_robber, vote_robber]])
    return Profile([stay, s, s], np.ones((3, 1)), robber_vote, np.stack([wolf, wolf]))


def profile_from_counts(
    night: Any, message: Any, robber_vote: Any, wolf_votes: Any, prior: float = 1e-9
) -> Profile:
    """A behaviour profile from observed action counts (e.g. agents' games), normalised per information set.

    Information sets never visited get a uniform distribution (``prior`` is added to every count).
    """
    arrays = [np.asarray(x, dtype=float) + prior for x in (night, message, robber_vote, wolf_votes)]
    return Profile(*(x / x.sum(axis=-1, keepdims=True) for x in arrays))


def pure_equilibrium_payoffs(game: ThreePlayerGame) -> set[tuple[float, float, float]]:
    """The utility vectors of every pure-strategy Nash equilibrium (reduced normal form enumeration)."""
    m = game.num_messages
    eye2 = np.eye(2)
    payoffs = set()
    wolf_plans = [np.array([eye2[v] for v in plan]) for plan in itertools.product(range(2), repeat=m)]
    for a, msg, v3 in itertools.product(range(3), range(m), range(2)):
        night = np.eye(3)[a]
        message = np.tile(np.eye(m)[msg], (3, 1))
        robber_vote = np.tile(eye2[v3], (3, m, 1))
        for w1, w2 in itertools.product(wolf_plans, repeat=2):
            profile = Profile(night, message, robber_vote, np.stack([w1, w2]))
            if nash_conv(game, profile) < 1e-12:
                payoffs.add(tuple(float(x) for x in expected_utilities(game, profile)))
    return payoffs


def to_normal_form(game: ThreePlayerGame, profile: Profile | None = None):
    """The reduced normal form as a :class:`tactica.equilibria.games.NormalFormGame`.

    Robber plans are ``(a, m, v)`` (``3 * M * 2``); a Werewolf plan is a vote per message (``2 ** M``).  With
    ``profile``, also returns its realisation-equivalent mixed profile (Kuhn's theorem), so that
    ``tactica.equilibria.exploitability.nash_conv`` reproduces :func:`nash_conv`.
    """
    from tactica.equilibria.games import NormalFormGame

    m = game.num_messages
    robber_plans = list(itertools.product(range(3), range(m), range(2)))
    wolf_plans = list(itertools.product(range(2), repeat=m))
    payoffs = np.zeros((3, len(wolf_plans), len(wolf_plans), len(robber_plans)))
    for (i, p1), (j, p2), (k, (a, msg, v3)) in itertools.product(
        enumerate(wolf_plans), enumerate(wolf_plans), enumerate(robber_plans)
    ):
        payoffs[:, i, j, k] = game.utility[a, p1[msg], p2[msg], v3]
    nfg = NormalFormGame(payoffs, player_names=("Werewolf 1", "Werewolf 2", "Robber"))
    if profile is None:
        return nfg
    _check(game, profile)
    mixed_wolves = [
        np.array([np.prod([profile.wolf_votes[w][mm, plan[mm]] for mm in range(m)]) for plan in wolf_plans])
        for w in (0, 1)
    ]
    mixed_robber = np.array(
        [
            profile.night[a] * profile.message[a, msg] * profile.robber_vote[a, msg, v]
            for a, msg, v in robber_plans
        ]
    )
    return nfg, [mixed_wolves[0], mixed_wolves[1], mixed_robber]
