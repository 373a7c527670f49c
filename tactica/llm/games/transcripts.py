"""Record transcript corpora: ``record_transcripts("SMACProgram-v3", "llm-smac", episodes=50, out=...)``.

Each (environment, agent) pair has a recorder module with ``record_episode(agent, seed, episode, **options)``
and ``DEFAULT_OPTIONS``.  Options whose value is a list are cycled over the episodes (episode ``k`` uses item
``k % len``), so one run covers several levels, maps or deals; the defaults do that.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tactica.llm.games.corpus import CorpusSummary, Example, write_corpus

__all__ = ["RECORDERS", "recorder_for", "episode_options", "record_examples", "record_transcripts"]

#: environment id -> agent -> recorder module
RECORDERS: dict[str, dict[str, str]] = {
    "TextSC2-v1": {"cos": "tactica.llm.games.textsc2"},
    "SMACProgram-v3": {"llm-smac": "tactica.llm.games.smac"},
    "ONUW-v1": {name: "tactica.llm.games.onuw" for name in ("onuw-rl", "onuw-llm-tactic", "onuw-react")},
}


def recorder_for(env_id: str, agent: str):
    """The recorder module of (``env_id``, ``agent``); ``ValueError`` naming what is accepted otherwise."""
    if env_id not in RECORDERS:
        raise ValueError(f"no transcript recorder for {env_id!r}; environments: {', '.join(RECORDERS)}")
    agents = RECORDERS[env_id]
    if agent not in agents:
        raise ValueError(
            f"no transcript recorder for agent {agent!r} on {env_id}; agents: {', '.join(agents)}"
        )
    return importlib.import_module(agents[agent])


def episode_options(defaults: dict[str, Any], options: dict[str, Any], episode: int) -> dict[str, Any]:
    """The options of episode ``episode``: ``options`` over ``defaults``, list values cycled."""
    merged = {**defaults, **options}
    out = {}
    for key, value in merged.items():
        if isinstance(value, list):
            if not value:
                raise ValueError(f"option {key!r} is an empty list")
            value = value[episode % len(value)]
        out[key] = value
    return out


def record_examples(
    env_id: str,
    agent: str,
    episodes: int,
    *,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    on_episode: Callable[[int, list[Example]], None] | None = None,
) -> list[Example]:
    """Every example of ``episodes`` seeded episodes (episode ``k`` uses ``episode_seeds(seed, episodes)[k]``)."""
    from tactica.rollout import episode_seeds

    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    module = recorder_for(env_id, agent)
    examples: list[Example] = []
    for k, episode_seed in enumerate(episode_seeds(seed, episodes)):
        found = module.record_episode(
            agent, episode_seed, k, **episode_options(module.DEFAULT_OPTIONS, options or {}, k)
        )
        examples += found
        if on_episode is not None:
            on_episode(k, found)
    return examples


def record_transcripts(
    env_id: str,
    agent: str,
    episodes: int,
    out: str | Path,
    *,
    seed: int = 0,
    heldout_fraction: float = 0.1,
    options: dict[str, Any] | None = None,
    on_episode: Callable[[int, list[Example]], None] | None = None,
) -> CorpusSummary:
    """Record ``episodes`` episodes and write the corpus (``out`` and its ``.heldout.jsonl`` twin)."""
    examples = record_examples(env_id, agent, episodes, seed=seed, options=options, on_episode=on_episode)
    return write_corpus(
        examples,
        out,
        env_id=env_id,
        agent=agent,
        episodes=episodes,
        heldout_fraction=heldout_fraction,
        seed=seed,
    )
