"""``backend="sc2"`` against a fake burnysc2 (``fake_sc2.py``): StarCraft II itself cannot run here.

What these tests hold: the observation the real-game backend builds lies in the embedded backend's own space,
with the same keys and dtypes; actions map to the burnysc2 calls the original bot makes; an unaffordable action
fails with the original's message; the game's result ends the episode; close() leaves the game; and without
burnysc2 the error names the ``sc2`` extra.
"""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

import tactica  # noqa: F401  (registers TextSC2-v1)
from tactica.envs.textsc2.actions import ACTIONS
from tactica.envs.textsc2.env import TextSC2Env
from tactica.errors import MissingDependency
from tests.textsc2 import fake_sc2


def _world(**kw) -> fake_sc2.World:
    world = fake_sc2.World(**kw)
    world.add("Nexus", energy=50.0)
    world.add("Probe", 12)
    return world


def _leaves(obs, prefix=""):
    if isinstance(obs, dict):
        for k, v in obs.items():
            yield from _leaves(v, f"{prefix}/{k}")
    else:
        yield prefix, obs


def test_without_burnysc2_the_error_names_the_sc2_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sc2", None)  # makes `import sc2` raise ImportError
    with pytest.raises(MissingDependency, match=r"tactica\[sc2\]") as err:
        gym.make("TextSC2-v1", backend="sc2")
    assert err.value.extra == "sc2" and err.value.package == "burnysc2"


def test_observation_lies_in_the_embedded_space_with_the_same_schema(monkeypatch):
    world = _world(minerals=75, vespene=20, supply_used=13, supply_army=0)
    world.add("Pylon")
    world.add("Gateway", is_ready=False)
    world.pending = {"GATEWAY": 1, "PROBE": 1}
    world.upgrades = {"WARPGATERESEARCH": 0.25}
    world.add("Zergling", 4, enemy=True)
    world.add("Larva", 3, enemy=True)  # no key for it in the observation: left out
    world.add("SpawningPool", enemy=True)
    fake_sc2.install(monkeypatch, world)
    env = TextSC2Env(backend="sc2")
    obs, info = env.reset(seed=0)
    embedded = TextSC2Env()
    e_obs, _ = embedded.reset(seed=0)
    assert env.observation_space == embedded.observation_space
    assert env.observation_space.contains(obs)
    real_leaves, emb_leaves = dict(_leaves(obs)), dict(_leaves(e_obs))
    assert real_leaves.keys() == emb_leaves.keys()
    for key, value in real_leaves.items():
        other = emb_leaves[key]
        assert type(value) is type(other), key
        if isinstance(value, np.ndarray):
            assert (value.dtype, value.shape) == (other.dtype, other.shape), key
    res = obs["resource"]
    assert (int(res["mineral"]), int(res["gas"]), int(res["worker_supply"])) == (75, 20, 12)
    assert (int(res["supply_left"]), int(res["supply_cap"]), int(res["game_loop"])) == (2, 15, 0)
    assert int(obs["building"]["nexus_count"]) == 1 and int(obs["building"]["pylon_count"]) == 1
    assert int(obs["building"]["gateway_count"]) == 0  # in construction: planning, not a building
    assert int(obs["planning"]["planning_structure"]["planning_gateway_count"]) == 1
    assert int(obs["planning"]["planning_unit"]["planning_probe_count"]) == 1
    assert float(obs["research"]["cybernetics_core"]["warpgate_research_status"]) == pytest.approx(0.25)
    assert int(obs["enemy"]["unit"]["zergling"]) == 4 and int(obs["enemy"]["structure"]["spawning_pool"]) == 1
    assert obs["game_time"] == "00:00"
    assert obs["text"].startswith("At 00:00 game time, our current StarCraft II situation is as follows:")
    assert "- Zergling: 4" in obs["text"]
    # The mask follows the same rules: a Probe can be trained, a Stalker needs a Cybernetics Core.
    assert obs["action_mask"][ACTIONS.index("TRAIN PROBE")] == 1
    assert obs["action_mask"][ACTIONS.index("TRAIN STALKER")] == 0
    assert info["opposite_race"] == "Zerg"
    call = world.run_kwargs
    assert call["map"] == "map:AncientCisternLE" and call["realtime"] is False
    assert call["game_time_limit"] == 1800
    computer = call["players"][1]
    assert (computer.race.name, computer.difficulty.name, computer.ai_build.name) == (
        "Zerg",
        "Hard",
        "RandomBuild",
    )
    env.close()


