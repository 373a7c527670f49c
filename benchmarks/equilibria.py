"""All-equilibria enumeration, Lemke-Howson and the CE LP against pygambit, nashpy and QuantEcon.

``python benchmarks/equilibria.py [--sizes 4 6 8 10 12] [--seeds 3] [--json]``

For each seeded random ``n x n`` game (integer payoffs uniform on ``0..10^6``, the setting of the reference
note's measurements) every tool runs on the same game, in the same process, on one core (calls under 50 ms
are repeated and the fastest of up to 6 runs is kept):

* all equilibria: ours (vertex enumeration in floating point, the same with an exact rational certificate,
  support enumeration), pygambit ``enummixed`` (rational: the reference answer), nashpy support and vertex
  enumeration, QuantEcon vertex enumeration (timed after a numba warm-up call);
* Lemke-Howson: ours from every label and every equilibrium found (all accessible equilibria) against
  pygambit ``lcp`` (the same set by definition); one path from label 0, ours against nashpy's;
* the CE LP (welfare-maximising) on random 3- and 4-player games: time and the CE gap of the answer.

A peer call that runs past ``--call-timeout`` seconds (nashpy's Lemke-Howson does not return on some games;
compare its issue #83) is stopped, charged the timeout, and counted as a wrong answer.

Each tool's equilibrium set is compared with pygambit's exact rational answer: ``exact`` when it has the same
equilibria (to 1e-6) and nothing else; otherwise the numbers missed and invented (a profile with regret above
1e-6 of the payoff range counts as invented).  A fast wrong answer counts as wrong.  Slow peers are skipped
above the sizes where one game takes minutes (``--nashpy-max``, ``--gambit-max``); at sizes above
``--gambit-max`` the reference is gambit's floating-point ``enummixed``.
"""

from __future__ import annotations

import os

# one core for every tool: set before numpy and numba load their thread pools
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from fractions import Fraction  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from tactica.equilibria import (  # noqa: E402
    NormalFormGame,
    correlated_equilibrium,
    lemke_howson,
    lemke_howson_enumeration,
    support_enumeration,
    vertex_enumeration,
)

HIGH = 1_000_000


def random_game(size: int, seed: int) -> NormalFormGame:
    rng = np.random.default_rng([size, seed])
    return NormalFormGame.from_bimatrix(
        rng.integers(0, HIGH, (size, size)), rng.integers(0, HIGH, (size, size))
    )


def _listed(generator_method: Callable[[], object]) -> list:
    return list(generator_method())


CALL_TIMEOUT = 60.0


class CallTimeout(Exception):
    """A peer call ran past ``--call-timeout`` (e.g. nashpy's Lemke-Howson not returning on a game)."""


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise CallTimeout


def timed(fn: Callable[[], object], limit: bool = False) -> tuple[object, float]:
    """Run ``fn``; if it is quick (< 50 ms) run it up to 5 more times and keep the fastest time.

    The best of several runs filters out interference from other jobs on a shared machine; every tool gets
    the same treatment.  With ``limit`` (peer calls known to hang), a call that runs past ``CALL_TIMEOUT``
    seconds raises :class:`CallTimeout`.
    """
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_TIMEOUT if limit else 0)
    try:
        start = time.perf_counter()
        out = fn()
        best = time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if best < 0.05:
        for _ in range(5):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    return out, best


def compare(found: list[np.ndarray], truth: list[np.ndarray], game: NormalFormGame) -> dict[str, int]:
    """Missed and invented equilibria of ``found`` (flat profiles) against ``truth``."""
    a, b = game.payoffs
    m = a.shape[0]
    scale = game.payoff_range()
    invented, matched = 0, set()
    for profile in found:
        profile = np.asarray(profile, dtype=float)
        if not np.isfinite(profile).all() or profile.shape != (2 * m,):
            invented += 1
            continue
        hits = [k for k, t in enumerate(truth) if np.abs(t - profile).max() < 1e-6]
        x, y = profile[:m], profile[m:]
        regret = max((a @ y).max() - x @ a @ y, (x @ b).max() - x @ b @ y)
        if not hits or regret > 1e-6 * scale:
            invented += 1
        else:
            matched.update(hits)
    return {"missed": len(truth) - len(matched), "invented": invented, "count": len(found)}


