"""``tactica eq``: solve normal-form games and check whether a profile is an equilibrium.

Examples::

    tactica eq solve catalog:battle_of_the_sexes --exact
    tactica eq solve game.nfg --method lemke-howson --all --json > eqs.json
    tactica eq check game.nfg eqs.json                  # every equilibrium in a solve output
    tactica eq check catalog:chicken '{"profile": [["1/3", "2/3"], ["1/3", "2/3"]]}' --exact

Exit codes: 0 solved / the profile is an equilibrium, 1 it is not, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from typing import Any

import numpy as np

from tactica.cli.common import CLIError, add_commands, print_json

__all__ = ["add_parser", "METHODS"]

METHODS = ("auto", "pure", "support", "vertex", "lemke-howson", "lp", "ce", "cce", "qre", "fp")

_GAME_HELP = "a .nfg, .json or .npz file, or catalog:NAME (e.g. catalog:battle_of_the_sexes)"


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
            "pure equilibria (or a logit QRE limit when there is none) for more.  pure/support/vertex list "
            "every equilibrium they find; lemke-howson follows label --label (all accessible with --all); "
            "lp: zero-sum value and maximin strategies; ce/cce: one correlated equilibrium by LP (--objective); "
            "qre: the limit of the principal logit QRE branch; fp: fictitious play's empirical profile."
        ),
        epilog="examples (a second each):\n  tactica eq solve catalog:battle_of_the_sexes\n"
        "  tactica eq solve catalog:matching_pennies --method lp --json",
    )
    solve.add_argument("game", help=_GAME_HELP)
    solve.add_argument("--method", choices=METHODS, default="auto")
    solve.add_argument("--all", action="store_true", help="lemke-howson: every accessible equilibrium")
    solve.add_argument(
        "--exact", action="store_true", help="certify 2-player equilibria in rational arithmetic"
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
    check.add_argument(
        "--eps",
        type=float,
        default=None,
        help="allowed regret (default 1e-9 times the payoff range; 0 with --exact)",
    )
    check.add_argument("--exact", action="store_true", help="certify with rational arithmetic")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=_check)


# ----------------------------------------------------------------------------------------------------- solve
def _solve(args: argparse.Namespace) -> int:
    from tactica.equilibria.formats.io import load_game

    game = load_game(args.game)
    method = args.method
    if method == "auto":
        method = "vertex" if game.num_players == 2 else "pure"
    if method in ("ce", "cce"):
        return _solve_correlated(game, method, args)
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
        data = eq.to_dict(exact=exact and eq.is_exact)
        profile = "  ".join(
            f"{game.player_names[i]}: [{', '.join(_fmt(v) for v in row)}]"
            for i, row in enumerate(data["profile"])
        )
        payoffs = ", ".join(_fmt(v) for v in data["payoffs"])
        extra = f"  (epsilon {eq.epsilon:.3g})" if eq.epsilon > 0 else ""
        print(f"  {k:3d}. {profile}  payoffs ({payoffs}){extra}")
    return 0


def _run_method(game: Any, method: str, args: argparse.Namespace) -> list:
    from tactica import equilibria as eq

    if method == "pure":
        return eq.pure_equilibria(game)
    if method == "support":
        return eq.support_enumeration(game, exact=args.exact)
    if method == "vertex":
        return eq.vertex_enumeration(game, exact=args.exact)
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
    return f"{float(value):.9g}"


# ----------------------------------------------------------------------------------------------------- check
def _check(args: argparse.Namespace) -> int:
    from tactica.equilibria.formats.io import load_game

    data = _read_json(args.profile)
    if isinstance(data, dict) and "policy" in data:
        return _check_policy(args, data["policy"])
    game = load_game(args.game)
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
    if eps < 0:
        raise CLIError(f"--eps must be >= 0; got {eps}")
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
    from pathlib import Path

    if text.lstrip().startswith(("{", "[")):
        source, raw = "PROFILE", text
    else:
        path = Path(text)
        if not path.exists():
            raise CLIError(f"profile file not found: {text}")
        source, raw = text, path.read_text(encoding="utf-8")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CLIError(f"{source}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc


def _check_one(game: Any, item: Any, args: argparse.Namespace) -> dict[str, Any]:
    from tactica.equilibria.exploitability import certify_exact, exploitability

    if isinstance(item, dict) and "distribution" in item:
        return _check_correlated(game, item, args)
    profile = item.get("profile") if isinstance(item, dict) else item
    if profile is None:
        raise CLIError('PROFILE must hold "profile", "distribution" or "equilibria"')
    if not isinstance(profile, list) or not all(isinstance(row, list) for row in profile):
        raise CLIError("a profile must be a list with one list of probabilities per player")
    try:
        floats = [[float(Fraction(v)) if isinstance(v, str) else float(v) for v in row] for row in profile]
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise CLIError(f"profile entries must be numbers or 'a/b' strings: {exc}") from exc
    report = exploitability(game, floats)
    if args.exact:
        cert = certify_exact(game, profile)
        eps = Fraction(0) if args.eps is None else Fraction(repr(args.eps))
        players = [
            {
                "payoff": float(u),
                "best_response_payoff": float(b),
                "regret": float(r),
                "best_response": p.best_response,
                "exact": {"payoff": str(u), "best_response_payoff": str(b), "regret": str(r)},
            }
            for u, b, r, p in zip(cert.payoffs, cert.best_response_payoffs, cert.regrets, report.players)
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
    eps = 1e-9 * game.payoff_range() if args.eps is None else args.eps
    if eps < 0:
        raise CLIError(f"--eps must be >= 0; got {eps}")
    result = report.to_dict()
    return {
        "epsilon": result["epsilon"],
        "nash_conv": result["nash_conv"],
        "players": result["players"],
        "is_equilibrium": report.epsilon <= eps,
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
