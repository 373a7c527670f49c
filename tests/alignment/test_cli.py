"""``tactica train align`` and ``tactica train aries``: success, resume, JSON output, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from tactica.cli.main import main

from .conftest import TEXT_PAIRS

FAST = ["--lr", "1e-3", "--optimizer", "adamw", "--warmup", "0", "--batch-size", "4", "--no-progress"]


def _pairs(tmp_path, records=TEXT_PAIRS, name="pairs.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _align(model, data, out, *extra) -> int:
    return main(["train", "align", "--model", str(model), "--data", str(data), "--out", str(out), *extra])


def test_align_runs_resumes_and_prints_json(tmp_path, plm_dir, capsys):
    data = _pairs(tmp_path)
    out = tmp_path / "run"
    assert _align(plm_dir, data, out, "--loss", "tdpo2", *FAST, "--max-steps", "2", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["loss_type"] == "tdpo2"
    # the run exists: resume or pick another directory
    assert _align(plm_dir, data, out, "--loss", "tdpo2", *FAST, "--max-steps", "2") == 2
    assert "already holds a run" in capsys.readouterr().err
    assert _align(plm_dir, data, out, "--loss", "tdpo2", *FAST, "--max-steps", "3", "--resume") == 0
    assert "steps: 3" in capsys.readouterr().out
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    "records,message",
    [
        ([{"prompt": "a", "chosen": "b"}], "missing field 'rejected'"),
        ([], "holds no preference pairs"),
        ([{"prompt": "one two three " * 200, "chosen": " x", "rejected": " y"}], "longer than the context"),
    ],
    ids=["missing-field", "empty-file", "prompt-too-long"],
)
def test_align_bad_pairs_exit_2_with_one_line(tmp_path, plm_dir, capsys, records, message):
    data = _pairs(tmp_path, records)
    assert _align(plm_dir, data, tmp_path / "r", *FAST) == 2
    assert message in _error_line(capsys)


def test_align_model_that_is_not_a_causal_lm_exits_2(tmp_path, capsys):
    model = tmp_path / "bert"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    assert _align(model, _pairs(tmp_path), tmp_path / "r") == 2
    assert "not a causal LM" in _error_line(capsys)
    assert _align(tmp_path, _pairs(tmp_path), tmp_path / "r") == 2
    assert "has no config.json" in _error_line(capsys)


def test_aries_on_the_arithmetic_task(tmp_path, plm_dir, capsys):
    out = tmp_path / "aries"
    code = main(["train", "aries", "--model", str(plm_dir), "--task", "arithmetic", "--selection", "reward",
                 "--rounds", "1", "--prompts-per-round", "4", "--refine-steps", "1", "--max-new-tokens", "6",
                 "--eval-problems", "3", "--out", str(out), "--json", *FAST])  # fmt: skip
    assert code == 0
    rounds = json.loads(capsys.readouterr().out)
    assert [r["round"] for r in rounds] == [0, 1]
    assert rounds[1]["samples"] == 8 and "direct_accuracy" in rounds[1]["eval"]
    assert (out / "checkpoint" / "model.safetensors").is_file() and (
        out / "round_1" / "pairs.jsonl"
    ).is_file()


def test_aries_prompts_file_needs_rule_selection(tmp_path, plm_dir, capsys):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "What is 2 plus 3?"}) + "\n")
    code = main(["train", "aries", "--model", str(plm_dir), "--prompts", str(prompts), "--selection", "reward",
                 "--out", str(tmp_path / "a")])  # fmt: skip
    assert code == 2
    assert "--selection reward needs a verifier" in _error_line(capsys)


def test_progress_is_plain_lines_when_stdout_is_not_a_terminal(tmp_path, plm_dir, capsys):
    with_progress = [a for a in FAST if a != "--no-progress"]
    assert _align(plm_dir, _pairs(tmp_path), tmp_path / "r", *with_progress, "--max-steps", "2") == 0
    err = capsys.readouterr().err
    assert "align dpo: step 2/2" in err and "\x1b[" not in err


def test_aries_help_states_the_config_defaults(capsys):
    from tactica.llm.alignment.aries import AriesConfig
    from tactica.llm.alignment.aries_cli import ARIES_OPTIONS

    try:
        main(["train", "aries", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    defaults = AriesConfig()
    for name in ARIES_OPTIONS:
        assert f"(default: {getattr(defaults, name)})" in text, name
