"""Preference-training speed and memory: our trainer against TRL's DPOTrainer, and TDPO's chunked KL against the
naive full-vocabulary KL.

1. **DPO step, ours vs TRL.**  The same GPT-2-shaped model (random weights, float32, vocabulary 32000, hidden
   128, 2 layers) and the same batch of preference pairs (random words of a 32000-word word-level tokenizer:
   ``--prompt-tokens`` prompt and ``--response-tokens`` response tokens, ``--pairs`` pairs per step), the sigmoid
   DPO loss at beta 0.1, AdamW at a constant learning rate, gradient clipping at 1.0.  TRL runs its own loop
   (``DPOTrainer.train``, fp32, no gradient checkpointing); a callback reads the clock at the beginning and end
   of each of its steps.  Ours runs ``PreferenceTrainer.train_step`` on the collated batch.  The first
   ``--warmup`` steps are dropped, the median of the rest is reported.  Ours computes and logs the sequential
   KL of chosen and rejected on every step, which TRL does not.
2. **TDPO's KL, chunked vs naive.**  The label log-probabilities and full-vocabulary KL of one pair (2 x
   ``--kl-tokens`` positions, vocabulary ``--kl-vocab``, hidden 256) from the final hidden states, forward and
   backward of the TDPO2 loss: :func:`~tactica.llm.alignment.token_stats` (chunked) against
   :func:`~tactica.llm.alignment.naive_token_stats` (the full ``[positions, vocab]`` logits, as the TDPO
   reference implementation computes them).

Every measurement runs in its own subprocess.  Time is CPU time (``time.process_time``, this machine is shared)
or CUDA-synchronised wall time on a GPU.  Peak memory is the growth of the process's resident set during the
timed steps over the resident set just before them (Linux: the ``VmHWM`` high-water mark, reset through
``/proc/self/clear_refs``; workers run with ``MALLOC_MMAP_THRESHOLD_=131072`` so freed tensors leave the resident
set), or ``torch.cuda.max_memory_allocated`` on a GPU.

    OMP_NUM_THREADS=1 python benchmarks/alignment.py
    python benchmarks/alignment.py --steps 4 --kl-tokens 128 --json     # a quick check
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

from tactica._procfs import status_kib

VOCAB = 32000


class PeakMemory:
    """Peak memory (MiB) above the level at ``start()``: CUDA allocator statistics on a GPU, else the resident
    set's high-water mark."""

    def __init__(self, device: torch.device):
        self.device = device

    def start(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
            self.base = status_kib("VmRSS") * 1024

    def peak_mib(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            return (torch.cuda.max_memory_allocated() - self.base) / 2**20
        return (status_kib("VmHWM") * 1024 - self.base) / 2**20


def _clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
        return time.perf_counter()
    return time.process_time()


# ----------------------------------------------------------------------------- DPO step: model and data
def _word_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {f"w{i}": i for i in range(VOCAB)}
    for token in ("<unk>", "<pad>", "<eos>"):
        vocab[token] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )


def _pairs(args) -> list[dict]:
    g = torch.Generator().manual_seed(0)

    def words(n: int) -> str:
        return " ".join(f"w{int(i)}" for i in torch.randint(0, VOCAB, (n,), generator=g))

    return [
        {"prompt": words(args.prompt_tokens), "chosen": " " + words(args.response_tokens - 1),
         "rejected": " " + words(args.response_tokens - 1)}
        for _ in range(args.pairs)
    ]  # fmt: skip


def _model(tokenizer, device):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=len(tokenizer), n_embd=128, n_layer=2, n_head=4, n_positions=512,
                        eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)  # fmt: skip
    torch.manual_seed(0)
    return GPT2LMHeadModel(config).to(device)


def worker_ours(args) -> dict:
    from tactica.llm.alignment import PreferenceConfig, PreferenceTrainer, pairs_from_records, wrap_model

    device = torch.device(args.device)
    tokenizer = _word_tokenizer()
    policy = wrap_model(_model(tokenizer, device), tokenizer)
    config = PreferenceConfig(loss="dpo", beta=0.1, lr=1e-6, optimizer="adamw", warmup=0, grad_clip=1.0,
                              batch_size=args.pairs, device=args.device, precision="fp32")  # fmt: skip
    trainer = PreferenceTrainer(policy, config)
    batch = trainer.collate(trainer.encode(pairs_from_records(_pairs(args))))
    memory = PeakMemory(device)
    times, losses = [], []
    memory.start()
    for _ in range(args.steps):
        start = _clock(device)
        metrics = trainer.train_step([batch])
        times.append(_clock(device) - start)
        losses.append(metrics["loss"])
    return {"seconds": times, "peak_mib": memory.peak_mib(), "first_loss": losses[0],
            "tokens_per_sequence": int(batch.attention_mask.sum(1).max())}  # fmt: skip