def gambit_solve(game: NormalFormGame, method: str, rational: bool) -> list[np.ndarray]:
    import pygambit as gbt

    a, b = (np.asarray(game.payoffs[i], dtype=np.int64) for i in range(2))
    g = gbt.Game.from_arrays(a, b)
    if method == "enummixed":
        result = gbt.nash.enummixed_solve(g, rational=rational)
    else:
        result = gbt.nash.lcp_solve(g, rational=rational)
    players = list(g.players)
    return [
        np.array([float(Fraction(str(eq[s]))) for p in players for s in p.strategies])
        for eq in result.equilibria
    ]


def ours_flat(equilibria) -> list[np.ndarray]:
    return [np.concatenate(eq.profile) for eq in equilibria]


def bench_size(size: int, seeds: int, args: argparse.Namespace) -> dict[str, dict]:
    rows: dict[str, dict] = {}

    def record(name: str, seconds: float, verdict: dict[str, int] | None) -> None:
        row = rows.setdefault(name, {"time": 0.0, "games": 0, "exact": 0, "missed": 0, "invented": 0})
        row["time"] += seconds
        row["games"] += 1
        if verdict is not None:
            row["missed"] += verdict["missed"]
            row["invented"] += verdict["invented"]
            row["exact"] += int(verdict["missed"] == 0 and verdict["invented"] == 0)

    for seed in range(seeds):
        game = random_game(size, seed)
        a, b = game.payoffs
        rational = size <= args.gambit_max
        truth, seconds = timed(partial(gambit_solve, game, "enummixed", rational))
        record("pygambit enummixed" + ("" if rational else " (float)"), seconds, {"missed": 0, "invented": 0})
        eqs, seconds = timed(partial(vertex_enumeration, game))
        record("tactica vertex enumeration", seconds, compare(ours_flat(eqs), truth, game))
        eqs, seconds = timed(partial(vertex_enumeration, game, exact=True))
        record("tactica vertex enumeration --exact", seconds, compare(ours_flat(eqs), truth, game))
        if size <= args.support_max:
            eqs, seconds = timed(partial(support_enumeration, game))
            record("tactica support enumeration", seconds, compare(ours_flat(eqs), truth, game))
        try:
            import quantecon.game_theory as qgt

            qgame = qgt.NormalFormGame((qgt.Player(a), qgt.Player(b.T)))
            eqs, seconds = timed(partial(qgt.vertex_enumeration, qgame))
            record(
                "quantecon vertex_enumeration",
                seconds,
                compare([np.concatenate(e) for e in eqs], truth, game),
            )
        except ImportError:
            pass
        try:
            import warnings

            import nashpy

            ngame = nashpy.Game(a, b)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if size <= args.nashpy_max:
                    eqs, seconds = timed(partial(_listed, ngame.support_enumeration))
                    record(
                        "nashpy support_enumeration",
                        seconds,
                        compare([np.concatenate(e) for e in eqs], truth, game),
                    )
                    eqs, seconds = timed(partial(_listed, ngame.vertex_enumeration))
                    record(
                        "nashpy vertex_enumeration",
                        seconds,
                        compare([np.concatenate(e) for e in eqs], truth, game),
                    )
                try:
                    one, seconds = timed(partial(ngame.lemke_howson, initial_dropped_label=0), limit=True)
                except CallTimeout:
                    record(
                        "nashpy lemke_howson (label 0)",
                        CALL_TIMEOUT,
                        {"missed": 0, "invented": 1, "count": 0},
                    )
                    rows["nashpy lemke_howson (label 0)"]["timeouts"] = (
                        rows["nashpy lemke_howson (label 0)"].get("timeouts", 0) + 1
                    )
                    one = None
                if one is not None:
                    record(
                        "nashpy lemke_howson (label 0)",
                        seconds,
                        compare([np.concatenate(one)], truth, game) | {"missed": 0},
                    )
        except ImportError:
            pass
        accessible, seconds = timed(partial(gambit_solve, game, "lcp", rational))
        record("pygambit lcp (all accessible)", seconds, compare(accessible, truth, game) | {"missed": 0})
        eqs, seconds = timed(partial(lemke_howson_enumeration, game))
        # Lemke-Howson finds the accessible equilibria: compare with gambit's lcp, the same set by definition
        record("tactica lemke_howson_enumeration", seconds, compare(ours_flat(eqs), accessible, game))
        one, seconds = timed(partial(lemke_howson, game, 0))
        record(
            "tactica lemke_howson (label 0)", seconds, compare(ours_flat([one]), truth, game) | {"missed": 0}
        )
    return rows


