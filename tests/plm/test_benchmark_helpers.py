"""benchmarks/plm.py fills and measures each runtime's cache the way the runtime itself does (tiny models)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import torch

from .conftest import TINY_DIMS

transformers = pytest.importorskip("transformers")

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "plm.py"
_spec = importlib.util.spec_from_file_location("tactica_benchmark_plm", _SCRIPT)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

TINY = TINY_DIMS  # 3 layers, 4 heads, kv_lora 16, rope 16, nope 32, v 32
COMPRESSED = 3 * (16 + 16) * 4  # layers x (latent + rope key) x float32 = 384
DECOMPRESSED = 3 * 4 * ((32 + 16) + 32) * 4  # layers x heads x (key + value) x float32 = 3,840


def test_forward_keywords_follow_the_signature():
    class V4:
        def forward(self, input_ids=None, past_key_values=None, use_cache=None, **kwargs): ...

    class V5:
        def forward(self, input_ids=None, cache=None, use_cache=None, logits_to_keep=0, **kwargs): ...

    class Neither:
        def forward(self, input_ids=None, **kwargs): ...

    assert bench.forward_keywords(V4) == ("past_key_values", False)
    assert bench.forward_keywords(V5) == ("cache", True)
    with pytest.raises(RuntimeError, match="neither"):
        bench.forward_keywords(Neither)
    expected = "cache" if int(transformers.__version__.split(".")[0]) >= 5 else "past_key_values"
    assert bench.forward_keywords(transformers.DeepseekV3ForCausalLM)[0] == expected


def test_transformers_decodes_in_context_through_the_returned_cache():
    model = bench.build_theirs(TINY, intermediate_size=24)
    ids = bench.context_ids(9, TINY["vocab_size"])
    with torch.inference_mode():
        _, cache = bench.hf_forward(model, ids[:6])
        assert cache.get_seq_length() == 6
        for t in range(6, 9):
            logits, cache = bench.hf_forward(model, ids[t : t + 1], cache)
        full = model(input_ids=ids.reshape(1, -1), use_cache=False).logits[0, -1]
    assert cache.get_seq_length() == 9
    # the cached decode saw the whole prefix: it equals one forward over all nine tokens
    torch.testing.assert_close(logits, full, atol=1e-5, rtol=1e-5)


def test_measured_cache_bytes_per_token_match_each_runtimes_layout():
    major = int(transformers.__version__.split(".")[0])
    hf = bench.theirs(bench.build_theirs(TINY, intermediate_size=24), 7, 3, 2, time.process_time)
    # transformers 5 keeps MLA's latent; 4.x kept every head's decompressed keys and values
    assert hf["cache_bytes_per_token"] == (COMPRESSED if major >= 5 else DECOMPRESSED)
    ours = bench.ours(bench.build_ours(None, TINY), 7, 3, 2, time.process_time)
    assert ours["cache_bytes_per_token"] == COMPRESSED
    assert ours["tok_s"] > 0 and hf["tok_s"] > 0
