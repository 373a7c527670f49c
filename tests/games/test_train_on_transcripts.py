"""``tactica train plm`` on transcript corpora: line-split BPE, the corpus's own held-out file, reply-only loss."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tactica.cli.main import main
from tactica.llm.plm import train_bpe
from tactica.llm.plm.data import ChatBatches, length_grouping, read_documents
from tactica.llm.plm.train import TrainConfig


def test_line_split_bpe_merges_repeated_lines_across_words():
    lines = [f"- Probe count: {n}\n- Mineral: {10 * n}\n" for n in range(40)] * 5
    words = train_bpe(lines, vocab_size=400, split="words")
    whole = train_bpe(lines, vocab_size=400, split="lines")
    text = "- Probe count: 7\n"
    assert len(whole.encode(text)) < len(words.encode(text))
    assert whole.decode(whole.encode(text)) == text


def test_digit_split_reads_every_number_digit_by_digit():
    """``lines-digits``: the line's words still merge into one token, each digit is a token of its own, so
    ``15`` and ``14`` share the prefix token and differ in one digit (and decode back unchanged)."""
    lines = [f"- Supply cap: {n}\n- Supply used: {n - 1}\n" for n in range(10, 60)] * 5
    tokenizer = train_bpe(lines, vocab_size=400, split="lines-digits")
    fifteen, fourteen = tokenizer.encode("- Supply cap: 15\n"), tokenizer.encode("- Supply cap: 14\n")
    assert len(fifteen) == 4 and fifteen[0] == fourteen[0] and fifteen[1] == fourteen[1]
    assert [tokenizer.decode([t]) for t in fifteen[1:3]] == ["1", "5"]
    assert tokenizer.decode(fifteen) == "- Supply cap: 15\n"
    header = tokenizer.encode("<|im_start|>assistant\n")
    assert header == [tokenizer.token_id("<|im_start|>"), tokenizer.token_id("assistant\n")]


def test_value_split_cuts_the_value_out_of_a_state_line_only():
    """``lines-values``: ``- Mineral: 215`` is the name's token, the value's tokens and the line break, so the
    name is the same token for every value; a line whose number does not end it (an action dictionary's entry,
    a decision) still merges whole, and everything decodes back unchanged."""
    lines = [
        f"- Mineral: {25 * n}\n- Game time: 0{n % 10}:{10 + n}\n0: <TRAIN PROBE>\n" for n in range(40)
    ] * 5
    tokenizer = train_bpe(lines, vocab_size=400, split="lines-values")
    pieces = [tokenizer.decode([t]) for t in tokenizer.encode("- Mineral: 1215\n")]
    assert pieces[0] == "- Mineral: " and pieces[-1] == "\n" and "".join(pieces[1:-1]) == "1215"
    assert tokenizer.encode("- Mineral: 50\n")[0] == tokenizer.encode("- Mineral: 975\n")[0]
    time = [tokenizer.decode([t]) for t in tokenizer.encode("- Game time: 02:14\n")]
    assert time[0] == "- Game time: " and "".join(time[1:-1]) == "02:14"
    assert len(tokenizer.encode("0: <TRAIN PROBE>\n")) == 1
    text = "- Mineral: 1215\n- Supply left: 2\n0: <TRAIN PROBE>\n"
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_line_split_keeps_the_reply_header_apart_from_a_reply_s_end():
    """The generation prompt ends in the token ``assistant\n``, never in the bare line break that ends a reply
    (what made a trained model answer ``<|im_end|>`` at once)."""
    replies = [f"Decisions:\n1: <TRAIN PROBE>\n2: <BUILD PYLON {n}>\n" for n in range(30)]
    tokenizer = train_bpe(replies, vocab_size=300, split="lines")
    header = tokenizer.encode("<|im_start|>assistant\n")
    assert header == [tokenizer.token_id("<|im_start|>"), tokenizer.token_id("assistant\n")]
    chat = [{"role": "user", "content": "go"}, {"role": "assistant", "content": replies[0]}]
    ids = tokenizer.encode(tokenizer.apply_chat_template(chat, add_generation_prompt=False))
    ends = [ids[i - 1] for i, t in enumerate(ids) if t == tokenizer.token_id("<|im_end|>")]
    assert header[-1] not in ends
    batches = ChatBatches([chat], tokenizer, seq_len=64)  # the reply's labels start after the header
    first = next(i for i, label in enumerate(batches.items[0].labels.tolist()) if label != -100)
    assert batches.items[0].ids[first - 1] == tokenizer.token_id("assistant\n")


def test_a_trained_model_answers_instead_of_ending_at_once(tmp_path):
    """A model trained on replies that end in a line break starts its reply with the reply, not ``<|im_end|>``."""
    from tactica.llm import from_spec

    rng = np.random.default_rng(0)
    actions = ["TRAIN PROBE", "BUILD PYLON", "BUILD GATEWAY", "TRAIN ZEALOT", "EMPTY ACTION"]
    chats = []
    for k in range(60):
        user = (
            f"Game state:\nMinerals: {int(rng.integers(50, 400))}\nSupply: {k % 20}/{15 + k % 7}\nDecide.\n"
        )
        answer = "Decisions:\n" + "".join(f"{i}: <{actions[int(rng.integers(5))]}>\n" for i in range(1, 4))
        chats.append(
            {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}
        )
    data = tmp_path / "chats.jsonl"
    data.write_text("\n".join(json.dumps(c) for c in chats) + "\n")
    code = main(["train", "plm", "--out", str(tmp_path / "run"), "--data", str(data), "--preset", "tiny",
                 "--vocab-size", "320", "--tokenizer-split", "lines", "--seq-len", "128", "--batch-size", "8",
                 "--steps", "100", "--eval-every", "1000", "--lr", "0.01", "--threads", "1", "--no-quant-eval",
                 "--no-progress"])  # fmt: skip
    assert code == 0
    model = from_spec(f"plm:{tmp_path / 'run' / 'checkpoint'}")
    for chat in chats[:3]:
        first = model.chat(chat["messages"][:1], max_tokens=1)
        assert first != ""  # an empty reply: the first token was <|im_end|>
        assert model.chat(chat["messages"][:1], max_tokens=24).startswith("Decisions:")


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


def _game_like_chats(games: int = 30, calls: int = 12):
    """Chats as a transcript corpus holds them: each game's calls in a row, a length that grows slowly with the
    call (the state lists more buildings as a game goes on), so equal lengths come in runs of one game's calls."""
    chats, game_of = [], []
    for game in range(games):
        for call in range(calls):
            prompt = f"game {game} " + "state " * (2 + call // 3 + game % 3)
            chats.append(
                [{"role": "user", "content": prompt}, {"role": "assistant", "content": f"answer {game}"}]
            )
            game_of.append(game)
    return chats, game_of


def _batch_statistics(grouping) -> tuple[float, float]:
    """Mean games per batch of 16 and mean padding share of ``grouping``'s batches."""
    tokenizer = train_bpe(["game state answer 0 1 2 3 4 5 6 7 8 9"] * 20, vocab_size=300)
    chats, game_of = _game_like_chats()
    batches = ChatBatches(chats, tokenizer, seq_len=256, group_by_length=grouping)
    generator = torch.Generator().manual_seed(0)
    games, padding = [], []
    for _ in range(200):
        picks = batches.draw(16, generator)
        games.append(len({game_of[i] for i in picks}))
        lengths = [len(batches.items[i].ids) for i in picks]
        padding.append(sum(max(lengths) - n for n in lengths) / (16 * max(lengths)))
    return sum(games) / len(games), sum(padding) / len(padding)


def test_length_grouped_batches_mix_games_and_save_padding():
    pooled, neighbours, unsorted = (_batch_statistics(g) for g in ("pool", "neighbours", False))
    # measured: random batches of 16 of these chats hold 12.5 games, pooled ones 10.6, neighbours 6.0 (on the
    # TextSC2 compact and explore corpora: 14.6, 13.5 and 7.7, with 19%, 2.9% and 0% padding)
    assert unsorted[0] > 11 and pooled[0] > 1.5 * neighbours[0]
    assert pooled[1] < unsorted[1] / 2  # and the pool's batches need far less padding than random ones


def test_length_grouping_names_the_accepted_values(tmp_path):
    assert length_grouping(True) == "pool" and length_grouping(False) is None
    with pytest.raises(ValueError, match="pool"):
        length_grouping("sorted")
    with pytest.raises(ValueError, match="group_by_length"):
        TrainConfig(out_dir=str(tmp_path), group_by_length="sorted")
    assert main(["train", "plm", "--out", str(tmp_path / "run"), "--group-by-length", "sorted"]) == 2
