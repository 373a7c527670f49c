"""Mean-field games: flows, hand-computed exploitability, fictitious play on crowd modelling."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.equilibria import MeanFieldGame
from tactica.equilibria.mean_field import (
    crowd_modelling,
    exploitability,
    fictitious_play,
    population_flow,
    uniform_policy,
)


def _crowd_aversion() -> MeanFieldGame:
    """Everyone starts in state 0 and may switch (action 1) to state 1; at t = 1 each pays its cell's crowd."""
    kernel = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # P[s, a, s']

    def reward(mu, t):
        return np.zeros((2, 2)) if t == 0 else -np.repeat(mu[:, None], 2, axis=1)

    return MeanFieldGame(2, 2, 2, np.array([1.0, 0.0]), lambda mu, t: kernel, reward)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_hand_computed_exploitability(p):
    game = _crowd_aversion()
    policy = np.array([[[1 - p, p], [1, 0]], [[1, 0], [1, 0]]])
    flow = population_flow(game, policy)
    np.testing.assert_allclose(flow[1], [1 - p, p])
    # best response value max(-(1-p), -p); the policy's value -(1-p)^2 - p^2
    expected = max(-(1 - p), -p) + (1 - p) ** 2 + p**2
    assert exploitability(game, policy).nash_conv == pytest.approx(expected, abs=1e-12)
    if p == 0.5:
        assert exploitability(game, policy).nash_conv == pytest.approx(0.0, abs=1e-12)


def test_crowd_modelling_fictitious_play_reduces_exploitability():
    game = crowd_modelling()
    uniform = exploitability(game, uniform_policy(game)).nash_conv
    assert uniform > 2.5
    flow = population_flow(game, uniform_policy(game))
    np.testing.assert_allclose(flow.sum(axis=1), 1.0)
    _, history = fictitious_play(game, iterations=10)
    assert min(history) >= 0.0
    assert history[-1] < uniform / 5


def test_policy_validation():
    game = crowd_modelling()
    with pytest.raises(ValueError, match="shape"):
        exploitability(game, np.ones((3, 3)) / 3)
