"""Bad input on the command line: exit 2 and one line on stderr, never a traceback or a usage block.

The table holds every bad input a user has been seen to type; the sweep below sends the values no number option
accepts to every number option of every command, so a new option cannot forget its check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tactica.cli.main import build_parser, main


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A working folder with the kinds of wrong paths users pass: a folder, binary junk, a JSON file."""
    monkeypatch.chdir(tmp_path)
    Path("folder").mkdir()
    Path("folder.sqlite").mkdir()
    Path("junk.bin").write_bytes(b"\xff\xfe\x00\x81 not text, not sqlite, not torch")
    Path("plain.json").write_text("{}\n")
    Path("game.nfg").mkdir()
    # a header declaring 200000 x 200000 outcomes (596 GiB of payoffs) and no payoffs
    Path("huge.nfg").write_text('NFG 1 R "huge" { "1" "2" } { 200000 200000 }\n')
    return tmp_path


def _one_line_exit_2(capsys, argv: list[str]) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, f"exit {code} for {argv}; stderr: {err!r}"
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{argv} printed {len(lines)} lines on stderr: {err!r}"
    assert out == "", f"{argv} printed on stdout: {out!r}"
    return lines[0]


BAD_INPUT = [
    # a command group without its command: one line naming the choices, on stderr (was: help on stdout)
    ([], "name a command: envs, play"),
    (["leaderboard"], "name a command: run, show, report"),
    (["eq"], "name a command: solve, check"),
    (["train"], "name a command"),
    (["fiber"], "name a command: monitor"),
    (["cai"], "name a command"),
    (["leaderboard", "nothing"], "invalid choice"),
    # argparse's own errors are one line too (was: a usage block)
    (["play", "MarkovGame-v0", "--episodes", "many"], "--episodes: invalid integer: 'many'"),
    (["play", "MarkovGame-v0", "--bogus"], "unrecognized arguments: --bogus"),
    (["serve"], "required: --model"),
    # numbers out of range (--threads 0 used to mean "default")
    (["serve", "--model", "folder", "--threads", "0"], "--threads: must be >= 1"),
    (["train", "plm", "--out", "run", "--threads", "0"], "--threads: must be >= 1"),
    (["train", "plm", "--out", "run", "--steps", "0"], "--steps: must be >= 1"),
    (["leaderboard", "run", "--workers", "0"], "--workers: must be >= 1"),
    (["play", "MarkovGame-v0", "--seed", "-1"], "--seed: must be >= 0"),
    (["train", "sb3", "FiberStream-v1", "--timesteps", "0"], "--timesteps: must be >= 1"),
    (["fiber", "monitor", "--duration", "inf"], "--duration: 'inf' is not a finite number"),
    (["fiber", "monitor", "--km", "nan"], "--km: 'nan' is not a finite number"),
    (
        ["cai", "solve", "MarkovGame-v0", "--temperature", "nan"],
        "--alpha: 'nan' is not a finite number",
    ),
    # files: a folder where a file is expected, and the reverse; unreadable contents
    (
        ["fiber", "monitor", "--weights", "folder", "--duration", "1"],
        "folder is a folder; a file is expected",
    ),
    (["fiber", "monitor", "--weights", "junk.bin", "--duration", "1"], "not a tactica fusion checkpoint"),
    (["fiber", "monitor", "--weights", "missing.pt", "--duration", "1"], "no such file: missing.pt"),
    (
        ["train", "plm", "--out", "plain.json", "--steps", "1"],
        "--out plain.json is a file; a folder is expected",
    ),
    (["train", "sb3", "FiberStream-v1", "--run-dir", "plain.json"], "--run-dir plain.json is a file"),
    (["serve", "--model", "plain.json"], "not a PLM checkpoint directory"),
    (
        ["cai", "solve", "MarkovGame-v0", "--opt", "discount=0.9", "--out", "folder"],
        "--out folder is a folder",
    ),
    (["leaderboard", "show", "--db", "junk.bin"], "is not a tactica leaderboard database"),
    (["leaderboard", "show", "--db", "folder.sqlite"], "no leaderboard database"),
    (["leaderboard", "run", "--suite", "MarkovGame-v0", "--db", "folder.sqlite"], "is a folder"),
    # paths in folders that do not exist are refused, not created (least of all at the file system root)
    (
        ["leaderboard", "run", "--suite", "MarkovGame-v0", "--db", "/no-such-root-dir/lb.sqlite"],
        "does not exist",
    ),
    (["leaderboard", "report", "--db", "junk.bin", "--html", "/no-such-root-dir/r.html"], "not a tactica"),
    # a language-model spec the leaderboard cannot use is an error, not a silently skipped agent
    (
        ["leaderboard", "run", "--suite", "MarkovGame-v0", "--llm", "bogus:spec"],
        "unknown backend scheme 'bogus'",
    ),
    (
        ["leaderboard", "run", "--suite", "MarkovGame-v0", "--llm", "nocolon"],
        "must have the form SCHEME:ARGUMENT",
    ),
    (["leaderboard", "run", "--suite", "MarkovGame-v0", "--llm", "replay:none.jsonl"], "does not exist"),
    (["play", "SMACProgram-v3", "--agent", "llm-smac"], "needs a language model: pass --llm SPEC"),
    (["play", "SMACProgram-v3", "--agent", "llm-smac", "--llm", "bogus:x"], "unknown backend scheme"),
    (["play", "MarkovGame-v0", "--import", "no_such_plugin_xyz"], "--import: No module named"),
    # equilibria: unreadable games, a real equilibrium checked with a NaN tolerance, a profile off the simplex
    (["eq", "solve", "game.nfg"], "game.nfg: is a directory, not a game file"),
    (["eq", "solve", "junk.bin"], "expected a .nfg, .json or .npz file"),
    (["eq", "solve", "huge.nfg"], "huge.nfg: line 2:"),
    (["eq", "solve", "missing.nfg"], "missing.nfg: game file not found"),
    (
        ["eq", "check", "catalog:matching_pennies", '{"profile": [[0.5, 0.5], [0.5, 0.5]]}', "--eps", "nan"],
        "--eps: 'nan' is not a finite number",
    ),
    (
        ["eq", "check", "catalog:matching_pennies", '{"profile": [[0.7, 0.7], [0.5, 0.5]]}'],
        "profile of player 1 sums to 1.4, not 1",
    ),
    # unknown names
    (["play", "NoSuchEnv-v0"], "unknown environment id"),
    (["play", "MarkovGame-v0", "--agent", "nobody"], "unknown agent"),
    (["leaderboard", "run", "--import", "no_such_plugin_xyz"], "--import"),
]


