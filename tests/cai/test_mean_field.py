"""Mean-field control as inference: the LQ closed form, crowd modelling, CAI against FP and OMD, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tactica.agents.cai.mean_field import (
    cai_fixed_point,
    linear_quadratic,
    linear_quadratic_closed_form,
    mean_field_game,
    online_mirror_descent,
    policy_q_values,
    population_mean,
    soft_backward_induction,
    solve_mean_field,
)
from tactica.cli.main import main
from tactica.equilibria.mean_field import (
    crowd_modelling,
    exploitability,
    policy_value,
    population_flow,
    uniform_policy,
)


def test_riccati_closed_form_by_hand():
    """One step by hand: P_H = c_T = 1, k = (q + 1) / (c + 1) = 0.505, P = kappa + 1 - 1.01^2 / 2."""
    solution = linear_quadratic_closed_form(3.0, 4.0, horizon=1, sigma=1.0)
    assert solution.gain[0] == pytest.approx(0.505)
    assert solution.riccati[0] == pytest.approx(0.5 + 1 - 1.01**2 / 2)
    assert solution.variance.tolist() == pytest.approx([4.0, (1 - 0.505) ** 2 * 4 + 1])
    assert solution.mean.tolist() == [3.0, 3.0]


def test_soft_backward_induction_tends_to_the_best_response_and_bounds_the_gap():
    game = crowd_modelling()
    flow = population_flow(game, uniform_policy(game))
    for alpha in (1.0, 0.1, 0.01):
        policy, soft_values = soft_backward_induction(game, flow, alpha)
        # the soft value exceeds the value of its policy by at most alpha * H * log|A| (the entropy bonus)
        value = policy_value(game, policy, flow)
        assert np.all(soft_values >= value - 1e-9)
        assert np.all(soft_values - value <= alpha * game.horizon * math.log(3) + 1e-9)
    with pytest.raises(ValueError, match="alpha"):
        soft_backward_induction(game, flow, 0.0)


def test_policy_q_values_average_to_the_policy_value():
    game = crowd_modelling()
    policy = uniform_policy(game)
    flow = population_flow(game, policy)
    q = policy_q_values(game, policy, flow)
    assert (policy[0] * q[0]).sum(axis=1) == pytest.approx(policy_value(game, policy))


def test_lq_cai_reaches_exploitability_below_1e3_and_keeps_the_mean():
    """Annealed CAI (alpha 1 -> 0.001) on the LQ game: NashConv < 1e-3, population mean constant at 20."""
    game = linear_quadratic()
    result = cai_fixed_point(game, 0.001, 100, initial_alpha=1.0)
    assert result.exploitability < 1e-3
    assert result.exploitability == pytest.approx(exploitability(game, result.policy).nash_conv)
    closed = linear_quadratic_closed_form(20.0, 4.0)
    assert population_mean(result.flow)[:-1] == pytest.approx(closed.mean, abs=1e-9)
    # the equilibrium move is close to the Riccati feedback a = k_0 (m - x) (integer moves: within 1/2 + slack)
    moves = np.arange(-3, 4)
    mean_move = result.policy[0] @ moves
    for x in range(16, 25):
        assert abs(mean_move[x] - closed.gain[0] * (20 - x)) <= 0.6


def test_lq_mean_converges_to_the_closed_form_as_the_grid_refines():
    """Asymmetric mu_0: integer moves bias the mean by O(spacing); it shrinks as the grid refines."""
    deviations = []
    for spacing, size, max_move in ((1.0, 41, 3), (0.5, 81, 6)):
        positions = spacing * np.arange(size)
        left, right = (np.exp(-((positions - c) ** 2) / (2 * v)) for c, v in ((17, 2), (24, 1)))
        mu0 = 0.7 * left / left.sum() + 0.3 * right / right.sum()
        game = linear_quadratic(size=size, max_move=max_move, spacing=spacing, initial_distribution=mu0)
        result = cai_fixed_point(game, 0.001, 60, initial_alpha=1.0)
        assert result.exploitability < 1e-3
        mean = population_mean(result.flow, positions)
        assert mean[0] == pytest.approx(19.1)
        deviations.append(np.abs(mean - mean[0]).max())
    assert deviations[1] < deviations[0] / 2
    assert deviations[1] < 0.2


def _openspiel_style_uniform_nash_conv(
    size: int = 10, horizon: int = 10, *, cache_ignores_last_move: bool
) -> float:
    """NashConv of the uniform policy by a tree walk over OpenSpiel's node sequence (decision, mean field, chance).

    OpenSpiel's ``PolicyValue``/``BestResponse`` cache node values by observation string, which for
    ``python_mfg_crowd_modelling`` is ``(x, t)`` and leaves out the last move, although the move cost is charged
    at the next decision; the value stored for a node is that of the first path the depth-first walk took to
    it.  ``cache_ignores_last_move`` reproduces that.  Under the uniform policy every ``mu_t`` is uniform.
    """
    moves = (-1, 0, 1)
    half = size // 2

    def walk(best: bool) -> float:
        cache: dict[tuple, float] = {}

        def decision(x: int, t: int, last: int) -> float:
            key = (x, t) if cache_ignores_last_move else (x, t, last)
            if key not in cache:
                if t >= horizon:
                    cache[key] = 0.0  # the value the reference gets at terminal nodes
                else:
                    reward = 1 - abs(x - half) / half - abs(moves[last]) / size - math.log(1 / size)
                    children = [noise((x + moves[a]) % size, t, a) for a in range(3)]
                    cache[key] = reward + (max(children) if best else sum(children) / 3)
            return cache[key]

        def noise(x: int, t: int, last: int) -> float:
            key = (x, t, "chance") if cache_ignores_last_move else (x, t, "chance", last)
            if key not in cache:
                cache[key] = sum(decision((x + n) % size, t + 1, last) for n in moves) / 3
            return cache[key]

        return sum(decision(x, 0, 1) for x in range(size)) / size

    return walk(True) - walk(False)


def test_crowd_modelling_uniform_nash_conv_against_openspiel():
    """OpenSpiel's test value 2.8135365543870385 is reproduced by its cached tree walk; the exact value is 2.78668.

    The equilibria package's crowd modelling (last move charged at the next decision, the last move free, no
    terminal reward) equals the same tree walk with the last move kept in the cache key, i.e. OpenSpiel's game
    without its caching artefact.
    """
    assert _openspiel_style_uniform_nash_conv(cache_ignores_last_move=True) == pytest.approx(
        2.8135365543870385, abs=1e-12
    )
    exact = _openspiel_style_uniform_nash_conv(cache_ignores_last_move=False)
    game = crowd_modelling()
    assert exploitability(game, uniform_policy(game)).nash_conv == pytest.approx(exact, abs=1e-10)
    assert exact == pytest.approx(2.7866824162983, abs=1e-10)


def test_cai_fp_and_omd_all_decrease_exploitability_on_crowd_modelling():
    game = crowd_modelling()
    uniform = exploitability(game, uniform_policy(game)).nash_conv
    results = {
        "cai": solve_mean_field(game, "cai", iterations=30, alpha=0.1),
        "fp": solve_mean_field(game, "fp", iterations=30),
        "omd": solve_mean_field(game, "omd", iterations=30, learning_rate=1.0),
    }
    for method, result in results.items():
        assert result.exploitability < uniform / 2, method
        assert result.exploitability == pytest.approx(exploitability(game, result.policy).nash_conv)
    # CAI at temperature alpha: within the bound alpha * H * log|A|, and lower temperature gives lower NashConv
    assert results["cai"].exploitability <= 0.1 * game.horizon * math.log(3)
    warmer = cai_fixed_point(game, 1.0, 30)
    assert results["cai"].exploitability < warmer.exploitability
    # OMD's exploitability decreases along its run
    assert results["omd"].history[-1] < results["omd"].history[0]


def test_omd_step_matches_a_softmax_of_q():
    game = crowd_modelling()
    result = online_mirror_descent(game, iterations=1, learning_rate=0.5)
    policy = uniform_policy(game)
    q = policy_q_values(game, policy, population_flow(game, policy))
    expected = np.exp(0.5 * q) / np.exp(0.5 * q).sum(axis=-1, keepdims=True)
    assert result.policy == pytest.approx(expected)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown mean-field game"):
        mean_field_game("nope")
    with pytest.raises(ValueError, match="concave"):
        linear_quadratic(cross_q=2.0)
    with pytest.raises(ValueError, match="method"):
        solve_mean_field(crowd_modelling(), "bogus")
    with pytest.raises(ValueError, match="damping"):
        cai_fixed_point(crowd_modelling(), 0.1, 2, damping=0.0)


def test_cli_mfg(tmp_path, capsys):
    out = tmp_path / "policy.json"
    argv = ["cai", "mfg", "linear_quadratic", "--opt", "horizon=4", "--temperature", "0.001"]
    argv += ["--initial-temperature", "1", "--iterations", "40", "--json", "--out", str(out)]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["epsilon"] < 1e-3 and summary["bound"] > summary["epsilon"]
    assert summary["population_mean_cell"] == pytest.approx([20.0] * 6)
    assert np.asarray(json.loads(out.read_text())["time_indexed_policy"]).shape == (5, 41, 7)
    assert main(["cai", "mfg", "crowd_modelling", "--method", "fp", "--iterations", "5"]) == 0
    assert main(["cai", "mfg", "crowd_modelling", "--iterations", "0"]) == 2
    assert main(["cai", "mfg", "crowd_modelling", "--opt", "bogus=1"]) == 2
