"""Streaming text generation on an :class:`~tactica.llm.runtime.engine.EdgeModel`: sampling (temperature,
top-k, top-p, seed), end-of-sequence tokens, stop strings and incremental detokenisation.

:class:`TextStream` turns sampled tokens into text pieces; it is shared by the one-request-at-a-time path
(:func:`stream_generate`) and the continuous-batching scheduler (:mod:`.batching`), so both emit the same text.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import torch

from tactica.llm.runtime.engine import EdgeModel

__all__ = [
    "SamplingParams",
    "Generation",
    "TextStream",
    "sample_token",
    "stream_generate",
    "validate_sampling",
    "prefill",
]


@dataclass
class SamplingParams:
    """How to pick each token: ``temperature=0`` is greedy; ``top_k`` keeps the ``top_k`` likeliest tokens (0:
    all); ``top_p`` keeps the smallest set of tokens whose probability reaches ``top_p``; ``seed`` makes
    sampling reproducible; ``repetition_penalty`` divides the positive logits (multiplies the negative ones) of
    tokens already in the prompt or the reply, as transformers does (1.0: off)."""

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    top_k: int = 0
    repetition_penalty: float = 1.0

    def with_seed(self, seed: int | None) -> SamplingParams:
        return replace(self, seed=seed)


def validate_sampling(params: SamplingParams) -> SamplingParams:
    if not isinstance(params.temperature, (int, float)) or not 0.0 <= params.temperature <= 2.0:
        raise ValueError(f"temperature must be a number in [0, 2], got {params.temperature!r}")
    if not isinstance(params.top_p, (int, float)) or not 0.0 < params.top_p <= 1.0:
        raise ValueError(f"top_p must be a number in (0, 1], got {params.top_p!r}")
    if isinstance(params.top_k, bool) or not isinstance(params.top_k, int) or params.top_k < 0:
        raise ValueError(f"top_k must be a non-negative int (0: no limit), got {params.top_k!r}")
    if not isinstance(params.repetition_penalty, (int, float)) or not params.repetition_penalty > 0:
        raise ValueError(f"repetition_penalty must be a positive number, got {params.repetition_penalty!r}")
    if not isinstance(params.max_new_tokens, int) or params.max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive int, got {params.max_new_tokens!r}")
    if params.seed is not None and not isinstance(params.seed, int):
        raise TypeError(f"seed must be an int or None, got {type(params.seed).__name__}")
    if any(not isinstance(s, str) or not s for s in params.stop):
        raise ValueError("stop strings must be non-empty str")
    return params


def sample_token(
    logits: torch.Tensor, params: SamplingParams, generator: torch.Generator, history: Sequence[int] = ()
) -> int:
    """Pick the next token id from ``logits`` [vocab] (``history``: the tokens the repetition penalty covers)."""
    if params.repetition_penalty != 1.0 and len(history):
        seen = torch.as_tensor(sorted(set(history)), dtype=torch.long)
        picked = logits[seen]
        penalty = params.repetition_penalty
        logits = logits.clone()
        logits[seen] = torch.where(picked > 0, picked / penalty, picked * penalty)
    if params.temperature == 0.0:
        return int(torch.argmax(logits))
    logits = logits.float() / params.temperature
    if 0 < params.top_k < logits.shape[-1]:
        kth = torch.topk(logits, params.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
        sorted_probs[before >= params.top_p] = 0.0  # tokens after the nucleus is complete
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=generator))


def _held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest suffix of ``text`` that could still grow into a stop string."""
    longest = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:k]):
                longest = k
                break
    return longest


@dataclass
class Generation:
    """The outcome of a generation once its stream is exhausted."""

    text: str = ""
    finish_reason: str | None = None  # "stop" (end token or stop string) or "length"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    token_ids: list[int] | None = None
    cached_tokens: int = 0  # prompt tokens taken from the prefix cache instead of being computed


