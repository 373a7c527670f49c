"""Batched sampling from a :class:`~tactica.llm.alignment.models.CausalLM` for data collection and evaluation.

Prompts are left-padded into one batch and the whole sequence is re-run at every step (no cache): the models
this serves during training are small and the responses short, and one code path covers PLM and
``transformers`` models alike.  Deployment-time generation belongs to the edge runtime
(:mod:`tactica.llm.runtime`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tactica.llm.alignment.models import CausalLM

__all__ = ["Sample", "generate"]


@dataclass
class Sample:
    """A generated response: its token ids (the end token excluded), whether it ended with an end token, and
    which one (``end_id``)."""

    ids: list[int]
    finished: bool
    end_id: int | None = None

    def with_end(self) -> list[int]:
        """The ids with the end token appended, as a training sequence needs them."""
        return self.ids + ([self.end_id] if self.end_id is not None else [])


def _pick(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None):
    if temperature == 0.0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True, dim=-1)
        before = sorted_probs.cumsum(-1) - sorted_probs
        sorted_probs[before >= top_p] = 0.0
        probs = torch.zeros_like(probs).scatter_(1, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


@torch.no_grad()
def generate(
    lm: CausalLM,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int = 32,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = 0,
    batch_size: int = 64,
    eos_token_ids: Sequence[int] | None = None,
) -> list[Sample]:
    """Sample one response per prompt (``temperature=0`` is greedy).  ``seed`` fixes the draws."""
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be positive, got {max_new_tokens}")
    if not 0.0 <= temperature:
        raise ValueError(f"temperature must be non-negative, got {temperature}")
    eos = list(eos_token_ids if eos_token_ids is not None else lm.tokenizer.eos_token_ids)
    device = lm.device
    generator = torch.Generator(device=device).manual_seed(seed) if seed is not None else None
    pad = lm.tokenizer.pad_id
    context = lm.context_length
    was_training = lm.module.training
    lm.module.eval()
    out: list[Sample] = []
    eos_tensor = torch.tensor(eos or [-1], device=device)
    for start in range(0, len(prompts), batch_size):
        group = [list(p) for p in prompts[start : start + batch_size]]
        longest = max(len(p) for p in group)
        if min(len(p) for p in group) == 0:
            raise ValueError("every prompt needs at least one token")
        if longest >= context:
            raise ValueError(
                f"a prompt of {longest} tokens leaves no room in the context of {context} tokens"
            )
        steps = min(max_new_tokens, context - longest)
        ids = torch.full((len(group), longest), pad, dtype=torch.long, device=device)
        mask = torch.zeros_like(ids)
        for i, p in enumerate(group):
            ids[i, longest - len(p) :] = torch.tensor(p, device=device)
            mask[i, longest - len(p) :] = 1
        done = torch.zeros(len(group), dtype=torch.bool, device=device)
        ends = torch.full((len(group),), -1, dtype=torch.long, device=device)
        new: list[torch.Tensor] = []
        for _ in range(steps):
            logits = lm.logits(ids, mask)[:, -1]
            token = _pick(logits, temperature, top_p, generator)
            is_end = torch.isin(token, eos_tensor) & ~done
            ends = torch.where(is_end, token, ends)
            live = ~done & ~is_end
            new.append(torch.where(live, token, torch.full_like(token, -1)))
            done |= is_end
            ids = torch.cat([ids, torch.where(live, token, torch.full_like(token, pad)).unsqueeze(1)], dim=1)
            mask = torch.cat([mask, live.long().unsqueeze(1)], dim=1)
            if bool(done.all()):
                break
        tokens = torch.stack(new, dim=1).tolist() if new else [[] for _ in group]
        for i, row in enumerate(tokens):
            kept = [t for t in row if t >= 0]
            end = int(ends[i])
            out.append(Sample(kept, end >= 0, end if end >= 0 else None))
    lm.module.train(was_training)
    return out
