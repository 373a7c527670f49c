"""A loaded PLM ready to chat: the :class:`EdgeModel`, its tokenizer and the chat template."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from tactica.llm.plm.tokenizer import PLMTokenizer
from tactica.llm.runtime.engine import EdgeModel
from tactica.llm.runtime.generate import Generation, SamplingParams, stream_generate

__all__ = ["PLMRuntime"]


class PLMRuntime:
    """Chat and completion on a PLM checkpoint directory with the compressed-cache runtime.

    Safe to share between threads: each generation has its own cache, and model calls are serialised by a
    lock taken per step, so concurrent streams interleave token by token.

    >>> runtime = PLMRuntime.from_pretrained("runs/plm-tiny/checkpoint", quantize="int8")  # doctest: +SKIP
    >>> runtime.chat([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
    """

    def __init__(self, engine: EdgeModel, tokenizer: PLMTokenizer, name: str = "plm"):
        self.engine = engine
        self.tokenizer = tokenizer
        self.name = name
        self.eos_token_ids = tokenizer.eos_token_ids
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        directory: str | Path,
        *,
        quantize: str | None = None,
        skip_zeros: bool = False,
        name: str | None = None,
    ) -> PLMRuntime:
        directory = Path(directory)
        engine = EdgeModel.from_pretrained(directory, quantize=quantize, skip_zeros=skip_zeros)
        return cls(engine, PLMTokenizer.from_pretrained(directory), name or directory.resolve().name)

    @property
    def context_length(self) -> int:
        return self.engine.config.max_position_embeddings

    def chat_prompt_ids(self, messages: Sequence[dict]) -> list[int]:
        """Token ids of the chat template applied to ``messages`` with the assistant turn opened."""
        return self.tokenizer.encode(self.tokenizer.apply_chat_template(messages, add_generation_prompt=True))

    def stream(self, prompt_ids: Sequence[int], params: SamplingParams, result: Generation | None = None):
        return stream_generate(
            self.engine,
            self.tokenizer,
            prompt_ids,
            params,
            eos_token_ids=self.eos_token_ids,
            result=result,
            step_lock=self._lock,
        )

    def stream_chat(
        self, messages: Sequence[dict], params: SamplingParams, result: Generation | None = None
    ) -> Iterator[str]:
        return self.stream(self.chat_prompt_ids(messages), params, result)

    def chat(self, messages: Sequence[dict], params: SamplingParams | None = None) -> Generation:
        result = Generation()
        for _ in self.stream_chat(messages, params or SamplingParams(), result):
            pass
        return result

    def complete(self, prompt: str, params: SamplingParams | None = None) -> Generation:
        result = Generation()
        for _ in self.stream(self.tokenizer.encode(prompt), params or SamplingParams(), result):
            pass
        return result

    @torch.inference_mode()
    def perplexity(self, text: str, *, window: int | None = None) -> float:
        """Perplexity of ``text`` in consecutive windows of at most the context length."""
        return math.exp(self.mean_nll(self.tokenizer.encode(text), window=window))

    def mean_nll(self, ids: Sequence[int], *, window: int | None = None) -> float:
        """Mean next-token negative log-likelihood (nats) of ``ids``, scored window by window."""
        window = min(window or self.context_length, self.context_length)
        if len(ids) < 2:
            raise ValueError("need at least two tokens to score")
        total, count = 0.0, 0
        for start in range(0, len(ids) - 1, window):
            chunk = torch.as_tensor(ids[start : start + window + 1])
            if len(chunk) < 2:
                break
            with self._lock:
                logits = self.engine.forward(chunk[:-1], self.engine.new_cache(len(chunk)), all_logits=True)
            nll = torch.nn.functional.cross_entropy(logits, chunk[1:], reduction="sum")
            total += float(nll)
            count += len(chunk) - 1
        return total / count
