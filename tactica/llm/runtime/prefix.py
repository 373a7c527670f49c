"""Prefix caching: a prompt that starts with tokens an earlier prompt already ran skips their prefill.

Agents send the same long system prompt (rules, the action format) on every call, followed by a short
observation; servers see many clients with the same system prompt.  :class:`PrefixCache` keeps, for recent
prompts, a copy of their compressed cache (``kv_lora_rank + qk_rope_head_dim`` numbers per token and layer);
a new prompt is compared with them token by token, the longest common prefix is copied into its cache, and
only the rest is computed.  A token's cache entry depends only on the tokens before it, so the copied numbers
are the ones a full prefill computes for those positions (up to float rounding, as with any chunked prefill).

Entries are evicted least recently used once their bytes exceed ``max_bytes``; a prompt that extends a cached
one replaces it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from tactica.llm.runtime.cache import LatentCache

__all__ = ["PrefixCache", "PrefixStats"]


@dataclass
class PrefixStats:
    """Counters of a :class:`PrefixCache` (``reused_tokens`` is the prefill work saved)."""

    lookups: int = 0
    hits: int = 0
    reused_tokens: int = 0
    stored: int = 0
    evicted: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Entry:
    ids: np.ndarray
    latents: list[torch.Tensor]
    ropes: list[torch.Tensor]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.latents, *self.ropes))


class PrefixCache:
    """Recent prompts' compressed caches, reused for the common prefix of new prompts (thread-safe).

    Args:
        max_bytes: total size of the kept caches (default 64 MiB: 4,000 tokens of PLM-1.8B's 32 layers at
            float32, or a million tokens of a 2-layer game model).
        min_tokens: shorter common prefixes are not worth a copy and are ignored.
    """

    def __init__(self, max_bytes: int = 64 << 20, min_tokens: int = 8):
        if max_bytes < 0 or min_tokens < 1:
            raise ValueError("max_bytes must be >= 0 and min_tokens >= 1")
        self.max_bytes = max_bytes
        self.min_tokens = min_tokens
        self.stats = PrefixStats()
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._next_key = 0
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @staticmethod
    def _common(a: np.ndarray, b: np.ndarray) -> int:
        n = min(len(a), len(b))
        if n == 0:
            return 0
        differ = np.flatnonzero(a[:n] != b[:n])
        return int(differ[0]) if len(differ) else n

    def restore_into(self, ids: Sequence[int], cache: LatentCache) -> int:
        """Fill the empty ``cache`` with the longest cached prefix of ``ids`` (at most ``len(ids) - 1``
        tokens, so the model still computes the last one's logits); returns how many tokens it holds."""
        if cache.length:
            raise ValueError("restore_into needs an empty cache")
        query = np.asarray(ids, dtype=np.int64)
        with self._lock:
            self.stats.lookups += 1
            best, best_key = 0, None
            for key, entry in self._entries.items():
                common = self._common(entry.ids, query)
                if common > best:
                    best, best_key = common, key
            best = min(best, len(query) - 1)
            if best < self.min_tokens or best_key is None:
                return 0
            entry = self._entries[best_key]
            self._entries.move_to_end(best_key)
            cache.restore(entry.latents, entry.ropes, best)
            self.stats.hits += 1
            self.stats.reused_tokens += best
            return best

    def store(self, ids: Sequence[int], cache: LatentCache) -> None:
        """Keep a copy of ``cache``'s first ``len(ids)`` tokens (the prompt ``ids`` after its prefill)."""
        length = len(ids)
        if length < self.min_tokens or length > cache.length:
            return
        query = np.asarray(ids, dtype=np.int64)
        with self._lock:
            for key, entry in list(self._entries.items()):
                common = self._common(entry.ids, query)
                if common == length:  # already cached (this prompt, or one it is a prefix of)
                    self._entries.move_to_end(key)
                    return
                if common == len(entry.ids):  # this prompt extends a cached one: replace it
                    self._bytes -= entry.nbytes
                    del self._entries[key]
        latents, ropes = cache.snapshot(length)
        entry = _Entry(query, latents, ropes)
        if entry.nbytes > self.max_bytes:
            return
        with self._lock:
            self._entries[self._next_key] = entry
            self._next_key += 1
            self._bytes += entry.nbytes
            self.stats.stored += 1
            while self._bytes > self.max_bytes and self._entries:
                _, old = self._entries.popitem(last=False)
                self._bytes -= old.nbytes
                self.stats.evicted += 1
