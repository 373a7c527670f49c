"""``tactica data transcripts``: seeded files, the held-out twin, the summary, and clear refusals of bad input."""

from __future__ import annotations

import json

import pytest

from tactica.cli.main import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["data", "transcripts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_same_seed_writes_the_same_corpus(tmp_path, capsys):
    argv = ["--env", "ONUW-v1", "--agent", "onuw-rl", "--episodes", "2", "--heldout-fraction", "0.5"]
    code, out, _ = _run(capsys, *argv, "--seed", "3", "--out", str(tmp_path / "a.jsonl"), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["episodes"] == 2 and len(summary["heldout_episodes"]) == 1
    assert summary["train_examples"] > 0 and summary["heldout_examples"] > 0
    assert summary["by_call"] == {"speech": summary["train_examples"] + summary["heldout_examples"]}
    assert _run(capsys, *argv, "--seed", "3", "--out", str(tmp_path / "b.jsonl"), "--json")[0] == 0
    assert _run(capsys, *argv, "--seed", "4", "--out", str(tmp_path / "c.jsonl"), "--json")[0] == 0
    for name in ("", ".heldout"):
        a, b, c = ((tmp_path / f"{x}{name}.jsonl").read_bytes() for x in "abc")
        assert a == b and a != c
    heldout = [json.loads(line) for line in (tmp_path / "a.heldout.jsonl").read_text().splitlines()]
    assert {r["meta"]["split"] for r in heldout} == {"heldout"}
    assert {r["meta"]["episode"] for r in heldout} == set(summary["heldout_episodes"])
    assert all(r["messages"][-1]["role"] == "assistant" for r in heldout)


def test_plain_output_names_both_files(tmp_path, capsys):
    code, out, _ = _run(capsys, "--env", "ONUW-v1", "--agent", "onuw-rl", "--episodes", "1",
                        "--out", str(tmp_path / "x.jsonl"), "--no-progress")  # fmt: skip
    assert code == 0 and "x.jsonl" in out and "x.heldout.jsonl" in out and "duplicates dropped" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "Nope-v0", "--agent", "cos"], "unknown environment id"),
        (["--env", "TextSC2-v1", "--agent", "llm-smac"], "agents: cos"),
        (["--env", "TextSC2-v1", "--agent", "cos", "--episodes", "0"], "--episodes"),
        (["--env", "TextSC2-v1", "--agent", "cos", "--heldout-fraction", "1"], "--heldout-fraction"),
        (["--env", "TextSC2-v1", "--agent", "cos", "--opt", "difficulty=[]"], "empty list"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    argv = ["--episodes", "1", "--out", str(tmp_path / "o.jsonl"), *argv]
    with pytest.raises(SystemExit) as exit_info:
        code = main(["data", "transcripts", *argv])
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.jsonl").exists()


def test_out_must_be_jsonl(tmp_path, capsys):
    code = main(["data", "transcripts", "--env", "ONUW-v1", "--agent", "onuw-rl", "--episodes", "1",
                 "--out", str(tmp_path / "o.txt")])  # fmt: skip
    assert code == 2 and ".jsonl" in capsys.readouterr().err
