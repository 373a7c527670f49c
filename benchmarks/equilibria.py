"""All-equilibria enumeration, Lemke-Howson and the CE LP against pygambit, nashpy and QuantEcon.

``python benchmarks/equilibria.py [--sizes 4 6 8 10 12] [--seeds 3] [--rounds 15] [--json]``
``python benchmarks/equilibria.py --only nplayer --gambit-dir PATH [--nplayer-timeout 300]``
``python benchmarks/equilibria.py --only exploitability [--rounds 15]``

``nplayer``: every game with three or more players among the ``.nfg`` files under ``--gambit-dir`` (a checkout
of gambitproject/gambit: ``catalog/``, ``contrib/games/``, ``doc/``, ``tests/test_games/``), solved by our
``polynomial_equilibria`` and by pygambit's ``enumpoly_solve`` (default settings), each in a child process
stopped after ``--nplayer-timeout`` seconds; CPU seconds are measured inside the child, after the game is read
(pygambit, SymPy and our modules are imported by the parent before it forks).  Every equilibrium
enumpoly lists must be among ours (to 1e-5); each one we list and enumpoly does not is printed with its
certificate and with the regret pygambit itself computes at our profile.

``exploitability``: NashConv of a 100 x 100 profile against the two bare matrix-vector products, interleaved.

For each seeded random ``n x n`` game (integer payoffs uniform on ``0..10^6``, the setting of the reference
note's measurements) every tool runs on the same game, in the same process, on one core.  Times are CPU
seconds (``time.process_time``, less disturbed by other jobs than wall time); every call under 50 ms is then
repeated ``--rounds`` times, interleaved with the other tools (one call of each per round, in a fresh seeded
order each round), and its median is kept; the table shows the mean over the games of these medians, and a
line per size gives QuantEcon's time over ours, on the mean and per game:

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
    """Run ``fn`` once: ``(result, CPU seconds)``.

    With ``limit`` (peer calls known to hang), a call that runs past ``CALL_TIMEOUT`` seconds raises
    :class:`CallTimeout`.
    """
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_TIMEOUT if limit else 0)
    try:
        start = time.process_time()
        out = fn()
        return out, time.process_time() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


QUICK = 0.05  # calls faster than this (CPU seconds) are repeated, interleaved with the other tools


def interleaved(
    tools: dict[str, Callable[[], object]], first: dict[str, float], rounds: int
) -> dict[str, float]:
    """Median CPU time of every quick tool over ``rounds`` interleaved rounds (one call of each tool per round,
    in a different seeded order each round).

    Interleaving spreads any interference from other jobs on a shared machine over all tools alike, and the
    median ignores the rounds it hit; tools slower than ``QUICK`` keep their single timing ``first``.
    """
    samples = {name: [seconds] for name, seconds in first.items()}
    quick = [name for name, seconds in first.items() if seconds < QUICK and name in tools]
    for round_ in range(rounds):
        # a fresh (seeded) order every round: a call right after a cache-thrashing peer is slower, and no tool
        # should always follow the same one
        for k in np.random.default_rng(round_).permutation(len(quick)).tolist():
            name = quick[k]
            start = time.process_time()
            tools[name]()
            samples[name].append(time.process_time() - start)
    return {name: float(np.median(values)) for name, values in samples.items()}


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

    def record(name: str, seconds: float, verdict: dict[str, int], timeout: bool = False) -> None:
        row = rows.setdefault(
            name,
            {"time": 0.0, "games": 0, "exact": 0, "missed": 0, "invented": 0, "timeouts": 0, "times": []},
        )
        row["time"] += seconds
        row["times"].append(seconds)
        row["games"] += 1
        row["missed"] += verdict["missed"]
        row["invented"] += verdict["invented"]
        row["exact"] += int(verdict["missed"] == 0 and verdict["invented"] == 0)
        row["timeouts"] += int(timeout)

    for seed in range(seeds):
        game = random_game(size, seed)
        a, b = game.payoffs
        rational = size <= args.gambit_max
        reference = "pygambit enummixed" + ("" if rational else " (float)")
        # name -> (call, how to turn its output into flat profiles, compare against lcp instead of enummixed,
        # only one equilibrium expected, may hang)
        tools: dict[str, tuple[Callable[[], object], Callable[[object], list], bool, bool, bool]] = {
            reference: (partial(gambit_solve, game, "enummixed", rational), list, False, False, False),
            "tactica vertex enumeration": (partial(vertex_enumeration, game), ours_flat, False, False, False),
            "tactica vertex enumeration --exact": (
                partial(vertex_enumeration, game, exact=True),
                ours_flat,
                False,
                False,
                False,
            ),
        }
        if size <= args.support_max:
            tools["tactica support enumeration"] = (
                partial(support_enumeration, game),
                ours_flat,
                False,
                False,
                False,
            )
        try:
            import quantecon.game_theory as qgt

            qgame = qgt.NormalFormGame((qgt.Player(a), qgt.Player(b.T)))
            tools["quantecon vertex_enumeration"] = (
                partial(qgt.vertex_enumeration, qgame),
                _peer_flat,
                False,
                False,
                False,
            )
        except ImportError:
            pass
        try:
            import nashpy

            ngame = nashpy.Game(a, b)
            if size <= args.nashpy_max:
                tools["nashpy support_enumeration"] = (
                    _quiet(partial(_listed, ngame.support_enumeration)),
                    _peer_flat,
                    False,
                    False,
                    False,
                )
                tools["nashpy vertex_enumeration"] = (
                    _quiet(partial(_listed, ngame.vertex_enumeration)),
                    _peer_flat,
                    False,
                    False,
                    False,
                )
            tools["nashpy lemke_howson (label 0)"] = (
                _quiet(partial(ngame.lemke_howson, initial_dropped_label=0)),
                lambda one: _peer_flat([one]),
                False,
                True,
                True,
            )
        except ImportError:
            pass
        tools["pygambit lcp (all accessible)"] = (
            partial(gambit_solve, game, "lcp", rational),
            list,
            False,
            True,
            False,
        )
        # Lemke-Howson finds the accessible equilibria: compare with gambit's lcp, the same set by definition
        tools["tactica lemke_howson_enumeration"] = (
            partial(lemke_howson_enumeration, game),
            ours_flat,
            True,
            False,
            False,
        )
        tools["tactica lemke_howson (label 0)"] = (
            partial(lemke_howson, game, 0),
            lambda one: ours_flat([one]),
            False,
            True,
            False,
        )

        outputs, first, timeouts = {}, {}, set()
        for name, (call, _, _, _, may_hang) in tools.items():
            try:
                outputs[name], first[name] = timed(call, limit=may_hang)
            except CallTimeout:
                timeouts.add(name)
                first[name] = CALL_TIMEOUT
        medians = interleaved(
            {name: tool[0] for name, tool in tools.items() if name not in timeouts}, first, args.rounds
        )
        truth = outputs[reference]
        accessible = outputs["pygambit lcp (all accessible)"]
        for name, (_, flat, against_lcp, single, _) in tools.items():
            if name in timeouts:
                record(name, medians[name], {"missed": 0, "invented": 1}, timeout=True)
                continue
            verdict = compare(flat(outputs[name]), accessible if against_lcp else truth, game)
            if single:
                verdict["missed"] = 0  # one equilibrium (or the accessible ones) is all these promise
            record(name, medians[name], verdict)
    return rows


def _peer_flat(equilibria) -> list[np.ndarray]:
    return [np.concatenate(eq) for eq in equilibria]


def _quiet(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with warnings silenced (nashpy warns on degenerate-looking games)."""
    import warnings

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return call


