"""ONUW-v1: PettingZoo conformance, seeding, masks, text views, rewards, AEC/Parallel agreement."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, render_test, seed_test

import tactica  # noqa: F401  (registers the ids)
from tactica.envs import make_aec, make_parallel, spec
from tactica.envs.onuw.env import ONUWEnv, ONUWParallelEnv
from tactica.envs.onuw.presets import PRESETS
from tactica.envs.onuw.rules import Phase, Role, Tactic

CONFIGS = spec("ONUW-v1").conformance_kwargs
PRESET_CONFIGS = [{}] + [{"preset": name} for name in PRESETS]
# PettingZoo's advice on Dict observations (as for its own classic games): not API violations.
DICT_ADVICE = (
    "is not a numpy array",
    "Observation is not a NumPy array",
    "probably should be gymnasium.spaces.box",
)


def _checked(caught) -> None:
    unexpected = [str(w.message) for w in caught if not any(t in str(w.message) for t in DICT_ADVICE)]
    assert not unexpected, unexpected


@pytest.mark.parametrize("kwargs", PRESET_CONFIGS, ids=lambda k: k.get("preset", "default"))
def test_pettingzoo_checkers_with_default_arguments_and_every_preset(kwargs, capsys):
    """The four checkers of PettingZoo, unwrapped: masks from the observation dict, no on_illegal override."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api_test(ONUWEnv(**kwargs), num_cycles=100)
        parallel_api_test(ONUWParallelEnv(**kwargs), num_cycles=100)
        seed_test(lambda: ONUWEnv(**kwargs), num_cycles=100)
        parallel_seed_test(lambda: ONUWParallelEnv(**kwargs), num_cycles=100)
        render_test(lambda render_mode=None: ONUWEnv(render_mode=render_mode, **kwargs))
    _checked(caught)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_registered_conformance_configurations(kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api_test(make_aec("ONUW-v1", **kwargs), num_cycles=100)
        parallel_api_test(make_parallel("ONUW-v1", **kwargs), num_cycles=100)
    _checked(caught)


def test_illegal_actions_end_the_game_by_default():
    """PettingZoo's classic-game convention: the offender gets -1, everyone else 0, the game ends."""
    env = ONUWParallelEnv(preset="5p-easy")
    obs, _ = env.reset(seed=0)
    actions = {a: int(np.flatnonzero(obs[a]["action_mask"])[0]) for a in env.agents}
    actions["player_3"] = 0  # the Robber's scripted rob is its only legal move: passing is illegal
    obs, rewards, terms, truncs, infos = env.step(actions)
    assert all(terms.values()) and env.agents == []
    assert rewards == {"player_0": 0.0, "player_1": 0.0, "player_2": 0.0, "player_3": -1.0, "player_4": 0.0}
    assert infos["player_0"]["illegal_action"] == {"agent": "player_3", "action": 0, "phase": "night"}


def _play_aec(env, seed: int) -> list:
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    trace = []
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        trace.append((agent, float(obs["observation"].sum()), reward))
        if term or trunc:
            env.step(None)
            continue
        assert (obs["action_mask"] == info["action_mask"]).all()
        env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
    return trace


def test_same_seed_same_game_and_pickle_round_trip():
    env = ONUWEnv(speaking_order="random")
    assert _play_aec(env, 5) == _play_aec(ONUWEnv(speaking_order="random"), 5)
    env.reset(seed=3)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.game.initial == env.game.initial
    np.testing.assert_array_equal(
        clone.observe("player_0")["observation"], env.observe("player_0")["observation"]
    )


def test_render_ansi_and_player_text():
    env = ONUWEnv(preset="5p-easy", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str) and "Troublemaker Werewolf Seer Robber Villager" in text
    view = env.player_text("player_2")
    assert "You were dealt the Seer card." in view and "Werewolf" in view
    assert "Player 2 is also a Werewolf" not in view  # the Seer does not see the wolves


def test_forced_night_of_the_easy_deal_and_its_observations():
    env = ONUWEnv(preset="5p-easy")
    env.reset(seed=0)
    mask = env.infos["player_3"]["action_mask"]
    assert mask.sum() == 1  # the Robber's scripted action only
    assert env.codec.describe(int(np.flatnonzero(mask)[0])) == "rob[0]"
    for _ in range(5):  # the whole night
        env.step(int(np.flatnonzero(env.infos[env.agent_selection]["action_mask"])[0]))
    assert env.game.phase == Phase.DAY
    assert env.game.final_roles == (Role.ROBBER, Role.WEREWOLF, Role.VILLAGER, Role.TROUBLEMAKER, Role.SEER)
    assert "you are now the Troublemaker" in env.infos["player_3"]["text"]


def test_speech_with_free_text_and_illegal_actions():
    env = ONUWEnv(preset="3p", on_illegal="raise")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="illegal action"):
        env.step(env.codec.vote_start)  # a vote at night
    for _ in range(3):
        env.step(0)
    speech = env.codec.encode_speech(Tactic.HONEST_EVIDENCE, target=None, claim=Role.ROBBER)
    env.step((speech, "I am the Robber and I did not switch."))
    assert env.game.speeches[0].text == "I am the Robber and I did not switch."
    assert "I am the Robber and I did not switch." in env.infos["player_1"]["text"]
    with pytest.raises(TypeError, match="text"):
        env.step((speech, 42))