def worker_trl(args) -> dict:
    import datasets
    from transformers import TrainerCallback
    from trl import DPOConfig, DPOTrainer

    device = torch.device(args.device)
    tokenizer = _word_tokenizer()
    model = _model(tokenizer, device)
    memory = PeakMemory(device)
    times, losses = [], []

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            if not times:
                memory.start()
            self.start = _clock(device)

        def on_step_end(self, *a, **k):
            times.append(_clock(device) - self.start)

        def on_log(self, _args, state, control, logs=None, **k):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    config = DPOConfig(
        output_dir=str(Path(args.tmp) / "trl"), per_device_train_batch_size=args.pairs, learning_rate=1e-6,
        lr_scheduler_type="constant", warmup_steps=0, max_grad_norm=1.0, beta=0.1, loss_type="sigmoid",
        bf16=False, gradient_checkpointing=False, use_cpu=args.device == "cpu", max_steps=args.steps,
        logging_steps=1, save_strategy="no", report_to=[], max_length=args.prompt_tokens + args.response_tokens,
        dataloader_num_workers=0, disable_tqdm=True, seed=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = DPOTrainer(
            model=model, ref_model=copy.deepcopy(model), args=config, processing_class=tokenizer, callbacks=[Clock()],
            train_dataset=datasets.Dataset.from_list(_pairs(args) * args.steps),
        )  # fmt: skip
        trainer.train()
    return {"seconds": times, "peak_mib": memory.peak_mib(), "first_loss": losses[0] if losses else None}


# ----------------------------------------------------------------------------- TDPO KL: chunked vs naive
def worker_kl(args, chunked: bool) -> dict:
    from tactica.llm.alignment import naive_token_stats, token_stats
    from tactica.llm.alignment.losses import preference_loss

    device = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    n, hidden, vocab = 2 * args.kl_tokens, 256, args.kl_vocab
    weight = (torch.randn(vocab, hidden, generator=g) * 0.05).to(device).requires_grad_()
    ref_weight = (weight.detach() + 0.01 * torch.randn(vocab, hidden, generator=g).to(device)).contiguous()
    h = torch.randn(n, hidden, generator=g).to(device).requires_grad_()
    ref_h = (h.detach() + 0.1 * torch.randn(n, hidden, generator=g).to(device)).contiguous()
    labels = torch.randint(0, vocab, (n,), generator=g).to(device)
    rows = torch.arange(2, device=device).repeat_interleave(args.kl_tokens)
    memory = PeakMemory(device)
    times = []
    memory.start()
    for _ in range(args.kl_repeats):
        h.grad = weight.grad = None
        start = _clock(device)
        if chunked:
            logp, ref_logp, kl = token_stats(h, weight, None, ref_h, ref_weight, None, labels, args.kl_chunk)
        else:
            logp, ref_logp, kl = naive_token_stats(h, weight, None, ref_h, ref_weight, None, labels)
        seq = [
            torch.zeros(2, device=device, dtype=logp.dtype).index_add(0, rows, x)
            for x in (logp, ref_logp, kl)
        ]
        loss = preference_loss("tdpo2", seq[0][:1], seq[0][1:], seq[1][:1], seq[1][1:], beta=0.1,
                               kl_chosen=seq[2][:1], kl_rejected=seq[2][1:]).mean()  # fmt: skip
        loss.backward()
        times.append(_clock(device) - start)
        del logp, ref_logp, kl, seq, loss
    return {"seconds": times, "peak_mib": memory.peak_mib()}


WORKERS = {
    "ours": worker_ours,
    "trl": worker_trl,
    "kl-chunked": lambda a: worker_kl(a, True),
    "kl-naive": lambda a: worker_kl(a, False),
}


def _run_worker(name: str, args) -> dict:
    command = [sys.executable, __file__, "--worker", name]
    for key in ("device", "pairs", "prompt_tokens", "response_tokens", "steps", "kl_tokens", "kl_vocab",
                "kl_repeats", "threads", "tmp"):  # fmt: skip
        value = getattr(args, key)
        if value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    if args.kl_chunk:
        command += ["--kl-chunk", str(args.kl_chunk)]
    # every allocation of 128 KiB or more gets its own mapping, returned to the system when freed, so the
    # resident set follows the live tensors (glibc's adaptive threshold would otherwise keep freed chunks)
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "131072"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--pairs", type=int, default=4, help="preference pairs per step")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--response-tokens", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8, help="optimiser steps per repeat")
    parser.add_argument("--warmup", type=int, default=2, help="steps dropped before taking the median")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats of ours and TRL")
    parser.add_argument("--kl-tokens", type=int, default=512, help="response tokens per sequence")
    parser.add_argument("--kl-vocab", type=int, default=32000)
    parser.add_argument("--kl-chunk", type=int, help="positions per chunk (default: automatic)")
    parser.add_argument("--kl-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default: 1)")
    parser.add_argument("--parts", nargs="+", choices=("step", "kl"), default=["step", "kl"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--tmp", default="/tmp/tactica-alignment-bench", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)))
        return

    results: dict = {"device": args.device, "threads": args.threads, "torch": torch.__version__}
    try:
        import transformers
        import trl

        results["trl"], results["transformers"] = trl.__version__, transformers.__version__
        have_trl = True
    except ImportError:
        have_trl = False
    runs: dict[str, list] = {"ours": [], "trl": []}
    for _ in range(args.repeats if "step" in args.parts else 0):
        for name in ("ours", "trl") if have_trl else ("ours",):
            out = _run_worker(name, args)
            runs[name].append(out)
    step = {}
    for name, outs in runs.items():
        if not outs:
            continue
        seconds = [s for out in outs for s in out["seconds"][args.warmup :]]
        step[name] = {
            "median_seconds": statistics.median(seconds),
            "peak_mib": max(out["peak_mib"] for out in outs),
            "first_loss": outs[0]["first_loss"],
        }
    if "trl" in step:
        step["trl_over_ours_time"] = step["trl"]["median_seconds"] / step["ours"]["median_seconds"]
        step["trl_over_ours_memory"] = step["trl"]["peak_mib"] / max(step["ours"]["peak_mib"], 1e-9)
    results["dpo_step"] = step
    kl = {}
    for name in ("kl-chunked", "kl-naive") if "kl" in args.parts else ():
        out = _run_worker(name, args)
        kl[name] = {"median_seconds": statistics.median(out["seconds"]), "peak_mib": out["peak_mib"]}
    if kl:
        kl["naive_over_chunked_memory"] = kl["kl-naive"]["peak_mib"] / kl["kl-chunked"]["peak_mib"]
        kl["naive_over_chunked_time"] = kl["kl-naive"]["median_seconds"] / kl["kl-chunked"]["median_seconds"]
    results["tdpo_kl"] = kl
    if args.json:
        print(json.dumps(results, indent=2))
        return
    clock = "wall (CUDA-synchronised)" if args.device.startswith("cuda") else "CPU"
    print(f"device {args.device}, {args.threads} thread(s), torch {torch.__version__}"
          + (f", TRL {results['trl']}, transformers {results['transformers']}" if have_trl else ", TRL not installed"))  # fmt: skip
    if step:
        _print_step(step, args, clock)
    if kl:
        _print_kl(kl, args)


def _print_step(step: dict, args, clock: str) -> None:
    print(f"\nDPO step: GPT-2 shape (vocab {VOCAB}, hidden 128, 2 layers), {args.pairs} pairs of "
          f"{args.prompt_tokens}+{args.response_tokens} tokens, {clock} seconds, median of "
          f"{args.repeats}x{args.steps - args.warmup} steps")  # fmt: skip
    print(f"  {'':8s} {'s/step':>9s} {'peak MiB':>9s} {'first loss':>11s}")
    for name in ("ours", "trl"):
        if name in step:
            s = step[name]
            print(f"  {name:8s} {s['median_seconds']:9.4f} {s['peak_mib']:9.1f} {s['first_loss']:11.6f}")
    if "trl" in step:
        print(
            f"  TRL / ours: time x{step['trl_over_ours_time']:.2f}, peak memory x{step['trl_over_ours_memory']:.2f}"
        )


def _print_kl(kl: dict, args) -> None:
    print(f"\nTDPO2 loss, forward + backward of logps and full-vocabulary KL: 2 x {args.kl_tokens} positions, "
          f"vocab {args.kl_vocab}, hidden 256, median of {args.kl_repeats}")  # fmt: skip
    print(f"  {'':11s} {'seconds':>9s} {'peak MiB':>9s}")
    for name in ("kl-chunked", "kl-naive"):
        print(f"  {name:11s} {kl[name]['median_seconds']:9.4f} {kl[name]['peak_mib']:9.1f}")
    print(f"  naive / chunked: peak memory x{kl['naive_over_chunked_memory']:.2f}, "
          f"time x{kl['naive_over_chunked_time']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
