"""The polynomial system of one support profile of an ``n``-player game.

Fix a support ``S_j`` for every player ``j`` and write each mixed strategy in *reduced coordinates*: with
``r_j = S_j[0]`` the reference strategy, ``sigma_j = e_{r_j} + sum_t y_{j,t} (e_t - e_{r_j})`` over the other
strategies ``t`` of ``S_j``.  A profile with these supports is a Nash equilibrium iff

* every strategy of ``S_i`` earns what ``r_i`` earns: ``D_{i,s}(y) = u_i(s, sigma_-i) - u_i(r_i, sigma_-i) = 0``
  (``sum_j (|S_j| - 1)`` equations in as many unknowns: the system is square);
* no strategy outside ``S_i`` earns more: ``E_{i,t}(y) = u_i(t, sigma_-i) - u_i(r_i, sigma_-i) <= 0``;
* every probability of the support is positive: ``y_{j,t} > 0`` and ``1 - sum_t y_{j,t} > 0``.

Each ``D`` and ``E`` is *block-affine*: affine in each player's block ``y_j`` when the others are fixed (a
multilinear polynomial in the players' mixed strategies).  We store it as a coefficient tensor ``C`` with one
axis per other mixed player ``j``, of length ``|S_j|``: index 0 multiplies 1 and index ``t`` multiplies
``y_{j,t}``, so ``D(y) = sum C[a] prod_j z_j[a_j]`` with ``z_j = (1, y_j)``.

Because such a function is affine in each block, its range over a box is attained at the box's vertices: the
exact range is the minimum and maximum over all products of the blocks' vertices (``2^(|S_j| - 1)`` per block).
The solvers use this for exclusion tests and for the interval Jacobian of the Krawczyk test.  Everything is
kept twice: in floating point (payoffs divided by the game's payoff range, for fast batched tests with a
rigorous rounding bound) and in exact :class:`~fractions.Fraction` arithmetic (for certificates).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product

import numpy as np

__all__ = ["BlockPolynomial", "SupportSystem"]

#: Unit roundoff of float64.
_U = 2.0**-53


def _gamma(operations: int) -> float:
    """Higham's ``gamma_n = n u / (1 - n u)``: relative error bound of ``n`` float operations."""
    return operations * _U / (1 - operations * _U)


@dataclass(frozen=True)
class BlockPolynomial:
    """``sum_a C[a] prod_k z_{axes[k]}[a_k]`` with ``z_j = (1, y_j)``: one axis per mixed player it depends on.

    Attributes:
        axes: the mixed-player block numbers (indices into :attr:`SupportSystem.blocks`) of ``C``'s axes.
        exact: ``C`` in Fractions (the game's payoff units).
        coef: ``C`` in float64, divided by the game's payoff range.
    """

    axes: tuple[int, ...]
    exact: np.ndarray
    coef: np.ndarray

    def derivative(self, axis_position: int, index: int) -> BlockPolynomial:
        """``d/dy`` of the variable ``index`` (1-based within its block) of the block at ``axis_position``."""
        keep = self.axes[:axis_position] + self.axes[axis_position + 1 :]
        return BlockPolynomial(
            keep,
            np.take(self.exact, index, axis=axis_position),
            np.take(self.coef, index, axis=axis_position),
        )


