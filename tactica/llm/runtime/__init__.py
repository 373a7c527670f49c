"""tactica's edge runtime for PLM: compressed MLA cache, memory-mapped bf16/int8/int4 weights, streaming
generation, prefix caching, continuous batching and an OpenAI-compatible server.

>>> from tactica.llm.runtime import PLMRuntime, SamplingParams  # doctest: +SKIP
>>> runtime = PLMRuntime.from_pretrained("runs/plm/checkpoint", quantize="int8")  # doctest: +SKIP
>>> runtime.chat([{"role": "user", "content": "2 + 3 ="}], SamplingParams(max_new_tokens=8)).text  # doctest: +SKIP
"""

from tactica.llm.runtime.batching import BatchScheduler
from tactica.llm.runtime.cache import LatentCache
from tactica.llm.runtime.engine import EdgeModel, MemoryReport
from tactica.llm.runtime.generate import Generation, SamplingParams, sample_token, stream_generate
from tactica.llm.runtime.prefix import PrefixCache
from tactica.llm.runtime.quant import DenseLinear, Int4Linear, Int8DynamicLinear, Int8Linear, quantize_linear
from tactica.llm.runtime.runtime import PLMRuntime
from tactica.llm.runtime.weights import SafetensorsFile, WeightSource

__all__ = [
    "BatchScheduler",
    "DenseLinear",
    "EdgeModel",
    "Generation",
    "Int4Linear",
    "Int8DynamicLinear",
    "Int8Linear",
    "LatentCache",
    "MemoryReport",
    "PLMRuntime",
    "PrefixCache",
    "SafetensorsFile",
    "SamplingParams",
    "quantize_linear",
    "sample_token",
    "stream_generate",
    "WeightSource",
]
