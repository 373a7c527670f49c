"""``textsc2-expert(late_game=True)``: more bases past 11:00 and no endless saving for gas units against air."""

from __future__ import annotations

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers the environments)
from tactica.agents import make
from tactica.envs.textsc2.actions import ACTIONS


def _actions(late_game: bool) -> list[tuple[float, str]]:
    """(game second, action) of every step of one VeryEasy game in which the expert waits for 185 supply before it
    attacks (it wins at about 11:10)."""
    env = gym.make("TextSC2-v1", difficulty="VeryEasy", build="macro")
    expert = make("textsc2-expert", action_space=env.action_space, attack_supply=10**6, late_game=late_game)
    obs, info = env.reset(seed=0)
    expert.reset(seed=0)
    played, done = [], False
    while not done:
        action = expert.act(obs, info)
        played.append((env.unwrapped.game.seconds, ACTIONS[action]))
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    return played


def test_late_game_expert_takes_a_fourth_base_after_eleven_minutes():
    default, late = _actions(False), _actions(True)
    before = [a for a in default if a[0] < 660]
    assert late[: len(before)] == before  # the option changes nothing before 11:00
    assert not [a for a in default if a[0] >= 660 and a[1] == "BUILD NEXUS"]  # the default stops at 3 bases
    assert [a for a in late if a[0] >= 660 and a[1] == "BUILD NEXUS"]


def test_late_game_expert_takes_the_new_bases_gas_and_stops_saving_when_minerals_pile_up():
    default, late = make("textsc2-expert"), make("textsc2-expert", late_game=True)
    assert default._assimilators_wanted(5) == 6 and late._assimilators_wanted(5) == 10
    assert default._assimilators_wanted(2) == late._assimilators_wanted(2) == 4
    assert not late._saves_for_anti_air(5000.0)  # no air seen: nothing to save for
    default.air_seen = late.air_seen = True
    assert default._saves_for_anti_air(5000.0)  # waits for gas however many minerals pile up
    assert late._saves_for_anti_air(399.0) and not late._saves_for_anti_air(400.0)


def test_late_game_option_reaches_the_labelling_expert_and_is_recorded():
    from tactica.llm.games.textsc2 import record_episode

    examples = record_episode(
        "cos", 3, 0, difficulty=1, answer="compact", expert={"late_game": True}, time_limit_s=60.0
    )
    assert examples[0].label["expert_options"] == {"late_game": True}
    plain = record_episode("cos", 3, 0, difficulty=1, answer="compact", time_limit_s=60.0)
    assert "expert_options" not in plain[0].label
    # before 11:00 the option changes nothing: the same calls, answered the same way
    assert [(e.messages, e.answer) for e in examples] == [(e.messages, e.answer) for e in plain]
    for bad in ("late_game", {"late_gme": True}):  # not an object; a misspelt argument
        with pytest.raises(ValueError, match="attack_supply, late_game"):
            record_episode("cos", 3, 0, difficulty=1, expert=bad, time_limit_s=60.0)
