"""Streaming text generation on an :class:`~tactica.llm.runtime.engine.EdgeModel`: sampling (temperature,
top-p, seed), end-of-sequence tokens, stop strings and incremental detokenisation."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from tactica.llm.runtime.engine import EdgeModel

__all__ = ["SamplingParams", "Generation", "sample_token", "stream_generate", "validate_sampling"]


@dataclass
class SamplingParams:
    """How to pick each token: ``temperature=0`` is greedy; ``top_p`` keeps the smallest set of tokens whose
    probability reaches ``top_p``; ``seed`` makes sampling reproducible."""

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()


def validate_sampling(params: SamplingParams) -> SamplingParams:
    if not isinstance(params.temperature, (int, float)) or not 0.0 <= params.temperature <= 2.0:
        raise ValueError(f"temperature must be a number in [0, 2], got {params.temperature!r}")
    if not isinstance(params.top_p, (int, float)) or not 0.0 < params.top_p <= 1.0:
        raise ValueError(f"top_p must be a number in (0, 1], got {params.top_p!r}")
    if not isinstance(params.max_new_tokens, int) or params.max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive int, got {params.max_new_tokens!r}")
    if params.seed is not None and not isinstance(params.seed, int):
        raise TypeError(f"seed must be an int or None, got {type(params.seed).__name__}")
    if any(not isinstance(s, str) or not s for s in params.stop):
        raise ValueError("stop strings must be non-empty str")
    return params


def sample_token(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> int:
    """Pick the next token id from ``logits`` [vocab]."""
    if params.temperature == 0.0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / params.temperature, dim=-1)
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


def stream_generate(
    engine: EdgeModel,
    tokenizer,
    prompt_ids: Sequence[int],
    params: SamplingParams,
    *,
    eos_token_ids: Sequence[int] = (),
    result: Generation | None = None,
    step_lock=None,
) -> Iterator[str]:
    """Yield text pieces as they are generated; ``result`` (if given) is filled in as generation proceeds.

    Text is released only when it is complete UTF-8 and cannot be the start of a stop string; a stop string
    ends generation and is not included.  ``step_lock`` (a ``threading.Lock``) is held around each model call
    so several generations can interleave on one engine, each with its own cache.
    """
    validate_sampling(params)
    result = result if result is not None else Generation()
    prompt = list(prompt_ids)
    if not prompt:
        raise ValueError("the prompt must contain at least one token")
    limit = engine.config.max_position_embeddings
    if len(prompt) >= limit:
        raise ValueError(f"prompt of {len(prompt)} tokens leaves no room in the context of {limit} tokens")
    result.prompt_tokens = len(prompt)
    seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2**63)
    generator = torch.Generator().manual_seed(seed)
    cache = engine.new_cache(capacity=min(limit, len(prompt) + params.max_new_tokens))
    eos = set(eos_token_ids)
    generated: list[int] = []
    emitted = 0
    stops = tuple(params.stop)
    budget = min(params.max_new_tokens, limit - len(prompt))
    next_input: list[int] = prompt
    result.finish_reason = "length"
    stopped_by_string = False
    while len(generated) < budget:
        if step_lock is not None:
            with step_lock:
                logits = engine.forward(next_input, cache)
        else:
            logits = engine.forward(next_input, cache)
        token = sample_token(logits, params, generator)
        if token in eos:
            result.finish_reason = "stop"
            break
        generated.append(token)
        result.completion_tokens = len(generated)
        next_input = [token]
        text = tokenizer.decode(generated)
        hits = [i for i in (text.find(s, emitted) for s in stops) if i >= 0]
        if hits:
            text = text[: min(hits)]
            result.finish_reason, result.text, stopped_by_string = "stop", text, True
            if len(text) > emitted:
                yield text[emitted:]
            break
        safe = len(text) - _held_back(text, stops)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence; wait for its remaining bytes
            safe = min(safe, len(text.rstrip("\ufffd")))
        result.text = text[:safe]
        if safe > emitted:
            yield text[emitted:safe]
            emitted = safe
    result.token_ids = generated
    if not stopped_by_string:  # release what was held back for a stop string that never came
        final = tokenizer.decode(generated)
        result.text = final
        if len(final) > emitted:
            yield final[emitted:]
