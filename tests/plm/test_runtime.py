"""The compressed-cache runtime against full recomputation, quantisation, sampling and stop strings."""

from __future__ import annotations

import pytest
import torch

from tactica.llm.runtime import (
    EdgeModel,
    Generation,
    Int4Linear,
    Int8DynamicLinear,
    Int8Linear,
    PLMRuntime,
    SamplingParams,
)
from tactica.llm.runtime.generate import _held_back, sample_token
from tactica.llm.runtime.quant import fake_quantize_rows, quantize_linear

from .conftest import random_model, tiny_config


@pytest.mark.parametrize("q_lora_rank", [None, 24])
@pytest.mark.parametrize("skip_zeros", [False, True])
def test_compressed_cache_decoding_equals_full_recompute(q_lora_rank, skip_zeros):
    config = tiny_config(q_lora_rank=q_lora_rank)
    model = random_model(config, seed=5)
    engine = EdgeModel(model, skip_zeros=skip_zeros)
    cache = engine.new_cache(capacity=4)  # forces the buffers to grow during the run
    prompt = torch.randint(0, config.vocab_size, (12,), generator=torch.Generator().manual_seed(1)).tolist()
    logits = [engine.forward(prompt, cache)]  # 12 > absorb_threshold: decompressed prefill
    tokens = list(prompt)
    for _ in range(64):
        tokens.append(int(torch.argmax(logits[-1])))
        logits.append(engine.forward(tokens[-1:], cache))  # absorbed single-token decoding
    assert cache.length == 12 + 64
    with torch.no_grad():
        full = model(torch.tensor([tokens]))[0, len(prompt) - 1 :]
    assert full.abs().max() > 1.0
    torch.testing.assert_close(torch.stack(logits), full, atol=1e-4, rtol=0)


def test_int8_dynamic_decoding_equals_its_own_prompt_pass():
    # decoding (one token at a time) and one prompt pass over the same tokens quantise every activation row on
    # its own, so they see the same quantised activations; only a value sitting on a rounding boundary can flip
    # one code, through the last-bit differences between absorbed and decompressed attention
    model = random_model(tiny_config(hidden_size=64), seed=6)
    engine = EdgeModel(model, quantize="int8-dynamic")
    tokens = torch.randint(0, 64, (20,), generator=torch.Generator().manual_seed(2)).tolist()
    cache = engine.new_cache()
    stepwise = torch.stack(
        [engine.forward(tokens[:4], cache)] + [engine.forward([t], cache) for t in tokens[4:]]
    )
    whole = engine.forward(tokens, engine.new_cache(), all_logits=True)[3:]
    per_step = (stepwise - whole).abs().amax(dim=1)
    assert int((per_step < 1e-4).sum()) >= len(per_step) // 2  # identical until a boundary is hit
    # after a flip the difference is of the order of W8A8's own rounding error (1.6% per projection)
    assert float((stepwise - whole).norm() / whole.norm()) < 0.03
    long_prompt = torch.randint(0, 64, (100,), generator=torch.Generator().manual_seed(3)).tolist()
    first = engine.forward(long_prompt, engine.new_cache(), all_logits=True)  # > 64 rows: the float path
    cache = engine.new_cache()
    again = torch.stack(
        [engine.forward(long_prompt[:70], cache)] + [engine.forward([t], cache) for t in long_prompt[70:80]]
    )
    assert float((again - first[69:80]).norm() / first[69:80].norm()) < 0.03


def test_absorbed_prefill_equals_decompressed_prefill():
    model = random_model(tiny_config(), seed=2)
    prompt = list(range(5, 11))
    absorbed = EdgeModel(model, absorb_threshold=64)
    decompressed = EdgeModel(model, absorb_threshold=1)
    a = absorbed.forward(prompt, absorbed.new_cache(), all_logits=True)
    b = decompressed.forward(prompt, decompressed.new_cache(), all_logits=True)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_cache_holds_latent_and_rope_key_only():
    config = tiny_config()
    engine = EdgeModel(random_model(config))
    report = engine.memory_report(context_length=100)
    # 3 layers x (kv_lora 16 + rope 16) float32 = 384 bytes; decompressed: 3 x 4 heads x (48 + 32) x 4 = 3840
    assert report.cache_bytes_per_token == 3 * (16 + 16) * 4 == 384
    assert report.decompressed_cache_bytes_per_token == 3 * 4 * (48 + 32) * 4
    assert report.cache_ratio == pytest.approx(10.0)
    cache = engine.new_cache()
    engine.forward([1, 2, 3], cache)
    assert cache.nbytes == 3 * 384


