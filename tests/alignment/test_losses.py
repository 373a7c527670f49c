"""The preference losses against their formulas written out here in float64, on a real model and batch."""

from __future__ import annotations

import math

import pytest
import torch

from tactica.llm.alignment import (
    PreferenceConfig,
    PreferenceTrainer,
    pairs_from_records,
    preference_loss,
    wrap_model,
)

from .conftest import TEXT_PAIRS, perturb, tiny_plm


def _logsig(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def test_dpo_label_smoothing_ipo_hinge_on_scalars():
    pc, pr, rc, rr = (torch.tensor([v], dtype=torch.float64) for v in (-3.0, -5.0, -3.5, -4.0))
    d = (-3.0 + 3.5) - (-5.0 + 4.0)  # chosen log-ratio minus rejected log-ratio = 1.5
    beta, eps = 0.2, 0.1
    dpo = preference_loss("dpo", pc, pr, rc, rr, beta=beta, label_smoothing=eps)
    assert float(dpo) == pytest.approx(-(1 - eps) * _logsig(beta * d) - eps * _logsig(-beta * d), abs=1e-12)
    hinge = preference_loss("hinge", pc, pr, rc, rr, beta=beta)
    assert float(hinge) == pytest.approx(max(0.0, 1 - beta * d), abs=1e-12)
    lc, lr = torch.tensor([3.0], dtype=torch.float64), torch.tensor([2.0], dtype=torch.float64)
    ipo = preference_loss("ipo", pc, pr, rc, rr, beta=beta, chosen_tokens=lc, rejected_tokens=lr)
    assert float(ipo) == pytest.approx((0.5 / 3 - (-1.0) / 2 - 1 / (2 * beta)) ** 2, abs=1e-12)


def test_tdpo_without_kl_terms_is_dpo():
    g = torch.Generator().manual_seed(0)
    pc, pr, rc, rr = (torch.randn(16, generator=g, dtype=torch.float64) * 5 for _ in range(4))
    zero = torch.zeros(16, dtype=torch.float64)
    dpo = preference_loss("dpo", pc, pr, rc, rr, beta=0.3)
    for loss in ("tdpo1", "tdpo2"):
        same = preference_loss(loss, pc, pr, rc, rr, beta=0.3, kl_chosen=zero, kl_rejected=zero)
        torch.testing.assert_close(same, dpo, rtol=0, atol=1e-15)
    # alpha = 0 removes TDPO2's KL term whatever the KLs are
    kl = torch.rand(16, generator=g, dtype=torch.float64) * 3
    no_kl = preference_loss(
        "tdpo2", pc, pr, rc, rr, beta=0.3, alpha=0.0, kl_chosen=kl, kl_rejected=kl.flip(0)
    )
    torch.testing.assert_close(no_kl, dpo, rtol=0, atol=1e-15)


def test_tdpo2_stops_the_gradient_of_the_chosen_kl():
    pc, pr, rc, rr = (torch.zeros(1, dtype=torch.float64) for _ in range(4))
    kl_c = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    kl_r = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
    preference_loss(
        "tdpo2", pc, pr, rc, rr, beta=0.5, alpha=0.5, kl_chosen=kl_c, kl_rejected=kl_r
    ).sum().backward()
    assert kl_c.grad is None or float(kl_c.grad) == 0.0
    assert float(kl_r.grad) > 0  # raising the rejected KL raises the loss
    kl_c.grad = kl_r.grad = None
    preference_loss("tdpo1", pc, pr, rc, rr, beta=0.5, kl_chosen=kl_c, kl_rejected=kl_r).sum().backward()
    assert float(kl_c.grad) == pytest.approx(-float(kl_r.grad))


@pytest.mark.parametrize("loss,alpha", [("tdpo1", 0.5), ("tdpo2", 0.5), ("tdpo2", 0.8), ("dpo", 0.5)])
def test_trainer_loss_equals_float64_formula(plm_tokenizer, loss, alpha):
    """Policy and reference are float64 PLMs; the expected loss is computed here from their full logits:
    log-softmax, the label log-probabilities and the per-position KL sum_v p_ref (log p_ref - log p)."""
    policy = tiny_plm(plm_tokenizer.vocab_size, dtype=torch.float64)
    reference = tiny_plm(plm_tokenizer.vocab_size, dtype=torch.float64)
    perturb(policy, 0.1)
    beta = 0.3
    trainer = PreferenceTrainer(
        wrap_model(policy, plm_tokenizer),
        PreferenceConfig(loss=loss, beta=beta, alpha=alpha, device="cpu", chunk_size=5),
        reference=wrap_model(reference, plm_tokenizer),
    )
    batch = trainer.collate(trainer.encode(pairs_from_records(TEXT_PAIRS)))
    ours, metrics = trainer.compute_loss(batch)

    ids, completion = batch.input_ids, batch.completion_mask
    with torch.no_grad():
        logp_all = policy(ids).log_softmax(-1)[:, :-1]
        ref_all = reference(ids).log_softmax(-1)[:, :-1]
    expected = []
    n = batch.num_pairs
    per_row = []
    for row in range(ids.shape[0]):
        logp = ref_lp = kl = 0.0
        for t in range(ids.shape[1] - 1):
            if not completion[row, t + 1]:
                continue
            y = int(ids[row, t + 1])
            logp += float(logp_all[row, t, y])
            ref_lp += float(ref_all[row, t, y])
            p_ref = ref_all[row, t].exp()
            kl += float((p_ref * (ref_all[row, t] - logp_all[row, t])).sum())
        per_row.append((logp, ref_lp, kl))
    for i in range(n):
        (pc, rc, kc), (pr, rr, kr) = per_row[i], per_row[n + i]
        u = (pc - rc) - (pr - rr)
        if loss == "dpo":
            z = u
        elif loss == "tdpo1":
            z = u - (kr - kc)
        else:
            z = u - alpha * (kr - kc)
        expected.append(-_logsig(beta * z))
    assert float(ours.detach()) == pytest.approx(sum(expected) / n, abs=1e-10)
    assert metrics["kl/chosen"] == pytest.approx(sum(r[2] for r in per_row[:n]) / n, abs=1e-10)
    assert metrics["kl/rejected"] == pytest.approx(sum(r[2] for r in per_row[n:]) / n, abs=1e-10)


def test_trainer_tdpo_without_kl_equals_dpo(plm_tokenizer):
    policy = tiny_plm(plm_tokenizer.vocab_size)
    perturb(policy)
    reference = tiny_plm(plm_tokenizer.vocab_size)
    pairs = pairs_from_records(TEXT_PAIRS)
    losses = {}
    for loss, alpha in (("dpo", 0.5), ("tdpo2", 0.0)):
        trainer = PreferenceTrainer(
            wrap_model(policy, plm_tokenizer),
            PreferenceConfig(loss=loss, alpha=alpha, device="cpu"),
            reference=wrap_model(reference, plm_tokenizer),
        )
        losses[loss] = float(trainer.compute_loss(trainer.collate(trainer.encode(pairs)))[0])
    assert losses["tdpo2"] == pytest.approx(losses["dpo"], abs=1e-7)
    assert abs(losses["dpo"] - math.log(2)) > 1e-3  # policy and reference differ


def test_bad_loss_options_are_named():
    with pytest.raises(ValueError, match="accepted: dpo, ipo, hinge, tdpo1, tdpo2"):
        PreferenceConfig(loss="kto")
    with pytest.raises(ValueError, match="beta must be a positive"):
        PreferenceConfig(beta=0)
    with pytest.raises(ValueError, match="label_smoothing applies to loss 'dpo' only"):
        PreferenceConfig(loss="tdpo2", label_smoothing=0.1)


def test_sft_weight_adds_the_chosen_per_token_nll(plm_tokenizer):
    policy = tiny_plm(plm_tokenizer.vocab_size)
    perturb(policy)
    reference = tiny_plm(plm_tokenizer.vocab_size)
    pairs = pairs_from_records(TEXT_PAIRS)
    out = {}
    for weight in (0.0, 0.7):
        trainer = PreferenceTrainer(
            wrap_model(policy, plm_tokenizer),
            PreferenceConfig(loss="tdpo2", sft_weight=weight, device="cpu"),
            reference=wrap_model(reference, plm_tokenizer),
        )
        batch = trainer.collate(trainer.encode(pairs))
        loss, metrics = trainer.compute_loss(batch)
        stats = trainer.sequence_stats(batch)
        n = batch.num_pairs
        out[weight] = (
            float(loss.detach()),
            float(-(stats["logps"][:n] / stats["tokens"][:n]).mean()),
            metrics,
        )
    assert out[0.7][1] > 0 and out[0.7][2]["nll/chosen"] == pytest.approx(out[0.7][1])
    assert out[0.7][0] == pytest.approx(out[0.0][0] + 0.7 * out[0.7][1], abs=1e-6)
