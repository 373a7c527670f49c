"""The macroeconomy's books, taxes and processes against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.macro import Calibration, Economy, Policy, gini
from tactica.envs.macro.economy import action_from_policy, household_decisions, policy_from_action

CAL = Calibration()


def _run(economy: Economy, years: int, seed: int, policy_draw: str = "random"):
    """Yield StepResults of ``economy`` under random (but sane) household choices and policies."""
    rng = np.random.default_rng(seed)
    economy.reset(rng)
    b, n = economy.num_economies, economy.num_households
    for _ in range(years):
        if economy.income_tax == "brackets":
            rates = rng.uniform(0.0, 0.5, (b, len(CAL.income_brackets.rates)))
            policy = Policy(
                np.zeros(b),
                np.zeros(b),
                rng.uniform(0, 0.03, b),
                rng.uniform(0, 0.3, b),
                rng.uniform(0, 0.3, b),
                rates,
            )
        else:
            policy = Policy(
                *(rng.uniform(lo, hi, b) for lo, hi in ((0, 0.4), (0, 0.3), (0, 0.03), (0, 0.3), (0, 0.3)))
            )
        savings = rng.uniform(0.8, 0.95, (b, n))
        hours = rng.uniform(0.1, 0.6, (b, n))
        result = economy.step(policy, savings, hours, rng)
        yield result
        if result.status.any():  # a finished economy must be reset before it is stepped again
            return


@pytest.mark.parametrize("interest", ["market", "fixed"])
@pytest.mark.parametrize("income_tax", ["hsv", "brackets"])
def test_output_equals_consumption_plus_investment_plus_spending(interest, income_tax):
    economy = Economy(200, 3, interest=interest, income_tax=income_tax)
    for result in _run(economy, 60, seed=1):
        assert not np.any(result.status == 2)  # the books hold exactly even on a path that ends in a crisis
        np.testing.assert_allclose(
            result.output, result.consumption + result.investment + result.spending, rtol=1e-10, atol=1e-9
        )
        # Investment is the change in capital plus depreciation, by definition of the capital stock.
        np.testing.assert_allclose(
            result.investment, result.next_capital - (1 - CAL.depreciation) * result.capital
        )


@pytest.mark.parametrize("income_tax", ["hsv", "brackets"])
def test_government_budget_identity(income_tax):
    economy = Economy(150, 2, income_tax=income_tax)
    for result in _run(economy, 40, seed=2):
        deficit = result.interest * result.debt + result.spending - result.tax_revenue
        np.testing.assert_allclose(result.next_debt - result.debt, deficit, rtol=1e-10, atol=1e-9)
        assert np.all(result.tax_revenue == result.income_tax + result.wealth_tax + result.consumption_tax)


def test_capital_equals_assets_less_debt():
    economy = Economy(120, 2)
    for result in _run(economy, 30, seed=3):
        np.testing.assert_allclose(result.capital, result.assets - result.debt)
        np.testing.assert_allclose(result.next_capital, result.next_assets - result.next_debt)
        np.testing.assert_allclose(economy.capital, economy.assets.sum(axis=1) - economy.debt)
        np.testing.assert_allclose(economy.capital, result.next_capital)


def test_factor_payments_exhaust_output_in_the_market_mode():
    # Cobb-Douglas with marginal-product prices: W L + (r + delta) K = Y.
    economy = Economy(100, 2)
    for result in _run(economy, 10, seed=4):
        np.testing.assert_allclose(
            result.wage * result.labour + (result.interest + CAL.depreciation) * result.capital, result.output
        )


def test_household_income_is_output_less_depreciation_plus_interest_on_debt_in_both_modes():
    for interest in ("market", "fixed"):
        economy = Economy(100, 2, interest=interest)
        for result in _run(economy, 5, seed=9):
            np.testing.assert_allclose(
                result.household_income.sum(axis=1),
                result.output - CAL.depreciation * result.capital + result.interest * result.debt,
            )


def test_same_seed_same_economy_and_different_seed_differs():
    a, b, c = (Economy(300, 2) for _ in range(3))
    runs = [list(_run(e, 25, seed)) for e, seed in ((a, 7), (b, 7), (c, 8))]
    for ra, rb in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(ra.output, rb.output)
        np.testing.assert_array_equal(ra.household_consumption, rb.household_consumption)
    np.testing.assert_array_equal(a.assets, b.assets)
    np.testing.assert_array_equal(a.superstar, b.superstar)
    assert not np.array_equal(a.assets, c.assets)


def test_initial_state_matches_the_calibration():
    economy = Economy(1000, 2)
    economy.reset(np.random.default_rng(0))
    np.testing.assert_allclose(economy.debt, 1000 * 1.2129)
    np.testing.assert_allclose(economy.capital, 1000 * (1 / 3) / (0.04 + 0.06))
    assert np.all(economy.year == 0)


def test_productivity_is_normalised_to_mean_one():
    economy = Economy(200_000, 1)
    economy.reset(np.random.default_rng(5))
    normal = ~economy.superstar
    assert abs(economy.productivity[normal].mean() - 1.0) < 0.03


def test_superstars_earn_the_multiple_of_the_normal_mean():
    cal = CAL.replace(superstar_entry=0.3, superstar_persistence=0.5)  # stationary share 0.3 / 0.8
    economy = Economy(2000, 1, cal)
    rng = np.random.default_rng(6)
    economy.reset(rng)
    economy.step(Policy.constant(), 0.9, 0.3, rng)
    stars = economy.superstar[0]
    assert 0.34 < stars.mean() < 0.41
    e = economy.productivity[0]
    normal_mean = np.exp(economy.log_productivity[0][~stars]).mean()
    np.testing.assert_allclose(e[stars], 504.3 * normal_mean)


def test_hsv_tax_is_tau_at_the_mean_and_proportional_without_progressivity():
    economy = Economy(4, 1)
    economy.reset(np.random.default_rng(0))
    income = np.array([[0.5, 2.5, 3.0, 6.0]])  # mean 3
    flat = economy._income_tax(income, Policy.constant(tau=0.25))
    np.testing.assert_allclose(flat, 0.25 * income)
    prog = economy._income_tax(income, Policy.constant(tau=0.25, xi=0.2))
    np.testing.assert_allclose(prog[0, 2], 0.25 * 3.0)  # the household at the mean pays tau
    np.testing.assert_allclose(prog[0, 3], 6.0 - 0.75 * 3.0**0.2 * 6.0**0.8)
    # Below 3 * 0.75^(1/0.2) = 0.71 a progressive HSV schedule pays a transfer.
    np.testing.assert_allclose(prog[0, 0], 0.5 - 0.75 * 3.0**0.2 * 0.5**0.8)
    assert prog[0, 0] < 0


def test_us_federal_2022_bracket_tax_by_hand():
    economy = Economy(2, 1, income_tax="brackets")
    usd = CAL.gdp_per_capita_usd
    # Taxable 50,000 USD: 10 % of 10,275 + 12 % of 31,500 + 22 % of 8,225 = 6,617 USD, less DSMFG's non-refundable
    # credit of 559.98 = 6,057.02 USD.  Taxable 3,000 USD: 300 USD, all of it cancelled by the credit (not below 0).
    income = np.array([[(50_000 + 12_950) / usd, (3_000 + 12_950) / usd]])
    tax = economy._income_tax(income, Policy.calibrated(CAL, income_tax="brackets"))
    np.testing.assert_allclose(tax[0] * usd, [6_057.02, 0.0])
    no_credit = CAL.replace(income_brackets={**vars(CAL.income_brackets), "credit_usd": 0.0})
    plain = Economy(2, 1, no_credit, income_tax="brackets")._income_tax(
        income, Policy.calibrated(no_credit, income_tax="brackets")
    )
    np.testing.assert_allclose(plain[0] * usd, [6_617.0, 300.0])


def test_gini_known_values():
    np.testing.assert_allclose(gini(np.array([1.0, 1.0, 1.0, 1.0])), 0.0, atol=1e-15)
    np.testing.assert_allclose(gini(np.array([0.0, 0.0, 0.0, 1.0])), 0.75)
    np.testing.assert_allclose(gini(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])), [2.0 / 9.0, 0.0])


def test_termination_reasons():
    rng = np.random.default_rng(0)
    economy = Economy(100, 1)
    economy.reset(rng)
    # Consuming everything leaves no assets to back the debt: capital turns negative.
    assert economy.step(Policy.constant(), 0.0, 0.3, rng).status[0] == 1
    economy.reset(rng)
    for _ in range(300):
        status = economy.step(Policy.constant(spending=0.4), 0.9, 0.3, rng).status[0]
        if status:
            break
    assert status == 3  # spending 40 % of output with no taxes: a debt crisis
    tight = Economy(100, 1, CAL.replace(max_wealth_gini=0.2))
    tight.reset(rng)
    assert tight.step(Policy.constant(), 0.9, 0.3, rng).status[0] == 4


def test_action_mappings_round_trip():
    action = np.array([[-1.0, 0.0, 1.0, 0.5, -0.5]])
    policy = policy_from_action(action, CAL)
    np.testing.assert_allclose([policy.tau[0], policy.wealth_tau[0], policy.spending[0]], [0.0, 0.06, 0.1])
    np.testing.assert_allclose(action_from_policy(policy, CAL), action)
    savings, hours = household_decisions(np.array([[-1.0, -1.0], [1.0, 1.0]]), CAL)
    np.testing.assert_allclose(savings, [0.0, 0.99])
    np.testing.assert_allclose(hours, [0.0, 1.0])
    with pytest.raises(ValueError, match="5 entries"):
        policy_from_action(np.zeros(4), CAL)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="num_households"):
        Economy(1)
    with pytest.raises(ValueError, match="interest"):
        Economy(10, interest="bank")
    with pytest.raises(ValueError, match="income_tax"):
        Economy(10, income_tax="flat")
    with pytest.raises(ValueError, match="unknown calibration field"):
        CAL.replace(alpha=0.3)
    with pytest.raises(ValueError, match="capital_share"):
        Calibration(capital_share=1.5)


def test_inequality_check_uses_the_exact_gini_up_to_4096_households_and_a_sample_beyond():
    small, large = Economy(1000, 2), Economy(40_000, 1)
    for economy in (small, large):
        economy.reset(np.random.default_rng(3))
    np.testing.assert_allclose(small._gini(small.assets), gini(small.assets))
    assert abs(large._gini(large.assets)[0] - gini(large.assets)[0]) < 0.03


def test_gini_bound_never_spares_a_sort_that_would_terminate():
    # The inequality check skips the sort when an upper bound proves the Gini below the limit: the bound must
    # hold for heavy tails, a few huge holders (super-stars), mass points and limits at the Gini itself.
    rng = np.random.default_rng(5)
    spared = 0
    for n in (2, 10, 1000, 5000):
        economy = Economy(n, 3)
        for trial in range(200):
            kind = trial % 4
            if kind == 0:
                x = np.exp(rng.normal(0.0, rng.uniform(0.1, 6.0), (3, n)))
            elif kind == 1:
                x = rng.pareto(rng.uniform(0.05, 3.0), (3, n))
            elif kind == 2:
                x = np.exp(rng.normal(0.0, 1.0, (3, n)))
                x[:, rng.integers(0, n, 3)] *= 10.0 ** rng.uniform(0.0, 6.0)
            else:
                x = np.zeros((3, n))
                x[:, rng.integers(0, n, max(1, n // 50))] = rng.uniform(0.0, 1.0)
                x += rng.uniform(0.0, 1e-3) * rng.random((3, n))
            exact = economy._gini(x)
            for limit in (0.99, 0.5, float(exact[0]) - 1e-7, float(exact[0]) + 2e-9):
                may = [economy._gini_may_exceed(x, row, limit) for row in range(3)]
                spared += not all(may)
                assert all(may[row] for row in range(3) if exact[row] > limit)
                if (exact > limit).any():
                    assert economy._gini_bound_fails(x, np.ones(3, dtype=bool), limit)
    assert spared > 100  # the bound does spare sorts
    x = np.ones((3, 10))
    x[1, 0] = -1.0
    x[2, 0] = np.nan
    economy = Economy(10, 3)
    assert economy._gini_may_exceed(x, 1, 0.99) and economy._gini_may_exceed(x, 2, 0.99)
    assert not economy._gini_may_exceed(x, 0, 0.99)