def bench_ce(players: int, actions: int, seeds: int, rounds: int) -> dict:
    total, worst = 0.0, 0.0
    for seed in range(seeds):
        rng = np.random.default_rng([players, actions, seed])
        game = NormalFormGame(rng.integers(0, 100, (players,) + (actions,) * players))
        call = partial(correlated_equilibrium, game)
        ce, seconds = timed(call)
        total += interleaved({"ce": call}, {"ce": seconds}, rounds)["ce"]
        worst = max(worst, float(ce.gaps.max()))
    return {
        "players": players,
        "actions": actions,
        "variables": actions**players,
        "time": total / seeds,
        "max_gap": worst,
    }


def _solve_in_child(solver: str, path: str, queue) -> None:
    """Child process: solve one game and send back flat equilibria, components and CPU seconds.

    The clock starts after the game is read; the libraries are imported by the parent before it forks.
    """
    if solver == "enumpoly":
        import pygambit as gbt

        game = gbt.read_nfg(path)
        start = time.process_time()
        result = gbt.nash.enumpoly_solve(game)
        flat = [[float(eq[s]) for p in game.players for s in p.strategies] for eq in result.equilibria]
        queue.put({"seconds": time.process_time() - start, "equilibria": flat})
        return
    from tactica.equilibria.formats import read_nfg
    from tactica.equilibria.polynomial import polynomial_equilibria

    game = read_nfg(path)
    start = time.process_time()
    result = polynomial_equilibria(game)
    queue.put(
        {
            "seconds": time.process_time() - start,
            "equilibria": [np.concatenate(eq.profile).tolist() for eq in result.equilibria],
            "certificates": [eq.info.get("certificate", "exact (pure)") for eq in result.equilibria],
            "components": [(c.support, c.dimension) for c in result.components],
            "unresolved": len(result.unresolved),
        }
    )


