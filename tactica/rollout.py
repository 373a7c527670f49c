"""Seeded episodes of any registered environment with any registered agent.

The CLI's ``play``, the README's main job and the leaderboard all run episodes through :func:`run_episode`,
so an episode's numbers depend only on (environment id, options, agent, seed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tactica import agents as agent_registry
from tactica.envs.registration import make_parallel, spec

__all__ = ["EpisodeResult", "episode_seeds", "mean_return", "run_episode", "run_episodes"]


@dataclass
class EpisodeResult:
    """What one episode produced: per-agent returns, length, the final ``info`` metrics, wall time."""

    env_id: str
    agent: str
    seed: int
    returns: dict[str, float]
    length: int
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    seats: tuple[str, ...] | None = None  # the seats ``agent`` played (None: all); partners played the rest

    @property
    def mean_return(self) -> float:
        """The agent's mean return over the seats it played (its partners' returns are not its score)."""
        return mean_return(self.returns, self.seats)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "agent": self.agent,
            "seed": self.seed,
            "returns": self.returns,
            "length": self.length,
            "metrics": self.metrics,
            "seconds": self.seconds,
            "seats": None if self.seats is None else list(self.seats),
        }


def mean_return(returns: dict[str, float], seats: Sequence[str] | None = None) -> float:
    """Mean of ``returns`` over ``seats`` (all seats when ``None``)."""
    values = [returns[s] for s in seats] if seats is not None else list(returns.values())
    return float(np.mean(values)) if values else 0.0


def episode_seeds(seed: int, episodes: int) -> list[int]:
    """Per-episode seeds derived from one seed (stable across versions and platforms)."""
    if episodes < 0:
        raise ValueError(f"episodes must be >= 0; got {episodes}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(episodes, dtype=np.uint32)]


def _scalar_metrics(info: dict[str, Any]) -> dict[str, Any]:
    """The numbers and short strings in a final ``info`` (episode metrics), JSON-ready."""
    metrics = {}
    for key, value in info.items():
        if isinstance(value, (bool, np.bool_)):
            metrics[key] = bool(value)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            metrics[key] = float(value) if isinstance(value, (float, np.floating)) else int(value)
        elif isinstance(value, str) and len(value) <= 80:
            metrics[key] = value
    return metrics


def run_episode(
    env_id: str,
    agent: str = "random",
    seed: int = 0,
    *,
    env_kwargs: dict[str, Any] | None = None,
    agent_kwargs: dict[str, Any] | None = None,
    render_mode: str | None = None,
    on_render: Callable[[Any], None] | None = None,
    max_steps: int | None = None,
    render_steps: Container[int] | None = None,
) -> EpisodeResult:
    """Play one seeded episode; in multi-agent ids every seat is played by its own instance of ``agent``.

    With ``on_render``, the environment is rendered after the reset (step 0) and after every step, and each
    frame (ansi text or an ``rgb_array`` array) goes to ``on_render``; ``render_steps`` limits that to the
    steps it contains.
    """
    env_spec = spec(env_id)
    env_kwargs = dict(env_kwargs or {})
    agent_kwargs = dict(agent_kwargs or {})
    if render_mode is not None:
        env_kwargs["render_mode"] = render_mode
    render = _Renderer(on_render, render_steps)
    start = time.perf_counter()
    seats = None
    if env_spec.kind == "single":
        returns, length, info = _single(env_spec.id, agent, seed, env_kwargs, agent_kwargs, render, max_steps)
    else:
        returns, length, info, seats = _multi(
            env_spec.id, agent, seed, env_kwargs, agent_kwargs, render, max_steps
        )
    return EpisodeResult(
        env_id=env_spec.id,
        agent=agent,
        seed=int(seed),
        returns=returns,
        length=length,
        metrics=_scalar_metrics(info),
        seconds=time.perf_counter() - start,
        seats=seats,
    )


def run_episodes(
    env_id: str, agent: str = "random", episodes: int = 1, seed: int = 0, **kwargs
) -> list[EpisodeResult]:
    """``episodes`` seeded episodes; episode ``k`` uses ``episode_seeds(seed, episodes)[k]``."""
    return [run_episode(env_id, agent, s, **kwargs) for s in episode_seeds(seed, episodes)]


@dataclass
class _Renderer:
    """Renders the environment after the steps asked for and hands each frame to ``on_render``."""

    on_render: Callable[[Any], None] | None
    steps: Container[int] | None = None

    def __call__(self, env, step: int) -> None:
        if self.on_render is not None and (self.steps is None or step in self.steps):
            frame = env.render()
            if frame is not None:  # ansi text or an rgb_array frame
                self.on_render(frame)


def _single(env_id, agent_name, seed, env_kwargs, agent_kwargs, render, max_steps):
    import gymnasium as gym

    env = gym.make(env_id, **env_kwargs)
    try:
        player = agent_registry.make(
            agent_name, action_space=env.action_space, observation_space=env.observation_space, **agent_kwargs
        )
        player.reset(seed=seed)
        observation, info = env.reset(seed=seed)
        render(env, 0)
        total, length, done = 0.0, 0, False
        while not done and (max_steps is None or length < max_steps):
            observation, reward, terminated, truncated, info = env.step(player.act(observation, info))
            total += float(reward)
            length += 1
            done = terminated or truncated
            render(env, length)
        return {"agent": total}, length, info
    finally:
        env.close()


def _multi(env_id, agent_name, seed, env_kwargs, agent_kwargs, render, max_steps):
    env = make_parallel(env_id, **env_kwargs)
    try:
        players, seats = {}, []
        partners = spec(env_id).partners
        for index, name in enumerate(env.possible_agents):
            spaces = {
                "action_space": env.action_space(name),
                "observation_space": env.observation_space(name),
            }
            try:
                players[name] = agent_registry.make(agent_name, **spaces, **agent_kwargs)
                seats.append(name)
            except (ValueError, TypeError):
                # An agent made for one seat (a government policy) declines the others; the environment's
                # declared partner plays those, so the agent is evaluated in the role it was made for.
                if name not in partners:
                    raise
                players[name] = agent_registry.make(partners[name], **spaces)
            players[name].reset(seed=seed + index)
        if not seats:
            raise ValueError(f"agent {agent_name!r} can play no seat of {env_id}")
        observations, infos = env.reset(seed=seed)
        render(env, 0)
        returns = {name: 0.0 for name in env.possible_agents}
        length = 0
        final_info: dict[str, Any] = {}
        while env.agents and (max_steps is None or length < max_steps):
            actions = {
                name: players[name].act(observations[name], infos.get(name, {})) for name in env.agents
            }
            observations, rewards, _, _, infos = env.step(actions)
            for name, reward in rewards.items():
                returns[name] += float(reward)
            length += 1
            if infos:
                final_info = next(iter(infos.values())) or {}
            render(env, length)
        played = None if len(seats) == len(env.possible_agents) else tuple(seats)
        return returns, length, final_info, played
    finally:
        env.close()
