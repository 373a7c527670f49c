"""The discussion agents of Jin et al. (NeurIPS 2024) for ``ONUW-v1``, their baselines, and the listeners.

Made by name: ``tactica.agents.make("onuw-rl", llm=None)`` (CQL tactic policy), ``"onuw-react"`` (LLM-only),
``"onuw-llm-tactic"`` (the LLM picks the tactic), ``"onuw-random-tactic"``, ``"onuw-honest"``, ``"onuw-belief"``.
Every agent reads the words of other players' speeches with a listener (:mod:`.listeners`); the text-only entry
point is :func:`.listeners.beliefs_from_text`.  Training: ``python -m tactica.agents.discussion.train``.
"""

from tactica.agents.discussion.agent import (
    AlwaysHonest,
    BeliefOnly,
    DiscussionAgent,
    RandomTactic,
    RLTactic,
    make_belief_agent,
    make_honest_agent,
    make_random_tactic_agent,
    make_rl_agent,
)
from tactica.agents.discussion.listeners import (
    ListeningBelief,
    LLMListener,
    SpeechReading,
    TextReader,
    beliefs_from_text,
)
from tactica.agents.discussion.paper_agents import PaperAgent, make_llm_tactic_agent, make_react_agent

__all__ = [
    "AlwaysHonest",
    "BeliefOnly",
    "DiscussionAgent",
    "LLMListener",
    "ListeningBelief",
    "PaperAgent",
    "RandomTactic",
    "RLTactic",
    "SpeechReading",
    "TextReader",
    "beliefs_from_text",
    "make_belief_agent",
    "make_honest_agent",
    "make_llm_tactic_agent",
    "make_random_tactic_agent",
    "make_react_agent",
    "make_rl_agent",
]
