"""``tactica train plm``: pre-train or fine-tune a PLM with the WSDC schedule."""

from __future__ import annotations

import argparse
import json

from tactica.cli.common import CLIError, non_negative_int, output_dir, positive_int, print_run_summary

#: tokenizer.SPLITS, written out so that building the parser does not import the tokenizer (a test checks it)
TOKENIZER_SPLITS = ("words", "lines", "lines-digits", "lines-values")
#: data.LENGTH_GROUPINGS, written out for the same reason (data imports torch)
LENGTH_GROUPINGS = ("pool", "neighbours")

__all__ = ["add_parser", "run"]


def _phase(text: str) -> float | int:
    """A phase length: an integer is a step count, a decimal a fraction of the run."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is neither a step count nor a fraction") from None


def _model_opt(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--model-opt takes KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_parser(subparsers) -> argparse.ArgumentParser:
    from tactica.llm.plm.config import PRESETS

    parser = subparsers.add_parser(
        "plm",
        help="pre-train or fine-tune a PLM (MLA + squared-ReLU language model) with the WSDC schedule",
        description="Train a PLM from scratch (a byte-level BPE tokenizer is trained too) or fine-tune one "
        "(--init-from) on text (.txt, or .jsonl with 'text') or chats (.jsonl with 'messages'; the loss covers "
        "assistant replies). DATA 'generated' is tactica's generated game corpus, 'generated:chat' its "
        "question/answer chats. The run directory gets run_config.json, metrics.jsonl, checkpoint/ (Hugging "
        "Face layout, loadable by 'tactica serve' and the plm: backend), trainer_state.pt, loss.png, lr.png and "
        "summary.json (held-out loss, unigram baseline, fp32/int8/int4 perplexity).",
        epilog="examples:\n"
        "  tactica train plm --out runs/plm-tiny --preset tiny --steps 60 --threads 1 --no-quant-eval   (about 15 s of CPU)\n"
        "  tactica train plm --out runs/plm-small --preset small --steps 300 --seed 0   (about 20 min)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="run directory")
    parser.add_argument("--data", default="generated",
                        help="training data: a file, several files of one kind separated by commas, or "
                        "'generated' (default: generated)")  # fmt: skip
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="small", help="model size (default: small)"
    )
    parser.add_argument("--model-opt", type=_model_opt, action="append", default=[], metavar="KEY=VALUE",
                        help="override a PLMConfig field, e.g. --model-opt num_hidden_layers=6")  # fmt: skip
    parser.add_argument(
        "--init-from", metavar="DIR", help="checkpoint to fine-tune (default: train from scratch)"
    )
    parser.add_argument("--tokenizer", metavar="DIR", help="use this tokenizer.json instead of training one")
    parser.add_argument(
        "--vocab-size", type=positive_int, default=2048, help="BPE vocabulary when training a tokenizer"
    )
    parser.add_argument("--tokenizer-split", choices=TOKENIZER_SPLITS, default="words",
                        help="how a trained tokenizer cuts text before merging: at words (PLM's way), only at "
                        "line breaks, so that lines repeated across a corpus become few tokens (lines), there and "
                        "around every digit (lines-digits), or there and around the number that ends a 'name: "
                        "value' line, so a state line's name is one token whatever its value (lines-values; "
                        "default: words)")  # fmt: skip
    parser.add_argument("--heldout-data", metavar="FILE",
                        help="held-out file(s) for the held-out loss (default: hold out 5%% of --data)")  # fmt: skip
    parser.add_argument("--group-by-length", nargs="?", const="pool", default=False, choices=LENGTH_GROUPINGS,
                        help="batch chats of similar length (less padding): 'pool' (the default when the flag is "
                             "given) sorts a random pool of 16 batches' worth of chats by length and takes one "
                             "slice of it; 'neighbours' takes a random chat's neighbours in the corpus's length "
                             "order (the sampling of runs made before 'pool' existed)")  # fmt: skip
    parser.add_argument(
        "--num-documents", type=positive_int, default=4000, help="size of the generated corpus"
    )
    parser.add_argument("--steps", type=positive_int, default=300, help="optimiser steps (default: 300)")
    parser.add_argument("--batch-size", type=positive_int, default=16)
    parser.add_argument("--grad-accum", type=positive_int, default=1, help="micro-batches per optimiser step")
    parser.add_argument("--seq-len", type=positive_int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=0.1)
    for name, default in (("warmup", 0.05), ("stable", 0.55), ("decay", 0.3), ("constant", 0.1)):
        parser.add_argument(f"--{name}", type=_phase, default=default,
                            help=f"WSDC {name} phase: fraction of the run or step count (default: {default})")  # fmt: skip
    parser.add_argument("--min-lr-ratio", type=float, default=0.1, help="learning rate after decay / peak")
    parser.add_argument("--decay-shape", choices=("cosine", "linear", "sqrt"), default="cosine")
    parser.add_argument("--eval-every", type=positive_int, default=50)
    parser.add_argument("--save-every", type=positive_int, default=100)
    parser.add_argument("--threads", type=positive_int, help="torch intra-op threads")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    parser.add_argument(
        "--no-quant-eval", action="store_true", help="skip the int8/int4 perplexity evaluation"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.llm.plm.train import TrainConfig, train

    output_dir(args.out, "--out")
    config = TrainConfig(
        out_dir=args.out,
        data=args.data,
        seed=args.seed,
        init_from=args.init_from,
        tokenizer=args.tokenizer,
        vocab_size=args.vocab_size,
        tokenizer_split=args.tokenizer_split,
        heldout_data=args.heldout_data,
        group_by_length=args.group_by_length,
        preset=args.preset,
        model_overrides=dict(args.model_opt),
        num_documents=args.num_documents,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        steps=args.steps,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup=args.warmup,
        stable=args.stable,
        decay=args.decay,
        constant=args.constant,
        min_lr_ratio=args.min_lr_ratio,
        decay_shape=args.decay_shape,
        eval_every=args.eval_every,
        save_every=args.save_every,
        threads=args.threads,
        resume=args.resume,
        evaluate_quantized=not args.no_quant_eval,
    )
    try:
        summary = train(config, progress=not args.no_progress and not args.json)
    except FileExistsError as exc:
        raise CLIError(str(exc), 2) from None
    print_run_summary(summary, args.json)
    return 0
