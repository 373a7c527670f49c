"""Decentralised control-as-inference learners: each agent learns from its own reward and observations only.

Two learners, both tabular over the observed state:

- :class:`SoftQAgent`, soft Q-learning (the sample-based soft Bellman backup of :mod:`soft_nash`)::

      Q_i(s, a_i) += lr * (r_i + gamma * V_i(s') - Q_i(s, a_i)),   V_i(s') = alpha log sum exp(Q_i(s', .) / alpha)

  acting with ``pi_i = softmax(Q_i / alpha)``;
- :class:`VariationalPGAgent`, the variational policy-gradient variant: a softmax policy whose parameters follow
  the gradient of the entropy-regularised return ``E[sum_t gamma^t (r_t + alpha H(pi(s_t)))]``, estimated with a
  learned soft critic (actor-critic), so it converges to the same soft fixed point.

Neither agent sees the other players' actions, rewards or policies: the others are part of its environment, as
in the decentralised setting of Zhao & Zhang (arXiv:2503.06037).  :func:`train_decentralized` runs
``MarkovGame-v0`` episodes with one learner per seat, optionally annealing the temperature, and returns the
learned stationary profile, which :mod:`tactica.equilibria.stochastic` then measures exactly.

Why soft-Q can fail at a low temperature and what fixes it: with a zero-initialised table the first action
that pays anything dominates ``softmax(Q / alpha)`` as ``alpha -> 0``, exploration collapses and on grid game 1
the agents stop reaching the goals (measured epsilon ~97 at ``alpha = 0.03``).  ``initial_q`` set to an
optimistic value (the goal reward, 100) makes every untried action look best until it has been tried, so
exploration is driven by the values rather than by the temperature; with it, 2000 episodes per temperature give
epsilon 64, 0.47, 0.11, 0.018 at ``alpha = 1, 0.3, 0.1, 0.03`` (bounds 139, 42, 14, 4.2;
``tests/cai/test_grid_learning.py``).  The step size ``lr / n(s, a)^decay`` decays per visited pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.base import action_mask_of

__all__ = [
    "SoftQAgent",
    "VariationalPGAgent",
    "DecentralizedRun",
    "train_decentralized",
    "temperature_schedule",
]


def _log_softmax(logits: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Log-softmax over the legal actions; ``bias`` is 0 on legal and ``-inf`` on illegal ones."""
    z = logits + bias
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


class _TabularLearner:
    """Shared plumbing: a table over (observed state, own action), a seeded generator, a temperature."""

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        *,
        alpha: float = 0.1,
        gamma: float = 0.99,
        learning_rate: float = 0.5,
        learning_rate_decay: float = 0.7,
        num_states: int | None = None,
    ):
        if not isinstance(action_space, gym.spaces.Discrete):
            raise TypeError(f"{type(self).__name__} needs a Discrete action space, got {action_space}")
        if num_states is None:
            inner = (
                observation_space["observation"]
                if isinstance(observation_space, gym.spaces.Dict)
                else observation_space
            )
            if not isinstance(inner, gym.spaces.Discrete):
                raise TypeError("observations must be discrete states (MarkovGame-v0), or pass num_states=")
            num_states = int(inner.n)
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0; got {alpha}")
        if not 0 <= gamma <= 1:
            raise ValueError(f"gamma must be in [0, 1]; got {gamma}")
        self.num_actions = int(action_space.n)
        self.num_states = int(num_states)
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.learning_rate = float(learning_rate)
        self.learning_rate_decay = float(learning_rate_decay)
        self.visits = np.zeros((self.num_states, self.num_actions))
        self.masks = np.ones((self.num_states, self.num_actions), dtype=np.int8)
        # 0 on legal, -inf on illegal actions: added to logits, it masks them with one vector operation
        self._bias = np.zeros((self.num_states, self.num_actions))
        self._rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)

    @staticmethod
    def _state_of(observation: Any) -> int:
        return int(observation["observation"] if isinstance(observation, dict) else observation)

    def _state_and_mask(self, observation: Any, info: dict | None) -> tuple[int, np.ndarray]:
        state = self._state_of(observation)
        mask = action_mask_of(observation, info)
        if mask is not None:
            self.masks[state] = mask
            self._bias[state] = np.where(self.masks[state] > 0, 0.0, -np.inf)
        return state, self.masks[state]

    def _step_size(self, state: int, action: int) -> float:
        self.visits[state, action] += 1
        return self.learning_rate / self.visits[state, action] ** self.learning_rate_decay

    def logits(self, state: int) -> np.ndarray:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def policy(self, state: int) -> np.ndarray:
        return np.exp(_log_softmax(self.logits(state), self._bias[state]))

    def policy_table(self) -> np.ndarray:
        """The learned stationary policy, ``(S, A)``."""
        return np.stack([self.policy(s) for s in range(self.num_states)])

    def act(self, observation: Any, info: dict | None = None) -> int:
        state, _ = self._state_and_mask(observation, info)
        # inverse-CDF sampling: the same draw as Generator.choice(p=...) at a fraction of its per-call overhead
        cdf = np.cumsum(self.policy(state))
        return int(
            min(np.searchsorted(cdf, self._rng.random() * cdf[-1], side="right"), self.num_actions - 1)
        )


