"""Training data and training of the offline text reader (:class:`~.listeners.TextReader`).

Transcripts are generated from random structured speeches ``(kind, claim, target)`` of random games (3 to 10
players, every role) worded by :func:`~.phrasing.phrase` from one template bank.  The reader is a linear model
over hashed word n-grams (a ``torch.nn.EmbeddingBag`` summing one weight row per n-gram), with three softmax
heads trained by cross-entropy.  Run it with ``python -m tactica.agents.discussion.train listener``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.agents.discussion.listeners import KINDS, MAX_SEATS, TextReader, hashed_features, target_class
from tactica.agents.discussion.phrasing import phrase
from tactica.envs.onuw.rules import Role

__all__ = ["generate_speeches", "train_reader", "reader_accuracy"]

DEFAULT_DIM = 1 << 14


def generate_speeches(
    count: int, bank: str, rng: np.random.Generator
) -> list[tuple[str, tuple[int, int, int]]]:
    """``count`` random speeches worded from ``bank``, each with its labels ``(kind, claim, target class)``."""
    out = []
    roles = list(Role)
    for _ in range(count):
        n = int(rng.integers(3, MAX_SEATS + 1))
        speaker = int(rng.integers(n))
        others = [p for p in range(n) if p != speaker]
        kind = KINDS[int(rng.integers(3))]
        claim: Role | None = roles[int(rng.integers(len(roles)))] if rng.random() < 0.75 else None
        target: int | None = others[int(rng.integers(len(others)))] if rng.random() < 0.8 else None
        if kind == "evidence" and claim is None:
            target = None
        if kind == "accusation" and target is not None and rng.random() < 0.6:
            claim = Role.WEREWOLF if rng.random() < 0.5 else None
        if kind == "defense" and rng.random() < 0.3:
            target = speaker
        if kind == "defense" and claim == Role.WEREWOLF:
            claim = None
        text = phrase(kind, claim, target, speaker, rng, bank=bank, filler=0.4)
        label_claim = len(Role) if claim is None else int(claim)
        if kind == "accusation" and target is not None and claim is None:
            label_claim = int(Role.WEREWOLF)  # the words of an accusation name the Werewolf
        out.append((text, (KINDS.index(kind), label_claim, target_class(kind, target, speaker))))
    return out


def reader_accuracy(reader: TextReader, speeches: list[tuple[str, tuple[int, int, int]]]) -> dict[str, float]:
    """Accuracy of the most likely kind, claim and target, and of all three at once."""
    hits = np.zeros(4)
    for text, (kind, claim, target) in speeches:
        r = reader.read(text)
        got = (
            int(np.argmax(r.kind)) == kind,
            int(np.argmax(r.claim)) == claim,
            int(np.argmax(r.target)) == target,
        )
        hits[:3] += got
        hits[3] += all(got)
    return dict(zip(("kind", "claim", "target", "all"), (hits / max(1, len(speeches))).round(4).tolist()))


def train_reader(
    speeches: list[tuple[str, tuple[int, int, int]]],
    dim: int = DEFAULT_DIM,
    epochs: int = 4,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
) -> TextReader:
    """Fit the three heads on ``speeches`` (Adam, batch 256, one thread)."""
    import torch

    torch.manual_seed(seed)
    feats = [torch.as_tensor(hashed_features(text, dim)) for text, _ in speeches]
    labels = torch.as_tensor([y for _, y in speeches], dtype=torch.long)
    sizes = (len(KINDS), len(Role) + 1, 2 + MAX_SEATS)
    bag = torch.nn.EmbeddingBag(dim, sum(sizes), mode="sum")
    torch.nn.init.zeros_(bag.weight)
    optimizer = torch.optim.Adam(bag.parameters(), lr=0.02)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(feats))
        for start in range(0, len(order), 256):
            idx = order[start : start + 256]
            flat = torch.cat([feats[i] for i in idx])
            offsets = torch.as_tensor(np.cumsum([0] + [len(feats[i]) for i in idx[:-1]]))
            logits = bag(flat, offsets)
            loss = sum(
                torch.nn.functional.cross_entropy(part, labels[idx, h])
                for h, part in enumerate(torch.split(logits, sizes, dim=1))
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return TextReader(bag.weight.detach().numpy(), meta)
