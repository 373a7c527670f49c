"""``tactica play``: seeded episodes of one environment with one agent."""

from __future__ import annotations

import argparse

from tactica.cli.common import (
    CLIError,
    add_opt_argument,
    non_negative_int,
    positive_float,
    positive_int,
    print_json,
)

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "play",
        help="play seeded episodes of an environment with an agent",
        description="Play N seeded episodes of environment ID with agent NAME (every seat of a multi-agent "
        "environment gets its own instance) and print per-episode returns. The same seed gives the same "
        "episodes.",
        epilog="examples (each finishes in a few seconds):\n"
        "  tactica play MarkovGame-v0 --opt game=matching_pennies --episodes 3 --seed 0 --json\n"
        "  tactica play SMAC-v2 --opt map_name=3m --record battle.gif\n"
        "  tactica play ONUW-v1 --render ansi\n"
        "  tactica play --all --episodes 1        (every environment, about 20 s)\n"
        "with your own code or a language model:\n"
        "  tactica play MyEnv-v0 --import my_plugin --agent my-agent\n"
        "  tactica play SMACProgram-v3 --agent llm-smac --llm openai:MODEL@http://localhost:8000/v1",
    )
    parser.add_argument(
        "env_id", metavar="ID", nargs="?", help="a registered environment id (see 'tactica envs')"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="play every registered environment with its baseline agent (and its first conformance options) "
        "and print a table of mean returns",
    )
    parser.add_argument("--agent", default="random", metavar="NAME", help="agent name (default: random)")
    parser.add_argument(
        "--episodes", type=positive_int, default=1, metavar="N", help="number of episodes (default: 1)"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, metavar="S", help="base seed (default: 0)"
    )
    parser.add_argument("--render", choices=["ansi"], help="print the ansi rendering of every step")
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="write a video of each episode, FILE.gif (Pillow) or FILE.mp4 (needs the video extra); several "
        "episodes go to FILE-episode-K.gif, as Gymnasium's RecordVideo names them",
    )
    parser.add_argument(
        "--record-every",
        type=positive_int,
        default=1,
        metavar="K",
        help="keep one frame in K (default: 1; long TextSC2 games make large files)",
    )
    parser.add_argument(
        "--fps",
        type=positive_float,
        metavar="F",
        help="video frame rate (default: the environment's metadata render_fps)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--agent-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="agent keyword argument (repeatable)",
    )
    parser.add_argument(
        "--llm",
        metavar="SPEC",
        help="language model of the agents that need one (cos, llm-smac, ...): openai:MODEL@URL, "
        "replay:FILE.jsonl, plm:DIR, scripted:[...] (default: the TACTICA_LLM environment variable)",
    )
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first: a plugin of yours that registers environments or agents (repeatable)",
    )
    add_opt_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tactica import agents
    from tactica.envs.registration import parse_options, spec
    from tactica.errors import UnknownIdError
    from tactica.leaderboard.runner import import_plugins
    from tactica.rollout import episode_seeds, run_episode

    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1; got {args.episodes}")
    if args.all:
        if args.env_id:
            raise ValueError("give either an environment ID or --all, not both")
        if args.record:
            raise ValueError("--record records one environment: name its ID instead of --all")
        return _play_all(args)
    if not args.env_id:
        raise ValueError("name an environment ID (see 'tactica envs') or use --all")
    try:
        import_plugins(args.imports)
    except ImportError as exc:
        raise CLIError(f"--import: {exc}") from None
    env_spec = spec(args.env_id)
    if args.agent not in agents.registry():
        raise UnknownIdError("agent", args.agent, list(agents.registry()))
    env_kwargs = parse_options(args.opt)
    agent_kwargs = parse_options(args.agent_opt)
    if agents.registry()[args.agent].needs_llm:
        agent_kwargs["llm"] = _llm_spec(args, agent_kwargs)
    render_mode, on_render, recorder = args.render, print if args.render and not args.json else None, None
    if args.record:
        recorder = _recorder(args, env_spec)
        render_mode, on_render = "rgb_array", recorder
    results = []
    for index, seed in enumerate(episode_seeds(args.seed, args.episodes)):
        result = run_episode(
            env_spec.id,
            args.agent,
            seed,
            env_kwargs=env_kwargs,
            agent_kwargs=agent_kwargs,
            render_mode=render_mode,
            on_render=on_render,
        )
        results.append(result)
        video = recorder.end_episode(_render_fps(env_spec)) if recorder is not None else None
        if not args.json:
            returns = ", ".join(f"{name}={value:g}" for name, value in result.returns.items())
            wrote = f" video: {video}" if video is not None else ""
            print(f"episode {index}: seed={seed} length={result.length} returns: {returns}{wrote}")
    if args.json:
        print_json(
            {
                "env_id": env_spec.id,
                "options": env_kwargs,
                "agent": args.agent,
                "seed": args.seed,
                "episodes": [
                    {
                        "episode": k,
                        "seed": r.seed,
                        "returns": r.returns,
                        "length": r.length,
                        "metrics": r.metrics,
                        **({"video": str(recorder.written[k])} if recorder is not None else {}),
                    }
                    for k, r in enumerate(results)
                ],
            }
        )
    return 0