@pytest.mark.parametrize(
    "argv, message", BAD_INPUT, ids=[" ".join(argv) or "(nothing)" for argv, _ in BAD_INPUT]
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys, files):
    line = _one_line_exit_2(capsys, argv)
    assert message in line
    assert not Path("/no-such-root-dir").exists()


def _number_options() -> list[tuple[list[str], str, type]]:
    """(command words, option, int or float) for every number option of every command."""
    found = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*words, name])
            elif action.option_strings and action.type is not None:
                kind = getattr(action.type, "__name__", "")
                if action.type in (int, float) or kind.endswith(("_int", "_float")):
                    number = float if action.type is float or kind.endswith("float") else int
                    found.append((words, action.option_strings[-1], number))

    walk(build_parser(), [])
    return found


NUMBER_OPTIONS = _number_options()


@pytest.mark.parametrize(
    "words, option, number", NUMBER_OPTIONS, ids=[f"{' '.join(w)} {o}" for w, o, _ in NUMBER_OPTIONS]
)
def test_every_number_option_refuses_what_no_number_option_accepts(words, option, number, capsys, files):
    values = ["nan", "inf", "-inf", "x"] if number is float else ["x", "1.5", "nan"]
    for value in values:
        # positional arguments are filled with something plausible: parsing fails before they are used
        filler = {"play": ["MarkovGame-v0"], "sb3": ["FiberStream-v1"], "solve": ["x"], "check": ["x", "y"]}
        argv = [*words, *filler.get(words[-1], []), option, value]
        if words[-1] == "mfg":
            argv.insert(len(words), "crowd_modelling")
        line = _one_line_exit_2(capsys, argv)
        assert option in line
