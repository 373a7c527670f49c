"""Decode speed and cache size: tactica's PLM edge runtime vs transformers' DeepSeek-V3 at equal dimensions.

Both models get random weights of about 100M parameters with the same multi-head latent attention (16 heads,
kv_lora_rank 256, rope 32 + nope 64, v 64, hidden 768, 12 layers, vocabulary 32000, tied embeddings, float32).
transformers has no PLM class; its DeepseekV3ForCausalLM is set to dense layers only, with a gated SiLU MLP of
intermediate size 2048 so its MLP has the same parameter count as PLM's ungated squared-ReLU MLP of 3072.

For each context length the cache is filled with that many random tokens' entries (the values do not change
the cost of decoding), then ``--tokens`` tokens are decoded one at a time, greedily; tokens per second are
the median over ``--repeats`` runs.  Cache bytes per token are measured from the cache tensors.

    python benchmarks/plm.py                   # contexts 512 and 2048
    python benchmarks/plm.py --contexts 128 --tokens 4 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from tactica.llm.plm import PLMConfig, PLMForCausalLM
from tactica.llm.runtime import EdgeModel

DIMS = dict(
    vocab_size=32000,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=16,
    num_key_value_heads=16,
    kv_lora_rank=256,
    q_lora_rank=None,
    qk_rope_head_dim=32,
    qk_nope_head_dim=64,
    v_head_dim=64,
    max_position_embeddings=4096,
)
PLM_FF = 3072
HF_FF = 2048  # gated: 3 x 768 x 2048 = 2 x 768 x 3072 parameters


def build_ours(quantize: str | None) -> EdgeModel:
    torch.manual_seed(0)
    return EdgeModel(PLMForCausalLM(PLMConfig(intermediate_size=PLM_FF, **DIMS)).eval(), quantize=quantize)


def ours(engine: EdgeModel, context: int, tokens: int) -> tuple[float, int]:
    cache = engine.new_cache(capacity=context + tokens)
    gen = torch.Generator().manual_seed(1)
    for layer in range(DIMS["num_hidden_layers"]):
        cache.append(layer, torch.randn(context, DIMS["kv_lora_rank"], generator=gen),
                     torch.randn(context, DIMS["qk_rope_head_dim"], generator=gen))  # fmt: skip
    cache.commit(context)
    token = 1
    engine.forward([token], cache)  # warm-up step
    start = time.perf_counter()
    for _ in range(tokens):
        token = int(torch.argmax(engine.forward([token], cache)))
    elapsed = time.perf_counter() - start
    return tokens / elapsed, cache.nbytes // cache.length


def build_theirs():
    import transformers

    config = transformers.DeepseekV3Config(
        intermediate_size=HF_FF,
        first_k_dense_replace=DIMS["num_hidden_layers"],
        n_routed_experts=1,
        num_experts_per_tok=1,
        n_group=1,
        topk_group=1,
        hidden_act="silu",
        tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
        rope_interleave=True,
        **{k: v for k, v in DIMS.items()},
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    return transformers.DeepseekV3ForCausalLM(config).eval()


def theirs(model, context: int, tokens: int) -> tuple[float, int]:
    from transformers import DynamicCache

    cache = DynamicCache(config=model.config)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for layer in range(DIMS["num_hidden_layers"]):
            # what DeepseekV3Attention passes to cache.update: the normed latent and the roped key
            cache.update(torch.randn(1, 1, context, DIMS["kv_lora_rank"], generator=gen),
                         torch.randn(1, 1, context, DIMS["qk_rope_head_dim"], generator=gen), layer)  # fmt: skip
    cached_bytes = sum(t.numel() * t.element_size() for lay in cache.layers for t in (lay.keys, lay.values))
    per_token = cached_bytes // context
    token, position = 1, context

    def step(tok: int, pos: int) -> int:
        out = model(
            input_ids=torch.tensor([[tok]]), position_ids=torch.tensor([[pos]]), cache=cache, use_cache=True
        )
        return int(torch.argmax(out.logits[0, -1]))

    with torch.inference_mode():
        token = step(token, position)  # warm-up step
        position += 1
        start = time.perf_counter()
        for _ in range(tokens):
            token = step(token, position)
            position += 1
        elapsed = time.perf_counter() - start
    return tokens / elapsed, per_token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contexts", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--tokens", type=int, default=16, help="decoded tokens per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--int8", action="store_true", help="also time our runtime with int8 weights")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import transformers

    config = PLMConfig(intermediate_size=PLM_FF, **DIMS)
    decompressed = config.num_hidden_layers * config.decompressed_cache_width * 4
    engines = {"ours_fp32": build_ours(None)} | ({"ours_int8": build_ours("int8")} if args.int8 else {})
    hf_model = build_theirs()
    rows = []
    for context in args.contexts:
        runs = {"ours_fp32": [], "transformers": []} | ({"ours_int8": []} if args.int8 else {})
        for _ in range(args.repeats):
            for name, engine in engines.items():
                runs[name].append(ours(engine, context, args.tokens))
            runs["transformers"].append(theirs(hf_model, context, args.tokens))
        row = {"context": context}
        for name, values in runs.items():
            row[f"{name}_tok_s"] = statistics.median(v[0] for v in values)
            row[f"{name}_cache_bytes_per_token"] = values[0][1]
        row["speedup"] = row["ours_fp32_tok_s"] / row["transformers_tok_s"]
        row["cache_ratio_vs_transformers"] = (
            row["transformers_cache_bytes_per_token"] / row["ours_fp32_cache_bytes_per_token"]
        )
        row["decompressed_cache_bytes_per_token"] = decompressed
        row["cache_ratio_vs_decompressed"] = decompressed / row["ours_fp32_cache_bytes_per_token"]
        rows.append(row)
    if args.json:
        print(json.dumps({"parameters": config.num_parameters(), "transformers": transformers.__version__,
                          "threads": args.threads, "rows": rows}, indent=2))  # fmt: skip
        return
    print(f"PLM-shaped model, {config.num_parameters() / 1e6:.1f}M parameters, float32, {args.threads} threads; "
          f"transformers {transformers.__version__}; {args.tokens} decoded tokens x {args.repeats} repeats")  # fmt: skip
    header = (
        f"{'context':>8} {'ours tok/s':>11} {'hf tok/s':>9} {'speedup':>8} {'ours B/tok':>11} {'hf B/tok':>9}"
    )
    header += f" {'decompressed B/tok':>19} {'vs decompressed':>16}"
    if args.int8:
        header += f" {'ours int8 tok/s':>16}"
    print(header)
    for r in rows:
        line = (f"{r['context']:>8} {r['ours_fp32_tok_s']:>11.1f} {r['transformers_tok_s']:>9.1f} {r['speedup']:>7.2f}x "
                f"{r['ours_fp32_cache_bytes_per_token']:>11} {r['transformers_cache_bytes_per_token']:>9} "
                f"{r['decompressed_cache_bytes_per_token']:>19} {r['cache_ratio_vs_decompressed']:>15.1f}x")  # fmt: skip
        if args.int8:
            line += f" {r['ours_int8_tok_s']:>16.1f}"
        print(line)


if __name__ == "__main__":
    main()
