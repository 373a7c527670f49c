"""The compressed MLA cache: per layer, the normed latent (``kv_lora_rank``) and the roped key (``rope``) of
each token, instead of every head's decompressed key and value."""

from __future__ import annotations

import torch

__all__ = ["LatentCache"]


class LatentCache:
    """Growable per-layer buffers of latents [L, kv_lora_rank] and rope keys [L, qk_rope_head_dim].

    ``append`` writes the new tokens of one layer; ``commit`` advances the length once every layer has written
    them.  Capacity doubles when full, so appending is amortised O(1) per token.
    """

    def __init__(self, num_layers: int, kv_lora_rank: int, rope_dim: int, *, capacity: int = 256, dtype=None):
        self.dtype = dtype or torch.float32
        self.num_layers = num_layers
        self.length = 0
        self._latent = [torch.empty(capacity, kv_lora_rank, dtype=self.dtype) for _ in range(num_layers)]
        self._rope = [torch.empty(capacity, rope_dim, dtype=self.dtype) for _ in range(num_layers)]

    @property
    def capacity(self) -> int:
        return self._latent[0].shape[0]

    def _grow(self, needed: int) -> None:
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        for store in (self._latent, self._rope):
            for i, old in enumerate(store):
                new = torch.empty(capacity, old.shape[1], dtype=self.dtype)
                new[: self.length] = old[: self.length]
                store[i] = new

    def append(
        self, layer: int, latent: torch.Tensor, rope: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store ``latent`` [T, r] and ``rope`` [T, d] after the committed tokens; return the views over all
        ``length + T`` tokens of this layer."""
        end = self.length + latent.shape[0]
        if end > self.capacity:
            self._grow(end)
        self._latent[layer][self.length : end] = latent
        self._rope[layer][self.length : end] = rope
        return self._latent[layer][:end], self._rope[layer][:end]

    def commit(self, count: int) -> None:
        self.length += count

    def truncate(self, length: int) -> None:
        """Forget tokens after ``length`` (to reuse a shared prompt prefix)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate a cache of {self.length} tokens to {length}")
        self.length = length

    def snapshot(self, length: int | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Copies of every layer's first ``length`` (default: all committed) latents and rope keys."""
        length = self.length if length is None else length
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot snapshot {length} tokens of a cache holding {self.length}")
        return [t[:length].clone() for t in self._latent], [t[:length].clone() for t in self._rope]

    def restore(self, latents: list[torch.Tensor], ropes: list[torch.Tensor], length: int) -> None:
        """Replace the contents with the first ``length`` tokens of a :meth:`snapshot`."""
        if len(latents) != self.num_layers or len(ropes) != self.num_layers:
            raise ValueError("a snapshot must hold every layer")
        if length > self.capacity:
            self._grow(length)
        for store, parts in ((self._latent, latents), (self._rope, ropes)):
            for layer, part in enumerate(parts):
                store[layer][:length] = part[:length]
        self.length = length

    def bytes_per_token(self) -> int:
        width = self._latent[0].shape[1] + self._rope[0].shape[1]
        return self.num_layers * width * self._latent[0].element_size()

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached tokens (not the spare capacity)."""
        return self.length * self.bytes_per_token()
