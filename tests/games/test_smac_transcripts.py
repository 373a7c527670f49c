"""SMACProgram transcripts: LLM-SMAC's own calls, answered with measured decision-tree programs."""

from __future__ import annotations

import functools
import re

import pytest

from tactica.llm.games import smac


@pytest.fixture
def quick_labels(monkeypatch):
    """Label programs over 2 battles instead of 20 (the ranking logic is the same, the test is fast)."""
    quick = functools.cache(functools.partial(smac.measure.__wrapped__, battles=2))
    monkeypatch.setattr(smac, "measure", quick)


def test_variants_are_seeded_distinct_programs_of_each_family():
    from tactica.envs.smac.program_env import MAX_PROGRAM_CHARS

    for family in smac.FAMILIES:
        variants = smac.program_variants(family)
        sources = [v.source for v in variants]
        assert len(set(sources)) == len(sources) == smac.VARIANTS_PER_FAMILY
        assert sources == [v.source for v in smac.program_variants.__wrapped__(family)]  # seeded
        assert all(re.search(r"^def policy\(", s, re.MULTILINE) for s in sources)
        assert all(len(s) <= MAX_PROGRAM_CHARS for s in sources)
    with pytest.raises(ValueError, match="families"):
        smac.program_variants("rush")


def test_episode_is_the_agents_own_calls_with_labelled_programs(quick_labels):
    from tactica.agents.code_policy.agent import LLMSMACAgent, extract_program
    from tactica.envs.smac.program_env import SMACProgramEnv
    from tactica.llm.replay import ReplayChatModel

    examples = smac.record_episode("llm-smac", seed=4, episode=0, map_name="3m", explore=0.0)
    calls = [e.call for e in examples]
    assert calls[0] == "planner" and "coder" in calls and calls[-1] == "critic"
    assert examples[0].answer.startswith("### Tactic 1: ")
    for example in examples:
        assert example.messages[0]["role"] == "system" and example.label["map_name"] == "3m"
        if example.call == "coder":
            assert extract_program(example.answer) is not None
            assert 0.0 <= example.label["win_rate"] <= 1.0 and example.label["program"].count("#") == 1
            assert {"damage_dealt", "damage_taken", "allies_left", "attempt_win_rate"} <= set(example.label)
        if example.call == "critic":
            assert example.answer.rstrip().endswith(("[Improve Tactic]", "[Change Tactic]"))
    # replaying the answers through a fresh agent asks exactly the recorded prompts, in order
    replay = ReplayChatModel([{"messages": e.messages, "response": e.answer} for e in examples])
    LLMSMACAgent(replay).solve(SMACProgramEnv(map_name="3m", episodes_per_step=10), seed=4)
    assert replay.position == len(examples)


def test_the_best_measured_program_is_written_first(quick_labels):
    ranked = smac.ranked_variants("3m")
    keys = [smac.outcome_key(stats) for _, stats in ranked]
    assert keys == sorted(keys, reverse=True)
    home = smac.ranked_variants("3m", home_first=True)
    home_keys = [(stats["win_rate"], v.family == "focus_fire", smac.outcome_key(stats)) for v, stats in home]
    assert home_keys == sorted(home_keys, reverse=True)  # win rate, then the map's own family
    examples = smac.record_episode("llm-smac", seed=1, episode=0, map_name="3m", explore=0.0)
    first = next(e for e in examples if e.call == "coder")
    assert smac.outcome_key(first.label) == keys[0] and first.expert


def test_wrong_agent_and_coder_rule_are_refused():
    with pytest.raises(ValueError, match="llm-smac"):
        smac.record_episode("cos", seed=0, episode=0)
    with pytest.raises(ValueError, match="coder must be one of best, plan"):
        smac.record_episode("llm-smac", seed=0, episode=0, coder="family")


def test_every_expert_program_implements_the_plan_in_its_prompt():
    # Seed 0 on 8m: the best program (spread_fire#0) won 9 of the environment's 10 battles, and the default
    # expert went on to write focus_fire and medivac_support programs under the "Focus fire without overkill"
    # plan, all marked as expert answers; a model trained on them learnt to ignore the plan.  coder="plan"
    # writes the plan's programs only.
    examples = smac.record_episode("llm-smac", seed=0, episode=0, map_name="8m", explore=0.0, coder="plan")
    coder = [e for e in examples if e.call == "coder"]
    assert len(coder) >= 3  # the first program fell short, so the expert wrote more
    for example in coder:
        planned = smac._planned_family(example.messages[-1]["content"])
        assert example.label["program"].split("#")[0] == planned == "spread_fire"
    assert coder[0].label["program"] == "spread_fire#0"


def test_the_coder_answer_is_decided_by_its_prompt(quick_labels):
    import numpy as np

    from tactica.agents.code_policy import prompts

    expert = smac._SMACExpert("3m", np.random.default_rng(0), explore=0.0, coder="plan")
    kiting = [v for v in expert.order if v.family == "kiting"]

    def coder_prompt(previous=None):
        shown = (
            ""
            if previous is None
            else f"\nYour previous program:\n```python\n{previous.source.strip()}\n```\nCritic's advice: keep it.\n"
        )
        return [
            {
                "role": "user",
                "content": prompts.CODER.format(task="TASK", plan=smac.plan_text("kiting"), previous=shown),
            }
        ]

    def written(messages):
        return expert._program(messages)[0]

    assert written(coder_prompt()) == written(coder_prompt()) == smac._code(kiting[0].source)
    # after each variant the next in the family's ranking, after the last the best again
    for before, after in zip(kiting, kiting[1:] + kiting[:1]):
        assert written(coder_prompt(before)) == smac._code(after.source)
    other = next(v for v in expert.order if v.family == "focus_fire")
    assert written(coder_prompt(other)) == smac._code(kiting[0].source)


def test_family_variants_keeps_each_familys_best_programs(quick_labels):
    import numpy as np

    every = smac._SMACExpert("3m", np.random.default_rng(0), explore=0.0, coder="plan")
    two = smac._SMACExpert("3m", np.random.default_rng(0), explore=0.0, coder="plan", family_variants=2)
    for family in smac.FAMILIES:
        ranked = [v.name for v, _ in every.ranked if v.family == family]
        assert [v.name for v, _ in two.ranked if v.family == family] == ranked[:2]
    assert two.family == every.family  # the planned family is the best program's, kept either way
    assert two.stats == every.stats  # labels still come from every variant's measurement
    # the plan's programs cycle through the two kept variants only
    examples = smac.record_episode(
        "llm-smac", seed=0, episode=0, map_name="8m", explore=0.0, coder="plan", family_variants=2
    )
    coder = [e for e in examples if e.call == "coder"]
    assert len(coder) >= 3 and len({e.label["program"] for e in coder}) == 2
    for example in coder:
        planned = smac._planned_family(example.messages[-1]["content"])
        assert example.label["program"].split("#")[0] == planned


@pytest.mark.parametrize("count", [0, 9, 1.5, True, "2"])
def test_family_variants_out_of_range_is_refused(count):
    with pytest.raises(ValueError, match="family_variants must be an integer from 1 to 8"):
        smac.record_episode("llm-smac", seed=0, episode=0, family_variants=count)