def _run_child(solver: str, path: str, timeout: float) -> dict | None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_solve_in_child, args=(solver, path, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get() if not queue.empty() else {"error": f"exit code {child.exitcode}"}


def _gambit_regret(path: str, flat: list[float]) -> float:
    """pygambit's own max regret of a float profile (an independent check of our equilibria)."""
    import pygambit as gbt

    game = gbt.read_nfg(path)
    profile = game.mixed_strategy_profile(rational=False)
    values = iter(flat)
    for player in game.players:
        for strategy in player.strategies:
            profile[strategy] = next(values)
    return float(profile.max_regret())


def bench_nplayer(gambit_dir: str, timeout: float) -> list[dict]:
    """Our polynomial_equilibria against pygambit's enumpoly on every n-player .nfg file of a Gambit checkout."""
    from pathlib import Path

    import pygambit  # noqa: F401  (imported once here, so no child pays for it)
    import sympy  # noqa: F401  (our exact analysis of singular supports imports it lazily)

    import tactica.equilibria.polynomial  # noqa: F401
    from tactica.equilibria.formats import read_nfg

    rows = []
    for path in sorted(Path(gambit_dir).rglob("*.nfg")):
        game = read_nfg(path)
        if game.num_players < 3:
            continue
        name = str(path.relative_to(gambit_dir))
        ours = _run_child("tactica", str(path), timeout)
        theirs = _run_child("enumpoly", str(path), timeout)
        row = {"file": name, "shape": "x".join(map(str, game.num_actions)), "ours": ours, "enumpoly": theirs}
        if ours and theirs and "error" not in ours and "error" not in theirs:
            mine = [np.array(e) for e in ours["equilibria"]]
            other = [np.array(e) for e in theirs["equilibria"]]
            row["missed"] = sum(not any(np.abs(t - o).max() < 1e-5 for o in mine) for t in other)
            row["extra"] = [
                {
                    "profile": np.round(o, 6).tolist(),
                    "certificate": certificate,
                    "gambit_regret": _gambit_regret(str(path), o.tolist()),
                }
                for o, certificate in zip(mine, ours["certificates"])
                if not any(np.abs(t - o).max() < 1e-5 for t in other)
            ]
        rows.append(row)
    return rows


def _print_nplayer(rows: list[dict], timeout: float) -> None:
    print(f"\n## n-player games: tactica polynomial_equilibria vs pygambit enumpoly (timeout {timeout:g} s)")
    print(
        "| file | shape | enumpoly: eqa / CPU s | tactica: isolated eqa / CPU s | non-isolated | enumpoly's missed by us | ours not in enumpoly |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ours, theirs = row["ours"], row["enumpoly"]
        gambit = "timeout" if theirs is None else f"{len(theirs['equilibria'])} / {theirs['seconds']:.3g}"
        mine = "timeout" if ours is None else f"{len(ours['equilibria'])} / {ours['seconds']:.3g}"
        components = (
            "-"
            if ours is None
            else (", ".join(f"dim {d} on {[list(x) for x in s]}" for s, d in ours["components"]) or "none")
        )
        extra = row.get("extra")
        extra_text = "-" if extra is None else (str(len(extra)) if extra else "0")
        print(
            f"| {row['file']} | {row['shape']} | {gambit} | {mine} | {components} | {row.get('missed', '-')} | "
            f"{extra_text} |"
        )
    print("\nEquilibria we list that enumpoly does not (pygambit's own max regret at our profile):")
    for row in rows:
        for eq in row.get("extra") or []:
            print(
                f"- {row['file']}: {eq['profile']} ({eq['certificate']}; gambit max_regret {eq['gambit_regret']:.2g})"
            )


def bench_exploitability(rounds: int, size: int = 100) -> dict:
    """NashConv of a profile of a size x size game against the bare matrix-vector products (CPU time)."""
    from tactica.equilibria import nash_conv

    rng = np.random.default_rng(0)
    game = NormalFormGame.from_bimatrix(rng.random((size, size)), rng.random((size, size)))
    x, y = rng.random(size), rng.random(size)
    x, y = x / x.sum(), y / y.sum()
    a, b = game.payoffs
    bt = np.ascontiguousarray(b.T)  # the fastest bare form of x @ B
    repeat = 2000
    tools = {
        "bare A.dot(y), B.T.dot(x)": lambda: [(a.dot(y), bt.dot(x)) for _ in range(repeat)],
        "nash_conv(game, [x, y])": lambda: [nash_conv(game, [x, y]) for _ in range(repeat)],
        "nash_conv(game, lists)": lambda: [nash_conv(game, [x.tolist(), y.tolist()]) for _ in range(repeat)],
    }
    first = {name: timed(tool)[1] for name, tool in tools.items()}
    medians = interleaved(tools, {k: 0.0 for k in first}, rounds)  # every tool is repeated
    medians = {k: v / repeat * 1e6 for k, v in medians.items()}
    return {
        "size": size,
        "microseconds": medians,
        "ratio": medians["nash_conv(game, [x, y])"] / medians["bare A.dot(y), B.T.dot(x)"],
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
    parser.add_argument(
        "--rounds", type=int, default=15, help="interleaved repeats of every call under 50 ms (median kept)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--only", choices=("bimatrix", "nplayer", "exploitability"), default=None, help="run one section"
    )
    parser.add_argument(
        "--gambit-dir", default=None, help="a gambitproject/gambit checkout (nplayer section)"
    )
    parser.add_argument(
        "--nplayer-timeout", type=float, default=300.0, help="seconds per n-player solver call"
    )
    args = parser.parse_args()
    global CALL_TIMEOUT
    CALL_TIMEOUT = args.call_timeout
    if args.only == "nplayer":
        if args.gambit_dir is None:
            parser.error("--only nplayer needs --gambit-dir (a gambitproject/gambit checkout)")
        rows = bench_nplayer(args.gambit_dir, args.nplayer_timeout)
        print(json.dumps(rows, indent=1, default=str)) if args.json else _print_nplayer(
            rows, args.nplayer_timeout
        )
        return
    if args.only == "exploitability":
        rows = [bench_exploitability(args.rounds, size) for size in (50, 100, 200, 400)]
        if args.json:
            print(json.dumps(rows, indent=1))
            return
        print("\n## NashConv of an n x n profile: median microseconds per call over interleaved rounds")
        names = list(rows[0]["microseconds"])
        print("| n | " + " | ".join(names) + " | nash_conv / bare |")
        print("|---|" + "---|" * (len(names) + 1))
        for row in rows:
            cells = " | ".join(f"{row['microseconds'][k]:.2f}" for k in names)
            print(f"| {row['size']} | {cells} | {row['ratio']:.2f} |")
        return

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
                    f"{row['exact']}/{row['games']} | {row['missed']} | {row['invented']} | {row['timeouts']} |"
                )
            if "quantecon vertex_enumeration" in rows:
                ours, theirs = rows["tactica vertex enumeration"], rows["quantecon vertex_enumeration"]
                per_game = [q / t for q, t in zip(theirs["times"], ours["times"])]
                print(
                    f"\nQuantEcon time / tactica time: {theirs['time'] / ours['time']:.2f} on the mean, per game "
                    + ", ".join(f"{r:.2f}" for r in per_game)
                )
    ce_rows = [bench_ce(p, k, args.seeds, args.rounds) for p, k in ((3, 6), (4, 5), (4, 7))]
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
