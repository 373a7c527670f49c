"""``tactica serve``: an OpenAI-compatible chat server for a PLM checkpoint on tactica's edge runtime."""

from __future__ import annotations

import argparse
import os

from tactica.cli.common import CLIError, positive_int, print_json

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="serve a PLM checkpoint over the OpenAI chat-completions API",
        description="Load a PLM checkpoint directory (config.json, model.safetensors, tokenizer.json) on the "
        "compressed-cache runtime and serve POST /v1/chat/completions (JSON or SSE streaming), GET /v1/models "
        "and GET /health. Point any OpenAI client at http://HOST:PORT/v1, or use the backend spec "
        "openai:MODEL_ID@http://HOST:PORT/v1. Stop with Ctrl-C.",
        epilog="example: tactica serve --model runs/plm-small/checkpoint --port 8000 --quantize int8",
    )
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="PLM checkpoint directory, or a shipped model: games, games-aligned")  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--api-key", default=os.environ.get("TACTICA_API_KEY"),
                        help="require 'Authorization: Bearer KEY' (default: $TACTICA_API_KEY, else no key)")  # fmt: skip
    parser.add_argument("--model-id", help="model name served (default: the directory's name)")
    parser.add_argument(
        "--quantize", choices=("none", "int8", "int4", "int8-dynamic"), default="none", help="weight format"
    )
    parser.add_argument("--skip-zeros", action="store_true", help="skip zero squared-ReLU activations")
    parser.add_argument(
        "--max-tokens-limit", type=positive_int, help="largest max_tokens accepted (default: context)"
    )
    parser.add_argument(
        "--default-max-tokens", type=positive_int, default=256, help="max_tokens when a request has none"
    )
    parser.add_argument(
        "--max-body-bytes", type=positive_int, default=1 << 20, help="request size limit (default 1 MiB)"
    )
    parser.add_argument(
        "--threads", type=positive_int, help="torch intra-op threads (1 is fastest for small models)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--json", action="store_true", help="print the server's address and memory as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.llm.plm.checkpoint import SHIPPED, resolve_checkpoint

    directory = resolve_checkpoint(args.model)
    if not (directory / "config.json").is_file():
        raise CLIError(f"--model {directory} is not a PLM checkpoint directory (no config.json) nor a shipped "
                       f"model ({', '.join(SHIPPED)})", 2)  # fmt: skip
    if not 0 <= args.port <= 65535:
        raise CLIError(f"--port must lie in [0, 65535], got {args.port}", 2)
    if args.api_key == "":
        raise CLIError("--api-key must not be empty", 2)
    import torch

    from tactica.llm.runtime import PLMRuntime
    from tactica.llm.runtime.server import PLMServer

    if args.threads:
        torch.set_num_threads(args.threads)
    quantize = None if args.quantize == "none" else args.quantize
    runtime = PLMRuntime.from_pretrained(directory, quantize=quantize, skip_zeros=args.skip_zeros,
                                         name=args.model_id)  # fmt: skip
    try:
        server = PLMServer(
            runtime,
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            max_body_bytes=args.max_body_bytes,
            max_tokens_limit=args.max_tokens_limit,
            default_max_tokens=args.default_max_tokens,
            verbose=args.verbose,
        )
    except OSError as exc:
        raise CLIError(f"cannot listen on {args.host}:{args.port}: {exc}", 2) from None
    info = {
        "base_url": server.base_url,
        "model": server.model_id,
        "quantize": quantize or "none",
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
