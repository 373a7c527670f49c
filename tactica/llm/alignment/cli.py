"""``tactica train align``: preference-train a PLM or a transformers causal LM on TRL-layout pairs."""

from __future__ import annotations

import argparse

from tactica.cli.common import CLIError, print_run_summary
from tactica.llm.plm.cli import (
    _phase as step_count_or_fraction,  # an int is a step count, a decimal a fraction
)

__all__ = ["add_parser", "run", "add_training_arguments", "config_from_args"]


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The preference-training options shared by ``align`` and ``aries``."""
    from tactica.llm.alignment.options import LOSSES

    group = parser.add_argument_group("preference training")
    group.add_argument("--loss", choices=LOSSES, default="dpo",
                       help="dpo (sigmoid), ipo, hinge, tdpo1 or tdpo2 (default: dpo)")  # fmt: skip
    group.add_argument("--beta", type=float, default=0.1, help="KL strength beta (default: 0.1)")
    group.add_argument(
        "--alpha", type=float, default=0.5, help="TDPO2's weight on the KL term (default: 0.5)"
    )
    group.add_argument("--label-smoothing", type=float, default=0.0,
                       help="conservative-DPO label smoothing, loss dpo only (default: 0)")  # fmt: skip
    group.add_argument("--sft-weight", type=float, default=0.0,
                       help="add this weight times the chosen responses' per-token NLL, as RPO does (default: 0)")  # fmt: skip
    group.add_argument("--lr", type=float, default=5e-6, help="peak learning rate (default: 5e-6)")
    group.add_argument("--optimizer", choices=("rmsprop", "adamw"), default="rmsprop")
    group.add_argument("--weight-decay", type=float, default=0.0)
    group.add_argument("--schedule", choices=("constant", "linear", "cosine", "wsdc"), default="constant",
                       help="after warmup: constant, linear or cosine decay, or PLM's WSDC (default: constant)")  # fmt: skip
    group.add_argument("--warmup", type=step_count_or_fraction, default=150,
                       help="warmup steps (integer) or fraction of the run (decimal) (default: 150)")  # fmt: skip
    group.add_argument("--epochs", type=int, default=1)
    group.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    group.add_argument("--batch-size", type=int, default=8, help="pairs per micro-batch (default: 8)")
    group.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimiser step")
    group.add_argument("--max-length", type=int,
                       help="prompt + response tokens (default: 512 or the model's context if shorter)")  # fmt: skip
    group.add_argument("--grad-clip", type=float, default=10.0)
    group.add_argument(
        "--chunk-size", type=int, help="positions per full-vocabulary KL chunk (default: auto)"
    )
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--device", default="auto", help="auto (a GPU when torch sees one), cpu, cuda...")
    group.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                       help="auto: bf16 autocast on a GPU that supports it, else fp32")  # fmt: skip


def config_from_args(args: argparse.Namespace, **extra):
    from tactica.llm.alignment.trainer import PreferenceConfig

    return PreferenceConfig(
        loss=args.loss,
        beta=args.beta,
        alpha=args.alpha,
        label_smoothing=args.label_smoothing,
        sft_weight=args.sft_weight,
        lr=args.lr,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        warmup=args.warmup,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_length=args.max_length,
        grad_clip=args.grad_clip,
        chunk_size=args.chunk_size,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        **extra,
    )


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "align",
        help="preference-train a language model: DPO, IPO, hinge, TDPO1, TDPO2",
        description="Align a PLM checkpoint or a local transformers causal LM on preference pairs in TRL's JSONL "
        'layout: one {"prompt", "chosen", "rejected"} object per line, as plain text or as chat messages. '
        "Prompt tokens are masked out and the reference (the starting model) is frozen. TDPO's full-vocabulary "
        "KL is computed in chunks. The run directory gets run_config.json, metrics.jsonl (loss, rewards, "
        "margin, accuracy, sequential KL of chosen and rejected, lr, per step), checkpoint/ (the layout the "
        "model came in: a PLM checkpoint loads with plm: and 'tactica serve'), trainer_state.pt, loss.png, "
        "rewards.png, kl.png and summary.json.",
        epilog="examples:\n"
        "  tactica train align --model runs/plm/checkpoint --data pairs.jsonl --loss tdpo2 --beta 0.1 "
        "--lr 1e-4 --out runs/align   (minutes for a small PLM on a CPU)\n"
        "  tactica train align --model runs/plm/checkpoint --data pairs.jsonl --out runs/align --resume   (minutes)\n"
        "  tactica train align --model my-gpt2-dir --data chats.jsonl --loss dpo --label-smoothing 0.1 "
        "--optimizer adamw --lr 1e-6 --out runs/gpt2-dpo --json   (minutes to hours, with the model's size)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="a PLM checkpoint or a transformers causal-LM directory")  # fmt: skip
    parser.add_argument("--data", required=True, metavar="FILE", help="preference pairs (JSONL)")
    parser.add_argument("--out", required=True, metavar="DIR", help="run directory")
    parser.add_argument(
        "--eval-data", metavar="FILE", help="held-out pairs, evaluated at the end (and --eval-every)"
    )
    parser.add_argument("--eval-every", type=int, default=0, help="evaluate held-out pairs every N steps")
    parser.add_argument(
        "--save-every", type=int, default=0, help="checkpoint every N steps (default: at the end)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    add_training_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.llm.alignment.trainer import train_preferences

    config = config_from_args(args, eval_every=args.eval_every, save_every=args.save_every)
    try:
        result = train_preferences(
            args.model,
            args.data,
            config,
            args.out,
            eval_pairs=args.eval_data,
            resume=args.resume,
            progress=not args.no_progress and not args.json,
        )
    except FileExistsError as exc:
        raise CLIError(str(exc), 2) from None
    summary = result.summary
    print_run_summary(summary, args.json)
    return 0