def _recorder(args: argparse.Namespace, env_spec):
    """The video recorder of ``--record``, or a one-line error naming what is wrong."""
    from tactica.errors import MissingDependency
    from tactica.video import FrameRecorder

    if args.render:
        raise CLIError(
            "give either --render ansi (text on the terminal) or --record FILE (a video), not both"
        )
    if "rgb_array" not in _metadata(env_spec).get("render_modes", ()):
        raise CLIError(f"{env_spec.id} has no rgb_array render mode, so it cannot be recorded")
    try:
        return FrameRecorder(args.record, args.episodes, args.fps, args.record_every)
    except MissingDependency as exc:  # an .mp4 without an encoder
        raise CLIError(str(exc)) from None


def _metadata(env_spec) -> dict:
    return dict(getattr(env_spec.load(), "metadata", {}) or {})


def _render_fps(env_spec) -> float | None:
    return _metadata(env_spec).get("render_fps")


def _llm_spec(args: argparse.Namespace, agent_kwargs: dict) -> object:
    """The language model of an agent that needs one: --agent-opt llm=..., else --llm, else $TACTICA_LLM."""
    import os

    from tactica.llm import LLM_ENV_VAR, validate_spec

    if "llm" in agent_kwargs:
        spec, option = agent_kwargs["llm"], "--agent-opt llm"
    else:
        spec, option = args.llm or os.environ.get(LLM_ENV_VAR), "--llm"
    if not spec:
        raise CLIError(
            f"agent {args.agent!r} needs a language model: pass --llm SPEC (for example openai:MODEL@URL, "
            f"replay:calls.jsonl or plm:DIR) or set {LLM_ENV_VAR}"
        )
    if isinstance(spec, str):
        validate_spec(spec, option)
    return spec


def _play_all(args: argparse.Namespace) -> int:
    """Every registered id with its baseline agent, on the spec's first (small) conformance options."""
    from rich.console import Console
    from rich.table import Table

    from tactica.envs.registration import registry
    from tactica.progress import progress_bar
    from tactica.rollout import episode_seeds, run_episode

    rows = []
    specs = list(registry().values())
    with progress_bar(transient=True, disable=args.json) as progress:
        task = progress.add_task("playing", total=len(specs) * args.episodes)
        for env_spec in specs:
            options = dict(env_spec.conformance_kwargs[0]) if env_spec.conformance_kwargs else {}
            results = []
            for seed in episode_seeds(args.seed, args.episodes):
                progress.update(task, description=env_spec.id)
                results.append(run_episode(env_spec.id, env_spec.baseline_agent, seed, env_kwargs=options))
                progress.advance(task)
            means = [r.mean_return for r in results]
            rows.append(
                {
                    "env_id": env_spec.id,
                    "agent": env_spec.baseline_agent,
                    "options": options,
                    "episodes": len(results),
                    "mean_return": sum(means) / len(means),
                    "mean_length": sum(r.length for r in results) / len(results),
                    "returns": [r.returns for r in results],
                }
            )
    if args.json:
        print_json(rows)
        return 0
    table = Table(title=f"every environment, {args.episodes} episode(s) each, seed {args.seed}")
    for column in ("environment", "agent", "mean return (per seat)", "mean length"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["env_id"], row["agent"], f"{row['mean_return']:.4g}", f"{row['mean_length']:.1f}")
    Console().print(table)
    return 0
