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
    code, out, _ = _run(capsys, "eq", "solve", str(path), "--json", "--exact")  # auto: poly for 3 players
    data = json.loads(out)
    assert code == 0 and data["complete"] and data["equilibria"]
    for eq in data["equilibria"]:
        exact = ["--exact"] if eq.get("certificate") != "krawczyk" else []  # pure or exact: "a/b" strings
        profile = json.dumps({"profile": eq["profile"]})
        assert _run(capsys, "eq", "check", str(path), profile, *exact)[0] == 0


def test_poly_human_output_lists_components(capsys, tmp_path):
    path = tmp_path / "sec6.nfg"
    # Nau, Gomez Canovas & Hansen (2004), section 6 (Gambit catalog): a segment of equilibria
    path.write_text(
        'NFG 1 R "sec6" { "1" "2" "3" } { 2 2 4 } "" 2 0 0 0 2 1 0 1 1 1 0 2 1 0 2 0 1 1 0 2 1 2 0 0 1 0 1 0 2 0 '
        "0 1 2 2 0 1 2 0 1 0 1 2 0 2 0 1 0 1\n"
    )
    code, out, _ = _run(capsys, "eq", "solve", str(path), "--exact")
    assert code == 0 and "2 isolated equilibria" in out
    assert "non-isolated [0]: support {1,2} {1,2} {1,2,3,4}, a set of dimension 1" in out
    assert "end point of non-isolated [0]" in out


