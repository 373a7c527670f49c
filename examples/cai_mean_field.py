"""Plot mean-field CAI against fictitious play and online mirror descent, and the LQ game against its closed form.

Usage: ``python examples/cai_mean_field.py --out docs/img`` (writes ``cai_mfg_crowd.png`` and
``cai_mfg_lq.png``; about 20 s on one core).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tactica.agents.cai.mean_field import (  # noqa: E402
    cai_fixed_point,
    linear_quadratic,
    linear_quadratic_closed_form,
    population_mean,
    solve_mean_field,
)
from tactica.equilibria.mean_field import crowd_modelling  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img", help="output folder (default docs/img)")
    parser.add_argument("--iterations", type=int, default=100, help="iterations per method (default 100)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    game = crowd_modelling()
    runs = {
        "FP": solve_mean_field(game, "fp", iterations=args.iterations),
        "OMD (lr 1)": solve_mean_field(game, "omd", iterations=args.iterations),
        "CAI alpha=0.1": solve_mean_field(game, "cai", iterations=args.iterations, alpha=0.1),
        "CAI alpha=0.03": solve_mean_field(game, "cai", iterations=args.iterations, alpha=0.03),
    }
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, run in runs.items():
        ax.semilogy(np.arange(1, len(run.history) + 1), run.history, label=label)
    ax.set(xlabel="iteration", ylabel="exploitability (NashConv)", title="crowd modelling (size 10, H 10)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cai_mfg_crowd.png", dpi=120)

    positions = np.arange(41.0)
    left, right = (np.exp(-((positions - c) ** 2) / (2 * v)) for c, v in ((17, 2), (24, 1)))
    mu0 = 0.7 * left / left.sum() + 0.3 * right / right.sum()
    fig, ax = plt.subplots(figsize=(6, 4))
    for spacing, size, max_move in ((1.0, 41, 3), (0.5, 81, 6)):
        grid = spacing * np.arange(size)
        a, b = (np.exp(-((grid - c) ** 2) / (2 * v)) for c, v in ((17, 2), (24, 1)))
        lq = linear_quadratic(
            size=size,
            max_move=max_move,
            spacing=spacing,
            initial_distribution=0.7 * a / a.sum() + 0.3 * b / b.sum(),
        )
        result = cai_fixed_point(lq, 0.001, args.iterations, initial_alpha=1.0)
        ax.plot(population_mean(result.flow, grid)[:-1], marker="o", label=f"CAI, spacing {spacing:g}")
    closed = linear_quadratic_closed_form(float(positions @ mu0), 0.0)
    ax.plot(closed.mean, "k--", label="closed form (constant mean)")
    ax.set(xlabel="t", ylabel="population mean", title="linear-quadratic MFG, asymmetric mu_0")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cai_mfg_lq.png", dpi=120)
    for label, run in runs.items():
        print(f"{label}: exploitability {run.exploitability:.4g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
