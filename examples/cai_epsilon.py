"""Measured epsilon of control-as-inference policies against the theoretical bound, for docs/cai.md.

Run:  python examples/cai_epsilon.py --out docs/img
It prints the table of docs/cai.md (markdown) and writes two plots: epsilon against alpha and epsilon against
iterations.  Model-based soft value iteration and decentralised soft-Q learners (each learning from its own
reward only in MarkovGame-v0 episodes); epsilon is measured exactly by tactica.equilibria.stochastic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tactica.agents.cai import epsilon_bound, measured_epsilon, soft_value_iteration, train_decentralized  # noqa: E402
from tactica.envs.markov.catalog import make_model  # noqa: E402
from tactica.equilibria.stochastic import exploitability  # noqa: E402

ALPHAS = (1.0, 0.3, 0.1, 0.03)
MODEL_BASED = (
    ("grid_game_1", {}),
    ("grid_game_2", {}),
    ("random_markov", {"seed": 0, "num_states": 5, "num_actions": 3}),
    ("random_markov", {"seed": 1, "num_states": 5, "num_actions": 3}),
)
LEARNED = ("random_markov", {"seed": 0, "num_states": 3, "num_actions": 2, "horizon": 20})


def label(name: str, kwargs: dict) -> str:
    return (
        name
        if not kwargs
        else f"{name}(seed={kwargs['seed']}, S={kwargs['num_states']}, A={kwargs['num_actions']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img", help="folder for the PNG plots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows = []
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, kwargs in MODEL_BASED:
        model = make_model(name, **kwargs)
        epsilons = []
        for alpha in ALPHAS:
            result = soft_value_iteration(model, alpha)
            epsilon = measured_epsilon(model, result)
            epsilons.append(epsilon)
            rows.append(
                (label(name, kwargs), "soft value iteration", alpha, epsilon, epsilon_bound(model, alpha))
            )
        axis.plot(
            ALPHAS,
            [max(e, 1e-12) for e in epsilons],
            marker="o",
            label=f"{label(name, kwargs)} (model-based)",
        )
    # decentralised learners: the small random game, and grid game 1 with an optimistic start (the goal reward),
    # so that the learners explore by value rather than by temperature
    learned_curves = (
        (
            LEARNED[0],
            LEARNED[1],
            label(*LEARNED),
            400,
            {"learning_rate": 0.2, "learning_rate_decay": 0.5},
            "grey",
        ),
        ("grid_game_1", {"horizon": 30}, "grid_game_1", 2000, {"initial_q": 100.0}, "black"),
    )
    for name, env_kwargs, title, episodes, options, bound_color in learned_curves:
        model = make_model(name, **env_kwargs)
        learned = []
        for alpha in ALPHAS:
            run = train_decentralized(
                name, env_kwargs=env_kwargs, alpha=alpha, episodes=episodes, seed=0, **options
            )
            epsilon = exploitability(model, run.policies, horizon=None).epsilon
            learned.append(epsilon)
            rows.append(
                (
                    title,
                    f"decentralised soft-Q ({episodes} episodes)",
                    alpha,
                    epsilon,
                    epsilon_bound(model, alpha),
                )
            )
        axis.plot(
            ALPHAS, [max(e, 1e-12) for e in learned], marker="s", linestyle="--", label=f"{title} (learned)"
        )
        bounds = [epsilon_bound(model, a) for a in ALPHAS]
        axis.plot(ALPHAS, bounds, color=bound_color, linestyle=":", label=f"bound, {title}")
    axis.set(xscale="log", yscale="log", xlabel="temperature alpha", ylabel="measured epsilon (floor 1e-12)")
    axis.legend(fontsize=7)
    axis.set_title("CAI fixed points: epsilon against alpha")
    figure.tight_layout()
    figure.savefig(out / "cai_epsilon_alpha.png", dpi=120)

    # epsilon against iterations: soft value iteration sweeps and decentralised learning episodes
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    sweep_model = make_model("grid_game_1")
    for alpha in (0.3, 0.1):
        trace: list[tuple[int, float]] = []

        def record(iteration, policies, model=sweep_model, trace=trace):
            if iteration <= 20 or iteration % 10 == 0:
                trace.append((iteration, exploitability(model, policies, horizon=None).epsilon))

        soft_value_iteration(sweep_model, alpha, callback=record)
        left.plot([k for k, _ in trace], [max(e, 1e-12) for _, e in trace], label=f"alpha={alpha}")
        left.axhline(epsilon_bound(sweep_model, alpha), linestyle=":", color=left.lines[-1].get_color())
    left.set(
        yscale="log",
        xlabel="value-iteration sweeps",
        ylabel="measured epsilon",
        title="grid game 1, model-based",
    )
    left.legend()
    for alpha in (0.3, 0.1):
        run = train_decentralized(
            LEARNED[0],
            env_kwargs=LEARNED[1],
            alpha=alpha,
            episodes=600,
            seed=0,
            learning_rate=0.2,
            learning_rate_decay=0.5,
            evaluate_every=20,
        )
        right.plot(
            [h["episode"] for h in run.history], [h["epsilon"] for h in run.history], label=f"alpha={alpha}"
        )
    right.set(
        yscale="log",
        xlabel="episodes (20 steps each)",
        ylabel="measured epsilon",
        title="decentralised soft-Q",
    )
    right.legend()
    figure.tight_layout()
    figure.savefig(out / "cai_epsilon_iterations.png", dpi=120)

    print("| game | method | alpha | measured epsilon | bound |")
    print("|---|---|---|---|---|")
    for game, method, alpha, epsilon, bound in rows:
        print(f"| {game} | {method} | {alpha:g} | {epsilon:.3g} | {bound:.3g} |")


if __name__ == "__main__":
    main()