class TextStream:
    """Sampled tokens in, text pieces out: end tokens, stop strings, token budget and UTF-8 completeness.

    Text is released only when it is complete UTF-8 and cannot be the start of a stop string; a stop string
    ends generation and is not included.  ``result`` is filled in as tokens arrive.
    """

    def __init__(
        self,
        tokenizer,
        params: SamplingParams,
        eos_token_ids: Sequence[int],
        budget: int,
        result: Generation,
        prompt: Sequence[int] = (),
    ):
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.params = params
        self.generator = torch.Generator().manual_seed(
            params.seed if params.seed is not None else random.SystemRandom().randrange(2**63)
        )
        self.eos = set(eos_token_ids)
        self.budget = budget
        self.result = result
        self.generated: list[int] = []
        self.emitted = 0
        self.done = False
        self._stopped_by_string = False
        result.finish_reason = "length"

    def sample(self, logits: torch.Tensor) -> int:
        history = (*self.prompt, *self.generated) if self.params.repetition_penalty != 1.0 else ()
        return sample_token(logits, self.params, self.generator, history)

    def push(self, token: int) -> str:
        """Account for the sampled ``token``; returns the text it releases (may be empty). Sets :attr:`done`."""
        if token in self.eos:
            self.result.finish_reason = "stop"
            return self._finish()
        self.generated.append(token)
        self.result.completion_tokens = len(self.generated)
        stops = self.params.stop
        text = self.tokenizer.decode(self.generated)
        hits = [i for i in (text.find(s, self.emitted) for s in stops) if i >= 0]
        if hits:
            text = text[: min(hits)]
            self.result.finish_reason, self.result.text, self._stopped_by_string = "stop", text, True
            piece = text[self.emitted :] if len(text) > self.emitted else ""
            self.emitted = len(text)
            return piece + self._finish()
        safe = len(text) - _held_back(text, stops)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence; wait for its remaining bytes
            safe = min(safe, len(text.rstrip("\ufffd")))
        self.result.text = text[:safe]
        piece = ""
        if safe > self.emitted:
            piece = text[self.emitted : safe]
            self.emitted = safe
        if len(self.generated) >= self.budget:
            return piece + self._finish()
        return piece

    def _finish(self) -> str:
        self.done = True
        self.result.token_ids = self.generated
        if self._stopped_by_string:
            return ""
        final = self.tokenizer.decode(self.generated)  # release what was held back for a stop string
        self.result.text = final
        piece = final[self.emitted :] if len(final) > self.emitted else ""
        self.emitted = len(final)
        return piece


def prefill(
    engine: EdgeModel, prompt: Sequence[int], capacity: int, prefix_cache=None, result=None, step_lock=None
):
    """A fresh cache holding ``prompt`` and the logits of its last token, reusing ``prefix_cache`` if given."""
    cache = engine.new_cache(capacity=capacity)
    reused = prefix_cache.restore_into(prompt, cache) if prefix_cache is not None else 0
    if result is not None:
        result.cached_tokens = reused
    if step_lock is not None:
        with step_lock:
            logits = engine.forward(prompt[reused:], cache)
    else:
        logits = engine.forward(prompt[reused:], cache)
    if prefix_cache is not None:
        prefix_cache.store(prompt, cache)
    return cache, logits


def check_prompt(prompt: Sequence[int], limit: int) -> list[int]:
    prompt = list(prompt)
    if not prompt:
        raise ValueError("the prompt must contain at least one token")
    if len(prompt) >= limit:
        raise ValueError(f"prompt of {len(prompt)} tokens leaves no room in the context of {limit} tokens")
    return prompt


def stream_generate(
    engine: EdgeModel,
    tokenizer,
    prompt_ids: Sequence[int],
    params: SamplingParams,
    *,
    eos_token_ids: Sequence[int] = (),
    result: Generation | None = None,
    step_lock=None,
    prefix_cache=None,
) -> Iterator[str]:
    """Yield text pieces as they are generated; ``result`` (if given) is filled in as generation proceeds.

    ``step_lock`` (a ``threading.Lock``) is held around each model call so several generations can interleave
    on one engine, each with its own cache; ``prefix_cache`` (a :class:`~tactica.llm.runtime.prefix.PrefixCache`)
    skips the prefill of a prompt prefix seen before.  The budget is ``max_new_tokens``, cut to the room left
    in the context.
    """
    validate_sampling(params)
    result = result if result is not None else Generation()
    limit = engine.config.max_position_embeddings
    prompt = check_prompt(prompt_ids, limit)
    result.prompt_tokens = len(prompt)
    budget = min(params.max_new_tokens, limit - len(prompt))
    stream = TextStream(tokenizer, params, eos_token_ids, budget, result, prompt)
    cache, logits = prefill(engine, prompt, min(limit, len(prompt) + budget), prefix_cache, result, step_lock)
    while True:
        token = stream.sample(logits)
        piece = stream.push(token)
        if piece:
            yield piece
        if stream.done:
            return
        if step_lock is not None:
            with step_lock:
                logits = engine.forward([token], cache)
        else:
            logits = engine.forward([token], cache)
