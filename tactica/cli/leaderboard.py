"""``tactica leaderboard``: run a suite of seeded episodes, show the stored results, write an HTML report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tactica.cli.common import CLIError, add_commands, non_negative_int, output_file, positive_int, print_json

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    from tactica.leaderboard.store import DEFAULT_DB

    parser = subparsers.add_parser(
        "leaderboard",
        help="evaluate every agent on every environment (resumable, stored in SQLite) and report",
        description="Run every registered (environment, agent) pairing of a suite over seeded episodes, store "
        "every episode in SQLite as it finishes (an interrupted run resumes where it stopped), and report "
        "tables (mean ± 95% interval) and plots.",
        epilog="example (about a minute, then 10 s for the page):\n"
        "  tactica leaderboard run --suite quick --workers 2 && tactica leaderboard report --html leaderboard.html",
    )
    commands = add_commands(parser, "leaderboard_command", "ACTION")

    run = commands.add_parser(
        "run",
        help="run a suite (episodes already stored are skipped)",
        description="Run a suite: every registered environment (or the listed ones) with its agents over "
        "seeded episodes. Each finished episode is written to the database at once; rerunning the same command "
        "runs only what is missing. Exit 0 when every episode ran, 1 when some failed (they are retried next "
        "time), 2 on bad input.",
        epilog="examples:\n"
        "  tactica leaderboard run --suite SMAC-v2,MarkovGame-v0 --episodes 5        (a few seconds)\n"
        "  tactica leaderboard run --suite quick --workers 2        (84 episodes, about a minute)\n"
        "  tactica leaderboard run --suite default --workers 2        (hours: every sweep, 20 episodes each)",
    )
    run.add_argument(
        "--suite",
        default="quick",
        metavar="S",
        help="'quick' (small options, 3 episodes), 'default' (registered options and sweeps, 20 episodes) or a "
        "comma-separated list of environment ids (default: quick)",
    )
    run.add_argument(
        "--episodes", type=positive_int, metavar="N", help="episodes per pairing (default: the suite's)"
    )
    run.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="S",
        help="base seed of the episode seeds (default: the suite's, 0)",
    )
    run.add_argument(
        "--workers", type=positive_int, default=1, metavar="K", help="parallel worker processes (default: 1)"
    )
    run.add_argument(
        "--executor", choices=["local", "ray"], default="local", help="local process pool or a Ray cluster"
    )
    run.add_argument(
        "--address",
        metavar="A",
        help="Ray cluster address, e.g. auto or ray://host:10001 (default: start one)",
    )
    run.add_argument(
        "--llm",
        metavar="SPEC",
        help="language model for the agents that need one (default: the TACTICA_LLM environment variable)",
    )
    run.add_argument(
        "--sb3-dir",
        metavar="DIR",
        help="also play the models of `tactica train sb3` runs under DIR/<ID>/ (default: the TACTICA_SB3_DIR "
        "environment variable; none otherwise - a model.zip is pickled code, so only a folder you name is read)",
    )
    run.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first, in every worker too (a plugin that registers environments or agents)",
    )
    _add_db(run, DEFAULT_DB)
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--json", action="store_true", help="print the summary and the table as JSON")
    run.set_defaults(func=_run)

    show = commands.add_parser(
        "show",
        help="print the stored results",
        description="Print the stored results.",
        epilog="examples (a second each):\n  tactica leaderboard show --env SMAC-v2\n  tactica leaderboard show --json",
    )
    _add_db(show, DEFAULT_DB)
    show.add_argument(
        "--env", action="append", default=[], metavar="ID", help="only this environment (repeatable)"
    )
    show.add_argument(
        "--all-versions", action="store_true", help="results of every tactica version (default: this one)"
    )
    show.add_argument("--json", action="store_true", help="print the rows as JSON")
    show.set_defaults(func=_show)

    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report",
        description="Write one self-contained HTML page (tables, inline plots and, per environment, frames of "
        "a seeded episode of its baseline agent) from the stored results.",
        epilog="example (about a second per environment):\n  tactica leaderboard report --html leaderboard.html",
    )
    report.add_argument(
        "--html", required=True, metavar="FILE", help="where to write the page (its folder must exist)"
    )
    _add_db(report, DEFAULT_DB)
    report.add_argument(
        "--all-versions", action="store_true", help="results of every tactica version (default: this one)"
    )
    report.add_argument("--title", default="tactica leaderboard", help="page title")
    report.add_argument(
        "--no-pictures",
        action="store_true",
        help="leave out the frames of each environment (they cost about a second per environment)",
    )
    report.add_argument("--json", action="store_true", help="print where the page went as JSON")
    report.set_defaults(func=_report)


def _add_db(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--db",
        default=default,
        metavar="PATH",
        help=f"results database (default: {default}; another path's folder must exist)",
    )


# --- run ---------------------------------------------------------------------------------------------------
def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tactica.errors import MissingDependency
    from tactica.leaderboard import ResultStore, build_plan
    from tactica.leaderboard.runner import import_plugins
    from tactica.leaderboard.store import DEFAULT_DB

    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1; got {args.workers}")
    if args.episodes is not None and args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1; got {args.episodes}")
    if args.seed is not None and args.seed < 0:
        raise ValueError(f"--seed must be >= 0; got {args.seed}")
    if args.address and args.executor != "ray":
        raise ValueError("--address needs --executor ray")
    output_file(args.db, "--db", create_parent=args.db == DEFAULT_DB)  # before any work or note
    try:
        import_plugins(args.imports)
    except ImportError as exc:
        raise CLIError(f"--import: {exc}") from None
    plan = build_plan(args.suite, llm=args.llm, sb3_dir=args.sb3_dir)
    jobs = plan.jobs(args.episodes, args.seed)
    err = Console(stderr=True)
    if not args.json:
        for note in plan.notes:
            err.print(f"[dim]note: {note}[/dim]", highlight=False, soft_wrap=True)
    with ResultStore(args.db) as store:
        try:
            summary = _run_with_progress(
                jobs, store, args, show_progress=not (args.json or args.no_progress), console=err
            )
        except KeyboardInterrupt:
            err.print(f"interrupted: {store.count()} episodes are stored in {args.db}; rerun to resume")
            raise
        except MissingDependency as exc:
            raise CLIError(str(exc), 2) from None
        except RuntimeError as exc:  # a worker process died; what finished is stored
            raise CLIError(f"{exc}; rerun to resume", 1) from None
        wanted = {job.key for job in jobs}
        records = [r for r in store.records(env_ids=plan.env_ids) if r.key in wanted]
    return _print_results(records, args, summary=summary, notes=plan.notes, suite=plan.suite.name)


def _run_with_progress(jobs, store, args, *, show_progress: bool, console):
    from tactica.leaderboard import run_jobs
    from tactica.leaderboard.runner import pending_jobs
    from tactica.progress import progress_bar

    todo, _ = pending_jobs(jobs, store)
    with progress_bar(fields=("last",), disable=not show_progress, stream=console.file) as progress:
        task = progress.add_task("leaderboard", total=len(todo), last="")

        def advance(job, result, error) -> None:
            status = "failed" if error else "ok"
            progress.update(task, advance=1, last=f"{job.env_id} / {job.agent} #{job.episode} {status}")

        return run_jobs(
            jobs,
            store,
            workers=args.workers,
            executor=args.executor,
            address=args.address,
            imports=args.imports,
            on_outcome=advance,
        )


# --- show / report -----------------------------------------------------------------------------------------
def _open_existing(path: str):
    from tactica.leaderboard import ResultStore

    if not Path(path).is_file():
        raise CLIError(
            f"no leaderboard database at {path}; run 'tactica leaderboard run' first (or pass --db)"
        )
    return ResultStore(path)


def _stored(args: argparse.Namespace, env_ids=None):
    """The stored episodes (of this tactica version unless --all-versions) and the failed ones."""
    import tactica

    with _open_existing(args.db) as store:
        version = None if args.all_versions else tactica.__version__
        records = store.records(env_ids=env_ids, version=version)
        failures = store.failures(env_ids)
        if not records and version is not None and store.versions():
            print(
                f"note: no results of tactica {version} in {args.db}; stored versions: "
                f"{', '.join(store.versions())} (use --all-versions)",
                file=sys.stderr,
            )
    return records, failures


def _show(args: argparse.Namespace) -> int:
    from tactica.envs.registration import spec

    env_ids = [spec(env_id).id for env_id in args.env] or None
    records, failures = _stored(args, env_ids)
    return _print_results(records, args, failures=failures)


def _report(args: argparse.Namespace) -> int:
    from tactica.leaderboard import html_report

    records, failures = _stored(args)
    page = html_report(records, title=args.title, failures=failures, pictures=not args.no_pictures)
    target = output_file(args.html, "--html")
    target.write_text(page, encoding="utf-8")
    if args.json:
        print_json({"html": os.path.abspath(target), "episodes": len(records), "bytes": len(page.encode())})
    else:
        print(f"wrote {target} ({len(records)} episodes, {len(failures)} failed)")
    return 0


def _print_results(records, args, *, summary=None, notes=(), suite=None, failures=None) -> int:
    """Tables of ``records`` and the failed episodes (this run's, or the store's for ``show``)."""
    from rich.console import Console

    from tactica.leaderboard import env_throughput, summarize
    from tactica.leaderboard.report import rich_tables
    from tactica.leaderboard.store import DEFAULT_DB

    rows = summarize(records)
    throughput = env_throughput(records)
    if failures is None:
        failures = summary.errors if summary is not None else []
    failed = [{k: f[k] for k in ("env_id", "agent", "seed", "error")} for f in failures]
    for entry in failed:
        entry["error"] = entry["error"].splitlines()[0] if entry["error"] else ""
    if args.json:
        payload = {"db": args.db, "rows": [row.to_dict() for row in rows], "throughput": throughput}
        payload["failures"] = failed
        if summary is not None:
            payload = {"suite": suite, "notes": list(notes), "run": summary.to_dict(), **payload}
        print_json(payload)
        return 0 if summary is None or summary.ok else 1
    console = Console()
    for table in rich_tables(rows, throughput, width=console.width):
        console.print(table)
    if failed:
        console.print(
            f"[red]{len(failed)} failed episode(s)[/red] (retried by the next run):", highlight=False
        )
        for entry in failed[:20]:
            console.print(
                f"  {entry['env_id']} / {entry['agent']} seed {entry['seed']}: {entry['error']}",
                highlight=False,
                soft_wrap=True,
            )
        if len(failed) > 20:
            console.print(f"  ... and {len(failed) - 20} more (--json lists them all)", highlight=False)
    if summary is not None:
        others = f", {summary.by_other_runs} played by another run" if summary.by_other_runs else ""
        console.print(
            f"{summary.completed} episodes run, {summary.already_stored} already stored{others}, "
            f"{summary.failed} failed; database {args.db}",
            highlight=False,
            soft_wrap=True,
        )
        db = "" if args.db == DEFAULT_DB else f" --db {args.db}"
        console.print(
            f"next: tactica leaderboard report --html leaderboard.html{db}  (tables and plots in one page)",
            highlight=False,
            soft_wrap=True,
        )
    elif not rows:
        console.print(f"no stored results in {args.db}")
    return 0 if summary is None or summary.ok else 1
