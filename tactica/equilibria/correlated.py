"""Correlated (CE) and coarse correlated (CCE) equilibria of ``n``-player games by linear programming.

A joint distribution ``sigma`` over pure profiles is a **CE** when no player gains by a swap deviation: for
every player ``i`` and strategies ``a != a'``,
``sum_{a_-i} sigma(a, a_-i) [u_i(a', a_-i) - u_i(a, a_-i)] <= 0``; a **CCE** when no player gains by an
unconditional deviation: ``sum_a sigma(a) [u_i(a', a_-i) - u_i(a)] <= 0`` for every ``a'``.  Both sets are
polytopes, so an objective over them is an LP (SciPy HiGHS, sparse constraint matrix of
``sum_i A_i (A_i - 1)`` (CE) or ``sum_i A_i`` (CCE) rows by ``prod_i A_i`` columns).

Objectives: ``"welfare"`` (maximise the sum of expected payoffs), ``"maxmin"`` (maximise the smallest
player's expected payoff, the egalitarian CE of Greenwald & Hall), ``"feasibility"`` (any point).

Gaps (the analogue of NashConv, OpenSpiel's CEDist/CCEDist): :func:`ce_gap` is, per player, the gain of the
best swap function ``a -> phi(a)``; :func:`cce_gap` the gain of the best unconditional deviation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tactica.equilibria.games import NormalFormGame

if TYPE_CHECKING:
    from scipy import sparse

__all__ = [
    "CorrelatedEquilibrium",
    "correlated_equilibrium",
    "coarse_correlated_equilibrium",
    "ce_gap",
    "cce_gap",
    "as_distribution",
    "OBJECTIVES",
]

OBJECTIVES = ("welfare", "maxmin", "feasibility")


@dataclass(frozen=True, eq=False)
class CorrelatedEquilibrium:
    """A (coarse) correlated equilibrium: a joint distribution over pure profiles."""

    distribution: np.ndarray  # shape (A_1, ..., A_n)
    payoffs: np.ndarray
    kind: str  # "ce" or "cce"
    objective: str
    gaps: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def epsilon(self) -> float:
        return float(self.gaps.max()) if self.gaps.size else 0.0

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "objective": self.objective,
            "distribution": self.distribution.tolist(),
            "payoffs": [float(v) for v in self.payoffs],
            "gaps": [float(v) for v in self.gaps],
        }


def _gain_rows(game: NormalFormGame, player: int) -> tuple[np.ndarray, int]:
    """``gain[a, a', r] = u_i(a', r) - u_i(a, r)`` with the others' profiles ``r`` flattened (C order)."""
    u = np.moveaxis(game.payoffs[player], player, 0).reshape(game.num_actions[player], -1)
    return u[None, :, :] - u[:, None, :], u.shape[1]


def _flat_index(game: NormalFormGame, player: int) -> np.ndarray:
    """Map (a_i, r) of the moved-axis layout to the flat C-order index of the joint tensor."""
    index = np.arange(game.num_profiles).reshape(game.num_actions)
    return np.moveaxis(index, player, 0).reshape(game.num_actions[player], -1)


def _constraints(game: NormalFormGame, kind: str) -> sparse.csr_matrix:
    from scipy import sparse  # lazily: SciPy takes ~0.5 s to import, and `tactica eq` often needs none of it

    rows, cols, vals = [], [], []
    row = 0
    for i in range(game.num_players):
        gain, _ = _gain_rows(game, i)
        flat = _flat_index(game, i)
        m = game.num_actions[i]
        if kind == "ce":
            for a in range(m):
                for b in range(m):
                    if a == b:
                        continue
                    rows.append(np.full(flat.shape[1], row))
                    cols.append(flat[a])
                    vals.append(gain[a, b])
                    row += 1
        else:
            for b in range(m):
                rows.append(np.full(flat.size, row))
                cols.append(flat.ravel())
                vals.append(gain[:, b, :].ravel())
                row += 1
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, game.num_profiles)
    )


