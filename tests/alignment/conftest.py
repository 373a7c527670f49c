"""Shared fixtures: a tiny tokenizer, a tiny PLM checkpoint, tiny GPT-2- and Llama-shaped transformers models
built from configs (nothing is downloaded), and a handful of preference pairs."""

from __future__ import annotations

import copy

import pytest
import torch

from tactica.llm.plm import PLMConfig, PLMForCausalLM, save_model, train_bpe
from tactica.llm.plm.corpus import generate_corpus

TEXT_PAIRS = [
    {"prompt": "What is 2 plus 3?", "chosen": " 2 plus 3 is 5.", "rejected": " 2 plus 3 is 6, I think."},
    {"prompt": "Count from one.", "chosen": " one two three four five.", "rejected": " two"},
    {"prompt": "Alice plays rock and Bob plays scissors.", "chosen": " Rock beats scissors, so Alice wins.",
     "rejected": " Bob wins the round."},
    {"prompt": "In the stag hunt,", "chosen": " the row player gets 4.", "rejected": " nobody gets anything at all."},
]  # fmt: skip

CHAT_PAIRS = [
    {
        "prompt": [{"role": "user", "content": p["prompt"]}],
        "chosen": [{"role": "assistant", "content": p["chosen"].strip()}],
        "rejected": [{"role": "assistant", "content": p["rejected"].strip()}],
    }
    for p in TEXT_PAIRS
]


def perturb(module: torch.nn.Module, scale: float = 0.05, seed: int = 1) -> None:
    """Move every weight a little, so a policy differs from its reference and losses are not log 2."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=generator, dtype=p.dtype))


@pytest.fixture(autouse=True, scope="package")
def _one_torch_thread():
    """Tiny models: a second intra-op thread only adds synchronisation; the setting is restored afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def plm_tokenizer():
    return train_bpe(generate_corpus(300, seed=1), vocab_size=320)


def tiny_plm(vocab_size: int, seed: int = 0, dtype=torch.float32, max_positions: int = 256) -> PLMForCausalLM:
    config = PLMConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
        max_position_embeddings=max_positions,
    )  # fmt: skip
    config.extra.update({"eos_token_id": None, "torch_dtype": "float32"})
    torch.manual_seed(seed)
    model = PLMForCausalLM(config).to(dtype)
    with torch.no_grad():  # sharper logits than the 0.02 initialisation, so differences show
        for name, p in model.named_parameters():
            if "norm" not in name:
                p.normal_(0.0, 0.2)
    return model.eval()


@pytest.fixture(scope="session")
def plm_dir(tmp_path_factory, plm_tokenizer):
    """A PLM checkpoint directory (config, safetensors, tokenizer), as ``tactica train plm`` writes it."""
    path = tmp_path_factory.mktemp("plm") / "checkpoint"
    save_model(tiny_plm(plm_tokenizer.vocab_size), path, tokenizer=plm_tokenizer)
    return path


def hf_tokenizer(plm_tokenizer):
    from transformers import PreTrainedTokenizerFast

    from tactica.llm.plm.tokenizer import CHATML_TEMPLATE

    tok = PreTrainedTokenizerFast(
        tokenizer_object=copy.deepcopy(plm_tokenizer.tokenizer),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tok.chat_template = CHATML_TEMPLATE
    return tok


def _build_and_save(model_class, config, tok, path):
    """A model of ``model_class`` with seeded random weights, saved with its tokenizer at ``path``."""
    torch.manual_seed(0)
    model_class(config).eval().save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def gpt2_dir(tmp_path_factory, plm_tokenizer):
    """A GPT-2-shaped transformers model and its tokenizer, saved from a config."""
    transformers = pytest.importorskip("transformers")
    tok = hf_tokenizer(plm_tokenizer)
    config = transformers.GPT2Config(
        vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=128,
        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    return _build_and_save(
        transformers.GPT2LMHeadModel, config, tok, tmp_path_factory.mktemp("gpt2") / "model"
    )


@pytest.fixture(scope="session")
def llama_dir(tmp_path_factory, plm_tokenizer):
    """A Llama-shaped transformers model (untied head, grouped-query attention) and its tokenizer."""
    transformers = pytest.importorskip("transformers")
    tok = hf_tokenizer(plm_tokenizer)
    config = transformers.LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=False,
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    return _build_and_save(
        transformers.LlamaForCausalLM, config, tok, tmp_path_factory.mktemp("llama") / "model"
    )
