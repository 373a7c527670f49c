"""The flat action layout and masks; the PPO tactic-selection env."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from tactica.agents.discussion.ppo import TacticEnv, train_ppo
from tactica.envs.onuw.actions import ActionCodec
from tactica.envs.onuw.rules import PASS, Game, NightAction, Role, RuleOptions, Speech, Tactic

DEAL = [
    Role.SEER,
    Role.WEREWOLF,
    Role.ROBBER,
    Role.VILLAGER,
    Role.TROUBLEMAKER,
    Role.VILLAGER,
    Role.WEREWOLF,
    Role.INSOMNIAC,
]


def test_layout_sizes_and_round_trip():
    game = Game(DEAL, 5, RuleOptions(), deal=DEAL)
    codec = ActionCodec(5, game.roles_in_deck)
    k = len(game.roles_in_deck)  # 6
    night = 5 + 3 + 3 + 1 + 5 + 10 + 3
    assert codec.n == 1 + night + 6 * 6 * (k + 1) + 6
    assert codec.decode(0).night == PASS
    i = codec.encode_speech(Tactic.DECEPTIVE_DEFENSE, target=3, claim=Role.SEER)
    d = codec.decode(i)
    assert (d.kind, d.tactic, d.target, d.claim) == ("speech", Tactic.DECEPTIVE_DEFENSE, 3, Role.SEER)
    assert codec.decode(codec.encode_vote(None)).target is None
    assert codec.describe(codec.encode_night(NightAction("swap", (1, 3)))) == "swap[1, 3]"
    with pytest.raises(ValueError, match="outside"):
        codec.decode(codec.n)


def test_masks_follow_the_phase():
    game = Game(DEAL, 5, RuleOptions(discussion_rounds=1), deal=DEAL)
    codec = ActionCodec(5, game.roles_in_deck)
    seer = codec.mask(game, 0)
    assert seer.dtype == np.int8 and seer.sum() == len(game.night_options(0)) == 1 + 4 + 3
    assert codec.mask(game, 3).tolist() == [1] + [0] * (codec.n - 1)  # the Villager may only pass
    game.play_night()
    assert codec.mask(game, 0)[codec.speech_start : codec.vote_start].all()
    assert codec.mask(game, 1).tolist() == [1] + [0] * (codec.n - 1)  # not its turn: pass only
    for p in range(5):
        game.speak(Speech(p, Tactic.HONEST_EVIDENCE))
    votes = codec.mask(game, 2)
    assert votes[codec.vote_start : codec.vote_start + 5].tolist() == [1, 1, 0, 1, 1]
    assert votes[codec.vote_start + 5] == 0  # no abstaining under the official rules


def test_tactic_env_passes_gymnasium_checks():
    env = TacticEnv("5p-easy", seat=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert info["seat"] == 2 and env.observation_space.contains(obs)
    steps, done = 0, False
    while not done:
        obs, reward, done, truncated, info = env.step(int(Tactic.HONEST_ACCUSATION))
        steps += 1
    assert steps == 3 and -2.0 <= reward <= 1.0
    with pytest.raises(ValueError, match="seat"):
        TacticEnv("5p", seat=7)


@pytest.mark.slow
def test_ppo_trains_on_the_tactic_env(tmp_path):
    model = train_ppo("5p-easy", total_timesteps=128, seed=0, run_dir=tmp_path, n_steps=64, batch_size=32)
    assert (tmp_path / "ppo_tactic.zip").is_file()
    assert model.action_space.n == 6
