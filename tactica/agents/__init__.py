"""Agents by name: ``tactica.agents.make("random", action_space=...)``.

The table below maps each agent name to a string entry point, imported only when the agent is made, so a paper
agent with heavy dependencies costs nothing until it is used.  Rooms add their agents with one ``register``
line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from tactica.agents.base import Agent, action_mask_of
from tactica.errors import UnknownIdError

__all__ = ["Agent", "AgentSpec", "action_mask_of", "make", "register", "registry"]


@dataclass(frozen=True)
class AgentSpec:
    """One agent name: its entry point, a one-line summary, and the env ids it plays (empty: any)."""

    name: str
    entry_point: str
    summary: str = ""
    env_ids: tuple[str, ...] = ()
    needs_llm: bool = False
    # keyword arguments the agent cannot play without (a trained checkpoint); the leaderboard leaves it out
    # unless they are given
    needs: tuple[str, ...] = ()


_AGENTS: dict[str, AgentSpec] = {}


def register(name: str, entry_point: str, **fields: Any) -> AgentSpec:
    """Add an agent name to the registry."""
    if name in _AGENTS:
        raise ValueError(f"agent {name!r} is already registered")
    agent_spec = AgentSpec(name=name, entry_point=entry_point, **fields)
    _AGENTS[name] = agent_spec
    return agent_spec


def registry() -> dict[str, AgentSpec]:
    """All registered agents by name (a copy)."""
    return dict(_AGENTS)


def make(name: str, **kwargs: Any) -> Agent:
    """Make the agent registered as ``name``; keyword arguments go to its constructor.

    Agents that take a language model accept ``llm=`` as a :class:`tactica.llm.ChatModel` or a spec string.
    """
    try:
        agent_spec = _AGENTS[name]
    except KeyError:
        raise UnknownIdError("agent", name, list(_AGENTS)) from None
    module_name, _, attr = agent_spec.entry_point.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(**kwargs)


register(
    "random",
    "tactica.agents.random_agent:RandomAgent",
    summary="uniformly random among legal actions (mask-aware); plays every environment",
)

register(
    "macro-free-market",
    "tactica.baselines.macro.government:FreeMarket",
    summary="MacroSMFG government baseline: no income or wealth tax, no spending",
    env_ids=("MacroSMFG-v1", "MacroLeader-v1"),
)
register(
    "macro-bracket",
    "tactica.baselines.macro.government:BracketGovernment",
    summary="MacroSMFG government baseline: 2022 US federal brackets, debt-stabilising spending (income_tax='brackets')",
    env_ids=("MacroSMFG-v1", "MacroLeader-v1"),
)
register(
    "macro-saez",
    "tactica.baselines.macro.government:SaezGovernment",
    summary="MacroSMFG government baseline: Saez-formula bracket rates from the income quantiles (income_tax='brackets')",
    env_ids=("MacroSMFG-v1", "MacroLeader-v1"),
)
register(
    "macro-rule-households",
    "tactica.baselines.macro.households:RuleHouseholds",
    summary="MacroSMFG households: wealth-target savings and first-order-condition hours, for all N at once",
    env_ids=("MacroSMFG-v1",),
)
register(
    "macro-fixed-households",
    "tactica.baselines.macro.households:FixedHouseholds",
    summary="MacroSMFG households: a fixed savings ratio and hours share for all N",
    env_ids=("MacroSMFG-v1",),
)
register(
    "sb3",
    "tactica.baselines.sb3:SB3Agent",
    summary="a Stable-Baselines3 policy trained by `tactica train sb3 ID` (needs model=PATH); single-agent envs",
)
register(
    "textsc2-expert",
    "tactica.baselines.textsc2.expert:TextSC2Expert",
    summary="scripted Protoss macro player for TextSC2-v1 that adapts to what it scouts",
    env_ids=("TextSC2-v1",),
)
register(
    "cos",
    "tactica.agents.summarization.cos:ChainOfSummarizationAgent",
    summary="Chain of Summarization (Ma et al. 2023): L1/L2 summaries and 5 decisions per LLM call, TextSC2-v1",
    env_ids=("TextSC2-v1",),
    needs_llm=True,
)
register(
    "fiber-fusion",
    "tactica.agents.fiber.agents:FusionAgent",
    summary="multi-view (space-time, spectrogram, statistics) fusion network: event class + radial distance bin",
    env_ids=("FiberStream-v1",),
)
register(
    "fiber-cusum",
    "tactica.agents.fiber.agents:CusumAgent",
    summary="energy CUSUM detector: alarms as a threat, distance bin from calibrated energy levels",
    env_ids=("FiberStream-v1",),
)
register(
    "fiber-features",
    "tactica.agents.fiber.agents:FeatureAgent",
    summary="softmax regression on hand-crafted DAS features (BJTU statistics, band energies, footprint)",
    env_ids=("FiberStream-v1",),
)
register(
    "onuw-rl",
    "tactica.agents.discussion.agent:make_rl_agent",
    summary="RL-instructed ONUW discussion agent (Jin et al. 2024): belief -> CQL tactic policy -> speech (LLM optional)",
    env_ids=("ONUW-v1",),
)
register(
    "onuw-random-tactic",
    "tactica.agents.discussion.agent:make_random_tactic_agent",
    summary="ONUW discussion agent choosing one of the six tactics uniformly (the paper's Random ablation)",
    env_ids=("ONUW-v1",),
)
register(
    "onuw-honest",
    "tactica.agents.discussion.agent:make_honest_agent",
    summary="ONUW discussion agent that always speaks honestly (evidence, then accusation or defense)",
    env_ids=("ONUW-v1",),
)
register(
    "onuw-belief",
    "tactica.agents.discussion.agent:make_belief_agent",
    summary="ONUW discussion agent without tactics: names whom its belief suspects (the paper's Belief ablation)",
    env_ids=("ONUW-v1",),
)
register(
    "onuw-react",
    "tactica.agents.discussion.paper_agents:make_react_agent",
    summary="ONUW LLM-only agent (the paper's ReAct baseline): the LLM decides and speaks, no belief step or tactic",
    env_ids=("ONUW-v1",),
)
register(
    "onuw-llm-tactic",
    "tactica.agents.discussion.paper_agents:make_llm_tactic_agent",
    summary="ONUW LLM-instructed agent: the LLM picks one of the six tactics, then speaks (GPT-4 frequencies w/o LLM)",
    env_ids=("ONUW-v1",),
)
register(
    "llm-smac",
    "tactica.agents.code_policy.agent:LLMSMACAgent",
    summary="LLM-SMAC planner/coder/critic writing decision-tree programs for SMACProgram-v3",
    env_ids=("SMACProgram-v3",),
    needs_llm=True,
)
register(
    "smfrl",
    "tactica.agents.smfrl.agent:SMFRLGovernment",
    summary="Stackelberg mean-field RL leader for MacroSMFG-v1 (checkpoint= a run of tactica.agents.smfrl.train)",
    env_ids=("MacroSMFG-v1", "MacroLeader-v1"),
    needs=("checkpoint",),
)
register(
    "smfrl-households",
    "tactica.agents.smfrl.agent:SMFRLHouseholds",
    summary="Stackelberg mean-field RL shared follower policy for all N households (checkpoint= a training run)",
    env_ids=("MacroSMFG-v1",),
    needs=("checkpoint",),
)
_PRIOR_ENVS = ("FrozenLakeText-v0", "TextSC2-v1")
register(
    "dqn-prior",
    "tactica.agents.llm_prior.agent:make_dqn_prior",
    summary="DQN-Prior (Yan et al. 2025): posterior over an LLM prior's k proposals, Q from `tactica train prior`",
    env_ids=_PRIOR_ENVS,
    needs_llm=True,
)
register(
    "cql-prior",
    "tactica.agents.llm_prior.agent:make_cql_prior",
    summary="CQL-Prior (Yan et al. 2025): offline conservative Q over an LLM prior's proposals, posterior mode",
    env_ids=_PRIOR_ENVS,
    needs_llm=True,
)
register(
    "ppo-prior",
    "tactica.agents.llm_prior.agent:make_ppo_prior",
    summary="PPO with an exact KL penalty to an LLM prior (the variational form of LLM-prior RL)",
    env_ids=_PRIOR_ENVS,
    needs_llm=True,
)
register(
    "dqn",
    "tactica.agents.llm_prior.agent:make_dqn",
    summary="DQN over every legal named action (the LLM-prior baseline; checkpoint= from `tactica train prior`)",
    env_ids=_PRIOR_ENVS,
    needs=("checkpoint",),
)
register(
    "cql",
    "tactica.agents.llm_prior.agent:make_cql",
    summary="discrete CQL over every legal named action (the LLM-prior baseline; checkpoint= from `tactica train prior`)",
    env_ids=_PRIOR_ENVS,
    needs=("checkpoint",),
)
register(
    "onuw-prior",
    "tactica.agents.llm_prior.onuw:make_onuw_prior_agent",
    summary="ONUW discussion agent whose tactic is the posterior of an LLM prior and the shipped CQL tactic Q",
    env_ids=("ONUW-v1",),
    needs_llm=True,
)
