"""A loaded PLM ready to chat: the :class:`EdgeModel`, its tokenizer, the chat template, the checkpoint's
``generation_config.json`` defaults and a prefix cache."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from tactica.llm.plm.tokenizer import PLMTokenizer
from tactica.llm.runtime.engine import EdgeModel
from tactica.llm.runtime.generate import Generation, SamplingParams, check_prompt, prefill, stream_generate
from tactica.llm.runtime.prefix import PrefixCache

__all__ = ["PLMRuntime", "read_generation_config"]

GENERATION_CONFIG = "generation_config.json"


def read_generation_config(directory: str | Path) -> dict[str, Any]:
    """The sampling defaults of ``generation_config.json`` (empty when the file is absent).

    Keys used: ``do_sample`` (false: greedy), ``temperature``, ``top_p``, ``top_k``, ``repetition_penalty``,
    ``max_new_tokens`` and ``eos_token_id`` (an id or a list of ids that end generation).
    """
    path = Path(directory) / GENERATION_CONFIG
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    checks = {
        "do_sample": (lambda v: isinstance(v, bool), "true or false"),
        "temperature": (lambda v: _number(v) and 0 <= v <= 2, "a number in [0, 2]"),
        "top_p": (lambda v: _number(v) and 0 < v <= 1, "a number in (0, 1]"),
        "top_k": (lambda v: _integer(v) and v >= 0, "a non-negative integer"),
        "repetition_penalty": (lambda v: _number(v) and v > 0, "a positive number"),
        "max_new_tokens": (lambda v: _integer(v) and v >= 1, "a positive integer"),
        "eos_token_id": (lambda v: _integer(v) or (isinstance(v, list) and all(map(_integer, v))),
                         "a token id or a list of them"),
    }  # fmt: skip
    for key, (valid, expected) in checks.items():
        if data.get(key) is not None and not valid(data[key]):
            raise ValueError(f"{path}: {key} must be {expected}, got {data[key]!r}")
    return data


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class PLMRuntime:
    """Chat and completion on a PLM checkpoint directory with the compressed-cache runtime.

    Safe to share between threads: each generation has its own cache, and model calls are serialised by a
    lock taken per step, so concurrent streams interleave token by token.  For many concurrent requests use
    :meth:`scheduler` (continuous batching), as ``tactica serve`` does.

    The prefix cache (on by default) keeps the compressed cache of recent prompts: a call whose prompt starts
    like an earlier one (an agent's fixed system prompt, a growing conversation) computes only the new tokens.
    ``Generation.cached_tokens`` reports how many prompt tokens were reused and ``runtime.prefix_cache.stats``
    the totals.

    >>> runtime = PLMRuntime.from_pretrained("runs/plm-tiny/checkpoint", quantize="int8")  # doctest: +SKIP
    >>> runtime.chat([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
    """

    def __init__(
        self,
        engine: EdgeModel,
        tokenizer: PLMTokenizer,
        name: str = "plm",
        *,
        generation_config: dict[str, Any] | None = None,
        prefix_cache: PrefixCache | None = None,
        use_prefix_cache: bool = True,
    ):
        self.engine = engine
        self.tokenizer = tokenizer
        self.name = name
        self.generation_config = dict(generation_config or {})
        self.eos_token_ids = list(tokenizer.eos_token_ids)
        extra_eos = self.generation_config.get("eos_token_id")
        for token in extra_eos if isinstance(extra_eos, list) else [extra_eos]:
            if isinstance(token, int) and not isinstance(token, bool) and token not in self.eos_token_ids:
                self.eos_token_ids.append(token)
        self.prefix_cache = (
            prefix_cache if prefix_cache is not None else (PrefixCache() if use_prefix_cache else None)
        )
        self._lock = threading.Lock()
        self._scheduler = None
        self._scheduler_lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        directory: str | Path,
        *,
        quantize: str | None = None,
        skip_zeros: bool = False,
        name: str | None = None,
        dtype: torch.dtype | None = None,
        use_prefix_cache: bool = True,
        prefill_chunk: int | None = 256,
    ) -> PLMRuntime:
        """Load a checkpoint directory (plain, or quantised by ``tactica quantize``) from memory-mapped files.

        ``prefill_chunk``: prompts run through the model in pieces of at most this many tokens (``None``: in one
        pass), which bounds their activation memory; see :class:`~tactica.llm.runtime.EdgeModel`.
        """
        directory = Path(directory)
        engine = EdgeModel.from_pretrained(
            directory, quantize=quantize, skip_zeros=skip_zeros, dtype=dtype, prefill_chunk=prefill_chunk
        )
        return cls(
            engine,
            PLMTokenizer.from_pretrained(directory),
            name or directory.resolve().name,
            generation_config=read_generation_config(directory),
            use_prefix_cache=use_prefix_cache,
        )

    @property
    def context_length(self) -> int:
        return self.engine.config.max_position_embeddings

    def default_params(self, **overrides: Any) -> SamplingParams:
        """Sampling parameters from ``generation_config.json``, with ``overrides`` (``None`` values ignored)."""
        g = {k: v for k, v in self.generation_config.items() if v is not None}
        fields: dict[str, Any] = {}
        if "do_sample" in g or "temperature" in g:
            sample = g.get("do_sample", True)
            fields["temperature"] = float(g.get("temperature", 1.0)) if sample else 0.0
        for key, cast in (
            ("top_p", float),
            ("top_k", int),
            ("repetition_penalty", float),
            ("max_new_tokens", int),
        ):
            if key in g:
                fields[key] = cast(g[key])
        fields.update({k: v for k, v in overrides.items() if v is not None})
        return SamplingParams(**fields)

    def chat_prompt_ids(self, messages: Sequence[dict], **template_variables: Any) -> list[int]:
        """Token ids of the chat template applied to ``messages`` with the assistant turn opened."""
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, **template_variables)
        return self.tokenizer.encode(text)

    def stream(self, prompt_ids: Sequence[int], params: SamplingParams, result: Generation | None = None):
        return stream_generate(
            self.engine,
            self.tokenizer,
            prompt_ids,
            params,
            eos_token_ids=self.eos_token_ids,
            result=result,
            step_lock=self._lock,
            prefix_cache=self.prefix_cache,
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

    def warm(self, messages: Sequence[dict]) -> int:
        """Put the prompt of ``messages`` (e.g. an agent's system message) in the prefix cache ahead of the
        first call; returns its length in tokens."""
        if self.prefix_cache is None:
            raise ValueError("this runtime was built without a prefix cache")
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=False)
        ids = self.tokenizer.encode(text)
        prefill(self.engine, check_prompt(ids, self.context_length), len(ids), self.prefix_cache,
                step_lock=self._lock)  # fmt: skip
        return len(ids)

    def scheduler(self, max_batch: int = 32):
        """The continuous-batching scheduler over this runtime (started on first use, shared)."""
        from tactica.llm.runtime.batching import BatchScheduler

        with self._scheduler_lock:
            if self._scheduler is None or self._scheduler.closed:
                self._scheduler = BatchScheduler(self, max_batch=max_batch).start()
            self._scheduler.max_batch = max_batch  # read at every step: a new limit applies at once
            return self._scheduler

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