class SoftQAgent(_TabularLearner):
    """Soft Q-learning with temperature ``alpha``; acts with ``softmax(Q / alpha)``.

    ``initial_q`` sets every entry of the table at the start.  An optimistic value (at least the largest soft
    return, e.g. the largest reward plus ``alpha log|A|`` over ``1 - gamma``, or the goal reward of an episodic
    game) makes untried actions look best, so exploration is driven by the values rather than by the
    temperature, and survives a small ``alpha``: with a pessimistic start a cold softmax locks onto the first
    action that paid and may never find the goals.
    """

    def __init__(self, action_space, observation_space=None, *, initial_q: float = 0.0, **kwargs):
        super().__init__(action_space, observation_space, **kwargs)
        self.q = np.full((self.num_states, self.num_actions), float(initial_q))

    def logits(self, state: int) -> np.ndarray:
        return self.q[state] / self.alpha

    def soft_value(self, state: int) -> float:
        z = self.q[state] / self.alpha + self._bias[state]
        top = z.max()
        return float(self.alpha * (top + np.log(np.exp(z - top).sum())))

    def learn(
        self, observation, action: int, reward: float, next_observation, terminated: bool, info=None
    ) -> None:
        # the mask of ``observation`` was recorded when acting on it; only the next one is new
        state = self._state_of(observation)
        next_state, _ = self._state_and_mask(next_observation, info)
        target = reward + (0.0 if terminated else self.gamma * self.soft_value(next_state))
        self.q[state, action] += self._step_size(state, action) * (target - self.q[state, action])


class VariationalPGAgent(_TabularLearner):
    """Softmax actor following the entropy-regularised policy gradient, with a soft state-value critic."""

    def __init__(self, action_space, observation_space=None, *, actor_learning_rate: float = 0.5, **kwargs):
        super().__init__(action_space, observation_space, **kwargs)
        self.theta = np.zeros((self.num_states, self.num_actions))
        self.value = np.zeros(self.num_states)
        self.actor_learning_rate = float(actor_learning_rate)

    def logits(self, state: int) -> np.ndarray:
        return self.theta[state]

    def learn(
        self, observation, action: int, reward: float, next_observation, terminated: bool, info=None
    ) -> None:
        state, mask = self._state_and_mask(observation, None)
        next_state, _ = self._state_and_mask(next_observation, info)
        log_pi = _log_softmax(self.theta[state], self._bias[state])
        # soft TD error: the reward is augmented with the entropy bonus -alpha log pi(a|s)
        soft_reward = reward - self.alpha * log_pi[action]
        target = soft_reward + (0.0 if terminated else self.gamma * self.value[next_state])
        delta = target - self.value[state]
        step = self._step_size(state, action)
        self.value[state] += step * delta
        # grad log pi(a|s) for a softmax over the legal actions
        grad = -np.exp(log_pi)
        grad[action] += 1.0
        self.theta[state] += self.actor_learning_rate * step * delta * np.where(mask > 0, grad, 0.0)


