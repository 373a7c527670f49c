"""Logit quantal response equilibria (QRE) by path following (McKelvey & Palfrey 1995; Turocy 2005).

At precision ``lambda`` each player mixes ``p_i(a) ~ exp(lambda * v_i(a; p_-i))`` where ``v_i`` is the payoff of
pure strategy ``a`` against the others' mixed strategies (payoffs are first scaled to the range [0, 1], so
``lambda`` is in units of the payoff range).  At ``lambda = 0`` the unique QRE is uniform; the *principal branch*
of QREs that starts there reaches a Nash equilibrium as ``lambda -> infinity`` in a generic game (the logit
tracing procedure).  We follow it in the variables ``(log p, lambda)`` by pseudo-arclength continuation:
an Euler predictor along the tangent (the null vector of the Jacobian) and Gauss-Newton correctors, with step
control; the branch may bend back in ``lambda``, which arclength continuation handles.

Functions:

- :func:`logit_qre_branch` -- the points of the principal branch up to ``lambda_max``;
- :func:`logit_qre` -- the QRE on the branch at a given ``lambda``;
- :func:`logit_qre_limit` -- the Nash equilibrium the branch approaches (refined and verified exactly for
  2-player games when the support is identified; otherwise an approximate equilibrium with its epsilon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tactica.equilibria.games import NormalFormGame
from tactica.equilibria.solution import Equilibrium

__all__ = ["QREPoint", "logit_qre_branch", "logit_qre", "logit_qre_limit", "logit_response"]


@dataclass(frozen=True)
class QREPoint:
    """One point of the branch: ``lam`` in units of the payoff range (scaled game) and the profile."""

    lam: float
    profile: tuple[np.ndarray, ...]


def logit_response(game: NormalFormGame, profile: list[np.ndarray], lam: float) -> list[np.ndarray]:
    """Each player's logit response ``softmax(lam * v_i / range)`` to ``profile``."""
    values = game.action_values(profile, validate=False)
    out = []
    for v in values:
        z = lam * (v - v.max()) / game.payoff_range()
        e = np.exp(z)
        out.append(e / e.sum())
    return out


class _Homotopy:
    def __init__(self, game: NormalFormGame):
        self.game = game
        self.u = (game.payoffs - game.payoffs.min()) / game.payoff_range()
        self.n = game.num_players
        self.sizes = game.num_actions
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.dim = int(self.offsets[-1])

    def split(self, w: np.ndarray) -> list[np.ndarray]:
        return [np.exp(w[self.offsets[i] : self.offsets[i + 1]]) for i in range(self.n)]

    def _contract(self, i: int, probs: list[np.ndarray], keep: tuple[int, ...]) -> np.ndarray:
        tensor = self.u[i]
        for j in reversed(range(self.n)):
            if j not in keep:
                tensor = np.tensordot(tensor, probs[j], axes=([j], [0]))
        return tensor

    def residual_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, lam = x[:-1], x[-1]
        probs = self.split(w)
        h = np.zeros(self.dim)
        jac = np.zeros((self.dim, self.dim + 1))
        for i in range(self.n):
            lo, hi = self.offsets[i], self.offsets[i + 1]
            v = self._contract(i, probs, (i,))
            # rows lo+1..hi-1: w_i(a) - w_i(0) - lam (v_i(a) - v_i(0)); row lo: sum_a p_i(a) - 1
            h[lo] = probs[i].sum() - 1.0
            jac[lo, lo:hi] = probs[i]
            h[lo + 1 : hi] = w[lo + 1 : hi] - w[lo] - lam * (v[1:] - v[0])
            for a in range(1, hi - lo):
                jac[lo + a, lo + a] = 1.0
                jac[lo + a, lo] = -1.0
            jac[lo + 1 : hi, -1] = -(v[1:] - v[0])
            for j in range(self.n):
                if j == i:
                    continue
                cross = self._contract(i, probs, (i, j))  # shape (A_i, A_j) with axes ordered by player index
                if j < i:
                    cross = cross.T
                jlo, jhi = self.offsets[j], self.offsets[j + 1]
                jac[lo + 1 : hi, jlo:jhi] = -lam * (cross[1:] - cross[0]) * probs[j][None, :]
        return h, jac


