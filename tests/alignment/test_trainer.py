"""The preference trainer end to end: run directory, learning, resume, gradient accumulation, models in and out."""

from __future__ import annotations

import json

import pytest
import torch

from tactica.llm.alignment import (
    PreferenceConfig,
    PreferenceTrainer,
    load_causal_lm,
    pairs_from_records,
    train_preferences,
    wrap_model,
)
from tactica.llm.alignment.trainer import METRICS
from tactica.llm.plm.schedule import WSDCSchedule

from .conftest import CHAT_PAIRS, TEXT_PAIRS, tiny_plm

FAST = dict(lr=3e-3, optimizer="adamw", warmup=0, batch_size=4, device="cpu")


def test_run_directory_metrics_and_a_checkpoint_plm_serves(tmp_path, plm_dir):
    out = tmp_path / "run"
    result = train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(loss="tdpo2", max_steps=4, **FAST), out)
    for name in ("run_config.json", "metrics.jsonl", "trainer_state.pt", "summary.json", "loss.png", "rewards.png",
                 "kl.png", "checkpoint/config.json", "checkpoint/model.safetensors", "checkpoint/tokenizer.json"):  # fmt: skip
        assert (out / name).is_file(), name
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4]
    for record in lines:
        assert set(METRICS) | {"lr", "grad_norm", "epoch", "kind"} <= set(record)
    assert lines[0]["kl/chosen"] == pytest.approx(0.0, abs=1e-5)  # the policy starts as the reference
    assert lines[-1]["kl/rejected"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["model_kind"] == "plm" and summary == result.summary | {}
    # the checkpoint is what the plm: backend and `tactica serve` load
    from tactica.llm import from_spec

    model = from_spec(f"plm:{out / 'checkpoint'}")
    assert isinstance(model.chat([{"role": "user", "content": "What is 2 plus 3?"}], max_tokens=4), str)
    reloaded = load_causal_lm(out / "checkpoint")
    ids = torch.tensor([[5, 6, 7, 8]])
    torch.testing.assert_close(reloaded.logits(ids), result.model.logits(ids).detach())


@pytest.mark.parametrize("loss", ["dpo", "ipo", "hinge", "tdpo1", "tdpo2"])
def test_every_loss_learns_the_preferences(plm_dir, loss):
    result = train_preferences(
        plm_dir, TEXT_PAIRS, PreferenceConfig(loss=loss, beta=0.5, max_steps=25, **FAST)
    )
    train = [r for r in result.records if r["kind"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    assert train[-1]["accuracy"] == 1.0
    assert train[-1]["rewards/margin"] > train[0]["rewards/margin"]


def test_resume_continues_exactly(tmp_path, plm_dir):
    config = dict(loss="tdpo1", batch_size=2, lr=1e-3, optimizer="rmsprop", warmup=2, device="cpu", seed=3)
    whole = train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(max_steps=6, **config))
    out = tmp_path / "run"
    train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(max_steps=3, **config), out)
    with pytest.raises(FileExistsError, match="already holds a run"):
        train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(max_steps=6, **config), out)
    resumed = train_preferences(
        plm_dir, TEXT_PAIRS, PreferenceConfig(max_steps=6, **config), out, resume=True
    )
    for a, b in zip(whole.model.module.state_dict().values(), resumed.model.module.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_gradient_accumulation_equals_one_big_batch(plm_tokenizer):
    grads = []
    for batch_size, accum in ((4, 1), (2, 2)):
        policy = wrap_model(tiny_plm(plm_tokenizer.vocab_size), plm_tokenizer)
        trainer = PreferenceTrainer(policy, PreferenceConfig(loss="tdpo2", batch_size=batch_size, grad_accum=accum,
                                                             lr=1e-3, optimizer="adamw", warmup=0, device="cpu"))  # fmt: skip
        trainer.fit(trainer.encode(pairs_from_records(TEXT_PAIRS)))
        assert trainer.step == 1
        grads.append([p.grad.clone() for p in policy.module.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_wsdc_schedule_drives_the_learning_rate(plm_dir):
    config = PreferenceConfig(schedule="wsdc", wsdc_phases=(0.2, 0.3, 0.3, 0.2), max_steps=10, lr=1e-3,
                              batch_size=4, device="cpu")  # fmt: skip
    result = train_preferences(plm_dir, TEXT_PAIRS, config)
    schedule = WSDCSchedule(10, 0.2, 0.3, 0.3, 0.2, min_ratio=0.1)
    lrs = [r["lr"] for r in result.records if r["kind"] == "train"]
    assert lrs == pytest.approx([1e-3 * schedule(s) for s in range(10)])


@pytest.mark.parametrize("model", ["gpt2", "llama"])
def test_transformers_models_train_and_save_in_their_layout(tmp_path, request, model):
    directory = request.getfixturevalue(f"{model}_dir")
    out = tmp_path / "run"
    result = train_preferences(directory, CHAT_PAIRS, PreferenceConfig(loss="tdpo2", max_steps=3, **FAST), out,
                               eval_pairs=CHAT_PAIRS)  # fmt: skip
    assert result.summary["model_kind"] == "hf"
    assert "eval_accuracy" in result.summary
    reloaded = load_causal_lm(out / "checkpoint")
    assert reloaded.kind == "hf"
    ids = torch.tensor([[5, 6, 7, 8]])
    torch.testing.assert_close(reloaded.logits(ids), result.model.logits(ids).detach())


def test_in_memory_model_keeps_its_reference_for_resume(tmp_path, plm_tokenizer):
    policy = wrap_model(tiny_plm(plm_tokenizer.vocab_size), plm_tokenizer)
    out = tmp_path / "run"
    train_preferences(policy, pairs_from_records(TEXT_PAIRS), PreferenceConfig(max_steps=2, **FAST), out)
    assert (out / "reference" / "model.safetensors").is_file()
    run_config = json.loads((out / "run_config.json").read_text())
    assert run_config["reference"] == str(out / "reference") and run_config["model"] is None
    resumed = train_preferences(policy, TEXT_PAIRS, PreferenceConfig(max_steps=3, **FAST), out, resume=True)
    assert resumed.summary["steps"] == 3


def test_bad_model_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_causal_lm(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        load_causal_lm(tmp_path / "empty")
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertForMaskedLM"]})
    )
    with pytest.raises(ValueError, match=r"holds a bert \(BertForMaskedLM\), not a causal LM"):
        load_causal_lm(bert)
    t5 = tmp_path / "t5"
    t5.mkdir()
    (t5 / "config.json").write_text(json.dumps({"model_type": "t5", "is_encoder_decoder": True}))
    with pytest.raises(ValueError, match="encoder-decoder model, not a causal LM"):
        load_causal_lm(t5)


def test_max_length_beyond_the_context_is_refused(plm_dir):
    policy = load_causal_lm(plm_dir)
    with pytest.raises(ValueError, match="max_length 1000 exceeds the model's context of 256"):
        PreferenceTrainer(policy, PreferenceConfig(max_length=1000, device="cpu"))


def test_resume_with_other_settings_is_refused(tmp_path, plm_dir):
    out = tmp_path / "run"
    train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(loss="dpo", max_steps=1, **FAST), out)
    with pytest.raises(ValueError, match=r"different settings \(loss, beta\)"):
        train_preferences(plm_dir, TEXT_PAIRS, PreferenceConfig(loss="tdpo2", beta=0.2, max_steps=2, **FAST), out,
                          resume=True)  # fmt: skip
