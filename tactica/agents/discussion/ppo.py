"""The online alternative: train the tactic policy with PPO (Stable-Baselines3) against fixed opponents.

:class:`TacticEnv` is a single-agent Gymnasium env: a learner seat picks a tactic (``Discrete(6)``) each time it
speaks, everything else (its night action, the words, its vote, the other players) is played by discussion
agents; the reward is the paper's (``+1/-1/0`` by final team minus ``votes_received / N``) at the end of the
game.  :func:`train_ppo` imports Stable-Baselines3 lazily (``pip install "tactica[rl]"``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.discussion.agent import (
    DiscussionAgent,
    RandomTactic,
    agent_state,
    make_random_tactic_agent,
)
from tactica.agents.discussion.selfplay import Setting
from tactica.agents.discussion.speech import realize
from tactica.envs.onuw.features import feature_size
from tactica.envs.onuw.rules import Game, Phase, Speech, Tactic
from tactica.errors import MissingDependency

__all__ = ["TacticEnv", "train_ppo"]


class TacticEnv(gym.Env):
    """Tactic selection for one seat of an ONUW setting (see the module docstring).

    Args:
        setting: a preset name or a :class:`Setting` (it must have discussion rounds).
        opponents: ``seed -> DiscussionAgent`` for the other seats (default: random-tactic agents).
        seat: the learner's seat, or ``None`` for a random seat every game.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self,
        setting: str | Setting = "5p",
        opponents: Callable[[int], DiscussionAgent] | None = None,
        seat: int | None = None,
        render_mode: str | None = None,
    ):
        self.setting = Setting.from_preset(setting) if isinstance(setting, str) else setting
        if self.setting.options.discussion_rounds < 1:
            raise ValueError("TacticEnv needs a setting with at least one discussion round")
        n = self.setting.num_players
        if seat is not None and not 0 <= seat < n:
            raise ValueError(f"seat must be in [0, {n}) or None, got {seat}")
        self.opponents = opponents or (lambda s: make_random_tactic_agent(seed=s))
        self.seat = seat
        self.render_mode = render_mode
        k = len(set(self.setting.deck))
        self.observation_space = gym.spaces.Box(0.0, 1.0, (feature_size(n, k) + n * k,), np.float32)
        self.action_space = gym.spaces.Discrete(len(Tactic))
        self.game: Game | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        s = self.setting
        base = int(self.np_random.integers(2**31))
        self.learner = int(self.np_random.integers(s.num_players)) if self.seat is None else self.seat
        self.agents = [self.opponents(base + p) for p in range(s.num_players)]
        self.agents[self.learner] = DiscussionAgent(RandomTactic(), seed=base + self.learner)
        self.game = Game(s.deck, s.num_players, s.options, rng=self.np_random, deal=s.deal)
        night = {
            p: s.forced_night.get(p)
            or self.agents[p].night_action(self.game.view(p), self.game.night_options(p))
            for p in range(s.num_players)
        }
        self.game.play_night(night)
        self._advance()
        return self._obs(), {"seat": self.learner}

    def _obs(self) -> np.ndarray:
        view = self.game.view(self.learner)  # type: ignore[union-attr]
        return agent_state(view, self.agents[self.learner].belief(view))

    def _advance(self) -> None:
        """Let the other players speak until the learner's turn or the vote, and vote if it is time."""
        game = self.game
        while game.phase == Phase.DAY and game.current_speaker() != self.learner:  # type: ignore[union-attr]
            p = game.current_speaker()  # type: ignore[union-attr]
            game.speak(self.agents[p].speak(game.view(p)))  # type: ignore[union-attr, arg-type]
        if game.phase == Phase.VOTE:  # type: ignore[union-attr]
            n = game.num_players  # type: ignore[union-attr]
            game.vote([self.agents[p].vote(game.view(p), game.legal_vote_targets(p)) for p in range(n)])  # type: ignore[union-attr]

    def step(self, action: int):
        if self.game is None or self.game.phase == Phase.END:
            raise RuntimeError("step() called before reset() or after the game ended")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be a tactic id in [0, 6), got {action!r}")
        view = self.game.view(self.learner)
        agent = self.agents[self.learner]
        claim, target = realize(view, agent.belief(view), Tactic(int(action)), agent.rng)
        self.game.speak(Speech(self.learner, Tactic(int(action)), claim=claim, target=target))
        self._advance()
        done = self.game.phase == Phase.END
        reward = 0.0
        if done:
            out = self.game.outcome
            reward = out.rewards[self.learner] - out.tally[self.learner] / self.game.num_players  # type: ignore[union-attr]
        return self._obs(), float(reward), done, False, {"seat": self.learner}

    def render(self) -> str | None:
        from tactica.envs.onuw.view import god_view

        return god_view(self.game) if self.game is not None else "TacticEnv (not reset)"


def train_ppo(
    setting: str = "5p",
    total_timesteps: int = 20_000,
    seed: int = 0,
    run_dir: str | Path | None = None,
    **ppo_kwargs,
):
    """Train an SB3 ``PPO("MlpPolicy")`` on :class:`TacticEnv`; saves ``ppo_tactic.zip`` in ``run_dir``."""
    try:
        from stable_baselines3 import PPO
    except ImportError as exc:
        raise MissingDependency("stable-baselines3", "rl", "PPO training of the ONUW tactic policy") from exc
    env = TacticEnv(setting)
    model = PPO("MlpPolicy", env, seed=seed, verbose=0, **ppo_kwargs)
    model.learn(total_timesteps=total_timesteps)
    if run_dir is not None:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        model.save(str(Path(run_dir) / "ppo_tactic.zip"))
    return model
