"""Response scoring shared by training and evaluation: summed log-probabilities of a response under the policy
and the reference, and its sequential KL ``sum_t KL(pi_ref(.|s_t) || pi(.|s_t))`` (TDPO's ``D_SeqKL``)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch

from tactica.llm.alignment.data import PreferenceBatch, collate_sequences
from tactica.llm.alignment.logprobs import token_stats
from tactica.llm.alignment.models import CausalLM

__all__ = ["sequence_stats", "score_responses"]


def sequence_stats(
    policy: CausalLM,
    reference: CausalLM,
    batch: PreferenceBatch,
    *,
    chunk_size: int | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """Per row of ``batch``: ``logps`` (policy, with gradient when enabled), ``ref_logps``, ``kl`` (with
    gradient) and ``tokens`` (response length), each ``[rows]``.  Only response positions are projected
    through the heads."""
    mask = batch.completion_mask[:, 1:].bool()
    labels = batch.input_ids[:, 1:][mask]
    rows = torch.arange(mask.shape[0], device=mask.device).unsqueeze(1).expand_as(mask)[mask]
    device = batch.input_ids.device.type
    autocast = (
        torch.autocast(device, dtype=autocast_dtype)
        if autocast_dtype is not None
        else contextlib.nullcontext()
    )
    with autocast:
        hidden = policy.hidden(batch.input_ids, batch.attention_mask)[:, :-1][mask]
        with torch.no_grad():
            ref_hidden = reference.hidden(batch.input_ids, batch.attention_mask)[:, :-1][mask]
    weight, bias = policy.head()
    ref_weight, ref_bias = reference.head()
    logp, ref_logp, kl = token_stats(
        hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, chunk_size
    )
    n = mask.shape[0]

    def per_row(values: torch.Tensor) -> torch.Tensor:
        return values.new_zeros(n).index_add(0, rows, values)

    return {
        "logps": per_row(logp),
        "ref_logps": per_row(ref_logp),
        "kl": per_row(kl),
        "tokens": mask.sum(1).to(logp.dtype),
    }


@torch.no_grad()
def score_responses(
    policy: CausalLM,
    reference: CausalLM,
    rows: Sequence[tuple[Sequence[int], Sequence[int]]],
    *,
    batch_size: int = 64,
) -> dict[str, torch.Tensor]:
    """:func:`sequence_stats` over ``(prompt_ids, response_ids)`` rows in batches (CPU tensors)."""
    was_training = policy.module.training
    policy.module.eval()
    parts: dict[str, list[torch.Tensor]] = {}
    device = policy.device
    for start in range(0, len(rows), batch_size):
        batch = collate_sequences(rows[start : start + batch_size], policy.tokenizer.pad_id).to(device)
        for key, value in sequence_stats(policy, reference, batch).items():
            parts.setdefault(key, []).append(value.cpu())
    policy.module.train(was_training)
    return {key: torch.cat(values) for key, values in parts.items()}
