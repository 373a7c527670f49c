"""The runner: resumable after an interruption, the same numbers with 1 worker, 2 workers and Ray."""

from __future__ import annotations

import sys

import pytest
from lb_toys import TOY, toy_suite

from tactica.errors import MissingDependency
from tactica.leaderboard import ResultStore, build_plan, run_jobs
from tactica.leaderboard.runner import execute
from tactica.rollout import run_episode


def _outcomes(store: ResultStore) -> dict[str, dict]:
    return {r.key: r.outcome() for r in store.records()}


def _jobs(episodes: int = 4):
    return build_plan(toy_suite(episodes=episodes, ids=(TOY, "MarkovGame-v0"), quick=True), llm="").jobs()


def test_stored_episode_is_the_rollout_of_its_seed(store):
    jobs = _jobs(2)
    summary = run_jobs(jobs, store)
    assert (summary.planned, summary.completed, summary.failed) == (len(jobs), len(jobs), 0)
    for record, job in zip(sorted(store.records(), key=lambda r: r.key), sorted(jobs, key=lambda j: j.key)):
        expected = run_episode(job.env_id, job.agent, job.seed, env_kwargs=job.options)
        assert record.returns == expected.returns
        assert record.length == expected.length
        assert record.metrics == expected.metrics
    # the toy: 4 rounds, so 4 steps; lb-first always guesses 0 and wins with two right guesses
    toy = [r for r in store.records() if r.env_id == TOY]
    assert {r.length for r in toy} == {4}
    assert all(r.metrics["win"] == (r.metrics["right"] >= 2) == (r.mean_return >= 2) for r in toy)


def test_interrupted_run_resumes_without_loss_or_double_count(tmp_path):
    jobs = _jobs(5)

    class Stop(Exception):
        pass

    seen = []

    def stop_after_three(job, result, error):
        seen.append(job.key)
        if len(seen) == 3:
            raise Stop  # an injected failure in the middle of the run, after the 3rd episode is stored

    with ResultStore(tmp_path / "a.sqlite") as store:
        with pytest.raises(Stop):
            run_jobs(jobs, store, on_outcome=stop_after_three)
        before = {r.key: r for r in store.records()}
        assert set(before) == set(seen)
        summary = run_jobs(jobs, store)
        assert summary.already_stored == 3 and summary.completed == len(jobs) - 3
        after = store.records()
        assert len(after) == len(jobs) == len({r.key for r in after})
        assert all(before[key] == r for r in after if (key := r.key) in before)  # untouched, not rewritten
        assert run_jobs(jobs, store).completed == 0  # a third run has nothing left to do
        resumed = _outcomes(store)
    with ResultStore(tmp_path / "b.sqlite") as fresh:
        run_jobs(jobs, fresh)
        assert _outcomes(fresh) == resumed


def test_one_and_two_workers_give_identical_numbers(tmp_path):
    jobs = _jobs(4)
    with ResultStore(tmp_path / "one.sqlite") as one, ResultStore(tmp_path / "two.sqlite") as two:
        run_jobs(jobs, one, workers=1)
        summary = run_jobs(jobs, two, workers=2, imports=("lb_plugin",))
        assert summary.completed == len(jobs)
        assert _outcomes(one) == _outcomes(two)
        assert len(_outcomes(one)) == len(jobs)


def test_failing_episode_is_recorded_and_retried(store, monkeypatch):
    from tactica.leaderboard import Pairing

    jobs = Pairing(TOY, {}, "lb-broken").jobs([1, 2], "0.1.0")
    seen = []
    summary = run_jobs(jobs, store, on_outcome=lambda job, result, error: seen.append(error))
    assert (summary.completed, summary.failed) == (0, 2)
    assert all("RuntimeError: this agent always fails" in e for e in seen)
    assert [f["seed"] for f in store.failures()] == [1, 2]
    assert summary.errors[0]["error"] == "RuntimeError: this agent always fails"
    # once the agent is fixed, the next run retries exactly those episodes
    import lb_toys

    monkeypatch.setattr(lb_toys.BrokenAgent, "act", lb_toys.FirstLegalAgent.act)
    summary = run_jobs(jobs, store)
    assert (summary.completed, summary.failed) == (2, 0)
    assert store.failures() == []


def test_bad_arguments(store):
    jobs = _jobs(1)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        run_jobs(jobs, store, workers=0)
    with pytest.raises(ValueError, match="executor must be one of local, ray"):
        run_jobs(jobs, store, executor="dask")
    with pytest.raises(ValueError, match="only used by the ray executor"):
        run_jobs(jobs, store, address="auto")
    with pytest.raises(ModuleNotFoundError):
        run_jobs(jobs, store, imports=("no_such_plugin_module",))


def test_ray_missing_names_the_extra(store, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(MissingDependency, match=r"tactica\[ray\]"):
        run_jobs(_jobs(1), store, executor="ray")


def test_execute_returns_the_episode_dict():
    (job,) = [j for j in _jobs(1) if j.agent == "lb-first"]
    result = execute(job)
    assert set(result) == {"env_id", "agent", "seed", "returns", "length", "metrics", "seconds", "seats"}
    assert result["seed"] == job.seed


@pytest.mark.slow
def test_ray_executor_gives_identical_numbers(tmp_path):
    pytest.importorskip("ray", reason="the Ray executor needs `pip install tactica[ray]`")
    jobs = _jobs(3)
    with ResultStore(tmp_path / "local.sqlite") as local, ResultStore(tmp_path / "ray.sqlite") as remote:
        run_jobs(jobs, local)
        summary = run_jobs(jobs, remote, executor="ray", workers=2, imports=("lb_plugin",))
        assert summary.completed == len(jobs) and summary.failed == 0
        assert _outcomes(local) == _outcomes(remote)
