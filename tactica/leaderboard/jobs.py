"""One leaderboard job: a seeded episode of one (environment, options, agent) pairing.

A job's :attr:`Job.key` is a hash of everything that decides its numbers (environment id and options, agent
name, keyword arguments and artifact version, episode seed, tactica version).  The results store is keyed by
it, so a rerun skips every episode already stored and an episode can never be counted twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Job", "canonical_json"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings (and equal job keys)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"leaderboard options must be JSON values (str, int, float, bool, list, dict): {exc}"
        ) from None


@dataclass(frozen=True)
class Job:
    """A seeded episode to run.

    Attributes:
        env_id: registered environment id (it carries the environment's version, e.g. ``TextSC2-v1``).
        env_options: keyword arguments for the environment as canonical JSON (``"{}"``: the registered defaults).
        agent: registered agent name.
        agent_kwargs: keyword arguments for the agent as canonical JSON (e.g. ``{"llm": "..."}``).
        agent_version: version of the agent's artifact (a trained model's hash); part of the key, not passed on.
        seed: the episode seed (``tactica.rollout.episode_seeds``).
        episode: the episode's index in its pairing (display only; not part of the key).
        tactica_version: the package version that runs the episode.
    """

    env_id: str
    env_options: str
    agent: str
    agent_kwargs: str
    agent_version: str
    seed: int
    episode: int
    tactica_version: str

    @property
    def key(self) -> str:
        identity = {
            "env_id": self.env_id,
            "env_options": self.env_options,
            "agent": self.agent,
            "agent_kwargs": self.agent_kwargs,
            "agent_version": self.agent_version,
            "seed": int(self.seed),
            "tactica_version": self.tactica_version,
        }
        return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:32]

    @property
    def options(self) -> dict[str, Any]:
        return json.loads(self.env_options)

    @property
    def kwargs(self) -> dict[str, Any]:
        return json.loads(self.agent_kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key}
