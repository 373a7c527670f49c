"""``tactica train sb3 ID``: train a Stable-Baselines3 baseline that the leaderboard then plays."""

from __future__ import annotations

import argparse

from tactica.cli.common import (
    add_opt_argument,
    non_negative_int,
    output_dir,
    positive_float,
    positive_int,
    print_json,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sb3`` trainer to the ``tactica train`` subcommands."""
    parser = subparsers.add_parser(
        "sb3",
        help="train a Stable-Baselines3 agent (PPO, A2C, DQN) on a single-agent environment",
        description="Train PPO, A2C or DQN from Stable-Baselines3 on a registered single-agent environment and "
        "write a run directory (config.json, metrics.jsonl, model.zip, summary.json). 'tactica leaderboard "
        "run --sb3-dir runs/sb3' plays every model under runs/sb3/<ID>/ as agent 'sb3'. "
        'Needs the rl extra: pip install "tactica[rl]".',
        epilog="examples:\n"
        "  tactica train sb3 MacroLeader-v1 --timesteps 2000        (about 15 s of CPU)\n"
        "  tactica train sb3 TextSC2-v1 --timesteps 1000 --eval-episodes 0        (about 10 s)\n"
        "  tactica train sb3 MacroLeader-v1 --timesteps 100000 --n-envs 4        (about 10 min)\n"
        "then: tactica leaderboard run --suite quick --sb3-dir runs/sb3 (the model plays as agent 'sb3').\n"
        "Text-only environments (SMACProgram-v3) are refused with the reason, exit 2.",
    )
    parser.add_argument("env_id", metavar="ID", help="a registered single-agent environment id")
    parser.add_argument(
        "--algo", choices=["ppo", "a2c", "dqn"], default="ppo", help="algorithm (default: ppo)"
    )
    parser.add_argument(
        "--timesteps", type=positive_int, default=50_000, metavar="N", help="training steps (default: 50000)"
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="seed (default: 0)")
    parser.add_argument(
        "--n-envs", type=positive_int, default=1, metavar="K", help="vectorized environments (default: 1)"
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, metavar="LR", help="learning rate (default: the algorithm's)"
    )
    parser.add_argument(
        "--algo-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="algorithm keyword argument (repeatable), e.g. --algo-opt n_steps=256 --algo-opt gamma=0.95",
    )
    parser.add_argument(
        "--eval-episodes",
        type=non_negative_int,
        default=10,
        metavar="N",
        help="seeded evaluation episodes after training",
    )
    parser.add_argument(
        "--run-dir", metavar="DIR", help="output folder (default: runs/sb3/<ID>/<algo>-seed<S>)"
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        metavar="N",
        help="torch threads (default: 1, the fastest for SB3's small networks on a CPU)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_opt_argument(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tactica.baselines.sb3 import SB3Config, train
    from tactica.envs.registration import parse_options

    if args.run_dir is not None:
        output_dir(args.run_dir, "--run-dir")
    config = SB3Config(
        env_id=args.env_id,
        algo=args.algo,
        total_timesteps=args.timesteps,
        seed=args.seed,
        env_options=parse_options(args.opt),
        n_envs=args.n_envs,
        learning_rate=args.learning_rate,
        algo_kwargs=parse_options(args.algo_opt),
        eval_episodes=args.eval_episodes,
        run_dir=args.run_dir,
        threads=args.threads,
    )
    config.validate()
    summary = train(config, progress=not (args.json or args.no_progress))
    if args.json:
        print_json(summary)
    else:
        mean = summary.get("eval_mean_return")
        evaluation = (
            "" if mean is None else f"; evaluation mean return {mean:.3f} over {summary['eval_episodes']}"
        )
        print(f"wrote {summary['run_dir']}{evaluation}")
    return 0
