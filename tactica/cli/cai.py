"""``tactica cai``: decentralised control-as-inference solvers with measured and theoretical epsilon."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tactica.cli.common import CLIError, add_opt_argument, non_negative_int, output_file, print_json

__all__ = ["add_parser"]

METHODS = ("value-iteration", "backward-induction", "soft-q", "vpg")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "cai",
        help="control-as-inference solvers for stochastic games",
        description="Decentralised control as inference: every player's policy is the soft (entropy-regularised) "
        "response to the others at temperature alpha. The fixed point is an epsilon-Nash equilibrium with epsilon "
        "<= alpha * log|A| * sum_t gamma^t; 'solve' reports the bound beside the exactly measured epsilon.",
        epilog="examples (a few seconds each):\n"
        "  tactica cai solve MarkovGame-v0 --opt game=grid_game_2 --temperature 0.1 --out policy.json\n"
        "  tactica cai mfg linear_quadratic --temperature 0.001 --initial-temperature 1 --json",
    )
    commands = parser.add_subparsers(dest="cai_command", metavar="COMMAND", required=True)
    solve = commands.add_parser(
        "solve",
        help="solve a MarkovGame-v0 game at a temperature",
        description="Solve the game of environment ID (MarkovGame-v0 with --opt game=NAME ...) at temperature "
        "alpha and write the policy as JSON that 'tactica eq check' accepts.",
        epilog="example (about 2 s):\n"
        "  tactica cai solve MarkovGame-v0 --opt game=grid_game_2 --temperature 0.1 --out policy.json",
    )
    solve.add_argument("env_id", metavar="ID", help="an environment id with an exact model() (MarkovGame-v0)")
    add_opt_argument(solve)
    solve.add_argument(
        "--temperature", "--alpha", type=float, default=0.1, metavar="A", help="alpha (default 0.1)"
    )
    solve.add_argument(
        "--method",
        choices=METHODS,
        default="value-iteration",
        help="model-based value iteration (stationary, discounted; default), backward induction (time-indexed, "
        "finite horizon), or decentralised learning in episodes (soft-q, vpg)",
    )
    solve.add_argument(
        "--iterations",
        type=int,
        default=None,
        metavar="N",
        help="value-iteration sweeps (default 20000, stops at convergence) or training episodes (default 2000)",
    )
    solve.add_argument("--seed", type=non_negative_int, default=0, help="seed of the learners (soft-q, vpg)")
    solve.add_argument(
        "--initial-q",
        type=float,
        default=None,
        metavar="Q",
        help="soft-q: start every Q-value here; an optimistic start (e.g. the largest reward) explores by value",
    )
    solve.add_argument("--out", metavar="FILE", help="write the policy here")
    solve.add_argument("--json", action="store_true", help="print a JSON summary")
    solve.set_defaults(func=run_solve)
    _add_mfg_parser(commands)


def _model(args):
    from tactica.envs.registration import make_parallel, parse_options

    env = make_parallel(args.env_id, **parse_options(args.opt))
    model_of = getattr(env, "model", None)
    if model_of is None:
        raise CLIError(
            f"{args.env_id} does not export an exact model(); CAI solves games that do (MarkovGame-v0)"
        )
    return model_of()


def run_solve(args: argparse.Namespace) -> int:
    if args.out:
        output_file(args.out, "--out")  # before the solve, not after it
    from rich.progress import Progress

    from tactica.agents.cai import (
        epsilon_bound,
        finite_horizon_exploitability,
        soft_backward_induction,
        soft_value_iteration,
        train_decentralized,
    )
    from tactica.equilibria.stochastic import exploitability

    if not args.temperature > 0:
        raise CLIError(f"--temperature must be > 0; got {args.temperature}")
    if args.iterations is not None and args.iterations < 1:
        raise CLIError(f"--iterations must be >= 1; got {args.iterations}")
    model = _model(args)
    alpha = float(args.temperature)
    horizon = None
    with Progress(transient=True, disable=args.json) as progress:
        if args.method == "value-iteration":
            if model.discount >= 1.0:
                raise CLIError(
                    f"{model.name} is undiscounted: use --method backward-induction (or --opt discount=0.99)"
                )
            total = args.iterations or 20_000
            task = progress.add_task("soft value iteration", total=total)
            result = soft_value_iteration(
                model,
                alpha,
                max_iterations=total,
                progress=lambda i, residual: progress.update(
                    task, completed=i, description=f"residual {residual:.2e}"
                ),
            )
            policies, iterations = result.policies, result.iterations
            epsilon = exploitability(model, policies, horizon=None).epsilon
        elif args.method == "backward-induction":
            result = soft_backward_induction(model, alpha)
            policies, iterations, horizon = result.policies, result.iterations, result.horizon
            epsilon = finite_horizon_exploitability(model, policies)["epsilon"]
        else:
            if model.discount >= 1.0:
                raise CLIError(f"{model.name} is undiscounted: the learners need --opt discount=<below 1>")
            total = args.iterations or 2_000
            task = progress.add_task(f"{args.method} episodes", total=total)
            run = train_decentralized(
                model,
                alpha=alpha,
                episodes=total,
                learner=args.method,
                seed=args.seed,
                **({} if args.initial_q is None else {"initial_q": args.initial_q}),
                progress=lambda episode: progress.update(task, completed=episode + 1),
            )
            policies, iterations = run.policies, run.episodes
            epsilon = exploitability(model, policies, horizon=None).epsilon
    bound = epsilon_bound(model, alpha, horizon)
    summary = {
        "game": model.name,
        "method": args.method,
        "temperature": alpha,
        "epsilon": float(epsilon),
        "bound": float(bound),
        "within_bound": bool(epsilon <= bound + 1e-9),
        "iterations": int(iterations),
        "horizon": horizon,
    }
    if args.out:
        path = Path(args.out)
        if model.num_states == 1 and horizon in (None, 1):
            # a one-shot normal-form game: the profile format of 'tactica eq check catalog:NAME'
            payload = {"profile": [p.reshape(-1, p.shape[-1])[0].tolist() for p in policies]}
        elif horizon is None:
            payload = {"policy": [p.tolist() for p in policies]}
        else:
            payload = {"time_indexed_policy": [p.tolist() for p in policies]}
        path.write_text(json.dumps(payload) + "\n", encoding="utf-8")
        summary["out"] = str(path)
    if args.json:
        print_json(summary)
    else:
        print(
            f"{model.name}: {args.method} at alpha={alpha:g}: measured epsilon {epsilon:.6g} "
            f"<= bound {bound:.6g}" + ("" if summary["within_bound"] else "  (ABOVE the bound)")
        )
        if args.out:
            print(f"policy written to {args.out}")
    return 0


# Names only, so that building the parser loads no solver (tests check them against the solver's tables).
MEAN_FIELD_GAMES = ("crowd_modelling", "linear_quadratic")
MEAN_FIELD_METHODS = ("cai", "fp", "omd")


def _add_mfg_parser(commands) -> None:
    mfg = commands.add_parser(
        "mfg",
        help="solve a mean-field game (CAI fixed point, fictitious play or online mirror descent)",
        description="Solve a finite-horizon mean-field game and report its exact exploitability (NashConv of the "
        "unregularised game) beside the CAI bound alpha * H * log|A|.",
        epilog="example (about a second):\n"
        "  tactica cai mfg linear_quadratic --temperature 0.001 --initial-temperature 1 --json",
    )
    mfg.add_argument(
        "game", metavar="GAME", choices=sorted(MEAN_FIELD_GAMES), help=f"one of {sorted(MEAN_FIELD_GAMES)}"
    )
    mfg.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="game keyword argument (repeatable, VALUE read as JSON), e.g. --opt size=21 --opt horizon=5",
    )
    mfg.add_argument("--method", choices=MEAN_FIELD_METHODS, default="cai", help="cai (default), fp or omd")
    mfg.add_argument(
        "--temperature", "--alpha", type=float, default=0.01, metavar="A", help="cai: final alpha"
    )
    mfg.add_argument(
        "--initial-temperature", type=float, default=None, metavar="A0", help="cai: anneal from A0 down to A"
    )
    mfg.add_argument("--learning-rate", type=float, default=1.0, help="omd: step size (default 1)")
    mfg.add_argument("--iterations", type=int, default=100, metavar="N", help="iterations (default 100)")
    mfg.add_argument("--out", metavar="FILE", help="write the time-indexed policy (H, S, A) as JSON")
    mfg.add_argument("--json", action="store_true", help="print a JSON summary")
    mfg.set_defaults(func=run_mfg)


def run_mfg(args: argparse.Namespace) -> int:
    if args.out:
        output_file(args.out, "--out")
    import math

    from rich.progress import Progress

    from tactica.agents.cai.mean_field import mean_field_game, population_mean, solve_mean_field
    from tactica.envs.registration import parse_options

    if args.iterations < 1:
        raise CLIError(f"--iterations must be >= 1; got {args.iterations}")
    if not args.temperature > 0:
        raise CLIError(f"--temperature must be > 0; got {args.temperature}")
    try:
        game = mean_field_game(args.game, **parse_options(args.opt))
    except ValueError as error:
        raise CLIError(str(error)) from None
    with Progress(transient=True, disable=args.json) as progress:
        task = progress.add_task(f"{args.method} iterations", total=args.iterations)
        result = solve_mean_field(
            game,
            args.method,
            iterations=args.iterations,
            alpha=args.temperature,
            initial_alpha=args.initial_temperature,
            learning_rate=args.learning_rate,
            progress=lambda k, nash_conv: progress.update(
                task, completed=k, description=f"{args.method} NashConv {nash_conv:.3g}"
            ),
        )
    summary = {
        "game": game.name,
        "method": args.method,
        "iterations": args.iterations,
        "epsilon": result.exploitability,
        "temperature": args.temperature if args.method == "cai" else None,
        "bound": args.temperature * game.horizon * math.log(game.num_actions)
        if args.method == "cai"
        else None,
        "population_mean_cell": population_mean(result.flow).tolist(),  # in grid cells, t = 0..H
    }
    if args.out:
        Path(args.out).write_text(
            json.dumps({"time_indexed_policy": result.policy.tolist()}) + "\n", encoding="utf-8"
        )
        summary["out"] = args.out
    if args.json:
        print_json(summary)
    else:
        bound = "" if summary["bound"] is None else f" (CAI bound {summary['bound']:.6g})"
        print(
            f"{game.name}: {args.method}, {args.iterations} iterations: exploitability {result.exploitability:.6g}{bound}"
        )
    return 0
