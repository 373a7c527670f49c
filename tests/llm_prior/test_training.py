"""The trainers, the CLI, the registered agents and their replayable transcripts on the leaderboard."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactica.agents.llm_prior import cql_prior, dqn_prior, ppo_prior
from tactica.agents.llm_prior.data import OfflineDataset
from tactica.cli.main import main

PRIOR = "expert:frozenlake?p=0.5"


def test_dqn_prior_is_reproducible_and_counts_llm_calls(tmp_path):
    args = dict(prior=PRIOR, samples=80, learning_starts=40, eval_every=40, eval_episodes=1)
    first = dqn_prior.train(dqn_prior.Args(**args, run_dir=str(tmp_path / "a")))
    second = dqn_prior.train(dqn_prior.Args(**args))
    assert first["curve"] == second["curve"]
    # FrozenLake has 11 non-terminal cells; k=5 completions each at most, whatever the number of visits
    assert 0 < first["llm_calls_training"] <= 11 * 5
    assert first["llm_calls"] == first["prior_stats"]["llm_calls"]
    for name in (
        "config.json",
        "metrics.jsonl",
        "summary.json",
        "q.pt",
        "q.json",
        "curve.png",
        "prior_transcript.jsonl",
    ):
        assert (tmp_path / "a" / name).is_file(), name
    rows = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["samples"] for r in rows] == [40, 80] and all("llm_calls" in r for r in rows)


def test_dqn_baseline_and_exact_mode_run():
    baseline = dqn_prior.train(
        dqn_prior.Args(prior=None, samples=60, learning_starts=30, eval_every=60, eval_episodes=1)
    )
    assert baseline["agent"] == "dqn" and baseline["llm_calls"] == 0
    exact = dqn_prior.train(
        dqn_prior.Args(
            prior=PRIOR, mode="exact", samples=60, learning_starts=30, eval_every=60, eval_episodes=1
        )
    )
    assert exact["mode"] == "exact" and exact["prior_stats"]["score_calls"] > 0
    with pytest.raises(ValueError, match="scores every action"):
        dqn_prior.train(dqn_prior.Args(prior='scripted:["move up"]', mode="exact", samples=10))


def test_cql_prior_reads_the_first_n_transitions_of_a_saved_dataset(tmp_path):
    summary = cql_prior.train(
        cql_prior.Args(
            prior=PRIOR,
            samples=200,
            gradient_steps=50,
            eval_every=50,
            eval_episodes=1,
            run_dir=str(tmp_path / "r"),
        )
    )
    dataset = OfflineDataset.load(tmp_path / "r" / "dataset.npz")
    assert len(dataset) == 200 and dataset.meta["behaviour"] == "uniform"
    assert summary["llm_calls_dataset"] > 0 and summary["dataset_sha256"]
    head = cql_prior.train(
        cql_prior.Args(
            prior=None,
            samples=120,
            dataset=str(tmp_path / "r" / "dataset.npz"),
            gradient_steps=20,
            eval_every=20,
            eval_episodes=1,
        )
    )
    assert head["samples"] == 120 and head["agent"] == "cql" and head["llm_calls"] == 0
    again = OfflineDataset.load(tmp_path / "r" / "dataset.npz").head(120)
    assert np.array_equal(again.actions, dataset.actions[:120])


def test_ppo_prior_starts_from_the_prior():
    summary = ppo_prior.train(
        ppo_prior.Args(
            prior="expert:frozenlake?p=1", samples=128, num_steps=64, eval_every=64, eval_episodes=1
        )
    )
    # with the expert's exact scores as the prior, the untrained policy's mode already walks to the goal
    assert summary["curve"][0] == (64, 1.0)
    assert summary["llm_calls"] == summary["prior_stats"]["score_calls"] > 0


# ------------------------------------------------------------------------------------------------------ CLI
def test_cli_trains_and_the_agent_plays_the_checkpoint(tmp_path, capsys):
    from tactica.rollout import run_episode

    out = tmp_path / "run"
    code = main(
        ["train", "prior", "--env", "FrozenLakeText-v0", "--agent", "cql-prior", "--prior", PRIOR, "--samples", "150",
         "--gradient-steps", "40", "--eval-episodes", "1", "--out", str(out), "--json"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["agent"] == "cql-prior" and summary["samples"] == 150
    result = run_episode(
        "FrozenLakeText-v0", "cql-prior", 0, agent_kwargs={"llm": PRIOR, "checkpoint": str(out / "q.pt")}
    )
    assert result.length >= 1
    with pytest.raises(ValueError, match="holds a cql-prior agent, not dqn"):
        run_episode("FrozenLakeText-v0", "dqn", 0, agent_kwargs={"checkpoint": str(out / "q.pt")})


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agent", "cql-prior", "--samples", "5"], "needs --prior"),
        (["--agent", "dqn", "--prior", PRIOR, "--samples", "5"], "leave out --prior"),
        (["--agent", "dqn-prior", "--prior", "nope:x", "--samples", "5"], "not a usable language-model spec"),
        (["--agent", "dqn", "--samples", "-1"], "must be >= 1"),
        (["--agent", "cql", "--samples", "5", "--dataset", "/no/such/file"], "no such file"),
        (["--agent", "dqn", "--samples", "5", "--gradient-steps", "3"], "offline agents"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    code = main(["train", "prior", "--env", "FrozenLakeText-v0", "--out", str(tmp_path / "x"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_cli_refuses_an_env_without_named_actions(tmp_path, capsys):
    code = main(
        [
            "train",
            "prior",
            "--env",
            "MacroLeader-v1",
            "--agent",
            "dqn",
            "--samples",
            "5",
            "--out",
            str(tmp_path / "x"),
        ]
    )
    assert code == 2 and "action_names" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- leaderboard
def test_leaderboard_runs_the_prior_agents_from_a_stored_replayable_transcript(tmp_path):
    from tactica.leaderboard import ResultStore, build_plan, run_jobs
    from tactica.leaderboard.suites import Suite

    transcript = tmp_path / "prior-calls.jsonl"
    suite = Suite("custom", episodes=2, env_ids=("FrozenLakeText-v0",), quick=True)
    tables = []
    for llm in (f"record:{transcript}={PRIOR}", f"replay:{transcript}"):
        plan = build_plan(suite, llm=llm)
        agents = {p.agent for p in plan.pairings}
        assert {"dqn-prior", "cql-prior", "ppo-prior"} <= agents
        with ResultStore(tmp_path / f"{len(tables)}.sqlite") as store:
            summary = run_jobs(plan.jobs(), store)
            assert summary.ok, summary.errors
            tables.append(
                {(r.agent, r.seed): r.returns for r in store.records() if r.agent.endswith("-prior")}
            )
    assert transcript.is_file() and tables[0] == tables[1] and len(tables[0]) == 6


def test_onuw_prior_plays_the_tactic_the_prior_proposes():
    from tactica.agents.llm_prior.onuw import TACTIC_NAMES
    from tactica.llm.scripted import ScriptedChatModel
    from tactica.rollout import run_episode

    model = ScriptedChatModel(lambda messages: "honest accusation")
    result = run_episode(
        "ONUW-v1", "onuw-prior", 0, env_kwargs={"preset": "5p"}, agent_kwargs={"llm": model, "use_q": False}
    )
    assert result.length > 0 and model.calls
    assert "honest accusation" in TACTIC_NAMES
    assert "Legal actions:\n- honest evidence" in model.calls[0][-1]["content"]


def test_runs_trained_together_match_runs_trained_alone(tmp_path):
    import torch

    first = cql_prior.train(
        cql_prior.Args(
            prior=None,
            samples=300,
            gradient_steps=5,
            eval_every=5,
            eval_episodes=1,
            run_dir=str(tmp_path / "data"),
        )
    )
    data = str(tmp_path / "data" / "dataset.npz")
    shared = dict(dataset=data, gradient_steps=30, eval_every=30, eval_episodes=1)
    specs = [
        cql_prior.Args(prior=None, samples=300, seed=3, run_dir=str(tmp_path / "alone"), **shared),
        cql_prior.Args(prior=PRIOR, samples=120, seed=4, **shared),
    ]
    cql_prior.train(specs[0])
    specs[0].run_dir = str(tmp_path / "together")
    together = cql_prior.train_many(specs)
    alone = torch.load(tmp_path / "alone" / "q.pt", weights_only=True)
    batched = torch.load(tmp_path / "together" / "q.pt", weights_only=True)
    assert first["samples"] == 300 and together[1]["samples"] == 120
    for name, tensor in alone.items():
        assert torch.allclose(tensor, batched[name], atol=1e-5), name
    with pytest.raises(ValueError, match="must share gamma"):
        cql_prior.train_many([cql_prior.Args(gamma=0.9), cql_prior.Args(gamma=0.99)])