def test_check_refuses_off_simplex_rows_and_computes_regret_as_given(capsys, tmp_path):
    """Payoffs up to 1e6: a row 9e-7 off the simplex would move a payoff by 0.9, far above the tolerance."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"row": [[1_000_000, 0], [1_000_000.5, 0]], "col": [[1, 0], [0, 1]]}))
    code, _, err = _run(capsys, "eq", "check", str(path), '{"profile": [[1.0000009, 0], [1, 0]]}')
    assert code == 2 and "sums to 1.0000009" in err and err.count("\n") == 1
    code, _, err = _run(capsys, "eq", "check", str(path), '{"profile": [[0.9999991, 0], [1, 0]]}')
    assert code == 2
    # on the simplex: (row 1, col 1) is not an equilibrium, row 2 gains 0.5 = 500 x the tolerance 1e-3
    code, out, _ = _run(capsys, "eq", "check", str(path), '{"profile": [[1, 0], [1, 0]]}', "--json")
    report = json.loads(out)
    assert code == 1 and report["players"][0]["regret"] == pytest.approx(0.5)
    # regret exactly as given: a row 1e-12 off the simplex (within the tolerance) is not rescaled
    code, out, _ = _run(
        capsys, "eq", "check", str(path), '{"profile": [[0.999999999999, 0], [1, 0]]}', "--json"
    )
    assert json.loads(out)["players"][0]["payoff"] == pytest.approx(999999.999999, abs=1e-9)


def test_printed_probabilities_are_never_negative(capsys):
    for game in ("catalog:prisoners_dilemma", "catalog:rock_paper_scissors", "catalog:stag_hunt"):
        for method in ("vertex", "support", "lemke-howson", "qre"):
            code, out, _ = _run(capsys, "eq", "solve", game, "--method", method, "--all", "--json")
            assert code == 0
            for eq in json.loads(out)["equilibria"]:
                assert all(p >= 0 and str(p) != "-0.0" for row in eq["profile"] for p in row)


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


# --- malformed input: exit 2, one stderr line naming the file (and line), under 1 CPU-second and 200 MB ---------
def _header(counts: str, players: int) -> str:
    names = " ".join(f'"{k + 1}"' for k in range(players))
    return f'NFG 1 R "t" {{ {names} }} {{ {counts} }}\n""\n'


BAD_INPUTS = {
    # name: (files to create {name: bytes | "dir" | ("link", target)}, argv, fragments the message must hold)
    "directory named x.nfg": ({"x.nfg": "dir"}, ["solve", "x.nfg"], ["x.nfg: is a directory"]),
    "a file where a directory is expected": (
        {"game.nfg": _header("1", 1).encode() + b"1\n"},
        ["solve", "game.nfg/inner.nfg"],
        ["game.nfg/inner.nfg: a part of this path is a file"],
    ),
    "a directory where the profile file is expected": (
        {"profile.json": "dir"},
        ["check", "catalog:chicken", "profile.json"],
        ["profile.json: is a directory"],
    ),
    "unreadable file (reading fails)": (
        {"unreadable.nfg": ("link", "/proc/self/mem")},
        ["solve", "unreadable.nfg"],
        ["unreadable.nfg: cannot read the game file"],
    ),
    "declared 200000 x 200000 (596 GiB)": (
        {"huge.nfg": _header("200000 200000", 2).encode() + b"1 2 3 4\n"},
        ["solve", "huge.nfg"],
        ["huge.nfg: line 1: the header declares 200000 x 200000 strategies", "596 GiB"],
    ),
    "undecodable bytes": (
        {"bytes.nfg": b'NFG 1 R "t" { "1" } { 1 }\n"\x81\x8d\xff"\n1\n'},
        ["solve", "bytes.nfg"],
        ["bytes.nfg: line 2: byte 0x81 is not UTF-8"],
    ),
    "payoff 1e999999999": (
        {"exp.nfg": _header("2", 1).encode() + b"1\n1e999999999\n"},
        ["solve", "exp.nfg"],
        ["exp.nfg: line 4:", "exponents beyond"],
    ),
    "payoff 1e400": (
        {"big.nfg": _header("2", 1).encode() + b"1e400 1\n"},
        ["solve", "big.nfg"],
        ["big.nfg: line 3:", "out of range"],
    ),
    "strategy count 99999999999999999999": (
        {"count.nfg": _header("99999999999999999999 2", 2).encode() + b"1 2\n"},
        ["solve", "count.nfg"],
        ["count.nfg: line 1: strategy count '99999999999999999999'"],
    ),
    "declared 100000 x 100000": (
        {"square.nfg": _header("100000 100000", 2).encode() + b"1 2\n"},
        ["solve", "square.nfg"],
        ["square.nfg: line 1: the header declares 100000 x 100000"],
    ),
    "declared 2000 x 2000 x 2000": (
        {"cube.nfg": _header("2000 2000 2000", 3).encode() + b"1 2 3\n"},
        ["solve", "cube.nfg"],
        ["cube.nfg: line 1: the header declares 2000 x 2000 x 2000"],
    ),
    "40 two-strategy players": (
        {"forty.nfg": _header(" ".join(["2"] * 40), 40).encode() + b"1 2\n"},
        ["solve", "forty.nfg"],
        ["forty.nfg: line 1: the header declares 40 players with 2 x 2 x ... x 2 strategies"],
    ),
    "declared 10000 x 10000": (
        {"ten.nfg": _header("10000 10000", 2).encode() + b"1 2 3 4\n"},
        ["solve", "ten.nfg"],
        ["ten.nfg: line 1: the header declares 10000 x 10000"],
    ),
    "--eps nan": (
        {},
        ["check", "catalog:chicken", '{"profile": [[1, 0], [0, 1]]}', "--eps", "nan"],
        ["--eps"],
    ),
    "off-simplex profile": (
        {"p.json": b'{"profile": [[1.0000009, 0], [1, 0]]}'},
        ["check", "catalog:chicken", "p.json"],
        ["sums to 1.0000009"],
    ),
}


# Runs the CLI and reports its exit code, CPU seconds and peak RSS.  A small fresh interpreter starts it: a
# child's peak RSS counts the memory it shares with its parent before exec, and pytest's process is large.
_RUNNER = """
import os, subprocess, sys
proc = subprocess.Popen([sys.executable, "-m", "tactica.cli.main", "eq", *sys.argv[1:]], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
proc.returncode = os.waitstatus_to_exitcode(status)
print(proc.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""


def _measured(argv: list[str], cwd) -> tuple[int, str, float, float]:
    """Run the CLI in a child process: exit code, stderr, its CPU seconds and peak memory (MB)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import tactica

    env = dict(os.environ, PYTHONPATH=str(Path(tactica.__file__).resolve().parents[1]))
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, *argv], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    code, cpu, megabytes = done.stdout.split()
    return int(code), done.stderr, float(cpu), float(megabytes)


def _make_files(tmp_path, files: dict) -> None:
    import os

    for name, content in files.items():
        path = tmp_path / name
        if content == "dir":
            path.mkdir()
        elif isinstance(content, tuple):
            os.symlink(content[1], path)
        else:
            path.write_bytes(content)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_malformed_input_exits_2_with_one_line(tmp_path, capsys, monkeypatch, case):
    import sys

    if "/proc" in str(BAD_INPUTS[case][0]) and not sys.platform.startswith("linux"):
        pytest.skip("uses /proc/self/mem")
    files, argv, fragments = BAD_INPUTS[case]
    _make_files(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "eq", *argv)
    assert code == 2 and err.count("\n") == 1 and err.startswith("tactica") and ": error: " in err, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_malformed_input_is_refused_in_under_a_cpu_second_and_200_mb(tmp_path, case):
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("measures the child with os.wait4 and uses /proc")
    files, argv, fragments = BAD_INPUTS[case]
    _make_files(tmp_path, files)
    code, err, cpu, megabytes = _measured(argv, tmp_path)
    assert code == 2 and err.count("\n") == 1 and all(f in err for f in fragments), err
    assert cpu < 1.0, f"{cpu:.2f} CPU-seconds"  # generous: ~0.4 s is interpreter start and imports
    assert megabytes < 200, f"{megabytes:.0f} MB"  # ~47 MB measured


def test_permission_denied_names_the_file(tmp_path, capsys):
    import os

    path = tmp_path / "locked.nfg"
    path.write_text(_header("1", 1) + "1\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: permissions do not stop reading")
    code, _, err = _run(capsys, "eq", "solve", str(path))
    assert code == 2 and "locked.nfg: permission denied" in err and err.count("\n") == 1


def test_latin1_title_is_read(tmp_path, capsys):
    path = tmp_path / "latin.nfg"
    path.write_bytes('NFG 1 R "Caf\xe9" { "1" "2" } { 1 1 }\n""\n1 2\n'.encode("latin-1"))
    code, out, _ = _run(capsys, "eq", "solve", str(path))
    assert code == 0 and "Café" in out
