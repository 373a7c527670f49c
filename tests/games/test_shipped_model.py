"""Names of the shipped game models: ``plm:games`` resolves with no download, or says it is not installed."""

from __future__ import annotations

import pytest

from tactica.leaderboard import suites
from tactica.llm.plm import checkpoint


def test_a_checkpoint_directory_is_used_as_given(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert checkpoint.resolve_checkpoint(tmp_path) == tmp_path
    assert checkpoint.resolve_checkpoint("somewhere/else") == checkpoint.Path("somewhere/else")


def test_a_shipped_name_resolves_inside_the_package(monkeypatch):
    monkeypatch.setitem(checkpoint.SHIPPED, "games", "tests.games/shipped_fixture")
    with pytest.raises(FileNotFoundError, match="shipped model 'games' is not installed"):
        checkpoint.resolve_checkpoint("games")


def test_a_shipped_name_finds_installed_weights(monkeypatch, tmp_path):
    import tests.games

    folder = checkpoint.Path(tests.games.__file__).parent / "shipped_fixture"
    monkeypatch.setitem(checkpoint.SHIPPED, "games", "tests.games/shipped_fixture")
    folder.mkdir()
    try:
        (folder / "config.json").write_text("{}")
        assert checkpoint.resolve_checkpoint("games") == folder
    finally:
        (folder / "config.json").unlink()
        folder.rmdir()


def test_missing_models_are_a_note_not_an_error(monkeypatch):
    monkeypatch.setitem(checkpoint.SHIPPED, "games", "tests.games/absent")
    monkeypatch.setitem(checkpoint.SHIPPED, "games-aligned", "tests.games/absent")
    missing: dict[str, None] = {}
    assert suites._game_models("onuw-rl", None, missing) == []
    assert list(missing) == ["plm:games", "plm:games-aligned"]
    assert suites._game_models("random", None, missing) == []


def test_installed_models_give_rows_with_their_weights_digest(monkeypatch, tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    monkeypatch.setattr(checkpoint, "resolve_checkpoint", lambda name: tmp_path)
    missing: dict[str, None] = {}
    rows = suites._game_models("onuw-rl", "plm:games", missing)
    assert [spec for spec, _ in rows] == ["plm:games-aligned"]  # the configured model has its own row
    assert rows[0][1] == suites._file_digest(tmp_path / "model.safetensors") and not missing


def test_from_spec_and_serve_name_the_missing_model(monkeypatch, capsys):
    from tactica.cli.main import main
    from tactica.llm import from_spec

    monkeypatch.setitem(checkpoint.SHIPPED, "games", "tests.games/absent")
    with pytest.raises(FileNotFoundError, match="docs/game_model.md"):
        from_spec("plm:games")
    assert main(["serve", "--model", "games"]) == 2
    assert "shipped model 'games' is not installed" in capsys.readouterr().err


def test_the_package_data_ships_the_checkpoint_files():
    """``pip install`` copies ``tactica/llm/games/weights/<name>/*``: the folder is a (namespace) package and
    pyproject's package-data patterns cover every file a checkpoint holds."""
    import fnmatch
    from pathlib import Path

    from setuptools import find_namespace_packages

    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    shipped = root / "tactica" / "llm" / "games" / "weights" / "games"
    if shipped.is_dir():
        assert "tactica.llm.games.weights.games" in find_namespace_packages(str(root), include=["tactica*"])
        for path in shipped.iterdir():
            assert any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns), path.name


def _shipped_model():
    from tactica.llm import from_spec

    try:
        checkpoint.resolve_checkpoint("games")
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    return from_spec("plm:games")


def test_the_shipped_model_answers_onuw_prompts_the_agents_parse():
    """The shipped model answers the paper agents' belief, speech and vote prompts (greedy) in the JSON their
    parsers read; skipped (saying so) while no model is installed."""
    from tactica.agents.discussion.listeners import extract_json, parse_belief_json
    from tactica.agents.discussion.paper_agents import read_vote
    from tactica.envs.onuw.rules import Role
    from tactica.llm.games.transcripts import record_examples

    model = _shipped_model()
    examples = record_examples(
        "ONUW-v1", "onuw-llm-tactic", 1, seed=7, options={"preset": "3p", "others": "belief"}
    )
    for call in ("belief", "speech", "vote"):
        example = next(e for e in examples if e.call == call)
        reply = model.chat(example.messages, temperature=0.0, max_tokens=400)
        if call == "belief":
            assert all(
                row is not None for row in parse_belief_json(reply, 3, (Role.WEREWOLF, Role.ROBBER))
            ), reply
        elif call == "speech":
            assert str(extract_json(reply).get("speech", "")).strip(), reply
        else:
            assert read_vote(extract_json(reply).get("player", ""), 3) is not None, reply


def test_the_shipped_model_answers_a_textsc2_cos_prompt_with_decisions_the_parser_reads():
    """The ``cos`` agent's first call of a TextSC2 game, answered by the shipped model (greedy), is a
    ``Decisions:`` list whose every line names an action exactly."""
    import gymnasium as gym

    from tactica import agents
    from tactica.envs.textsc2.decisions import parse_decisions

    model = _shipped_model()
    env = gym.make("TextSC2-v1", difficulty=1)
    # the agent's default samples at the model's own temperature (its generation_config.json); greedy here
    assert agents.make("cos", llm=model, action_space=env.action_space).temperature == 1.0
    assert model.runtime.default_params().top_p == 0.9  # nucleus sampling, measured in docs/game_model.md
    agent = agents.make("cos", llm=model, action_space=env.action_space, temperature=0.0)
    observation, info = env.reset(seed=0)
    agent.act(observation, info)
    env.close()
    reply = agent.log[0].reply
    parsed = parse_decisions(reply)
    assert "Decisions:" in reply and parsed.matches, reply
    assert all(match.how == "exact" for match in parsed.matches), reply


def test_the_shipped_model_writes_an_llm_smac_program_the_sandbox_accepts():
    """LLM-SMAC's planner and coder calls on ``3m``, answered by the shipped model: the coder's reply holds a
    program ``extract_program`` finds, the sandbox's validator accepts, and SMACProgram runs on a battle."""
    from tactica import agents
    from tactica.agents.code_policy.agent import extract_program
    from tactica.envs.smac.program_env import SMACProgramEnv
    from tactica.sandbox.validate import validate_source

    model = _shipped_model()
    env = SMACProgramEnv(map_name="3m", episodes_per_step=1)
    agent = agents.make("llm-smac", llm=model, action_space=env.action_space)
    observation, info = env.reset(seed=0)
    program = agent.act(observation, info)
    coder = [call for call in agent.calls if call["role"] == "coder"]
    assert len(coder) == 1 and extract_program(coder[0]["reply"]) == program, coder
    validate_source(program, required=("policy",))
    _, _, _, _, info = env.step(program)
    env.close()
    assert info["error"] is None, info["error"]


def test_every_game_agent_gets_the_shipped_model_rows():
    """The shipped model learnt the calls of cos (TextSC2), llm-smac (SMACProgram) and onuw-rl (ONUW)."""
    assert set(suites.GAME_MODEL_ROWS) == {"cos", "llm-smac", "onuw-rl"}
    for agent in suites.GAME_MODEL_ROWS:
        assert suites.GAME_MODEL_ROWS[agent] == ("plm:games", "plm:games-aligned")
    assert suites._game_models("random", None, {}) == []


def test_the_rebuild_script_trains_the_shipped_models_shape():
    """``examples/game_model/rebuild_games.sh`` is the documented recipe of ``plm:games``: the model options it
    passes to ``tactica train plm`` are the shipped checkpoint's shape and context."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = (root / "examples" / "game_model" / "rebuild_games.sh").read_text()
    options = dict(re.findall(r"--model-opt (\w+)=(\d+)", script))
    config_path = root / "tactica" / "llm" / "games" / "weights" / "games" / "config.json"
    if not config_path.exists():
        pytest.skip("the shipped model 'games' is not installed")
    config = json.loads(config_path.read_text())
    assert {key: int(value) for key, value in options.items()} == {
        key: config[key] for key in ("hidden_size", "intermediate_size", "num_hidden_layers")
    }
    assert int(re.search(r"--seq-len (\d+)", script).group(1)) == config["max_position_embeddings"]
    vocab = int(re.search(r"--vocab-size (\d+)", script).group(1))
    assert config["vocab_size"] - vocab == 3  # the BPE's merges plus the three ChatML special tokens
