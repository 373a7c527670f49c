"""``tactica train plm`` on transcript corpora: line-split BPE, the corpus's own held-out file, reply-only loss."""

from __future__ import annotations

import json

import pytest
import torch

from tactica.cli.main import main
from tactica.llm.plm import train_bpe
from tactica.llm.plm.data import ChatBatches, read_documents


def test_line_split_bpe_merges_repeated_lines_across_words():
    lines = [f"- Probe count: {n}\n- Mineral: {10 * n}\n" for n in range(40)] * 5
    words = train_bpe(lines, vocab_size=400, split="words")
    whole = train_bpe(lines, vocab_size=400, split="lines")
    text = "- Probe count: 7\n"
    assert len(whole.encode(text)) < len(words.encode(text))
    assert whole.decode(whole.encode(text)) == text


def test_chat_batches_pad_to_the_longest_and_drop_chats_without_reply(tmp_path):
    tokenizer = train_bpe(["hello there", "a b c d e f g"] * 20, vocab_size=300)
    chats = [
        [{"role": "user", "content": "a b"}, {"role": "assistant", "content": "c"}],
        [{"role": "user", "content": "a b c d e f g " * 8}, {"role": "assistant", "content": "ok"}],
    ]
    batches = ChatBatches(chats, tokenizer, seq_len=24, group_by_length=True)
    assert len(batches) == 1 and batches.dropped == 1  # the long prompt left no reply token within 24
    ids, labels = batches.batch(4, 24, torch.Generator().manual_seed(0))
    assert ids.shape[1] == len(batches.items[0].ids) and (labels != -100).any()


@pytest.mark.slow
def test_recipe_trains_on_a_corpus_and_its_heldout_file(tmp_path, capsys):
    corpus = tmp_path / "onuw.jsonl"
    code = main(["data", "transcripts", "--env", "ONUW-v1", "--agent", "onuw-rl", "--episodes", "2",
                 "--heldout-fraction", "0.5", "--out", str(corpus), "--json"])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    held = str(corpus).replace(".jsonl", ".heldout.jsonl")
    assert read_documents(corpus)[0] == "chat" and read_documents(held)[1]
    code = main(["train", "plm", "--out", str(tmp_path / "run"), "--data", str(corpus), "--heldout-data", held,
                 "--preset", "tiny", "--vocab-size", "400", "--tokenizer-split", "lines", "--group-by-length",
                 "--seq-len", "384", "--batch-size", "4", "--steps", "8", "--eval-every", "4", "--lr", "0.01",
                 "--no-quant-eval", "--json"])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    total = len(read_documents(corpus)[1]) + len(read_documents(held)[1])
    assert summary["heldout_chats"] > 0  # prompts longer than --seq-len are dropped and counted
    assert summary["train_chats"] + summary["heldout_chats"] + summary["chats_dropped"] == total
    evals = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["heldout_loss"] for r in evals if r["kind"] == "eval"]
    assert losses[-1] < losses[0]  # the held-out replies become more likely
    assert (tmp_path / "run" / "checkpoint" / "model.safetensors").is_file()