def test_int8_per_channel_quantisation_error_bound():
    weight = torch.randn(48, 64, generator=torch.Generator().manual_seed(0))
    layer = Int8Linear(weight)
    # symmetric rounding: each weight is within half a step of its row's scale
    err = (layer.dequantize() - weight).abs()
    assert bool((err <= layer.scale[:, None] / 2 + 1e-7).all())
    x = torch.randn(3, 64)
    exact = x @ layer.dequantize().T
    if layer._ones is not None:  # PyTorch's int8 kernel: bf16 activations and results
        assert float((layer(x) - exact).norm() / exact.norm()) < 1e-2
    float_path = Int8Linear(weight, kernel=False)
    torch.testing.assert_close(float_path(x), exact, atol=1e-4, rtol=1e-4)
    assert layer.nbytes == 48 * 64 + 48 * 4
    odd = Int8Linear(torch.randn(5, 37))  # rows the kernel cannot take are converted instead
    assert odd._ones is None and odd(torch.randn(1, 37)).shape == (1, 5)


def test_fake_quantize_rows_by_hand():
    # row [-1, 0, 0.5, 2]: range [-1, 2] over 127 steps; the code of 0 is round(127/3) = 42
    x = torch.tensor([[-1.0, 0.0, 0.5, 2.0]])
    scale = 3.0 / 127
    expected = (torch.tensor([[-42.0, 0.0, 21.0, 85.0]])) * scale  # round(x / scale) per entry
    torch.testing.assert_close(fake_quantize_rows(x), expected)
    # zero is always exact, and a row of zeros stays zeros
    assert float(fake_quantize_rows(torch.zeros(1, 5)).abs().sum()) == 0.0


def test_int8_dynamic_kernel_matches_per_token_rounding():
    weight = torch.randn(96, 64, generator=torch.Generator().manual_seed(0)) * 0.05
    layer = Int8DynamicLinear(weight)
    # same integer weights as weight-only int8
    weight_only = Int8Linear(weight)
    assert layer.qweight is None  # the engine's packed copy is the only one kept
    assert torch.equal(layer.dequantize(), weight_only.dequantize())
    assert layer.nbytes == 96 * 64 + 96 * 8
    table = Int8DynamicLinear(weight, keep_rows=True)  # embedding tables keep the codes for row lookups
    rows = torch.tensor([3, 90])
    assert torch.equal(table.rows(rows), weight_only.rows(rows)) and torch.equal(
        layer.rows(rows), table.rows(rows)
    )
    x = torch.randn(5, 64, generator=torch.Generator().manual_seed(1)) * 3
    # decoding (one row: the engine's integer kernel) equals a prompt chunk (rows rounded one by one in float)
    one_by_one = torch.cat([layer(x[i : i + 1]) for i in range(5)])
    torch.testing.assert_close(one_by_one, layer(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer(x), fake_quantize_rows(x) @ layer.dequantize().T, atol=1e-5, rtol=1e-5)
    exact = x @ weight.T
    assert float((layer(x) - exact).norm() / exact.norm()) < 0.03
    assert layer(x.view(5, 1, 64)).shape == (5, 1, 96)
    assert quantize_linear(weight, "int8-dynamic").kind == "int8-dynamic"
    with pytest.raises(ValueError, match="int8-dynamic"):
        quantize_linear(weight, "int2")


def test_int4_group_quantisation_error_bound():
    weight = torch.randn(32, 64, generator=torch.Generator().manual_seed(0))
    layer = Int4Linear(weight, group_size=32)
    err = (layer.dequantize() - weight).abs().view(32, 2, 32)
    # half a step, plus the float16 rounding of the scale and offset
    assert bool((err <= layer.scales.float()[..., None] * 0.51 + 2e-3).all())
    x = torch.randn(3, 64)
    exact = x @ layer.dequantize().T
    tolerance = 1e-2 if layer._kernel else 1e-5  # PyTorch's int4 kernel runs on bf16 activations
    assert float((layer(x) - exact).norm() / exact.norm()) < tolerance
    rows = torch.tensor([3, 7])
    torch.testing.assert_close(layer.rows(rows), layer.dequantize()[rows])


def test_quantised_logits_stay_close():
    model = random_model(tiny_config(hidden_size=64), seed=4)
    ids = list(range(1, 30))
    exact = EdgeModel(model).forward(ids, EdgeModel(model).new_cache(), all_logits=True)
    for mode, tol in (("int8", 0.05), ("int4", 0.5), ("int8-dynamic", 0.1)):
        engine = EdgeModel(model, quantize=mode)
        got = engine.forward(ids, engine.new_cache(), all_logits=True)
        rel = float((got - exact).norm() / exact.norm())
        assert rel < tol, (mode, rel)
        assert engine.memory_report().weight_bytes_by_kind.get(mode, 0) > 0


def test_top_p_keeps_the_nucleus():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    gen = torch.Generator().manual_seed(0)
    params = SamplingParams(temperature=1.0, top_p=0.7)
    draws = {sample_token(logits, params, gen) for _ in range(300)}
    assert draws == {0, 1}  # 0.5 + 0.3 reaches 0.7; tokens 2 and 3 are cut
    assert sample_token(logits, SamplingParams(temperature=0.0), gen) == 0


def test_held_back_suffix():
    assert _held_back("hello wor", ["world"]) == 3
    assert _held_back("hello", ["xyz"]) == 0
    assert _held_back("ab", ["abc", "b!"]) == 2


@pytest.fixture(scope="module")
def runtime(checkpoint_dir):
    return PLMRuntime.from_pretrained(checkpoint_dir)


def test_streaming_pieces_join_to_the_full_text(runtime):
    messages = [{"role": "user", "content": "What is 2 plus 3?"}]
    params = SamplingParams(temperature=0.8, seed=3, max_new_tokens=40)
    result = Generation()
    pieces = list(runtime.stream_chat(messages, params, result))
    assert "".join(pieces) == result.text
    assert result.completion_tokens <= 40 and result.finish_reason in ("stop", "length")
    again = runtime.chat(messages, params)
    assert again.text == result.text  # same seed, same text
    other = runtime.chat(messages, SamplingParams(temperature=0.8, seed=4, max_new_tokens=40))
    assert other.text != result.text


def test_stop_string_ends_generation(runtime):
    messages = [{"role": "user", "content": "Count from one."}]
    full = runtime.chat(messages, SamplingParams(max_new_tokens=30))
    assert len(full.text) > 4
    stop = full.text[3:5]
    cut = runtime.chat(messages, SamplingParams(max_new_tokens=30, stop=(stop,)))
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.find(stop)]
    streamed = "".join(runtime.stream_chat(messages, SamplingParams(max_new_tokens=30, stop=(stop,))))
    assert streamed == cut.text


