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
