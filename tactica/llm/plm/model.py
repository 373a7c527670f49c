"""PLM in PyTorch with the Hugging Face module tree, so ``state_dict`` keys are the checkpoint's weight names.

``model.embed_tokens``, ``model.layers.N.{input_layernorm, self_attn, post_attention_layernorm, mlp}``,
``model.norm`` and ``lm_head`` (tied to the embedding by default).  The attention is multi-head latent attention
(MLA): keys and values are decompressed from a per-token latent of ``kv_lora_rank`` numbers plus one rope key
shared by all heads.  This module computes full-sequence forward passes (training, and the reference that the
edge runtime in :mod:`tactica.llm.runtime` is tested against); the runtime owns the compressed cache.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tactica.llm.plm.config import PLMConfig

__all__ = [
    "PLMRMSNorm",
    "PLMRotaryEmbedding",
    "apply_rotary_interleaved",
    "PLMAttention",
    "PLMMLP",
    "PLMDecoderLayer",
    "PLMModel",
    "PLMForCausalLM",
]


class PLMRMSNorm(nn.Module):
    """RMSNorm computed in float32 and cast back, as LLaMA/PLM do."""

    def __init__(self, hidden_size: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)
        return self.weight * x.to(dtype)


class PLMRotaryEmbedding(nn.Module):
    """Cos/sin tables for rotary embeddings over the ``qk_rope_head_dim`` rope dimensions."""

    def __init__(self, config: PLMConfig):
        super().__init__()
        dim = config.qk_rope_head_dim
        inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    @torch.no_grad()
    def forward(self, position_ids: torch.Tensor, dtype: torch.dtype = torch.float32):
        """``position_ids`` [B, T] -> ``(cos, sin)`` each [B, T, dim] (frequencies repeated for both halves)."""
        freqs = position_ids[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_interleaved(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, interleave: bool = True):
    """Rotate ``x`` [..., T, d] by position.

    With ``interleave`` the rotated pairs are adjacent dimensions (2i, 2i+1), the layout of PLM and DeepSeek
    checkpoints; the result is returned in de-interleaved order (evens then odds), as transformers does.  The
    order does not change any dot product between two vectors rotated the same way.
    """
    if interleave:
        *lead, d = x.shape
        x = x.reshape(*lead, d // 2, 2).transpose(-1, -2).reshape(*lead, d)
    return x * cos + _rotate_half(x) * sin


class PLMAttention(nn.Module):
    """Multi-head latent attention with PLM's weight names (plain ``q_proj`` or low-rank query)."""

    def __init__(self, config: PLMConfig, layer_idx: int = 0):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.num_heads = config.num_attention_heads
        self.qk_nope_head_dim = config.qk_nope_head_dim
        self.qk_rope_head_dim = config.qk_rope_head_dim
        self.qk_head_dim = config.qk_head_dim
        self.v_head_dim = config.v_head_dim
        self.kv_lora_rank = config.kv_lora_rank
        self.scaling = config.softmax_scale
        h = config.hidden_size
        if config.q_lora_rank is None:
            self.q_proj = nn.Linear(h, self.num_heads * self.qk_head_dim, bias=False)
        else:
            self.q_a_proj = nn.Linear(h, config.q_lora_rank, bias=False)
            self.q_a_layernorm = PLMRMSNorm(config.q_lora_rank, config.rms_norm_eps)
            self.q_b_proj = nn.Linear(config.q_lora_rank, self.num_heads * self.qk_head_dim, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(h, config.kv_lora_rank + config.qk_rope_head_dim, bias=False)
        self.kv_a_layernorm = PLMRMSNorm(config.kv_lora_rank, config.rms_norm_eps)
        self.kv_b_proj = nn.Linear(
            config.kv_lora_rank, self.num_heads * (self.qk_nope_head_dim + self.v_head_dim), bias=False
        )
        self.o_proj = nn.Linear(self.num_heads * self.v_head_dim, h, bias=False)

    def query(self, hidden: torch.Tensor) -> torch.Tensor:
        """[B, T, hidden] -> queries [B, heads, T, qk_head_dim] (before RoPE)."""
        if self.config.q_lora_rank is None:
            q = self.q_proj(hidden)
        else:
            q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(hidden)))
        b, t, _ = hidden.shape
        return q.view(b, t, self.num_heads, self.qk_head_dim).transpose(1, 2)

    def latent(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, T, hidden] -> (normed latent [B, T, kv_lora_rank], rope key [B, T, rope] before RoPE)."""
        compressed = self.kv_a_proj_with_mqa(hidden)
        c, k_rot = torch.split(compressed, [self.kv_lora_rank, self.qk_rope_head_dim], dim=-1)
        return self.kv_a_layernorm(c), k_rot

    def forward(
        self,
        hidden: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor],
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Causal self-attention over the whole sequence; ``attention_mask`` is an optional additive
        [B, 1, T, T] mask replacing the causal one."""
        b, t, _ = hidden.shape
        cos, sin = position_embeddings
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = self.query(hidden)
        q_pass, q_rot = torch.split(q, [self.qk_nope_head_dim, self.qk_rope_head_dim], dim=-1)
        c, k_rot = self.latent(hidden)
        kv = (
            self.kv_b_proj(c)
            .view(b, t, self.num_heads, self.qk_nope_head_dim + self.v_head_dim)
            .transpose(1, 2)
        )
        k_pass, value = torch.split(kv, [self.qk_nope_head_dim, self.v_head_dim], dim=-1)
        interleave = self.config.rope_interleave
        q_rot = apply_rotary_interleaved(q_rot, cos, sin, interleave)
        k_rot = apply_rotary_interleaved(k_rot.unsqueeze(1), cos, sin, interleave)
        query = torch.cat((q_pass, q_rot), dim=-1)
        key = torch.cat((k_pass, k_rot.expand(b, self.num_heads, t, self.qk_rope_head_dim)), dim=-1)
        if attention_mask is None:
            out = F.scaled_dot_product_attention(query, key, value, is_causal=True, scale=self.scaling)
        else:
            out = F.scaled_dot_product_attention(
                query, key, value, attn_mask=attention_mask, scale=self.scaling
            )
        out = out.transpose(1, 2).reshape(b, t, self.num_heads * self.v_head_dim)
        return self.o_proj(out)


