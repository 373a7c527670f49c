"""Reading TRL-layout pair files, prompt masking and batching."""

from __future__ import annotations

import json

import pytest

from tactica.llm.alignment import load_causal_lm, load_pairs, pairs_from_records, write_pairs
from tactica.llm.alignment.data import collate, encode_pairs

from .conftest import CHAT_PAIRS, TEXT_PAIRS


def _write(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_text_and_chat_pairs_round_trip(tmp_path):
    for name, records in (("text", TEXT_PAIRS), ("chat", CHAT_PAIRS)):
        path = write_pairs(tmp_path / f"{name}.jsonl", pairs_from_records(records))
        pairs = load_pairs(path)
        assert [p.to_record() for p in pairs] == records
        assert all(p.is_chat == (name == "chat") for p in pairs)


@pytest.mark.parametrize(
    "lines,message",
    [
        ([{"prompt": "a", "chosen": "b"}], r"pairs\.jsonl:1: missing field 'rejected'"),
        (["", {"prompt": "a", "chosen": "b", "rejected": "c"}, "{oops"], r"pairs\.jsonl:3: not valid JSON"),
        ([["a", "b"]], "must be a JSON object"),
        ([{"prompt": "a", "chosen": [{"role": "assistant", "content": "b"}], "rejected": "c"}],
         "all be text or all be chat messages"),
        ([{"prompt": [{"role": "user"}], "chosen": [], "rejected": []}], "empty message list|string 'role' and 'content'"),
        ([{"prompt": "a", "chosen": 3, "rejected": "c"}], "'chosen' must be a string or a list of chat messages"),
        ([{"prompt": "a", "chosen": "", "rejected": "c"}], "must be non-empty"),
    ],
)  # fmt: skip
def test_bad_pair_files_name_the_line_and_the_problem(tmp_path, lines, message):
    with pytest.raises(ValueError, match=message):
        load_pairs(_write(tmp_path / "pairs.jsonl", lines))


def test_empty_and_missing_and_binary_files(tmp_path):
    with pytest.raises(ValueError, match="holds no preference pairs"):
        load_pairs(_write(tmp_path / "empty.jsonl", ["", "  "]))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_pairs(tmp_path / "nope.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_pairs(tmp_path / "bin.jsonl")


@pytest.mark.parametrize("records", [TEXT_PAIRS, CHAT_PAIRS], ids=["text", "chat"])
def test_prompt_tokens_are_masked_and_responses_end_with_the_end_token(plm_dir, records):
    lm = load_causal_lm(plm_dir)
    encoded = encode_pairs(pairs_from_records(records), lm.tokenizer, max_length=128)
    end = lm.tokenizer.tokenizer.token_id("<|im_end|>")
    for pair, enc in zip(records, encoded):
        if isinstance(pair["prompt"], str):
            assert enc.prompt_ids == lm.tokenizer.encode_text(pair["prompt"])
            assert lm.tokenizer.decode(enc.chosen_ids) == pair["chosen"]
        else:  # the response is the assistant turn: its text, <|im_end|> and the template's newline
            assert enc.prompt_ids == lm.tokenizer.encode_chat(pair["prompt"], add_generation_prompt=True)
            assert lm.tokenizer.decode(enc.chosen_ids).strip() == pair["chosen"][0]["content"]
        assert end in enc.chosen_ids and end in enc.rejected_ids
    batch = collate(encoded, lm.tokenizer.pad_id)
    n = len(encoded)
    assert batch.input_ids.shape[0] == 2 * n
    for i, enc in enumerate(encoded):
        for row, response in ((i, enc.chosen_ids), (n + i, enc.rejected_ids)):
            mask = batch.completion_mask[row].tolist()
            start = len(enc.prompt_ids)
            assert mask[:start] == [0] * start
            assert mask[start : start + len(response)] == [1] * len(response)
            assert sum(mask) == len(response)
            assert batch.input_ids[row, start : start + len(response)].tolist() == response


def test_prompt_longer_than_the_context_is_an_error_and_long_responses_are_cut(plm_dir):
    lm = load_causal_lm(plm_dir)
    long_prompt = [{"prompt": "one two three " * 20, "chosen": " yes", "rejected": " no"}]
    with pytest.raises(ValueError, match=r"pair 1: the prompt is \d+ tokens, longer than the context of 16"):
        encode_pairs(pairs_from_records(long_prompt), lm.tokenizer, max_length=16)
    long_answer = [
        {"prompt": "Count.", "chosen": " one two three four five six seven eight", "rejected": " no"}
    ]
    (enc,) = encode_pairs(pairs_from_records(long_answer), lm.tokenizer, max_length=8)
    assert enc.truncated and len(enc.prompt_ids) + len(enc.chosen_ids) == 8
