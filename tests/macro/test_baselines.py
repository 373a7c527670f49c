"""Government baselines and rule-based households against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

import tactica
import tactica.agents
from tactica.baselines.macro import (
    BracketGovernment,
    FiscalRule,
    FreeMarket,
    RuleHouseholds,
    SaezGovernment,
    saez_rates,
)
from tactica.baselines.macro.households import decisions_to_action
from tactica.baselines.macro.rollout import run_episode
from tactica.envs.macro import Calibration
from tactica.envs.macro.economy import household_decisions, policy_from_action
from tactica.envs.macro.observation import public_feature_names, public_index

CAL = Calibration()


def _env(**kwargs):
    return tactica.make_parallel("MacroSMFG-v1", **kwargs)


def test_free_market_sets_every_instrument_to_zero():
    for mode in ("hsv", "brackets"):
        env = _env(num_households=10, income_tax=mode)
        agent = tactica.agents.make("macro-free-market", action_space=env.action_space("government"))
        policy = policy_from_action(agent.act(np.zeros(env.observation_space("government").shape)), CAL, mode)
        assert policy.tau[0] == policy.xi[0] == policy.wealth_tau[0] == policy.spending[0] == 0.0
        if mode == "brackets":
            assert np.all(policy.bracket_rates == 0.0)


def test_bracket_government_applies_the_2022_us_rates():
    env = _env(num_households=10, income_tax="brackets")
    obs, _ = env.reset(seed=0)
    agent = BracketGovernment(env.action_space("government"))
    policy = policy_from_action(agent.act(obs["government"]), CAL, "brackets")
    np.testing.assert_allclose(policy.bracket_rates[0], [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37], atol=1e-6)
    np.testing.assert_allclose(policy.spending[0], 0.189, atol=1e-6)  # first year: calibrated share
    with pytest.raises(ValueError, match="income_tax='brackets'"):
        BracketGovernment(_env(num_households=10).action_space("government"))


def test_fiscal_rule_services_debt_and_caps_at_the_calibrated_share():
    rule = FiscalRule(CAL)
    public = np.zeros(len(public_feature_names(5)))
    public[public_index("year_fraction")] = 0.1
    public[public_index("tax_revenue_to_output")] = 0.15
    public[public_index("debt_to_output")] = 1.2129 + 0.5
    public[public_index("interest_rate")] = 0.04
    # 0.15 - 0.04 * 1.7129 - 0.1 * 0.5 = 0.031484
    assert rule(public, 5) == pytest.approx(0.15 - 0.04 * 1.7129 - 0.05)
    public[public_index("tax_revenue_to_output")] = 0.5
    assert rule(public, 5) == pytest.approx(0.189)


def test_saez_rates_by_hand_and_shape():
    # Two-point check of tau = (1 - G) / (1 - G + a e): at z = 0 everyone is above, G = 1 and the rate is 0.
    quantiles = np.array([0.2, 0.4, 0.8, 1.3, 2.0, 6.0])
    rates = saez_rates(quantiles, np.array([0.0, 1.0, 5.0]), 0.25)
    assert rates[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all((rates[1:] > 0.0) & (rates[1:] < 0.9))
    # Far above the data the rate is the Pareto-tail limit with G ~ 0: 1 / (1 + alpha e), alpha = ln 10 / ln 3.
    top = saez_rates(quantiles, np.array([1e6]), 0.25)[0]
    alpha = np.log(10) / np.log(3)
    assert top == pytest.approx(1 / (1 + alpha * 0.25), rel=1e-6)


def test_rule_households_respond_to_wealth_and_stay_in_the_action_space():
    env = _env(num_households=200)
    obs, _ = env.reset(seed=1)
    agent = tactica.agents.make("macro-rule-households", action_space=env.action_space("households"))
    action = agent.act(obs["households"])
    assert env.action_space("households").contains(action)
    savings, hours = household_decisions(action, CAL)
    wealth = obs["households"]["private"][:, 0]
    rich, poor = wealth > np.quantile(wealth, 0.9), wealth < np.quantile(wealth, 0.1)
    assert hours[rich].mean() < hours[poor].mean()  # the wealth effect on labour supply
    np.testing.assert_allclose(
        household_decisions(decisions_to_action(savings, hours, CAL), CAL), (savings, hours), atol=1e-6
    )


def test_baselines_survive_the_horizon_with_rule_households():
    for mode, government in (
        ("hsv", FreeMarket),
        ("brackets", BracketGovernment),
        ("brackets", SaezGovernment),
    ):
        env = _env(num_households=40, horizon=60, income_tax=mode)
        summary = run_episode(
            env,
            government(env.action_space("government")),
            RuleHouseholds(env.action_space("households")),
            seed=3,
        )
        assert summary["years"] == 60 and summary["termination_reason"] == ""
        assert 0.0 < summary["income_gini"] < 1.0 and 0.0 < summary["wealth_gini"] < 1.0
        assert summary["government_objective"] == pytest.approx(60 * summary["social_welfare"])
