"""THE registration table: one ``register`` call per environment id, string entry points.

Importing :mod:`tactica` imports this module, which registers every id: single-agent ids with Gymnasium as well
(``gym.make("TextSC2-v0")`` after ``import tactica``, or ``gym.make("tactica:TextSC2-v0")`` without it), and
multi-agent ids in tactica's own registry (``tactica.make_parallel(ID)``, ``tactica.make_aec(ID)``).  Every id
registered here is covered by ``tests/test_conformance.py`` automatically.
"""

from tactica.envs.registration import (
    EnvSpec,
    make,
    make_aec,
    make_parallel,
    parse_options,
    register,
    registry,
    spec,
)

__all__ = ["EnvSpec", "make", "make_aec", "make_parallel", "parse_options", "register", "registry", "spec"]

register(
    id="MarkovGame-v0",
    entry_point="tactica.envs.markov.env:MarkovGameEnv",
    kind="multi",
    summary="General-sum stochastic (Markov) games and normal-form games from a catalog or generators",
    backends=("embedded",),
    status="stable",
    kwargs={"game": "prisoners_dilemma"},
    conformance_kwargs=(
        {"game": "prisoners_dilemma"},
        {"game": "rock_paper_scissors", "horizon": 5},
        {"game": "grid_game_2"},
        {
            "game": "random_markov",
            "num_players": 3,
            "num_states": 4,
            "num_actions": 3,
            "seed": 1,
            "min_actions": 1,
        },
    ),
)
