"""Rules of ONUW: every role's night action, the wake order, every winning condition, the paper variant."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.onuw.presets import PRESETS
from tactica.envs.onuw.rules import (
    PASS,
    WAKE_ORDER,
    Fact,
    Game,
    NightAction,
    Phase,
    Role,
    RuleOptions,
    Speech,
    Tactic,
    Team,
    decide_winners,
    resolve_votes,
)

W, MIN, MAS, S, R, T, D, INS, V, TAN, H = (
    Role.WEREWOLF,
    Role.MINION,
    Role.MASON,
    Role.SEER,
    Role.ROBBER,
    Role.TROUBLEMAKER,
    Role.DRUNK,
    Role.INSOMNIAC,
    Role.VILLAGER,
    Role.TANNER,
    Role.HUNTER,
)


def game(deal, rules: RuleOptions | None = None, seed: int = 0) -> Game:
    n = len(deal) - 3
    return Game(list(deal), n, rules or RuleOptions(), rng=np.random.default_rng(seed), deal=list(deal))


def facts(g: Game, p: int) -> set[tuple[str, int, Role]]:
    return {tuple(f) for f in g.knowledge[p]}


# ------------------------------------------------------------------------------------------ night actions


def test_wake_order_is_official():
    assert WAKE_ORDER == (W, MIN, MAS, S, R, T, D, INS)


def test_werewolves_see_each_other_and_minion_sees_them_but_not_vice_versa():
    g = game([W, W, MIN, V, S, R, T, V])
    assert facts(g, 0) == {("deal", 0, W), ("werewolves", 1, W)}
    assert facts(g, 1) == {("deal", 1, W), ("werewolves", 0, W)}
    assert facts(g, 2) == {("deal", 2, MIN), ("minion", 0, W), ("minion", 1, W)}
    assert g.night_options(0) == [PASS]  # two wolves: no centre peek


def test_lone_wolf_peeks_at_one_centre_card_official_only():
    deal = [W, S, V, R, T, W, V, INS]  # one wolf among the players, one in the centre
    g = game(deal)
    assert g.is_lone_wolf(0)
    assert NightAction("view", (6,)) in g.night_options(0)
    g.play_night({0: NightAction("view", (5,))})
    assert ("lone_wolf", 5, W) in facts(g, 0)
    assert game(deal, RuleOptions.paper()).night_options(0) == [PASS]


def test_masons_see_each_other_and_a_lone_mason_sees_nobody():
    g = game([MAS, MAS, W, V, S, R, V, T])
    assert facts(g, 0) == {("deal", 0, MAS), ("masons", 1, MAS)}
    lone = game([MAS, W, V, S, R, MAS, V, T])
    assert facts(lone, 0) == {("deal", 0, MAS)}


def test_seer_looks_at_a_player_or_two_centre_cards():
    g = game([S, W, R, V, T, V, W, INS])
    options = g.night_options(0)
    assert NightAction("view", (1,)) in options and NightAction("view", (0,)) not in options
    assert NightAction("view", (5, 6)) in options and NightAction("view", (6, 7)) in options
    assert len(options) == 1 + 4 + 3
    g.play_night({0: NightAction("view", (6, 7))})
    assert {("seer", 6, W), ("seer", 7, INS)} <= facts(g, 0)


def test_paper_seer_sees_two_random_centre_cards():
    deal = [S, W, R, V, T, V, W, INS]
    seen = set()
    for seed in range(20):
        g = game(deal, RuleOptions.paper(), seed=seed)
        assert NightAction("view_random_center") in g.night_options(0)
        assert not any(a.kind == "view" and len(a.targets) == 2 for a in g.night_options(0))
        g.play_night({0: NightAction("view_random_center")})
        looked = sorted(f.position for f in g.knowledge[0] if f.source == "seer")
        assert len(looked) == 2 and all(5 <= p <= 7 for p in looked)
        seen.add(tuple(looked))
    assert len(seen) == 3  # every pair comes up


def test_seer_sees_the_card_before_the_robber_takes_it():
    g = game([S, R, W, V, T, V, W, INS])
    g.play_night({0: NightAction("view", (2,)), 1: NightAction("rob", (2,))})
    assert ("seer", 2, W) in facts(g, 0)
    assert g.final_roles == (S, W, R, V, T)


def test_robber_swaps_looks_and_joins_the_new_team():
    g = game([R, W, V, S, T, V, W, INS])
    g.play_night({0: NightAction("rob", (1,))})
    assert {("robber", 0, W), ("robber", 1, R)} <= facts(g, 0)
    assert g.final_roles[:2] == (W, R)
    # the robbed Werewolf is not told
    assert facts(g, 1) == {("deal", 1, W)}
    assert NightAction("rob", (0,)) not in g.night_options(0)
    g2 = game([R, W, V, S, T, V, W, INS])
    g2.play_night({0: PASS})
    assert g2.final_roles[:2] == (R, W) and facts(g2, 0) == {("deal", 0, R)}


def test_robber_acts_before_the_troublemaker_and_does_not_see_its_swap():
    g = game([R, T, W, V, S, V, W, INS])
    g.play_night({0: NightAction("rob", (2,)), 1: NightAction("swap", (0, 3))})
    assert ("robber", 0, W) in facts(g, 0)  # what the Robber saw
    assert g.final_roles == (V, T, R, W, S)  # then the Troublemaker moved the Werewolf card on


def test_troublemaker_swaps_two_other_players_without_looking():
    g = game([T, W, V, S, R, V, W, INS])
    options = g.night_options(0)
    assert len(options) == 1 + 6 and all(0 not in a.targets for a in options)
    g.play_night({0: NightAction("swap", (1, 2))})
    assert g.final_roles == (T, V, W, S, R)
    assert facts(g, 0) == {("deal", 0, T)}


def test_drunk_must_take_a_centre_card_and_does_not_see_it():
    g = game([D, W, V, S, R, T, W, INS])
    assert PASS not in g.night_options(0)
    assert g.night_options(0) == [
        NightAction("take", (5,)),
        NightAction("take", (6,)),
        NightAction("take", (7,)),
    ]
    g.play_night({0: NightAction("take", (6,))})
    assert g.final_roles[0] == W and g.center == (T, D, INS)
    assert facts(g, 0) == {("deal", 0, D)}


def test_insomniac_wakes_last_and_sees_the_final_card():
    g = game([INS, R, T, D, W, V, W, S])
    g.play_night({1: NightAction("rob", (0,)), 2: NightAction("swap", (1, 4)), 3: NightAction("take", (5,))})
    # Robber took Insomniac (P1 -> Robber); Troublemaker swapped P2 and P5; the Drunk took a centre card.
    assert g.final_roles == (R, W, T, V, INS)
    assert ("insomniac", 0, R) in facts(g, 0)


def test_sleepers_only_pass():
    g = game([V, TAN, H, W, S, R, T, INS])
    assert g.night_options(0) == g.night_options(1) == g.night_options(2) == [PASS]


def test_illegal_night_action_is_rejected():
    g = game([T, W, V, S, R, V, W, INS])
    with pytest.raises(ValueError, match="illegal night action"):
        g.play_night({0: NightAction("swap", (0, 1))})


def test_paper_presets_reproduce_the_final_roles():
    for name, final in {"5p-easy": (R, W, V, T, S), "5p-hard": (W, S, INS, R, T)}.items():
        preset = PRESETS[name]
        g = Game(preset.deck, 5, RuleOptions.paper(), rng=np.random.default_rng(0), deal=preset.deal)
        g.play_night(preset.forced_night)
        assert g.final_roles == final
    hard = Game(
        PRESETS["5p-hard"].deck,
        5,
        RuleOptions.paper(),
        rng=np.random.default_rng(0),
        deal=PRESETS["5p-hard"].deal,
    )
    hard.play_night(PRESETS["5p-hard"].forced_night)
    assert Fact("insomniac", 1, S) in hard.knowledge[1]
    assert Fact("seer", 3, W) in hard.knowledge[2]  # stale: P4 is the Robber by the end of the night


# -------------------------------------------------------------------------------------------- day, vote


def test_discussion_rounds_and_speaking_orders():
    g = game([W, W, R, V, V, S], RuleOptions(discussion_rounds=2))
    g.play_night()
    assert g.phase == Phase.DAY and g.num_speeches == 6
    order = []
    while g.phase == Phase.DAY:
        speaker = g.current_speaker()
        order.append(speaker)
        g.speak(Speech(speaker, Tactic.HONEST_EVIDENCE))
    assert order == [0, 1, 2, 0, 1, 2] and g.phase == Phase.VOTE
    assert [s.round for s in g.speeches] == [0, 0, 0, 1, 1, 1]
    r1 = game([W, W, R, V, V, S, T, INS], RuleOptions(speaking_order="random"), seed=3).speaking_orders
    r2 = game([W, W, R, V, V, S, T, INS], RuleOptions(speaking_order="random"), seed=3).speaking_orders
    assert r1 == r2 and all(sorted(o) == list(range(5)) for o in r1)


def test_out_of_turn_speech_and_no_discussion():
    g = game([W, W, R, V, V, S])
    g.play_night()
    with pytest.raises(ValueError, match="out of turn"):
        g.speak(Speech(1, Tactic.HONEST_DEFENSE))
    quiet = game([W, W, R, V, V, S], RuleOptions(discussion_rounds=0))
    quiet.play_night()
    assert quiet.phase == Phase.VOTE


def test_vote_tally_ties_and_nobody_dies():
    finals = (W, V, V, S, R)
    assert resolve_votes([1, 0, 0, 0, 1], finals) == ((3, 2, 0, 0, 0), frozenset({0}))
    assert resolve_votes([1, 0, 1, 0, 2], finals)[1] == frozenset({0, 1})  # a tie kills both
    assert resolve_votes([1, 2, 3, 4, 0], finals)[1] == frozenset()  # nobody has more than one vote


def _outcome(deal, votes, rules=None):
    g = game(deal, rules or RuleOptions(discussion_rounds=0))
    g.play_night()
    return g.vote(votes)


def test_village_wins_when_a_werewolf_dies_even_with_a_villager():
    out = _outcome([W, V, V, S, R, T, W, INS], [1, 0, 0, 1, 2])
    assert out.dead == {0, 1} and out.winning_teams == {Team.VILLAGE}
    assert out.rewards == (-1, 1, 1, 1, 1)


def test_werewolves_win_when_no_werewolf_dies_or_nobody_dies():
    out = _outcome([W, V, V, S, R, T, W, INS], [1, 0, 1, 1, 1])
    assert out.dead == {1} and out.winning_teams == {Team.WEREWOLF} and out.rewards == (1, -1, -1, -1, -1)
    nobody = _outcome([W, V, V, S, R, T, W, INS], [1, 2, 3, 4, 0])
    assert nobody.dead == set() and nobody.winning_teams == {Team.WEREWOLF}


def test_no_werewolf_among_players():
    deal = [V, V, S, R, T, W, W, INS]
    assert _outcome(deal, [1, 2, 3, 4, 0]).winning_teams == {Team.VILLAGE}
    someone = _outcome(deal, [1, 0, 1, 1, 1])
    assert someone.dead == {1} and someone.winning_teams == frozenset() and set(someone.rewards) == {-1}


def test_minion_rules():
    # with Werewolves: the Minion wins with them even when it dies
    out = _outcome([W, MIN, V, S, R, T, V, INS], [1, 0, 1, 1, 1])
    assert out.dead == {1} and out.rewards[:2] == (1, 1)
    # no Werewolf among players: the Minion wins if someone else dies
    deal = [MIN, V, S, R, T, W, W, INS]
    assert _outcome(deal, [1, 0, 1, 1, 1]).rewards == (1, -1, -1, -1, -1)
    # ... and if only the Minion dies the reading is a rule option
    assert _outcome(deal, [1, 0, 0, 0, 0]).winning_teams == {Team.VILLAGE}
    harsh = RuleOptions(discussion_rounds=0, minion_only_death="everyone_loses")
    assert set(_outcome(deal, [1, 0, 0, 0, 0], harsh).rewards) == {-1}


def test_tanner_rules():
    deal = [TAN, W, V, S, R, T, W, INS]
    alone = _outcome(deal, [1, 0, 0, 0, 0])
    assert alone.dead == {0} and alone.winning_teams == {Team.TANNER}
    assert alone.rewards == (1, -1, -1, -1, -1)  # the Werewolves do not win either
    both = _outcome(deal, [1, 0, 0, 1, 2])
    assert both.dead == {0, 1} and both.winning_teams == {Team.TANNER, Team.VILLAGE}
    assert both.rewards == (1, -1, 1, 1, 1)
    no_wolf = _outcome([TAN, V, S, R, T, W, W, INS], [1, 0, 0, 0, 0])
    assert no_wolf.rewards == (1, -1, -1, -1, -1)  # killing the Tanner with no wolf in play: Village loses


def test_hunter_takes_its_target_along():
    deal = [H, W, V, S, R, T, W, INS]
    out = _outcome(deal, [1, 0, 0, 0, 0])
    assert out.dead == {0, 1} and out.winning_teams == {Team.VILLAGE}


def test_paper_outcomes_are_draws_where_the_official_rules_differ():
    paper = RuleOptions.paper(discussion_rounds=0)
    assert _outcome([W, V, V, S, R, T, W, INS], [1, 2, 3, 4, 0], paper).draw  # 1-1-1-1-1
    no_wolf = _outcome([V, V, S, R, T, W, W, INS], [1, 2, 3, 4, 0], paper)
    assert no_wolf.draw and no_wolf.rewards == (0, 0, 0, 0, 0)
    killed = _outcome([W, V, V, S, R, T, W, INS], [None, 0, 0, None, None], paper)
    assert killed.dead == {0} and killed.winning_teams == {Team.VILLAGE}
    assert decide_winners((W, V, V), frozenset(), RuleOptions())[1] == {Team.WEREWOLF}


def test_paper_variant_options_and_validation():
    official, paper = RuleOptions.official(), RuleOptions.paper()
    differences = {
        name
        for name in ("lone_wolf_peek", "seer_center", "no_werewolf_outcome", "no_kill_outcome")
        + ("allow_abstain", "allow_self_vote", "allowed_roles")
        if getattr(official, name) != getattr(paper, name)
    }
    assert len(differences) == 7
    with pytest.raises(ValueError, match="not allowed"):
        game([TAN, W, V, S, R, T, W, INS], paper)
    g = game([W, V, V, S, R, T, W, INS], RuleOptions(discussion_rounds=0))
    g.play_night()
    with pytest.raises(ValueError, match="abstain"):
        g.vote([None, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="itself"):
        g.vote([0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="seer_center"):
        RuleOptions(seer_center="peek")
    with pytest.raises(ValueError, match="num_players"):
        Game([W] * 5, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown role"):
        Role.parse("doppelganger")


def test_random_deal_is_seeded():
    deck = [W, W, S, R, T, INS, V, V]
    a = Game(deck, 5, rng=np.random.default_rng(7))
    b = Game(deck, 5, rng=np.random.default_rng(7))
    assert a.initial == b.initial and sorted(a.initial + a.initial_center) == sorted(deck)


# ------------------------------------------------------------------ the authors' vote scoring (rules="paper")


def _voting_step_winner(votes, final_roles) -> str:
    """The winner as ``voting_step`` of KylJin/Werewolf states it (restated from its messages, not its code):
    no Werewolf among the players -> draw; a unique top vote-getter decides by its card; several on top with one
    vote each -> draw; any other tie (everyone on zero included) -> Village iff a tied player is a Werewolf."""
    if Role.WEREWOLF not in final_roles:
        return "draw"
    tally = [sum(v == p for v in votes) for p in range(len(final_roles))]
    top = [p for p, t in enumerate(tally) if t == max(tally)]
    if len(top) == 1:
        return "village" if final_roles[top[0]] == Role.WEREWOLF else "werewolf"
    if max(tally) == 1:
        return "draw"
    return "village" if any(final_roles[p] == Role.WEREWOLF for p in top) else "werewolf"


def _winner(outcome) -> str:
    if outcome.draw:
        return "draw"
    return "village" if Team.VILLAGE in outcome.winning_teams else "werewolf"


@pytest.mark.parametrize(
    ("votes", "winner", "dead"),
    [
        ((None, None, 0), "village", {0}),  # one vote alone on top kills (P1 is a Werewolf)
        ((None, None, 2), "werewolf", {2}),  # ... and the Robber dies: the Werewolves win
        ((None, None, None), "village", {0, 1, 2}),  # everybody abstains: all tied on top
        ((1, 2, 0), "draw", set()),  # 1-1-1
        ((2, 2, 0), "werewolf", {2}),
    ],
)
def test_paper_vote_rule_cases(votes, winner, dead):
    g = Game(PRESETS["3p"].deck, 3, RuleOptions.paper(), deal=PRESETS["3p"].deal)
    g.play_night()
    g.options = RuleOptions.paper(discussion_rounds=0)
    g.phase = Phase.VOTE
    out = g.vote(list(votes))
    assert _winner(out) == winner and out.dead == dead
    official = resolve_votes(votes, g.final_roles, "official")[1]
    assert official == (dead if max(out.tally) > 1 else set())


def test_paper_vote_rule_matches_voting_step_on_random_games():
    """1,000 random 3-player and 5-player games (random nights, votes with abstentions and self-votes)."""
    rng = np.random.default_rng(0)
    differs_from_official = 0
    for i in range(1000):
        preset = PRESETS["3p-no-discussion"] if i % 2 else PRESETS["5p"]
        g = Game(
            preset.deck, preset.num_players, RuleOptions.paper(discussion_rounds=0), rng=rng, deal=preset.deal
        )
        g.play_night({p: o[rng.integers(len(o))] for p in range(g.num_players) for o in [g.night_options(p)]})
        votes = [
            None if rng.random() < 0.3 else int(rng.integers(g.num_players)) for _ in range(g.num_players)
        ]
        final = g.final_roles
        out = g.vote(votes)
        assert _winner(out) == _voting_step_winner(votes, final), (votes, final)
        official = RuleOptions.paper(vote_rule="official")
        differs_from_official += _winner(out) != (
            "draw"
            if (d := decide_winners(final, resolve_votes(votes, final)[1], official))[0]
            else ("village" if Team.VILLAGE in d[1] else "werewolf")
        )
    assert differs_from_official > 100  # the two scorings really differ on such games


def test_vote_rule_is_validated():
    with pytest.raises(ValueError, match="vote_rule"):
        RuleOptions(vote_rule="majority")
    with pytest.raises(ValueError, match="no centre"):
        Game([W, R, V, S], 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="Drunk"):
        Game([W, R, D], 3, rng=np.random.default_rng(0))
