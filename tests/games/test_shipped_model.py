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
    assert suites._game_models("cos", None, missing) == []
    assert list(missing) == ["plm:games", "plm:games-aligned"]
    assert suites._game_models("random", None, missing) == []


def test_installed_models_give_rows_with_their_weights_digest(monkeypatch, tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    monkeypatch.setattr(checkpoint, "resolve_checkpoint", lambda name: tmp_path)
    missing: dict[str, None] = {}
    rows = suites._game_models("llm-smac", "plm:games", missing)
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


def test_the_shipped_model_answers_a_textsc2_prompt_with_decisions():
    """Runs once ``plm:games`` is installed; skipped (saying so) while it is not built."""
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm import from_spec
    from tactica.llm.games.textsc2 import record_episode

    try:
        checkpoint.resolve_checkpoint("games")
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    prompt = record_episode("cos", seed=0, episode=0, difficulty=1, time_limit_s=30.0)[-1].messages
    reply = from_spec("plm:games").chat(prompt)
    parsed = parse_decisions(reply)
    assert "Decisions:" in reply and not parsed.failed
