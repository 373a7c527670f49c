"""Run leaderboard jobs on a local process pool or a Ray cluster, storing each episode as it finishes.

Only the calling process writes to the store: workers (processes or Ray tasks) return results and the caller
inserts them one by one, so the SQLite file has a single writer however many workers run.  An episode's
numbers depend only on its job (environment, options, agent, seed), never on which worker ran it or when,
so 1 worker, K workers and Ray give the same table.
"""

from __future__ import annotations

import importlib
import os
import sys
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
    by_other_runs: int = 0
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
            "by_other_runs": self.by_other_runs,
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
    """Import the modules that register extra environments or agents (``--import``), once per process.

    Modules are found in the current folder too, as ``python -m`` finds them (the ``tactica`` script's own
    path does not hold it, so ``--import my_agents`` beside ``my_agents.py`` would otherwise fail).
    """
    import tactica  # noqa: F401  (registers the built-in ids)

    if imports and os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
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
    poll_s: float = 1.0,
) -> RunSummary:
    """Run every job whose episode is not stored yet, writing each result to ``store`` when it arrives.

    Args:
        jobs: the episodes to have (usually ``Plan.jobs()``); stored ones are skipped.
        store: where results go.
        workers: parallel worker processes (``local``) or CPUs of the local Ray instance started for the run.
        executor: ``"local"`` (a process pool; 1 worker runs in this process) or ``"ray"``.
        address: Ray cluster address (``"auto"``, ``"ray://host:10001"``); ``None`` starts a local instance.
        imports: modules to import in every worker first (plugins that register environments or agents).
        on_outcome: called after each job is stored (result) or recorded as failed (error text); a job that
            another run on the same database finished is reported with neither.
        poll_s: how often to look for episodes that another run on the same database is playing.

    Episodes are claimed in the store one at a time as workers free up, so several runs on one database share
    the work instead of each playing everything; this run then waits for the episodes others are playing (and
    takes over those whose run died).  A failing episode is recorded in the store's ``failures`` table and
    retried by the next run; an interrupted run (Ctrl-C, a killed process) keeps every episode stored before
    the interruption.
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
        backend: _Backend = _RayBackend(workers, address, imports)
    elif workers == 1:
        backend = _InlineBackend(imports)
    else:
        backend = _PoolBackend(min(workers, len(todo)), imports)
    heartbeat = store.keep_claims_alive()
    try:
        for job, result, error in _dispatch(todo, store, backend, poll_s):
            if result is None and error is None:
                summary.by_other_runs += 1
            elif error is None:
                store.add(job, result)
                summary.completed += 1
            else:
                store.add_failure(job, error)
                summary.failed += 1
                summary.errors.append({**job.to_dict(), "error": error.splitlines()[0]})
            store.release(job.key)
            if on_outcome is not None:
                on_outcome(job, result, error)
    finally:
        heartbeat.set()
        backend.close()  # shut the pool or the Ray instance down, also on Ctrl-C
        store.release()
    return summary


def _dispatch(todo: list[Job], store: ResultStore, backend: _Backend, poll_s: float) -> Iterator[Outcome]:
    """Claim and submit jobs while the backend has room; yield outcomes, ours and (as ``None, None``) others'."""
    import time

    waiting = list(todo)  # not started by this run: unclaimed, or claimed by another run
    in_flight = 0
    while waiting or in_flight:
        for job in list(waiting):
            if in_flight >= backend.capacity:
                break
            if store.claim(job.key):
                waiting.remove(job)
                backend.submit(job)
                in_flight += 1
        if in_flight:
            yield backend.next_outcome()
            in_flight -= 1
        if not waiting:
            continue
        finished = store.done_keys(job.key for job in waiting)
        for job in [job for job in waiting if job.key in finished]:
            waiting.remove(job)
            yield job, None, None
        if waiting and not in_flight and store.claimed_elsewhere(job.key for job in waiting):
            time.sleep(poll_s)  # everything left is being played by another run: wait for it (or its death)


class _Backend:
    """Runs submitted jobs; ``next_outcome`` blocks until one of them finishes."""

    capacity = 1

    def submit(self, job: Job) -> None:
        raise NotImplementedError

    def next_outcome(self) -> Outcome:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _InlineBackend(_Backend):
    """One worker: the episode runs in this process when its outcome is asked for."""

    def __init__(self, imports: tuple[str, ...]):
        self.imports, self.queue = imports, []

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def next_outcome(self) -> Outcome:
        job = self.queue.pop(0)
        return (job, *_execute_safely(job, self.imports))


class _PoolBackend(_Backend):
    def __init__(self, workers: int, imports: tuple[str, ...]):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": workers start clean (no copy of the parent's threads, locks or open SQLite handle).
        self.capacity = workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(imports, os.getpid()),
        )
        self.futures: dict[Any, Job] = {}

    def submit(self, job: Job) -> None:
        self.futures[self.pool.submit(_execute_safely, job)] = job

    def next_outcome(self) -> Outcome:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        future = next(iter(done))
        job = self.futures.pop(future)
        try:
            result, error = future.result()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                f"a leaderboard worker process died while running {job.env_id} / {job.agent} seed {job.seed} "
                "(out of memory or a crash in native code); the episodes stored so far are kept"
            ) from exc
        return job, result, error

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _RayBackend(_Backend):
    def __init__(self, workers: int, address: str | None, imports: tuple[str, ...]):
        try:
            import ray
        except ImportError:
            from tactica.errors import MissingDependency

            raise MissingDependency("ray", "ray", "the Ray executor") from None
        self.ray, self.started_here = ray, False
        if not ray.is_initialized():
            if address is None:
                _export_package_path()
                ray.init(
                    num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False
                )
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            self.started_here = True
        # Enough tasks in flight to keep every CPU of the cluster busy, claimed no sooner than needed.
        self.capacity = max(workers, int(ray.cluster_resources().get("CPU", workers)))
        self.task = ray.remote(num_cpus=1, max_retries=0)(_execute_safely)
        self.imports, self.refs = imports, {}

    def submit(self, job: Job) -> None:
        self.refs[self.task.remote(job, self.imports)] = job

    def next_outcome(self) -> Outcome:
        ready, _ = self.ray.wait(list(self.refs), num_returns=1)
        job = self.refs.pop(ready[0])
        return (job, *self.ray.get(ready[0]))

    def close(self) -> None:
        if self.started_here:
            self.ray.shutdown()


def _start_worker(imports: Sequence[str], parent_pid: int) -> None:
    """Pool worker start-up: die with the run that started it, then import the plugins."""
    _die_with_parent(parent_pid)
    import_plugins(imports)


def _die_with_parent(parent_pid: int) -> None:
    # A killed run (SIGKILL, OOM killer) cannot shut its pool down, and orphaned workers would go on playing
    # episodes nobody stores.  Linux: the kernel sends SIGKILL when the parent dies.  Everywhere: a watchdog
    # thread notices the parent is gone (the worker is re-parented) within a second.
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        import time

        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


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
