"""Decentralised soft-Q learners on Hu & Wellman's grid game 1: measured epsilon below the bound, falling with alpha.

Each agent learns from its own reward and observation only, in ``MarkovGame-v0`` episodes; the learned
stationary profile is then measured exactly by :func:`tactica.equilibria.stochastic.exploitability`.
"""

from __future__ import annotations

import numpy as np
import pytest

from tactica.agents.cai import SoftQAgent, epsilon_bound, train_decentralized
from tactica.envs.markov.catalog import make_model
from tactica.equilibria.stochastic import exploitability

ALPHAS = (1.0, 0.3, 0.1, 0.03)


@pytest.mark.slow
def test_grid_game_1_epsilon_below_the_bound_and_falling_with_alpha():
    """Optimistic start (Q = 100, the goal reward): exploration survives alpha = 0.03 and epsilon keeps falling.

    Episodes are truncated at 30 steps for speed (learning bootstraps through truncation); epsilon is measured
    on the default discounted game (gamma 0.99), whose soft value iteration gives 8.95, 0.054, 5e-5, 1e-14.
    """
    model = make_model("grid_game_1")
    epsilons, bounds = [], []
    for alpha in ALPHAS:
        run = train_decentralized(
            "grid_game_1", alpha=alpha, episodes=2000, seed=0, initial_q=100.0, env_kwargs={"horizon": 30}
        )
        epsilons.append(exploitability(model, run.policies, horizon=None).epsilon)
        bounds.append(epsilon_bound(model, alpha))
    assert all(e <= b for e, b in zip(epsilons, bounds)), (epsilons, bounds)
    assert all(later < earlier for earlier, later in zip(epsilons, epsilons[1:])), epsilons
    assert epsilons[-1] < 0.5


def test_optimistic_initialisation():
    import gymnasium as gym

    agent = SoftQAgent(gym.spaces.Discrete(4), num_states=3, initial_q=100.0, alpha=0.1)
    assert np.all(agent.q == 100.0)
    # a state never visited keeps the uniform policy; one update moves only the visited entry
    agent.learn(0, 2, 0.0, 1, True)
    assert agent.q[0, 2] < 100.0 and np.all(agent.q[0, [0, 1, 3]] == 100.0)
    assert agent.policy(1) == pytest.approx(np.full(4, 0.25))
    with pytest.raises(ValueError, match="soft-q"):
        train_decentralized("grid_game_1", episodes=1, learner="vpg", initial_q=1.0)