class SupportSystem:
    """Equations, inequalities and probabilities of one support profile (see the module docstring).

    Args:
        exact_payoffs: the game's exact payoff tensor ``(n, A_1..A_n)`` of Fractions.
        supports: one sorted tuple of strategy indices per player.
        scale: the payoff range (positive Fraction): float coefficients are divided by it.
    """

    def __init__(
        self, exact_payoffs: np.ndarray, supports: tuple[tuple[int, ...], ...], scale: Fraction
    ) -> None:
        n = exact_payoffs.shape[0]
        self.supports = supports
        self.num_actions = exact_payoffs.shape[1:]
        #: players with two or more strategies in their support: the blocks of unknowns
        self.blocks = tuple(j for j in range(n) if len(supports[j]) > 1)
        self.block_sizes = tuple(len(supports[j]) for j in self.blocks)
        offsets = np.cumsum((0,) + tuple(k - 1 for k in self.block_sizes))
        self.slices = tuple(slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:]))
        self.dim = int(offsets[-1])
        self.scale = scale
        block_of = {j: b for b, j in enumerate(self.blocks)}
        self.equations: list[BlockPolynomial] = []
        self.equation_labels: list[tuple[int, int]] = []
        self.inequalities: list[BlockPolynomial] = []
        self.inequality_labels: list[tuple[int, int]] = []
        for i in range(n):
            restricted = exact_payoffs[i][
                np.ix_(*[range(self.num_actions[j]) if j == i else supports[j] for j in range(n)])
            ]
            own = np.moveaxis(restricted, i, 0)  # (A_i, k_j for j != i)
            axes = tuple(block_of[j] for j in range(n) if j != i and j in block_of)
            pure_axes = tuple(k for k, j in enumerate(j for j in range(n) if j != i) if j not in block_of)
            reference = supports[i][0]
            for s in range(self.num_actions[i]):
                if s == reference:
                    continue
                difference = own[s] - own[reference]
                difference = np.squeeze(difference, axis=pure_axes) if pure_axes else difference
                poly = self._reduced(difference, axes)
                if s in supports[i]:
                    self.equations.append(poly)
                    self.equation_labels.append((i, s))
                else:
                    self.inequalities.append(poly)
                    self.inequality_labels.append((i, s))
        assert len(self.equations) == self.dim
        self._jacobian: list[tuple[int, int, BlockPolynomial]] | None = None
        self.jacobian_polys: list[BlockPolynomial] = []
        self._group_cache: dict[int, tuple] = {}

    # ---------------------------------------------------------------------------------------------- building
    def _reduced(self, difference: np.ndarray, axes: tuple[int, ...]) -> BlockPolynomial:
        """Coefficients in ``z = (1, y)`` coordinates: ``C[0] = D[r]``, ``C[t] = D[t] - D[r]`` on every axis."""
        tensor = np.asarray(difference, dtype=object)
        for position in range(len(axes)):
            first = np.take(tensor, [0], axis=position)
            rest = np.take(tensor, range(1, tensor.shape[position]), axis=position) - first
            tensor = np.concatenate([first, rest], axis=position)
        coef = np.vectorize(lambda v: float(Fraction(v) / self.scale), otypes=[np.float64])(tensor)
        return BlockPolynomial(axes, tensor, np.asarray(coef, dtype=np.float64).reshape(tensor.shape))

    def jacobian_entries(self) -> list[tuple[int, int, BlockPolynomial]]:
        """``(row, column, dD_row/dy_column)`` for every structurally nonzero Jacobian entry."""
        if self._jacobian is None:
            entries = []
            for row, poly in enumerate(self.equations):
                for position, block in enumerate(poly.axes):
                    for t in range(1, self.block_sizes[block]):
                        column = self.slices[block].start + t - 1
                        entries.append((row, column, poly.derivative(position, t)))
            self._jacobian = entries
            self.jacobian_polys = [e[2] for e in entries]
        return self._jacobian

    # ------------------------------------------------------------------------------------ float evaluation
    def _z(self, points: np.ndarray, block: int) -> np.ndarray:
        y = points[:, self.slices[block]]
        return np.concatenate([np.ones((len(points), 1)), y], axis=1)

    def _groups(
        self, polys: list[BlockPolynomial]
    ) -> list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]]:
        """Polynomials sharing their axes, stacked: ``(axes, positions, coefficients (Q, ...), sum |C| (Q,))``.

        Cached for the system's own lists (equations, inequalities, Jacobian entries), which live as long as
        the system.
        """
        key = id(polys)
        cached = self._group_cache.get(key)
        if cached is not None and cached[0] is polys:
            return cached[1]
        by_axes: dict[tuple[int, ...], list[int]] = {}
        for k, poly in enumerate(polys):
            by_axes.setdefault(poly.axes, []).append(k)
        groups = []
        for axes, positions in by_axes.items():
            coef = np.stack([polys[k].coef for k in positions])
            total = np.abs(coef).reshape(len(positions), -1).sum(axis=1)
            groups.append((axes, np.array(positions), coef, total))
        self._group_cache[key] = (polys, groups)
        return groups

    def _error_bound(self, axes: tuple[int, ...], total: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
        """``(B, Q)`` rounding bound: ``gamma_K * sum |C| * M^len(axes)`` with ``M`` bounding ``|z|`` per box.

        ``sum |C| prod |z|`` bounds the sum of the magnitudes of all terms (Higham, *Accuracy and Stability of
        Numerical Algorithms*, section 3.1); ``K`` counts the operations on any path, coefficient rounding
        included.
        """
        operations = sum(self.block_sizes[b] + 2 for b in axes) + 4
        return _gamma(operations) * total[None, :] * magnitude[:, None] ** len(axes) + 1e-300

    def evaluate(self, polys: list[BlockPolynomial], points: np.ndarray) -> np.ndarray:
        """Float values ``(B, len(polys))`` of ``polys`` at the points ``(B, dim)`` (scaled payoff units)."""
        return self.evaluate_with_error(polys, points)[0]

    def evaluate_with_error(
        self, polys: list[BlockPolynomial], points: np.ndarray, bound: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Float values ``(B, len(polys))`` and, with ``bound``, a rigorous bound on their rounding errors."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        count = len(points)
        zs = [self._z(points, b) for b in range(len(self.blocks))]
        out = np.empty((count, len(polys)))
        errors = np.empty((count, len(polys))) if bound else None
        magnitude = np.maximum(1.0, np.abs(points).max(axis=1)) if bound and self.dim else np.ones(count)
        for axes, positions, coef, total in self._groups(polys):
            tensor = np.broadcast_to(coef, (count,) + coef.shape)
            for block in reversed(axes):  # contract the last axis: one batched matrix-vector product
                tensor = tensor.reshape(count, -1, self.block_sizes[block]) @ zs[block][:, :, None]
            out[:, positions] = tensor.reshape(count, len(positions))
            if bound:
                errors[:, positions] = self._error_bound(axes, total, magnitude)
        return out, errors

    def jacobian(self, point: np.ndarray) -> np.ndarray:
        """Float Jacobian ``(dim, dim)`` of the equations at one point."""
        jac = np.zeros((self.dim, self.dim))
        entries = self.jacobian_entries()
        values = self.evaluate(self.jacobian_polys, point[None, :])[0] if entries else []
        for (row, column, _), value in zip(entries, values):
            jac[row, column] = value
        return jac

    def _vertices(self, lo: np.ndarray, hi: np.ndarray, block: int) -> np.ndarray:
        """``(B, 2^(k-1), k)``: ``z = (1, y)`` at every vertex of each box's block."""
        sl = self.slices[block]
        width = sl.stop - sl.start
        bits = np.array(list(product((0, 1), repeat=width)), dtype=bool)  # (V, width)
        y = np.where(bits[None, :, :], hi[:, None, sl], lo[:, None, sl])
        return np.concatenate([np.ones(y.shape[:2] + (1,)), y], axis=2)

    def ranges(
        self, polys: list[BlockPolynomial], lo: np.ndarray, hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rigorous enclosures ``(low, high)``, each ``(B, len(polys))``, of ``polys`` over the boxes.

        The exact range is the extreme over the boxes' vertices (block-affine functions); the enclosure is
        widened by the bound of :meth:`_error_bound` on the floating-point evaluation's rounding.
        """
        count = len(lo)
        vertices = [self._vertices(lo, hi, b) for b in range(len(self.blocks))]
        magnitude = (
            np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)).max(axis=1)) if self.dim else np.ones(count)
        )
        low = np.empty((count, len(polys)))
        high = np.empty((count, len(polys)))
        for axes, positions, coef, total in self._groups(polys):
            # contract the last strategy axis with its block's vertices, one batched matrix product per axis:
            # values (B, X, k, P) -> (B, X, P, V), P = vertex combinations of the axes contracted so far
            values = np.broadcast_to(coef, (count,) + coef.shape)
            combinations = 1
            for block in reversed(axes):
                size = self.block_sizes[block]
                values = values.reshape(count, -1, size, combinations).transpose(0, 1, 3, 2)
                values = values @ vertices[block].transpose(0, 2, 1)[:, None]
                combinations *= vertices[block].shape[1]
            values = values.reshape(count, len(positions), -1)
            error = self._error_bound(axes, total, magnitude)
            low[:, positions] = values.min(axis=2) - error
            high[:, positions] = values.max(axis=2) + error
        return low, high

    def probabilities(self, points: np.ndarray) -> list[np.ndarray]:
        """Full mixed strategies (one ``(B, A_j)`` array per player) at reduced points ``(B, dim)``."""
        points = np.atleast_2d(points)
        out = []
        block_of = {j: b for b, j in enumerate(self.blocks)}
        for j, support in enumerate(self.supports):
            sigma = np.zeros((len(points), self.num_actions[j]))
            if j in block_of:
                y = points[:, self.slices[block_of[j]]]
                sigma[:, support[0]] = 1.0 - y.sum(axis=1)
                sigma[:, list(support[1:])] = y
            else:
                sigma[:, support[0]] = 1.0
            out.append(sigma)
        return out

    # ------------------------------------------------------------------------------------ exact evaluation
    def evaluate_exact(self, polys: list[BlockPolynomial], point: list[Fraction]) -> list[Fraction]:
        """Exact values (payoff units) of ``polys`` at a rational point."""
        zs = [
            np.array([Fraction(1)] + list(point[self.slices[b]]), dtype=object)
            for b in range(len(self.blocks))
        ]
        out = []
        for poly in polys:
            tensor = poly.exact
            for block in poly.axes:
                tensor = np.tensordot(tensor, zs[block], axes=([0], [0]))
            out.append(Fraction(tensor if not isinstance(tensor, np.ndarray) else tensor.item()))
        return out

    def ranges_exact(
        self, polys: list[BlockPolynomial], lo: list[Fraction], hi: list[Fraction]
    ) -> list[tuple[Fraction, Fraction]]:
        """Exact ranges (payoff units) of ``polys`` over one rational box: extremes over its vertices."""
        vertices = []
        for b in range(len(self.blocks)):
            sl = self.slices[b]
            rows = [
                [Fraction(1)] + [hi[sl.start + t] if bit else lo[sl.start + t] for t, bit in enumerate(bits)]
                for bits in product((0, 1), repeat=sl.stop - sl.start)
            ]
            vertices.append(np.array(rows, dtype=object))
        out = []
        for poly in polys:
            tensor = np.asarray(poly.exact, dtype=object)[None, ...]
            for block in poly.axes:
                tensor = np.einsum("pk...,vk->pv...", tensor, vertices[block])
                tensor = tensor.reshape((-1,) + tensor.shape[2:])
            values = list(tensor.reshape(-1))
            out.append((min(values), max(values)))
        return out

    def exact_probabilities(self, point: list[Fraction]) -> list[list[Fraction]]:
        """Full mixed strategies in Fractions at a rational reduced point."""
        block_of = {j: b for b, j in enumerate(self.blocks)}
        out = []
        for j, support in enumerate(self.supports):
            sigma = [Fraction(0)] * self.num_actions[j]
            if j in block_of:
                y = point[self.slices[block_of[j]]]
                sigma[support[0]] = 1 - sum(y, Fraction(0))
                for t, value in zip(support[1:], y):
                    sigma[t] = value
            else:
                sigma[support[0]] = Fraction(1)
            out.append(sigma)
        return out