def test_length_limit_and_bad_parameters(runtime):
    result = runtime.chat([{"role": "user", "content": "hi"}], SamplingParams(max_new_tokens=3))
    assert result.completion_tokens <= 3
    for bad in (SamplingParams(temperature=-1), SamplingParams(top_p=0.0), SamplingParams(max_new_tokens=0)):
        with pytest.raises(ValueError):
            runtime.chat([{"role": "user", "content": "hi"}], bad)


def test_context_overflow_is_refused():
    engine = EdgeModel(random_model(tiny_config(max_position_embeddings=16)))
    cache = engine.new_cache()
    engine.forward(list(range(10)), cache)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        engine.forward(list(range(10)), cache)


def test_chunked_prefill_after_a_cached_prefix():
    model = random_model(tiny_config(), seed=6)
    ids = torch.randint(0, 99, (30,), generator=torch.Generator().manual_seed(2)).tolist()
    engine = EdgeModel(model)
    cache = engine.new_cache()
    first = engine.forward(ids[:10], cache, all_logits=True)  # fresh prompt: fused causal kernel
    second = engine.forward(ids[10:], cache, all_logits=True)  # 20 tokens after 10 cached: masked chunk
    with torch.no_grad():
        full = model(torch.tensor([ids]))[0]
    torch.testing.assert_close(torch.cat([first, second]), full, atol=1e-4, rtol=0)


@pytest.mark.parametrize("chunk", [1, 7, 16])
def test_prefill_in_micro_batches_equals_one_pass(chunk):
    """``prefill_chunk`` bounds a prompt's activations by running it in pieces: same logits, same cache."""
    model = random_model(tiny_config(), seed=7)
    ids = torch.randint(0, 99, (40,), generator=torch.Generator().manual_seed(3)).tolist()
    whole, pieces = EdgeModel(model, prefill_chunk=None), EdgeModel(model, prefill_chunk=chunk)
    cache_whole, cache_pieces = whole.new_cache(), pieces.new_cache()
    expected = whole.forward(ids, cache_whole, all_logits=True)
    got = pieces.forward(ids, cache_pieces, all_logits=True)
    assert got.shape == expected.shape == (40, model.config.vocab_size)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert cache_pieces.length == cache_whole.length == 40
    torch.testing.assert_close(pieces.forward(ids[:1], cache_pieces), whole.forward(ids[:1], cache_whole),
                               atol=1e-5, rtol=0)  # fmt: skip


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "32"])
def test_prefill_chunk_must_be_a_positive_count(bad):
    with pytest.raises(ValueError, match="prefill_chunk"):
        EdgeModel(random_model(tiny_config()), prefill_chunk=bad)
