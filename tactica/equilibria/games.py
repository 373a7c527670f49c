"""Game classes: normal-form games of ``n`` players and mean-field games.

A :class:`NormalFormGame` is a dense payoff tensor ``U[i, a_1, ..., a_n]`` (OpenSpiel's convention): player
``i``'s payoff when every player ``j`` plays its pure strategy ``a_j``.  When the payoffs were given as
rationals (integers, :class:`fractions.Fraction`, decimal or ``a/b`` text from a ``.nfg`` file) the game also
keeps them exactly in :attr:`NormalFormGame.exact`, so that 2-player equilibria can be certified with rational
arithmetic.  Stochastic games are :class:`tactica.envs.markov.model.MarkovGameModel` instances (one source of
dynamics for the environment and the solvers); :class:`MeanFieldGame` describes a representative agent whose
dynamics and reward depend on the population distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational
from typing import Any

import numpy as np

from tactica.equilibria._numbers import check_float_range, parse_rational

__all__ = [
    "NormalFormGame",
    "MeanFieldGame",
    "Profile",
    "as_profile",
    "check_simplex",
    "profile_rows",
    "to_fraction",
]

#: A mixed-strategy profile: one probability vector per player.
Profile = list[np.ndarray]


def to_fraction(value: Any) -> Fraction:
    """``value`` as an exact :class:`~fractions.Fraction` (ints, Fractions, decimal strings, ``"a/b"``, floats).

    Floats convert to the shortest decimal that prints them (``0.1`` -> ``1/10``), which is what a user who typed
    the number meant; use ``Fraction(x)`` directly for the binary expansion.
    """
    if isinstance(value, Fraction):
        return check_float_range(value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"payoff {value!r} is a boolean; expected a number")
    if isinstance(value, (int, np.integer)):
        return check_float_range(Fraction(int(value)))
    if isinstance(value, Rational):
        return check_float_range(Fraction(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise ValueError(f"payoff {value!r} is not finite")
        return Fraction(repr(float(value)))
    if isinstance(value, str):
        return parse_rational(value)
    raise TypeError(f"cannot read {type(value).__name__} {value!r} as a number")


def _is_rational_input(array: np.ndarray) -> bool:
    if array.dtype.kind in "iub":
        return True
    if array.dtype == object:
        return all(isinstance(v, (int, Fraction, np.integer, Rational, str)) for v in array.flat)
    return False


class NormalFormGame:
    """A finite ``n``-player game in strategic form.

    Args:
        payoffs: array of shape ``(n, A_1, ..., A_n)``; ``payoffs[i][a]`` is player ``i``'s payoff at the pure
            profile ``a``.  Integer, :class:`~fractions.Fraction` or numeric-string entries keep an exact copy.
        player_names: one label per player (default ``"1"``, ``"2"``, ...).
        strategy_names: per player, one label per strategy (default ``"1"``, ``"2"``, ...).
        title: free text, written to ``.nfg`` files.
        exact: force (``True``) or suppress (``False``) the exact copy; ``True`` converts floats to their
            shortest decimal rationals.

    Attributes:
        payoffs: float64 tensor ``(n, A_1..A_n)`` (read-only).
        exact: object tensor of :class:`~fractions.Fraction` of the same shape, or ``None``.
    """

    def __init__(
        self,
        payoffs: Any,
        *,
        player_names: Sequence[str] | None = None,
        strategy_names: Sequence[Sequence[str]] | None = None,
        title: str = "",
        exact: bool | None = None,
    ) -> None:
        raw = np.asarray(payoffs, dtype=object if _has_text(payoffs) else None)
        if raw.ndim < 2:
            raise ValueError(f"payoffs must have shape (n_players, A_1, ..., A_n); got shape {raw.shape}")
        n = raw.shape[0]
        if raw.ndim != n + 1:
            raise ValueError(
                f"payoffs has {n} players on axis 0 but {raw.ndim - 1} strategy axes (shape {raw.shape}); "
                "expected shape (n_players, A_1, ..., A_n)"
            )
        if n < 1 or any(m < 1 for m in raw.shape[1:]):
            raise ValueError(f"every player needs at least one strategy; got shape {raw.shape}")
        keep_exact = _is_rational_input(raw) if exact is None else exact
        if keep_exact:
            frac = np.empty(raw.shape, dtype=object)
            for index, value in np.ndenumerate(raw):
                frac[index] = to_fraction(value)
            self.exact: np.ndarray | None = frac
            values = np.array([float(v) for v in frac.flat], dtype=np.float64).reshape(raw.shape)
        else:
            self.exact = None
            try:
                values = np.array(raw, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"payoffs must be numbers; {exc}") from exc
        if not np.isfinite(values).all():
            index = tuple(int(v) for v in np.argwhere(~np.isfinite(values))[0])
            raise ValueError(f"payoffs{list(index)} is not finite")
        values.setflags(write=False)
        self.payoffs: np.ndarray = values
        self.title = str(title)
        self.player_names = (
            tuple(str(p) for p in player_names) if player_names else tuple(str(i + 1) for i in range(n))
        )
        if len(self.player_names) != n:
            raise ValueError(f"player_names has {len(self.player_names)} names for {n} players")
        if strategy_names:
            names = tuple(tuple(str(s) for s in group) for group in strategy_names)
            if len(names) != n or any(len(g) != m for g, m in zip(names, self.num_actions)):
                raise ValueError(
                    f"strategy_names must give {list(self.num_actions)} names for the {n} players; "
                    f"got {[len(g) for g in names]}"
                )
            self.strategy_names = names
        else:
            self.strategy_names = tuple(tuple(str(k + 1) for k in range(m)) for m in self.num_actions)

    # ------------------------------------------------------------------------------------------ constructors
    @classmethod
    def from_bimatrix(cls, row: Any, col: Any | None = None, **kwargs: Any) -> NormalFormGame:
        """A 2-player game from the row player's matrix ``A`` and the column player's ``B`` (``-A`` if omitted)."""
        a = np.asarray(row, dtype=object if _has_text(row) else None)
        b = -a if col is None else np.asarray(col, dtype=object if _has_text(col) else None)
        if a.ndim != 2 or a.shape != b.shape:
            raise ValueError(
                f"a bimatrix game needs two matrices of the same shape (m, n); got {a.shape} and {b.shape}"
            )
        return cls(np.stack([a, b]), **kwargs)

    @classmethod
    def from_model(cls, model: Any, state: int = 0) -> NormalFormGame:
        """The stage game of one state of a :class:`~tactica.envs.markov.model.MarkovGameModel`.

        A one-state model *is* a normal-form game; for a many-state model this returns the immediate-reward
        game of ``state`` (legal actions only).
        """
        if not 0 <= state < model.num_states:
            raise ValueError(f"state must be in [0, {model.num_states}); got {state}")
        payoffs = np.asarray(model.stage_payoffs(state), dtype=np.float64)
        counts = [int(c) for c in model.action_counts[state]]
        names = [list(model.action_names[i][:c]) for i, c in enumerate(counts)]
        # Catalog payoffs are small integers or simple decimals: keep them exact when they are.
        exact = bool(np.all(np.abs(payoffs * 1e6 - np.round(payoffs * 1e6)) < 1e-6))
        return cls(payoffs, strategy_names=names, title=getattr(model, "name", ""), exact=exact)

    # ----------------------------------------------------------------------------------------------- queries
    @property
    def num_players(self) -> int:
        return len(self.payoffs)

    @property
    def num_actions(self) -> tuple[int, ...]:
        sizes = self.__dict__.get("_num_actions")
        if sizes is None:
            sizes = self.__dict__["_num_actions"] = tuple(int(m) for m in self.payoffs.shape[1:])
        return sizes

    def _bordered(self) -> tuple[np.ndarray, np.ndarray]:
        """2 players: ``[A; 1]`` and ``[B^T; 1]`` (C-contiguous), so that ``[A; 1] @ y`` is ``A y`` followed by
        ``sum(y)`` and ``[B^T; 1] @ x`` is ``x B`` followed by ``sum(x)``."""
        bordered = self.__dict__.get("_bordered_payoffs")
        if bordered is None:
            a, b = self.payoffs[0], self.payoffs[1]
            bordered = (np.vstack([a, np.ones(a.shape[1])]), np.vstack([b.T, np.ones(b.shape[0])]))
            self.__dict__["_bordered_payoffs"] = bordered
        return bordered

    def _row_indicator(self) -> np.ndarray:
        """``(sum A_i, n)`` 0/1 matrix: a flat profile times it gives every player's probability sum."""
        indicator = self.__dict__.get("_indicator")
        if indicator is None:
            sizes = self.num_actions
            indicator = np.zeros((sum(sizes), len(sizes)))
            indicator[np.arange(sum(sizes)), np.repeat(np.arange(len(sizes)), sizes)] = 1.0
            self.__dict__["_indicator"] = indicator
        return indicator

    @property
    def num_profiles(self) -> int:
        return int(np.prod(self.num_actions))

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def payoff_range(self) -> float:
        """``max - min`` over all payoffs (Gambit scales its regret tolerance by it); 1.0 for a constant game."""
        spread = self.__dict__.get("_payoff_range")
        if spread is None:  # payoffs are read-only: compute once
            spread = float(self.payoffs.max() - self.payoffs.min())
            spread = self.__dict__["_payoff_range"] = spread if spread > 0 else 1.0
        return spread

    def is_zero_sum(self, tol: float = 1e-12) -> bool:
        return bool(np.abs(self.payoffs.sum(axis=0)).max() <= tol * self.payoff_range())

    def is_constant_sum(self, tol: float = 1e-12) -> bool:
        total = self.payoffs.sum(axis=0)
        return bool(np.ptp(total) <= tol * self.payoff_range())

    def bimatrix(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` of a 2-player game."""
        self._require_players(2, "bimatrix()")
        return self.payoffs[0], self.payoffs[1]

    def _require_players(self, n: int, what: str) -> None:
        if self.num_players != n:
            raise ValueError(f"{what} needs a {n}-player game; this game has {self.num_players} players")

    # ------------------------------------------------------------------------------------------ evaluation
    def action_values(self, profile: Sequence[np.ndarray], *, validate: bool = True) -> list[np.ndarray]:
        """Per player ``i``, the payoff of each pure strategy of ``i`` against the others' mixed strategies.

        ``validate=False`` skips the profile checks (for inner loops that keep their own profiles valid).
        """
        if validate:
            profile = as_profile(self, profile)
        if len(profile) == 2:  # the bare matrix-vector products
            return [self.payoffs[0] @ profile[1], profile[0] @ self.payoffs[1]]
        values = []
        for i in range(self.num_players):
            tensor = self.payoffs[i]
            # contract every other player's axis, highest first so the remaining axis indices stay valid
            for j in reversed(range(self.num_players)):
                if j != i:
                    tensor = np.tensordot(tensor, profile[j], axes=([j], [0]))
            values.append(np.asarray(tensor, dtype=np.float64))
        return values

    def expected_payoffs(self, profile: Sequence[np.ndarray]) -> np.ndarray:
        """Each player's expected payoff ``u_i(profile)``."""
        profile = as_profile(self, profile)
        values = self.action_values(profile, validate=False)
        return np.array([float(v @ p) for v, p in zip(values, profile)])

    def payoffs_of(self, joint_action: Sequence[int]) -> np.ndarray:
        """Payoff vector at a pure profile."""
        return np.array(self.payoffs[(slice(None), *tuple(int(a) for a in joint_action))])

    def __repr__(self) -> str:
        shape = "x".join(str(m) for m in self.num_actions)
        title = f" {self.title!r}" if self.title else ""
        return f"NormalFormGame({self.num_players} players, {shape}{title}, exact={self.is_exact})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NormalFormGame):
            return NotImplemented
        if self.payoffs.shape != other.payoffs.shape:
            return False
        if self.exact is not None and other.exact is not None:
            return bool((self.exact == other.exact).all())
        return bool(np.array_equal(self.payoffs, other.payoffs))

    __hash__ = None  # type: ignore[assignment]


def _has_text(value: Any) -> bool:
    """Whether a nested payoff list holds strings or Fractions (must stay ``object`` dtype)."""
    if isinstance(value, np.ndarray):
        return value.dtype == object or value.dtype.kind in "US"
    if isinstance(value, (str, Fraction)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_text(v) for v in value)
    return False


def as_profile(game: NormalFormGame, profile: Any, tol: float = 1e-6) -> Profile:
    """Validate and convert ``profile`` (one probability vector per player) to float arrays, as given.

    Nothing is normalised or clipped: a row must lie on the simplex to within ``tol`` (every entry at least
    ``-tol``, the sum within ``tol`` of 1) and is returned unchanged, so regrets computed from the result are the
    regrets of exactly the profile the caller gave.  Rows that already are float64 arrays are not copied; lists
    are converted in one NumPy call (``"a/b"`` strings entry by entry).

    Raises:
        ValueError: wrong number of players or strategies, a non-number, a non-finite or negative entry, or a
            row whose sum is not within ``tol`` of 1.
    """
    rows = profile_rows(game, profile)
    flat = np.concatenate(rows) if len(rows) > 1 else rows[0]
    check_simplex(rows, (flat @ game._row_indicator()).tolist(), tol)
    return rows


def profile_rows(game: NormalFormGame, profile: Any) -> Profile:
    """``profile`` as one float64 vector per player, shapes checked, values not yet validated."""
    if isinstance(profile, dict) and "profile" in profile:
        profile = profile["profile"]
    if not isinstance(profile, (list, tuple)) or len(profile) != game.num_players:
        got = len(profile) if isinstance(profile, (list, tuple)) else type(profile).__name__
        raise ValueError(f"a profile needs one probability vector per player ({game.num_players}); got {got}")
    # float64 vectors pass untouched (the fast path of every regret query); anything else is converted
    rows = [
        row if type(row) is np.ndarray and row.dtype is _F64 else _probability_vector(row, i)
        for i, row in enumerate(profile)
    ]
    for i, (p, m) in enumerate(zip(rows, game.num_actions)):
        if p.shape != (m,):
            raise ValueError(
                f"profile of player {i + 1} must have {m} probabilities; got shape {np.shape(profile[i])}"
            )
    return rows


def check_simplex(rows: Sequence[np.ndarray], totals: Sequence[float], tol: float) -> None:
    """Raise ``ValueError`` unless every row has entries ``>= -tol`` and its sum (``totals``) within ``tol`` of 1.

    NaN fails both comparisons, and an infinite entry makes its row's sum infinite or NaN.
    """
    for i, (p, total) in enumerate(zip(rows, totals)):
        # argmin and item: C methods without NumPy's Python-level wrappers (this runs once per regret query)
        if not (p.item(p.argmin()) >= -tol and -tol <= total - 1.0 <= tol):
            _simplex_error(i, p, total, tol)


def _simplex_error(i: int, p: np.ndarray, total: float, tol: float) -> None:
    if not p.min() >= -tol:
        raise ValueError(f"profile of player {i + 1} has a negative or non-finite entry: {p.tolist()}")
    raise ValueError(
        f"profile of player {i + 1} sums to {total:.12g}, not 1 (tolerance {tol:.3g}): {p.tolist()}"
    )


_F64 = np.dtype(np.float64)


def _probability_vector(row: Any, player: int) -> np.ndarray:
    try:
        return np.asarray(row, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        return np.array([float(to_fraction(v)) for v in np.ravel(np.asarray(row, dtype=object))])
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"profile of player {player + 1} must be numbers; {exc}") from exc


@dataclass(frozen=True)
class MeanFieldGame:
    """A finite-horizon mean-field game of one representative agent (one population).

    The agent's state lies in ``0..S-1`` and it picks an action in ``0..A-1`` at decision times
    ``t = 0..H-1``; its transition kernel and reward may depend on the population's state distribution
    ``mu_t`` (the mean field) and on ``t``.

    Attributes:
        num_states, num_actions, horizon: sizes.
        initial_distribution: ``mu_0`` (``S``,).
        transition: ``transition(mu, t) -> P`` of shape ``(S, A, S)`` (``P[s, a, s']``).
        reward: ``reward(mu, t) -> r`` of shape ``(S, A)``: the reward of playing ``a`` in ``s`` at time ``t``.
        discount: per-step discount applied to rewards.
        name: label for reports.
    """

    num_states: int
    num_actions: int
    horizon: int
    initial_distribution: np.ndarray
    transition: Callable[[np.ndarray, int], np.ndarray]
    reward: Callable[[np.ndarray, int], np.ndarray]
    discount: float = 1.0
    name: str = "mean_field_game"

    def __post_init__(self) -> None:
        mu0 = np.asarray(self.initial_distribution, dtype=np.float64)
        if mu0.shape != (self.num_states,) or (mu0 < 0).any() or abs(mu0.sum() - 1) > 1e-9:
            raise ValueError(f"initial_distribution must be a distribution over {self.num_states} states")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1; got {self.horizon}")
        object.__setattr__(self, "initial_distribution", mu0)
