"""The 3-player game of the paper: equilibrium utilities and NashConv against the derived values."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.onuw.equilibrium import (
    Profile,
    ThreePlayerGame,
    expected_utilities,
    fully_revealing_profile,
    nash_conv,
    no_discussion_profile,
    pbe_gap,
    profile_from_counts,
    pure_equilibrium_payoffs,
    to_normal_form,
    werewolf_beliefs,
)
from tactica.equilibria.exploitability import nash_conv as normal_form_nash_conv

TIE_RULES = ("official", "draw")
# Off the path ("I did not switch") the Werewolves believe the Robber stayed.
STAYED = np.array([[1.0, 0.0, 0.0]] * 3)


def test_leaf_utilities_follow_the_rules_module():
    official, draw = ThreePlayerGame(tie_rule="official"), ThreePlayerGame(tie_rule="draw")
    # Robber stayed, both Werewolves vote the Robber: the Robber (Village) dies, the Werewolves win.
    assert tuple(official.utility[0, 1, 1, 0]) == (1, 1, -1)
    # Robber robbed P1 (P1 is now Village) and P1 gets two votes: the Werewolf team (P2, P3) wins.
    assert tuple(official.utility[1, 0, 0, 0]) == (-1, 1, 1)
    # 1-1-1 after staying: official -> Werewolves win, paper -> draw.
    assert tuple(official.utility[0, 0, 1, 0]) == (1, 1, -1)
    assert tuple(draw.utility[0, 0, 1, 0]) == (0, 0, 0)


@pytest.mark.parametrize("tie_rule", TIE_RULES)
def test_fully_revealing_equilibrium_with_discussion(tie_rule):
    game = ThreePlayerGame(discussion=True, tie_rule=tie_rule)
    profile = fully_revealing_profile()
    np.testing.assert_allclose(expected_utilities(game, profile), [0.0, 0.0, 1.0])
    assert nash_conv(game, profile) == pytest.approx(0.0, abs=1e-12)
    assert pbe_gap(game, profile, STAYED) == pytest.approx(0.0, abs=1e-12)
    beliefs = werewolf_beliefs(profile)
    np.testing.assert_allclose(beliefs[1], [0, 1, 0])  # "I robbed P1" is believed
    assert np.isnan(beliefs[0]).all()  # "I did not switch" is off the path
    nfg, mixed = to_normal_form(game, profile)
    assert normal_form_nash_conv(nfg, mixed) == pytest.approx(0.0, abs=1e-12)


def test_off_path_beliefs_matter_for_the_pbe():
    game = ThreePlayerGame(discussion=True)
    profile = fully_revealing_profile()
    # Believing the silent Robber robbed P2 makes P1's vote against the Robber unjustified off the path.
    assert pbe_gap(game, profile, np.array([[0.0, 0.0, 1.0]] * 3)) > 0.5
    with pytest.raises(ValueError, match="off the path"):
        pbe_gap(game, profile)


def test_no_discussion_official_rule():
    game = ThreePlayerGame(discussion=False, tie_rule="official")
    reference = no_discussion_profile(stay=0.0, vote_robber=1.0)
    np.testing.assert_allclose(expected_utilities(game, reference), [0, 0, -1])
    assert nash_conv(game, reference) == pytest.approx(0.0, abs=1e-12)
    # n > 0: both Werewolves vote the Robber, utilities (n, n, -1)
    stay = no_discussion_profile(stay=0.2, vote_robber=1.0)
    np.testing.assert_allclose(expected_utilities(game, stay), [0.2, 0.2, -1])
    assert nash_conv(game, stay) == pytest.approx(0.0, abs=1e-12)
    # n = 0: the continuum (0, 0, 1 - 2 x^2)
    for x in (0.0, 0.3, 0.7, 1.0):
        profile = no_discussion_profile(stay=0.0, vote_robber=x)
        np.testing.assert_allclose(expected_utilities(game, profile), [0, 0, 1 - 2 * x * x], atol=1e-12)
        assert nash_conv(game, profile) == pytest.approx(0.0, abs=1e-12)


def test_no_discussion_draw_rule():
    game = ThreePlayerGame(discussion=False, tie_rule="draw")
    # n < 1/4: the Werewolves vote each other, (-n, -n, +1)
    low = no_discussion_profile(stay=0.2, vote_robber=0.0)
    np.testing.assert_allclose(expected_utilities(game, low), [-0.2, -0.2, 1])
    assert nash_conv(game, low) == pytest.approx(0.0, abs=1e-12)
    # n > 1/2: they vote the Robber, (n, n, -1)
    high = no_discussion_profile(stay=0.6, vote_robber=1.0)
    np.testing.assert_allclose(expected_utilities(game, high), [0.6, 0.6, -1])
    assert nash_conv(game, high) == pytest.approx(0.0, abs=1e-12)


def test_the_tie_rule_changes_the_no_discussion_answer():
    reference = no_discussion_profile(stay=0.0, vote_robber=1.0)  # (0, 0, -1)
    assert nash_conv(ThreePlayerGame(False, "official"), reference) == pytest.approx(0.0, abs=1e-12)
    assert nash_conv(ThreePlayerGame(False, "draw"), reference) == pytest.approx(1.0)
    low = no_discussion_profile(stay=0.2, vote_robber=0.0)
    assert nash_conv(ThreePlayerGame(False, "official"), low) == pytest.approx(0.4)


@pytest.mark.parametrize("discussion", [False, True])
@pytest.mark.parametrize("tie_rule", TIE_RULES)
def test_pure_equilibrium_payoffs(discussion, tie_rule):
    payoffs = pure_equilibrium_payoffs(ThreePlayerGame(discussion, tie_rule))
    assert payoffs == {(1.0, 1.0, -1.0), (-1.0, 1.0, 1.0), (1.0, -1.0, 1.0)}


@pytest.mark.parametrize("tie_rule", TIE_RULES)
def test_tree_and_normal_form_nash_conv_agree_on_random_profiles(tie_rule):
    rng = np.random.default_rng(0)
    game = ThreePlayerGame(True, tie_rule)
    for _ in range(5):
        profile = Profile(
            rng.dirichlet(np.ones(3)),
            rng.dirichlet(np.ones(3), size=3),
            rng.dirichlet(np.ones(2), size=(3, 3)),
            rng.dirichlet(np.ones(2), size=(2, 3)),
        )
        nfg, mixed = to_normal_form(game, profile)
        assert nash_conv(game, profile) == pytest.approx(normal_form_nash_conv(nfg, mixed), abs=1e-9)
        assert nash_conv(game, profile) > 0


def test_profile_from_counts_and_validation():
    profile = profile_from_counts([0, 5, 5], np.eye(3) * 10, np.ones((3, 3, 2)), np.ones((2, 3, 2)))
    np.testing.assert_allclose(profile.night, [0, 0.5, 0.5], atol=1e-9)
    with pytest.raises(ValueError, match="message"):
        Profile([1, 0, 0], np.ones((3, 2)) / 2, np.ones((3, 2, 2)) / 2, np.ones((2, 2, 2)) / 2)
    with pytest.raises(ValueError, match="message"):
        expected_utilities(ThreePlayerGame(False), fully_revealing_profile())
    with pytest.raises(ValueError, match="tie_rule"):
        ThreePlayerGame(tie_rule="coin")
