"""Shared fixtures: tiny PLM configurations (transformers' tester sizes), a trained tokenizer and checkpoints."""

from __future__ import annotations

import threading

import pytest
import torch

from tactica.llm.plm import PLMConfig, PLMForCausalLM, save_model, train_bpe
from tactica.llm.plm.corpus import generate_corpus

# Hugging Face's DeepSeek tester dimensions: hidden 32, 3 layers, 4 heads, kv_lora 16, rope 16, nope 32, v 32
TINY_DIMS = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=4,
    kv_lora_rank=16,
    q_lora_rank=None,
    qk_rope_head_dim=16,
    qk_nope_head_dim=32,
    v_head_dim=32,
    max_position_embeddings=512,
)


def tiny_config(q_lora_rank: int | None = None, **overrides) -> PLMConfig:
    """A PLM of :data:`TINY_DIMS` with an MLP of 37 (plain query projection unless ``q_lora_rank``)."""
    fields = dict(TINY_DIMS, intermediate_size=37, q_lora_rank=q_lora_rank)
    fields.update(overrides)
    return PLMConfig(**fields)


def random_model(config: PLMConfig, seed: int = 0) -> PLMForCausalLM:
    """A model with random weights everywhere, norms included, and weights large enough to give sharp logits."""
    torch.manual_seed(seed)
    model = PLMForCausalLM(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
            else:
                p.normal_(0.0, 0.15)
    return model.eval()


def all_at_once(task, count: int, timeout: float = 300) -> list:
    """``[task(0), ..., task(count - 1)]`` run in threads released together by a barrier; the first error is
    raised here."""
    results: list = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = task(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results


@pytest.fixture(autouse=True, scope="package")
def _one_torch_thread():
    """These tests run tiny models, where a second intra-op thread only adds synchronisation (badly so on a
    busy machine); the previous setting is restored for other rooms' tests."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tokenizer():
    return train_bpe(generate_corpus(300, seed=1), vocab_size=320)


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory, tokenizer):
    """A random-weight checkpoint with our trained tokenizer (vocabulary matches the tokenizer)."""
    config = tiny_config(vocab_size=tokenizer.vocab_size)
    config.extra["eos_token_id"] = tokenizer.token_id("<|im_end|>")
    model = random_model(config, seed=3)
    directory = tmp_path_factory.mktemp("plm") / "checkpoint"
    save_model(model, directory, tokenizer=tokenizer)
    return directory
