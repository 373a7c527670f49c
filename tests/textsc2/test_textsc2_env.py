"""TextSC2-v1 through gymnasium.make: the checker, seeded games, the text action path, errors."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import tactica  # noqa: F401  (registers TextSC2-v1)
from tactica.agents import make as make_agent
from tactica.envs.textsc2.actions import ACTIONS
from tactica.errors import MissingDependency


def play(agent_name: str, seed: int, steps: int | None = None, **kwargs):
    env = gym.make("TextSC2-v1", **kwargs)
    agent = make_agent(agent_name, action_space=env.action_space)
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    trace = []
    n = 0
    while True:
        action = agent.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, obs["text"], reward, info["action_failures"]))
        n += 1
        if terminated or truncated or (steps is not None and n >= steps):
            return env, trace, info, terminated, truncated


def test_check_env_passes_without_warnings():
    env = gym.make("TextSC2-v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    env = gym.make("TextSC2-v1", opponent_race="Terran", difficulty="VeryEasy", build="rush")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


def test_observation_has_the_original_groups_and_a_mask():
    env = gym.make("TextSC2-v1")
    obs, info = env.reset(seed=3)
    assert set(obs) == {
        "resource",
        "building",
        "unit",
        "planning",
        "research",
        "enemy",
        "game_time",
        "text",
        "action_mask",
    }
    assert len(obs["building"]) == 16 and len(obs["unit"]) == 19
    assert sum(len(v) for v in obs["research"].values()) == 26
    assert obs["resource"]["supply_cap"] == 15 and obs["resource"]["worker_supply"] == 12
    assert obs["game_time"] == "00:00"
    assert obs["text"].startswith("At 00:00 game time")
    assert obs["action_mask"].dtype == np.int8 and obs["action_mask"].shape == (72,)
    assert obs["action_mask"][ACTIONS.index("TRAIN PROBE")] == 1
    assert obs["action_mask"][ACTIONS.index("BUILD GATEWAY")] == 0  # no Pylon yet
    assert obs["action_mask"][71] == 1
    assert env.observation_space.contains(obs)
    assert "zergling" in obs["enemy"]["unit"] and "hatchery" in obs["enemy"]["structure"]
    assert info["opposite_race"] == "Zerg"


def test_same_seed_same_game_and_different_seed_different_game():
    _, a, _, _, _ = play("random", seed=11, steps=400, difficulty="Medium")
    _, b, _, _, _ = play("random", seed=11, steps=400, difficulty="Medium")
    _, c, _, _, _ = play("random", seed=12, steps=400, difficulty="Medium")
    assert a == b
    assert a != c


def test_scripted_expert_plays_a_full_seeded_game_and_wins_against_very_easy():
    env, trace, info, terminated, truncated = play("textsc2-expert", seed=0, difficulty="VeryEasy")
    assert terminated and not truncated
    assert info["result"] == "Victory"
    assert trace[-1][2] == 50.0  # the original's +50 for a win, 0 before
    assert all(r == 0.0 for _, _, r, _ in trace[:-1])
    metrics = info["metrics"]
    assert set(metrics) == {"PBR", "RUR", "APU", "TR", "rur_per_second", "last_supply_used"}
    assert 0.0 <= metrics["PBR"] < 1.0 and 0.0 < metrics["APU"] <= 1.0 and 0.0 < metrics["TR"] <= 1.0


def test_random_agent_plays_a_seeded_game_to_its_end():
    env, trace, info, terminated, truncated = play("random", seed=5, difficulty="VeryEasy", time_limit_s=300)
    assert terminated or truncated
    assert info["result"] in ("Victory", "Defeat", "Tie")
    assert env.unwrapped.game.loop >= 300 * 22.4 or terminated
    assert all(0 <= a < 72 for a, *_ in trace)


def test_text_actions_parse_decisions_and_queue_them():
    env = gym.make("TextSC2-v1")
    env.reset(seed=0)
    reply = "Analysis...\nDecisions:\n0: <TRAIN PROBE>\n1: <BUILD PYLON>\n2: <fly to the moon>\n3: <chrono boost nexus>"
    _, _, _, _, info = env.step(reply)
    assert info["action_executed"] == "TRAIN PROBE" and info["action_failures"] == []
    # Every decision becomes an action (the original's nearest-neighbour search), so none is dropped.
    assert info["pending_actions"] == ["BUILD PYLON", "BUILD FLEETBEACON", "CHRONOBOOST NEXUS"]
    _, _, _, _, info = env.step(71)
    assert info["action_executed"] == "BUILD PYLON"
    assert info["action_failures"] == ["Action failed: BUILD PYLON, Reason: Cannot afford Pylon"]
    _, _, _, _, info = env.step(71)
    assert info["action_failures"] == ["Action failed: BUILD FLEETBEACON, Reason: No Stargate available"]
    _, _, _, _, info = env.step(71)
    assert info["action_executed"] == "CHRONOBOOST NEXUS" and info["action_failures"] == []
    _, _, _, _, info = env.step("build gateway")
    assert info["action_failures"] == ["Action failed: BUILD GATEWAY, Reason: No Pylon available"]


def test_bad_arguments_and_actions_raise_clear_errors():
    with pytest.raises(ValueError, match="opponent_race"):
        gym.make("TextSC2-v1", opponent_race="Xel'Naga")
    with pytest.raises(ValueError, match="rules must be one of textsc2, lotv"):
        gym.make("TextSC2-v1", rules="wol")
    with pytest.raises(ValueError, match="original_bugs"):
        gym.make("TextSC2-v1", rules="lotv", original_bugs=True)
    with pytest.raises(ValueError, match="embedded"):
        gym.make("TextSC2-v1", backend="sc2", original_bugs=True)
    with pytest.raises(ValueError, match="text_format"):
        gym.make("TextSC2-v1", text_format="html")
    with pytest.raises(ValueError, match="difficulty"):
        gym.make("TextSC2-v1", difficulty=11)
    with pytest.raises(ValueError, match="build"):
        gym.make("TextSC2-v1", build="turtle")
    with pytest.raises(ValueError, match="map_name"):
        gym.make("TextSC2-v1", map_name="Nowhere LE")
    with pytest.raises(ValueError, match="step_loops"):
        gym.make("TextSC2-v1", step_loops=0)
    env = gym.make("TextSC2-v1", time_limit_s=2.0).unwrapped
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(0)
    for seed in (True, 1.5, "3"):
        with pytest.raises(TypeError, match="seed must be a non-negative integer"):
            env.reset(seed=seed)
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\[0, 72\)"):
        env.step(72)
    for fractional in (1.5, np.float64(70.5), float("nan")):
        with pytest.raises(TypeError, match="integer"):
            env.step(fractional)
    with pytest.raises(TypeError, match="bool"):
        env.step(True)
    assert env.step(71.0)[4]["action_executed"] == "EMPTY ACTION"  # a whole float is its integer
    assert env.step(np.array(71))[4]["action_executed"] == "EMPTY ACTION"
    while not env.step(71)[3]:  # truncated at the 2 s limit
        pass
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step(71)
    env.close()
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(71)


def test_difficulty_names_and_numbers_agree():
    # python-sc2's names come first (its "Hard" is the paper's "Harder (Lv5)"); "Elite" is the menu's Lv7.
    assert gym.make("TextSC2-v1", difficulty="Hard").unwrapped.difficulty == 5
    assert gym.make("TextSC2-v1", difficulty="Harder").unwrapped.difficulty == 6
    assert gym.make("TextSC2-v1", difficulty="Elite").unwrapped.difficulty == 7
    assert gym.make("TextSC2-v1", difficulty=10).unwrapped.difficulty == 10


def test_sc2_backend_names_the_extra_when_burnysc2_is_missing():
    pytest.importorskip("numpy")
    try:
        import sc2  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependency, match=r"tactica\[sc2\]"):
            gym.make("TextSC2-v1", backend="sc2")
    else:  # pragma: no cover - only where burnysc2 is installed: the game starts at reset(), not here
        assert gym.make("TextSC2-v1", backend="sc2").unwrapped.backend == "sc2"


def test_render_pickle_and_shaped_reward():
    env = gym.make("TextSC2-v1", render_mode="ansi", reward="shaped", difficulty="VeryEasy")
    env.reset(seed=2)
    for _ in range(50):
        env.step(0)
    text = env.render()
    assert isinstance(text, str) and "Action executed: TRAIN PROBE" in text
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    a = clone.step(71)
    b = env.unwrapped.step(71)
    assert a[0]["text"] == b[0]["text"] and a[1] == b[1]


def test_helpers_can_be_switched_off():
    env = gym.make("TextSC2-v1", auto_distribute_workers=False, pylon_rule=False).unwrapped
    env.reset(seed=0)
    assert env.game.players[0].auto_distribute is False
    env.step(ACTIONS.index("BUILD PYLON"))  # allowed with 3 supply left even without the rule
    assert env.game.players[0].count("Pylon", done=False) == 0  # 50 minerals: it failed for money only


def test_numeric_observation_wrapper_for_rl_agents():
    from tactica.envs.textsc2.wrappers import NumericObservation

    env = NumericObservation(gym.make("TextSC2-v1"))
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    names = env.feature_names
    assert obs["observation"][names.index("resource.worker_supply")] == 12
    assert obs["observation"][names.index("building.nexus_count")] == 1
    assert len(names) == 8 + 16 + 19 + 35 + 26 + len(env.unwrapped._enemy_units) + len(
        env.unwrapped._enemy_structures
    )
    obs, *_ = env.step(0)
    assert env.observation_space.contains(obs) and obs["action_mask"].shape == (72,)
    with pytest.raises(TypeError):
        NumericObservation(gym.make("CartPole-v1"))


def test_play_json_reports_the_four_metrics(capsys):
    import json

    from tactica.cli.main import main

    argv = ["play", "TextSC2-v1", "--agent", "textsc2-expert", "--opt", "time_limit_s=60", "--json"]
    assert main(argv) == 0
    episode = json.loads(capsys.readouterr().out)["episodes"][0]
    assert {"PBR", "RUR", "APU", "TR"} <= set(episode["metrics"])
    assert episode["metrics"]["result"] == "Tie" and 0.0 < episode["metrics"]["APU"] <= 1.0
