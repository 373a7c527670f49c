"""Training data for PLM: plain text or JSONL read into token streams (pre-training) or masked chats (SFT).

Accepted files: ``.txt`` (documents separated by blank lines), ``.jsonl`` with ``{"text": ...}`` lines
(pre-training) or ``{"messages": [...]}`` lines (supervised fine-tuning: the loss covers assistant replies
only; a record whose ``meta`` says ``"expert": false`` -- a transcript's exploration answer -- is skipped).
Several files of one kind are given as a comma-separated list.  The special name ``generated`` means the
corpus of :mod:`tactica.llm.plm.corpus`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tactica.llm.plm.tokenizer import PLMTokenizer

__all__ = [
    "read_documents",
    "split_documents",
    "TokenStream",
    "ChatBatches",
    "length_grouping",
    "unigram_cross_entropy",
]


def read_documents(source: str | Path, *, seed: int = 0, num_documents: int = 4000) -> tuple[str, list]:
    """Return ``(kind, items)``: ``("text", [str, ...])`` or ``("chat", [[message, ...], ...])``."""
    if str(source) in ("generated", "generated:text"):
        from tactica.llm.plm.corpus import generate_corpus

        return "text", generate_corpus(num_documents, seed=seed)
    if str(source) == "generated:chat":
        from tactica.llm.plm.corpus import generate_chats

        return "chat", [c["messages"] for c in generate_chats(num_documents, seed=seed)]
    if "," in str(source):  # several files of one kind, read one after the other
        parts = [read_documents(part.strip(), seed=seed, num_documents=num_documents)
                 for part in str(source).split(",") if part.strip()]  # fmt: skip
        kinds = {kind for kind, _ in parts}
        if len(kinds) > 1:
            raise ValueError(f"training data {source} mixes text and chat files; use one kind")
        return kinds.pop(), [item for _, items in parts for item in items]
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(
            f"training data {source} does not exist (or use 'generated' / 'generated:chat')"
        )
    if path.suffix == ".txt":
        docs = [d.strip() for d in path.read_text(encoding="utf-8").split("\n\n") if d.strip()]
        return "text", docs
    if path.suffix != ".jsonl":
        raise ValueError(f"training data {path} must be .txt or .jsonl")
    texts, chats = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            texts.append(record["text"])
        elif isinstance(record, dict) and isinstance(record.get("messages"), list):
            meta = record.get("meta")
            if isinstance(meta, dict) and meta.get("expert") is False:
                continue  # a transcript's exploration answer: labelled for preferences, not a training target
            chats.append(record["messages"])
        else:
            raise ValueError(f"{path}:{number}: each line must be {{'text': str}} or {{'messages': [...]}}")
    if texts and chats:
        raise ValueError(f"{path} mixes 'text' and 'messages' records; use one kind per file")
    return ("chat", chats) if chats else ("text", texts)


def split_documents(items: Sequence, heldout_fraction: float, seed: int) -> tuple[list, list]:
    """Seeded shuffle, then the last ``heldout_fraction`` of items are held out (at least one each side)."""
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must lie in (0, 1), got {heldout_fraction}")
    if len(items) < 2:
        raise ValueError("need at least two documents to hold one out")
    order = np.random.default_rng(seed).permutation(len(items))
    n_held = min(max(1, round(len(items) * heldout_fraction)), len(items) - 1)
    items = [items[i] for i in order]
    return items[:-n_held], items[-n_held:]


class TokenStream:
    """Documents encoded and joined with the end-of-text token; batches are random windows."""

    def __init__(self, documents: Sequence[str], tokenizer: PLMTokenizer):
        eot = tokenizer.token_id("<|endoftext|>")
        ids: list[int] = []
        for doc in documents:
            ids.extend(tokenizer.encode(doc))
            if eot is not None:
                ids.append(eot)
        self.ids = torch.tensor(ids, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.ids)

    def batch(
        self, batch_size: int, seq_len: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if len(self.ids) <= seq_len:
            raise ValueError(f"the corpus has {len(self.ids)} tokens, fewer than seq_len+1={seq_len + 1}")
        starts = torch.randint(0, len(self.ids) - seq_len, (batch_size,), generator=generator)
        x = torch.stack([self.ids[s : s + seq_len] for s in starts.tolist()])
        return x, x.clone()

    def windows(self, seq_len: int) -> list[torch.Tensor]:
        """Consecutive windows covering the stream (each shares its first token with the previous end)."""
        return [self.ids[s : s + seq_len + 1] for s in range(0, len(self.ids) - 1, seq_len)]


@dataclass
class _Chat:
    ids: torch.Tensor
    labels: torch.Tensor


LENGTH_POOL = 16  # batches' worth of chats a length-grouped batch is chosen from
LENGTH_GROUPINGS = ("pool", "neighbours")


def length_grouping(value: bool | str | None) -> str | None:
    """``group_by_length`` as ``None``, ``"pool"`` or ``"neighbours"`` (``True`` means ``"pool"``)."""
    if value is False or value is None:
        return None
    if value is True:
        return "pool"
    if value not in LENGTH_GROUPINGS:
        raise ValueError(f"group_by_length must be True, False or one of {LENGTH_GROUPINGS}, got {value!r}")
    return value


class ChatBatches:
    """Chats rendered with the chat template; labels are -100 except on assistant replies (and their end).

    A chat longer than ``seq_len`` tokens is cut there; one with no reply token left is dropped (counted in
    ``dropped``).  A batch is padded to its longest chat.  ``group_by_length`` saves the padding of long prompts
    by batching chats of similar length:

    * ``"pool"`` (or ``True``): each batch draws a random pool of ``LENGTH_POOL`` batches' worth of chats, sorts
      it by length and keeps one of its batch-sized slices, picked at random, as transformers' length-grouped
      sampler does with its megabatches.  The chats of a batch come from all over the corpus.
    * ``"neighbours"``: a random chat and its neighbours in the corpus's length order.  Chats of equal length
      stay in corpus order there, so a transcript corpus gives batches of consecutive calls of a few games,
      which measurably slows learning (``docs/game_model.md``); kept to rebuild runs made with it.
    """

    def __init__(
        self,
        chats: Sequence[Sequence[dict]],
        tokenizer: PLMTokenizer,
        seq_len: int,
        group_by_length: bool | str = False,
    ):
        pad = tokenizer.token_id("<|endoftext|>") or 0
        self.pad = pad
        self.seq_len = seq_len
        self.group_by_length = length_grouping(group_by_length)
        self.items: list[_Chat] = []
        self.dropped = 0
        head = tokenizer.encode("<|im_start|>assistant\n")
        for chat in chats:
            ids: list[int] = []
            labels: list[int] = []
            for message in chat:
                text = tokenizer.apply_chat_template([message], add_generation_prompt=False)
                if message["role"] == "assistant":
                    body = tokenizer.encode(text)[len(head) :]
                    ids += head + body
                    labels += [-100] * len(head) + body
                else:
                    part = tokenizer.encode(text)
                    ids += part
                    labels += [-100] * len(part)
            ids, labels = ids[:seq_len], labels[:seq_len]
            if all(label == -100 for label in labels[1:]):
                self.dropped += 1
                continue
            self.items.append(_Chat(torch.tensor(ids), torch.tensor(labels)))
        if not self.items:
            raise ValueError(
                f"no chats to train on (dropped {self.dropped} with no reply within {seq_len} tokens)"
            )
        self.by_length = sorted(range(len(self.items)), key=lambda i: len(self.items[i].ids))

    def __len__(self) -> int:
        return len(self.items)

    def _stack(self, chunk: Sequence[_Chat]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(c.ids) for c in chunk)
        ids = torch.full((len(chunk), width), self.pad, dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        for row, c in enumerate(chunk):
            ids[row, : len(c.ids)] = c.ids
            labels[row, : len(c.labels)] = c.labels
        return ids, labels

    def draw(self, batch_size: int, generator: torch.Generator) -> list[int]:
        """The indices (into :attr:`items`) of the next batch's chats, drawn with ``generator``."""
        if self.group_by_length == "pool":
            size = batch_size * LENGTH_POOL
            pool = torch.randint(0, len(self.items), (size,), generator=generator).tolist()
            pool.sort(key=lambda i: len(self.items[i].ids))
            start = batch_size * int(torch.randint(0, LENGTH_POOL, (1,), generator=generator))
            return pool[start : start + batch_size]
        if self.group_by_length == "neighbours":
            rank = int(torch.randint(0, len(self.items), (1,), generator=generator))
            start = min(max(0, rank - batch_size // 2), max(0, len(self.items) - batch_size))
            return self.by_length[start : start + batch_size]
        return torch.randint(0, len(self.items), (batch_size,), generator=generator).tolist()

    def batch(
        self, batch_size: int, seq_len: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self._stack([self.items[i] for i in self.draw(batch_size, generator)])

    def all_batches(self, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        order = self.by_length if self.group_by_length else range(len(self.items))
        items = [self.items[i] for i in order]
        return [self._stack(items[start : start + batch_size]) for start in range(0, len(items), batch_size)]


def unigram_cross_entropy(train_ids: torch.Tensor, heldout_ids: torch.Tensor, vocab_size: int) -> float:
    """Held-out cross-entropy (nats/token) of an add-one-smoothed unigram model fitted on the training tokens:
    the baseline a language model must beat by using context."""
    counts = torch.bincount(train_ids, minlength=vocab_size).double() + 1.0
    logp = torch.log(counts / counts.sum())
    return float(-logp[heldout_ids].mean())
