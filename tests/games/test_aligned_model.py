"""The shipped aligned game model ``plm:games-aligned`` loads with no download and answers the agents' prompts."""

from __future__ import annotations

import gymnasium as gym

import tactica.envs  # noqa: F401  (registers TextSC2)
from tactica.agents import make
from tactica.envs.textsc2.decisions import parse_decisions
from tactica.llm import from_spec
from tactica.llm.plm.checkpoint import resolve_checkpoint


class _FirstPrompt:
    """A chat model that keeps the messages of the first call and waits."""

    name = "capture"

    def __init__(self):
        self.messages = None

    def chat(self, messages, **_):
        self.messages = self.messages or list(messages)
        return "Decisions:\n0: <EMPTY ACTION>\n"


def test_the_aligned_model_is_installed_and_answers_a_textsc2_prompt_with_decisions():
    folder = resolve_checkpoint("games-aligned")
    assert sum(f.stat().st_size for f in folder.iterdir()) < 50 * 2**20  # the 50 MB bound
    env = gym.make("TextSC2-v1", difficulty=4)
    capture = _FirstPrompt()
    agent = make("cos", action_space=env.action_space, observation_space=env.observation_space, llm=capture)
    agent.reset(seed=0)
    observation, info = env.reset(seed=0)
    agent.act(observation, info)
    env.close()
    reply = from_spec("plm:games-aligned").chat(capture.messages, temperature=0.0, max_tokens=120)
    assert reply.startswith("Decisions:") and parse_decisions(reply).actions, reply
