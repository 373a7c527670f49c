"""Generate self-play logs, train the CQL tactic policy, evaluate it: ``python -m tactica.agents.discussion.train``.

Subcommands (each seeded, each writing into ``--run-dir``):

- ``generate``: self-play games of random-tactic agents (the behaviour policy covers all six tactics) on the
  five-player settings -> ``dataset.npz`` (states, tactics, paper rewards, next states, dones);
- ``train``: discrete CQL on ``dataset.npz`` -> ``q.pt`` and ``metrics.jsonl``;
- ``evaluate``: ``--games`` seeded games per deal and matchup -> ``eval.json`` and ``table.md``;
- ``all``: the three in a row; ``--install`` copies ``q.pt`` to the package's default checkpoint;
- ``belief``: a learned belief (final role of every player from the features) -> ``belief.pt``, for
  :class:`tactica.agents.discussion.belief.LearnedBelief`;
- ``sweep``: ``evaluate`` again under other listener settings (``claim_weight``, ``accusation_weight`` of every
  agent's listener) -> ``sweep.json`` and ``sweep.md``;
- ``listener``: the offline text reader on ``--sentences`` generated speeches -> ``listener.npz`` and
  ``listener.json`` (accuracy on held-out speeches of the training templates and of the templates agents speak
  with); ``--install`` copies it to the package's default listener.

Every run directory holds ``config.json`` (the arguments of each step run there).  ``--json`` prints a machine-readable summary.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from tactica.agents.discussion.agent import (
    DiscussionAgent,
    RLTactic,
    default_checkpoint_path,
    make_belief_agent,
    make_honest_agent,
    make_random_tactic_agent,
)
from tactica.agents.discussion.cql import CQLConfig, OfflineDataset, train_cql
from tactica.agents.discussion.selfplay import Setting, evaluate_matchup, play_game, transitions
from tactica.envs.onuw.presets import get_preset
from tactica.envs.onuw.rules import Tactic, Team

__all__ = ["main", "generate", "train", "evaluate", "train_belief"]

#: Self-play presets and evaluation presets of each shipped policy's setting.
TRAIN_SETTINGS = {"5p": ("5p", "5p-easy", "5p-hard"), "3p": ("3p",)}
EVAL_SETTINGS = {"5p": ("5p-easy", "5p-hard"), "3p": ("3p",)}


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


def generate(
    run_dir: Path, games: int, seed: int, quiet: bool = False, setting: str = "5p"
) -> dict[str, Any]:
    """Self-play logs of random-tactic agents, ``games`` per training preset of ``setting``."""
    rng = np.random.default_rng(seed)
    rows = []
    wins = {"village": 0, "werewolf": 0, "draw": 0}
    with _progress() as progress:
        for name in TRAIN_SETTINGS[setting]:
            preset = Setting.from_preset(name)
            task = progress.add_task(f"self-play {name}", total=games, visible=not quiet)
            for _ in range(games):
                game_seed = int(rng.integers(2**31))
                agents = [
                    make_random_tactic_agent(seed=game_seed * 16 + p) for p in range(preset.num_players)
                ]
                record = play_game(preset, agents, np.random.default_rng(game_seed))
                rows += transitions(record)
                out = record.outcome
                wins[
                    "draw" if out.draw else ("village" if Team.VILLAGE in out.winning_teams else "werewolf")
                ] += 1
                progress.advance(task)
    states = np.stack([r[0] for r in rows]).astype(np.float32)
    data = {
        "states": states,
        "actions": np.array([r[1] for r in rows], dtype=np.int64),
        "rewards": np.array([r[2] for r in rows], dtype=np.float32),
        "next_states": np.stack([r[3] for r in rows]).astype(np.float32),
        "dones": np.array([r[4] for r in rows], dtype=np.float32),
    }
    np.savez_compressed(run_dir / "dataset.npz", **data)
    summary = {"transitions": len(rows), "games": games * len(TRAIN_SETTINGS[setting]), "outcomes": wins}
    (run_dir / "dataset.json").write_text(json.dumps(summary, indent=2))
    return summary


def train(run_dir: Path, config: CQLConfig, quiet: bool = False, setting: str = "5p") -> dict[str, Any]:
    """Discrete CQL on ``run_dir/dataset.npz``; writes ``q.pt`` and ``metrics.jsonl``."""
    from tactica.agents.discussion.nets import save_checkpoint

    path = run_dir / "dataset.npz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run the 'generate' step first")
    with np.load(path) as blob:
        data = OfflineDataset(**{k: blob[k] for k in blob.files})
    metrics_file = (run_dir / "metrics.jsonl").open("w", buffering=1)  # line-buffered: follow with tail -f
    last: dict[str, float] = {}
    with _progress() as progress:
        task = progress.add_task("CQL", total=config.n_steps, visible=not quiet)

        def callback(step: int, metrics: dict[str, float]) -> None:
            last.update(metrics)
            metrics_file.write(json.dumps({"step": step, **metrics}) + "\n")
            progress.update(task, completed=step)

        q = train_cql(data, len(Tactic), config, callback)
    metrics_file.close()
    meta = {
        "kind": "q",
        "state_dim": q.state_dim,
        "num_actions": q.num_actions,
        "n_critics": q.n_critics,
        "n_quantiles": q.n_quantiles,
        "hidden": list(q.hidden),
        "config": config.to_dict(),
        "settings": list(TRAIN_SETTINGS[setting]),
    }
    save_checkpoint(run_dir / "q.pt", q, meta)
    return {"final": last, "transitions": len(data)}


def train_belief(
    run_dir: Path, games: int, seed: int, steps: int = 2000, quiet: bool = False
) -> dict[str, Any]:
    """A learned belief: an MLP from the player's features to every player's final role (cross-entropy), on
    random-tactic self-play of ``games`` games per training setting; writes ``belief.pt``."""
    import torch

    from tactica.agents.discussion.nets import mlp, save_checkpoint
    from tactica.envs.onuw.features import encode_observation

    rng = np.random.default_rng(seed)
    xs, ys = [], []
    with _progress() as progress:
        for name in TRAIN_SETTINGS["5p"]:
            setting = Setting.from_preset(name)
            task = progress.add_task(f"belief data {name}", total=games, visible=not quiet)
            for _ in range(games):
                game_seed = int(rng.integers(2**31))
                agents = [
                    make_random_tactic_agent(seed=game_seed * 16 + p) for p in range(setting.num_players)
                ]
                record = play_game(setting, agents, np.random.default_rng(game_seed), views=True)
                roles = record.roles_in_deck
                target = [roles.index(r) for r in record.outcome.final_roles]
                for view in record.views:
                    xs.append(encode_observation(view))
                    ys.append(target)
                progress.advance(task)
    x = torch.as_tensor(np.stack(xs))
    y = torch.as_tensor(np.array(ys), dtype=torch.long)
    n, k = y.shape[1], len(roles)
    split = int(0.9 * len(x))
    torch.manual_seed(seed)
    model = mlp(x.shape[1], n * k, (256, 256))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = np.random.default_rng(seed)
    for _ in range(steps):
        idx = torch.as_tensor(gen.integers(0, split, size=256))
        loss = torch.nn.functional.cross_entropy(model(x[idx]).view(-1, n, k).transpose(1, 2), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        pred = model(x[split:]).view(-1, n, k).argmax(dim=2)
        accuracy = float((pred == y[split:]).float().mean())
    meta = {
        "kind": "belief",
        "state_dim": int(x.shape[1]),
        "out_dim": n * k,
        "hidden": [256, 256],
        "num_players": n,
        "roles": [r.name for r in roles],
    }
    save_checkpoint(run_dir / "belief.pt", model, meta)
    result = {"samples": len(x), "held_out_role_accuracy": accuracy, "final_loss": float(loss.item())}
    (run_dir / "belief.json").write_text(json.dumps(result, indent=2))
    return result


def train_listener(run_dir: Path, sentences: int, seed: int, install: bool = False) -> dict[str, Any]:
    """The offline text reader: trained on the "listen" template bank, measured on held-out speeches of both
    banks (the "speak" bank is what the built-in agents say in games)."""
    from tactica.agents.discussion.listener_training import generate_speeches, reader_accuracy, train_reader
    from tactica.agents.discussion.listeners import default_listener_path

    rng = np.random.default_rng(seed)
    data = generate_speeches(sentences, "listen", rng)
    held_out = {
        "listen_templates": generate_speeches(3000, "listen", np.random.default_rng(seed + 1)),
        "speak_templates": generate_speeches(3000, "speak", np.random.default_rng(seed + 2)),
    }
    meta = {"sentences": sentences, "seed": seed, "bank": "listen", "command": " ".join(sys.argv)}
    reader = train_reader(data, seed=seed, meta=meta)
    accuracy = {name: reader_accuracy(reader, speeches) for name, speeches in held_out.items()}
    reader.meta["held_out_accuracy"] = accuracy
    reader.save(run_dir / "listener.npz")
    result = {"sentences": sentences, "held_out_accuracy": accuracy}
    (run_dir / "listener.json").write_text(json.dumps(result, indent=2))
    if install:
        shutil.copyfile(run_dir / "listener.npz", default_listener_path())
        result["installed"] = str(default_listener_path())
    return result


AGENTS = {
    "rl": None,  # filled from the run's checkpoint
    "random-tactic": make_random_tactic_agent,
    "always-honest": make_honest_agent,
    "belief-only": make_belief_agent,
}
OPPONENTS = ("random-tactic", "always-honest")


def _with_belief(factory, belief):
    return lambda seed=None: factory(seed=seed, belief=belief)


def evaluate(
    run_dir: Path,
    games: int,
    seed: int,
    quiet: bool = False,
    checkpoint: Path | None = None,
    setting: str = "5p",
    belief: Any = None,
    write: bool = True,
):
    """Team win rates and votes received per deal, focal team, focal agent and opponents (``belief``: the
    listeners every agent uses, e.g. a ``HeuristicBelief(claim_weight=0)``; default: each agent's own)."""
    policy = RLTactic.load(checkpoint or run_dir / "q.pt")
    base = dict(AGENTS, rl=lambda seed=None, **kw: DiscussionAgent(policy, seed=seed, **kw))
    factories = {k: _with_belief(f, belief) for k, f in base.items()}
    results = []
    with _progress() as progress:
        for deal in EVAL_SETTINGS[setting]:
            setting = Setting.from_preset(deal)
            for team in (Team.VILLAGE, Team.WEREWOLF):
                for opponent in OPPONENTS:
                    for focal in factories:
                        task = progress.add_task(
                            f"{deal} {team.name.lower()}={focal} vs {opponent}",
                            total=games,
                            visible=not quiet,
                        )
                        res = evaluate_matchup(
                            setting,
                            lambda s, f=focal: factories[f](seed=s),
                            lambda s, o=opponent: factories[o](seed=s),
                            team,
                            games,
                            seed,
                            progress=lambda g, t=task: progress.update(t, completed=g),
                        )
                        results.append(
                            {
                                "deal": deal,
                                "focal_team": team.name.lower(),
                                "focal": focal,
                                "opponents": opponent,
                            }
                            | res.as_dict()
                        )
    if write:
        (run_dir / "eval.json").write_text(json.dumps(results, indent=2))
        (run_dir / "table.md").write_text(markdown_table(results))
    return results


#: Listener settings of the sweep: (claim_weight, accusation_weight); the first is the default.
LISTENER_SETTINGS = ((0.25, 0.08), (0.0, 0.08), (0.25, 0.0), (0.5, 0.2))


def listening_belief(setting: str, claim_weight: float, accusation_weight: float) -> Any:
    """Every agent's belief for ``setting`` with the given listener weights (exact night knowledge at 3p)."""
    from tactica.agents.discussion.belief import ExactBelief, HeuristicBelief
    from tactica.agents.discussion.listeners import ListeningBelief

    if setting == "3p":
        return ListeningBelief(ExactBelief(), None, claim_weight, accusation_weight)
    return HeuristicBelief(claim_weight=claim_weight, accusation_weight=accusation_weight)


def sweep(run_dir: Path, games: int, seed: int, quiet: bool, checkpoint: Path | None, setting: str):
    """The evaluation under every listener setting of :data:`LISTENER_SETTINGS`."""
    rows = []
    for cw, aw in LISTENER_SETTINGS:
        belief = listening_belief(setting, cw, aw)
        for r in evaluate(run_dir, games, seed, quiet, checkpoint, setting, belief, write=False):
            rows.append({"claim_weight": cw, "accusation_weight": aw} | r)
    (run_dir / "sweep.json").write_text(json.dumps(rows, indent=2))
    lines = [
        "| claim_weight | accusation_weight | deal | focal team | opponents | focal agent | focal team win "
        "| votes / focal seat | paper reward / focal seat |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['claim_weight']} | {r['accusation_weight']} | {r['deal']} | {r['focal_team']} | {r['opponents']} "
            f"| {r['focal']} | {r['focal_team_win']:.3f} | {r['focal_votes']:.2f} | {paper_reward(r):+.3f} |"
        )
    (run_dir / "sweep.md").write_text(sweep_summary(rows) + "\n" + "\n".join(lines) + "\n")
    return rows


def sweep_summary(rows: list[dict[str, Any]]) -> str:
    """Per listener setting: in how many (deal, side, opponents) cases the RL team beats each baseline on win
    rate and on the paper's reward, and receives fewer votes per seat."""
    cases: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in rows:
        key = (r["claim_weight"], r["accusation_weight"], r["deal"], r["focal_team"], r["opponents"])
        cases.setdefault(key, {})[r["focal"]] = r
    lines = [
        "| claim_weight | accusation_weight | baseline | RL wins more | RL higher paper reward | RL fewer votes |",
        "|---|---|---|---|---|---|",
    ]
    for weights in dict.fromkeys(k[:2] for k in cases):
        groups = [v for k, v in cases.items() if k[:2] == weights]
        for baseline in ("random-tactic", "always-honest", "belief-only"):
            pairs = [(g["rl"], g[baseline]) for g in groups if "rl" in g and baseline in g]
            win = sum(a["focal_team_win"] > b["focal_team_win"] for a, b in pairs)
            reward = sum(paper_reward(a) > paper_reward(b) for a, b in pairs)
            votes = sum(a["focal_votes"] < b["focal_votes"] for a, b in pairs)
            n = len(pairs)
            lines.append(
                f"| {weights[0]} | {weights[1]} | {baseline} | {win} of {n} | {reward} of {n} | {votes} of {n} |"
            )
    return "\n".join(lines) + "\n"


def paper_reward(row: dict[str, Any]) -> float:
    """The paper's offline-RL reward averaged over the focal seats: win +1, loss -1, draw 0, minus votes / N."""
    n = get_preset(row["deal"]).num_players
    loss = 1.0 - row["focal_team_win"] - row["draw"]
    return row["focal_team_win"] - loss - row["focal_votes"] / n


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The evaluation as a Markdown table (one row per deal, focal team, opponents and focal agent)."""
    lines = [
        "| deal | focal team | opponents | focal agent | focal team win | Village win | Werewolf win | draw "
        "| votes / focal seat | votes / other seat | paper reward / focal seat |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['deal']} | {r['focal_team']} | {r['opponents']} | {r['focal']} | {r['focal_team_win']:.3f} "
            f"| {r['village_win']:.3f} | {r['werewolf_win']:.3f} | {r['draw']:.3f} | {r['focal_votes']:.2f} "
            f"| {r['other_votes']:.2f} | {paper_reward(r):+.3f} |"
        )
    return "\n".join(lines) + "\n"


def install_policy(run_dir: Path, setting: str) -> str:
    """Copy ``q.pt`` to the package's policy of ``setting`` with a provenance file beside it (the run's
    config, dataset summary, last training metrics and evaluation, when present)."""
    target = default_checkpoint_path(setting)
    if not (run_dir / "q.pt").is_file():
        raise FileNotFoundError(f"{run_dir / 'q.pt'} is missing: run the 'train' step first")
    shutil.copyfile(run_dir / "q.pt", target)
    provenance: dict[str, Any] = {
        "description": f"Provenance of {target.name}: CQL tactic policy ({setting})"
    }
    for key, name in (("config", "config.json"), ("dataset", "dataset.json"), ("evaluate", "eval.json")):
        if (run_dir / name).is_file():
            provenance[key] = json.loads((run_dir / name).read_text())
    if (run_dir / "metrics.jsonl").is_file():
        lines = (run_dir / "metrics.jsonl").read_text().splitlines()
        provenance["final_metrics"] = json.loads(lines[-1]) if lines else None
    target.with_suffix(".json").write_text(json.dumps(provenance, indent=1))
    return str(target)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tactica.agents.discussion.train", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "step",
        choices=("generate", "train", "evaluate", "belief", "listener", "sweep", "all"),
        help="what to run ('all': the first three)",
    )
    parser.add_argument("--run-dir", type=Path, default=None, help="run directory (default runs/onuw-<time>)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--games", type=int, default=3000, help="self-play games per training setting")
    parser.add_argument("--eval-games", type=int, default=1000, help="evaluation games per matchup")
    parser.add_argument("--steps", type=int, default=CQLConfig.n_steps, help="CQL gradient steps")
    parser.add_argument("--alpha", type=float, default=CQLConfig.alpha, help="CQL conservative weight")
    parser.add_argument("--lr", type=float, default=CQLConfig.learning_rate)
    parser.add_argument("--checkpoint", type=Path, default=None, help="evaluate this q.pt instead")
    parser.add_argument(
        "--setting", choices=tuple(TRAIN_SETTINGS), default="5p", help="the game the policy is for (3p or 5p)"
    )
    parser.add_argument(
        "--q-function", choices=("mean", "qr"), default="mean", help="expected-value or quantile critics"
    )
    parser.add_argument("--quantiles", type=int, default=32, help="quantiles of --q-function qr")
    parser.add_argument("--batch-size", type=int, default=CQLConfig.batch_size)
    parser.add_argument(
        "--paper",
        action="store_true",
        help="the paper's CQL configuration (QR critics, 32 quantiles, lr 5e-5, batch 32, alpha 4.0); "
        "--steps still sets the number of gradient steps",
    )
    parser.add_argument("--sentences", type=int, default=40_000, help="generated speeches for 'listener'")
    parser.add_argument(
        "--install", action="store_true", help="copy q.pt (or listener.npz) to the package defaults"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # small networks: threads only add contention
    if args.games < 1 or args.eval_games < 1 or args.steps < 1:
        parser.error("--games, --eval-games and --steps must be >= 1")
    if args.alpha < 0 or args.lr <= 0:
        parser.error("--alpha must be >= 0 and --lr > 0")
    if args.quantiles < 2 or args.batch_size < 1 or args.sentences < 1:
        parser.error("--quantiles must be >= 2, --batch-size and --sentences >= 1")
    run_dir = args.run_dir or Path("runs") / time.strftime("onuw-%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.paper:
        config = CQLConfig.paper(n_steps=args.steps, seed=args.seed)
    else:
        config = CQLConfig(
            n_steps=args.steps,
            alpha=args.alpha,
            learning_rate=args.lr,
            seed=args.seed,
            batch_size=args.batch_size,
            q_function=args.q_function,
            n_quantiles=args.quantiles,
        )
    # config.json keeps one entry per step run in this directory, so evaluating does not hide the training config
    config_path = run_dir / "config.json"
    configs = json.loads(config_path.read_text()) if config_path.is_file() else {}
    configs[args.step] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    configs[args.step]["cql"] = config.to_dict()
    config_path.write_text(json.dumps(configs, indent=2))
    summary: dict[str, Any] = {"run_dir": str(run_dir)}
    try:
        if args.step in ("generate", "all"):
            summary["generate"] = generate(run_dir, args.games, args.seed, args.quiet, args.setting)
        if args.step in ("train", "all"):
            summary["train"] = train(run_dir, config, args.quiet, args.setting)
        if args.step == "listener":
            summary["listener"] = train_listener(run_dir, args.sentences, args.seed, args.install)
        if args.step == "belief":
            summary["belief"] = train_belief(
                run_dir, args.games, args.seed, min(args.steps, 2000), args.quiet
            )
        if args.step == "sweep":
            summary["sweep"] = sweep(
                run_dir, args.eval_games, args.seed + 1, args.quiet, args.checkpoint, args.setting
            )
        if args.step in ("evaluate", "all"):
            summary["evaluate"] = evaluate(
                run_dir, args.eval_games, args.seed + 1, args.quiet, args.checkpoint, args.setting
            )
        if args.install and args.step != "listener":
            summary["installed"] = install_policy(run_dir, args.setting)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary))
    elif "evaluate" in summary:
        print(markdown_table(summary["evaluate"]))
    print(f"run directory: {run_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
