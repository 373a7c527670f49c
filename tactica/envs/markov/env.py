"""General-sum stochastic (Markov) games as a PettingZoo ParallelEnv."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from tactica.envs.markov.catalog import make_model
from tactica.envs.markov.model import MarkovGameModel
from tactica.envs.validation import check_seed, check_started

__all__ = ["MarkovGameEnv"]


class MarkovGameEnv(ParallelEnv):
    """
    ## Description

    A finite general-sum stochastic game (Shapley 1953): ``n`` players observe the state, choose actions
    simultaneously, each receives its own reward ``R[i, s, a]``, and the state moves according to
    ``P[s, a, s']``.  A normal-form game is the one-state case, played as a repeated game for ``horizon``
    rounds.  The exact tensors are available from :meth:`model` for :mod:`tactica.equilibria`.

    Games come from a catalog by name (``prisoners_dilemma``, ``battle_of_the_sexes``, ``matching_pennies``,
    ``rock_paper_scissors``, ``chicken``, ``stag_hunt``, ``shapley``, ``grid_game_1``, ``grid_game_2``,
    ``littman_soccer``), from seeded generators (``random_normal_form``, ``covariant_normal_form``,
    ``random_markov``), or as a :class:`~tactica.envs.markov.model.MarkovGameModel` built from your own tensors.

    ## Action Space

    Player ``i`` has ``Discrete(A_i)`` where ``A_i`` is its largest action count over states.  The legal
    actions in state ``s`` are ``0 .. action_counts[s, i] - 1``, and the observation's ``action_mask`` marks them.
    An illegal action raises ``ValueError``.

    ## Observation Space

    ``Dict({"observation": Discrete(S), "action_mask": Box(0, 1, (A_i,), int8)})``: the current state index
    (every player sees it: the game has perfect state information) and the legal-action mask.

    ## Rewards

    Player ``i`` receives ``R[i, s, a_1, ..., a_n]`` after each joint action.  Returns are undiscounted sums;
    the model's ``discount`` is the one the equilibrium solvers use.

    ## Starting State

    ``s_0`` is drawn from the model's ``initial_distribution`` with the environment's seeded generator.

    ## Episode End

    * Termination: the state reached is one of the model's terminal states (a goal in the grid games, a score
      in soccer).
    * Truncation: ``horizon`` joint actions have been played.

    ## Arguments

    ```python
    >>> import tactica
    >>> env = tactica.make_parallel("MarkovGame-v0", game="matching_pennies", horizon=5)
    >>> observations, infos = env.reset(seed=0)
    >>> observations["player_0"]["observation"], observations["player_0"]["action_mask"].tolist()
    (0, [1, 1])

    ```

    | argument | default | meaning |
    |---|---|---|
    | ``game`` | ``"prisoners_dilemma"`` | catalog or generator name, or a ``MarkovGameModel`` |
    | ``horizon`` | the game's | override the number of steps before truncation |
    | ``discount`` | the game's | override the model's discount |
    | ``render_mode`` | ``None`` | ``"ansi"`` (returns a string), ``"human"`` (prints it) or ``"rgb_array"`` (a picture of the payoff table) |
    | ``**game_kwargs`` | | passed to the generator (``num_players``, ``num_actions``, ``seed``...) |

    ## Version History

    * v0: initial release.
    """

    metadata = {
        "render_modes": ["ansi", "human", "rgb_array"],
        "name": "MarkovGame-v0",
        "is_parallelizable": True,
        "render_fps": 2,
    }

    def __init__(
        self,
        game: str | MarkovGameModel = "prisoners_dilemma",
        *,
        horizon: int | None = None,
        discount: float | None = None,
        render_mode: str | None = None,
        **game_kwargs: Any,
    ):
        if isinstance(game, MarkovGameModel):
            if game_kwargs:
                raise ValueError(f"game options {sorted(game_kwargs)} apply to named games, not to a model")
            model = game
        elif isinstance(game, str):
            model = make_model(game, **game_kwargs)
        else:
            raise TypeError(f"game must be a game name or a MarkovGameModel, got {type(game).__name__}")
        overrides = {}
        if horizon is not None:
            overrides["horizon"] = horizon
        if discount is not None:
            overrides["discount"] = discount
        if overrides:
            model = dataclasses.replace(model, **overrides)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None; got {render_mode!r}"
            )
        self._model = model
        self.render_mode = render_mode
        self.possible_agents = [f"player_{i}" for i in range(model.num_players)]
        self.agents: list[str] = []
        self._observation_spaces = {
            agent: spaces.Dict(
                {
                    "observation": spaces.Discrete(model.num_states),
                    "action_mask": spaces.Box(0, 1, (model.num_actions[i],), np.int8),
                }
            )
            for i, agent in enumerate(self.possible_agents)
        }
        self._action_spaces = {
            agent: spaces.Discrete(model.num_actions[i]) for i, agent in enumerate(self.possible_agents)
        }
        self.np_random, _ = seeding.np_random(None)
        self.state_index = 0
        self.timestep = 0
        self._last_actions: tuple[int, ...] | None = None
        self._last_rewards: np.ndarray | None = None

    # ------------------------------------------------------------------------------------------- API
    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_spaces[agent]

    def model(self) -> MarkovGameModel:
        """The exact game: transition and reward tensors, discount, horizon (read-only arrays)."""
        return self._model

    def reset(self, seed: int | None = None, options: dict | None = None):
        check_seed(seed)
        self._started = True
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        model = self._model
        self.state_index = self._sample(model.initial_distribution)
        self.timestep = 0
        self._last_actions = None
        self._last_rewards = None
        self.agents = list(self.possible_agents)
        return self._observations(), self._infos()

    def step(self, actions: dict[str, int]):
        check_started(getattr(self, "_started", False), not self.agents)
        model = self._model
        joint = self._joint_action(actions)
        state = self.state_index
        rewards = model.rewards[(slice(None), state, *joint)]
        self.state_index = self._sample(model.transitions[(state, *joint)])
        self.timestep += 1
        self._last_actions, self._last_rewards = joint, rewards
        terminated = bool(model.terminal[self.state_index])
        truncated = not terminated and self.timestep >= model.horizon
        observations, infos = self._observations(), self._infos()
        reward_dict = {agent: float(rewards[i]) for i, agent in enumerate(self.agents)}
        terminations = {agent: terminated for agent in self.agents}
        truncations = {agent: truncated for agent in self.agents}
        if terminated or truncated:
            self.agents = []
        if self.render_mode == "human":
            print(self.render())
        return observations, reward_dict, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode is None:
            import gymnasium

            gymnasium.logger.warn(
                "render() called without a render_mode; make the env with render_mode='ansi'"
            )
            return None
        if self.render_mode == "rgb_array":
            from tactica.envs.markov.pictures import game_frame

            return game_frame(self)
        text = self._render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """The global state as a one-hot vector (PettingZoo's ``state()``)."""
        return np.eye(self._model.num_states, dtype=np.float32)[self.state_index]

    # ------------------------------------------------------------------------------------------- helpers
    def _sample(self, distribution: np.ndarray) -> int:
        cumulative = np.cumsum(distribution)
        return int(
            min(
                np.searchsorted(cumulative, self.np_random.random() * cumulative[-1], side="right"),
                len(distribution) - 1,
            )
        )

    def _joint_action(self, actions: dict[str, int]) -> tuple[int, ...]:
        missing = [agent for agent in self.agents if agent not in actions]
        if missing:
            raise ValueError(f"step() needs an action for every live agent; missing {missing}")
        unknown = sorted(set(actions) - set(self.possible_agents))
        if unknown:
            raise ValueError(f"unknown agents {unknown}; agents are {self.possible_agents}")
        joint = []
        for i, agent in enumerate(self.possible_agents):
            action = actions[agent]
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                raise TypeError(f"action of {agent} must be an int, got {action!r}")
            legal = int(self._model.action_counts[self.state_index, i])
            if not 0 <= action < legal:
                raise ValueError(
                    f"action {action} of {agent} is illegal in state {self.state_index}; legal actions: 0..{legal - 1}"
                )
            joint.append(int(action))
        return tuple(joint)

    def _observations(self) -> dict[str, dict[str, Any]]:
        state = self.state_index
        return {
            agent: {"observation": np.int64(state), "action_mask": self._model.action_mask(state, i)}
            for i, agent in enumerate(self.possible_agents)
        }

    def _infos(self) -> dict[str, dict[str, Any]]:
        name = self._model.state_names[self.state_index]
        return {agent: {"state_name": name, "timestep": self.timestep} for agent in self.possible_agents}

    def _render_text(self) -> str:
        model = self._model
        lines = [
            f"{model.name} | t={self.timestep}/{model.horizon} | state {self.state_index}: "
            f"{model.state_names[self.state_index]}"
        ]
        if self._last_actions is not None:
            played = ", ".join(
                f"{agent}={model.action_names[i][a]} ({self._last_rewards[i]:+g})"
                for i, (agent, a) in enumerate(zip(self.possible_agents, self._last_actions))
            )
            lines.append(f"last joint action: {played}")
        return "\n".join(lines)
