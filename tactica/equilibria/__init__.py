"""Equilibrium solvers and exploitability for normal-form, stochastic and mean-field games.

Normal-form games (:class:`NormalFormGame`, payoff tensor ``U[i, a_1..a_n]``, exact Fractions kept when the
payoffs are rational):

- :func:`pure_equilibria` (n players), :func:`polynomial_equilibria` (all equilibria of n-player games,
  certified, with non-isolated components), :func:`support_enumeration` and :func:`vertex_enumeration` (all
  equilibria of 2-player games), :func:`lemke_howson` / :func:`lemke_howson_enumeration`,
  :func:`solve_zero_sum` (LP), :func:`correlated_equilibrium` / :func:`coarse_correlated_equilibrium` (LP),
  :func:`logit_qre_branch` / :func:`logit_qre` / :func:`logit_qre_limit`, :func:`fictitious_play`,
  :func:`replicator_dynamics`;
- :func:`exploitability` (per-player regret, NashConv, epsilon), :func:`certify_exact` (rational certificate),
  :func:`ce_gap`, :func:`cce_gap`.

Stochastic games (:class:`tactica.envs.markov.model.MarkovGameModel`): :mod:`tactica.equilibria.stochastic`.
Mean-field games: :mod:`tactica.equilibria.mean_field`.  Files: :mod:`tactica.equilibria.formats`.
"""

from tactica.equilibria.correlated import (
    CorrelatedEquilibrium,
    cce_gap,
    ce_gap,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
)
from tactica.equilibria.exploitability import (
    ExactCertificate,
    ExploitabilityReport,
    PlayerRegret,
    certify_exact,
    epsilon,
    exploitability,
    nash_conv,
    regrets,
)
from tactica.equilibria.fictitious_play import fictitious_play, replicator_dynamics
from tactica.equilibria.games import MeanFieldGame, NormalFormGame, as_profile
from tactica.equilibria.lemke_howson import LemkeHowsonError, lemke_howson, lemke_howson_enumeration
from tactica.equilibria.polynomial import Component, PolynomialResult, SizeGuardError, polynomial_equilibria
from tactica.equilibria.pure import pure_equilibria
from tactica.equilibria.qre import logit_qre, logit_qre_branch, logit_qre_limit
from tactica.equilibria.solution import DegenerateGameError, Equilibrium
from tactica.equilibria.support_enumeration import support_enumeration
from tactica.equilibria.vertex_enumeration import vertex_enumeration
from tactica.equilibria.zero_sum_lp import solve_zero_sum

__all__ = [
    "Component",
    "CorrelatedEquilibrium",
    "DegenerateGameError",
    "Equilibrium",
    "ExactCertificate",
    "ExploitabilityReport",
    "LemkeHowsonError",
    "MeanFieldGame",
    "NormalFormGame",
    "PlayerRegret",
    "PolynomialResult",
    "SizeGuardError",
    "as_profile",
    "cce_gap",
    "ce_gap",
    "certify_exact",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
    "epsilon",
    "exploitability",
    "fictitious_play",
    "lemke_howson",
    "lemke_howson_enumeration",
    "logit_qre",
    "logit_qre_branch",
    "logit_qre_limit",
    "nash_conv",
    "polynomial_equilibria",
    "pure_equilibria",
    "regrets",
    "replicator_dynamics",
    "solve_zero_sum",
    "support_enumeration",
    "vertex_enumeration",
]
