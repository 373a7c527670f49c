"""``tactica quantize``: convert a PLM checkpoint to int8/int4 (tactica's runtime), another float precision, or
GGUF (llama.cpp), and import GGUF files."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tactica.cli.common import CLIError, print_json

__all__ = ["add_parser", "run"]

CHECKPOINT_FORMATS = ("int8", "int4", "bfloat16", "float32", "float16")
GGUF_FORMATS = ("gguf-f32", "gguf-f16", "gguf-bf16", "gguf-q8_0", "gguf-q4_k")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "quantize",
        help="convert a PLM checkpoint: int8/int4 for the edge runtime, bf16/float, or GGUF for llama.cpp",
        description="Convert the PLM checkpoint MODEL (a directory with config.json and model.safetensors, or a "
        "GGUF file from llama.cpp) to FORMAT, one tensor at a time. int8 and int4 write a quantised checkpoint "
        "directory that 'tactica serve --model' and the plm: backend load without a float copy (int8 loads as "
        "int8 or int8-dynamic); bfloat16/float32/float16 write a float checkpoint directory (also how a GGUF "
        "file is imported); gguf-* write a GGUF file with llama.cpp's plm tensor names and metadata.",
        epilog="examples (a checkpoint from 'tactica train plm' first; seconds for a tiny model, minutes for "
        "PLM-1.8B):\n"
        "  tactica quantize runs/plm-tiny/checkpoint --out runs/plm-int4 --format int4\n"
        "  tactica quantize runs/plm-tiny/checkpoint --out plm-q8_0.gguf --format gguf-q8_0\n"
        "  tactica quantize PLM-1.8B-Instruct-Q8_0.gguf --out plm-1.8b --format bfloat16",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="checkpoint directory or .gguf file")
    parser.add_argument("--out", required=True, metavar="PATH", help="output directory (or .gguf file)")
    parser.add_argument(
        "--format", required=True, choices=CHECKPOINT_FORMATS + GGUF_FORMATS, help="output format"
    )
    parser.add_argument("--group-size", type=int, choices=(32, 64, 128),
                        help="int4: inputs per scale (default: the largest of 128, 64, 32 that divides a layer)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(func=run)
    return parser


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _progress(enabled: bool):
    if not enabled:
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        if sys.stderr.isatty():
            print(f"\rtensor {done}/{total}", end=end, file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"tensor {done}/{total}", file=sys.stderr, flush=True)

    return report


def run(args: argparse.Namespace) -> int:
    source, out = Path(args.model), Path(args.out)
    is_gguf = source.is_file() and source.suffix.lower() == ".gguf"
    if not is_gguf and not (source / "config.json").is_file():
        raise CLIError(
            f"MODEL {source} is neither a PLM checkpoint directory (no config.json) nor a .gguf file", 2
        )
    if out.exists() and not args.overwrite and (out.is_file() or any(out.iterdir())):
        raise CLIError(f"--out {out} already exists; pass --overwrite to replace it", 2)
    if args.group_size and args.format != "int4":
        raise CLIError("--group-size applies to --format int4 only", 2)
    if is_gguf and args.format in GGUF_FORMATS:
        raise CLIError("MODEL is already GGUF; convert it to a checkpoint format (e.g. --format bfloat16)", 2)
    from tactica.errors import MissingDependency
    from tactica.llm.runtime.convert import convert_checkpoint
    from tactica.llm.runtime.gguf_io import export_gguf, import_gguf

    progress = _progress(not args.json)
    try:
        if args.format in GGUF_FORMATS:
            qtype = args.format.removeprefix("gguf-").upper()
            export_gguf(source, out, qtype, progress=progress)
        elif is_gguf and args.format in ("int8", "int4"):
            with tempfile.TemporaryDirectory(prefix="tactica-gguf-") as staging:
                import_gguf(source, staging, dtype="float32")
                convert_checkpoint(staging, out, args.format, group_size=args.group_size, progress=progress)
        elif is_gguf:
            import_gguf(source, out, dtype=args.format)
        else:
            convert_checkpoint(source, out, args.format, group_size=args.group_size, progress=progress)
    except (ValueError, FileNotFoundError, MissingDependency) as exc:
        raise CLIError(str(exc), 2) from None
    info = {"source": str(source), "out": str(out), "format": args.format,
            "source_bytes": _size(source), "out_bytes": _size(out)}  # fmt: skip
    if args.json:
        print_json(info)
    else:
        print(
            f"wrote {out} ({args.format}, {info['out_bytes'] / 2**20:.1f} MiB from {info['source_bytes'] / 2**20:.1f} MiB)"
        )
    return 0
