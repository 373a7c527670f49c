"""The leaderboard: every agent on every environment over seeded episodes, stored, resumable, reported.

Example::

    from tactica.leaderboard import ResultStore, build_plan, html_report, run_jobs

    plan = build_plan("quick")                  # suite -> (environment, options, agent) pairings
    with ResultStore("runs/leaderboard.sqlite") as store:
        run_jobs(plan.jobs(), store, workers=2)  # resumable: stored episodes are skipped
        page = html_report(store.records())

The command line is ``tactica leaderboard run|show|report`` (see ``docs/leaderboard.md``).
"""

from tactica.leaderboard.jobs import Job
from tactica.leaderboard.report import Row, Stat, env_throughput, html_report, summarize
from tactica.leaderboard.runner import RunSummary, run_jobs
from tactica.leaderboard.store import DEFAULT_DB, Record, ResultStore
from tactica.leaderboard.suites import SUITES, SWEEPS, Pairing, Plan, Suite, Sweep, build_plan, resolve_suite

__all__ = [
    "DEFAULT_DB",
    "SUITES",
    "SWEEPS",
    "Job",
    "Pairing",
    "Plan",
    "Record",
    "ResultStore",
    "Row",
    "RunSummary",
    "Stat",
    "Suite",
    "Sweep",
    "build_plan",
    "env_throughput",
    "html_report",
    "resolve_suite",
    "run_jobs",
    "summarize",
]