def _tangent(jac: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    _, _, vt = np.linalg.svd(jac)
    t = vt[-1]
    if previous is None:
        if t[-1] < 0:
            t = -t
    elif t @ previous < 0:
        t = -t
    return t


def logit_qre_branch(
    game: NormalFormGame,
    lambda_max: float = 1e6,
    *,
    step: float = 0.05,
    max_step: float = 1e5,
    max_points: int = 100_000,
    tol: float = 1e-10,
) -> list[QREPoint]:
    """Trace the principal logit QRE branch from ``lambda = 0`` to ``lambda_max`` (scaled payoffs)."""
    hom = _Homotopy(game)
    w0 = np.concatenate([np.full(m, -np.log(m)) for m in hom.sizes])
    x = np.append(w0, 0.0)
    points = [QREPoint(0.0, tuple(hom.split(w0)))]
    _, jac = hom.residual_and_jacobian(x)
    t = _tangent(jac, None)
    h = step
    while x[-1] < lambda_max and len(points) < max_points:
        # larger steps are fine far out on the branch: scale with lambda so the trace reaches 1e6 quickly
        predicted = x + h * t
        y = predicted
        converged = False
        for _ in range(12):
            res, jac = hom.residual_and_jacobian(y)
            # minimal-norm Gauss-Newton correction, orthogonal to the curve
            delta = np.linalg.lstsq(jac, res, rcond=None)[0]
            y = y - delta
            if np.abs(delta).max() < tol * max(1.0, np.abs(y).max()) and np.abs(res).max() < 1e-8:
                converged = True
                break
        if not converged or not np.isfinite(y).all():
            h *= 0.5
            if h < 1e-12:
                break
            continue
        t_new = _tangent(jac, t)
        # accept; grow the step if the tangent barely turned
        turn = float(np.clip(t @ t_new, -1.0, 1.0))
        x, t = y, t_new
        points.append(QREPoint(float(x[-1]), tuple(hom.split(x[:-1]))))
        h = min(h * (2.0 if turn > 0.999 else 1.2 if turn > 0.99 else 0.7), max_step)
    return points


def logit_qre(game: NormalFormGame, lam: float, **kwargs: float) -> list[np.ndarray]:
    """The QRE on the principal branch at precision ``lam`` (first crossing; scaled payoffs).

    The branch is traced past ``lam``, the bracketing points are interpolated, and Newton's method at fixed
    ``lam`` polishes the result (a plain fixed-point iteration would drift to a stable QRE of another branch).
    """
    if lam < 0:
        raise ValueError(f"lambda must be >= 0; got {lam}")
    points = logit_qre_branch(game, lambda_max=lam, **kwargs)
    for before, after in zip(points, points[1:]):
        if after.lam >= lam:
            span = after.lam - before.lam
            s = 0.0 if span <= 0 else (lam - before.lam) / span
            guess = [(1 - s) * p + s * q for p, q in zip(before.profile, after.profile)]
            return _polish(game, guess, lam)
    return list(points[-1].profile)


def _polish(game: NormalFormGame, profile: list[np.ndarray], lam: float, iters: int = 50) -> list[np.ndarray]:
    """Newton's method on the QRE equations at fixed ``lam`` from a nearby point of the branch."""
    hom = _Homotopy(game)
    w = np.log(np.clip(np.concatenate(profile), 1e-300, None))
    for _ in range(iters):
        res, jac = hom.residual_and_jacobian(np.append(w, lam))
        step = np.linalg.solve(jac[:, :-1], res)
        w = w - step
        if np.abs(step).max() < 1e-14:
            break
    return hom.split(w)


def _polish_on_supports(
    game: NormalFormGame, profile: list[np.ndarray], cut: float = 1e-6
) -> list[np.ndarray]:
    """Newton's method on the indifference equations of the supports read off a near-equilibrium profile.

    Unknowns: each player's probabilities on its support; equations: equal payoffs across the support and
    probabilities summing to 1 (a square polynomial system).  Returns the polished profile when Newton
    converges to a nonnegative point with no better strategy outside the supports, else the input (cleaned).
    """
    supports = [np.flatnonzero(p > cut) for p in profile]
    clean = [np.where(p > cut, p, 0.0) for p in profile]
    clean = [p / p.sum() for p in clean]
    sizes = [len(s) for s in supports]
    offsets = np.concatenate([[0], np.cumsum(sizes)])

    def expand(z: np.ndarray) -> list[np.ndarray]:
        out = []
        for i, support in enumerate(supports):
            p = np.zeros(game.num_actions[i])
            p[support] = z[offsets[i] : offsets[i + 1]]
            out.append(p)
        return out

    def residual(z: np.ndarray) -> np.ndarray:
        values = game.action_values(expand(z), validate=False)
        parts = []
        for i, support in enumerate(supports):
            v = values[i][support] / game.payoff_range()
            parts.append(v[1:] - v[0])
            parts.append([z[offsets[i] : offsets[i + 1]].sum() - 1.0])
        return np.concatenate(parts)

    z = np.concatenate([p[s] for p, s in zip(clean, supports)])
    for _ in range(30):
        r = residual(z)
        if np.abs(r).max() < 1e-15:
            break
        jac = np.empty((len(r), len(z)))
        for k in range(len(z)):
            step = np.zeros(len(z))
            step[k] = 1e-7
            jac[:, k] = (residual(z + step) - residual(z - step)) / 2e-7
        try:
            z = z - np.linalg.solve(jac, r)
        except np.linalg.LinAlgError:
            return clean
    candidate = expand(z)
    if (z < 0).any() or not np.isfinite(z).all():
        return clean
    from tactica.equilibria.exploitability import exploitability

    if exploitability(game, candidate).epsilon <= exploitability(game, clean).epsilon:
        return candidate
    return clean


def logit_qre_limit(game: NormalFormGame, lambda_max: float = 1e6) -> Equilibrium:
    """The Nash equilibrium at the end of the principal logit branch.

    For 2-player games the end point's support is read off and the equilibrium is refined and verified; for
    more players Newton's method on the supports' indifference equations polishes the end point, which is
    returned with its measured epsilon (``info['lambda']`` records where the trace stopped).
    """
    from tactica.equilibria.exploitability import exploitability

    points = logit_qre_branch(game, lambda_max=lambda_max)
    end = points[-1]
    if game.num_players == 2:
        from tactica.equilibria._bimatrix import refine_candidate

        eq = refine_candidate(game, end.profile[0], end.profile[1], method="qre", label_tol=1e-4)
        if eq is not None:
            eq.info["lambda"] = end.lam
            return eq
    profile = _polish_on_supports(game, list(end.profile))
    report = exploitability(game, profile)
    return Equilibrium(
        profile=tuple(profile),
        payoffs=game.expected_payoffs(profile),
        epsilon=report.epsilon,
        method="qre",
        info={"lambda": end.lam},
    )
