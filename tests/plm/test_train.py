"""WSDC schedule values, data handling and short training runs through the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from tactica.cli.main import main
from tactica.llm.plm import load_model
from tactica.llm.plm.data import ChatBatches, read_documents, unigram_cross_entropy
from tactica.llm.plm.schedule import WSDCSchedule
from tactica.llm.plm.train import TrainConfig, train


def test_wsdc_schedule_by_fractions():
    s = WSDCSchedule(
        100, warmup=0.1, stable=0.5, decay=0.2, constant=0.2, min_ratio=0.1, decay_shape="linear"
    )
    assert s.boundaries() == (10, 60, 80)
    assert s(0) == pytest.approx(0.1)  # linear warmup: (step+1)/10
    assert s(9) == pytest.approx(1.0)
    assert s(30) == 1.0 and s.phase(30) == "stable"
    assert s(69) == pytest.approx(0.1 + 0.9 * (1 - 10 / 20))  # halfway through the linear decay
    assert s(79) == pytest.approx(0.1)
    assert s(95) == 0.1 and s.phase(95) == "constant"


def test_wsdc_schedule_by_steps_and_shapes():
    s = WSDCSchedule(10, warmup=2, stable=3, decay=4, constant=1, min_ratio=0.0, decay_shape="cosine")
    assert s.boundaries() == (2, 5, 9)
    assert s(6) == pytest.approx(0.5 * (1 + math.cos(math.pi * 2 / 4)))
    sqrt = WSDCSchedule(10, 2, 3, 4, 1, min_ratio=0.0, decay_shape="sqrt")
    assert sqrt(5) == pytest.approx(1 - math.sqrt(1 / 4))
    with pytest.raises(ValueError, match="sum"):
        WSDCSchedule(10, 2, 3, 4, 2)
    with pytest.raises(ValueError, match="decay_shape"):
        WSDCSchedule(10, decay_shape="exp")


def test_wsdc_rounding_keeps_every_phase_in_short_runs():
    twelve = WSDCSchedule(12)  # 0.05 / 0.55 / 0.3 / 0.1: exactly 0.6 / 6.6 / 3.6 / 1.2 steps
    assert twelve.step_counts() == (1, 7, 3, 1) and twelve.boundaries() == (1, 8, 11)
    assert twelve.phase(0) == "warmup" and twelve.phase(11) == "constant" and twelve(11) == twelve.min_ratio
    ten = WSDCSchedule(10)  # 0.5 / 5.5 / 3 / 1 steps: rounding half to even used to give no warmup
    assert ten.step_counts() == (1, 5, 3, 1) and ten(0) == pytest.approx(1.0) and ten.phase(0) == "warmup"
    for total in range(1, 60):
        counts = WSDCSchedule(total).step_counts()
        assert sum(counts) == total and (total < 4 or min(counts) >= 1), total
    assert WSDCSchedule(3).step_counts() == (0, 2, 1, 0)  # fewer steps than phases: largest remainders win
    assert WSDCSchedule(10, 0.0, 0.7, 0.3, 0.0).step_counts() == (0, 7, 3, 0)  # a phase set to 0 stays empty


def test_unigram_baseline_is_the_smoothed_cross_entropy():
    train_ids = torch.tensor([0, 0, 1, 1])
    held = torch.tensor([0, 2])
    # add-one counts over a vocabulary of 3: (3, 3, 1) / 7
    expected = -(math.log(3 / 7) + math.log(1 / 7)) / 2
    assert unigram_cross_entropy(train_ids, held, 3) == pytest.approx(expected)


def test_chat_labels_cover_assistant_replies_only(tokenizer):
    chat = [
        {"role": "user", "content": "What is 1 plus 1?"},
        {"role": "assistant", "content": "1 plus 1 is 2."},
    ]
    batch = ChatBatches([chat], tokenizer, seq_len=64)
    ids, labels = batch.items[0].ids, batch.items[0].labels
    supervised = tokenizer.decode(ids[labels != -100].tolist(), skip_special_tokens=False)
    assert supervised == "1 plus 1 is 2.<|im_end|>\n"


def test_bad_data_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_documents(tmp_path / "missing.txt")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_documents(bad)


TINY = dict(
    preset="tiny",
    num_documents=200,
    vocab_size=300,
    seq_len=48,
    batch_size=8,
    eval_every=6,
    save_every=6,
    log_every=2,
    eval_tokens=2048,
    evaluate_quantized=False,
)


def test_resume_continues_exactly(tmp_path):
    straight = train(TrainConfig(out_dir=str(tmp_path / "a"), steps=12, **TINY), progress=False)
    interrupted = TrainConfig(out_dir=str(tmp_path / "b"), steps=12, **TINY)
    assert train(interrupted, progress=False, stop_at=5)["stopped_at"] == 5
    with pytest.raises(FileExistsError):
        train(interrupted, progress=False)  # an existing run is never overwritten silently
    resumed = train(TrainConfig(**(interrupted.to_dict() | {"resume": True})), progress=False)
    assert resumed["heldout_loss"] == straight["heldout_loss"]
    a = load_model(tmp_path / "a" / "checkpoint").state_dict()
    b = load_model(tmp_path / "b" / "checkpoint").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    records = [json.loads(line) for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4, 6, 8, 10, 12]
    # stopped at step 5, between two log lines: the average logged at step 6 still covers steps 5 and 6
    assert (tmp_path / "b" / "metrics.jsonl").read_text() == (tmp_path / "a" / "metrics.jsonl").read_text()


def test_cli_trains_a_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "plm", "--out", str(out), "--preset", "tiny", "--steps", "16", "--num-documents", "200",
                 "--vocab-size", "300", "--seq-len", "48", "--batch-size", "8", "--eval-every", "8", "--lr", "0.01", "--json"])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["heldout_loss"] < summary["unigram_heldout_loss"]
    for name in (
        "run_config.json",
        "metrics.jsonl",
        "loss.png",
        "lr.png",
        "summary.json",
        "trainer_state.pt",
    ):
        assert (out / name).is_file(), name
    assert (out / "checkpoint" / "model.safetensors").is_file()
    assert summary["runtime_perplexity_int8"] == pytest.approx(summary["runtime_perplexity_fp32"], rel=0.02)
    assert main(["train", "plm", "--out", str(out), "--steps", "8"]) == 2  # refuses to overwrite


def test_cli_rejects_bad_phase_lengths(tmp_path):
    assert main(["train", "plm", "--out", str(tmp_path), "--warmup", "abc"]) == 2
    assert main(["train", "plm", "--out", str(tmp_path / "x"), "--warmup", "0.5", "--stable", "0.6"]) == 2


@pytest.mark.slow
def test_small_model_beats_the_unigram_baseline(tmp_path):
    config = TrainConfig(out_dir=str(tmp_path / "run"), **(TINY | {"evaluate_quantized": True, "num_documents": 600,
                         "eval_tokens": 8192}), steps=120, lr=4e-3)  # fmt: skip
    summary = train(config, progress=False)
    # context lets the model predict far better than token frequencies alone
    assert summary["heldout_loss"] < 0.6 * summary["unigram_heldout_loss"]
    assert abs(summary["int8_perplexity_change"]) < 0.02
    assert abs(summary["int8_dynamic_perplexity_change"]) < 0.05


def test_supervised_fine_tuning_on_chats(tmp_path, checkpoint_dir):
    from tactica.llm.runtime import PLMRuntime

    config = TrainConfig(
        out_dir=str(tmp_path / "sft"), data="generated:chat", init_from=str(checkpoint_dir), steps=6,
        **(TINY | {"num_documents": 120, "seq_len": 64, "eval_every": 3}),
    )  # fmt: skip
    summary = train(config, progress=False)
    evals = [json.loads(line) for line in (tmp_path / "sft" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["heldout_loss"] for r in evals if r["kind"] == "eval"]
    assert losses[-1] < losses[0]  # the assistant replies become more likely
    assert "unigram_heldout_loss" not in summary  # a chat run has no unigram baseline
    runtime = PLMRuntime.from_pretrained(tmp_path / "sft" / "checkpoint")
    assert runtime.engine.config.vocab_size == load_model(checkpoint_dir).config.vocab_size