def test_rewards_and_final_infos_with_vote_penalty():
    env = ONUWParallelEnv(preset="3p-no-discussion", vote_penalty=1.0)
    obs, infos = env.reset(seed=0)
    codec = env.codec
    obs, rewards, terms, truncs, infos = env.step({a: 0 for a in env.agents})  # the Robber stays
    votes = {
        "player_0": codec.encode_vote(2),
        "player_1": codec.encode_vote(2),
        "player_2": codec.encode_vote(0),
    }
    obs, rewards, terms, truncs, infos = env.step(votes)
    assert all(terms.values()) and env.agents == []
    # the Robber (Village) dies: both Werewolves win; the penalty is votes received / N
    assert rewards == pytest.approx({"player_0": 1 - 1 / 3, "player_1": 1.0, "player_2": -1 - 2 / 3})
    assert infos["player_2"]["final_role"] == "Robber" and infos["player_2"]["died"]
    assert infos["player_0"]["winning_teams"] == ["werewolf"]


def test_aec_and_parallel_forms_play_the_same_game():
    kwargs = {"num_players": 5, "speaking_order": "random", "discussion_rounds": 2}
    aec, par = ONUWEnv(**kwargs), ONUWParallelEnv(**kwargs)
    aec.reset(seed=11)
    par.reset(seed=11)
    assert aec.game.initial == par.game.initial
    rng = np.random.default_rng(0)
    while par.agents:
        # choose for every acting seat, then replay the same choices in AEC order
        chosen = {}
        for seat in par.game.actors():
            agent = par.possible_agents[seat]
            chosen[agent] = int(rng.choice(np.flatnonzero(par._mask(seat))))
        full = {a: chosen.get(a, 0) for a in par.agents}
        par.step(full)
        for _ in range(len(chosen)):
            aec.step(chosen[aec.agent_selection])
    assert aec.game.outcome == par.game.outcome


def test_bad_arguments():
    with pytest.raises(ValueError, match="preset"):
        ONUWEnv(preset="6p")
    with pytest.raises(TypeError, match="unknown ONUW argument"):
        ONUWEnv(rounds=3)
    with pytest.raises(ValueError, match="not allowed"):
        ONUWEnv(
            rules="paper", deck="werewolf werewolf tanner seer robber villager villager insomniac".split()
        )
    with pytest.raises(ValueError, match="on_illegal"):
        ONUWEnv(on_illegal="ignore")
