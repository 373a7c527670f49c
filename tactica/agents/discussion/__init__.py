"""The RL-instructed discussion agent of Jin et al. (NeurIPS 2024) for ``ONUW-v0``, and its baselines.

Made by name: ``tactica.agents.make("onuw-rl", llm=None)`` (CQL tactic policy), ``"onuw-random-tactic"``,
``"onuw-honest"``, ``"onuw-belief"``.  Training: ``python -m tactica.agents.discussion.train all``.
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

__all__ = [
    "AlwaysHonest",
    "BeliefOnly",
    "DiscussionAgent",
    "RandomTactic",
    "RLTactic",
    "make_belief_agent",
    "make_honest_agent",
    "make_random_tactic_agent",
    "make_rl_agent",
]
