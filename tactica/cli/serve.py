"""``tactica serve``: an OpenAI-compatible chat server for a PLM checkpoint on tactica's edge runtime."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from tactica.cli.common import CLIError, positive_float, positive_int, print_json

__all__ = ["add_parser", "read_api_key", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="serve a PLM checkpoint over the OpenAI chat-completions API",
        description="Load a PLM checkpoint directory (config.json, model.safetensors, tokenizer.json; plain, or "
        "quantised by 'tactica quantize') from memory-mapped files on the compressed-cache runtime and serve POST "
        "/v1/chat/completions and /v1/completions (JSON or SSE streaming), GET /v1/models and GET /health. "
        "Concurrent requests are decoded together (continuous batching) and prompts sharing a prefix with a "
        "recent one (a repeated system prompt) reuse its cache. Sampling defaults come from the checkpoint's "
        "generation_config.json. Point any OpenAI client at http://HOST:PORT/v1, or use the backend spec "
        "openai:MODEL_ID@http://HOST:PORT/v1. Stop with Ctrl-C.",
        epilog="example (a checkpoint from 'tactica train plm' first; the server runs until Ctrl-C):\n"
        "  tactica train plm --out runs/plm-tiny --preset tiny --steps 60 --threads 1 --no-quant-eval\n"
        "  tactica serve --model runs/plm-tiny/checkpoint --port 8000 --quantize int8\n"
        "  tactica serve --model runs/plm-tiny/checkpoint --api-key-file key.txt        (clients send the key)\n"
        "  tactica quantize runs/plm-tiny/checkpoint --out runs/plm-int4 --format int4",
    )
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="PLM checkpoint directory, or a shipped model: games, games-aligned")  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--api-key", default=os.environ.get("TACTICA_API_KEY"),
                     help="require 'Authorization: Bearer KEY' (default: $TACTICA_API_KEY, else no key); "
                     "visible in the process list, prefer --api-key-file")  # fmt: skip
    key.add_argument("--api-key-file", metavar="PATH",
                     help="read the key from the first line of PATH (kept out of the process list)")  # fmt: skip
    parser.add_argument("--model-id", help="model name served (default: the directory's name)")
    parser.add_argument("--quantize", choices=("none", "int8", "int4", "int8-dynamic"), default="none",
                        help="weight format (a quantised checkpoint loads in its own format by default)")  # fmt: skip
    parser.add_argument("--dtype", choices=("auto", "float32"), default="auto",
                        help="auto: compute float weights in their stored dtype (bf16 stays bf16); float32: widen")  # fmt: skip
    parser.add_argument("--skip-zeros", action="store_true", help="skip zero squared-ReLU activations")
    parser.add_argument("--max-tokens-limit", type=positive_int,
                        help="largest max_tokens accepted (default: context)")  # fmt: skip
    parser.add_argument("--default-max-tokens", type=positive_int,
                        help="max_tokens when a request has none (default: generation_config.json's, else 256)")  # fmt: skip
    parser.add_argument("--max-body-bytes", type=positive_int, default=1 << 20,
                        help="request size limit (default 1 MiB)")  # fmt: skip
    parser.add_argument(
        "--threads", type=positive_int, help="torch intra-op threads (1 is fastest for small models)"
    )
    parser.add_argument("--read-timeout", type=positive_float, default=30.0,
                        help="seconds before an idle connection or a stalled request is dropped (default 30)")  # fmt: skip
    parser.add_argument(
        "--max-batch", type=positive_int, default=32, help="requests decoded together (default 32)"
    )
    parser.add_argument("--no-batching", action="store_true",
                        help="decode each request on its own (interleaved token by token) instead of in batches")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--json", action="store_true", help="print the server's address and memory as JSON")
    parser.set_defaults(func=run)
    return parser


def read_api_key(path: str) -> str:
    """The API key in the first line of ``path`` (surrounding whitespace and the newline dropped).

    Raises:
        CLIError: (exit 2) the file is missing, unreadable, not UTF-8 text, or holds no key.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CLIError(f"--api-key-file {path}: no such file", 2) from None
    except IsADirectoryError:
        raise CLIError(f"--api-key-file {path} is a directory, expected a file holding the key", 2) from None
    except UnicodeDecodeError:
        raise CLIError(f"--api-key-file {path} is not UTF-8 text", 2) from None
    except OSError as exc:
        raise CLIError(f"--api-key-file {path} cannot be read: {exc.strerror or exc}", 2) from None
    lines = text.splitlines()
    key = lines[0].strip() if lines else ""
    if not key:
        raise CLIError(f"--api-key-file {path} is empty; its first line must hold the key", 2)
    return key


def run(args: argparse.Namespace) -> int:
    from tactica.llm.plm.checkpoint import SHIPPED, resolve_checkpoint

    directory = resolve_checkpoint(args.model)
    if not (directory / "config.json").is_file():
        raise CLIError(f"--model {directory} is not a PLM checkpoint directory (no config.json) nor a shipped "
                       f"model ({', '.join(SHIPPED)})", 2)  # fmt: skip
    if not 0 <= args.port <= 65535:
        raise CLIError(f"--port must lie in [0, 65535], got {args.port}", 2)
    if args.api_key_file is not None:
        args.api_key = read_api_key(args.api_key_file)
    if args.api_key == "":
        raise CLIError("--api-key must not be empty", 2)
    import torch

    from tactica.llm.plm.chat_template import ChatTemplateError
    from tactica.llm.runtime import PLMRuntime
    from tactica.llm.runtime.server import PLMServer

    if args.threads:
        torch.set_num_threads(args.threads)
    # requests answered 500 are logged with their request id and traceback
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    quantize = None if args.quantize == "none" else args.quantize
    try:
        runtime = PLMRuntime.from_pretrained(directory, quantize=quantize, skip_zeros=args.skip_zeros,
                                             name=args.model_id,
                                             dtype=torch.float32 if args.dtype == "float32" else None)  # fmt: skip
    except ChatTemplateError as exc:
        raise CLIError(str(exc), 2) from None
    try:
        server = PLMServer(
            runtime,
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            max_body_bytes=args.max_body_bytes,
            max_tokens_limit=args.max_tokens_limit,
            default_max_tokens=args.default_max_tokens,
            read_timeout=args.read_timeout,
            batching=not args.no_batching,
            max_batch=args.max_batch,
            verbose=args.verbose,
        )
    except OSError as exc:
        raise CLIError(f"cannot listen on {args.host}:{args.port}: {exc}", 2) from None
    info = {
        "base_url": server.base_url,
        "model": server.model_id,
        "quantize": runtime.engine.quantize or "none",
        "auth": args.api_key is not None,
        "memory": runtime.engine.memory_report().as_dict(),
    }
    if args.json:
        print_json(info)
    else:
        mem = info["memory"]
        print(f"serving {server.model_id} at {server.base_url} ({info['quantize']} weights, "
              f"{mem['weight_bytes'] / 2**20:.1f} MiB; cache {mem['cache_bytes_per_token']} bytes/token)")  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
