"""Decentralised control as inference (CAI): soft equilibria of general-sum stochastic games.

- :mod:`tactica.agents.cai.soft_stage`: soft (logit) equilibria of stage games, batched over states;
- :mod:`tactica.agents.cai.soft_nash`: model-based soft value iteration and backward induction, the epsilon
  bound and the measured epsilon;
- :mod:`tactica.agents.cai.decentralized`: sample-based learners (soft Q-learning, variational policy gradient)
  that learn in ``MarkovGame-v0`` episodes from their own reward and observations only;
- :mod:`tactica.agents.cai.mean_field`: the CAI fixed point of mean-field games, with fictitious play and online
  mirror descent as baselines, and a linear-quadratic mean-field game with its closed form.
"""

from tactica.agents.cai.decentralized import SoftQAgent, VariationalPGAgent, train_decentralized
from tactica.agents.cai.mean_field import (
    MeanFieldResult,
    cai_fixed_point,
    linear_quadratic,
    linear_quadratic_closed_form,
    online_mirror_descent,
    solve_mean_field,
)
from tactica.agents.cai.soft_nash import (
    SoftNashResult,
    epsilon_bound,
    finite_horizon_exploitability,
    measured_epsilon,
    soft_backward_induction,
    soft_value_iteration,
)
from tactica.agents.cai.soft_stage import soft_stage_equilibrium

__all__ = [
    "MeanFieldResult",
    "cai_fixed_point",
    "linear_quadratic",
    "linear_quadratic_closed_form",
    "online_mirror_descent",
    "solve_mean_field",
    "SoftNashResult",
    "SoftQAgent",
    "VariationalPGAgent",
    "epsilon_bound",
    "finite_horizon_exploitability",
    "measured_epsilon",
    "soft_backward_induction",
    "soft_stage_equilibrium",
    "soft_value_iteration",
    "train_decentralized",
]
