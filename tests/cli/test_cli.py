"""The ``tactica`` command: envs, play, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import tactica
from tactica.cli.main import main

PLAY = ["play", "MarkovGame-v0", "--opt", "game=matching_pennies", "--agent", "random", "--episodes", "3"]


def _run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert tactica.__version__ in capsys.readouterr().out


def test_envs_json_lists_every_registered_id(capsys):
    code, out, _ = _run(capsys, ["envs", "--json", "--no-spaces"])
    assert code == 0
    records = json.loads(out)
    assert [r["id"] for r in records] == list(tactica.registry())
    for record in records:
        assert record["kind"].startswith(("single", "multi"))


def test_envs_json_describes_spaces(capsys):
    code, out, _ = _run(capsys, ["envs", "--json"])
    assert code == 0
    markov = next(r for r in json.loads(out) if r["id"] == "MarkovGame-v0")
    assert markov["agents"] == ["player_0", "player_1"]
    assert "Discrete(2)" in markov["action_space"]["player_0"]


def test_play_is_reproducible_and_seed_dependent(capsys):
    _, first, _ = _run(capsys, [*PLAY, "--seed", "0", "--json"])
    _, again, _ = _run(capsys, [*PLAY, "--seed", "0", "--json"])
    _, other, _ = _run(capsys, [*PLAY, "--seed", "1", "--json"])
    first, again, other = json.loads(first), json.loads(again), json.loads(other)
    assert first == again
    returns = [episode["returns"] for episode in first["episodes"]]
    assert len(returns) == 3 and all(set(r) == {"player_0", "player_1"} for r in returns)
    assert all(r["player_0"] == -r["player_1"] for r in returns)  # matching pennies is zero-sum
    assert returns != [episode["returns"] for episode in other["episodes"]]


def test_play_renders_ansi(capsys):
    code, out, _ = _run(capsys, [*PLAY[:-1], "1", "--render", "ansi"])
    assert code == 0 and "matching_pennies | t=1/10" in out and "episode 0" in out


def test_unknown_id_exits_2_naming_nearest(capsys):
    code, _, err = _run(capsys, ["play", "MarkovGme-v0"])
    assert code == 2 and "did you mean 'MarkovGame-v0'" in err


def test_unknown_game_lists_valid_games(capsys):
    code, _, err = _run(capsys, ["play", "MarkovGame-v0", "--opt", "game=pennies"])
    assert code == 2 and "valid games:" in err and "matching_pennies" in err


def test_bad_arguments_exit_2(capsys):
    assert _run(capsys, ["play", "MarkovGame-v0", "--episodes", "0"])[0] == 2
    assert _run(capsys, ["play", "MarkovGame-v0", "--agent", "nobody"])[0] == 2
    assert _run(capsys, ["play", "MarkovGame-v0", "--opt", "oops"])[0] == 2
    assert _run(capsys, ["play"])[0] == 2  # neither an ID nor --all
    assert _run(capsys, ["play", "MarkovGame-v0", "--all"])[0] == 2
    assert _run(capsys, ["play", "--episodes", "many"])[0] == 2  # argparse's own usage errors


def test_console_script_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "tactica.cli.main", *PLAY, "--seed", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["episodes"]) == 3


def test_play_imports_a_users_plugin(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_agents.py").write_text(
        "from tactica import agents\n"
        "from tactica.agents.random_agent import RandomAgent\n"
        "class AlwaysFirst(RandomAgent):\n"
        "    def act(self, observation, info=None):\n"
        "        return 0\n"
        "if 'always-first' not in agents.registry():\n"
        "    agents.register('always-first', 'my_agents:AlwaysFirst')\n"
    )
    monkeypatch.chdir(tmp_path)  # found in the current folder, as 'python -m' would find it
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", str(tmp_path))])
    from tactica import agents

    monkeypatch.setattr(agents, "_AGENTS", dict(agents._AGENTS))  # the plugin's agent leaves with the test
    code, out, err = _run(capsys, [*PLAY, "--agent", "always-first", "--import", "my_agents", "--json"])
    assert code == 0, err
    episodes = json.loads(out)["episodes"]
    assert len(episodes) == 3 and json.loads(out)["agent"] == "always-first"
