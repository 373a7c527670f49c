"""The correlated-equilibrium instantiation of control as inference.

A correlation device draws a joint recommendation ``a ~ mu`` and tells each player only its own part ``a_i``.
Player ``i`` obeys when no deviation ``a_i -> d`` gains in expectation given what it was told::

    g_{i,r,d}(mu) = sum_{a: a_i = r} mu(a) [u_i(d, a_-i) - u_i(a)] <= 0        for every r, d

The device is the variational (maximum-entropy) posterior over joint actions at temperature ``alpha``::

    mu = argmax_mu  E_mu[w(a)] + alpha * H(mu)   subject to the obedience constraints

whose solution is the Gibbs distribution ``mu(a) ~ exp((w(a) - sum lambda_{i,r,d} [a_i = r] gain_i(d, a)) / alpha)``:
each player's multipliers ``lambda_{i,r,.}`` are its soft responses to being told ``r``, priced from its own
payoffs only.  The multipliers solve the convex dual ``min_{lambda >= 0} alpha log sum_a exp(...)``; each
player's dual step uses only its own obedience gaps (:func:`dual_ascent` runs those decentralised steps; the
default solves the same dual with L-BFGS-B).  At the optimum every constraint holds (the CE gap is 0 up to the
solver's tolerance), so the device is a correlated equilibrium for any ``alpha > 0``; ``w = 0`` gives the
maximum-entropy CE, ``w`` = the sum of payoffs a welfare-leaning one.  The result is checked with
:func:`tactica.equilibria.ce_gap`, not NashConv.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["SoftCorrelatedDevice", "soft_correlated_equilibrium", "obedience_gains"]


def obedience_gains(payoffs: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Rows ``g_k(a)`` over flattened joint actions, one per (player, recommendation, deviation) with r != d."""
    payoffs = np.asarray(payoffs, dtype=np.float64)
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    rows, labels = [], []
    for i in range(n):
        u = payoffs[i]
        for r in range(shape[i]):
            for d in range(shape[i]):
                if r == d:
                    continue
                told = np.zeros(shape)
                index = [slice(None)] * n
                index[i] = r
                # gain of playing d instead of r against the others' part of every joint action with a_i = r
                deviated = np.take(u, d, axis=i)
                told[tuple(index)] = deviated - np.take(u, r, axis=i)
                rows.append(told.ravel())
                labels.append((i, r, d))
    return np.array(rows), labels


@dataclass
class SoftCorrelatedDevice:
    """The device's distribution ``mu`` over joint actions and the players' multipliers."""

    distribution: np.ndarray  # shape (A_1, ..., A_n)
    multipliers: np.ndarray
    labels: list[tuple[int, int, int]]
    alpha: float
    iterations: int

    def sample(self, rng: np.random.Generator) -> tuple[int, ...]:
        """Draw one joint recommendation."""
        flat = rng.choice(self.distribution.size, p=self.distribution.ravel())
        return tuple(int(k) for k in np.unravel_index(flat, self.distribution.shape))


def _gibbs(weights: np.ndarray, gains: np.ndarray, lam: np.ndarray, alpha: float) -> np.ndarray:
    logits = (weights - lam @ gains) / alpha
    logits -= logits.max()
    mu = np.exp(logits)
    return mu / mu.sum()


def soft_correlated_equilibrium(
    payoffs: np.ndarray,
    alpha: float = 0.1,
    *,
    welfare_weight: float = 0.0,
    method: str = "lbfgs",
    iterations: int = 20_000,
    tol: float = 1e-10,
) -> SoftCorrelatedDevice:
    """The temperature-``alpha`` correlated equilibrium of a normal-form game ``(n, A_1..A_n)``.

    Args:
        welfare_weight: weight of the sum of payoffs in the device's objective (0: maximum entropy).
        method: ``"lbfgs"`` (the dual by L-BFGS-B) or ``"dual-ascent"`` (each player's projected gradient step
            on its own multipliers, the decentralised form).
    """
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0; got {alpha}")
    payoffs = np.asarray(payoffs, dtype=np.float64)
    gains, labels = obedience_gains(payoffs)
    weights = welfare_weight * payoffs.sum(axis=0).ravel()
    scale = max(float(np.abs(gains).max()), 1e-12)
    lam = np.zeros(len(labels))
    if method == "lbfgs":

        def dual(lam):
            logits = (weights - lam @ gains) / alpha
            top = logits.max()
            mu = np.exp(logits - top)
            total = mu.sum()
            return alpha * (top + np.log(total)), -(gains @ (mu / total))

        solution = optimize.minimize(
            dual,
            lam,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, None)] * len(lam),
            options={"maxiter": iterations, "ftol": 1e-15, "gtol": tol},
        )
        lam, used = solution.x, int(solution.nit)
    elif method == "dual-ascent":
        step = alpha / scale**2
        used = iterations
        for k in range(iterations):
            violation = gains @ _gibbs(weights, gains, lam, alpha)
            # each player moves only its own multipliers, from its own obedience gaps
            lam = np.maximum(0.0, lam + step * violation)
            if np.clip(violation, 0, None).max() < tol:
                used = k + 1
                break
    else:
        raise ValueError(f"method must be 'lbfgs' or 'dual-ascent'; got {method!r}")
    mu = _gibbs(weights, gains, lam, alpha).reshape(payoffs.shape[1:])
    return SoftCorrelatedDevice(mu, lam, labels, float(alpha), used)
