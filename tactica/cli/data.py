"""``tactica data``: build training data for tactica's language models from the environments.

``tactica data transcripts`` runs an LLM agent whose language model is an expert player and records every
call: the agent's own messages with the expert's answer (see :mod:`tactica.llm.games`).
"""

from __future__ import annotations

import argparse
import sys

from tactica.cli.common import (
    add_commands,
    add_opt_argument,
    non_negative_int,
    output_file,
    positive_int,
    print_json,
)

__all__ = ["add_parser"]

_EXAMPLES = (
    "examples:\n"
    "  tactica data transcripts --env ONUW-v1 --agent onuw-rl --episodes 2 --out onuw.jsonl  (about 5 s)\n"
    "  tactica data transcripts --env SMACProgram-v3 --agent llm-smac --episodes 14 --out smac.jsonl  "
    "(a few minutes)\n"
    '  tactica data transcripts --env TextSC2-v1 --agent cos --episodes 24 --opt "difficulty=[1,2,3,4]" '
    "--out textsc2.jsonl  (a few minutes)\n"
    "  tactica data transcripts --env TextSC2-v1 --agent cos --episodes 32 --opt answer=compact "
    "--opt policy=plm:games --opt beta=0.1 --out dagger.jsonl  (about 4 minutes; a trained model plays, the expert "
    "labels every call: DAgger)"
)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "data",
        help="build training data (transcript corpora) for tactica's language models",
        description="Build training data for language models from tactica's environments.",
        epilog=_EXAMPLES,
    )
    sub = add_commands(parser, "data_command", "COMMAND")
    from tactica.llm.games.transcripts import RECORDERS

    pairs = "; ".join(f"{env}: {', '.join(agents)}" for env, agents in RECORDERS.items())
    transcripts = sub.add_parser(
        "transcripts",
        help="record an LLM agent's calls answered by an expert player, as chat examples",
        description="Play seeded episodes of environment ID with LLM agent NAME whose language model is an "
        "expert player, and write every call as a chat example: the agent's own messages (system prompt, "
        "summaries, task text, feedback) with the expert's answer in the format the agent's parser reads. "
        "Exact duplicates are written once; whole episodes go to a training file (--out) or a held-out file "
        "(--out with .heldout.jsonl). Options whose value is a JSON list are cycled over the episodes; each "
        f"environment has such defaults (levels, maps, deals). Recorders: {pairs}.",
        epilog=_EXAMPLES,
    )
    transcripts.add_argument("--env", required=True, metavar="ID", help="environment id")
    transcripts.add_argument(
        "--agent", required=True, metavar="NAME", help="the LLM agent whose calls to record"
    )
    transcripts.add_argument(
        "--episodes", required=True, type=positive_int, metavar="N", help="episodes to play"
    )
    transcripts.add_argument("--out", required=True, metavar="FILE", help="training corpus (.jsonl)")
    transcripts.add_argument(
        "--seed", type=non_negative_int, default=0, metavar="S", help="base seed (default: 0)"
    )
    transcripts.add_argument(
        "--heldout-fraction", type=_fraction, default=0.1, metavar="F",
        help="share of the episodes written to the held-out file (default: 0.1)",
    )  # fmt: skip
    transcripts.add_argument("--json", action="store_true", help="print the summary as JSON")
    transcripts.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_opt_argument(transcripts)
    transcripts.set_defaults(func=_transcripts)
    return parser


def _transcripts(args: argparse.Namespace) -> int:
    from tactica.envs.registration import parse_options, spec
    from tactica.llm.games.transcripts import record_transcripts, recorder_for

    env_id = spec(args.env).id  # an unknown id names the nearest ones
    recorder_for(env_id, args.agent)
    options = parse_options(args.opt)
    out = output_file(args.out, "--out")
    if not out.name.endswith(".jsonl"):
        raise ValueError(f"--out {out} must be a .jsonl file")
    show = not args.no_progress and not args.json
    summary = _run(args, env_id, options, out, show, record_transcripts)
    if args.json:
        print_json(summary.to_dict())
    else:
        calls = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_call.items()))
        print(f"{summary.train_file}: {summary.train_examples} examples; {summary.heldout_file}: "
              f"{summary.heldout_examples} examples (episodes {summary.heldout_episodes}); "
              f"{summary.duplicates} duplicates dropped; calls: {calls}")  # fmt: skip
    return 0


def _run(args, env_id, options, out, show, record_transcripts):
    if not show:
        return record_transcripts(env_id, args.agent, args.episodes, out, seed=args.seed,
                                  heldout_fraction=args.heldout_fraction, options=options)  # fmt: skip
    if not sys.stdout.isatty():

        def plain(k, found):
            print(f"episode {k + 1}/{args.episodes}: {len(found)} calls", flush=True)

        return record_transcripts(env_id, args.agent, args.episodes, out, seed=args.seed,
                                  heldout_fraction=args.heldout_fraction, options=options, on_episode=plain)  # fmt: skip
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(f"[bold]{env_id} {args.agent}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[calls]} calls"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("episodes", total=args.episodes, calls=0)
        count = [0]

        def advance(k, found):
            count[0] += len(found)
            progress.update(task, advance=1, calls=count[0])

        return record_transcripts(env_id, args.agent, args.episodes, out, seed=args.seed,
                                  heldout_fraction=args.heldout_fraction, options=options, on_episode=advance)  # fmt: skip
