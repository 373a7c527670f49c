"""``tactica train``: one subcommand per trainer.

``TRAINERS`` maps a subcommand name to the module that defines it; each module has ``add_parser(subparsers)``
that adds its parser to the ``train`` group and sets ``func``.  Other rooms add their trainer with one line.
"""

from __future__ import annotations

import argparse
import importlib

from tactica.cli.common import add_commands

__all__ = ["add_parser", "TRAINERS"]

TRAINERS: dict[str, str] = {
    "plm": "tactica.llm.plm.cli",
    "sb3": "tactica.cli.train_sb3",
}


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="train models (PLM language models, Stable-Baselines3 agents...)",
        description="Train a model and write a run directory (config, metrics, checkpoint, plots). "
        "Run 'tactica train TRAINER --help' for a trainer's options.",
        epilog="examples:\n"
        "  tactica train sb3 MacroLeader-v1 --timesteps 2000        (about 15 s of CPU)\n"
        "  tactica train plm --out runs/plm-tiny --preset tiny --steps 60 --threads 1 --no-quant-eval        "
        "(about 15 s of CPU)",
    )
    sub = add_commands(parser, "trainer", "TRAINER")
    for module in TRAINERS.values():
        importlib.import_module(module).add_parser(sub)
    return parser
