"""Configuration fields, parameter count of PLM-1.8B and the Hugging Face checkpoint layout round trip."""

from __future__ import annotations

import json

import pytest
import torch

from tactica.llm.plm import PLMConfig, PLMForCausalLM, PLMTokenizer, load_model, save_model

from .conftest import random_model, tiny_config

safetensors_torch = pytest.importorskip("safetensors.torch")

# PLM-1.8B's config.json fields (transformers' PLMConfig), with the dimensions shrunk for a fast test.
PUBLISHED_CONFIG = {
    "architectures": ["PLMForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151643,
    "hidden_act": "relu2",
    "hidden_size": 64,
    "initializer_range": 0.02,
    "intermediate_size": 256,
    "kv_lora_rank": 32,
    "max_position_embeddings": 4096,
    "model_type": "plm",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 4,
    "pretraining_tp": 1,
    "q_lora_rank": None,
    "qk_nope_head_dim": 16,
    "qk_rope_head_dim": 8,
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 100000.0,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.51.3",
    "use_cache": True,
    "v_head_dim": 16,
    "vocab_size": 320,
}


def test_plm_1_8b_parameter_count():
    # the defaults are PLM-1.8B; 1,825,458,176 parameters = 3.65 GB in bf16, the hub's model.safetensors size
    config = PLMConfig()
    assert config.num_parameters() == 1_825_458_176
    assert (config.compressed_cache_width, config.decompressed_cache_width) == (576, 16 * (192 + 128))


def test_model_parameter_count_matches_config():
    for q in (None, 24):
        config = tiny_config(q_lora_rank=q)
        assert PLMForCausalLM(config).num_parameters() == config.num_parameters()


def test_weight_names_are_hugging_face_names():
    names = set(random_model(tiny_config()).state_dict())
    layer = "model.layers.0."
    for suffix in (
        "self_attn.q_proj.weight",
        "self_attn.kv_a_proj_with_mqa.weight",
        "self_attn.kv_a_layernorm.weight",
        "self_attn.kv_b_proj.weight",
        "self_attn.o_proj.weight",
        "mlp.up_proj.weight",
        "mlp.down_proj.weight",
        "input_layernorm.weight",
        "post_attention_layernorm.weight",
    ):
        assert layer + suffix in names
    assert {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"} <= names
    low_rank = set(random_model(tiny_config(q_lora_rank=24)).state_dict())
    assert {layer + "self_attn.q_a_proj.weight", layer + "self_attn.q_a_layernorm.weight"} <= low_rank
    assert (
        layer + "self_attn.q_b_proj.weight" in low_rank and layer + "self_attn.q_proj.weight" not in low_rank
    )


def _write_published(directory, tokenizer):
    """A checkpoint written the way transformers and tokenizers write one."""
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(PUBLISHED_CONFIG, indent=2, sort_keys=True) + "\n")
    config = PLMConfig.from_dict(PUBLISHED_CONFIG)
    model = random_model(config, seed=11)
    state = {
        k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"
    }
    safetensors_torch.save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    tokenizer.tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer.config, indent=2) + "\n")
    (directory / "generation_config.json").write_text('{\n  "do_sample": false\n}\n')
    return model


def test_published_layout_round_trips_bit_for_bit(tmp_path, tokenizer):
    source = tmp_path / "published"
    original = _write_published(source, tokenizer)
    model = load_model(source)
    assert next(model.parameters()).dtype == torch.bfloat16
    assert model.lm_head.weight is model.model.embed_tokens.weight
    copy = tmp_path / "saved"
    save_model(model, copy)
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
    ):
        assert (copy / name).read_bytes() == (source / name).read_bytes(), name
    # the tokenizer object also writes the files it was loaded from unchanged
    again = tmp_path / "again"
    save_model(load_model(copy), again, tokenizer=PLMTokenizer.from_pretrained(copy))
    assert (again / "tokenizer.json").read_bytes() == (source / "tokenizer.json").read_bytes()
    # and the loaded weights are the original's, rounded to bf16
    with torch.no_grad():
        for p in original.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    ids = torch.randint(0, 320, (1, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(load_model(source, dtype="float32")(ids), original(ids), atol=1e-5, rtol=0)


def test_float32_load_and_save_keeps_config_dtype(tmp_path, tokenizer):
    source = tmp_path / "published"
    _write_published(source, tokenizer)
    model = load_model(source, dtype="float32")
    assert next(model.parameters()).dtype == torch.float32
    save_model(model, tmp_path / "saved")
    # bf16 -> fp32 -> bf16 is exact, so the weights file is still identical
    assert (tmp_path / "saved" / "model.safetensors").read_bytes() == (
        source / "model.safetensors"
    ).read_bytes()


def test_transformers_v5_rope_parameters_are_read():
    data = dict(PUBLISHED_CONFIG)
    del data["rope_theta"], data["rope_scaling"]
    data["rope_parameters"] = {"rope_type": "default", "rope_theta": 50000.0}
    config = PLMConfig.from_dict(data)
    assert config.rope_theta == 50000.0
    assert json.loads(config.to_json_string()) == data


def test_mismatched_weights_are_named(tmp_path, tokenizer):
    source = tmp_path / "published"
    _write_published(source, tokenizer)
    data = dict(PUBLISHED_CONFIG, q_lora_rank=16)
    (source / "config.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="q_a_proj"):
        load_model(source)


@pytest.mark.parametrize(
    "field, value",
    [("hidden_act", "silu"), ("qk_rope_head_dim", 7), ("num_key_value_heads", 2), ("hidden_size", 0)],
)
def test_bad_config_values_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        PLMConfig.from_dict(dict(PUBLISHED_CONFIG, **{field: value}))


@pytest.mark.parametrize("q_lora_rank, tied", [(24, True), (None, False)])
def test_float32_models_round_trip(tmp_path, q_lora_rank, tied):
    model = random_model(tiny_config(q_lora_rank=q_lora_rank, tie_word_embeddings=tied), seed=2)
    save_model(model, tmp_path / "ckpt")
    loaded = load_model(tmp_path / "ckpt")
    assert (loaded.lm_head.weight is loaded.model.embed_tokens.weight) == tied
    original = model.state_dict()
    assert all(torch.equal(v, original[k]) for k, v in loaded.state_dict().items())
    ids = torch.arange(20).unsqueeze(0)
    with torch.no_grad():
        assert torch.equal(loaded(ids), model(ids))
