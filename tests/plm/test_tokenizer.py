"""Byte-level BPE training, chat templates and the tokenizer files."""

from __future__ import annotations

import pytest

from tactica.llm.plm import PLMTokenizer, train_bpe
from tactica.llm.plm.tokenizer import CHATML_TEMPLATE


def test_bpe_round_trips_any_text(tokenizer):
    for text in ("Alice plays rock.", "3 plus 4 is 7.", "naïve café — 日本語 🎲", "  spaces\tand\nlines "):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text  # byte-level: nothing is ever unknown
    # merges learned from the corpus make its words short
    assert len(tokenizer.encode(" scissors beats paper")) < len(" scissors beats paper") / 2


def test_special_tokens_are_single_ids(tokenizer):
    ids = [tokenizer.token_id(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")]
    assert ids == [0, 1, 2]
    assert tokenizer.encode("<|im_start|>user")[0] == 1
    assert tokenizer.eos_token_ids[0] == 2  # eos_token is <|im_end|>


def test_chatml_template(tokenizer):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    text = tokenizer.apply_chat_template(messages)
    assert (
        text
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert tokenizer.apply_chat_template(messages, add_generation_prompt=False).endswith("hi<|im_end|>\n")


def test_jinja_template_matches_native_chatml(tokenizer):
    pytest.importorskip("jinja2")
    messages = [{"role": "user", "content": "What is 2 plus 2?"}, {"role": "assistant", "content": "4."}]
    native = tokenizer.apply_chat_template(messages)
    custom = PLMTokenizer(tokenizer.tokenizer, dict(tokenizer.config, chat_template=CHATML_TEMPLATE + " "))
    assert custom.apply_chat_template(messages) == native + " "


def test_save_and_load(tmp_path, tokenizer):
    tokenizer.save_pretrained(tmp_path)
    loaded = PLMTokenizer.from_pretrained(tmp_path)
    assert loaded.encode("Bob plays paper.") == tokenizer.encode("Bob plays paper.")
    assert loaded.config["chat_template"] == CHATML_TEMPLATE
    with pytest.raises(FileNotFoundError):
        PLMTokenizer.from_pretrained(tmp_path / "missing")


def test_vocab_size_floor():
    with pytest.raises(ValueError, match="vocab_size"):
        train_bpe(["abc"], vocab_size=100)
