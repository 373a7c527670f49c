"""MacroSMFG-v1 and MacroLeader-v1: spaces, Stackelberg timing, infos, rewards and termination."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import tactica
from tactica.baselines.macro import BracketGovernment, FreeMarket, RuleHouseholds
from tactica.envs.macro.env import MacroSMFGEnv
from tactica.envs.macro.observation import public_feature_names, public_index

INFO_KEYS = {
    "gdp",
    "gdp_per_capita",
    "income_gini",
    "wealth_gini",
    "social_welfare",
    "tax_revenue",
    "debt_to_gdp",
    "years",
    "termination_reason",
}


def _rule_step(env, obs, gov_action):
    households = RuleHouseholds(env.action_space("households"), calibration=env.calibration)
    return env.step({"government": gov_action, "households": households.act(obs["households"])})


def test_spaces_and_observations():
    env = tactica.make_parallel("MacroSMFG-v1", num_households=32)
    obs, infos = env.reset(seed=0)
    assert env.action_space("households").shape == (32, 2)
    assert env.action_space("government").shape == (5,)
    assert env.observation_space("government").shape == (len(public_feature_names(5)),) == (39,)
    assert obs["households"]["private"].shape == (32, 4)
    for agent in env.agents:
        assert env.observation_space(agent).contains(obs[agent])
    assert INFO_KEYS <= set(infos["government"])
    # The public vector starts with the calibrated 2022 US state: D/Y = 1.2129 over previewed output.
    assert obs["government"][public_index("year_fraction")] == 0.0
    assert 1.0 < obs["government"][public_index("debt_to_output")] < 1.6


def test_government_action_is_revealed_to_households_before_they_act():
    env = MacroSMFGEnv(num_households=20)
    obs, _ = env.reset(seed=1)
    announced = np.array([0.2, -0.4, -1.0, -1.0, -0.5], dtype=np.float32)
    obs, rewards, terms, truncs, infos = _rule_step(env, obs, announced)
    policy_slots = obs["households"]["public"][-5:]
    np.testing.assert_allclose(policy_slots, announced)
    # The announced policy is the one applied in the next year.
    np.testing.assert_allclose(env.policy.tau, 0.6 * (0.2 + 1) / 2)
    assert infos["government"]["policy"]["tau"] == pytest.approx(0.36)


def test_infos_rewards_and_accounting_over_an_episode():
    env = MacroSMFGEnv(num_households=50, horizon=30)
    obs, _ = env.reset(seed=2)
    gov = FreeMarket(env.action_space("government"))
    for year in range(1, 31):
        obs, rewards, terms, truncs, infos = _rule_step(env, obs, gov.act(obs["government"]))
        result = env.last_result
        info = infos["government"]
        assert info["years"] == year
        usd = env.calibration.gdp_per_capita_usd
        assert info["gdp"] == pytest.approx(result.output[0] * usd)
        assert info["gdp_per_capita"] == pytest.approx(result.output[0] * usd / 50)
        assert rewards["government"] == pytest.approx(result.welfare[0])  # objective "welfare"
        assert rewards["households"] == pytest.approx(infos["households"]["utility"].mean())
        assert result.output[0] == pytest.approx(
            result.consumption[0] + result.investment[0] + result.spending[0]
        )
    assert truncs["government"] and not terms["government"] and env.agents == []
    assert info["termination_reason"] == ""


def test_collapse_is_terminated_reported_and_penalised():
    env = MacroSMFGEnv(num_households=20, horizon=50)
    env.reset(seed=3)
    consume_all = np.tile([-1.0, 0.0], (20, 1))  # savings ratio 0: assets vanish and capital turns negative
    obs, rewards, terms, truncs, infos = env.step({"government": np.zeros(5), "households": consume_all})
    assert terms["households"] and terms["government"]
    assert infos["government"]["termination_reason"] == "collapse"
    welfare = env.last_result.welfare[0]
    assert rewards["government"] == pytest.approx(welfare + 49 * np.log(1e-3))
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"government": np.zeros(5), "households": consume_all})


def test_same_seed_same_trajectory_and_objectives():
    def run(seed, objective="welfare"):
        env = MacroSMFGEnv(num_households=30, horizon=10, objective=objective)
        obs, _ = env.reset(seed=seed)
        out = []
        for _ in range(10):
            obs, rewards, *_ = _rule_step(env, obs, np.zeros(5))
            out.append(rewards["government"])
        return np.array(out), obs["government"]

    a, oa = run(5)
    b, ob = run(5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(oa, ob)
    assert not np.array_equal(a, run(6)[0])
    gdp, _ = run(5, "gdp")
    assert np.all(np.abs(gdp) < 5)  # log output per capita in model units stays O(1)
    eq, _ = run(5, "equality")
    assert np.all((eq > 0) & (eq < 1))


def test_brackets_mode_and_render():
    env = MacroSMFGEnv(num_households=25, income_tax="brackets", render_mode="ansi")
    obs, _ = env.reset(seed=4)
    assert env.action_space("government").shape == (10,)
    gov = BracketGovernment(env.action_space("government"))
    obs, *_ = _rule_step(env, obs, gov.act(obs["government"]))
    text = env.render()
    assert isinstance(text, str) and "GDP/capita" in text and "year   1/300" in text


def test_bad_arguments():
    with pytest.raises(ValueError, match="objective"):
        MacroSMFGEnv(objective="happiness")
    with pytest.raises(ValueError, match="initial_policy"):
        MacroSMFGEnv(initial_policy="laissez-faire")
    with pytest.raises(ValueError, match="unknown calibration field"):
        MacroSMFGEnv(calibration={"beta": 0.9})
    env = MacroSMFGEnv(num_households=10)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="households action must have shape"):
        env.step({"government": np.zeros(5), "households": np.zeros((9, 2))})
    with pytest.raises(ValueError, match="missing"):
        env.step({"government": np.zeros(5)})


def test_leader_view_is_deterministic_and_sb3_compatible():
    env = gym.make("MacroLeader-v1", num_households=20, horizon=15)
    obs1, _ = env.reset(seed=9)
    traj1 = [env.step(np.zeros(5, dtype=np.float32))[1] for _ in range(5)]
    obs2, _ = env.reset(seed=9)
    traj2 = [env.step(np.zeros(5, dtype=np.float32))[1] for _ in range(5)]
    np.testing.assert_array_equal(obs1, obs2)
    assert traj1 == traj2
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_checker import check_env

    check_env(gym.make("MacroLeader-v1", num_households=16, horizon=10).unwrapped, warn=True)
    with pytest.raises(ValueError, match="follower_policy"):
        gym.make("MacroLeader-v1", follower_policy="smart")
