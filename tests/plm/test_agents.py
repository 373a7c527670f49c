"""An agent that takes a ChatModel plays with the ``plm:`` backend (in-process runtime)."""

from __future__ import annotations

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers the environments)
from tactica.agents import make as make_agent
from tactica.agents import registry as agent_registry
from tactica.llm.plm import save_model

from .conftest import random_model, tiny_config


@pytest.mark.slow
def test_chain_of_summarization_agent_runs_on_plm(tmp_path, tokenizer):
    if "cos" not in agent_registry():
        pytest.skip("the cos agent is not registered")
    # TextSC2 prompts are a few thousand tokens of this small BPE; give the model room for them
    model = random_model(tiny_config(vocab_size=tokenizer.vocab_size, max_position_embeddings=16384), seed=3)
    save_model(model, tmp_path / "ckpt", tokenizer=tokenizer)
    env = gym.make("TextSC2-v1", difficulty="VeryEasy", time_limit_s=120)
    agent = make_agent("cos", action_space=env.action_space, llm=f"plm:{tmp_path / 'ckpt'}")
    obs, info = env.reset(seed=0)
    agent.reset(0)
    for _ in range(3):  # the first step asks the model for a plan
        action = agent.act(obs, info)
        assert env.action_space.contains(action)
        obs, _, terminated, truncated, info = env.step(action)
        assert not (terminated or truncated)
    assert len(agent.log) >= 1  # the model was asked, and its (random) answer was parsed


def test_a_checkpoints_generation_config_gives_its_default_temperature(checkpoint_dir, tmp_path):
    import json
    import shutil

    from tactica.llm import default_temperature, from_spec

    plain = from_spec(f"plm:{checkpoint_dir}")
    assert plain.default_temperature == 0.0  # no generation_config.json: greedy
    directory = tmp_path / "sampling"
    shutil.copytree(checkpoint_dir, directory)
    (directory / "generation_config.json").write_text(json.dumps({"temperature": 0.8, "top_k": 1}))
    model = from_spec(f"plm:{directory}")
    assert model.default_temperature == 0.8
    recorded = from_spec(f"record:{tmp_path / 'calls.jsonl'}=plm:{directory}")
    assert default_temperature(recorded) == 0.8  # seen through the recording wrapper
    messages = [{"role": "user", "content": "Count from one."}]
    # the file's top_k=1 applies when sampling: every sampled reply is the greedy one
    greedy = model.chat(messages, temperature=0.0, max_tokens=6)
    assert model.chat(messages, temperature=0.8, max_tokens=6, seed=1) == greedy
    assert model.chat(messages, temperature=0.8, max_tokens=6, seed=2) == greedy
