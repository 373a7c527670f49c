"""Our DPO, hinge and IPO losses against TRL's DPOTrainer on the same tiny model and batch (TRL is a dev
dependency used as an oracle; these tests skip without it)."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch

from tactica.llm.alignment import PreferenceConfig, PreferenceTrainer, load_causal_lm, pairs_from_records

from .conftest import CHAT_PAIRS, TEXT_PAIRS, perturb

trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")


def _trl_loss(policy, reference, tokenizer, pairs, loss_type, beta, tmp_path) -> float:
    args = trl.DPOConfig(
        output_dir=str(tmp_path / "trl"), per_device_train_batch_size=len(pairs), report_to=[], use_cpu=True,
        beta=beta, loss_type=loss_type, bf16=False, gradient_checkpointing=False, max_length=128,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = trl.DPOTrainer(
            model=copy.deepcopy(policy), ref_model=copy.deepcopy(reference), args=args,
            train_dataset=datasets.Dataset.from_list(pairs), processing_class=tokenizer,
        )  # fmt: skip
        batch = next(iter(trainer.get_train_dataloader()))  # one batch holds every pair
        with torch.no_grad():
            return float(trainer.compute_loss(trainer.model, batch))


@pytest.mark.parametrize("pairs", [TEXT_PAIRS, CHAT_PAIRS], ids=["text", "chat"])
@pytest.mark.parametrize("loss_type,ours", [("sigmoid", "dpo"), ("hinge", "hinge"), ("ipo", "ipo")])
@pytest.mark.parametrize("model", ["gpt2", "llama"])
def test_loss_matches_trl_dpo_trainer(request, tmp_path, pairs, loss_type, ours, model):
    directory = request.getfixturevalue(f"{model}_dir")
    policy = load_causal_lm(directory)
    reference = load_causal_lm(directory)
    perturb(policy.module, 0.05)
    beta = 0.1
    expected = _trl_loss(
        policy.module, reference.module, policy.tokenizer.tokenizer, pairs, loss_type, beta, tmp_path
    )
    trainer = PreferenceTrainer(
        policy, PreferenceConfig(loss=ours, beta=beta, device="cpu"), reference=reference
    )
    batch = trainer.collate(trainer.encode(pairs_from_records(pairs)))
    loss, _ = trainer.compute_loss(batch)
    # TRL projects through the head in float32 tiles and sums per-token log-probabilities in another order;
    # the sigmoid loss (slope <= beta) stays within 1e-6, hinge and IPO amplify those float32 roundings.
    tolerance = {"sigmoid": 1e-6, "hinge": 1e-5, "ipo": 1e-4}[loss_type]
    assert float(loss.detach()) == pytest.approx(expected, abs=tolerance)
    if loss_type == "sigmoid":
        assert abs(expected - 0.6931471805599453) > 1e-3  # the models differ, so the check is not trivial