def bench_ce(players: int, actions: int, seeds: int) -> dict:
    total, worst = 0.0, 0.0
    for seed in range(seeds):
        rng = np.random.default_rng([players, actions, seed])
        game = NormalFormGame(rng.integers(0, 100, (players,) + (actions,) * players))
        ce, seconds = timed(partial(correlated_equilibrium, game))
        total += seconds
        worst = max(worst, float(ce.gaps.max()))
    return {
        "players": players,
        "actions": actions,
        "variables": actions**players,
        "time": total / seeds,
        "max_gap": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 6, 8, 10, 12])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--nashpy-max", type=int, default=8, help="largest n for nashpy support/vertex enumeration"
    )
    parser.add_argument(
        "--gambit-max", type=int, default=10, help="largest n for gambit's rational enummixed"
    )
    parser.add_argument("--support-max", type=int, default=10, help="largest n for our support enumeration")
    parser.add_argument(
        "--call-timeout", type=float, default=60.0, help="seconds before a peer call is stopped"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    global CALL_TIMEOUT
    CALL_TIMEOUT = args.call_timeout

    # warm-ups: imports, numba compilation, scipy's Qhull, pygambit's first call
    warm = random_game(3, 0)
    vertex_enumeration(warm)
    gambit_solve(warm, "enummixed", True)
    try:
        import quantecon.game_theory as qgt

        qgt.vertex_enumeration(
            qgt.NormalFormGame((qgt.Player(warm.payoffs[0]), qgt.Player(warm.payoffs[1].T)))
        )
    except ImportError:
        pass

    results = {}
    for size in args.sizes:
        rows = bench_size(size, args.seeds, args)
        results[size] = rows
        if not args.json:
            base = rows["tactica vertex enumeration"]["time"]
            print(f"\n## {size} x {size}, {args.seeds} games (payoffs 0..1e6)")
            print("| tool | mean time (s) | time / tactica VE | exact set | missed | invented | timeouts |")
            print("|---|---|---|---|---|---|---|")
            for name, row in rows.items():
                print(
                    f"| {name} | {row['time'] / row['games']:.4g} | {row['time'] / base:.3g} | "
                    f"{row['exact']}/{row['games']} | {row['missed']} | {row['invented']} | {row.get('timeouts', 0)} |"
                )
    ce_rows = [bench_ce(3, 6, args.seeds), bench_ce(4, 5, args.seeds), bench_ce(4, 7, args.seeds)]
    if args.json:
        print(json.dumps({"bimatrix": results, "ce": ce_rows}, indent=1))
        return
    print("\n## CE LP (max welfare), random integer payoffs 0..99")
    print("| players | actions | variables | mean time (s) | max CE gap |")
    print("|---|---|---|---|---|")
    for row in ce_rows:
        print(
            f"| {row['players']} | {row['actions']} | {row['variables']} | {row['time']:.4g} | {row['max_gap']:.2g} |"
        )


if __name__ == "__main__":
    main()
