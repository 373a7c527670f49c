"""``tactica eq solve|check``: output formats, exit codes, and check accepting what solve returns."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactica.cli.main import main

GAMES = ["catalog:battle_of_the_sexes", "catalog:chicken", "catalog:rock_paper_scissors", "catalog:shapley"]


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("game", GAMES)
@pytest.mark.parametrize("method", ["vertex", "support", "lemke-howson", "qre"])
def test_check_accepts_every_solved_equilibrium_and_rejects_perturbed_ones(capsys, game, method):
    code, out, _ = _run(capsys, "eq", "solve", game, "--method", method, "--all", "--json")
    assert code == 0
    equilibria = json.loads(out)["equilibria"]
    assert equilibria and all(set(eq) == {"profile", "payoffs"} for eq in equilibria)
    for eq in equilibria:
        code, out, _ = _run(capsys, "eq", "check", game, json.dumps({"profile": eq["profile"]}), "--json")
        report = json.loads(out)
        assert code == 0 and report["is_equilibrium"], (method, eq)
        assert set(report) >= {"epsilon", "nash_conv", "players", "is_equilibrium"}
        assert set(report["players"][0]) >= {"payoff", "best_response_payoff", "regret"}
        # move 0.01 of probability between the first two strategies of player 1
        perturbed = [list(map(float, row)) for row in eq["profile"]]
        shift = 0.01 if perturbed[0][0] >= 0.01 else -0.01
        perturbed[0][0] -= shift
        perturbed[0][1] += shift
        code, out, _ = _run(capsys, "eq", "check", game, json.dumps({"profile": perturbed}), "--json")
        assert code == 1 and not json.loads(out)["is_equilibrium"]


def test_exact_solve_and_exact_check(capsys, tmp_path):
    code, out, _ = _run(capsys, "eq", "solve", "catalog:chicken", "--exact", "--json")
    data = json.loads(out)
    assert ["1/3", "2/3"] in [eq["profile"][0] for eq in data["equilibria"]]
    path = tmp_path / "eqs.json"
    path.write_text(out)
    code, out, _ = _run(capsys, "eq", "check", "catalog:chicken", str(path), "--exact", "--json")
    assert code == 0 and json.loads(out)["is_equilibrium"]
    # 0.3333 is not 1/3: exact check fails even though the float regret is tiny
    code, out, _ = _run(
        capsys, "eq", "check", "catalog:chicken", '{"profile": [[0.3333, 0.6667], ["1/3", "2/3"]]}', "--exact"
    )
    assert code == 1 and "is NOT" in out


def test_human_output_and_eps(capsys):
    code, out, _ = _run(capsys, "eq", "solve", "catalog:battle_of_the_sexes", "--exact")
    assert code == 0 and "3 equilibria" in out and "[3/5, 2/5]" in out
    uniform = '{"profile": [[0.5, 0.5], [0.5, 0.5]]}'
    code, out, _ = _run(capsys, "eq", "check", "catalog:battle_of_the_sexes", uniform)
    assert code == 1 and "regret" in out and "0.25" in out
    code, _, _ = _run(capsys, "eq", "check", "catalog:battle_of_the_sexes", uniform, "--eps", "0.25")
    assert code == 0


def test_correlated_solve_and_check(capsys):
    code, out, _ = _run(capsys, "eq", "solve", "catalog:chicken", "--method", "ce", "--json")
    ce = json.loads(out)["equilibria"][0]
    assert ce["payoffs"] == pytest.approx([5.25, 5.25])
    code, out, _ = _run(capsys, "eq", "check", "catalog:chicken", json.dumps(ce), "--json")
    assert code == 0 and json.loads(out)["kind"] == "ce"
    bad = dict(ce, distribution=[[0.5, 0.0], [0.0, 0.5]])  # (D,D) recommended half the time: not a CE
    code, _, _ = _run(capsys, "eq", "check", "catalog:chicken", json.dumps(bad))
    assert code == 1


def test_three_player_game_from_file(capsys, tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"payoffs": rng.integers(0, 9, (3, 2, 2, 2)).tolist()}))
    code, out, _ = _run(capsys, "eq", "solve", str(path), "--json")
    assert code == 0
    for eq in json.loads(out)["equilibria"]:
        assert _run(capsys, "eq", "check", str(path), json.dumps(eq), "--exact")[0] == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eq", "solve", "missing.nfg"], "not found"),
        (["eq", "solve", "catalog:no_such_game"], "unknown"),
        (["eq", "check", "catalog:chicken", '{"profile": [[1, 0, 0], [1, 0]]}'], "must have 2 probabilities"),
        (["eq", "check", "catalog:chicken", '{"profile": [[0.7, 0.7], [1, 0]]}'], "sums to 1.4"),
        (["eq", "check", "catalog:chicken", "{not json"], "invalid JSON"),
        (["eq", "solve", "catalog:stag_hunt", "--method", "lp"], "constant-sum"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_malformed_nfg_and_degenerate_game(capsys, tmp_path):
    bad = tmp_path / "bad.nfg"
    bad.write_text('NFG 1 R "t" { "a" "b" } { 2 2 }\n""\n1 2 3\n4 oops\n')
    code, _, err = _run(capsys, "eq", "solve", str(bad))
    assert code == 2 and "line 4" in err and "expected payoff" in err
    degenerate = tmp_path / "degenerate.json"
    degenerate.write_text('{"row": [[1, 1], [0, 2]], "col": [[1, 1], [2, 0]]}')
    code, _, err = _run(capsys, "eq", "solve", str(degenerate), "--method", "support")
    assert code == 2 and "degenerate" in err and err.count("\n") == 1
    assert _run(capsys, "eq", "solve", str(degenerate), "--method", "vertex")[0] == 0