def _solve(game: NormalFormGame, kind: str, objective: str) -> CorrelatedEquilibrium:
    from scipy import sparse
    from scipy.optimize import linprog

    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}; got {objective!r}")
    size = game.num_profiles
    scale = game.payoff_range()
    payoff_rows = game.payoffs.reshape(game.num_players, -1) / scale
    a_ub = _constraints(game, kind) / scale
    b_ub = np.zeros(a_ub.shape[0])
    if objective == "maxmin":
        # variables (sigma, t): maximise t subject to t <= u_i(sigma) for every i
        cost = np.append(np.zeros(size), -1.0)
        a_ub = sparse.vstack(
            [
                sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], 1))]),
                sparse.hstack(
                    [sparse.csr_matrix(-payoff_rows), sparse.csr_matrix(np.ones((game.num_players, 1)))]
                ),
            ]
        ).tocsr()
        b_ub = np.append(b_ub, np.zeros(game.num_players))
        a_eq = sparse.csr_matrix(np.append(np.ones(size), 0.0)[None, :])
        bounds = [(0, None)] * size + [(None, None)]
    else:
        cost = -payoff_rows.sum(axis=0) if objective == "welfare" else np.zeros(size)
        a_eq = sparse.csr_matrix(np.ones((1, size)))
        bounds = [(0, None)] * size
    # tight tolerances: the CE gap of the answer is then ~1e-12 of the payoff range instead of ~1e-7
    options = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    res = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs", options=options
    )
    if res.status != 0:
        raise RuntimeError(f"the {kind.upper()} LP failed: {res.message}")
    sigma = np.clip(res.x[:size], 0.0, None)
    sigma = (sigma / sigma.sum()).reshape(game.num_actions)
    payoffs = np.array([float((game.payoffs[i] * sigma).sum()) for i in range(game.num_players)])
    gaps = ce_gap(game, sigma) if kind == "ce" else cce_gap(game, sigma)
    return CorrelatedEquilibrium(sigma, payoffs, kind, objective, gaps)


def correlated_equilibrium(game: NormalFormGame, objective: str = "welfare") -> CorrelatedEquilibrium:
    """A correlated equilibrium optimising ``objective`` (``"welfare"``, ``"maxmin"`` or ``"feasibility"``)."""
    return _solve(game, "ce", objective)


def coarse_correlated_equilibrium(game: NormalFormGame, objective: str = "welfare") -> CorrelatedEquilibrium:
    """A coarse correlated equilibrium optimising ``objective``."""
    return _solve(game, "cce", objective)


def as_distribution(game: NormalFormGame, distribution: object, tol: float = 1e-6) -> np.ndarray:
    """Validate a joint distribution of shape ``(A_1, ..., A_n)``."""
    sigma = np.asarray(distribution, dtype=np.float64)
    if sigma.shape != game.num_actions:
        raise ValueError(f"a joint distribution must have shape {game.num_actions}; got {sigma.shape}")
    if not np.isfinite(sigma).all() or (sigma < -tol).any() or abs(sigma.sum() - 1) > tol:
        raise ValueError("a joint distribution must be nonnegative and sum to 1")
    return np.clip(sigma, 0.0, None)


def ce_gap(game: NormalFormGame, distribution: object) -> np.ndarray:
    """Per player, the expected gain of the best swap deviation ``a -> phi(a)`` (0 at a CE)."""
    sigma = as_distribution(game, distribution)
    gaps = []
    for i in range(game.num_players):
        gain, _ = _gain_rows(game, i)
        weights = np.moveaxis(sigma, i, 0).reshape(game.num_actions[i], -1)
        # expected gain of switching a -> b when told a: sum_r sigma(a, r) gain[a, b, r]
        switch = np.einsum("ar,abr->ab", weights, gain)
        gaps.append(float(np.clip(switch.max(axis=1), 0.0, None).sum()))
    return np.array(gaps)


def cce_gap(game: NormalFormGame, distribution: object) -> np.ndarray:
    """Per player, the expected gain of the best unconditional deviation (0 at a CCE)."""
    sigma = as_distribution(game, distribution)
    gaps = []
    for i in range(game.num_players):
        gain, _ = _gain_rows(game, i)
        weights = np.moveaxis(sigma, i, 0).reshape(game.num_actions[i], -1)
        deviation = np.einsum("ar,abr->b", weights, gain)
        gaps.append(float(max(deviation.max(), 0.0)))
    return np.array(gaps)
