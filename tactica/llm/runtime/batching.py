"""Continuous batching: one thread owns the model and advances every running request by one token per step.

Decoding one token reads every weight of the model; reading them once for 16 requests costs little more than
for one, so concurrent requests are served together.  Requests join the batch as they arrive (their prompt is
prefilled, through the prefix cache, between two steps) and leave it when they finish, without waiting for the
others: :meth:`BatchScheduler.submit` returns a stream of text pieces like the one-request path, and each
request keeps its own cache, sampling generator and stop strings, so its text is what it would be alone.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tactica.llm.runtime.cache import LatentCache
from tactica.llm.runtime.generate import (
    Generation,
    SamplingParams,
    TextStream,
    check_prompt,
    prefill,
    validate_sampling,
)

__all__ = ["BatchScheduler", "SchedulerStats"]

_END = object()


@dataclass
class SchedulerStats:
    """What the scheduler has done: steps, the largest batch, tokens decoded in batches."""

    steps: int = 0
    max_batch_seen: int = 0
    batched_tokens: int = 0
    requests: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Request:
    prompt: list[int]
    params: SamplingParams
    result: Generation
    out: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    stream: TextStream | None = None
    cache: LatentCache | None = None
    next_token: int = -1


class BatchScheduler:
    """Serve generation requests from many threads with continuous batching on one :class:`PLMRuntime`.

    Args:
        runtime: the loaded model (its prefix cache and end tokens are used).
        max_batch: the most requests decoded together; more wait for a free slot.
    """

    def __init__(self, runtime, max_batch: int = 32):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.runtime = runtime
        self.max_batch = max_batch
        self.stats = SchedulerStats()
        self.closed = False
        self._waiting: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="plm-batching", daemon=True)

    def start(self) -> BatchScheduler:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop after the current step; running requests end with an error."""
        self.closed = True
        self._waiting.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def submit(
        self, prompt_ids: Sequence[int], params: SamplingParams, result: Generation | None = None
    ) -> Iterator[str]:
        """Queue a request; iterate the returned generator for its text pieces (``result`` is filled in).

        Closing the generator early (a client that went away) removes the request from the batch.
        """
        if self.closed:
            raise RuntimeError("the batching scheduler is closed")
        validate_sampling(params)
        result = result if result is not None else Generation()
        prompt = check_prompt(prompt_ids, self.runtime.context_length)
        result.prompt_tokens = len(prompt)
        request = _Request(prompt, params, result)
        self._waiting.put(request)
        return self._pieces(request)

    @staticmethod
    def _pieces(request: _Request) -> Iterator[str]:
        try:
            while True:
                item = request.out.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            request.cancelled.set()

    # ------------------------------------------------------------------ the model thread
    def _admit(self, request: _Request) -> bool:
        """Prefill a new request and sample its first token; False if it is already finished."""
        runtime = self.runtime
        limit = runtime.context_length
        budget = min(request.params.max_new_tokens, limit - len(request.prompt))
        request.stream = TextStream(
            runtime.tokenizer, request.params, runtime.eos_token_ids, budget, request.result, request.prompt
        )
        request.cache, logits = prefill(
            runtime.engine, request.prompt, min(limit, len(request.prompt) + budget), runtime.prefix_cache,
            request.result, runtime._lock,
        )  # fmt: skip
        return self._advance(request, logits)

    def _advance(self, request: _Request, logits) -> bool:
        """Sample and emit the next token; False once the request is finished (or failed)."""
        try:
            token = request.stream.sample(logits)
            piece = request.stream.push(token)
        except Exception as exc:  # noqa: BLE001 - handed to the request's consumer
            request.out.put(exc)
            return False
        if piece:
            request.out.put(piece)
        if request.stream.done:
            request.out.put(_END)
            return False
        request.next_token = token
        return True

    def _run(self) -> None:
        active: list[_Request] = []
        while not self.closed:
            block = not active
            while len(active) < self.max_batch:
                try:
                    request = self._waiting.get(block=block, timeout=None if block else 0)
                except queue.Empty:
                    break
                block = False
                if request is None:  # close()
                    break
                if request.cancelled.is_set():
                    continue
                self.stats.requests += 1
                try:
                    if self._admit(request):
                        active.append(request)
                except Exception as exc:  # noqa: BLE001 - handed to the request's consumer
                    request.out.put(exc)
            active = [r for r in active if not r.cancelled.is_set()]
            if not active or self.closed:
                continue
            try:
                with self.runtime._lock:
                    logits = self.runtime.engine.forward_batch(
                        [r.next_token for r in active], [r.cache for r in active]
                    )
            except Exception as exc:  # noqa: BLE001 - every request in the failed step learns of it
                for request in active:
                    request.out.put(exc)
                active = []
                continue
            self.stats.steps += 1
            self.stats.batched_tokens += len(active)
            self.stats.max_batch_seen = max(self.stats.max_batch_seen, len(active))
            active = [r for r, row in zip(active, logits) if self._advance(r, row)]
        error = RuntimeError("the batching scheduler was closed")
        for request in active:
            request.out.put(error)
        while True:
            try:
                request = self._waiting.get_nowait()
            except queue.Empty:
                break
            if request is not None:
                request.out.put(error)
