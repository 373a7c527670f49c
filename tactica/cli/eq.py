"""``tactica eq``: solve normal-form games and check whether a profile is an equilibrium.

Examples::

    tactica eq solve catalog:battle_of_the_sexes --exact
    tactica eq solve 2x2x2.nfg                          # n players: every equilibrium (--method poly)
    tactica eq solve game.nfg --method lemke-howson --all --json > eqs.json
    tactica eq check game.nfg eqs.json                  # every equilibrium in a solve output
    tactica eq check catalog:chicken '{"profile": [["1/3", "2/3"], ["1/3", "2/3"]]}' --exact

Exit codes: 0 solved / the profile is an equilibrium, 1 it is not, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np

from tactica.cli.common import CLIError, add_commands, print_json

__all__ = ["add_parser", "METHODS"]

METHODS = ("auto", "pure", "support", "vertex", "poly", "lemke-howson", "lp", "ce", "cce", "qre", "fp")

_GAME_HELP = "a .nfg, .json or .npz file, or catalog:NAME (e.g. catalog:battle_of_the_sexes)"
_ENCODING_HELP = "the game file's text encoding (default: byte-order mark, else UTF-8, else Latin-1)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eq",
        help="solve games and check equilibria",
        description="Equilibrium solvers and the equilibrium checker (exit 0 ok, 1 check failed, 2 bad input).",
        epilog="examples (a second each):\n  tactica eq solve catalog:battle_of_the_sexes\n"
        '  tactica eq check catalog:matching_pennies \'{"profile": [["1/2", "1/2"], ["1/2", "1/2"]]}\'',
    )
    sub = add_commands(parser, "eq_command", "{solve,check}")

    solve = sub.add_parser(
        "solve",
        help="print the equilibria of a game",
        description=(
            "Compute equilibria.  auto: vertex enumeration for 2 players (every extreme equilibrium, exact set), "
            "poly for more (every isolated equilibrium, certified, and the supports of non-isolated ones), or, "
            "above poly's size guard, the pure equilibria (or a logit QRE limit when there is none).  "
            "pure/support/vertex/poly list every equilibrium they find; lemke-howson follows label --label (all "
            "accessible with --all); "
            "lp: zero-sum value and maximin strategies; ce/cce: one correlated equilibrium by LP (--objective); "
            "qre: the limit of the principal logit QRE branch; fp: fictitious play's empirical profile."
        ),
        epilog="examples (a second each):\n  tactica eq solve catalog:battle_of_the_sexes\n"
        "  tactica eq solve catalog:matching_pennies --method lp --json",
    )
    solve.add_argument("game", help=_GAME_HELP)
    solve.add_argument("--method", choices=METHODS, default="auto")
    solve.add_argument("--encoding", default=None, help=_ENCODING_HELP)
    solve.add_argument(
        "--max-supports",
        type=int,
        default=None,
        help="poly: refuse games with more support profiles than this (default 50000)",
    )
    solve.add_argument("--all", action="store_true", help="lemke-howson: every accessible equilibrium")
    solve.add_argument(
        "--exact",
        action="store_true",
        help="certify 2-player equilibria in rational arithmetic; print exact equilibria as fractions",
    )
    solve.add_argument("--label", type=int, default=0, help="lemke-howson: the label dropped first (0-based)")
    solve.add_argument(
        "--objective",
        choices=("welfare", "maxmin", "feasibility"),
        default="welfare",
        help="ce/cce objective",
    )
    solve.add_argument("--iterations", type=int, default=10_000, help="fp: number of iterations")
    solve.add_argument(
        "--json", action="store_true", help='print {"equilibria": [{"profile", "payoffs"}, ...]}'
    )
    solve.set_defaults(func=_solve)

    check = sub.add_parser(
        "check",
        help="check whether a profile is an (epsilon-)equilibrium",
        description=(
            'PROFILE is a JSON file or inline JSON: {"profile": [[p_1, ...], ...]} (entries numbers or "a/b"), '
            'a joint {"distribution": ..., "kind": "ce"|"cce"}, or the output of "tactica eq solve --json" '
            "(every equilibrium in it is checked).  Prints each player's payoff, best-response payoff, regret "
            "and a best response.  Exit 0 when it is an E-equilibrium, 1 when it is not, 2 on bad input."
        ),
        epilog="examples (a second each):\n"
        '  tactica eq check catalog:matching_pennies \'{"profile": [["1/2", "1/2"], ["1/2", "1/2"]]}\'\n'
        "  tactica eq solve catalog:battle_of_the_sexes --json > eq.json && tactica eq check "
        "catalog:battle_of_the_sexes eq.json",
    )
    check.add_argument("game", help=_GAME_HELP)
    check.add_argument("profile", help="JSON file or inline JSON text")
    check.add_argument("--encoding", default=None, help=_ENCODING_HELP)
    check.add_argument(
        "--eps",
        type=float,
        default=None,
        help="allowed regret, a finite number >= 0 (default 1e-9 times the payoff range; 0 with --exact)",
    )
    check.add_argument("--exact", action="store_true", help="certify with rational arithmetic")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=_check)


# ----------------------------------------------------------------------------------------------------- solve
def _solve(args: argparse.Namespace) -> int:
    from tactica.equilibria.formats.io import load_game

    game = load_game(args.game, encoding=args.encoding)
    method = args.method
    if method == "auto":
        method = "vertex" if game.num_players == 2 else _auto_method(game, args)
    if method in ("ce", "cce"):
        return _solve_correlated(game, method, args)
    if method == "poly":
        return _solve_poly(game, args)
    try:
        equilibria = _run_method(game, method, args)
    except RuntimeError as exc:  # a solver broke down (e.g. a Lemke-Howson path on a degenerate game)
        raise CLIError(f"{method} failed: {exc}", 1) from exc
    if args.method == "auto" and not equilibria and game.num_players > 2:
        method = "qre"  # no pure equilibrium: report the end of the principal logit branch
        equilibria = _run_method(game, method, args)
    exact = args.exact
    if args.json:
        print_json({"equilibria": [eq.to_dict(exact=exact) for eq in equilibria]})
        return 0
    print(f"{game!r}: {len(equilibria)} equilibri{'um' if len(equilibria) == 1 else 'a'} ({method})")
    for k, eq in enumerate(equilibria, 1):
        print(f"  {k:3d}. {_eq_line(game, eq, exact)}")
    return 0


def _auto_method(game: Any, args: argparse.Namespace) -> str:
    """poly when the game is within its size guard; else pure equilibria (or the QRE limit), saying why."""
    import sys

    from tactica.equilibria.polynomial import MAX_SUPPORTS, estimate_supports

    limit = MAX_SUPPORTS if args.max_supports is None else args.max_supports
    count = estimate_supports(game.num_actions)
    if count <= limit:
        return "poly"
    print(
        f"note: {count:.3g} support profiles exceed the poly limit of {limit}: listing pure equilibria "
        "(or the QRE limit) instead",
        file=sys.stderr,
    )
    return "pure"


def _solve_poly(game: Any, args: argparse.Namespace) -> int:
    """Every equilibrium of an n-player game: isolated ones certified, non-isolated supports listed."""
    from tactica.equilibria.polynomial import MAX_SUPPORTS, SizeGuardError, polynomial_equilibria

    limit = MAX_SUPPORTS if args.max_supports is None else args.max_supports
    try:
        result = polynomial_equilibria(game, max_supports=limit)
    except SizeGuardError as exc:
        raise CLIError(f"{exc}; raise --max-supports or use --method pure/qre") from exc
    if args.json:
        print_json(
            {
                "equilibria": [_eq_json(eq, args.exact) for eq in result.equilibria],
                "components": [
                    {
                        "support": [list(s) for s in c.support],
                        "dimension": c.dimension,
                        "witnesses": [_eq_json(eq, args.exact) for eq in c.witnesses],
                        "note": c.note,
                    }
                    for c in result.components
                ],
                "complete": result.complete,
                "unresolved": [
                    {"support": [list(s) for s in sup], "reason": why} for sup, why in result.unresolved
                ],
            }
        )
        return 0
    count = len(result.equilibria)
    print(
        f"{game!r}: {count} isolated equilibri{'um' if count == 1 else 'a'} (poly: {result.supports_solved} of "
        f"{result.supports_total} support profiles solved, {result.seconds:.2f} CPU s)"
    )
    for k, eq in enumerate(result.equilibria, 1):
        print(f"  {k:3d}. {_eq_line(game, eq, args.exact)}")
    for k, component in enumerate(result.components):
        support = " ".join(
            "{" + ",".join(game.strategy_names[i][s] for s in part) + "}"
            for i, part in enumerate(component.support)
        )
        print(
            f"  non-isolated [{k}]: support {support}, a set of dimension {component.dimension} ({component.note})"
        )
        for eq in component.witnesses:
            print(f"       e.g. {_eq_line(game, eq, args.exact)}")
    for support, reason in result.unresolved:
        print(f"  UNRESOLVED support {[list(s) for s in support]}: {reason}")
    return 0


def _eq_json(eq: Any, exact: bool) -> dict[str, Any]:
    data = eq.to_dict(exact=exact and eq.is_exact)
    for key in ("certificate", "residual", "enclosure_width", "in_component"):
        if key in eq.info:
            data[key] = eq.info[key]
    return data


def _eq_line(game: Any, eq: Any, exact: bool) -> str:
    data = eq.to_dict(exact=exact and eq.is_exact)
    profile = "  ".join(
        f"{game.player_names[i]}: [{', '.join(_fmt(v) for v in row)}]"
        for i, row in enumerate(data["profile"])
    )
    payoffs = ", ".join(_fmt(v) for v in data["payoffs"])
    notes = []
    if eq.epsilon > 0:
        notes.append(f"epsilon {eq.epsilon:.3g}")
    certificate = eq.info.get("certificate")
    if certificate and certificate != "exact":
        notes.append(f"{certificate}, residual {eq.info.get('residual', 0.0):.2g}")
    if "in_component" in eq.info:
        notes.append(f"end point of non-isolated [{eq.info['in_component']}]")
    return f"{profile}  payoffs ({payoffs})" + (f"  ({'; '.join(notes)})" if notes else "")


def _run_method(game: Any, method: str, args: argparse.Namespace) -> list:
    from tactica import equilibria as eq

    if method == "pure":
        return eq.pure_equilibria(game)
    if method == "support":
        return eq.support_enumeration(game, exact=args.exact)
    if method == "vertex":
        return eq.vertex_enumeration(game, exact=args.exact)
    if method == "poly":
        from tactica.equilibria.polynomial import polynomial_equilibria

        return polynomial_equilibria(game).equilibria
    if method == "lemke-howson":
        if args.all:
            return eq.lemke_howson_enumeration(game, exact=args.exact)
        return [eq.lemke_howson(game, args.label, exact=args.exact)]
    if method == "lp":
        return [eq.solve_zero_sum(game, exact=args.exact)]
    if method == "qre":
        return [eq.logit_qre_limit(game)]
    if method == "fp":
        return [eq.fictitious_play(game, iterations=args.iterations).equilibrium()]
    raise CLIError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def _solve_correlated(game: Any, kind: str, args: argparse.Namespace) -> int:
    from tactica.equilibria.correlated import coarse_correlated_equilibrium, correlated_equilibrium

    solver = correlated_equilibrium if kind == "ce" else coarse_correlated_equilibrium
    result = solver(game, objective=args.objective)
    if args.json:
        print_json({"equilibria": [result.to_dict()]})
        return 0
    print(
        f"{game!r}: {kind.upper()} maximising {args.objective}; payoffs {[round(v, 9) for v in result.payoffs]}"
    )
    for joint in np.argwhere(result.distribution > 1e-12):
        names = ", ".join(game.strategy_names[i][a] for i, a in enumerate(joint))
        print(f"  ({names}): {result.distribution[tuple(joint)]:.9g}")
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    return f"{float(value) + 0.0:.9g}"  # + 0.0 turns -0.0 into 0.0


# ----------------------------------------------------------------------------------------------------- check
def _check(args: argparse.Namespace) -> int:
    from tactica.equilibria.formats.io import load_game

    if args.eps is not None and not (math.isfinite(args.eps) and args.eps >= 0):
        raise CLIError(f"--eps must be a finite number >= 0; got {args.eps}")
    data = _read_json(args.profile)
    if isinstance(data, dict) and "policy" in data:
        return _check_policy(args, data["policy"])
    game = load_game(args.game, encoding=args.encoding)
    if isinstance(data, dict) and "equilibria" in data:
        items = data["equilibria"]
        if not isinstance(items, list) or not items:
            raise CLIError("'equilibria' must be a non-empty list")
    else:
        items = [data]
    reports = [_check_one(game, item, args) for item in items]
    ok = all(r["is_equilibrium"] for r in reports)
    if args.json:
        print_json(reports[0] if len(reports) == 1 else {"is_equilibrium": ok, "results": reports})
    else:
        for k, report in enumerate(reports, 1):
            if len(reports) > 1:
                print(f"profile {k}:")
            _print_report(game, report)
    return 0 if ok else 1


def _check_policy(args: argparse.Namespace, policy: Any) -> int:
    """A stationary policy of a stochastic catalog game (``{"policy": [per player (S, A_i)]}``)."""
    from tactica.equilibria.catalog import load_model
    from tactica.equilibria.stochastic import exploitability

    if args.exact:
        raise CLIError(
            "--exact certifies normal-form profiles; stochastic policies are checked in floating point"
        )
    if not args.game.startswith("catalog:"):
        raise CLIError('a {"policy": ...} file is checked against a catalog game: GAME must be catalog:NAME')
    model = load_model(args.game.removeprefix("catalog:"))
    try:
        report = exploitability(model, policy, horizon=None if model.discount < 1.0 else "model")
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    spread = float(model.rewards.max() - model.rewards.min()) or 1.0
    eps = 1e-9 * spread if args.eps is None else args.eps
    result = {**report.to_dict(), "is_equilibrium": report.epsilon <= eps, "tolerance": eps}
    result.pop("state_regrets")
    if args.json:
        print_json(result)
    else:
        for i, player in enumerate(result["players"], 1):
            print(
                f"player {i}: value {player['value']:.6g}, best-response value "
                f"{player['best_response_value']:.6g}, regret {player['regret']:.6g}"
            )
        verdict = "is" if result["is_equilibrium"] else "is NOT"
        print(f"epsilon {report.epsilon:.6g}: the policy {verdict} an equilibrium within {eps:.3g}")
    return 0 if result["is_equilibrium"] else 1


def _read_json(text: str) -> Any:
    from tactica.equilibria.formats.nfg import decode_text, read_game_bytes

    if text.lstrip().startswith(("{", "[")):
        source, raw = "PROFILE", text
    else:
        source = text
        raw = decode_text(read_game_bytes(text, "profile file"), text)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CLIError(f"{source}: line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    except RecursionError:
        raise CLIError(f"{source}: JSON nested too deeply") from None


def _check_one(game: Any, item: Any, args: argparse.Namespace) -> dict[str, Any]:
    from tactica.equilibria.exploitability import certify_exact, exploitability
    from tactica.equilibria.games import to_fraction

    if isinstance(item, dict) and "distribution" in item:
        return _check_correlated(game, item, args)
    profile = item.get("profile") if isinstance(item, dict) else item
    if profile is None:
        raise CLIError('PROFILE must hold "profile", "distribution" or "equilibria"')
    if not isinstance(profile, list) or not all(isinstance(row, list) for row in profile):
        raise CLIError("a profile must be a list with one list of probabilities per player")
    try:
        floats = [[float(to_fraction(v)) if isinstance(v, str) else float(v) for v in row] for row in profile]
    except (TypeError, ValueError, OverflowError) as exc:
        raise CLIError(f"profile entries must be numbers or 'a/b' strings: {exc}") from exc
    eps = 1e-9 * game.payoff_range() if args.eps is None else args.eps
    # nothing is normalised: a row may leave the simplex only by so little that no payoff moves by more than
    # a quarter of the regret tolerance; anything further is refused (exit 2), not silently rescaled
    largest = float(np.abs(game.payoffs).max()) or 1.0
    # (never below 1e-14: float rows such as [0.1, 0.2, 0.7] miss 1 by rounding alone)
    simplex_tol = 0.0 if args.exact else min(1e-6, max(eps / (4 * largest), 1e-14))
    try:
        report = exploitability(game, floats, tol=simplex_tol) if not args.exact else None
    except ValueError as exc:
        raise CLIError(
            f"{exc}; rows must lie on the simplex to within {simplex_tol:.3g} (with payoffs up to {largest:.3g} a "
            f"larger error could shift a payoff by more than a quarter of the regret tolerance {eps:.3g})"
        ) from exc
    if args.exact:
        cert = certify_exact(game, profile)
        eps = Fraction(0) if args.eps is None else Fraction(repr(args.eps))
        players = [
            {
                "payoff": float(u),
                "best_response_payoff": float(b),
                "regret": float(r),
                "best_response": best,
                "exact": {"payoff": str(u), "best_response_payoff": str(b), "regret": str(r)},
            }
            for u, b, r, best in zip(
                cert.payoffs, cert.best_response_payoffs, cert.regrets, cert.best_responses
            )
        ]
        return {
            "epsilon": float(cert.epsilon),
            "nash_conv": float(sum(cert.regrets)),
            "players": players,
            "is_equilibrium": cert.epsilon <= eps,
            "exact": True,
            "exact_epsilon": str(cert.epsilon),
            "tolerance": float(eps),
        }
    # regrets of the profile exactly as given (not clamped at 0)
    players = [
        {
            "payoff": p.payoff,
            "best_response_payoff": p.best_response_payoff,
            "regret": p.best_response_payoff - p.payoff,
            "best_response": p.best_response,
        }
        for p in report.players
    ]
    worst = max(p["regret"] for p in players)
    return {
        "epsilon": worst,
        "nash_conv": sum(p["regret"] for p in players),
        "players": players,
        "is_equilibrium": worst <= eps,
        "exact": False,
        "tolerance": eps,
    }


def _check_correlated(game: Any, item: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from tactica.equilibria.correlated import cce_gap, ce_gap

    kind = item.get("kind", "ce")
    if kind not in ("ce", "cce"):
        raise CLIError(f"'kind' must be 'ce' or 'cce'; got {kind!r}")
    sigma = np.asarray(item["distribution"], dtype=np.float64)
    gaps = ce_gap(game, sigma) if kind == "ce" else cce_gap(game, sigma)
    eps = 1e-7 * game.payoff_range() if args.eps is None else args.eps
    payoffs = [float((game.payoffs[i] * sigma).sum()) for i in range(game.num_players)]
    return {
        "kind": kind,
        "epsilon": float(gaps.max()),
        "nash_conv": float(gaps.sum()),
        "players": [{"payoff": u, "regret": float(g)} for u, g in zip(payoffs, gaps)],
        "is_equilibrium": bool(gaps.max() <= eps),
        "tolerance": eps,
    }


def _print_report(game: Any, report: dict[str, Any]) -> None:
    verdict = "IS" if report["is_equilibrium"] else "is NOT"
    kind = report.get("kind")
    what = (
        f"a {kind.upper()}"
        if kind
        else ("an exact Nash equilibrium" if report.get("exact") else "an equilibrium")
    )
    print(f"{game!r}")
    header = f"  {'player':<12} {'payoff':>14} {'best response':>14} {'regret':>12}  best reply"
    print(header)
    for i, p in enumerate(report["players"]):
        exact = p.get("exact")
        payoff = exact["payoff"] if exact else f"{p['payoff']:.9g}"
        best = (
            exact["best_response_payoff"] if exact else f"{p.get('best_response_payoff', float('nan')):.9g}"
        )
        regret = exact["regret"] if exact else f"{p['regret']:.3g}"
        reply = game.strategy_names[i][p["best_response"]] if "best_response" in p else "-"
        print(f"  {game.player_names[i]:<12} {payoff:>14} {best:>14} {regret:>12}  {reply}")
    eps = report.get("exact_epsilon", f"{report['epsilon']:.3g}")
    print(
        f"  epsilon {eps}, NashConv {report['nash_conv']:.3g}: the profile {verdict} {what} "
        f"(tolerance {report['tolerance']:.3g})"
    )
