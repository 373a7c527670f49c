"""The leaderboard: every agent on every environment over seeded episodes, stored, resumable, reported.

Example::

    from tactica.leaderboard import ResultStore, build_plan, html_report, run_jobs

    plan = build_plan("quick")                  # suite -> (environment, options, agent) pairings
    with ResultStore("runs/leaderboard.sqlite") as store:
        run_jobs(plan.jobs(), store, workers=2)  # resumable: stored episodes are skipped
        page = html_report(store.records())

The command line is ``tactica leaderboard run|show|report`` (see ``docs/leaderboard.md``).
"""

from tactica._lazy import lazy_exports

# Loaded on first use, so that the `tactica` command starts without the report's plotting stack.
_EXPORTS = {
    "Job": "tactica.leaderboard.jobs",
    "Row": "tactica.leaderboard.report",
    "Stat": "tactica.leaderboard.report",
    "env_throughput": "tactica.leaderboard.report",
    "html_report": "tactica.leaderboard.report",
    "summarize": "tactica.leaderboard.report",
    "RunSummary": "tactica.leaderboard.runner",
    "run_jobs": "tactica.leaderboard.runner",
    "DEFAULT_DB": "tactica.leaderboard.store",
    "Record": "tactica.leaderboard.store",
    "ResultStore": "tactica.leaderboard.store",
    "SUITES": "tactica.leaderboard.suites",
    "SWEEPS": "tactica.leaderboard.suites",
    "Pairing": "tactica.leaderboard.suites",
    "Plan": "tactica.leaderboard.suites",
    "Suite": "tactica.leaderboard.suites",
    "Sweep": "tactica.leaderboard.suites",
    "build_plan": "tactica.leaderboard.suites",
    "resolve_suite": "tactica.leaderboard.suites",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
