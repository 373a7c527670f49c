"""``tactica train prior``: train an LLM-prior agent (or its baseline) into a run directory."""

from __future__ import annotations

import argparse

from tactica.cli.common import (
    CLIError,
    add_opt_argument,
    existing_file,
    non_negative_int,
    output_dir,
    positive_float,
    positive_int,
    print_json,
)

__all__ = ["add_parser", "run"]

AGENTS = ("dqn-prior", "cql-prior", "ppo-prior", "dqn", "cql")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``prior`` trainer to the ``tactica train`` subcommands."""
    parser = subparsers.add_parser(
        "prior",
        help="train an LLM-prior agent (DQN-Prior, CQL-Prior, PPO-Prior) or its DQN/CQL baseline",
        description="Train an agent whose prior action distribution is a language model (Yan et al., ICLR "
        "2025) on an environment with a text observation and named actions, and write a run directory: "
        "config.json, metrics.jsonl (one line per evaluation, with the LLM calls so far), summary.json, "
        "curve.png, the checkpoint (q.pt or policy.pt with a .json sidecar), prior_transcript.jsonl (every "
        "call of the prior, replayable with --prior replay:FILE) and, offline, dataset.npz. --samples is the "
        "number of environment steps online (dqn-prior, ppo-prior, dqn) and the dataset size offline "
        "(cql-prior, cql).",
        epilog="examples:\n"
        "  tactica train prior --env FrozenLakeText-v0 --agent cql-prior --prior 'expert:frozenlake?p=0.5' "
        "--samples 1000 --out runs/prior/cql-prior        (about 10 s)\n"
        "  tactica train prior --env FrozenLakeText-v0 --agent dqn --samples 3000 --out runs/prior/dqn"
        "        (about 15 s)\n"
        "  tactica train prior --env TextSC2-v1 --opt difficulty=1 --opt step_loops=64 --opt reward=shaped "
        "--reward-scale 0.01 --agent dqn-prior --prior 'expert:textsc2?p=0.5' --samples 6000 --out runs/prior/sc2"
        "        (several minutes)\n"
        "  tactica train prior --env FrozenLakeText-v0 --agent dqn-prior --prior openai:MODEL@http://localhost:8080/v1 "
        "--samples 3000 --out runs/prior/llm        (minutes; needs the model's server)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env", required=True, metavar="ID", help="a single-agent id with text observations")
    parser.add_argument("--agent", required=True, choices=AGENTS, help="algorithm")
    parser.add_argument(
        "--prior",
        metavar="SPEC",
        help="the prior's language-model spec (needed by the -prior agents): expert:TASK?p=P (the scripted "
        "prior of stated quality), openai:<model>@<url>, plm:<dir>, replay:<transcript.jsonl>, ...",
    )
    parser.add_argument(
        "--samples", required=True, type=positive_int, metavar="N", help="environment steps, or dataset size"
    )
    parser.add_argument("--out", required=True, metavar="RUN", help="run directory (made if missing)")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="seed (default: 0)")
    parser.add_argument(
        "--dataset", type=existing_file, metavar="FILE", help="offline: an existing dataset.npz (its first N)"
    )
    parser.add_argument(
        "--k", type=positive_int, default=5, metavar="K", help="proposals per state (default: 5)"
    )
    parser.add_argument(
        "--alpha", type=positive_float, default=0.1, metavar="A", help="posterior temperature (default: 0.1)"
    )
    parser.add_argument(
        "--mode",
        choices=["proposals", "exact"],
        help="dqn-prior: posterior over the proposals (default) or the exact one; ppo-prior: exact (default)",
    )
    parser.add_argument(
        "--gradient-steps", type=positive_int, metavar="N", help="offline: gradient steps (default: 2000)"
    )
    parser.add_argument("--eval-every", type=positive_int, metavar="N", help="steps between evaluations")
    parser.add_argument(
        "--eval-episodes",
        type=positive_int,
        default=5,
        metavar="N",
        help="episodes per evaluation (default: 5)",
    )
    parser.add_argument(
        "--reward-scale", type=positive_float, default=1.0, metavar="X", help="multiply rewards (default: 1)"
    )
    parser.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other field of the algorithm's Args dataclass (repeatable; VALUE read as JSON when it "
        "parses), e.g. --arg gamma=0.9 --arg cql_coef=0.1 --arg hidden=[128,128]",
    )
    add_opt_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.envs.registration import parse_options, spec
    from tactica.llm.base import validate_spec

    env_spec = spec(args.env)
    if env_spec.kind != "single":
        raise CLIError(f"--env {args.env} is multi-agent; the LLM-prior trainers take single-agent ids")
    uses_prior = args.agent.endswith("-prior")
    if uses_prior and not args.prior:
        raise CLIError(f"--agent {args.agent} needs --prior SPEC (e.g. 'expert:frozenlake?p=0.5')")
    if not uses_prior and args.prior:
        raise CLIError(f"--agent {args.agent} is the baseline without a prior; leave out --prior")
    if args.dataset and args.agent not in ("cql-prior", "cql"):
        raise CLIError("--dataset is for the offline agents (cql-prior, cql)")
    if args.mode is not None and args.agent not in ("dqn-prior", "ppo-prior"):
        raise CLIError("--mode is for dqn-prior and ppo-prior")
    if args.gradient_steps is not None and args.agent not in ("cql-prior", "cql"):
        raise CLIError("--gradient-steps is for the offline agents (cql-prior, cql)")
    if args.prior and not args.prior.startswith("replay:"):
        validate_spec(args.prior, "--prior")
    output_dir(args.out, "--out")
    options = parse_options(args.opt)
    _check_env(args.env, options)
    common = {
        "env_id": args.env,
        "env_kwargs": options,
        "seed": args.seed,
        "k": args.k,
        "reward_scale": args.reward_scale,
        "eval_episodes": args.eval_episodes,
        "run_dir": args.out,
    }
    if args.agent in ("cql-prior", "cql"):
        from tactica.agents.llm_prior import cql_prior as trainer

        config = trainer.Args(
            **common,
            prior=args.prior,
            alpha=args.alpha,
            samples=args.samples,
            dataset=args.dataset,
            gradient_steps=args.gradient_steps or 2000,
        )
        config.eval_every = args.eval_every or max(1, config.gradient_steps // 10)
    elif args.agent in ("dqn-prior", "dqn"):
        from tactica.agents.llm_prior import dqn_prior as trainer

        config = trainer.Args(
            **common, prior=args.prior, alpha=args.alpha, mode=args.mode or "proposals", samples=args.samples
        )
        config.eval_every = args.eval_every or max(1, args.samples // 10)
    else:
        from tactica.agents.llm_prior import ppo_prior as trainer

        config = trainer.Args(**common, prior=args.prior, mode=args.mode or "exact", samples=args.samples)
        config.eval_every = args.eval_every or max(1, args.samples // 10)
    config = _override(config, parse_options(args.arg))
    summary = trainer.train(config, progress=not (args.json or args.no_progress))
    if args.json:
        print_json(summary)
    else:
        success = summary.get("eval_success")
        rate = "" if success is None else f", success/win rate {success:.2f}"
        print(
            f"wrote {summary['run_dir']}: {summary['agent']} evaluation return {summary['eval_return']:.3f}{rate} "
            f"after {summary['samples']} samples; {summary['llm_calls']} LLM calls"
        )
    return 0


def _override(config, overrides: dict):
    """``config`` with ``--arg`` fields replaced; an unknown field or a value of the wrong kind exits 2."""
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(config)}
    fixed = {"env_id", "env_kwargs", "prior", "samples", "run_dir", "dataset", "seed"}
    for key, value in overrides.items():
        if key not in fields or key in fixed:
            accepted = ", ".join(sorted(set(fields) - fixed))
            raise CLIError(f"--arg {key}: not a field of this algorithm; accepted: {accepted}")
        current = getattr(config, key)
        if isinstance(current, tuple) and isinstance(value, list):
            value = tuple(value)
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if current is not None and type(value) is not type(current):
            raise CLIError(f"--arg {key}={value!r}: expected a {type(current).__name__}")
        setattr(config, key, value)
    return config


def _check_env(env_id: str, options: dict) -> None:
    """Bad options or an environment without text and named actions: exit 2 before any work."""
    from tactica.agents.llm_prior.common import make_env
    from tactica.agents.llm_prior.views import view_for_env

    env = make_env(env_id, options)
    try:
        view_for_env(env)
    finally:
        env.close()
