"""The prior: proposals mapped to legal actions, the cache (never two calls for one key), transcripts, the
scripted expert prior."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactica.agents.llm_prior.expert_prior import ExpertPriorChatModel, parse_textsc2_summary
from tactica.agents.llm_prior.prior import (
    ActionPrior,
    KeyedReplay,
    PriorSampling,
    build_prompt,
    match_action_name,
    parse_prompt,
)
from tactica.agents.llm_prior.views import make_view
from tactica.llm import ChatModelError, from_spec

NAMES = ("move left", "move down", "move right", "move up")
ALL = np.ones(4, dtype=bool)


class CountingModel:
    """Replies with the action named by a function of (call number); records every call."""

    name = "counting"

    def __init__(self, replies=("move down",)):
        self.replies = list(replies)
        self.calls: list[dict] = []

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        self.calls.append({"messages": messages, "temperature": temperature, "seed": seed})
        return self.replies[(len(self.calls) - 1) % len(self.replies)]


def _prior(model, **sampling) -> ActionPrior:
    return ActionPrior(model, "Play.", NAMES, PriorSampling(**sampling))


def test_the_cache_never_calls_the_model_twice_for_the_same_text_and_sampling():
    model = CountingModel(["move down", "move right"])
    prior = _prior(model, k=3, seed=7)
    first = prior.proposals("state A", ALL)
    assert len(model.calls) == 3 and [c["seed"] for c in model.calls] == [7, 8, 9]
    for _ in range(5):
        assert prior.proposals("state A", ALL) == first
    assert len(model.calls) == 3 and prior.cache_hits == 5 and prior.llm_calls == 3
    prior.proposals("state B", ALL)  # a new observation text: k new calls
    assert len(model.calls) == 6
    prior.proposals("state A", np.array([True, True, False, True]))  # other legal actions: another prompt
    assert len(model.calls) == 9
    # other sampling parameters are another key, even over a shared cache
    other = ActionPrior(model, "Play.", NAMES, PriorSampling(k=3, seed=7, temperature=0.5), cache=prior.cache)
    other.proposals("state A", ALL)
    assert len(model.calls) == 12
    same = ActionPrior(model, "Play.", NAMES, PriorSampling(k=3, seed=7), cache=prior.cache)
    assert same.proposals("state A", ALL) == first and len(model.calls) == 12


def test_agents_made_from_one_spec_share_the_cache():
    import tactica.agents as agents
    from tactica.envs.frozenlake.env import FrozenLakeTextEnv

    env = FrozenLakeTextEnv()
    spec = "expert:frozenlake?p=0.3"
    observation, info = env.reset(seed=0)
    first = agents.make(
        "dqn-prior", action_space=env.action_space, observation_space=env.observation_space, llm=spec
    )
    first.act(observation, info)
    assert first.llm_calls == 5
    second = agents.make(
        "cql-prior", action_space=env.action_space, observation_space=env.observation_space, llm=spec
    )
    second.act(observation, info)
    assert second.llm_calls == 0


def test_replies_map_to_legal_actions():
    assert match_action_name("move up", NAMES) == 3
    assert match_action_name("  Move UP.", NAMES) == 3
    assert match_action_name("I would move right to get closer to G.", NAMES) == 2
    assert match_action_name("mve dwn", NAMES) == 1  # fuzzy
    assert match_action_name("jump", NAMES) is None
    names = ("TRAIN PROBE", "TRAIN ZEALOT", "BUILD PYLON")
    assert match_action_name("Decision: BUILD PYLON, then TRAIN PROBE", names) == 2  # first of equal length
    assert match_action_name("<TRAIN ZEALOT>", names) == 1


def test_unmatched_replies_are_dropped_and_a_state_with_none_falls_back_to_every_legal_action():
    prior = _prior(CountingModel(["move up", "I do not know", "move up"]), k=3)
    assert prior.proposals("s", ALL) == (3, 3)
    assert prior.unmatched == 1
    lost = _prior(CountingModel(["???"]), k=2)
    legal = np.array([True, False, True, False])
    assert lost.proposals("s", legal) == (0, 2) and lost.fallbacks == 1
    assert lost.counts("s", legal).tolist() == [1.0, 0.0, 1.0, 0.0]


def test_prompt_round_trip():
    messages = build_prompt("Play.", "line one\nline two", ["move left", "move up"])
    assert parse_prompt(messages) == ("line one\nline two", ("move left", "move up"))
    with pytest.raises(ValueError, match="not an LLM-prior prompt"):
        parse_prompt([{"role": "user", "content": "hello"}])


def test_a_recorded_transcript_replays_by_key_in_any_order(tmp_path):
    transcript = tmp_path / "calls.jsonl"
    live = ActionPrior("expert:frozenlake?p=0.5", "Play.", NAMES, PriorSampling(k=4), record=transcript)
    texts = ["state one", "state two", "state three"]
    expected = {t: live.proposals(t, ALL) for t in texts}
    assert len(transcript.read_text().splitlines()) == 12
    replayed = ActionPrior(f"replay:{transcript}", "Play.", NAMES, PriorSampling(k=4))
    for text in reversed(texts):
        assert replayed.proposals(text, ALL) == expected[text]
    with pytest.raises(ChatModelError, match="not recorded"):
        replayed.proposals("state four", ALL)
    assert len(KeyedReplay.load(transcript)) == 12


def test_record_spec_appends_every_call(tmp_path):
    path = tmp_path / "t.jsonl"
    model = from_spec(f'record:{path}=scripted:["move up", "move down"]')
    model.chat([{"role": "user", "content": "a"}])
    model.chat([{"role": "user", "content": "b"}])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["response"] for r in records] == ["move up", "move down"]
    with pytest.raises(ValueError, match="record:<transcript.jsonl>=<spec>"):
        from_spec("record:no-spec-here")


# ---------------------------------------------------------------------------------------------- expert prior
def test_frozenlake_expert_prior_has_the_stated_quality():
    from tactica.envs.frozenlake.env import FrozenLakeTextEnv

    view = make_view("frozenlake")
    observation, _ = FrozenLakeTextEnv().reset(seed=0)
    messages = build_prompt(view.instruction, observation, NAMES)
    model = ExpertPriorChatModel("frozenlake", p=0.5)
    # from the start both "move down" and "move right" are on a shortest path
    assert model.action_probabilities(messages, NAMES) == pytest.approx([0.125, 0.375, 0.375, 0.125])
    replies = [model.chat(messages, temperature=1.0, seed=s) for s in range(4000)]
    frequencies = np.array([replies.count(n) for n in NAMES]) / len(replies)
    assert frequencies == pytest.approx([0.125, 0.375, 0.375, 0.125], abs=0.03)
    assert model.chat(messages, temperature=1.0, seed=3) == model.chat(messages, temperature=1.0, seed=3)
    assert model.chat(messages, temperature=0.0) in ("move down", "move right")
    with pytest.raises(ChatModelError, match="answers only"):
        model.chat([{"role": "user", "content": "hello"}])


def test_expert_prior_spec():
    model = from_spec("expert:frozenlake?p=0.25")
    assert model.p == 0.25 and model.name == "expert:frozenlake?p=0.25"
    for bad, message in (
        ("expert:chess?p=0.5", "task must be one of"),
        ("expert:frozenlake?p=1.5", r"in \[0, 1\]"),
        ("expert:frozenlake?q=1", "unknown option"),
    ):
        with pytest.raises(ValueError, match=message):
            from_spec(bad)


def test_textsc2_summary_parses_back_to_the_expert_observation():
    import gymnasium as gym

    import tactica  # noqa: F401
    from tactica.baselines.textsc2.expert import TextSC2Expert
    from tactica.envs.textsc2.actions import ACTIONS

    env = gym.make("TextSC2-v1", difficulty=1, step_loops=64, time_limit_s=240.0)
    expert = TextSC2Expert()
    observation, info = env.reset(seed=0)
    done = False
    while not done:
        legal = [ACTIONS[i] for i in np.flatnonzero(observation["action_mask"])]
        parsed = parse_textsc2_summary(observation["text"], legal)
        expert.reset()
        truth = expert.act(observation, info)
        expert.reset()
        assert expert.act(parsed) == truth
        assert parsed["resource"]["mineral"] == observation["resource"]["mineral"]
        observation, _, terminated, truncated, info = env.step(truth)
        done = terminated or truncated
