"""Transcript corpora: the agents' own messages, expert answers their parsers read, dedup and episode split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactica.llm.games.corpus import Example, heldout_path, read_corpus, split_episodes, write_corpus
from tactica.llm.games.transcripts import episode_options, record_examples


def _example(episode: int, answer: str = "a", expert: bool = True) -> Example:
    return Example([{"role": "user", "content": f"q{episode}"}], answer, "call", episode, expert=expert)


def test_split_holds_out_whole_episodes_by_seed():
    held = split_episodes(20, 0.1, seed=3)
    assert held == split_episodes(20, 0.1, seed=3) and len(held) == 2
    assert split_episodes(20, 0.1, seed=4) != held or split_episodes(20, 0.1, seed=5) != held
    assert split_episodes(1, 0.5, seed=0) == [] and split_episodes(5, 0.0, seed=0) == []
    assert split_episodes(3, 0.9, seed=0).__len__() == 2  # at least one episode stays for training
    with pytest.raises(ValueError, match="heldout_fraction"):
        split_episodes(5, 1.0, seed=0)


def test_write_corpus_dedups_and_keeps_heldout_unseen(tmp_path):
    held = split_episodes(4, 0.25, seed=0)[0]
    train_episode = next(e for e in range(4) if e != held)
    examples = [_example(e) for e in range(4)]
    examples.append(_example(train_episode))  # an exact duplicate
    same_prompt = Example([{"role": "user", "content": f"q{train_episode}"}], "a", "call", held)
    examples.append(same_prompt)  # the held-out episode repeats a training example: dropped from held-out
    examples.append(_example(train_episode, "b", expert=False))
    summary = write_corpus(examples, tmp_path / "c.jsonl", env_id="E", agent="A", episodes=4,
                           heldout_fraction=0.25, seed=0)  # fmt: skip
    assert heldout_path(tmp_path / "c.jsonl") == tmp_path / "c.heldout.jsonl"
    assert summary.duplicates == 2 and summary.not_expert == 1
    assert summary.train_examples == 4 and summary.heldout_examples == 1
    records = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert records[0]["messages"][-1] == {"role": "assistant", "content": "a"}
    assert {r["meta"]["split"] for r in records} == {"train"}
    assert len(read_corpus(tmp_path / "c.jsonl")) == 3  # the exploration answer is not a training target
    assert len(read_corpus(tmp_path / "c.jsonl", experts_only=False)) == 4


def test_list_options_are_cycled_over_episodes():
    assert episode_options({"preset": ["a", "b"]}, {}, 3) == {"preset": "b"}
    assert episode_options({"preset": ["a", "b"]}, {"preset": "c", "x": [1, 2, 3]}, 4) == {
        "preset": "c",
        "x": 2,
    }
    with pytest.raises(ValueError, match="empty"):
        episode_options({}, {"x": []}, 0)


def test_onuw_transcripts_are_the_agents_own_calls(tmp_path):
    """Replaying the expert's answers through the agent reproduces every call exactly (same messages)."""
    from tactica.agents.discussion.agent import make_rl_agent
    from tactica.agents.discussion.selfplay import Setting, play_game
    from tactica.llm.replay import ReplayChatModel

    examples = record_examples("ONUW-v1", "onuw-rl", 1, seed=5, options={"preset": "5p"})
    assert len(examples) == 15 and {e.call for e in examples} == {"speech"}
    seed = examples[0].seed
    replay = ReplayChatModel([{"messages": e.messages, "response": e.answer} for e in examples])
    players = [make_rl_agent(llm=replay, seed=seed * 16 + p) for p in range(5)]
    play_game(Setting.from_preset("5p"), players, np.random.default_rng(seed), record_states=False)
    assert replay.position == len(examples)  # every call matched the recording, in order
    content = examples[0].messages[-1]["content"]
    assert "The content of your speech:" in content and "Say it in your own words." in content


