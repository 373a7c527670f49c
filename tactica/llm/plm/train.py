"""Train a PLM from scratch or fine-tune one, with the WSDC schedule; every run writes a run directory.

Run directory layout::

    run_config.json     the TrainConfig of the run
    corpus/             the generated corpus, when ``data="generated"`` (so the run can be inspected)
    metrics.jsonl       one line per logged step (train loss, lr, phase) and per evaluation (held-out loss)
    checkpoint/         the model in Hugging Face layout (config.json, model.safetensors, tokenizer files)
    trainer_state.pt    optimiser, step and RNG state, for ``resume``
    loss.png, lr.png    training curves (matplotlib, Agg)
    summary.json        final held-out loss, unigram baseline, fp32/int8/int4/int8-dynamic perplexities

``resume=True`` continues an interrupted run from ``trainer_state.pt`` exactly as if it had not stopped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tactica.llm.plm.checkpoint import load_model, save_model
from tactica.llm.plm.config import PRESETS, PLMConfig
from tactica.llm.plm.data import (
    ChatBatches,
    TokenStream,
    length_grouping,
    read_documents,
    split_documents,
    unigram_cross_entropy,
)
from tactica.llm.plm.model import PLMForCausalLM
from tactica.llm.plm.schedule import WSDCSchedule
from tactica.llm.plm.tokenizer import PLMTokenizer, train_bpe

__all__ = ["TrainConfig", "train", "PRESETS"]


@dataclass
class TrainConfig:
    """Everything a training run depends on (saved as ``run_config.json``)."""

    out_dir: str
    data: str = "generated"
    seed: int = 0
    init_from: str | None = None  # a checkpoint directory to fine-tune; None trains from scratch
    tokenizer: str | None = None  # a directory with tokenizer.json; None trains a byte-level BPE
    vocab_size: int = 2048
    tokenizer_split: str = "words"  # how the trained BPE cuts text before merging: one of tokenizer.SPLITS
    heldout_data: str | None = None  # held-out file(s); None holds out heldout_fraction of data
    group_by_length: bool | str = False  # chat batches of similar length: "pool" (True) or "neighbours"
    preset: str = "small"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    num_documents: int = 4000  # size of the generated corpus
    heldout_fraction: float = 0.05
    seq_len: int = 128
    batch_size: int = 16
    grad_accum: int = 1
    steps: int = 300
    lr: float = 3e-3
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    warmup: float | int = 0.05
    stable: float | int = 0.55
    decay: float | int = 0.3
    constant: float | int = 0.1
    min_lr_ratio: float = 0.1
    decay_shape: str = "cosine"
    eval_every: int = 50
    eval_tokens: int = 32768
    quant_eval_tokens: int = 8192  # held-out tokens for the runtime perplexities (every weight format)
    save_every: int = 100
    log_every: int = 10
    threads: int | None = None
    resume: bool = False
    evaluate_quantized: bool = True

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset {self.preset!r} is unknown; accepted: {', '.join(PRESETS)}")
        for name in ("seq_len", "batch_size", "grad_accum", "steps", "eval_every", "save_every", "log_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive int, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        self.betas = tuple(self.betas)
        length_grouping(self.group_by_length)  # validates it
        self.schedule()  # validates the phase lengths

    def schedule(self) -> WSDCSchedule:
        return WSDCSchedule(self.steps, self.warmup, self.stable, self.decay, self.constant, self.min_lr_ratio,
                            decay_shape=self.decay_shape)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _progress():
    from tactica.progress import progress_bar  # a bar on a terminal, plain lines in a log

    return progress_bar("PLM train", fields=("status",))


@torch.no_grad()
def _heldout_loss(model: PLMForCausalLM, heldout, config: TrainConfig) -> float:
    model.eval()
    total, count = 0.0, 0
    if isinstance(heldout, TokenStream):
        budget = config.eval_tokens
        windows = heldout.windows(config.seq_len)
        for start in range(0, len(windows), config.batch_size):
            group = [w for w in windows[start : start + config.batch_size] if len(w) == config.seq_len + 1]
            if not group:
                continue
            x = torch.stack(group)
            logits = model(x[:, :-1])
            nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                                                    reduction="sum")  # fmt: skip
            total += float(nll)
            count += x[:, 1:].numel()
            if count >= budget:
                break
    else:
        for ids, labels in heldout.all_batches(config.batch_size):
            total += float(model.loss(ids, labels, reduction="sum"))
            count += int((labels[:, 1:] != -100).sum())
    model.train()
    return total / max(count, 1)


def _plots(out: Path, records: list[dict], baseline: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss")
    if evals:
        ax.plot([r["step"] for r in evals], [r["heldout_loss"] for r in evals], "o-", label="held-out loss")
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", label="unigram baseline (held-out)")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title("PLM training")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([r["step"] for r in train], [r["lr"] for r in train])
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("learning rate")
    ax.set_title("WSDC schedule")
    fig.tight_layout()
    fig.savefig(out / "lr.png", dpi=100)
    plt.close(fig)


def _build(config: TrainConfig, kind: str, train_items: list) -> tuple[PLMForCausalLM, PLMTokenizer]:
    if config.init_from:
        model = load_model(config.init_from, dtype=torch.float32)
        tokenizer = PLMTokenizer.from_pretrained(config.tokenizer or config.init_from)
        model.train()
        return model, tokenizer
    if config.tokenizer:
        tokenizer = PLMTokenizer.from_pretrained(config.tokenizer)
    else:
        texts = train_items if kind == "text" else [m["content"] for chat in train_items for m in chat]
        tokenizer = train_bpe(texts, config.vocab_size, split=config.tokenizer_split)
    fields = dict(PRESETS[config.preset]) | dict(config.model_overrides)
    fields.setdefault("num_key_value_heads", fields["num_attention_heads"])
    model_config = PLMConfig(
        vocab_size=tokenizer.vocab_size, max_position_embeddings=max(512, config.seq_len), **fields
    )
    eos = tokenizer.token_id("<|im_end|>")
    model_config.extra.update({"bos_token_id": None, "eos_token_id": eos, "torch_dtype": "float32"})
    torch.manual_seed(config.seed)
    model = PLMForCausalLM(model_config)
    model.train()
    return model, tokenizer


def train(config: TrainConfig, *, progress: bool = True, stop_at: int | None = None) -> dict[str, Any]:
    """Run (or resume) a training run; returns the summary also written to ``summary.json``.

    ``stop_at`` ends this call after that many optimiser steps in total, with a checkpoint, while the schedule
    still spans ``config.steps`` (to split a run into time slices; continue with ``resume=True``).
    """
    out = Path(config.out_dir)
    state_path = out / "trainer_state.pt"
    resuming = config.resume and state_path.is_file()
    if out.exists() and any(out.iterdir()) and not resuming:
        if (out / "run_config.json").is_file() and not config.resume:
            raise FileExistsError(
                f"{out} already holds a run; pass resume=True (--resume) or another directory"
            )
    out.mkdir(parents=True, exist_ok=True)
    if config.threads:
        torch.set_num_threads(config.threads)
    (out / "run_config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n", encoding="utf-8")

    kind, items = read_documents(config.data, seed=config.seed, num_documents=config.num_documents)
    if config.heldout_data:
        held_kind, held_items = read_documents(config.heldout_data)
        if held_kind != kind or not held_items:
            raise ValueError(
                f"held-out data {config.heldout_data} must hold {kind} records like the training data"
            )
        train_items = items
    else:
        train_items, held_items = split_documents(items, config.heldout_fraction, config.seed)
    if str(config.data).startswith("generated"):
        corpus = out / "corpus"
        corpus.mkdir(exist_ok=True)
        for name, part in (("train.jsonl", train_items), ("heldout.jsonl", held_items)):
            key = "text" if kind == "text" else "messages"
            lines = [json.dumps({key: item}) for item in part]
            (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    if resuming:
        model = load_model(out / "checkpoint", dtype=torch.float32)
        tokenizer = PLMTokenizer.from_pretrained(out / "checkpoint")
        model.train()
    else:
        model, tokenizer = _build(config, kind, train_items)
    if kind == "text":
        train_data, held_data = TokenStream(train_items, tokenizer), TokenStream(held_items, tokenizer)
    else:
        train_data = ChatBatches(train_items, tokenizer, config.seq_len, config.group_by_length)
        held_data = ChatBatches(held_items, tokenizer, config.seq_len, config.group_by_length)

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.dim() < 2 or "norm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
        betas=config.betas,
    )
    schedule = config.schedule()
    generator = torch.Generator().manual_seed(config.seed)
    step = 0
    records: list[dict] = []
    seconds_before = 0.0  # training-loop time of earlier slices of a resumed run
    window: list[float] = []
    if resuming:
        state = torch.load(state_path, weights_only=True)  # optimizer and RNG tensors, numbers, lists
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        step = state["step"]
        records = state["records"]
        seconds_before = state.get("train_seconds", 0.0)
        window = list(state.get("loss_window", []))  # losses since the last log line, averaged into the next

    metrics_path = out / "metrics.jsonl"
    metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    def log(record: dict) -> None:
        records.append(record)
        with metrics_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def checkpoint() -> None:
        save_model(model, out / "checkpoint", tokenizer=tokenizer)
        torch.save(
            {"optimizer": optimizer.state_dict(), "generator": generator.get_state(), "step": step,
             "records": records, "train_seconds": train_seconds(), "loss_window": list(window)},
            state_path,
        )  # fmt: skip

    def train_seconds() -> float:
        return seconds_before + time.perf_counter() - started

    bar = _progress() if progress else None
    task = bar.add_task("train", total=config.steps, completed=step, status="") if bar else None
    started = time.perf_counter()
    if bar:
        bar.start()
    try:
        while step < config.steps:
            if stop_at is not None and step >= stop_at:
                break
            lr = config.lr * schedule(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            loss_sum = 0.0
            for _ in range(config.grad_accum):
                ids, labels = train_data.batch(config.batch_size, config.seq_len, generator)
                loss = model.loss(ids, labels) / config.grad_accum
                loss.backward()
                loss_sum += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
            window.append(loss_sum)
            if step % config.log_every == 0 or step == config.steps:
                mean = sum(window) / len(window)
                window.clear()
                log(
                    {"kind": "train", "step": step, "loss": mean, "lr": lr, "phase": schedule.phase(step - 1)}
                )
            if step % config.eval_every == 0 or step == config.steps:
                log({"kind": "eval", "step": step, "heldout_loss": _heldout_loss(model, held_data, config)})
            if step % config.save_every == 0 and step < config.steps:
                checkpoint()
            if bar:
                last = next((r for r in reversed(records) if r["kind"] == "train"), None)
                status = f"loss {last['loss']:.3f} lr {lr:.2e}" if last else ""
                bar.update(task, completed=step, status=status)
    finally:
        if bar:
            bar.stop()
    checkpoint()
    loop_seconds = train_seconds()
    if step < config.steps:
        return {"run_dir": str(out), "stopped_at": step, "steps": config.steps}
    summary = _summarise(model, tokenizer, train_data, held_data, config, records, out)
    summary["train_seconds"] = round(loop_seconds, 1)  # optimisation and periodic evaluation, all slices
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _plots(out, records, summary.get("unigram_heldout_loss"))
    return summary


def _summarise(
    model, tokenizer, train_data, held_data, config: TrainConfig, records, out: Path
) -> dict[str, Any]:
    heldout = _heldout_loss(model, held_data, config)
    summary: dict[str, Any] = {
        "run_dir": str(out),
        "steps": config.steps,
        "parameters": model.num_parameters(),
        "tokens_seen": config.steps * config.batch_size * config.grad_accum * config.seq_len,
        "heldout_loss": heldout,
        "heldout_perplexity": math.exp(heldout),
    }
    if isinstance(held_data, ChatBatches):
        summary.update(train_chats=len(train_data), heldout_chats=len(held_data),
                       chats_dropped=train_data.dropped + held_data.dropped)  # fmt: skip
    if isinstance(held_data, TokenStream):
        baseline = unigram_cross_entropy(train_data.ids, held_data.ids, model.config.vocab_size)
        summary["unigram_heldout_loss"] = baseline
        summary["loss_below_unigram"] = baseline - heldout
        if config.evaluate_quantized:
            from tactica.llm.runtime import PLMRuntime

            ids = held_data.ids[: config.quant_eval_tokens].tolist()
            for mode in (None, "int8", "int4", "int8-dynamic"):
                runtime = PLMRuntime.from_pretrained(out / "checkpoint", quantize=mode)
                nll = runtime.mean_nll(ids, window=config.seq_len)
                summary[f"runtime_perplexity_{mode or 'fp32'}"] = math.exp(nll)
            fp32 = summary["runtime_perplexity_fp32"]
            summary["int8_perplexity_change"] = summary["runtime_perplexity_int8"] / fp32 - 1.0
            summary["int4_perplexity_change"] = summary["runtime_perplexity_int4"] / fp32 - 1.0
            summary["int8_dynamic_perplexity_change"] = (
                summary["runtime_perplexity_int8-dynamic"] / fp32 - 1.0
            )
    return summary
