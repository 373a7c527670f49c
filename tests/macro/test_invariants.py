"""Invariants of the macroeconomy in every interest and tax mode: households never hold negative assets (they
cannot borrow), the Ginis stay in [0, 1], and the books balance, whatever the government and households do."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.macro import Calibration, Economy, Policy
from tactica.envs.macro.env import MacroSMFGEnv

MODES = [(i, t) for i in ("market", "fixed") for t in ("hsv", "brackets")]


@pytest.mark.parametrize("interest,income_tax", MODES)
def test_1000_random_steps_keep_assets_non_negative_and_ginis_in_the_unit_interval(interest, income_tax):
    env = MacroSMFGEnv(num_households=100, interest=interest, income_tax=income_tax)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    gini_index = [env.public_features.index(k) for k in ("income_gini", "wealth_gini")]
    for _ in range(1000):
        actions = {
            "government": rng.uniform(-1.0, 1.0, env.policy_dim),
            "households": rng.uniform(-1.0, 1.0, (100, 2)),
        }
        obs, _, _, _, infos = env.step(actions)
        assert env.economy.assets.min() >= 0.0
        info = infos["government"]
        assert 0.0 <= info["income_gini"] <= 1.0 and 0.0 <= info["wealth_gini"] <= 1.0
        assert np.all((obs["government"][gini_index] >= 0.0) & (obs["government"][gini_index] <= 1.0))
        result = env.last_result
        np.testing.assert_allclose(
            result.output, result.consumption + result.investment + result.spending, rtol=1e-9, atol=1e-9
        )
        if not env.agents:
            env.reset()


def test_surpluses_under_a_fixed_rate_no_longer_wipe_out_households():
    # maximum taxes and no spending: the government pays off its debt and then owns capital.  The asset return
    # used to fall below -100 % (the households bore the loss on the government's capital too): negative assets,
    # an income Gini of 5.5 and a wealth Gini of 52 by year 19.  Now the government bears its own share.
    env = MacroSMFGEnv(num_households=100, interest="fixed")
    env.reset(seed=0)
    actions = {
        "government": np.array([1.0, 1.0, 1.0, 1.0, -1.0]),
        "households": np.tile([0.8, -0.4], (100, 1)),
    }
    owned_capital = False
    for _ in range(60):
        _, _, _, _, infos = env.step(actions)
        info = infos["government"]
        assert env.economy.assets.min() >= 0.0
        assert 0.0 <= info["income_gini"] <= 1.0 and 0.0 <= info["wealth_gini"] <= 1.0
        owned_capital |= info["debt_to_gdp"] < 0
        if not env.agents:
            break
    assert owned_capital and info["termination_reason"] == ""


def test_when_the_government_owns_capital_it_earns_the_return_on_capital():
    cal = Calibration()
    economy = Economy(50, 1, cal, interest="fixed")
    rng = np.random.default_rng(1)
    economy.reset(rng)
    economy.debt[:] = -0.2 * economy.assets.sum()  # a government holding a fifth of the households' wealth
    result = economy.step(Policy.constant(), 0.9, 0.3, rng)
    capital_rate = cal.capital_share * result.output / result.capital - cal.depreciation
    np.testing.assert_allclose(result.interest, capital_rate)  # the government's "debt" earns r_K
    asset_income = result.household_income.sum() - result.wage * result.labour
    np.testing.assert_allclose(
        asset_income, capital_rate * result.assets
    )  # households earn r_K on their wealth
    # while it owes, it pays the fixed rate
    economy.reset(rng)
    assert economy.step(Policy.constant(), 0.9, 0.3, rng).interest[0] == cal.fixed_interest_rate


def test_a_household_never_pays_more_tax_than_it_has():
    # a confiscatory, progressive wealth tax in a year of negative returns on assets (depreciation 0.9): the
    # richest household, not working, would owe nearly all its wealth while its assets also lose money; the tax is
    # capped at its cash on hand, so it keeps zero, not less
    economy = Economy(20, 1, Calibration(depreciation=0.9))
    rng = np.random.default_rng(2)
    economy.reset(rng)
    economy.assets[0, :] = 1.0
    economy.assets[0, 0] = 1e4
    hours = np.full((1, 20), 0.3)
    hours[0, 0] = 0.0
    before = economy.assets.copy()
    result = economy.step(Policy.constant(wealth_tau=0.5, wealth_xi=0.9), 0.5, hours, rng)
    assert result.household_income[0, 0] < 0  # the rich household's assets lost money this year
    assert economy.assets.min() >= 0.0 and economy.assets[0, 0] == 0.0
    uncapped = before[0, 0] - 0.5 * before[0].mean() ** 0.9 * before[0, 0] ** 0.1
    assert (
        before[0, 0] + result.household_income[0, 0] - uncapped < 0
    )  # uncapped, it would have gone negative