def temperature_schedule(
    alpha: float, start: float | None, fraction: float, episode: int, episodes: int
) -> float:
    """Geometric annealing from ``start`` to ``alpha`` over the first ``fraction`` of training."""
    if start is None or start <= alpha:
        return alpha
    horizon = max(1, int(fraction * episodes))
    progress = min(1.0, episode / horizon)
    return float(start * (alpha / start) ** progress)


@dataclass
class DecentralizedRun:
    """The outcome of :func:`train_decentralized`."""

    policies: list[np.ndarray]
    agents: list[_TabularLearner]
    returns: np.ndarray  # (episodes, n) undiscounted episode returns
    alpha: float
    episodes: int
    steps: int
    history: list[dict[str, float]] = field(default_factory=list)


def train_decentralized(
    game: Any = "grid_game_1",
    *,
    alpha: float = 0.1,
    episodes: int = 5_000,
    learner: str = "soft-q",
    seed: int = 0,
    initial_alpha: float | None = None,
    anneal_fraction: float = 0.5,
    learning_rate: float = 0.5,
    learning_rate_decay: float = 0.7,
    evaluate_every: int = 0,
    initial_q: float | None = None,
    env_kwargs: dict[str, Any] | None = None,
    progress: Any = None,
) -> DecentralizedRun:
    """Train one independent learner per seat in ``MarkovGame-v0`` episodes.

    Args:
        game: a catalog/generator name or a ``MarkovGameModel`` (``env_kwargs`` go to the environment).
        alpha: the final temperature; ``initial_alpha`` anneals from a higher one.
        learner: ``"soft-q"`` or ``"vpg"``.
        evaluate_every: every this many episodes, record the exact epsilon of the current profile.
        progress: optional ``callable(episode)``.
    """
    from tactica.envs.registration import make_parallel

    learners = {"soft-q": SoftQAgent, "vpg": VariationalPGAgent}
    if learner not in learners:
        raise ValueError(f"learner must be one of {sorted(learners)}; got {learner!r}")
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1; got {episodes}")
    env = make_parallel("MarkovGame-v0", game=game, **(env_kwargs or {}))
    model = env.model()
    gamma = float(model.discount)
    extra = {} if initial_q is None else {"initial_q": float(initial_q)}
    if extra and learner != "soft-q":
        raise ValueError("initial_q applies to the soft-q learner only")
    agents = {
        name: learners[learner](
            env.action_space(name),
            env.observation_space(name),
            alpha=initial_alpha or alpha,
            gamma=gamma,
            learning_rate=learning_rate,
            learning_rate_decay=learning_rate_decay,
            **extra,
        )
        for name in env.possible_agents
    }
    seeds = np.random.SeedSequence(seed).generate_state(len(agents) + 1)
    for agent, agent_seed in zip(agents.values(), seeds[1:]):
        agent.reset(seed=int(agent_seed))
    returns = np.zeros((episodes, len(agents)))
    history: list[dict[str, float]] = []
    steps = 0
    observations, infos = env.reset(seed=int(seeds[0]))
    for episode in range(episodes):
        temperature = temperature_schedule(alpha, initial_alpha, anneal_fraction, episode, episodes)
        for agent in agents.values():
            agent.alpha = temperature
        if episode:
            observations, infos = env.reset()
        while env.agents:
            actions = {name: agents[name].act(observations[name], infos[name]) for name in env.agents}
            next_observations, rewards, terminations, truncations, infos = env.step(actions)
            for index, name in enumerate(actions):
                agents[name].learn(
                    observations[name],
                    actions[name],
                    rewards[name],
                    next_observations[name],
                    terminations[name],
                    infos[name],
                )
                returns[episode, index] += rewards[name]
            observations = next_observations
            steps += 1
        if evaluate_every and (episode + 1) % evaluate_every == 0:
            history.append({"episode": episode + 1, "epsilon": _epsilon(model, agents)})
        if progress is not None:
            progress(episode)
    policies = [agent.policy_table() for agent in agents.values()]
    return DecentralizedRun(policies, list(agents.values()), returns, float(alpha), episodes, steps, history)


def _epsilon(model, agents) -> float:
    from tactica.equilibria.stochastic import exploitability

    policies = [agent.policy_table() for agent in agents.values()]
    return exploitability(model, policies, horizon=None).epsilon