def test_actions_map_to_burnysc2_calls(monkeypatch):
    world = _world(minerals=1000, vespene=1000, supply_used=14, supply_cap=15, steps=10)
    world.add("Pylon")
    world.add("Gateway", is_idle=False)
    world.add("Stalker", 2, far=True)
    world.supply_army = 4
    fake_sc2.install(monkeypatch, world)
    env = TextSC2Env(backend="sc2", build="rush", difficulty="VeryEasy", opponent_race="Terran")
    env.reset(seed=1)
    expected = {
        "TRAIN PROBE": ("train", "PROBE"),
        "BUILD PYLON": ("build", "PYLON"),  # supply left 1 <= 3: the Pylon rule allows it
        "BUILD NEXUS": ("expand_now",),
        "BUILD ASSIMILATOR": ("build", "ASSIMILATOR"),
        "CHRONOBOOST NEXUS": None,  # the Nexus is idle: the original's failure
        "MULTI-RETREAT": ("move", "STALKER"),
        "MULTI-ATTACK": ("attack", "STALKER"),
    }
    for action, call in expected.items():
        world.calls.clear()
        _, _, terminated, _, info = env.step(ACTIONS.index(action))
        assert not terminated
        if call is None:
            assert info["action_failures"] == [f"Action failed: {action}, Reason: No busy Nexus to boost"]
        else:
            assert call in world.calls, (action, world.calls)
            assert info["action_failures"] == [] and info["action_executed"] == action
        assert ("distribute_workers",) in world.calls  # the original's helper, every step
    # Chrono Boost: the Nexus casts EFFECT_CHRONOBOOSTENERGYCOST on a busy structure (here itself), once at
    # least 2 supply are left (the original's condition for boosting a Nexus).
    world.structures[0].is_idle = False
    world.supply_used = world.supply_cap - 1
    _, _, _, _, info = env.step(ACTIONS.index("CHRONOBOOST NEXUS"))
    assert info["action_failures"] == [
        "Action failed: CHRONOBOOST NEXUS, Reason: Not enough supply for Nexus"
    ]
    world.supply_used = world.supply_cap - 2
    world.calls.clear()
    _, _, _, _, info = env.step(ACTIONS.index("CHRONOBOOST NEXUS"))
    assert info["action_failures"] == []
    assert ("ability", "EFFECT_CHRONOBOOSTENERGYCOST", "NEXUS", fake_sc2.UnitTypeId.NEXUS) in world.calls
    env.close()


def test_unaffordable_action_fails_with_the_original_message(monkeypatch):
    world = _world(minerals=40)
    world.add("Pylon")
    fake_sc2.install(monkeypatch, world)
    env = TextSC2Env(backend="sc2")
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"][ACTIONS.index("BUILD GATEWAY")] == 1  # the mask ignores minerals, as embedded
    _, _, _, _, info = env.step(ACTIONS.index("BUILD GATEWAY"))
    assert info["action_failures"] == ["Action failed: BUILD GATEWAY, Reason: Cannot afford Gateway"]
    assert ("build", "GATEWAY") not in world.calls
    _, _, _, _, info = env.step(ACTIONS.index("TRAIN ZEALOT"))
    assert info["action_failures"] == ["Action failed: TRAIN ZEALOT, Reason: No Gateway available"]
    # render() shows what the embedded backend shows: the summary, the action and its failures
    shown = env.render()
    assert shown.startswith(str(obs["text"]).splitlines()[0]) and "Action executed: TRAIN ZEALOT" in shown
    assert shown.rstrip().endswith("Reason: No Gateway available")
    env.close()


