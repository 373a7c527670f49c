"""PLM inference with the compressed MLA cache and absorbed up-projections.

Per token and layer the cache keeps only ``c = kv_a_layernorm(latent)`` (``kv_lora_rank`` numbers) and the
roped shared key (``qk_rope_head_dim``).  Decoding never decompresses the cache: for head ``h`` the score
``q_nope_h . (W_UK_h c_s)`` is computed as ``(W_UK_h^T q_nope_h) . c_s`` (the key up-projection absorbed
into the query) and the value ``sum_s p_s W_UV_h c_s`` as ``W_UV_h (sum_s p_s c_s)`` (the value up-projection
absorbed into the output side, just before ``o_proj``).  Prompts of more than ``absorb_threshold`` tokens are
prefilled with decompressed keys and values instead, which is cheaper for long chunks and gives the same
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from tactica.llm.plm.config import PLMConfig
from tactica.llm.plm.model import PLMForCausalLM, apply_rotary_interleaved
from tactica.llm.runtime.cache import LatentCache
from tactica.llm.runtime.quant import DenseLinear, quantize_linear

__all__ = ["EdgeModel", "MemoryReport"]


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


@dataclass
class _Layer:
    input_norm: torch.Tensor
    post_norm: torch.Tensor
    q_proj: DenseLinear | None
    q_a_proj: DenseLinear | None
    q_a_norm: torch.Tensor | None
    q_b_proj: DenseLinear | None
    kv_a_proj: DenseLinear
    kv_a_norm: torch.Tensor
    w_uk: torch.Tensor  # [heads, nope, r]  key up-projection, applied to queries
    w_uv_t: torch.Tensor  # [heads, r, v]   value up-projection, applied to the attended latent
    o_proj: DenseLinear
    up_proj: DenseLinear
    down_proj: DenseLinear
    down_t: torch.Tensor | None  # [ff, hidden] float rows, for skipping zero activations


@dataclass
class MemoryReport:
    """Bytes held by an :class:`EdgeModel` and its cache."""

    parameters: int
    weight_bytes: int
    weight_bytes_by_kind: dict[str, int]
    cache_bytes_per_token: int
    decompressed_cache_bytes_per_token: int
    context_length: int

    @property
    def cache_ratio(self) -> float:
        """How many times smaller the compressed cache is than a decompressed one."""
        return self.decompressed_cache_bytes_per_token / self.cache_bytes_per_token

    def as_dict(self) -> dict:
        return {
            "parameters": self.parameters,
            "weight_bytes": self.weight_bytes,
            "weight_bytes_by_kind": dict(self.weight_bytes_by_kind),
            "cache_bytes_per_token": self.cache_bytes_per_token,
            "decompressed_cache_bytes_per_token": self.decompressed_cache_bytes_per_token,
            "cache_ratio": round(self.cache_ratio, 3),
            "cache_bytes_at_context": self.cache_bytes_per_token * self.context_length,
            "context_length": self.context_length,
        }


class EdgeModel:
    """A PLM prepared for CPU inference: float32 activations, optional int8/int4 weights, compressed cache.

    Args:
        model: a :class:`PLMForCausalLM` (any dtype; weights are converted).
        quantize: ``None`` (float32), ``"int8"`` (per output channel), ``"int4"`` (groups of up to 128) or
            ``"int8-dynamic"`` (int8 weights times per-token 8-bit activations, the fast one) for every
            projection and the tied embedding/head; norms and the per-head up-projections stay float32.
        skip_zeros: in single-token decoding, multiply only the rows of ``down_proj`` whose squared-ReLU
            activation is non-zero (pays off when most activations are zero, as in trained models).
        absorb_threshold: chunks up to this many tokens use absorbed attention over the latent cache; longer
            prompt chunks decompress keys and values for that pass.
    """

    def __init__(
        self,
        model: PLMForCausalLM,
        *,
        quantize: str | None = None,
        skip_zeros: bool = False,
        absorb_threshold: int = 8,
    ):
        config: PLMConfig = model.config
        self.config = config
        self.quantize = None if quantize in (None, "none") else quantize
        self.skip_zeros = skip_zeros
        self.absorb_threshold = absorb_threshold
        self.eps = config.rms_norm_eps
        h, n = config.num_attention_heads, config.qk_nope_head_dim
        mode = self.quantize

        def lin(w: torch.Tensor) -> DenseLinear:
            return quantize_linear(w.float(), mode)

        sd = {k: v.detach().float() for k, v in model.state_dict().items()}
        self.embed = quantize_linear(sd["model.embed_tokens.weight"], mode, keep_rows=True)
        if config.tie_word_embeddings:
            self.lm_head = self.embed
        else:
            self.lm_head = lin(sd["lm_head.weight"])
        self.norm = sd["model.norm.weight"]
        self.layers: list[_Layer] = []
        for i in range(config.num_hidden_layers):
            p = f"model.layers.{i}."
            kv_b = sd[p + "self_attn.kv_b_proj.weight"]
            per_head = kv_b.view(h, n + config.v_head_dim, config.kv_lora_rank)
            plain = config.q_lora_rank is None
            self.layers.append(
                _Layer(
                    input_norm=sd[p + "input_layernorm.weight"],
                    post_norm=sd[p + "post_attention_layernorm.weight"],
                    q_proj=lin(sd[p + "self_attn.q_proj.weight"]) if plain else None,
                    q_a_proj=None if plain else lin(sd[p + "self_attn.q_a_proj.weight"]),
                    q_a_norm=None if plain else sd[p + "self_attn.q_a_layernorm.weight"],
                    q_b_proj=None if plain else lin(sd[p + "self_attn.q_b_proj.weight"]),
                    kv_a_proj=lin(sd[p + "self_attn.kv_a_proj_with_mqa.weight"]),
                    kv_a_norm=sd[p + "self_attn.kv_a_layernorm.weight"],
                    w_uk=per_head[:, :n, :].contiguous(),
                    w_uv_t=per_head[:, n:, :].transpose(1, 2).contiguous(),
                    o_proj=lin(sd[p + "self_attn.o_proj.weight"]),
                    up_proj=lin(sd[p + "mlp.up_proj.weight"]),
                    down_proj=lin(sd[p + "mlp.down_proj.weight"]),
                    down_t=sd[p + "mlp.down_proj.weight"].t().contiguous()
                    if skip_zeros and mode is None
                    else None,
                )
            )
        dim = config.qk_rope_head_dim
        self.inv_freq = 1.0 / (
            config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
        )

    @classmethod
    def from_pretrained(cls, directory: str | Path, **kwargs) -> EdgeModel:
        from tactica.llm.plm.checkpoint import load_model

        return cls(load_model(directory), **kwargs)

    # ------------------------------------------------------------------ cache and memory
    def new_cache(self, capacity: int = 256) -> LatentCache:
        c = self.config
        return LatentCache(c.num_hidden_layers, c.kv_lora_rank, c.qk_rope_head_dim, capacity=capacity)

    def memory_report(self, context_length: int | None = None) -> MemoryReport:
        by_kind: dict[str, int] = {}
        seen: set[int] = set()

        def add(kind: str, nbytes: int, key: int) -> None:
            if key not in seen:
                seen.add(key)
                by_kind[kind] = by_kind.get(kind, 0) + nbytes

        for linear in [self.embed, self.lm_head] + [
            x
            for layer in self.layers
            for x in (layer.q_proj, layer.q_a_proj, layer.q_b_proj, layer.kv_a_proj, layer.o_proj)
            + (layer.up_proj, layer.down_proj)
            if x is not None
        ]:
            add(linear.kind, linear.nbytes, id(linear))
        floats = [self.norm] + [
            t
            for layer in self.layers
            for t in (
                layer.input_norm,
                layer.post_norm,
                layer.q_a_norm,
                layer.kv_a_norm,
                layer.w_uk,
                layer.w_uv_t,
            )
            + (layer.down_t,)
            if t is not None
        ]
        for t in floats:
            add("float32", t.numel() * t.element_size(), id(t))
        c = self.config
        return MemoryReport(
            parameters=c.num_parameters(),
            weight_bytes=sum(by_kind.values()),
            weight_bytes_by_kind=by_kind,
            cache_bytes_per_token=c.num_hidden_layers * c.compressed_cache_width * 4,
            decompressed_cache_bytes_per_token=c.num_hidden_layers * c.decompressed_cache_width * 4,
            context_length=context_length or c.max_position_embeddings,
        )

    # ------------------------------------------------------------------ forward
    def _rope(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[:, None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    def _attention(self, layer: _Layer, x: torch.Tensor, cache: LatentCache, layer_idx: int, cos, sin):
        c = self.config
        t = x.shape[0]
        heads, nope, rope, v = c.num_attention_heads, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim
        if layer.q_proj is not None:
            q = layer.q_proj(x)
        else:
            q = layer.q_b_proj(_rms_norm(layer.q_a_proj(x), layer.q_a_norm, self.eps))
        q = q.view(t, heads, nope + rope).transpose(0, 1)  # [H, T, qk]
        q_nope, q_rot = q[..., :nope], q[..., nope:]
        q_rot = apply_rotary_interleaved(q_rot, cos, sin, c.rope_interleave)
        compressed = layer.kv_a_proj(x)
        latent = _rms_norm(compressed[:, : c.kv_lora_rank], layer.kv_a_norm, self.eps)
        k_rot = apply_rotary_interleaved(compressed[:, c.kv_lora_rank :], cos, sin, c.rope_interleave)
        all_latent, all_rope = cache.append(layer_idx, latent, k_rot)
        total = all_latent.shape[0]
        past = total - t
        mask = None
        if t > 1 and (past > 0 or t <= self.absorb_threshold):  # causal over the chunk; cached tokens visible
            mask = torch.ones(t, total, dtype=torch.bool).tril(diagonal=past)
        if t <= self.absorb_threshold:
            q_latent = torch.bmm(q_nope, layer.w_uk)  # [H, T, r]: key up-projection absorbed into the query
            scores = torch.matmul(q_latent, all_latent.T) + torch.matmul(q_rot, all_rope.T)
            scores = scores * c.softmax_scale
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            out_latent = torch.matmul(probs, all_latent)  # [H, T, r]
            out = torch.bmm(out_latent, layer.w_uv_t)  # [H, T, v]: value up-projection after attention
        else:
            # decompress this layer's keys and values for the pass (transient, never cached)
            k_nope = torch.matmul(all_latent, layer.w_uk.transpose(1, 2))  # [H, L, nope]
            value = torch.matmul(all_latent, layer.w_uv_t)  # [H, L, v]
            key = torch.cat((k_nope, all_rope.unsqueeze(0).expand(heads, total, rope)), dim=-1)
            query = torch.cat((q_nope, q_rot), dim=-1)
            if past == 0:  # a fresh prompt: the fused causal kernel, no T x T mask in memory
                out = F.scaled_dot_product_attention(query, key, value, is_causal=True, scale=c.softmax_scale)
            else:
                out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=c.softmax_scale)
        return layer.o_proj(out.transpose(0, 1).reshape(t, heads * v))

    def _mlp(self, layer: _Layer, x: torch.Tensor) -> torch.Tensor:
        act = torch.relu(layer.up_proj(x)).square()
        if layer.down_t is not None and x.shape[0] == 1:
            active = act[0].nonzero().squeeze(1)  # squared ReLU leaves most entries exactly zero
            return (act[0, active] @ layer.down_t[active]).unsqueeze(0)
        return layer.down_proj(act)

    @torch.inference_mode()
    def forward(self, token_ids: torch.Tensor | list[int], cache: LatentCache, *, all_logits: bool = False):
        """Run new tokens through the model, appending them to ``cache``.

        Returns the logits of the last token [vocab] (or of every new token [T, vocab] with ``all_logits``).
        """
        ids = torch.as_tensor(token_ids, dtype=torch.long).reshape(-1)
        t = ids.shape[0]
        if t == 0:
            raise ValueError("forward() needs at least one token")
        if cache.length + t > self.config.max_position_embeddings:
            raise ValueError(
                f"context of {cache.length + t} tokens exceeds max_position_embeddings "
                f"{self.config.max_position_embeddings}"
            )
        if int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size})")
        cos, sin = self._rope(torch.arange(cache.length, cache.length + t))
        x = self.embed.rows(ids)
        for i, layer in enumerate(self.layers):
            x = x + self._attention(layer, _rms_norm(x, layer.input_norm, self.eps), cache, i, cos, sin)
            x = x + self._mlp(layer, _rms_norm(x, layer.post_norm, self.eps))
        cache.commit(t)
        if not all_logits:
            x = x[-1:]
        logits = self.lm_head(_rms_norm(x, self.norm, self.eps))
        return logits if all_logits else logits[0]
