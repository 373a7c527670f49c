"""A game model answering agent calls: tactica's edge runtime vs transformers on the same weights.

The model is a PLM checkpoint (``--model games`` is the shipped ``plm:games``; any checkpoint directory works).
transformers has no PLM class, so its ``DeepseekV3ForCausalLM`` gets the same weights: dense layers, the same
multi-head latent attention (identical parameter names), and PLM's ungated squared-ReLU MLP written as
DeepSeek's gated MLP with ``act = relu`` and ``gate_proj = up_proj`` (``relu(Wx) * Wx = relu(Wx)^2``
exactly).  Before timing anything the script checks that both give the same logits on the first call.

The calls are what an LLM agent sends: the chat messages of a transcript corpus (``--corpus``, written by
``tactica data transcripts``), or, without one, the calls an agent makes over one seeded episode (``--env``,
``--agent``; by default the ``cos`` agent's calls in a ``TextSC2-v1`` game at level 1).  Both runtimes answer the first ``--calls`` of them greedily, up to
``--max-new-tokens`` tokens or the end of the reply, one torch thread each:

- decisions per CPU second (a decision is one agent call answered; ``time.process_time`` of this process, so a
  loaded machine does not skew it): ours with its prefix cache (the agents repeat their system prompt and
  examples on every call, and the runtime keeps their compressed cache), ours without it, and transformers'
  ``generate``;
- whether the answers agree token for token, and how many TextSC2 answers parse as the ``Decisions:`` list the
  ``cos`` agent reads;
- peak resident memory above the imports to load the model and answer ``--memory-calls`` calls, each runtime in a
  fresh process (``VmHWM`` after ``/proc/self/clear_refs``; Linux).

    python benchmarks/game_model.py --model games
    python benchmarks/game_model.py --model runs/plm-games/checkpoint --corpus runs/corpora/textsc2-compact.heldout.jsonl \\
        --calls 20 --json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from tactica._procfs import status_kib
from tactica.errors import MissingDependency

ROUND = 4


# ---------------------------------------------------------------------------------------------- the calls
def agent_calls(corpus: str | None, count: int, seed: int = 0, env_id: str = "TextSC2-v1",
                agent: str = "cos") -> list[list[dict]]:  # fmt: skip
    """The chat messages of ``count`` agent calls (the recorded answer removed)."""
    if corpus:
        from tactica.llm.games.corpus import read_corpus

        records = read_corpus(corpus)
    else:
        from tactica.llm.games.transcripts import record_examples

        examples = record_examples(env_id, agent, 1, seed=seed)
        records = [example.record(env_id, agent, "train") for example in examples]
    calls = [record["messages"][:-1] for record in records if record["messages"][-1]["role"] == "assistant"]
    if not calls:
        raise ValueError(f"no agent calls found in {corpus or 'the recorded game'}")
    return calls[:count]


def is_textsc2_call(messages: list[dict]) -> bool:
    return any("Decisions:" in m["content"] for m in messages if m["role"] == "system")


def parses(answer: str) -> bool:
    from tactica.envs.textsc2.decisions import parse_decisions

    parsed = parse_decisions(answer)  # at least one decision line, each naming an action exactly
    return "Decisions:" in answer and bool(parsed.matches) and all(m.how == "exact" for m in parsed.matches)


# ---------------------------------------------------------------------------------------------- the runtimes
def load_ours(directory: Path, prefix_cache: bool):
    from tactica.llm.runtime import PLMRuntime

    return PLMRuntime.from_pretrained(directory, use_prefix_cache=prefix_cache)


def prompts_only(directory: Path):
    """A runtime without weights: the checkpoint's tokenizer, chat template and end tokens (the peer's prompts)."""
    from tactica.llm.plm.tokenizer import PLMTokenizer
    from tactica.llm.runtime import PLMRuntime
    from tactica.llm.runtime.runtime import read_generation_config

    tokenizer = PLMTokenizer.from_pretrained(directory)
    return PLMRuntime(
        None, tokenizer, generation_config=read_generation_config(directory), use_prefix_cache=False
    )


def load_theirs(directory: Path):
    """transformers' DeepseekV3ForCausalLM holding the checkpoint's weights (float32, eager attention)."""
    try:
        import transformers
    except ImportError as error:
        raise MissingDependency("transformers", "dev", "the peer side of this benchmark") from error
    from tactica.llm.plm.checkpoint import load_model
    from tactica.llm.plm.config import PLMConfig

    config = PLMConfig.from_pretrained(directory)
    if config.extra.get("quantization_config"):
        raise ValueError(
            f"{directory} is quantised; transformers needs the float checkpoint it was made from"
        )
    if config.hidden_act != "relu2":
        raise ValueError(f"the MLP mapping assumes PLM's squared ReLU, not {config.hidden_act!r}")
    ours = load_model(directory, dtype="float32")
    peer_config = transformers.DeepseekV3Config(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_attention_heads, kv_lora_rank=config.kv_lora_rank,
        q_lora_rank=config.q_lora_rank, qk_rope_head_dim=config.qk_rope_head_dim,
        qk_nope_head_dim=config.qk_nope_head_dim, v_head_dim=config.v_head_dim,
        first_k_dense_replace=config.num_hidden_layers, hidden_act="relu", rope_theta=config.rope_theta,
        rope_interleave=config.rope_interleave, rms_norm_eps=config.rms_norm_eps,
        max_position_embeddings=config.max_position_embeddings, tie_word_embeddings=config.tie_word_embeddings,
        attention_bias=False,
    )  # fmt: skip
    peer_config._attn_implementation = "eager"
    peer = transformers.DeepseekV3ForCausalLM(peer_config).eval()
    state = {}
    for name, tensor in ours.state_dict().items():
        state[name] = tensor
        if name.endswith("mlp.up_proj.weight"):
            state[name.replace("up_proj", "gate_proj")] = tensor  # relu(Wx) * Wx == relu(Wx) ** 2
    missing, unexpected = peer.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise RuntimeError(f"weight mapping incomplete: missing {missing[:5]}, unexpected {unexpected[:5]}")
    if config.tie_word_embeddings:
        peer.tie_weights()
    return peer


def answer_ours(runtime, calls, max_new_tokens: int) -> list[list[int]]:
    from tactica.llm.runtime import SamplingParams

    params = SamplingParams(max_new_tokens=max_new_tokens)
    return [list(runtime.chat(messages, params).token_ids or []) for messages in calls]


def answer_theirs(peer, runtime, calls, max_new_tokens: int) -> list[list[int]]:
    eos = list(runtime.eos_token_ids)
    out = []
    for messages in calls:
        ids = torch.tensor([runtime.chat_prompt_ids(messages)])
        with torch.no_grad():
            generated = peer.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                      do_sample=False, eos_token_id=eos, pad_token_id=eos[0] if eos else 0)  # fmt: skip
        new = generated[0, ids.shape[1] :].tolist()
        if new and new[-1] in eos:
            new = new[:-1]
        out.append(new)
    return out


def logits_gap(runtime, peer, messages) -> float:
    ids = runtime.chat_prompt_ids(messages)
    engine = runtime.engine
    ours = engine.forward(ids, engine.new_cache(len(ids)), all_logits=True)
    with torch.no_grad():
        theirs = peer(torch.tensor([ids])).logits[0].float()
    return float((ours - theirs).abs().max())


# ---------------------------------------------------------------------------------------------- measurements
def timed(answer) -> tuple[list[list[int]], float]:
    start = time.process_time()
    answers = answer()
    return answers, time.process_time() - start


def run_speed(args, directory: Path) -> dict:
    torch.set_num_threads(1)
    calls = agent_calls(args.corpus, args.calls, args.seed, args.env, args.agent)
    cached = load_ours(directory, prefix_cache=True)
    fresh = load_ours(directory, prefix_cache=False)
    answers_cached, cpu_cached = timed(lambda: answer_ours(cached, calls, args.max_new_tokens))
    answers_fresh, cpu_fresh = timed(lambda: answer_ours(fresh, calls, args.max_new_tokens))
    rows = [
        {"runtime": "tactica, prefix cache", "cpu_s": cpu_cached, "decisions_per_cpu_s": len(calls) / cpu_cached},
        {"runtime": "tactica, no prefix cache", "cpu_s": cpu_fresh, "decisions_per_cpu_s": len(calls) / cpu_fresh},
    ]  # fmt: skip
    texts = [cached.tokenizer.decode(a) for a in answers_cached]
    sc2 = [parses(text) for text, messages in zip(texts, calls, strict=True) if is_textsc2_call(messages)]
    result = {"model": str(directory), "calls": len(calls), "max_new_tokens": args.max_new_tokens,
              "prompt_tokens_mean": sum(len(cached.chat_prompt_ids(m)) for m in calls) / len(calls),
              "answer_tokens_mean": sum(map(len, answers_cached)) / len(calls),
              "textsc2_calls": len(sc2), "textsc2_parseable": sum(sc2),
              "same_answers_with_and_without_prefix_cache": sum(a == b for a, b in zip(answers_cached, answers_fresh)),
              "rows": rows}  # fmt: skip
    if not args.no_peer:
        peer = load_theirs(directory)
        result["max_logit_gap"] = logits_gap(fresh, peer, calls[0])
        answers_peer, cpu_peer = timed(lambda: answer_theirs(peer, fresh, calls, args.max_new_tokens))
        import transformers

        rows.append({"runtime": f"transformers {transformers.__version__} generate", "cpu_s": cpu_peer,
                     "decisions_per_cpu_s": len(calls) / cpu_peer})  # fmt: skip
        result["same_answers_as_transformers"] = sum(a == b for a, b in zip(answers_fresh, answers_peer))
    for row in rows:
        row["speedup_vs_last"] = rows[-1]["cpu_s"] / row["cpu_s"]
    return result


def memory_child(args, directory: Path, side: str) -> dict:
    """In a fresh process: load one runtime and answer ``--memory-calls`` calls; the peak above the imports."""
    torch.set_num_threads(1)
    calls = agent_calls(args.corpus, args.memory_calls, args.seed, args.env, args.agent)
    from tactica.llm.plm import checkpoint, tokenizer  # noqa: F401
    from tactica.llm.runtime import runtime  # noqa: F401

    if (
        side == "theirs"
    ):  # transformers imports its modules lazily: load what the peer uses before the baseline
        import transformers.generation.utils  # noqa: F401
        from transformers.models.deepseek_v3 import modeling_deepseek_v3  # noqa: F401
    Path("/proc/self/clear_refs").write_text("5")
    baseline = status_kib("VmRSS")
    if side == "theirs":
        answer_theirs(load_theirs(directory), prompts_only(directory), calls, args.max_new_tokens)
    else:
        answer_ours(load_ours(directory, prefix_cache=True), calls, args.max_new_tokens)
    return {"side": side, "peak_above_imports_bytes": (status_kib("VmHWM") - baseline) * 1024}


def run_memory(args, directory: Path) -> list[dict]:
    rows = []
    for side in ("ours",) if args.no_peer else ("ours", "theirs"):
        command = [
            sys.executable,
            __file__,
            "--model",
            str(directory),
            "--memory-child",
            side,
            "--memory-calls",
            str(args.memory_calls),
            "--max-new-tokens",
            str(args.max_new_tokens),
            "--seed",
            str(args.seed),
            "--env",
            args.env,
            "--agent",
            args.agent,
        ]
        command += ["--corpus", args.corpus] if args.corpus else []  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"memory measurement of {side} failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


# ---------------------------------------------------------------------------------------------- main
def print_result(result: dict) -> None:
    mib = 2**20
    print(f"model {result['model']}: {result['calls']} agent calls, prompts of {result['prompt_tokens_mean']:.0f} "
          f"tokens on average, answers of {result['answer_tokens_mean']:.0f} (at most {result['max_new_tokens']})")  # fmt: skip
    if "max_logit_gap" in result:
        print(f"same weights: largest logit difference to transformers {result['max_logit_gap']:.2e}; "
              f"identical greedy answers {result['same_answers_as_transformers']}/{result['calls']}")  # fmt: skip
    print(f"identical answers with and without the prefix cache "
          f"{result['same_answers_with_and_without_prefix_cache']}/{result['calls']}; TextSC2 answers that "
          f"parse as a Decisions: list {result['textsc2_parseable']}/{result['textsc2_calls']}")  # fmt: skip
    print(f"{'runtime':<34} {'CPU s':>8} {'decisions/CPU s':>16} {'x last':>7}")
    for row in result["rows"]:
        print(f"{row['runtime']:<34} {row['cpu_s']:>8.2f} {row['decisions_per_cpu_s']:>16.2f} "
              f"{row['speedup_vs_last']:>7.2f}")  # fmt: skip
    for row in result.get("memory", []):
        name = "tactica" if row["side"] == "ours" else "transformers"
        print(f"peak memory above the imports, {name}: {row['peak_above_imports_bytes'] / mib:.1f} MiB")
    if "checkpoint_bytes" in result:
        print(f"checkpoint on disk: {result['checkpoint_bytes'] / mib:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", default="games", help="checkpoint directory or shipped name (default: games)"
    )
    parser.add_argument("--corpus", help="transcript corpus (.jsonl) whose calls are answered (default: "
                        "record one seeded episode of --env with --agent)")  # fmt: skip
    parser.add_argument(
        "--env", default="TextSC2-v1", help="environment of the recorded episode (default TextSC2-v1)"
    )
    parser.add_argument("--agent", default="cos", help="LLM agent of the recorded episode (default cos; ONUW-v1: "
                        "onuw-rl, onuw-llm-tactic, onuw-react; SMACProgram-v3: llm-smac)")  # fmt: skip
    parser.add_argument("--calls", type=int, default=20, help="agent calls answered per runtime (default 20)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="answer length limit (default 64)")
    parser.add_argument("--memory-calls", type=int, default=3, help="calls answered in the memory runs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the recorded game (default 0)")
    parser.add_argument("--no-peer", action="store_true", help="leave transformers out")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--memory-child", choices=("ours", "theirs"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("calls", "max_new_tokens", "memory_calls"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    from tactica.llm.plm.checkpoint import resolve_checkpoint

    try:
        directory = resolve_checkpoint(args.model)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    if args.memory_child:
        print(json.dumps(memory_child(args, directory, args.memory_child)))
        return
    result = run_speed(args, directory)
    result["checkpoint_bytes"] = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    if not args.no_memory:
        result["memory"] = run_memory(args, directory)
    print(json.dumps(result, indent=2)) if args.json else print_result(result)


if __name__ == "__main__":
    main()
