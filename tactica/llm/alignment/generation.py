"""Batched sampling from a :class:`~tactica.llm.alignment.models.CausalLM` for data collection and evaluation.

Prompts are left-padded into one batch; each step feeds only the new tokens and keeps every layer's keys and
values (``transformers``' own cache, or :class:`_PLMBatchCache` for PLM, whose model module computes whole
sequences and whose edge runtime caches one sequence at a time).  ``use_cache=False`` re-runs the whole sequence
at every step instead (the reference the cached path is tested against).  Deployment-time generation belongs to
the edge runtime (:mod:`tactica.llm.runtime`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tactica.llm.alignment.models import CausalLM
from tactica.llm.plm.model import apply_rotary_interleaved

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


def _attention_mask(key_mask: torch.Tensor, new: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive [B, 1, new, total] mask: a query sees the earlier unpadded keys and always itself."""
    total = key_mask.shape[1]
    past = total - new
    keys = torch.arange(total, device=key_mask.device)
    queries = past + torch.arange(new, device=key_mask.device)
    allowed = (keys[None, :] <= queries[:, None])[None] & key_mask.bool()[:, None, :]
    allowed |= (keys[None, :] == queries[:, None])[None]
    mask = torch.zeros(allowed.shape, dtype=dtype, device=key_mask.device)
    return mask.masked_fill_(~allowed, torch.finfo(dtype).min).unsqueeze(1)


class _PLMBatchCache:
    """Decompressed keys and values of every PLM layer for a batch of sequences, grown step by step."""

    def __init__(self, module):
        self.module = module
        self.keys: list[torch.Tensor | None] = [None] * len(module.model.layers)
        self.values: list[torch.Tensor | None] = [None] * len(module.model.layers)

    def step(self, ids: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """Feed ``ids`` [B, t] (``key_mask`` [B, total] covers past and new tokens); last position's logits."""
        inner = self.module.model
        b, t = ids.shape
        positions = (key_mask.long().cumsum(-1) - 1).clamp(min=0)[:, -t:]
        hidden = inner.embed_tokens(ids)
        cos, sin = (x.unsqueeze(1) for x in inner.rotary_emb(positions, hidden.dtype))
        mask = _attention_mask(key_mask, t, hidden.dtype)
        for i, layer in enumerate(inner.layers):
            attn = layer.self_attn
            x = layer.input_layernorm(hidden)
            q_pass, q_rot = torch.split(attn.query(x), [attn.qk_nope_head_dim, attn.qk_rope_head_dim], dim=-1)
            c, k_rot = attn.latent(x)
            kv = attn.kv_b_proj(c).view(b, t, attn.num_heads, -1).transpose(1, 2)
            k_pass, value = torch.split(kv, [attn.qk_nope_head_dim, attn.v_head_dim], dim=-1)
            interleave = attn.config.rope_interleave
            q = torch.cat((q_pass, apply_rotary_interleaved(q_rot, cos, sin, interleave)), dim=-1)
            k_rot = apply_rotary_interleaved(k_rot.unsqueeze(1), cos, sin, interleave)
            key = torch.cat((k_pass, k_rot.expand(b, attn.num_heads, t, attn.qk_rope_head_dim)), dim=-1)
            if self.keys[i] is not None:
                key = torch.cat((self.keys[i], key), dim=2)
                value = torch.cat((self.values[i], value), dim=2)
            self.keys[i], self.values[i] = key, value
            out = F.scaled_dot_product_attention(q, key, value, attn_mask=mask, scale=attn.scaling)
            hidden = hidden + attn.o_proj(out.transpose(1, 2).reshape(b, t, -1))
            hidden = hidden + layer.mlp(layer.post_attention_layernorm(hidden))
        return self.module.lm_head(inner.norm(hidden[:, -1]))


class _Decoder:
    """Next-token logits of a growing left-padded batch, with a cache or by re-running the sequence."""

    def __init__(self, lm: CausalLM, use_cache: bool):
        self.lm = lm
        self.use_cache = use_cache
        self.plm_cache = _PLMBatchCache(lm.module) if use_cache and lm.kind == "plm" else None
        self.past = None
        self.ids: torch.Tensor | None = None

    def step(self, new_ids: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        if not self.use_cache:
            self.ids = new_ids if self.ids is None else torch.cat([self.ids, new_ids], dim=1)
            return self.lm.logits(self.ids, key_mask)[:, -1]
        if self.plm_cache is not None:
            return self.plm_cache.step(new_ids, key_mask)
        positions = (key_mask.long().cumsum(-1) - 1).clamp(min=0)[:, -new_ids.shape[1] :]
        # transformers 5 names the cache argument and output ``cache``; 4.x called them ``past_key_values``
        name = (
            "cache"
            if "cache" in inspect.signature(type(self.lm.module).forward).parameters
            else "past_key_values"
        )
        out = self.lm.module(
            input_ids=new_ids,
            attention_mask=key_mask,
            position_ids=positions,
            use_cache=True,
            **{name: self.past},
        )
        self.past = out[name]
        return out.logits[:, -1]


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
    use_cache: bool = True,
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
        decoder = _Decoder(lm, use_cache)
        feed = ids
        for _ in range(steps):
            logits = decoder.step(feed, mask)
            token = _pick(logits, temperature, top_p, generator)
            is_end = torch.isin(token, eos_tensor) & ~done
            ends = torch.where(is_end, token, ends)
            live = ~done & ~is_end
            new.append(torch.where(live, token, torch.full_like(token, -1)))
            done |= is_end
            feed = torch.where(live, token, torch.full_like(token, pad)).unsqueeze(1)
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