def test_onuw_decision_answers_parse(tmp_path):
    from tactica.agents.discussion.listeners import extract_json, parse_belief_json

    examples = record_examples("ONUW-v1", "onuw-llm-tactic", 1, seed=2, options={"preset": "5p"})
    calls = {e.call for e in examples}
    assert {"belief", "tactic", "speech", "vote"} <= calls
    for example in examples:
        data = extract_json(example.answer)
        assert isinstance(data, dict)
        if example.call == "tactic":
            assert data["strategy"] in {
                "honest_evidence", "deceptive_evidence", "honest_accusation", "deceptive_accusation",
                "honest_defense", "deceptive_defense",
            }  # fmt: skip
        if example.call == "vote":
            assert data["player"].startswith("Player ")
        if example.call == "belief":
            rows = parse_belief_json(example.answer, 5, _roles())
            assert all(row is not None for row in rows)


def test_onuw_paper_setting_records_the_paper_tables_calls():
    """``others=belief``: Player 3 plays the agent, the others the LLM Belief agent, exactly as
    ``benchmarks/onuw_paper_table.py`` seats them, so replaying the corpus there asks the recorded prompts."""
    from tactica.agents.discussion.paper_agents import PaperAgent
    from tactica.agents.discussion.selfplay import Setting, play_game
    from tactica.llm.replay import ReplayChatModel

    options = {"preset": "3p", "others": "belief"}
    examples = record_examples("ONUW-v1", "onuw-llm-tactic", 1, seed=3, options=options)
    assert {e.call for e in examples} >= {"belief", "tactic", "speech", "vote"}
    seed = examples[0].seed
    replay = ReplayChatModel([{"messages": e.messages, "response": e.answer} for e in examples])
    players = [PaperAgent("llm-tactic" if p == 2 else "belief", replay, seed=seed * 16 + p) for p in range(3)]
    play_game(Setting.from_preset("3p"), players, np.random.default_rng(seed), record_states=False)
    assert replay.position == len(examples)
    tactic_prompts = [e.messages[-1]["content"] for e in examples if e.call == "tactic"]
    assert tactic_prompts and all(p.startswith("You are Player 3 ") for p in tactic_prompts)
    with pytest.raises(ValueError, match="others must be"):
        record_examples("ONUW-v1", "onuw-react", 1, options={"others": "random"})


def _roles():
    from tactica.envs.onuw.presets import PAPER_DECK_5P

    return tuple(dict.fromkeys(sorted(PAPER_DECK_5P)))


def test_textsc2_answers_are_what_the_agent_then_plays():
    """The look-ahead copy is exact: the decisions the expert answered are the actions the agent executes."""
    import gymnasium as gym

    from tactica.agents import make
    from tactica.envs.textsc2.actions import ACTIONS
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm.games.corpus import ExpertModel
    from tactica.llm.games.textsc2 import ExpertLookahead

    env = gym.make("TextSC2-v1", difficulty=1)
    expert = make("textsc2-expert", action_space=env.action_space)
    model = ExpertModel(lambda messages, call="decisions": lookahead(messages, call))
    agent = make("cos", action_space=env.action_space, llm=model)
    lookahead = ExpertLookahead(env, expert, agent)
    observation, info = env.reset(seed=11)
    played = []
    for _ in range(60):
        lookahead.observation, lookahead.info = observation, info
        action = agent.act(observation, info)
        played.append(action)
        observation, _, terminated, truncated, info = env.step(action)
    assert len(model.examples) == 6
    for k, example in enumerate(model.examples):
        decided = parse_decisions(example.answer).actions
        window = played[10 * k : 10 * k + 10]
        assert [a for a in window if a != ACTIONS.index("EMPTY ACTION")] == [
            a for a in decided if a != ACTIONS.index("EMPTY ACTION")
        ]
        assert example.messages[-1]["content"].startswith("chunk0: ")


def test_textsc2_episode_is_labelled_with_its_result():
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm.games.textsc2 import record_episode

    examples = record_episode("cos", seed=3, episode=2, difficulty=1, time_limit_s=120.0)
    assert examples and {e.call for e in examples} == {"decisions"}
    assert all(e.episode == 2 and e.seed == 3 for e in examples)
    label = examples[0].label
    assert label["difficulty"] == 1 and label["result"] in {"Victory", "Defeat", "Tie"} and label["steps"] > 0
    assert all(parse_decisions(e.answer).actions for e in examples)
    with pytest.raises(ValueError, match="cos"):
        record_episode("llm-smac", seed=0, episode=0)


