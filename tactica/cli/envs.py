"""``tactica envs``: every registered environment id with its kind, spaces and backends."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tactica.cli.common import print_json

__all__ = ["add_parser", "describe_env"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "envs",
        help="list the registered environments",
        description="List every registered environment id with its kind (single-agent Gymnasium or multi-agent "
        "PettingZoo), its backends and status. --spaces (and --json) also make each environment with its "
        "default options to show its observation and action spaces.",
        epilog="examples (under a second each):\n  tactica envs\n  tactica envs --spaces\n"
        "  tactica envs --json --no-spaces",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list for scripts (with spaces)")
    parser.add_argument(
        "--spaces", action="store_true", help="add the observation and action spaces to the table"
    )
    parser.add_argument(
        "--no-spaces", action="store_true", help="--json without making each env for its spaces"
    )
    parser.set_defaults(func=run)


def describe_env(env_id: str, with_spaces: bool = True) -> dict[str, Any]:
    """A JSON-ready description of one registered id."""
    from tactica.envs.registration import make_parallel, spec

    env_spec = spec(env_id)
    record: dict[str, Any] = {
        "id": env_spec.id,
        "kind": "single-agent (Gymnasium)" if env_spec.kind == "single" else "multi-agent (PettingZoo)",
        "summary": env_spec.summary,
        "backends": list(env_spec.backends),
        "status": env_spec.status,
        "default_kwargs": env_spec.kwargs,
        "baseline_agent": env_spec.baseline_agent,
    }
    if with_spaces:
        try:
            if env_spec.kind == "single":
                import gymnasium as gym

                env = gym.make(env_spec.id)
                record["observation_space"] = repr(env.observation_space)
                record["action_space"] = repr(env.action_space)
            else:
                env = make_parallel(env_spec.id)
                record["agents"] = list(env.possible_agents)
                record["observation_space"] = {a: repr(env.observation_space(a)) for a in env.possible_agents}
                record["action_space"] = {a: repr(env.action_space(a)) for a in env.possible_agents}
            env.close()
        except Exception as exc:  # an optional backend missing must not hide the other ids
            record["error"] = f"{type(exc).__name__}: {exc}"
    return record


def run(args: argparse.Namespace) -> int:
    from tactica.envs.registration import registry

    with_spaces = args.spaces or (args.json and not args.no_spaces)
    records = [describe_env(env_id, with_spaces=with_spaces) for env_id in registry()]
    if args.json:
        print_json(records)
        return 0
    columns = ["id", "kind", "backends", "status", "summary"] + (["spaces"] if with_spaces else [])
    rows = []
    for record in records:
        row = [
            record["id"],
            record["kind"],
            ", ".join(record["backends"]),
            record["status"],
            record["summary"],
        ]
        if with_spaces:
            row.append(_spaces_text(record))
        rows.append(row)
    if not sys.stdout.isatty():  # piped: one tab-separated line per id, for grep and cut (no rich import)
        print("\t".join(columns))
        for row in rows:
            print("\t".join(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="tactica environments")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    return 0


def _spaces_text(record: dict[str, Any]) -> str:
    if "error" in record:
        return f"(cannot be made: {record['error']})"
    observation, action = record["observation_space"], record["action_space"]
    if isinstance(observation, dict):  # one entry per agent; show the first seat and how many there are
        first = record["agents"][0]
        return f"{len(record['agents'])} agents; {first}: obs {observation[first]}, action {action[first]}"
    return f"obs {observation}, action {action}"
