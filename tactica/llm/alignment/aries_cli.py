"""``tactica train aries``: ARIES self-refinement rounds (or the iterative-DPO baseline) on a causal LM."""

from __future__ import annotations

import argparse

from tactica.cli.common import CLIError, print_json
from tactica.llm.alignment.cli import add_training_arguments, config_from_args

__all__ = ["add_parser", "run"]


# AriesConfig fields the command sets from options of the same name
ARIES_OPTIONS = ("rounds", "refine_steps", "selection", "method", "prompts_per_round", "temperature",
                 "max_new_tokens")  # fmt: skip


def _read_prompts(path: str) -> list[list[dict]]:
    """A JSONL file of ``{"prompt": text or messages}`` lines, as chat prompts."""
    from tactica.llm.alignment.data import read_jsonl

    prompts = []
    for number, record in read_jsonl(path, "prompts file"):
        prompt = record.get("prompt") if isinstance(record, dict) else None
        if isinstance(prompt, str) and prompt:
            prompts.append([{"role": "user", "content": prompt}])
        elif isinstance(prompt, list) and prompt and all(isinstance(m, dict) for m in prompt):
            prompts.append([{"role": str(m.get("role")), "content": str(m.get("content"))} for m in prompt])
        else:
            raise ValueError(f"{path}:{number}: each line needs a 'prompt' (text or chat messages)")
    if not prompts:
        raise ValueError(f"{path} holds no prompts")
    return prompts


def add_parser(subparsers) -> argparse.ArgumentParser:
    # defaults (None) are AriesConfig's, filled in by run(): building the parser must not import torch
    parser = subparsers.add_parser(
        "aries",
        help="ARIES: rounds of preference training and self-refinement (or the iterative-DPO baseline)",
        description="Each round collects an initial answer and N successive refinements per prompt (the model "
        "given the question, its previous answer and a refinement template), selects one pair per prompt by "
        "rules (chosen = last refinement, rejected = initial answer, if both finished, differ, have comparable "
        "lengths and pass the task's format rule) or by a reward model / verifier (best against worst), then "
        "trains on direct pairs and refinement pairs with the reference reset to the current policy. "
        "--method iterative_dpo is the baseline: the same number of independent direct samples, verifier "
        "pairs, direct pairs only. The run directory gets aries_config.json, rounds.jsonl (pairs, training "
        "and evaluation per round), round_K/pairs.jsonl and checkpoint/.",
        epilog="examples:\n"
        "  tactica train aries --model runs/arith/checkpoint --task arithmetic --selection reward --rounds 3 "
        "--lr 2e-5 --sft-weight 1 --optimizer adamw --out runs/aries   (a few minutes for a small PLM on a CPU)\n"
        "  tactica train aries --model runs/plm/checkpoint --prompts questions.jsonl --selection rule "
        "--out runs/aries-rule   (minutes)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="a PLM checkpoint or a transformers causal-LM directory with a chat template")  # fmt: skip
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--task", choices=("arithmetic",),
                        help="a built-in task with generated prompts, a verifier and a format rule")  # fmt: skip
    source.add_argument("--prompts", metavar="FILE",
                        help='JSONL of {"prompt": text or messages} (rule-based selection only)')  # fmt: skip
    parser.add_argument("--out", required=True, metavar="DIR", help="run directory")
    parser.add_argument("--rounds", type=int, help="rounds of collection and training (default: 3)")
    parser.add_argument("--refine-steps", type=int,
                        help="refinements after the initial answer (default: 2)")  # fmt: skip
    parser.add_argument("--selection", choices=("rule", "reward"), help="pair selection (default: rule)")
    parser.add_argument("--method", choices=("aries", "iterative_dpo"), help="(default: aries)")
    parser.add_argument("--prompts-per-round", type=int, help="(default: 256)")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default: 1.0)")
    parser.add_argument("--max-new-tokens", type=int, help="(default: 64)")
    parser.add_argument("--eval-problems", type=int, default=200,
                        help="held-out problems evaluated each round (--task only; 0 to skip)")  # fmt: skip
    add_training_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the per-round records as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.llm.alignment.aries import AriesConfig, run_aries
    from tactica.llm.alignment.models import load_causal_lm

    given = {name: getattr(args, name) for name in ARIES_OPTIONS if getattr(args, name) is not None}
    config = AriesConfig(**given, seed=args.seed, train=config_from_args(args))
    reward = rule = evaluate = None
    if args.task == "arithmetic":
        from tactica.llm.alignment.tasks import arithmetic

        problems = arithmetic.make_problems(config.rounds * config.prompts_per_round, seed=100 + args.seed)
        prompts = [p.messages for p in problems]
        held_out = arithmetic.make_problems(args.eval_problems, seed=999) if args.eval_problems > 0 else []

        def reward(index: int, text: str) -> float:
            return arithmetic.verify(problems[index], text)

        rule = arithmetic.well_formed
        if held_out:

            def evaluate(model, k: int) -> dict:
                return arithmetic.evaluate(
                    model, held_out, config.refine_steps, max_new_tokens=config.max_new_tokens
                )

    else:
        prompts = _read_prompts(args.prompts)
        if config.selection == "reward":
            raise CLIError(
                "--selection reward needs a verifier; use --task arithmetic or --selection rule", 2
            )
    model = load_causal_lm(args.model)
    try:
        result = run_aries(
            model,
            prompts,
            config,
            reward_fn=reward,
            rule=rule,
            evaluate=evaluate,
            out_dir=args.out,
            progress=not args.no_progress and not args.json,
        )
    except FileExistsError as exc:
        raise CLIError(str(exc), 2) from None
    if args.json:
        print_json(result.rounds)
    else:
        print(f"run directory: {args.out}")
        for entry in result.rounds:
            line = f"  round {entry['round']}:"
            if "pairs" in entry:
                line += f" {entry['pairs']} pairs from {entry['selected_prompts']}/{entry['prompts']} prompts"
            if "eval" in entry:
                line += " | " + ", ".join(
                    f"{k} {v:.3f}" for k, v in entry["eval"].items() if isinstance(v, float)
                )
            print(line)
    return 0
