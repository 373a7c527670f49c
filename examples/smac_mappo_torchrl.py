"""MAPPO on SMAC-v2 through TorchRL's PettingZoo wrapper: multi-agent RL with a maintained library.

SMAC-v2 is a PettingZoo ParallelEnv, so TorchRL's ``PettingZooWrapper`` takes it as it is: the three marines of
``3m`` become one agent group, their ``action_mask`` masks the policy, and agents that died leave the batch.
MAPPO (Yu et al. 2022, "The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games") is PPO with one
policy shared by the agents, each acting on its own observation, and a centralised critic that reads every
agent's observation. Run it with::

    pip install torchrl    # the version matching your torch (TorchRL's install notes list them)
    python examples/smac_mappo_torchrl.py --map 3m --iterations 40 --seed 0 --out runs/mappo-3m

It writes ``config.json``, ``metrics.jsonl`` (one line per iteration), ``policy.pt`` (the actor's state dict)
and ``summary.json`` (the win rate of the greedy policy over seeded evaluation episodes, before and after
training, with Wilson 95% intervals). docs/smac.md gives a measured run.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import tactica
from tactica.leaderboard.report import _wilson as wilson_interval  # the leaderboard's own interval


@dataclass
class Args:
    map: str = "3m"
    seed: int = 0
    iterations: int = 40
    frames_per_batch: int = 600  # environment steps per iteration
    epochs: int = 4  # passes over each batch
    minibatch_size: int = 200
    lr: float = 5e-4
    gamma: float = 0.99
    lmbda: float = 0.95
    clip_epsilon: float = 0.2
    entropy_coef: float = 0.01
    hidden: int = 64
    eval_episodes: int = 20
    out: str = "runs/mappo-3m"


def make_env(args: Args, seed: int):
    from torchrl.envs import RewardSum, TransformedEnv
    from torchrl.envs.libs.pettingzoo import PettingZooWrapper

    base = tactica.make_parallel("SMAC-v2", map_name=args.map)
    env = PettingZooWrapper(env=base, use_mask=True, categorical_actions=True, seed=seed, return_state=False)
    (group,) = env.group_map  # one group: SMAC's agents of one kind share it ("marine" on 3m)
    return TransformedEnv(
        env, RewardSum(in_keys=[env.reward_key], out_keys=[(group, "episode_reward")])
    ), group


class LegalMask(nn.Module):
    """Keeps 'stop' legal where no action is (a dead agent's padded row), so the masked softmax stays finite."""

    def forward(self, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.bool()
        empty = ~mask.any(-1, keepdim=True)
        first = torch.zeros_like(mask)
        first[..., 0] = True
        return mask | (empty & first)


def build(env, group: str, args: Args):
    """The shared actor (masked categorical over each agent's legal actions) and the centralised critic."""
    from tensordict.nn import TensorDictModule, TensorDictSequential
    from torchrl.modules import MaskedCategorical, MultiAgentMLP, ProbabilisticActor

    n_agents = len(env.group_map[group])
    observation_key = (group, "observation", "observation")
    obs_size = env.observation_spec[observation_key].shape[-1]
    n_actions = env.full_action_spec[env.action_key].space.n
    common = dict(
        n_agents=n_agents, share_params=True, depth=2, num_cells=args.hidden, activation_class=nn.Tanh
    )
    logits = MultiAgentMLP(obs_size, n_actions, centralised=False, **common)
    actor_body = TensorDictSequential(
        TensorDictModule(LegalMask(), in_keys=[(group, "action_mask")], out_keys=[(group, "legal")]),
        TensorDictModule(logits, in_keys=[observation_key], out_keys=[(group, "logits")]),
    )
    actor = ProbabilisticActor(
        actor_body,
        in_keys={"logits": (group, "logits"), "mask": (group, "legal")},
        out_keys=[env.action_key],
        distribution_class=MaskedCategorical,
        return_log_prob=True,
        log_prob_key=(group, "sample_log_prob"),
    )
    critic = TensorDictModule(
        MultiAgentMLP(obs_size, 1, centralised=True, **common),
        in_keys=[observation_key],
        out_keys=[(group, "state_value")],
    )
    return actor, critic, logits


def greedy_win_rate(logits: nn.Module, args: Args, seeds: list[int]) -> tuple[float, float, float]:
    """Win rate of the most probable legal action per agent, on plain PettingZoo episodes (seeded)."""
    wins = 0
    for seed in seeds:
        env = tactica.make_parallel("SMAC-v2", map_name=args.map)
        observations, infos = env.reset(seed=seed)
        agents = list(env.possible_agents)
        dead = np.zeros(env.observation_space(agents[0])["observation"].shape, np.float32)
        while env.agents:
            stacked = np.stack([observations[a]["observation"] if a in env.agents else dead for a in agents])
            with torch.no_grad():
                scores = logits(torch.as_tensor(stacked, dtype=torch.float32)).numpy()
            actions = {}
            for index, agent in enumerate(agents):
                if agent in env.agents:
                    legal = observations[agent]["action_mask"].astype(bool)
                    actions[agent] = int(np.argmax(np.where(legal, scores[index], -np.inf)))
            observations, _, _, _, infos = env.step(actions)
        wins += bool(next(iter(infos.values()))["battle_won"])
        env.close()
    low, high = wilson_interval(wins, len(seeds))
    return wins / len(seeds), low, high


def main(args: Args) -> dict:
    from torchrl.collectors import Collector
    from torchrl.data import LazyTensorStorage, ReplayBuffer, SamplerWithoutReplacement
    from torchrl.objectives import ClipPPOLoss, ValueEstimators

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # small networks: one thread is the fastest on a CPU
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(args), indent=2))
    env, group = make_env(args, args.seed)
    actor, critic, logits = build(env, group, args)
    eval_seeds = [10_000 + k for k in range(args.eval_episodes)]  # never the training seeds
    before = greedy_win_rate(logits, args, eval_seeds)

    collector = Collector(
        env,
        actor,
        frames_per_batch=args.frames_per_batch,
        total_frames=args.frames_per_batch * args.iterations,
    )
    buffer = ReplayBuffer(
        storage=LazyTensorStorage(args.frames_per_batch),
        sampler=SamplerWithoutReplacement(),
        batch_size=args.minibatch_size,
    )
    loss = ClipPPOLoss(
        actor_network=actor,
        critic_network=critic,
        clip_epsilon=args.clip_epsilon,
        entropy_coeff=args.entropy_coef,
        normalize_advantage=False,
    )
    loss.set_keys(
        reward=env.reward_key,
        action=env.action_key,
        sample_log_prob=(group, "sample_log_prob"),
        value=(group, "state_value"),
        done=(group, "done"),
        terminated=(group, "terminated"),
    )
    loss.make_value_estimator(ValueEstimators.GAE, gamma=args.gamma, lmbda=args.lmbda)
    optimiser = torch.optim.Adam(loss.parameters(), args.lr)

    started = time.process_time()
    with (out / "metrics.jsonl").open("w") as metrics:
        for iteration, batch in enumerate(collector):
            with torch.no_grad():
                loss.value_estimator(
                    batch, params=loss.critic_network_params, target_params=loss.target_critic_network_params
                )
            buffer.extend(batch.reshape(-1))
            for _ in range(args.epochs * (args.frames_per_batch // args.minibatch_size)):
                parts = loss(buffer.sample())
                total = parts["loss_objective"] + parts["loss_critic"] + parts["loss_entropy"]
                optimiser.zero_grad()
                total.backward()
                nn.utils.clip_grad_norm_(loss.parameters(), 1.0)
                optimiser.step()
            done = batch.get(("next", group, "done")).any(-2).squeeze(-1)
            returns = batch.get(("next", group, "episode_reward"))[done].mean().item() if done.any() else None
            line = {
                "iteration": iteration,
                "frames": (iteration + 1) * args.frames_per_batch,
                "return": returns,
            }
            metrics.write(json.dumps(line) + "\n")
            metrics.flush()
            print(json.dumps(line), flush=True)
    collector.shutdown()
    torch.save(logits.state_dict(), out / "policy.pt")
    after = greedy_win_rate(logits, args, eval_seeds)
    summary = {
        "map": args.map,
        "frames": args.frames_per_batch * args.iterations,
        "train_cpu_seconds": round(time.process_time() - started, 1),
        "win_rate_before": before,
        "win_rate_after": after,
        "eval_episodes": args.eval_episodes,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, value in asdict(Args()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return Args(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    print(json.dumps(main(parse_args()), indent=2))
