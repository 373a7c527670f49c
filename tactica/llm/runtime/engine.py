"""PLM inference with the compressed MLA cache and absorbed up-projections.

Per token and layer the cache keeps only ``c = kv_a_layernorm(latent)`` (``kv_lora_rank`` numbers) and the
roped shared key (``qk_rope_head_dim``).  Decoding never decompresses the cache: for head ``h`` the score
``q_nope_h . (W_UK_h c_s)`` is computed as ``(W_UK_h^T q_nope_h) . c_s`` (the key up-projection absorbed
into the query) and the value ``sum_s p_s W_UV_h c_s`` as ``W_UV_h (sum_s p_s c_s)`` (the value up-projection
absorbed into the output side, just before ``o_proj``).  Prompts of more than ``absorb_threshold`` tokens are
prefilled with decompressed keys and values instead, which is cheaper for long chunks and gives the same
numbers.  Prompts longer than ``prefill_chunk`` tokens run in pieces of that size (llama.cpp's micro-batches), so
a long prompt's activations never grow past one piece's.

Weights are built one tensor at a time from the checkpoint's memory-mapped files (:mod:`.weights`): a weight
used in its stored format is a view of the file, a converted one is released from memory once converted, so
loading never holds a second full-precision copy.  :meth:`EdgeModel.forward_batch` advances many sequences by
one token each in one pass (continuous batching), each with its own cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from tactica.llm.plm.config import PLMConfig
from tactica.llm.plm.model import PLMForCausalLM, apply_rotary_interleaved
from tactica.llm.runtime.cache import LatentCache
from tactica.llm.runtime.quant import (
    DenseLinear,
    Int4Linear,
    Int8DynamicLinear,
    Int8Linear,
    quantize_linear,
)
from tactica.llm.runtime.weights import TensorDictSource, WeightSource, keep_large_allocations_out_of_the_heap

__all__ = ["EdgeModel", "MemoryReport", "QUANTIZED_FORMATS", "LINEAR_WEIGHTS"]

# formats a quantised checkpoint (tactica quantize) stores, and the runtime modes each can be loaded as
QUANTIZED_FORMATS = {"int8": ("int8", "int8-dynamic"), "int4": ("int4",)}
# the projections that are quantised (per layer, relative to "model.layers.N."); kv_b_proj stays in float
# because decoding uses it per head, absorbed into the query and output sides
LINEAR_WEIGHTS = (
    "self_attn.q_proj",
    "self_attn.q_a_proj",
    "self_attn.q_b_proj",
    "self_attn.kv_a_proj_with_mqa",
    "self_attn.o_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)


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
    down_t: torch.Tensor | None  # [ff, hidden] rows, for skipping zero activations


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


def _small(t: torch.Tensor) -> torch.Tensor:
    """A norm weight or similar small vector, as a float32 copy."""
    return t.detach().float().clone()


class _Builder:
    """Turns the tensors of a :class:`WeightSource` into runtime layers, releasing each source tensor once used."""

    def __init__(self, source, config: PLMConfig, mode: str | None, quantization: dict | None, dtype):
        self.source, self.config, self.mode, self.dtype = source, config, mode, dtype
        self.stored = (quantization or {}).get("format")  # int8 / int4 codes on disk, or None for float

    def tensor(self, name: str) -> torch.Tensor:
        if name not in self.source:
            raise ValueError(f"the checkpoint has no tensor {name!r}")
        t = self.source[name]
        if self.dtype is not None and t.is_floating_point() and t.dtype != self.dtype:
            t = t.to(self.dtype)
        return t

    def small(self, name: str) -> torch.Tensor:
        out = _small(self.tensor(name))
        self.source.release(name)
        return out

    def linear(self, name: str, *, rows: bool = False) -> DenseLinear:
        """The linear layer ``name`` (a ``.weight`` in float, or ``.qweight``/``.scales``/``.zeros`` codes).

        ``rows``: quantising at load, keep the codes for row lookups too (a tied embedding), so its rows are the
        same quantised values a stored quantised checkpoint gives.
        """
        if self.stored and f"{name}.qweight" in self.source:
            return self._stored_linear(name)
        weight = self.tensor(f"{name}.weight")
        if self.mode is None:
            return DenseLinear(weight)  # the stored bytes themselves (bf16/float32)
        linear = quantize_linear(weight, self.mode, keep_rows=rows)
        self.source.release(f"{name}.weight")
        return linear

    def rows(self, name: str):
        """A table to look rows up in, as stored: only the rows looked up are read from the file."""
        if self.stored and f"{name}.qweight" in self.source and isinstance(self.source, WeightSource):
            return _StoredRows(self.source, name)
        return DenseLinear(self.tensor(f"{name}.weight"))

    def _stored_linear(self, name: str) -> DenseLinear:
        codes, scales = self.source[f"{name}.qweight"], self.source[f"{name}.scales"]

        def drop(start: int, end: int) -> None:  # these rows are packed for the kernel: free their file pages
            self.source.release(f"{name}.qweight", (start, end))

        if codes.dtype == torch.int8:
            if self.mode != "int8-dynamic":
                return Int8Linear(codes=codes, scales=scales)  # used in place
            linear = Int8DynamicLinear(
                codes=codes, scales=scales, after_chunk=drop
            )  # embedding rows: from the file
        else:
            zeros = self.source[f"{name}.zeros"]
            linear = Int4Linear(packed=codes, scales=scales, zeros=zeros, keep_packed=True, after_chunk=drop)
            self.source.release(f"{name}.zeros")
        self.source.release(
            f"{name}.scales"
        )  # the kernel holds its own copy; rows re-read the file when needed
        return linear


class _StoredRows:
    """Rows of a quantised embedding read from the checkpoint file on demand (the vocabulary projection computes
    from its packed copy, so the table itself is never resident)."""

    def __init__(self, source: WeightSource, name: str):
        self.source, self.name = source, name
        self.int4 = f"{name}.zeros" in source

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        flat = index.reshape(-1).tolist()
        codes = self.source.read_rows(f"{self.name}.qweight", flat)
        scales = self.source.read_rows(f"{self.name}.scales", flat)
        if self.int4:
            zeros = self.source.read_rows(f"{self.name}.zeros", flat)
            table = Int4Linear(packed=codes, scales=scales, zeros=zeros, kernel=False)
        else:
            table = Int8Linear(codes=codes, scales=scales, kernel=False)
        return table.dequantize().view(*index.shape, -1)


class EdgeModel:
    """A PLM prepared for CPU inference: float32 activations, float/bf16/int8/int4 weights, compressed cache.

    Args:
        model: a :class:`PLMForCausalLM` (any dtype), or use :meth:`from_pretrained` to build straight from a
            checkpoint directory without a module in between.
        quantize: ``None`` (the weights' own float format), ``"int8"`` (per output channel), ``"int4"`` (groups
            of up to 128) or ``"int8-dynamic"`` (int8 weights times per-row 8-bit activations, the fast one) for
            every projection and the vocabulary projection; norms and the per-head up-projections stay float.
        skip_zeros: in single-token decoding, multiply only the rows of ``down_proj`` whose squared-ReLU
            activation is non-zero (pays off when most activations are zero, as in trained models).
        absorb_threshold: chunks up to this many tokens use absorbed attention over the latent cache; longer
            prompt chunks decompress keys and values for that pass.
        prefill_chunk: a prompt longer than this runs through the model in chunks of this many tokens, each
            appended to the cache before the next (llama.cpp's micro-batches): activation memory is then bounded
            by the chunk instead of growing with the prompt.  ``None`` runs every prompt in one pass.
        dtype: convert float weights to this dtype while building (``torch.float32`` to compute a bf16
            checkpoint in float32, at twice the memory); ``None`` keeps the stored dtype.
    """

    def __init__(
        self,
        model: PLMForCausalLM | None = None,
        *,
        quantize: str | None = None,
        skip_zeros: bool = False,
        absorb_threshold: int = 8,
        prefill_chunk: int | None = 256,
        dtype: torch.dtype | None = None,
        source: Mapping[str, torch.Tensor] | None = None,
        config: PLMConfig | None = None,
        quantization: dict | None = None,
    ):
        if model is not None:
            config = model.config
            source = TensorDictSource(model.state_dict())
        if source is None or config is None:
            raise TypeError("EdgeModel needs a PLMForCausalLM, or a weight source with its config")
        self.config = config
        mode = None if quantize in (None, "none") else quantize
        if mode not in (None, "int8", "int4", "int8-dynamic"):
            raise ValueError(
                f"quantisation {quantize!r} is not supported; accepted: none, int8, int4, int8-dynamic"
            )
        stored = (quantization or {}).get("format")
        if stored is not None:
            allowed = QUANTIZED_FORMATS.get(stored)
            if allowed is None:
                raise ValueError(f"the checkpoint's quantisation format {stored!r} is unknown; accepted: "
                                 f"{', '.join(QUANTIZED_FORMATS)}")  # fmt: skip
            if mode is None:
                mode = allowed[0]
            elif mode not in allowed:
                raise ValueError(f"this checkpoint is quantised to {stored}; it loads as {' or '.join(allowed)}, "
                                 f"not {mode} (quantise the original checkpoint instead)")  # fmt: skip
        self.quantize = mode
        self.skip_zeros = skip_zeros
        self.absorb_threshold = absorb_threshold
        if prefill_chunk is not None and (isinstance(prefill_chunk, bool) or not isinstance(prefill_chunk, int)
                                          or prefill_chunk < 1):  # fmt: skip
            raise ValueError(
                f"prefill_chunk must be a positive number of tokens or None, got {prefill_chunk!r}"
            )
        self.prefill_chunk = prefill_chunk
        self.eps = config.rms_norm_eps
        build = _Builder(source, config, mode, quantization, dtype)
        self._build(build, skip_zeros)
        build.source.settle()
        dim = config.qk_rope_head_dim
        self.inv_freq = 1.0 / (
            config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
        )
        self._source = source  # keeps the memory map alive for views and embedding rows

    def _build(self, build: _Builder, skip_zeros: bool) -> None:
        config = self.config
        h, n = config.num_attention_heads, config.qk_nope_head_dim
        embed_name = "model.embed_tokens"
        if config.tie_word_embeddings:
            self.lm_head = build.linear(embed_name, rows=True)
        else:
            self.lm_head = build.linear("lm_head")
        # a tied table serves its own rows, unless it is a stored table computed from a packed copy: then its
        # rows are read from the file (where the plain codes are) one lookup at a time
        packed = build.stored is not None and type(self.lm_head) is not Int8Linear
        if config.tie_word_embeddings and not packed and self._can_look_up(self.lm_head):
            self.embed = self.lm_head
        else:  # rows straight from the stored table: only the looked-up rows are ever read
            self.embed = build.rows(embed_name)
        self.norm = build.small("model.norm.weight")
        self.layers: list[_Layer] = []
        plain = config.q_lora_rank is None
        for i in range(config.num_hidden_layers):
            p = f"model.layers.{i}."
            kv_b = build.tensor(p + "self_attn.kv_b_proj.weight")
            kv_dtype = kv_b.dtype if kv_b.dtype in (torch.float32, torch.bfloat16) else torch.float32
            per_head = kv_b.view(h, n + config.v_head_dim, config.kv_lora_rank).to(kv_dtype)
            down = build.linear(p + "mlp.down_proj")
            self.layers.append(
                _Layer(
                    input_norm=build.small(p + "input_layernorm.weight"),
                    post_norm=build.small(p + "post_attention_layernorm.weight"),
                    q_proj=build.linear(p + "self_attn.q_proj") if plain else None,
                    q_a_proj=None if plain else build.linear(p + "self_attn.q_a_proj"),
                    q_a_norm=None if plain else build.small(p + "self_attn.q_a_layernorm.weight"),
                    q_b_proj=None if plain else build.linear(p + "self_attn.q_b_proj"),
                    kv_a_proj=build.linear(p + "self_attn.kv_a_proj_with_mqa"),
                    kv_a_norm=build.small(p + "self_attn.kv_a_layernorm.weight"),
                    w_uk=per_head[:, :n, :].contiguous(),
                    w_uv_t=per_head[:, n:, :].transpose(1, 2).contiguous(),
                    o_proj=build.linear(p + "self_attn.o_proj"),
                    up_proj=build.linear(p + "mlp.up_proj"),
                    down_proj=down,
                    down_t=down.weight.t().contiguous() if skip_zeros and type(down) is DenseLinear else None,
                )
            )
            build.source.release(p + "self_attn.kv_b_proj.weight")

    @staticmethod
    def _can_look_up(linear: DenseLinear) -> bool:
        if isinstance(linear, Int4Linear):
            return linear.packed is not None
        if isinstance(linear, Int8DynamicLinear):
            return linear.qweight is not None
        return True

    @classmethod
    def from_pretrained(cls, directory: str | Path, **kwargs) -> EdgeModel:
        """Build from a checkpoint directory (plain or written by ``tactica quantize``) via memory-mapped files."""
        directory = Path(directory)
        config = PLMConfig.from_pretrained(directory)
        keep_large_allocations_out_of_the_heap()
        quantization = config.extra.get("quantization_config")
        if quantization is not None and (
            not isinstance(quantization, dict) or quantization.get("quant_method") != "tactica"
        ):
            raise ValueError(f"{directory}: quantization_config {quantization!r} is not tactica's; accepted: "
                             "checkpoints written by 'tactica quantize'")  # fmt: skip
        return cls(
            source=WeightSource.from_directory(directory), config=config, quantization=quantization, **kwargs
        )

    # ------------------------------------------------------------------ cache and memory
    def new_cache(self, capacity: int = 256) -> LatentCache:
        c = self.config
        return LatentCache(c.num_hidden_layers, c.kv_lora_rank, c.qk_rope_head_dim, capacity=capacity)

    def linears(self) -> list[DenseLinear]:
        out = [self.lm_head] + [
            x
            for layer in self.layers
            for x in (layer.q_proj, layer.q_a_proj, layer.q_b_proj, layer.kv_a_proj, layer.o_proj)
            + (layer.up_proj, layer.down_proj)
            if x is not None
        ]
        return out

    def memory_report(self, context_length: int | None = None) -> MemoryReport:
        """Bytes of the weights the runtime computes with (an embedding table read row by row from the
        checkpoint file, separate from a quantised vocabulary projection, is not counted: only the rows in use are
        ever resident)."""
        by_kind: dict[str, int] = {}
        seen: set[int] = set()

        def add(kind: str, nbytes: int, key: int) -> None:
            if key not in seen:
                seen.add(key)
                by_kind[kind] = by_kind.get(kind, 0) + nbytes

        for linear in self.linears():
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
            add(str(t.dtype).removeprefix("torch."), t.numel() * t.element_size(), id(t))
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

    @staticmethod
    def _per_head(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``x @ weight`` per head ([H, T, a] @ [H, a, b]) in the weight's dtype, float32 out."""
        if weight.dtype == torch.float32:
            return torch.bmm(x, weight)
        return torch.bmm(x.to(weight.dtype), weight).float()

    def _queries(self, layer: _Layer, x: torch.Tensor, cos, sin):
        c = self.config
        t = x.shape[0]
        if layer.q_proj is not None:
            q = layer.q_proj(x)
        else:
            q = layer.q_b_proj(_rms_norm(layer.q_a_proj(x), layer.q_a_norm, self.eps))
        q = q.view(t, c.num_attention_heads, c.qk_head_dim).transpose(0, 1)  # [H, T, qk]
        q_nope, q_rot = q[..., : c.qk_nope_head_dim], q[..., c.qk_nope_head_dim :]
        return q_nope, apply_rotary_interleaved(q_rot, cos, sin, c.rope_interleave)

    def _latents(self, layer: _Layer, x: torch.Tensor, cos, sin):
        c = self.config
        compressed = layer.kv_a_proj(x)
        latent = _rms_norm(compressed[:, : c.kv_lora_rank], layer.kv_a_norm, self.eps)
        k_rot = apply_rotary_interleaved(compressed[:, c.kv_lora_rank :], cos, sin, c.rope_interleave)
        return latent, k_rot

    @staticmethod
    def _decompress(layer: _Layer, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """This layer's keys [H, L, nope] and values [H, L, v] from the latents [L, r], float32 out (transient,
        never cached).

        The products run in the up-projections' own dtype, as absorbed decoding does: widening bf16 weights to
        float32 for every long prompt cost 8 MiB per layer with PLM-1.8B's dimensions, and a broadcast matmul of
        [L, r] against [H, r, .] copies the latents once per head.  Keys come from one 2-D product with the
        heads stacked; values from one product per head.
        """
        w_uk, w_uv_t = layer.w_uk, layer.w_uv_t  # [H, nope, r], [H, r, v]
        heads, length = w_uk.shape[0], latent.shape[0]
        low = latent.to(w_uk.dtype)
        k_nope = torch.matmul(w_uk.reshape(-1, w_uk.shape[-1]), low.T).view(heads, -1, length).transpose(1, 2)
        value = torch.stack([torch.matmul(low, w_uv_t[h]) for h in range(heads)])
        return k_nope.float(), value.float()

    def _absorbed(self, layer: _Layer, q_nope, q_rot, all_latent, all_rope, mask) -> torch.Tensor:
        """Attention of queries [H, T, .] over the latent cache, without decompressing it: [T, H * v]."""
        c = self.config
        q_latent = self._per_head(q_nope, layer.w_uk)  # [H, T, r]: key up-projection absorbed into the query
        scores = torch.matmul(q_latent, all_latent.T) + torch.matmul(q_rot, all_rope.T)
        scores = scores * c.softmax_scale
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        out = self._per_head(torch.matmul(probs, all_latent), layer.w_uv_t)  # [H, T, v]: value up-projection
        return out.transpose(0, 1).reshape(q_nope.shape[1], c.num_attention_heads * c.v_head_dim)

    def _attention(self, layer: _Layer, x: torch.Tensor, cache: LatentCache, layer_idx: int, cos, sin):
        c = self.config
        t = x.shape[0]
        heads, rope = c.num_attention_heads, c.qk_rope_head_dim
        q_nope, q_rot = self._queries(layer, x, cos, sin)
        latent, k_rot = self._latents(layer, x, cos, sin)
        all_latent, all_rope = cache.append(layer_idx, latent, k_rot)
        total = all_latent.shape[0]
        past = total - t
        mask = None
        if t > 1 and (past > 0 or t <= self.absorb_threshold):  # causal over the chunk; cached tokens visible
            mask = torch.ones(t, total, dtype=torch.bool).tril(diagonal=past)
        if t <= self.absorb_threshold:
            return layer.o_proj(self._absorbed(layer, q_nope, q_rot, all_latent, all_rope, mask))
        k_nope, value = self._decompress(layer, all_latent)
        key = torch.cat((k_nope, all_rope.unsqueeze(0).expand(heads, total, rope)), dim=-1)
        query = torch.cat((q_nope, q_rot), dim=-1)
        if past == 0:  # a fresh prompt: the fused causal kernel, no T x T mask in memory
            out = F.scaled_dot_product_attention(query, key, value, is_causal=True, scale=c.softmax_scale)
        else:
            out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=c.softmax_scale)
        return layer.o_proj(out.transpose(0, 1).reshape(t, heads * c.v_head_dim))

    def _mlp(self, layer: _Layer, x: torch.Tensor) -> torch.Tensor:
        act = layer.up_proj(x).relu_().square_()  # in place: the widest activation of the model, made once
        if layer.down_t is not None and x.shape[0] == 1:
            active = act[0].nonzero().squeeze(1)  # squared ReLU leaves most entries exactly zero
            rows = layer.down_t[active]
            return (act[0, active].to(rows.dtype) @ rows).float().unsqueeze(0)
        return layer.down_proj(act)

    def _check_ids(self, ids: torch.Tensor) -> None:
        if int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size})")

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
        self._check_ids(ids)
        step = t if self.prefill_chunk is None else self.prefill_chunk
        logits = []
        for start in range(0, t, step):
            x = self._hidden(ids[start : start + step], cache)
            if all_logits:
                logits.append(self.lm_head(_rms_norm(x, self.norm, self.eps)))
        if all_logits:
            return logits[0] if len(logits) == 1 else torch.cat(logits)
        return self.lm_head(_rms_norm(x[-1:], self.norm, self.eps))[0]  # only the last token is read

    def _hidden(self, ids: torch.Tensor, cache: LatentCache) -> torch.Tensor:
        """The residual stream after the last layer for ``ids`` [T, hidden], appended to ``cache``."""
        cos, sin = self._rope(torch.arange(cache.length, cache.length + ids.shape[0]))
        x = self.embed.rows(ids).float()  # a fresh tensor: the residual stream is then updated in place
        for i, layer in enumerate(self.layers):
            x += self._attention(layer, _rms_norm(x, layer.input_norm, self.eps), cache, i, cos, sin)
            x += self._mlp(layer, _rms_norm(x, layer.post_norm, self.eps))
        cache.commit(ids.shape[0])
        return x

    @torch.inference_mode()
    def forward_batch(self, token_ids: Sequence[int], caches: Sequence[LatentCache]) -> torch.Tensor:
        """Advance several sequences by one token each: ``token_ids[i]`` continues ``caches[i]``.

        The projections run once over all rows (what makes serving concurrent requests cheaper than serving
        them one after another: decoding is bound by reading the weights); attention runs per sequence over its
        own cache.  Returns logits [B, vocab].
        """
        if len(token_ids) != len(caches) or not caches:
            raise ValueError("forward_batch needs one token per cache, and at least one")
        limit = self.config.max_position_embeddings
        if any(cache.length + 1 > limit for cache in caches):
            raise ValueError(f"a sequence would exceed max_position_embeddings {limit}")
        ids = torch.as_tensor(list(token_ids), dtype=torch.long)
        self._check_ids(ids)
        cos, sin = self._rope(torch.tensor([cache.length for cache in caches]))
        x = self.embed.rows(ids)
        for i, layer in enumerate(self.layers):
            h = _rms_norm(x, layer.input_norm, self.eps)
            q_nope, q_rot = self._queries(layer, h, cos, sin)  # [H, B, .]
            latent, k_rot = self._latents(layer, h, cos, sin)
            outs = []
            for b, cache in enumerate(caches):
                all_latent, all_rope = cache.append(i, latent[b : b + 1], k_rot[b : b + 1])
                outs.append(
                    self._absorbed(
                        layer, q_nope[:, b : b + 1], q_rot[:, b : b + 1], all_latent, all_rope, None
                    )
                )
            x = x + layer.o_proj(torch.cat(outs))
            x = x + self._mlp(layer, _rms_norm(x, layer.post_norm, self.eps))
        for cache in caches:
            cache.commit(1)
        return self.lm_head(_rms_norm(x, self.norm, self.eps))
