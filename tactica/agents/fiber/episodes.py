"""Play the fibre agents in ``FiberStream-v1`` and tabulate their episode metrics (the in-environment table).

``python -m tactica.agents.fiber.episodes [--episodes 3] [--windows 64] [--domains loam wet_clay]``

Unlike the training study's whole-event windows, the environment's stream holds event onsets and ends, so these
figures are lower and noisier; they show how the shipped agents behave as deployed.  Episode ``i`` uses env seed
``100 + i`` and agent seed ``i``; every agent loads its domain's shipped weights (``random`` has none).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["AGENTS", "play", "episode_table", "main"]

#: agents of the table, best first as a reader expects; ``random`` is the chance reference.
AGENTS = ("fiber-fusion", "fiber-features", "fiber-cusum", "random")
_METRICS = ("accuracy", "macro_f1", "nar", "fnr")


def play(agent_name: str, domain: str, episodes: int = 3, windows: int = 64) -> dict[str, float]:
    """Mean accuracy, macro-F1, NAR, FNR and episode reward of ``agent_name`` over ``episodes`` episodes."""
    import tactica  # noqa: F401  (registers the environments)
    from tactica.agents import make

    if episodes < 1 or windows < 1:
        raise ValueError(f"episodes and windows must be >= 1, got {episodes} and {windows}")
    env = gym.make("FiberStream-v1", domain=domain, episode_windows=windows)
    kwargs: dict[str, Any] = {} if agent_name == "random" else {"domain": domain}
    agent = make(agent_name, action_space=env.action_space, observation_space=env.observation_space, **kwargs)
    sums = dict.fromkeys((*_METRICS, "reward"), 0.0)
    for i in range(episodes):
        agent.reset(seed=i)
        obs, info = env.reset(seed=100 + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
            total += float(reward)
            done = terminated or truncated
        for k in _METRICS:
            sums[k] += float(info[k] if info[k] is not None else np.nan)
        sums["reward"] += total
    env.close()
    return {k: v / episodes for k, v in sums.items()}


def episode_table(
    domains: Sequence[str] = ("loam", "wet_clay"),
    agents: Sequence[str] = AGENTS,
    episodes: int = 3,
    windows: int = 64,
) -> str:
    """Markdown table of :func:`play` for every domain and agent."""
    lines = [
        "| domain | agent | accuracy | macro-F1 | NAR | FNR | episode reward |",
        "|---|---|---|---|---|---|---|",
    ]
    for domain in domains:
        for name in agents:
            m = play(name, domain, episodes, windows)
            lines.append(
                f"| {domain} | {name} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {m['nar']:.3f} | "
                f"{m['fnr']:.3f} | {m['reward']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tactica.agents.fiber.episodes",
        description="Play the shipped fibre agents in FiberStream-v1 and print their mean episode metrics.",
    )
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--windows", type=int, default=64, help="windows per episode")
    parser.add_argument("--domains", nargs="+", default=["loam", "wet_clay"])
    parser.add_argument("--agents", nargs="+", default=list(AGENTS))
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.windows < 1:
        parser.error("--episodes and --windows must be >= 1")
    try:
        print(episode_table(args.domains, args.agents, args.episodes, args.windows), end="")
    except (ValueError, KeyError) as exc:  # an unknown domain or agent
        parser.error(str(exc))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