class PLMMLP(nn.Module):
    """Ungated two-matrix MLP with squared ReLU: ``down_proj(relu(up_proj(x)) ** 2)``."""

    def __init__(self, config: PLMConfig):
        super().__init__()
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(torch.relu(self.up_proj(x)).square())


class PLMDecoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, config: PLMConfig, layer_idx: int):
        super().__init__()
        self.self_attn = PLMAttention(config, layer_idx)
        self.mlp = PLMMLP(config)
        self.input_layernorm = PLMRMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = PLMRMSNorm(config.hidden_size, config.rms_norm_eps)

    def forward(self, hidden, position_embeddings, attention_mask=None):
        hidden = hidden + self.self_attn(self.input_layernorm(hidden), position_embeddings, attention_mask)
        return hidden + self.mlp(self.post_attention_layernorm(hidden))


class PLMModel(nn.Module):
    """Embedding, decoder layers and final norm (the ``model.`` prefix of the checkpoint)."""

    def __init__(self, config: PLMConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(PLMDecoderLayer(config, i) for i in range(config.num_hidden_layers))
        self.norm = PLMRMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = PLMRotaryEmbedding(config)

    def _check_ids(self, input_ids: torch.Tensor) -> None:
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, seq], got shape {tuple(input_ids.shape)}")
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence of {input_ids.shape[1]} tokens exceeds max_position_embeddings "
                f"{self.config.max_position_embeddings}"
            )

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor | None = None) -> torch.Tensor:
        self._check_ids(input_ids)
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t, device=input_ids.device).unsqueeze(0).expand(b, t)
        hidden = self.embed_tokens(input_ids)
        position_embeddings = self.rotary_emb(position_ids, hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, position_embeddings)
        return self.norm(hidden)


class PLMForCausalLM(nn.Module):
    """PLM with its language-model head; ``forward(input_ids) -> logits`` [B, T, vocab]."""

    def __init__(self, config: PLMConfig):
        super().__init__()
        self.config = config
        self.model = PLMModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.reset_parameters()
        self.tie_weights()

    def tie_weights(self) -> None:
        if self.config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Normal(0, initializer_range) weights, ones for norms; output projections scaled by 1/sqrt(2L)
        (GPT-2's residual scaling) so a deep stack starts near the identity."""
        std = self.config.initializer_range
        residual_std = std / math.sqrt(2 * self.config.num_hidden_layers)
        for name, module in self.named_modules():
            if isinstance(module, nn.Linear):
                scale = residual_std if name.endswith(("o_proj", "down_proj")) else std
                module.weight.normal_(0.0, scale, generator=generator)
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(0.0, std, generator=generator)
            elif isinstance(module, PLMRMSNorm):
                module.weight.fill_(1.0)

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.lm_head(self.model(input_ids, position_ids))

    def loss(self, input_ids: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """Mean (or ``"sum"``) next-token cross-entropy; ``labels`` are aligned with ``input_ids`` (shifted here),
        -100 ignored.  The output head runs only on the positions that have a label (a chat's reply is a small
        part of its tokens, and the head over the vocabulary is a large part of a small model's cost)."""
        hidden = self.model(input_ids)[:, :-1]
        targets = labels[:, 1:]
        keep = targets != -100
        logits = self.lm_head(hidden[keep])
        return F.cross_entropy(logits.float(), targets[keep], reduction=reduction)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in {id(p): p for p in self.parameters()}.values())
