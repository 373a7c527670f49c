"""Preference pairs: reading TRL-layout JSONL, tokenizing with prompt masking, and batching.

One pair per line, the layout TRL's ``DPOTrainer`` reads (its "explicit prompt" format)::

    {"prompt": "What is 2 + 3?", "chosen": " 5", "rejected": " 6"}
    {"prompt": [{"role": "user", "content": "What is 2 + 3?"}],
     "chosen": [{"role": "assistant", "content": "5"}],
     "rejected": [{"role": "assistant", "content": "6"}]}

Plain text pairs get the tokenizer's end-of-sequence token appended to each response (as TRL does); chat pairs
are rendered with the chat template.  A response starts where the tokens of the prompt and of prompt+response
first differ, so a merge across the boundary never puts prompt tokens into the loss.  Other keys on a line are
ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from tactica.llm.alignment.models import TokenizerAdapter

__all__ = [
    "PreferencePair",
    "EncodedPair",
    "PreferenceBatch",
    "load_pairs",
    "read_jsonl",
    "pairs_from_records",
    "write_pairs",
    "encode_pairs",
    "collate",
    "collate_sequences",
]

_FIELDS = ("prompt", "chosen", "rejected")


@dataclass(frozen=True)
class PreferencePair:
    """A prompt with a preferred (``chosen``) and a dispreferred (``rejected``) response.

    Each field is a string, or for chat data a list of ``{"role", "content"}`` messages (the prompt's turns and
    the response's assistant turn(s)).
    """

    prompt: str | tuple
    chosen: str | tuple
    rejected: str | tuple

    @property
    def is_chat(self) -> bool:
        return not isinstance(self.prompt, str)

    def to_record(self) -> dict:
        def plain(value):
            return value if isinstance(value, str) else [dict(m) for m in value]

        return {name: plain(getattr(self, name)) for name in _FIELDS}


def _messages(value, where: str, name: str) -> tuple:
    if not value:
        raise ValueError(f"{where}: '{name}' is an empty message list")
    out = []
    for i, message in enumerate(value):
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("role"), str)
            or not isinstance(message.get("content"), str)
        ):
            raise ValueError(
                f"{where}: '{name}' message {i} must be an object with string 'role' and 'content'"
            )
        out.append({"role": message["role"], "content": message["content"]})
    return tuple(out)


def _pair(record, where: str) -> PreferencePair:
    if isinstance(record, PreferencePair):
        return record
    if not isinstance(record, dict):
        raise ValueError(f"{where}: each pair must be a JSON object with 'prompt', 'chosen' and 'rejected'")
    missing = [name for name in _FIELDS if name not in record]
    if missing:
        raise ValueError(
            f"{where}: missing field {', '.join(repr(m) for m in missing)}; each pair needs 'prompt', "
            "'chosen' and 'rejected'"
        )
    for name in _FIELDS:
        if not isinstance(record[name], (str, list)):
            raise ValueError(
                f"{where}: '{name}' must be a string or a list of chat messages, "
                f"got {type(record[name]).__name__}"
            )
    text = {isinstance(record[name], str) for name in _FIELDS}
    if len(text) != 1:
        raise ValueError(
            f"{where}: 'prompt', 'chosen' and 'rejected' must all be text or all be chat messages"
        )
    if text == {True}:
        if not record["chosen"] or not record["rejected"]:
            raise ValueError(f"{where}: 'chosen' and 'rejected' must be non-empty")
        return PreferencePair(record["prompt"], record["chosen"], record["rejected"])
    return PreferencePair(*(_messages(record[name], where, name) for name in _FIELDS))


def pairs_from_records(records: Iterable[dict], source: str = "pair") -> list[PreferencePair]:
    """Validate records (``{"prompt", "chosen", "rejected"}`` dicts) into pairs; errors name the record."""
    return [_pair(record, f"{source} {number}") for number, record in enumerate(records, 1)]


def read_jsonl(path: str | Path, what: str) -> list[tuple[int, object]]:
    """``(line number, decoded JSON)`` for every non-blank line of a UTF-8 JSON-lines file; ``what`` names the
    file's kind in errors ("pairs file", "prompts file")."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text; a {what} holds one JSON object per line") from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return records


def load_pairs(path: str | Path) -> list[PreferencePair]:
    """Read a JSONL file of preference pairs (see the module docstring); blank lines are skipped."""
    pairs = [_pair(record, f"{path}:{number}") for number, record in read_jsonl(path, "pairs file")]
    if not pairs:
        raise ValueError(
            f"{path} holds no preference pairs; each line must be a JSON object with 'prompt', 'chosen' and "
            "'rejected'"
        )
    return pairs


def write_pairs(path: str | Path, pairs: Iterable[PreferencePair | dict]) -> Path:
    """Write pairs as JSONL (the layout :func:`load_pairs` and TRL read)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(p.to_record() if isinstance(p, PreferencePair) else p, ensure_ascii=False) for p in pairs
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- tokenization
@dataclass
class EncodedPair:
    """Token ids of a pair: the shared prompt and each response (end token included)."""

    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]
    truncated: bool = False


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def encode_pair(pair: PreferencePair, tokenizer: TokenizerAdapter) -> EncodedPair:
    if pair.is_chat:
        prompt = tokenizer.encode_chat(pair.prompt, add_generation_prompt=True)
        chosen = tokenizer.encode_chat(pair.prompt + pair.chosen, add_generation_prompt=False)
        rejected = tokenizer.encode_chat(pair.prompt + pair.rejected, add_generation_prompt=False)
    else:
        eos = tokenizer.eos_token or ""
        prompt = tokenizer.encode_text(pair.prompt)
        chosen_text = pair.chosen if pair.chosen.endswith(eos) else pair.chosen + eos
        rejected_text = pair.rejected if pair.rejected.endswith(eos) else pair.rejected + eos
        chosen = tokenizer.encode_text(pair.prompt + chosen_text)
        rejected = tokenizer.encode_text(pair.prompt + rejected_text)
    n = min(_common_prefix(prompt, chosen), _common_prefix(prompt, rejected))
    return EncodedPair(prompt[:n], chosen[n:], rejected[n:])


def encode_pairs(
    pairs: Sequence[PreferencePair], tokenizer: TokenizerAdapter, max_length: int
) -> list[EncodedPair]:
    """Tokenize every pair.  A prompt that leaves no room for a response within ``max_length`` tokens raises
    ``ValueError`` naming the pair; longer responses are cut at ``max_length`` (``truncated`` is set)."""
    out = []
    for index, pair in enumerate(pairs):
        encoded = encode_pair(pair, tokenizer)
        if len(encoded.prompt_ids) >= max_length:
            raise ValueError(
                f"pair {index + 1}: the prompt is {len(encoded.prompt_ids)} tokens, longer than the context of "
                f"{max_length} tokens (max_length) leaves room for; shorten it or raise max_length"
            )
        if not encoded.chosen_ids or not encoded.rejected_ids:
            raise ValueError(f"pair {index + 1}: a response encodes to no tokens")
        room = max_length - len(encoded.prompt_ids)
        if len(encoded.chosen_ids) > room or len(encoded.rejected_ids) > room:
            encoded.chosen_ids = encoded.chosen_ids[:room]
            encoded.rejected_ids = encoded.rejected_ids[:room]
            encoded.truncated = True
        out.append(encoded)
    return out


@dataclass
class PreferenceBatch:
    """Chosen sequences then rejected sequences, right-padded: rows ``0..B-1`` chosen, ``B..2B-1`` rejected.

    ``completion_mask`` is 1 on response tokens, 0 on prompt and padding.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    completion_mask: torch.Tensor

    @property
    def num_pairs(self) -> int:
        return self.input_ids.shape[0] // 2

    def to(self, device) -> PreferenceBatch:
        return PreferenceBatch(
            *(t.to(device) for t in (self.input_ids, self.attention_mask, self.completion_mask))
        )


def collate(pairs: Sequence[EncodedPair], pad_id: int) -> PreferenceBatch:
    """Pairs into one right-padded batch, chosen rows first."""
    rows = [(p.prompt_ids, p.chosen_ids) for p in pairs] + [(p.prompt_ids, p.rejected_ids) for p in pairs]
    return collate_sequences(rows, pad_id)


def collate_sequences(rows: Sequence[tuple[Sequence[int], Sequence[int]]], pad_id: int) -> PreferenceBatch:
    """``(prompt_ids, response_ids)`` rows into one right-padded batch (responses marked in completion_mask)."""
    width = max(len(a) + len(b) for a, b in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    completion = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (prompt, response) in enumerate(rows):
        n, m = len(prompt), len(response)
        ids[i, : n + m] = torch.tensor(list(prompt) + list(response), dtype=torch.long)
        attention[i, : n + m] = 1
        completion[i, n : n + m] = 1
    return PreferenceBatch(ids, attention, completion)
