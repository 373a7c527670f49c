"""Our MLA attention block against transformers' DeepseekV3Attention given identical weights."""

from __future__ import annotations

import pytest
import torch

from tactica.llm.plm.model import PLMAttention, PLMRotaryEmbedding

from .conftest import random_model, tiny_config

transformers = pytest.importorskip("transformers")
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as hf  # noqa: E402


def _hf_config(config, interleave: bool):
    hf_config = transformers.DeepseekV3Config(
        vocab_size=config.vocab_size,
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_attention_heads,
        kv_lora_rank=config.kv_lora_rank,
        q_lora_rank=config.q_lora_rank,
        qk_rope_head_dim=config.qk_rope_head_dim,
        qk_nope_head_dim=config.qk_nope_head_dim,
        v_head_dim=config.v_head_dim,
        first_k_dense_replace=config.num_hidden_layers,
        rope_theta=config.rope_theta,  # transformers 5 folds it into rope_parameters; 4.x reads it as is
        rope_interleave=interleave,
        rms_norm_eps=config.rms_norm_eps,
        max_position_embeddings=config.max_position_embeddings,
    )
    hf_config._attn_implementation = "eager"
    return hf_config


@pytest.mark.parametrize("q_lora_rank", [None, 24])
@pytest.mark.parametrize("interleave", [True, False])
def test_attention_matches_transformers_deepseek_v3(q_lora_rank, interleave):
    config = tiny_config(q_lora_rank=q_lora_rank, rope_interleave=interleave)
    ours: PLMAttention = random_model(config).model.layers[1].self_attn
    theirs = hf.DeepseekV3Attention(_hf_config(config, interleave), layer_idx=1).eval()
    missing, unexpected = theirs.load_state_dict(ours.state_dict(), strict=True), None
    assert unexpected is None and not missing.missing_keys

    generator = torch.Generator().manual_seed(7)
    batch, seq = 2, 23
    hidden = torch.randn(batch, seq, config.hidden_size, generator=generator)
    positions = torch.arange(seq).unsqueeze(0).expand(batch, seq) + 5  # an offset exercises RoPE positions
    causal = torch.full((seq, seq), float("-inf")).triu(1)[None, None].expand(batch, 1, seq, seq)

    with torch.no_grad():
        hf_rope = hf.DeepseekV3RotaryEmbedding(_hf_config(config, interleave))(hidden, positions)
        expected, _ = theirs(hidden, hf_rope, causal)
        our_rope = PLMRotaryEmbedding(config)(positions)
        got_causal = ours(hidden, our_rope)  # built-in causal mask
        got_masked = ours(hidden, our_rope, causal)
    assert expected.abs().max() > 0.1  # the comparison is not between near-zero tensors
    torch.testing.assert_close(got_causal, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(got_masked, expected, atol=1e-5, rtol=0)


def test_rotary_tables_match_transformers():
    config = tiny_config()
    positions = torch.arange(40).unsqueeze(0)
    x = torch.zeros(1, 40, config.hidden_size)
    cos, sin = hf.DeepseekV3RotaryEmbedding(_hf_config(config, True))(x, positions)
    ours_cos, ours_sin = PLMRotaryEmbedding(config)(positions)
    torch.testing.assert_close(ours_cos, cos)
    torch.testing.assert_close(ours_sin, sin)
