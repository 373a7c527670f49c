"""Suites expand against the registries at run time: agents per environment, options, seeds, notes."""

from __future__ import annotations

import pytest
from lb_toys import SLOW_TOY, TOY, toy_suite

import tactica
from tactica.leaderboard import SUITES, build_plan, resolve_suite
from tactica.leaderboard import suites as suites_module
from tactica.rollout import episode_seeds


def _pairs(plan):
    return [(p.env_id, p.agent, p.env_options, p.agent_kwargs) for p in plan.pairings]


@pytest.mark.slow
def test_every_registered_env_gets_rows_in_quick_and_default():
    # quick is checked (every env made with its quick options, every agent made for every seat)
    for name, check in (("quick", True), ("default", False)):
        plan = build_plan(name, llm="", check=check)
        assert set(plan.env_ids) == set(tactica.registry())
        for env_id in plan.env_ids:
            assert any(p.env_id == env_id and p.agent == "random" for p in plan.pairings)


def test_agents_that_decline_an_environment_are_left_out_with_their_reason():
    plan = build_plan(toy_suite(), llm="")
    assert "lb-picky" not in {p.agent for p in plan.pairings}
    (note,) = [n for n in plan.notes if "lb-picky" in n]
    assert (
        note
        == f"{TOY}: agent 'lb-picky' declines to play it, skipped (ValueError: picky plays only Discrete(2), got Discrete(6))"
    )
    assert "lb-picky" in {p.agent for p in build_plan(toy_suite(), llm="", check=False).pairings}


def test_agents_per_env_random_specific_and_baseline(monkeypatch):
    monkeypatch.delenv(suites_module.LLM_ENV_VAR, raising=False)
    plan = build_plan(toy_suite(ids=(TOY, "MarkovGame-v0")))
    agents_of = {env_id: [p.agent for p in plan.pairings if p.env_id == env_id] for env_id in plan.env_ids}
    assert agents_of[TOY][:1] == ["random"] and "lb-first" in agents_of[TOY]
    assert "lb-broken" not in agents_of[TOY]  # registered for another env only
    assert "lb-first" not in agents_of["MarkovGame-v0"]
    assert "lb-llm" not in agents_of[TOY]
    (note,) = [n for n in plan.notes if "LLM agents skipped" in n]
    assert "lb-llm" in note and "TACTICA_LLM" in note


def test_llm_agents_join_when_a_backend_is_configured(monkeypatch):
    monkeypatch.setenv(suites_module.LLM_ENV_VAR, 'scripted:["0"]')
    plan = build_plan(toy_suite())
    assert (TOY, "lb-llm", {}, {"llm": 'scripted:["0"]'}) in _pairs(plan)
    assert not any("LLM agents skipped" in n for n in plan.notes)


def test_quick_uses_first_conformance_options_and_explicit_table(monkeypatch):
    plan = build_plan(toy_suite(quick=True), llm="")
    assert {tuple(p.env_options.items()) for p in plan.pairings} == {(("difficulty", 0),)}
    monkeypatch.setitem(suites_module.QUICK_OPTIONS, TOY, {"difficulty": 3, "rounds": 2})
    plan = build_plan(toy_suite(quick=True), llm="")
    assert all(p.env_options == {"difficulty": 3, "rounds": 2} for p in plan.pairings)


def test_sweeps_give_one_row_per_value_and_a_note_when_unsupported(monkeypatch):
    monkeypatch.setitem(suites_module.SWEEPS, TOY, suites_module.Sweep("difficulty", (0, 2, 4)))
    monkeypatch.setitem(suites_module.SWEEPS, SLOW_TOY, suites_module.Sweep("no_such_option", (1, 2)))
    plan = build_plan(toy_suite(ids=(TOY, SLOW_TOY)), llm="")
    toy_options = [p.env_options for p in plan.pairings if p.env_id == TOY and p.agent == "random"]
    assert toy_options == [{"difficulty": 0}, {"difficulty": 2}, {"difficulty": 4}]
    assert [p.env_options for p in plan.pairings if p.env_id == SLOW_TOY and p.agent == "random"] == [{}]
    assert any("no 'no_such_option' option" in n for n in plan.notes)


def test_sb3_rows_come_from_trained_run_directories(tmp_path):
    plan = build_plan(toy_suite(), llm="", sb3_dir=tmp_path)
    assert not any(p.agent == "sb3" for p in plan.pairings)
    (note,) = [n for n in plan.notes if n.startswith("sb3 skipped")]
    assert TOY in note and "tactica train sb3" in note
    run = tmp_path / TOY / "ppo-seed0"
    run.mkdir(parents=True)
    (run / "model.zip").write_bytes(b"weights")
    plan = build_plan(toy_suite(), llm="", sb3_dir=tmp_path, check=False)  # a fake model: not loadable
    (sb3,) = [p for p in plan.pairings if p.agent == "sb3"]
    assert sb3.agent_kwargs == {"model": str(run / "model.zip")}
    # the model's content is part of the job key: retraining invalidates stored episodes
    import hashlib

    assert sb3.agent_version == hashlib.sha256(b"weights").hexdigest()[:16]


def test_jobs_use_episode_seeds_and_more_episodes_extend_the_same_keys():
    plan = build_plan(toy_suite(episodes=3), llm="")
    jobs = plan.jobs()
    per_pairing = len(jobs) // len(plan.pairings)
    assert per_pairing == 3
    assert [j.seed for j in jobs[:3]] == episode_seeds(0, 3)
    assert len({j.key for j in jobs}) == len(jobs)
    longer = plan.jobs(episodes=5)
    assert {j.key for j in jobs} < {j.key for j in longer}
    assert {j.key for j in plan.jobs(seed=1)}.isdisjoint({j.key for j in jobs})
    with pytest.raises(ValueError, match="episodes must be a positive integer"):
        plan.jobs(episodes=0)


def test_resolve_suite_names_and_id_lists():
    assert resolve_suite("quick") is SUITES["quick"]
    custom = resolve_suite(f" {TOY}, MarkovGame-v0 ")
    assert custom.env_ids == (TOY, "MarkovGame-v0") and custom.episodes == SUITES["default"].episodes
    assert resolve_suite([TOY]).env_ids == (TOY,)
    with pytest.raises(KeyError, match="did you mean 'MarkovGame-v0'"):
        resolve_suite("MarkovGam-v0")
    with pytest.raises(ValueError, match="quick"):
        resolve_suite(" , ")
    with pytest.raises(TypeError, match="suite must be"):
        resolve_suite(3)


def test_one_seat_baselines_play_beside_the_declared_partners():
    from tactica.rollout import run_episode

    plan = build_plan("MacroSMFG-v1", llm="")
    agents_in_plan = {p.agent for p in plan.pairings}
    assert {"macro-bracket", "macro-rule-households", "random"} <= agents_in_plan
    assert not any("declines" in note for note in plan.notes)
    options = {"num_households": 16, "horizon": 5, "income_tax": "brackets"}
    government = run_episode("MacroSMFG-v1", "macro-bracket", 3, env_kwargs=options)
    assert government.seats == ("government",)  # households were played by macro-rule-households
    assert government.mean_return == government.returns["government"]
    households = run_episode("MacroSMFG-v1", "macro-rule-households", 3, env_kwargs=options)
    assert households.seats == ("households",) and households.mean_return == households.returns["households"]
    both = run_episode("MacroSMFG-v1", "random", 3, env_kwargs=options)
    assert both.seats is None and both.mean_return == sum(both.returns.values()) / 2
