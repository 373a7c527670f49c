"""The posterior q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha), its backups and the CQL-Prior loss, against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tactica.agents.llm_prior.common import PosteriorPolicy, QNetwork
from tactica.agents.llm_prior.posterior import (
    cql_prior_loss,
    greedy_action,
    log_weights,
    max_backup,
    posterior_probabilities,
    sample_action,
    smoothed_log_prior,
    soft_backup,
)
from tactica.agents.llm_prior.prior import ActionPrior, parse_prompt
from tactica.agents.llm_prior.views import make_view

UP, DOWN = 3, 1  # FrozenLake's "move up" and "move down"


class OneActionPrior:
    """A prior that puts all its mass on one action: every completion names it, and it scores it 1."""

    name = "one-action"

    def __init__(self, action: str):
        self.action = action

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None) -> str:
        return self.action

    def action_probabilities(self, messages, names):
        _, listed = parse_prompt(messages)
        return [1.0 if name == self.action else 0.0 for name in listed]


def _fixed_q(view, values) -> QNetwork:
    """A Q network whose output is ``values`` whatever the state (zero weights, the values as bias)."""
    network = QNetwork(view.feature_dim, view.num_actions, hidden=(8,))
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.zero_()
        network.net[-1].bias.copy_(torch.tensor(values, dtype=torch.float32))
    return network


@pytest.fixture
def one_action_policy():
    view = make_view("frozenlake")
    prior = ActionPrior(OneActionPrior("move up"), view.instruction, view.action_names)
    q = _fixed_q(view, [0.0, 1.0, 0.2, 0.5])  # greedy Q: "move down"

    def policy(alpha):
        return PosteriorPolicy(view, q, prior, alpha=alpha, mode="exact", prior_floor=0.01)

    return view, policy


def _frequencies(policy, observation, info, draws=400):
    rng = np.random.default_rng(0)
    counts = np.bincount([policy.act(observation, info, rng) for _ in range(draws)], minlength=4)
    return counts / draws


def test_one_action_prior_large_alpha_acts_like_the_prior(one_action_policy):
    from tactica.envs.frozenlake.env import FrozenLakeTextEnv

    view, make = one_action_policy
    observation, info = FrozenLakeTextEnv().reset(seed=0)
    policy = make(alpha=1e4)
    assert policy.act(observation, info, np.random.default_rng(0), greedy=True) == UP
    # the exact posterior is the floored prior: 0.99 + 0.01/4 on "move up"
    assert _frequencies(policy, observation, info)[UP] == pytest.approx(0.9925, abs=0.02)


def test_one_action_prior_small_alpha_acts_like_greedy_q(one_action_policy):
    from tactica.envs.frozenlake.env import FrozenLakeTextEnv

    view, make = one_action_policy
    observation, info = FrozenLakeTextEnv().reset(seed=0)
    policy = make(alpha=1e-3)
    assert policy.act(observation, info, np.random.default_rng(0), greedy=True) == DOWN
    assert _frequencies(policy, observation, info)[DOWN] == 1.0


def test_posterior_is_prior_times_exp_q_over_alpha():
    q = np.array([1.0, 0.0, 2.0, -1.0])
    prior = np.array([0.5, 0.25, 0.25, 0.0])
    alpha = 0.5
    expected = prior * np.exp(q / alpha)
    expected /= expected.sum()
    assert posterior_probabilities(q, log_weights(prior), alpha) == pytest.approx(expected)
    assert greedy_action(q, log_weights(prior), alpha) == int(np.argmax(expected))


def test_sampling_over_proposals_is_the_reference_categorical():
    # the reference acts by Categorical(logits = 10 Q) over the k proposals; a proposal made twice is twice as likely
    q = np.array([0.3, 0.1, 0.0, 0.2])
    proposals = [0, 0, 3, 1, 3]
    logits = 10 * q[proposals]
    reference = np.zeros(4)
    for action, weight in zip(proposals, np.exp(logits) / np.exp(logits).sum()):
        reference[action] += weight
    counts = np.bincount(proposals, minlength=4)
    assert posterior_probabilities(q, log_weights(counts), 0.1) == pytest.approx(reference)
    rng = np.random.default_rng(1)
    draws = np.bincount([sample_action(q, log_weights(counts), 0.1, rng) for _ in range(4000)], minlength=4)
    assert draws[2] == 0  # never proposed, never played
    assert draws / draws.sum() == pytest.approx(reference, abs=0.03)


def test_smoothed_prior_keeps_every_legal_action():
    legal = np.array([True, True, False, True])
    log_p = smoothed_log_prior(np.array([1.0, 0.0, 0.0, 0.0]), legal, 0.03)
    assert np.exp(log_p) == pytest.approx([0.97 + 0.01, 0.01, 0.0, 0.01])
    assert log_p[2] == -math.inf


def test_backups_over_the_support():
    q_next = torch.tensor([[1.0, 5.0, 2.0], [0.0, -1.0, 3.0], [4.0, 4.0, 4.0]])
    log_w = torch.log(torch.tensor([[2.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]))
    # max over the proposals only (5.0 and 3.0 are not proposed); an empty support backs up 0
    assert max_backup(q_next, log_w).tolist() == [2.0, 0.0, 0.0]
    alpha = 0.5
    p = torch.tensor([0.25, 0.0, 0.75])
    expected = alpha * math.log(0.25 * math.exp(1.0 / alpha) + 0.75 * math.exp(2.0 / alpha))
    assert soft_backup(q_next[:1], torch.log(p)[None], alpha).item() == pytest.approx(expected)


def test_cql_prior_loss_equals_the_hand_computed_value():
    q = torch.tensor([[1.0, 2.0, 0.0], [0.5, 0.0, 1.0]])
    actions = torch.tensor([0, 2])
    targets = torch.tensor([1.5, 0.0])
    # proposals: state 1 proposed action 0 twice and action 1 once; state 2 proposed actions 1 and 2
    log_w = torch.log(torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    e = math.e
    td = 0.5 * ((1.0 - 1.5) ** 2 + (1.0 - 0.0) ** 2) / 2  # 0.5 * mean squared TD error = 0.3125
    conservative = (
        (math.log(2 * e + e**2) - 1.0) + (math.log(1 + e) - 1.0)
    ) / 2  # logsumexp over proposals - Q(data)
    loss = cql_prior_loss(q, actions, targets, log_w, cql_coef=5.0)
    assert loss["td"].item() == pytest.approx(0.3125)
    assert loss["conservative"].item() == pytest.approx(conservative)
    assert loss["loss"].item() == pytest.approx(td + 5.0 * conservative)
    summed = cql_prior_loss(q, actions, targets, log_w, cql_coef=5.0, mse_reduction="sum")
    assert summed["td"].item() == pytest.approx(0.5 * (0.25 + 1.0))


def test_cql_baseline_is_logsumexp_over_every_legal_action():
    q = torch.tensor([[1.0, 2.0, 0.0]])
    loss = cql_prior_loss(q, torch.tensor([1]), torch.tensor([2.0]), torch.zeros(1, 3), cql_coef=1.0)
    assert loss["loss"].item() == pytest.approx(math.log(math.e + math.e**2 + 1.0) - 2.0)
