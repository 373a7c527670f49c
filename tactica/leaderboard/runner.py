"""Run leaderboard jobs on a local process pool or a Ray cluster, storing each episode as it finishes.

Only the calling process writes to the store: workers (processes or Ray tasks) return results and the caller
inserts them one by one, so the SQLite file has a single writer however many workers run.  An episode's
numbers depend only on its job (environment, options, agent, seed), never on which worker ran it or when,
so 1 worker, K workers and Ray give the same table.
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tactica.leaderboard.jobs import Job
from tactica.leaderboard.store import ResultStore

__all__ = ["EXECUTORS", "RunSummary", "execute", "import_plugins", "pending_jobs", "run_jobs"]

EXECUTORS = ("local", "ray")
Executor = Literal["local", "ray"]
# (job, result or None, error text or None); an event callback sees it after the store has it.
Outcome = tuple[Job, "dict[str, Any] | None", "str | None"]


@dataclass
class RunSummary:
    """What one call of :func:`run_jobs` did."""

    planned: int = 0
    already_stored: int = 0
    completed: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "already_stored": self.already_stored,
            "completed": self.completed,
            "failed": self.failed,
            "errors": self.errors,
        }


def execute(job: Job) -> dict[str, Any]:
    """Play the job's episode and return ``EpisodeResult.to_dict()`` (runs in a worker)."""
    from tactica.rollout import run_episode

    _warm_up(job)
    result = run_episode(job.env_id, job.agent, job.seed, env_kwargs=job.options, agent_kwargs=job.kwargs)
    return result.to_dict()


_WARM: set[tuple[str, str]] = set()


def _warm_up(job: Job) -> None:
    # Import the environment's and the agent's modules before the episode clock starts, so the first episode
    # in each worker does not charge the imports to the environment's steps per second.
    if (job.env_id, job.agent) in _WARM:
        return
    from tactica import agents
    from tactica.envs.registration import spec

    spec(job.env_id).load()
    agent_spec = agents.registry().get(job.agent)
    if agent_spec is not None:
        importlib.import_module(agent_spec.entry_point.partition(":")[0])
    _WARM.add((job.env_id, job.agent))


def _execute_safely(job: Job, imports: Sequence[str] = ()) -> tuple[dict[str, Any] | None, str | None]:
    # Exceptions travel back as text: an arbitrary exception object may not survive pickling between processes.
    try:
        import_plugins(imports)
        return execute(job), None
    except Exception as exc:  # noqa: BLE001 - one failing episode must not stop the leaderboard
        return None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"


def import_plugins(imports: Sequence[str]) -> None:
    """Import the modules that register extra environments or agents (``--import``), once per process."""
    import tactica  # noqa: F401  (registers the built-in ids)

    for name in imports:
        importlib.import_module(name)


def pending_jobs(jobs: Iterable[Job], store: ResultStore) -> tuple[list[Job], int]:
    """The jobs not yet stored (duplicates by key removed), and how many were already stored."""
    unique = list({job.key: job for job in jobs}.values())
    done = store.done_keys(job.key for job in unique)
    return [job for job in unique if job.key not in done], len(done)


def run_jobs(
    jobs: Iterable[Job],
    store: ResultStore,
    *,
    workers: int = 1,
    executor: Executor = "local",
    address: str | None = None,
    imports: Sequence[str] = (),
    on_outcome: Callable[[Job, dict[str, Any] | None, str | None], None] | None = None,
) -> RunSummary:
    """Run every job whose episode is not stored yet, writing each result to ``store`` when it arrives.

    Args:
        jobs: the episodes to have (usually ``Plan.jobs()``); stored ones are skipped.
        store: where results go.
        workers: parallel worker processes (``local``) or CPUs of the local Ray instance started for the run.
        executor: ``"local"`` (a process pool; 1 worker runs in this process) or ``"ray"``.
        address: Ray cluster address (``"auto"``, ``"ray://host:10001"``); ``None`` starts a local instance.
        imports: modules to import in every worker first (plugins that register environments or agents).
        on_outcome: called after each job is stored (result) or recorded as failed (error text).

    A failing episode is recorded in the store's ``failures`` table and retried by the next run; an
    interrupted run (Ctrl-C, a killed process) keeps every episode stored before the interruption.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer; got {workers!r}")
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    if address is not None and executor != "ray":
        raise ValueError("address is only used by the ray executor (--executor ray)")
    imports = tuple(imports)
    import_plugins(imports)  # fail early, here, on a bad module name
    jobs = list(jobs)
    todo, stored = pending_jobs(jobs, store)
    summary = RunSummary(planned=len(jobs), already_stored=stored)
    if not todo:
        return summary
    if executor == "ray":
        outcomes = _ray_outcomes(todo, workers, address, imports)
    elif workers == 1:
        outcomes = ((job, *_execute_safely(job, imports)) for job in todo)
    else:
        outcomes = _pool_outcomes(todo, workers, imports)
    try:
        for job, result, error in outcomes:
            if error is None:
                store.add(job, result)
                summary.completed += 1
            else:
                store.add_failure(job, error)
                summary.failed += 1
                summary.errors.append({**job.to_dict(), "error": error.splitlines()[0]})
            if on_outcome is not None:
                on_outcome(job, result, error)
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()  # shut the pool or the Ray instance down, also on Ctrl-C
    return summary


def _pool_outcomes(jobs: list[Job], workers: int, imports: tuple[str, ...]) -> Iterator[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # "spawn": workers start clean (no copy of the parent's threads, locks or open SQLite handle).
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=context,
        initializer=import_plugins,
        initargs=(imports,),
    )
    try:
        futures = {pool.submit(_execute_safely, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result, error = future.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    f"a leaderboard worker process died while running {job.env_id} / {job.agent} seed {job.seed} "
                    "(out of memory or a crash in native code); the episodes stored so far are kept"
                ) from exc
            yield job, result, error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ray_outcomes(
    jobs: list[Job], workers: int, address: str | None, imports: tuple[str, ...]
) -> Iterator[Outcome]:
    try:
        import ray
    except ImportError:
        from tactica.errors import MissingDependency

        raise MissingDependency("ray", "ray", "the Ray executor") from None
    started_here = False
    if not ray.is_initialized():
        if address is None:
            _export_package_path()
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        started_here = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_execute_safely)
        refs = {task.remote(job, imports): job for job in jobs}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                job = refs.pop(ref)
                result, error = ray.get(ref)
                yield job, result, error
    finally:
        if started_here:
            ray.shutdown()


def _export_package_path() -> None:
    # A local Ray instance starts its workers from this process's environment.  Give them this process's
    # import path, as multiprocessing's "spawn" does, so they import this tactica (also from a source tree) and
    # the --import plugins.
    import sys

    import tactica

    root = os.path.dirname(os.path.dirname(os.path.abspath(tactica.__file__)))
    entries = [root, *(p for p in sys.path if p and os.path.isdir(p))]
    entries += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(os.path.abspath(p) for p in entries))
