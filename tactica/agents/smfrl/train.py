"""Train SMFRL on ``MacroSMFG-v1``: seeded, with a run directory, a progress bar and plots.

    python -m tactica.agents.smfrl.train --seed 0 --run-dir runs/smfrl/seed0 [--episodes 30]
        [--num-households 50] [--horizon 100] [--eval-horizon 300] [--no-bc] [--json]

The run directory receives ``config.json``, ``metrics.jsonl`` (one line per episode: training and greedy
evaluation figures, losses), ``checkpoint.pt`` (the learner with the best greedy evaluation objective),
``last.pt``, ``summary.json`` (with the exploitability of the best learner, measured on a training-length
episode) and ``training.png`` (GDP per capita, Ginis, welfare and the government objective
over training).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.agents.smfrl.bc import load_dataset, pretrain_follower
from tactica.agents.smfrl.exploitability import exploitability
from tactica.agents.smfrl.learner import SMFRL, SMFRLConfig

__all__ = ["TrainConfig", "train", "learning_rewards"]


@dataclass
class TrainConfig:
    """What a training run does (saved as ``config.json``)."""

    seed: int = 0
    episodes: int = 30
    num_households: int = 50
    """N during training (evaluation uses any N: the policies are per household and mean-field)"""
    horizon: int = 100
    """training episodes are cut at this many years and bootstrapped (truncation is not termination)"""
    eval_horizon: int = 300
    objective: str = "welfare"
    behaviour_cloning: bool = True
    """pre-train the follower on the shipped data file"""
    bc_steps: int = 3000
    warm_start: bool = True
    """start the leader at the calibrated 2022 US policy"""
    eval_every: int = 3
    """episodes between greedy evaluations (the best one is kept as checkpoint.pt)"""
    exploitability_updates: int = 50
    """updates of the best-response copy when measuring exploitability at the end (0: skip)"""
    threads: int = 1
    learner: SMFRLConfig = field(default_factory=SMFRLConfig)


def learning_rewards(env, rewards: dict[str, float], infos: dict[str, Any], terminated: bool, gamma: float):
    """Rewards the critics learn from, scaled by ``1 - gamma`` so values are per-year averages.

    On an early end the env charges the leader ``collapse_penalty`` per remaining year; in discounted terms
    that is the floor value ``penalty * gamma / (1 - gamma)`` for leader and followers alike, which keeps the
    targets bounded whatever the year of the collapse.
    """
    leader = rewards["government"]
    households = np.asarray(
        infos["households"].get("utility", np.zeros(env.num_households)), dtype=np.float64
    )
    if terminated:
        leader -= env.collapse_penalty * (env.horizon - infos["government"]["years"])
        floor = env.collapse_penalty * gamma / (1.0 - gamma)
        leader += floor
        households = np.where(np.isfinite(households), households, env.collapse_penalty) + floor
    scale = 1.0 - gamma
    return leader * scale, households * scale


def _episode(env, learner: SMFRL, seed: int, rng: np.random.Generator | None, cfg: TrainConfig, on_step=None):
    """One episode; explores and learns when ``rng`` is given, else greedy. Returns its summary."""
    obs, infos = env.reset(seed=seed)
    series: dict[str, list[float]] = {
        "gdp_per_capita": [],
        "income_gini": [],
        "wealth_gini": [],
        "social_welfare": [],
    }
    objective, losses = 0.0, []
    while env.agents:
        public, private = obs["government"], obs["households"]["private"]
        if rng is not None:
            learner.observe(public[None], private)
        a_g = learner.leader_act(public, rng)
        a_h = learner.follower_act(private, public, rng)
        obs, rewards, terms, _, infos = env.step({"government": a_g, "households": a_h})
        objective += rewards["government"]
        info = infos["government"]
        for key in series:
            series[key].append(float(info[key]))
        if rng is not None:
            terminated = terms["government"]
            r_g, r_h = learning_rewards(env, rewards, infos, terminated, learner.config.gamma)
            learner.replay.add(
                rng,
                public=public,
                next_public=obs["government"],
                leader_action=a_g,
                leader_reward=r_g,
                done=terminated,
                private=private,
                next_private=obs["households"]["private"],
                follower_action=a_h,
                follower_reward=r_h,
            )
            on_step()
            steps = on_step.steps
            if steps >= cfg.learner.warmup_steps and steps % cfg.learner.update_every == 0:
                losses.append(learner.update(rng))
    summary = {key: float(np.mean(v)) for key, v in series.items()}
    summary.update(years=int(info["years"]), objective=float(objective), reason=info["termination_reason"])
    if losses:
        summary.update({k: float(np.mean([x[k] for x in losses])) for k in losses[0]})
    return summary


class _Counter:
    def __init__(self, progress=None, task=None):
        self.steps, self.progress, self.task = 0, progress, task

    def __call__(self) -> None:
        self.steps += 1
        if self.progress is not None:
            self.progress.advance(self.task)


def train(cfg: TrainConfig, run_dir: str | Path, *, show_progress: bool = True) -> dict[str, Any]:
    """Run the training loop; returns the summary also written to ``summary.json``."""
    from tactica.envs.macro.env import MacroSMFGEnv

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    env = MacroSMFGEnv(num_households=cfg.num_households, horizon=cfg.horizon, objective=cfg.objective)
    eval_env = MacroSMFGEnv(
        num_households=cfg.num_households, horizon=cfg.eval_horizon, objective=cfg.objective
    )
    public_dim = env.observation_space("government").shape[0]
    private_dim = env.observation_space("households")["private"].shape[1]
    start_action = env.policy_action if cfg.warm_start else None
    learner = SMFRL(public_dim, env.policy_dim, private_dim, cfg.learner, initial_leader_action=start_action)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    bc_loss = None
    if cfg.behaviour_cloning:
        bc_loss = pretrain_follower(learner, load_dataset(), steps=cfg.bc_steps, seed=cfg.seed)[-1]
    best, best_objective = None, -np.inf
    start = time.time()
    metrics_path = run_dir / "metrics.jsonl"
    metrics_path.write_text("")
    history = []
    progress = None
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(
            TextColumn("SMFRL seed {task.fields[seed]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
        )
        progress.start()
    task = (
        progress.add_task("train", total=cfg.episodes * cfg.horizon, seed=cfg.seed, status="")
        if progress
        else None
    )
    counter = _Counter(progress, task)
    try:
        for episode in range(cfg.episodes):
            record = {
                "episode": episode,
                "train": _episode(env, learner, cfg.seed * 100_003 + episode, rng, cfg, counter),
            }
            if (episode + 1) % cfg.eval_every == 0 or episode == cfg.episodes - 1:
                record["eval"] = _episode(eval_env, learner, 10_000 + cfg.seed, None, cfg)
                if record["eval"]["objective"] > best_objective:
                    best_objective = record["eval"]["objective"]
                    best = episode
                    torch.save(
                        {"learner": learner.state_dict(), "episode": episode}, run_dir / "checkpoint.pt"
                    )
            record["steps"], record["seconds"] = counter.steps, time.time() - start
            history.append(record)
            with metrics_path.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
            if progress is not None:
                ev = record.get("eval", record["train"])
                progress.update(task, status=f"years {ev['years']} objective {ev['objective']:.1f}")
    finally:
        if progress is not None:
            progress.stop()
    torch.save({"learner": learner.state_dict(), "episode": cfg.episodes - 1}, run_dir / "last.pt")
    exploit = None
    if cfg.exploitability_updates > 0 and learner.replay.size > 0:
        from tactica.agents.smfrl.agent import load_learner

        best_learner = load_learner(run_dir / "checkpoint.pt") if best is not None else learner
        best_learner.replay = learner.replay
        exploit = exploitability(
            best_learner, env, seed=20_000 + cfg.seed, updates=cfg.exploitability_updates
        )
    summary = {
        "best_episode": best,
        "best_eval_objective": best_objective,
        "bc_final_loss": bc_loss,
        "env_steps": counter.steps,
        "updates": learner.updates,
        "exploitability": exploit,
        "seconds": time.time() - start,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_training(history, run_dir / "training.png")
    return summary


def plot_training(history: list[dict[str, Any]], path: Path) -> None:
    """GDP per capita, Ginis, welfare and objective per episode (training and greedy evaluation)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.5))
    panels = (
        ("gdp_per_capita", "GDP per capita (USD)"),
        (("income_gini", "wealth_gini"), "Gini"),
        ("social_welfare", "social welfare (mean utility)"),
        ("objective", "government objective"),
    )
    for ax, (keys, title) in zip(axes, panels):
        for key in (keys,) if isinstance(keys, str) else keys:
            episodes = [h["episode"] for h in history]
            ax.plot(episodes, [h["train"][key] for h in history], label=f"{key} (train)", alpha=0.6)
            evals = [(h["episode"], h["eval"][key]) for h in history if "eval" in h]
            if evals:
                ax.plot(*zip(*evals), "o-", label=f"{key} (greedy)")
        ax.set_title(title)
        ax.set_xlabel("episode")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train SMFRL (leader + mean-field followers) on MacroSMFG-v1."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--episodes", type=int, default=TrainConfig.episodes)
    parser.add_argument("--num-households", type=int, default=TrainConfig.num_households)
    parser.add_argument("--horizon", type=int, default=TrainConfig.horizon, help="training episode length")
    parser.add_argument("--eval-horizon", type=int, default=TrainConfig.eval_horizon)
    parser.add_argument("--objective", default=TrainConfig.objective)
    parser.add_argument(
        "--no-bc", action="store_true", help="skip behaviour-cloning pre-training of the follower"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON, no progress bar")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.num_households < 2 or args.horizon < 1:
        parser.error("--episodes >= 1, --num-households >= 2 and --horizon >= 1 are required")
    cfg = TrainConfig(
        seed=args.seed,
        episodes=args.episodes,
        num_households=args.num_households,
        horizon=args.horizon,
        eval_horizon=args.eval_horizon,
        objective=args.objective,
        behaviour_cloning=not args.no_bc,
    )
    summary = train(cfg, args.run_dir, show_progress=not args.json)
    print(json.dumps(summary, indent=2) if args.json else f"done: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
