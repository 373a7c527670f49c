"""The result type every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Equilibrium", "DegenerateGameError", "fraction_text", "sort_equilibria"]

#: Probabilities this close to 0 in a float solver's answer are rounding noise.
_NOISE = 1e-13


class DegenerateGameError(ValueError):
    """The game is degenerate and the method requires a nondegenerate game."""


def fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """One equilibrium (or approximate equilibrium) of a normal-form game.

    Attributes:
        profile: one probability vector per player (float).
        payoffs: each player's expected payoff.
        exact_profile / exact_payoffs: the same as :class:`~fractions.Fraction` when the solver certified them
            in rational arithmetic, else ``None``.
        epsilon: the profile's largest regret (0 for an exact certificate).
        method: the solver that produced it.
        info: solver-specific details (e.g. the starting label of Lemke-Howson, the QRE ``lambda``).
    """

    profile: tuple[np.ndarray, ...]
    payoffs: np.ndarray
    exact_profile: tuple[tuple[Fraction, ...], ...] | None = None
    exact_payoffs: tuple[Fraction, ...] | None = None
    epsilon: float = 0.0
    method: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # float solvers leave rounding noise such as -4.4e-18 or 3e-16 where the probability is 0: shown as
        # such it reads as a (negative) probability; snap it to 0 (the support is what the solver certified)
        cleaned = []
        for p in self.profile:
            p = np.asarray(p, dtype=np.float64)
            noise = np.abs(p) <= _NOISE
            cleaned.append(np.where(noise, 0.0, p) if noise.any() else p)
        object.__setattr__(self, "profile", tuple(cleaned))

    @property
    def is_exact(self) -> bool:
        return self.exact_profile is not None

    def support(self) -> tuple[tuple[int, ...], ...]:
        """Indices of the strategies each player uses with positive probability."""
        if self.exact_profile is not None:
            return tuple(tuple(k for k, p in enumerate(row) if p > 0) for row in self.exact_profile)
        return tuple(tuple(int(k) for k in np.flatnonzero(p > 1e-12)) for p in self.profile)

    def to_dict(self, exact: bool = False) -> dict[str, Any]:
        """``{"profile": [[...]], "payoffs": [...]}``; with ``exact`` (and a certificate) as ``"a/b"`` strings."""
        if exact and self.exact_profile is not None:
            return {
                "profile": [[fraction_text(v) for v in row] for row in self.exact_profile],
                "payoffs": [fraction_text(v) for v in self.exact_payoffs or ()],
            }
        return {
            "profile": [[float(v) for v in p] for p in self.profile],
            "payoffs": [float(v) for v in self.payoffs],
        }

    def key(self, decimals: int = 9) -> tuple[float, ...]:
        """A hashable rounded form, to compare and deduplicate equilibria."""
        return tuple((np.round(np.concatenate(self.profile), decimals) + 0.0).tolist())

    def __repr__(self) -> str:
        rows = self.to_dict(exact=self.is_exact)["profile"]
        return f"Equilibrium(profile={rows}, payoffs={[round(float(v), 6) for v in self.payoffs]})"


def sort_equilibria(equilibria: list[Equilibrium]) -> list[Equilibrium]:
    """Deduplicate (to 1e-9) and sort deterministically (lexicographically, largest first)."""
    unique: dict[tuple[float, ...], Equilibrium] = {}
    for eq in equilibria:
        unique.setdefault(eq.key(), eq)
    return [unique[k] for k in sorted(unique, reverse=True)]