def test_textsc2_compact_answers_list_the_expert_actions_in_order():
    """A compact answer names only the actions the expert takes in the window (one EMPTY ACTION when none)."""
    from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm.games.textsc2 import answer_actions, record_episode

    probe, pylon = ACTIONS.index("TRAIN PROBE"), ACTIONS.index("BUILD PYLON")
    slots = [EMPTY_ACTION, probe, EMPTY_ACTION, pylon, EMPTY_ACTION]
    assert answer_actions(slots) == slots
    assert answer_actions(slots, "compact") == [probe, pylon]
    assert answer_actions([EMPTY_ACTION] * 5, "compact") == [EMPTY_ACTION]
    with pytest.raises(ValueError, match="slots, compact"):
        answer_actions(slots, "dense")
    with pytest.raises(ValueError, match="slots, compact"):
        record_episode("cos", seed=0, episode=0, answer="dense")
    examples = record_episode("cos", seed=3, episode=0, difficulty=1, answer="compact", time_limit_s=120.0)
    answers = [parse_decisions(e.answer).actions for e in examples]
    assert answers[0] == [probe]  # the opening: a Probe at once, then wait for money
    assert all(a == [EMPTY_ACTION] or EMPTY_ACTION not in a for a in answers)
    assert any(len(a) > 1 for a in answers)


def test_textsc2_explore_drops_played_actions_but_answers_stay_the_expert():
    """With explore=p the agent's actions are dropped with probability p (the game drifts), and each call is
    still answered by the look-ahead expert from the state it was asked in."""
    from tactica.envs.textsc2.actions import EMPTY_ACTION
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm.games.textsc2 import play_episode, record_episode

    with pytest.raises(ValueError, match="explore"):
        play_episode(0, 1, explore=1.0)
    plain = record_episode("cos", 3, 0, difficulty=1, answer="compact", time_limit_s=90.0)
    drifted = record_episode("cos", 3, 0, difficulty=1, answer="compact", explore=0.5, time_limit_s=90.0)
    assert drifted[0].label["explore"] == 0.5 and "explore" not in plain[0].label
    assert [e.messages for e in drifted] != [e.messages for e in plain]  # the game went elsewhere
    assert all(parse_decisions(e.answer).actions for e in drifted)
    assert any(EMPTY_ACTION not in parse_decisions(e.answer).actions for e in drifted)


def test_textsc2_policy_plays_while_the_expert_labels():
    """DAgger's collection: with policy=MODEL the agent plays the model's answers (here a model that never acts,
    so no Pylon is ever built and supply runs out), and every example's target is still the look-ahead expert's
    answer from the state the call was made in; with beta=1 the expert's answers are played (the plain game)."""
    from tactica.envs.textsc2.actions import ACTIONS
    from tactica.envs.textsc2.decisions import parse_decisions
    from tactica.llm.games.textsc2 import PolicyPlays, record_episode
    from tactica.llm.scripted import ScriptedChatModel

    idle = ScriptedChatModel(["Decisions:\n0: <EMPTY ACTION>\n"], cycle=True)
    with pytest.raises(ValueError, match="beta"):
        PolicyPlays(idle, "compact", beta=1.5, temperature=0.0, seed=0)
    plain = record_episode("cos", 3, 0, difficulty=1, answer="compact", time_limit_s=60.0)
    idled = record_episode("cos", 3, 0, difficulty=1, answer="compact", policy=idle, time_limit_s=60.0)
    expert_played = record_episode(
        "cos", 3, 0, difficulty=1, answer="compact", policy=idle, beta=1.0, time_limit_s=60.0
    )
    assert idled[0].label["policy"] == idle.name and idled[0].label["beta"] == 0.0
    assert idled[0].label["temperature"] == 0.0 and "temperature" not in plain[0].label
    assert [e.answer for e in expert_played] == [e.answer for e in plain]
    assert [e.messages for e in idled] != [e.messages for e in plain]  # the idle model's game drifted
    pylon = ACTIONS.index("BUILD PYLON")
    # the idle game stays at 15 supply with money piling up: the expert keeps asking for the Pylon
    late = [e for e in idled if "- Supply used: 12" in e.messages[-1]["content"].split("chunk")[-1]]
    assert late and all(pylon in parse_decisions(e.answer).actions for e in late[-5:])