@pytest.mark.parametrize(("result", "reward"), [("Victory", 50.0), ("Defeat", 0.0)])
def test_the_game_result_ends_the_episode(monkeypatch, result, reward):
    world = fake_sc2.install(monkeypatch, _world(steps=3, result=result))
    env = gym.make("TextSC2-v1", backend="sc2")
    env.reset(seed=0)
    outcomes = [env.step(ACTIONS.index("EMPTY ACTION"))[1:4] for _ in range(2)]
    assert outcomes == [(0.0, False, False)] * 2
    _, r, terminated, truncated, info = env.step(ACTIONS.index("EMPTY ACTION"))
    assert (r, terminated, truncated, info["result"]) == (reward, True, False, result)
    assert set(info["metrics"]) >= {"PBR", "RUR", "APU", "TR"}
    assert world.game_loop == 24  # three steps of client.game_step = step_loops = 8
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.close()


def test_close_leaves_the_game(monkeypatch):
    world = fake_sc2.install(monkeypatch, _world(steps=100))
    env = TextSC2Env(backend="sc2")
    env.reset(seed=0)
    env.step(ACTIONS.index("EMPTY ACTION"))
    env.close()
    assert world.left and world.calls[-1] == ("leave",)


def test_decisions_text_runs_through_the_real_backend(monkeypatch):
    world = fake_sc2.install(monkeypatch, _world(minerals=500, steps=10))
    env = TextSC2Env(backend="sc2")
    env.reset(seed=0)
    _, _, _, _, info = env.step("Decisions:\n0: <TRAIN PROBE>\n1: <BUILD PYLON>")
    assert info["action_executed"] == "TRAIN PROBE" and info["pending_actions"] == ["BUILD PYLON"]
    assert ("train", "PROBE") in world.calls
    env.close()


def test_gateway_units_warp_in_at_a_ready_warp_gate_once_warp_gate_research_is_done(monkeypatch):
    world = _world(minerals=500, vespene=200, supply_used=20, supply_cap=31, steps=10)
    world.add("Pylon")
    world.add("CyberneticsCore")
    world.add("WarpGate", cooldown=True)
    world.add("WarpGate")
    world.upgrades = {"WARPGATERESEARCH": 1.0}
    fake_sc2.install(monkeypatch, world)
    env = TextSC2Env(backend="sc2")
    env.reset(seed=0)
    _, _, _, _, info = env.step(ACTIONS.index("TRAIN STALKER"))
    assert info["action_failures"] == []
    # The second gate is off cooldown; the Stalker warps in 3 cells from the Pylon towards the enemy.
    assert ("warp_in", "STALKER", fake_sc2.Point(33.0, 33.0)) in world.calls
    world.structures[-1].cooldown = True
    _, _, _, _, info = env.step(ACTIONS.index("TRAIN STALKER"))
    assert info["action_failures"] == ["Action failed: TRAIN STALKER, Reason: All Gateway are busy"]
    env.close()


def test_a_game_that_cannot_start_raises_a_clear_error(monkeypatch):
    fake_sc2.install(monkeypatch, _world())

    def no_game(*_args, **_kwargs):
        raise FileNotFoundError("StarCraft II not found")

    monkeypatch.setattr(sys.modules["sc2.main"], "run_game", no_game)
    env = TextSC2Env(backend="sc2")
    with pytest.raises(RuntimeError, match="StarCraft II installed") as err:
        env.reset(seed=0)
    assert isinstance(err.value.__cause__, FileNotFoundError)
    env.close()


def test_the_game_thread_may_install_burnysc2_sigint_handler(monkeypatch):
    import signal
    import threading

    fake_sc2.install(monkeypatch, _world())
    env = TextSC2Env(backend="sc2")  # require_sc2() adapts burnysc2's launcher to run off the main thread
    errors = []

    def launcher():
        try:
            sys.modules["sc2.sc2process"].signal.signal(signal.SIGINT, signal.SIG_DFL)
        except ValueError as exc:  # "signal only works in main thread of the main interpreter"
            errors.append(exc)

    thread = threading.Thread(target=launcher)
    thread.start()
    thread.join()
    assert errors == []
    env.close()
