"""QMIX (Rashid et al. 2018) on tactica's SMAC, in one readable file, with pymarl's or pymarl2's hyper-parameters.

Run:  nice -n 10 env OMP_NUM_THREADS=1 python examples/qmix_smac.py --map-name 3m --seed 0
      python examples/qmix_smac.py --config pymarl2 --map-name 8m --seed 1 --total-steps 2000000 --run-dir runs
      python examples/qmix_smac.py --replot runs/qmix_3m_seed0_...   (curve.png of a run, finished or stopped)
      python examples/qmix_smac.py --figure docs/img/smac_qmix_3m.png runs/qmix_3m_seed*   (seeds together)
      python examples/qmix_smac.py --help

The agents share one recurrent Q-network (GRU, 64 units) fed with their observation, their last action (none
at an episode's first step) and their id; a monotonic mixing network conditioned on the global state combines
the agents' Q-values into Q_tot.  ``--config pymarl`` (the default) is oxwhirl/pymarl's ``qmix.yaml``: RMSprop
lr 5e-4, alpha 0.99, eps 1e-5, batch of 32 episodes, replay of 5000 episodes, double Q-learning, one-step
targets, target networks copied every 200 episodes, epsilon annealed from 1 to 0.05 over 50,000 steps, gamma
0.99, gradient norm clipped at 10, mixing embedding 32, hypernetwork 64.  ``--config pymarl2`` is
hu-llm/pymarl2's tuned ``qmix.yaml`` on top of it: Adam lr 1e-3, TD(lambda) targets with lambda 0.6, epsilon
annealed over 100,000 steps, batches of 128 episodes, loss 0.5 td^2.  Any single value can be overridden.
``--num-envs`` battles are played together (in one call of tactica's batched simulator) and the learner makes
one update per 8 finished episodes, as pymarl's parallel runner with ``batch_size_run=8`` does
(``--episodes-per-update 1`` is its episode runner: eight times the updates per environment step).

Episode ends follow pymarl with SMAC's defaults: a battle that reaches the episode limit is terminal for the
targets (SMAC sets ``info["episode_limit"]``, which pymarl's runner uses to bootstrap, only with
``continuing_episode=True``; its default, and pymarl's ``sc2.yaml``, is False).

Every ``--test-interval`` environment steps the greedy policy plays ``--test-episodes`` battles; the run
directory holds ``config.json``, ``metrics.csv`` (one row per test: test win rate, return, timeouts, length;
the epsilon-greedy win rate since the last test; loss, mean Q_tot, mean target and gradient norm of the last
update), ``model.pt`` (weights only; load with ``torch.load(..., weights_only=True)``), ``curve.png`` and, with
``--checkpoints true``, the weights at every test.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tactica.envs.smac.vector import SMACVectorEnv


@dataclass
class Args:
    config: str = "pymarl"
    """the hyper-parameter set the other values started from (``CONFIGS``)"""
    map_name: str = "3m"
    """SMAC map"""
    seed: int = 0
    """seed of the networks, exploration and battles"""
    total_steps: int = 1_000_000
    """environment steps (agent-steps of one battle) to train for"""
    num_envs: int = 8
    """battles collected together"""
    episodes_per_update: int = 8
    """finished episodes between two learner updates (8: pymarl's parallel runner; 1: its episode runner)"""
    buffer_episodes: int = 5000
    batch_episodes: int = 32
    lr: float = 5e-4
    gamma: float = 0.99
    epsilon_start: float = 1.0
    epsilon_finish: float = 0.05
    epsilon_anneal_steps: int = 50_000
    target_update_episodes: int = 200
    grad_clip: float = 10.0
    optimizer: str = "rmsprop"
    """rmsprop (pymarl: alpha 0.99, eps 1e-5) or adam (pymarl2)"""
    td_lambda: float = 0.0
    """0: pymarl's one-step target; 0.6: pymarl2's TD(lambda) target"""
    half_squared_error: bool = False
    """loss 0.5 * td^2 (pymarl2) instead of td^2 (pymarl); it matters only through the gradient clipping"""
    rnn_hidden: int = 64
    mixing_embed: int = 32
    hypernet_embed: int = 64
    test_interval: int = 10_000
    """environment steps between greedy evaluations"""
    test_episodes: int = 32
    run_dir: str = "runs"
    """parent folder of the run directory"""
    threads: int = 1
    """torch CPU threads"""
    checkpoints: bool = False
    """also save the weights at every test, as checkpoints/model_<steps>.pt"""

    def problems(self) -> list[str]:
        """What is wrong with these arguments, in words (empty when they can run)."""
        from tactica.envs.smac.maps import MAP_NAMES

        found = []
        if self.map_name not in MAP_NAMES:
            found.append(f"unknown map {self.map_name!r}; known maps: {', '.join(sorted(MAP_NAMES))}")
        if self.optimizer not in ("rmsprop", "adam"):
            found.append(f"optimizer must be rmsprop or adam, got {self.optimizer!r}")
        if not 0.0 <= self.td_lambda <= 1.0:
            found.append(f"td_lambda must lie in [0, 1], got {self.td_lambda}")
        counts = ("total_steps", "num_envs", "episodes_per_update", "buffer_episodes", "batch_episodes")
        counts += ("test_interval", "test_episodes", "target_update_episodes", "epsilon_anneal_steps")
        counts += ("rnn_hidden", "mixing_embed", "hypernet_embed", "threads")
        found += [
            f"{name} must be at least 1, got {getattr(self, name)}"
            for name in counts
            if getattr(self, name) < 1
        ]
        if self.batch_episodes > self.buffer_episodes:
            found.append("batch_episodes must not exceed buffer_episodes")
        if not (self.lr > 0 and 0 < self.gamma <= 1 and 0 <= self.epsilon_finish <= self.epsilon_start <= 1):
            found.append("need lr > 0, 0 < gamma <= 1 and 0 <= epsilon_finish <= epsilon_start <= 1")
        return found


# ------------------------------------------------------------------------------------------ networks
class AgentNet(nn.Module):
    """pymarl's RNNAgent: fc -> GRU -> fc, shared by all agents (a whole-sequence GRU for training)."""

    def __init__(self, input_dim: int, n_actions: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.fc1 = nn.Linear(input_dim, hidden)
        self.rnn = nn.GRU(hidden, hidden)
        self.fc2 = nn.Linear(hidden, n_actions)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: x (M, input_dim), h (M, hidden)."""
        out, h = self.rnn(F.relu(self.fc1(x)).unsqueeze(0), h.unsqueeze(0))
        return self.fc2(out[0]), h[0]

    def sequence(self, x: torch.Tensor, lengths: torch.Tensor | None = None, groups: int = 4) -> torch.Tensor:
        """Whole sequences from a zero state: x (T, M, input_dim) -> Q (T, M, n_actions).

        With ``lengths`` (M,) the sequences are sorted by length and run in ``groups`` groups, each only as far
        as its longest sequence; the Q-values after a sequence's end are 0.  pymarl runs every sequence to the
        batch's longest, which changes nothing the loss sees but wastes the steps after each episode's end (8m: a
        limit of 120, episodes mostly 30-50 steps).  A packed sequence was slower than either on CPU."""
        hidden = F.relu(self.fc1(x))
        if lengths is None:
            return self.fc2(self.rnn(hidden)[0])
        out = hidden.new_zeros(x.shape[0], x.shape[1], self.hidden)
        order = torch.argsort(lengths)
        for part in torch.tensor_split(order, groups):
            if len(part):
                steps = int(lengths[part].max())
                out[:steps, part] = self.rnn(hidden[:steps, part])[0]
        return self.fc2(out)


class QMixer(nn.Module):
    """Monotonic mixing of agent Q-values with weights from hypernetworks of the state (absolute values)."""

    def __init__(self, n_agents: int, state_dim: int, embed: int, hyper: int):
        super().__init__()
        self.n_agents, self.embed = n_agents, embed
        self.hyper_w1 = nn.Sequential(
            nn.Linear(state_dim, hyper), nn.ReLU(), nn.Linear(hyper, embed * n_agents)
        )
        self.hyper_w2 = nn.Sequential(nn.Linear(state_dim, hyper), nn.ReLU(), nn.Linear(hyper, embed))
        self.hyper_b1 = nn.Linear(state_dim, embed)
        self.hyper_b2 = nn.Sequential(nn.Linear(state_dim, embed), nn.ReLU(), nn.Linear(embed, 1))

    def forward(self, qs: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
        # qs (B, T, A), states (B, T, S) -> Q_tot (B, T)
        B, T, A = qs.shape
        s = states.reshape(B * T, -1)
        w1 = self.hyper_w1(s).abs().view(B * T, A, self.embed)
        b1 = self.hyper_b1(s).view(B * T, 1, self.embed)
        hidden = F.elu(torch.bmm(qs.reshape(B * T, 1, A), w1) + b1)
        w2 = self.hyper_w2(s).abs().view(B * T, self.embed, 1)
        b2 = self.hyper_b2(s).view(B * T, 1, 1)
        return (torch.bmm(hidden, w2) + b2).view(B, T)


# ---------------------------------------------------------------------------------------- replay buffer
class EpisodeBuffer:
    """Whole episodes padded to the episode limit, sampled uniformly (pymarl's ReplayBuffer)."""

    def __init__(
        self, capacity: int, limit: int, n_agents: int, obs_dim: int, state_dim: int, n_actions: int
    ):
        T = limit + 1
        self.capacity, self.size, self.next = capacity, 0, 0
        self.obs = np.zeros((capacity, T, n_agents, obs_dim), np.float32)
        self.state = np.zeros((capacity, T, state_dim), np.float32)
        self.avail = np.zeros((capacity, T, n_agents, n_actions), np.float32)
        self.actions = np.zeros((capacity, limit, n_agents), np.int64)
        self.reward = np.zeros((capacity, limit), np.float32)
        self.terminated = np.zeros((capacity, limit), np.float32)
        self.filled = np.zeros((capacity, limit), np.float32)
        self.length = np.zeros(capacity, np.int64)

    def add(self, episode: dict) -> None:
        k, n = self.next, episode["length"]
        for name in ("obs", "state", "avail"):
            getattr(self, name)[k] = 0.0
            getattr(self, name)[k, : n + 1] = episode[name]
        for name in ("actions", "reward", "terminated"):
            getattr(self, name)[k] = 0
            getattr(self, name)[k, :n] = episode[name]
        self.filled[k] = 0.0
        self.filled[k, :n] = 1.0
        self.length[k] = n
        self.next = (k + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        idx = rng.choice(self.size, size=batch, replace=False)
        T = int(self.length[idx].max())  # trim the padding the whole batch shares
        return {
            "obs": torch.from_numpy(self.obs[idx, : T + 1]),
            "state": torch.from_numpy(self.state[idx, : T + 1]),
            "avail": torch.from_numpy(self.avail[idx, : T + 1]),
            "actions": torch.from_numpy(self.actions[idx, :T]),
            "reward": torch.from_numpy(self.reward[idx, :T]),
            "terminated": torch.from_numpy(self.terminated[idx, :T]),
            "filled": torch.from_numpy(self.filled[idx, :T]),
        }


# ------------------------------------------------------------------------------------------ learner
def agent_inputs(obs: torch.Tensor, last_actions: torch.Tensor, n_actions: int) -> torch.Tensor:
    """[observation | one-hot last action | one-hot agent id] for every agent: (..., A, input_dim).

    ``last_actions`` is -1 at an episode's first step, which has no last action: its part is all zeros there,
    as in pymarl (action 0 is the no-op of dead agents, a different input)."""
    A = obs.shape[-2]
    ids = torch.eye(A).expand(*obs.shape[:-2], A, A)
    last = F.one_hot(last_actions.clamp(min=0), n_actions).float() * (last_actions >= 0).unsqueeze(-1)
    return torch.cat([obs, last, ids], dim=-1)


def unroll(
    net: AgentNet,
    obs: torch.Tensor,
    actions: torch.Tensor,
    n_actions: int,
    lengths: torch.Tensor | None = None,
) -> torch.Tensor:
    """Q-values of every agent at every step of a batch of episodes: obs (B, T+1, A, O) -> (B, T+1, A, n).

    ``lengths`` (B,): the steps of each episode (its observations are one more); Q after them is 0."""
    B, T1, A, _ = obs.shape
    last = torch.full((B, T1, A), -1, dtype=torch.long)
    last[:, 1:] = actions[:, : T1 - 1]
    inputs = agent_inputs(obs, last, n_actions)  # (B, T+1, A, input)
    steps = None if lengths is None else (lengths + 1).repeat_interleave(A)
    q = net.sequence(inputs.permute(1, 0, 2, 3).reshape(T1, B * A, -1), steps)
    return q.view(T1, B, A, -1).permute(1, 0, 2, 3)


def lambda_targets(
    reward: torch.Tensor, terminated: torch.Tensor, q_next: torch.Tensor, gamma: float, lam: float
) -> torch.Tensor:
    """TD(lambda) targets of every step: reward, terminated (B, T); q_next (B, T) is Q_tot at step t+1.

    G_t = r_t + gamma (1 - d_t) ((1 - lam) Q_{t+1} + lam G_{t+1}), starting from G_T = Q_T; ``lam = 0`` is the
    one-step target of pymarl's QLearner.  Padded steps after an episode's end never reach a filled step,
    because the episode's last filled step is terminal (d = 1).
    """
    if lam == 0.0:
        return reward + gamma * (1 - terminated) * q_next
    targets = torch.empty_like(reward)
    following = q_next[:, -1]  # G_{t+1} of the last step: the bootstrap value itself
    for t in range(reward.shape[1] - 1, -1, -1):
        following = reward[:, t] + gamma * (1 - terminated[:, t]) * (
            (1 - lam) * q_next[:, t] + lam * following
        )
        targets[:, t] = following
    return targets


def td_loss(batch, agent, mixer, target_agent, target_mixer, args: Args, n_actions: int):
    """Double-Q QMIX loss over the filled steps of a batch of episodes, with learner statistics.

    Only the filled steps are computed (the agents' GRU over each episode's own length, the mixers over the
    filled rows); pymarl computes the padding as well and masks it out, which gives the same loss."""
    filled = batch["filled"] > 0  # (B, T); every episode's last filled step is terminal
    lengths = filled.sum(dim=1)
    q = unroll(agent, batch["obs"], batch["actions"], n_actions, lengths)
    chosen = q[:, :-1].gather(3, batch["actions"].unsqueeze(3)).squeeze(3)
    with torch.no_grad():
        q_target = unroll(target_agent, batch["obs"], batch["actions"], n_actions, lengths)[:, 1:]
        masked = q.detach()[:, 1:].masked_fill(batch["avail"][:, 1:] == 0, -1e9)
        best = masked.argmax(dim=3, keepdim=True)  # greedy action of the online network (double Q)
        next_q = q_target.gather(3, best).squeeze(3)
        target_tot = torch.zeros_like(batch["reward"])
        target_tot[filled] = target_mixer(next_q[filled][None], batch["state"][:, 1:][filled][None])[0]
        y = lambda_targets(batch["reward"], batch["terminated"], target_tot, args.gamma, args.td_lambda)[
            filled
        ]
    q_tot = mixer(chosen[filled][None], batch["state"][:, :-1][filled][None])[0]
    loss = ((q_tot - y) ** 2).mean()
    if args.half_squared_error:
        loss = 0.5 * loss
    stats = {
        "q_taken": float(q_tot.detach().mean()),
        "target": float(y.mean()),
        "td_abs": float((q_tot.detach() - y).abs().mean()),
    }
    return loss, stats


def select_actions(agent, obs, last, h, avail, epsilon, rng, n_actions):
    """Epsilon-greedy over the available actions for a batch of battles: obs (B, A, O) -> actions (B, A)."""
    B, A, _ = obs.shape
    with torch.no_grad():
        inputs = agent_inputs(torch.from_numpy(obs), torch.from_numpy(last), n_actions)
        q, h = agent(inputs.reshape(B * A, -1), h)
    q = q.view(B, A, -1).numpy()
    q = np.where(avail > 0, q, -np.inf)
    greedy = q.argmax(axis=2)
    if epsilon <= 0:
        return greedy, h
    random_pick = (rng.random(avail.shape) * avail).argmax(axis=2)
    explore = rng.random((B, A)) < epsilon
    return np.where(explore, random_pick, greedy), h


def evaluate(agent, map_name: str, episodes: int, seed: int, n_actions: int) -> dict[str, float]:
    """The greedy policy over ``episodes`` battles played together: win rate, mean return, the share of
    battles that ran into the episode limit and the mean battle length in steps."""
    env = SMACVectorEnv(map_name, num_envs=episodes)
    obs, state, avail = env.reset(seed=seed)
    A = env.n_agents
    h = torch.zeros(episodes * A, agent.hidden)
    last = np.full((episodes, A), -1, np.int64)
    done = np.zeros(episodes, bool)
    won = np.zeros(episodes, bool)
    timeout = np.zeros(episodes, bool)
    length = np.zeros(episodes)
    ret = np.zeros(episodes)
    rng = np.random.default_rng(seed)
    while not done.all():
        actions, h = select_actions(agent, obs, last, h, avail, 0.0, rng, n_actions)
        obs, state, avail, reward, terminated, info = env.step(actions)
        ret += reward * ~done
        ending = terminated & ~done
        won |= info["battle_won"] & ending
        timeout |= info["timeout"] & ending
        length += ~done
        done |= terminated
        last = actions
    return {
        "win_rate": float(won.mean()),
        "return": float(ret.mean()),
        "timeout_rate": float(timeout.mean()),
        "length": float(length.mean()),
    }


# ------------------------------------------------------------------------------------------ training
def epsilon_at(args: Args, steps: int) -> float:
    """pymarl's linear schedule: from epsilon_start down to epsilon_finish over epsilon_anneal_steps."""
    fraction = min(1.0, steps / args.epsilon_anneal_steps)
    return args.epsilon_start + (args.epsilon_finish - args.epsilon_start) * fraction


def train(args: Args) -> Path:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    env = SMACVectorEnv(args.map_name, num_envs=args.num_envs)
    obs, state, avail = env.reset(seed=args.seed)
    B, A, n_actions = args.num_envs, env.n_agents, env.n_actions
    limit = env.core.episode_limit
    input_dim = env.obs_size + n_actions + A
    agent = AgentNet(input_dim, n_actions, args.rnn_hidden)
    mixer = QMixer(A, env.state_size, args.mixing_embed, args.hypernet_embed)
    target_agent = AgentNet(input_dim, n_actions, args.rnn_hidden)
    target_mixer = QMixer(A, env.state_size, args.mixing_embed, args.hypernet_embed)
    target_agent.load_state_dict(agent.state_dict())
    target_mixer.load_state_dict(mixer.state_dict())
    params = list(agent.parameters()) + list(mixer.parameters())
    if args.optimizer == "adam":
        optimiser = torch.optim.Adam(params, lr=args.lr)
    else:
        optimiser = torch.optim.RMSprop(params, lr=args.lr, alpha=0.99, eps=1e-5)
    buffer = EpisodeBuffer(args.buffer_episodes, limit, A, env.obs_size, env.state_size, n_actions)

    run = Path(args.run_dir) / f"qmix_{args.map_name}_seed{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}"
    run.mkdir(parents=True, exist_ok=True)
    checkpoints = run / "checkpoints"
    if args.checkpoints:
        checkpoints.mkdir()
    (run / "config.json").write_text(json.dumps(dataclasses.asdict(args), indent=2) + "\n")
    metrics_file = (run / "metrics.csv").open("w", newline="")
    writer = csv.writer(metrics_file)
    writer.writerow(
        [
            "env_steps",
            "episodes",
            "test_win_rate",
            "test_return",
            "test_timeout_rate",
            "test_length",
            "train_win_rate",
            "loss",
            "q_taken",
            "target",
            "grad_norm",
            "epsilon",
            "wall_s",
            "cpu_s",
        ]
    )

    # per-battle episode under construction
    def fresh():
        return {"obs": [], "state": [], "avail": [], "actions": [], "reward": [], "terminated": []}

    current = [fresh() for _ in range(B)]
    h = torch.zeros(B * A, args.rnn_hidden)
    last = np.full((B, A), -1, np.int64)
    steps = episodes = updates = 0
    next_test, wins_since, ends_since = 0, 0, 0
    learner = {
        "loss": float("nan"),
        "q_taken": float("nan"),
        "target": float("nan"),
        "grad_norm": float("nan"),
    }
    wall0, cpu0 = time.perf_counter(), time.process_time()
    tty = sys.stdout.isatty()
    while True:
        if steps >= next_test or steps >= args.total_steps:
            test = evaluate(agent, args.map_name, args.test_episodes, args.seed + 10_000 + steps, n_actions)
            win, ret = test["win_rate"], test["return"]
            if args.checkpoints:
                weights = {"agent": agent.state_dict(), "mixer": mixer.state_dict()}
                torch.save(weights, checkpoints / f"model_{steps}.pt")
            epsilon = epsilon_at(args, steps)
            row = [
                steps,
                episodes,
                win,
                ret,
                test["timeout_rate"],
                test["length"],
                wins_since / max(ends_since, 1),
                learner["loss"],
                learner["q_taken"],
                learner["target"],
                learner["grad_norm"],
                epsilon,
                time.perf_counter() - wall0,
                time.process_time() - cpu0,
            ]
            writer.writerow(row)
            metrics_file.flush()
            wins_since = ends_since = 0
            line = f"steps {steps:>9,} episodes {episodes:>6,} test win {win:5.1%} return {ret:6.2f} eps {epsilon:.2f}"
            print(("\r" if tty else "") + line, end="" if tty else "\n", flush=True)
            next_test += args.test_interval
            if steps >= args.total_steps:
                break
        actions, h = select_actions(agent, obs, last, h, avail, epsilon_at(args, steps), rng, n_actions)
        for b in range(B):
            current[b]["obs"].append(obs[b].copy())
            current[b]["state"].append(state[b].copy())
            current[b]["avail"].append(avail[b].copy())
            current[b]["actions"].append(actions[b].copy())
        obs, state, avail, reward, terminated, info = env.step(actions)
        steps += B
        last = actions.copy()
        for b in range(B):
            current[b]["reward"].append(reward[b])
            current[b]["terminated"].append(float(terminated[b]))
        for b in np.flatnonzero(terminated):
            # the next battle has started in slot b: the final observation is not needed (terminal step)
            ep = current[b]
            n = len(ep["actions"])
            ep["obs"].append(np.zeros_like(ep["obs"][0]))
            ep["state"].append(np.zeros_like(ep["state"][0]))
            ep["avail"].append(np.ones_like(ep["avail"][0]))
            buffer.add({k: np.array(v) for k, v in ep.items()} | {"length": n})
            current[b] = fresh()
            last[b] = -1
            h.view(B, A, -1)[b] = 0.0
            episodes += 1
            ends_since += 1
            wins_since += int(info["battle_won"][b])
            if buffer.size >= args.batch_episodes and episodes % args.episodes_per_update == 0:
                batch = buffer.sample(args.batch_episodes, rng)
                loss, stats = td_loss(batch, agent, mixer, target_agent, target_mixer, args, n_actions)
                optimiser.zero_grad()
                loss.backward()
                grad_norm = nn.utils.clip_grad_norm_(params, args.grad_clip)
                optimiser.step()
                learner = stats | {"loss": float(loss.detach()), "grad_norm": float(grad_norm)}
                updates += 1
            if episodes % args.target_update_episodes == 0:
                target_agent.load_state_dict(agent.state_dict())
                target_mixer.load_state_dict(mixer.state_dict())
    if tty:
        print()
    metrics_file.close()
    torch.save({"agent": agent.state_dict(), "mixer": mixer.state_dict()}, run / "model.pt")
    plot_runs(run / "curve.png", [run])
    print(f"run directory: {run}")
    return run


def read_metrics(run: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """A run directory's ``config.json`` and its ``metrics.csv`` as columns (also of a run stopped early)."""
    config = json.loads((run / "config.json").read_text())
    with (run / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    columns = {name: np.array([float(r[name]) for r in rows]) for name in (rows[0] if rows else {})}
    return config, columns


def plot_runs(
    out: Path,
    runs: list[Path],
    title: str | None = None,
    note: str | None = None,
    published: float | None = None,
) -> None:
    """The greedy test win rate of one or more runs (one line per seed, their median where all have data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.8))
    curves = [read_metrics(run) for run in runs]
    for config, columns in curves:
        if "env_steps" not in columns:
            continue
        label = f"seed {config['seed']}" if len(runs) > 1 else "test win rate (greedy)"
        axis.plot(
            columns["env_steps"] / 1e6,
            columns["test_win_rate"] * 100,
            lw=1.2 if len(runs) > 1 else 1.6,
            alpha=0.75 if len(runs) > 1 else 1.0,
            label=label,
        )
    if len(curves) > 1:
        n = min(len(c[1].get("env_steps", ())) for c in curves)
        if n:
            steps = curves[0][1]["env_steps"][:n]
            median = np.median([c[1]["test_win_rate"][:n] for c in curves], axis=0)
            axis.plot(
                steps / 1e6, median * 100, color="black", lw=2.2, label=f"median of {len(curves)} seeds"
            )
    axis.axhline(90, color="grey", ls="--", lw=0.8, label="goal: 90%")
    if published is not None:
        axis.axhline(
            published, color="tab:red", ls=":", lw=1.6, label=f"published, real SMAC: {published:g}%"
        )
    if note:
        figure.text(0.01, 0.01, note, fontsize=7.5, va="bottom")
    config = curves[0][0]
    axis.set_xlabel("environment steps (millions)")
    axis.set_ylabel("test win rate (%)")
    axis.set_ylim(-2, 102)
    axis.set_title(
        title or f"QMIX ({config.get('config', 'pymarl')} settings) on {config['map_name']}, tactica SMAC"
    )
    axis.grid(alpha=0.3)
    axis.legend(loc="best", fontsize=8, framealpha=0.9)
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    figure.savefig(out, dpi=120)
    plt.close(figure)


# pymarl2's QMIX (hu-llm/pymarl2 ``qmix.yaml``: Adam lr 1e-3, TD(lambda) 0.6, epsilon over 100,000 steps, batches
# of 128 episodes, 0.5 td^2) on top of the defaults above, which are oxwhirl/pymarl's ``qmix.yaml``
CONFIGS: dict[str, dict] = {
    "pymarl": {},
    "pymarl2": {
        "optimizer": "adam",
        "lr": 1e-3,
        "td_lambda": 0.6,
        "epsilon_anneal_steps": 100_000,
        "batch_episodes": 128,
        "half_squared_error": True,
    },
}


def _flag_type(default):
    if isinstance(default, bool):
        return lambda text: {"true": True, "1": True, "false": False, "0": False}[text.lower()]
    return type(default)


def parse_args(argv: list[str] | None = None) -> Args:
    import argparse

    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--config", choices=sorted(CONFIGS), default="pymarl")
    chosen = first.parse_known_args(argv)[0].config
    defaults = dataclasses.asdict(Args()) | CONFIGS[chosen] | {"config": chosen}
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:8]),
    )
    parser.add_argument(
        "--config",
        choices=sorted(CONFIGS),
        default=chosen,
        help="hyper-parameter set the other defaults come from: pymarl (oxwhirl/pymarl) or pymarl2 (default pymarl)",
    )
    for field in dataclasses.fields(Args):
        if field.name != "config":
            value = defaults[field.name]
            parser.add_argument(
                "--" + field.name.replace("_", "-"),
                type=_flag_type(field.default),
                default=value,
                help=f"(default {value})",
            )
    args = Args(**vars(parser.parse_args(argv)))
    problems = args.problems()
    if problems:
        parser.error("; ".join(problems))
    return args


def replot(run: Path) -> None:
    """Draw ``curve.png`` from a run directory's ``metrics.csv`` (also for a run stopped before its end)."""
    plot_runs(run / "curve.png", [run])


# What real SMAC gives QMIX on these maps, for the docs figures (published as numbers, not as curve data)
PUBLISHED: dict[str, tuple[float | None, str]] = {
    "8m": (100.0, "published, real SMAC: fine-tuned QMIX 100% (hu-llm/pymarl2 README, SC2 4.10)"),
    "3m": (
        None,
        "published, real SMAC: no tabulated value (3m is not among the SMAC paper's 14 benchmark maps)",
    ),
}


def figure(out: Path, runs: list[Path]) -> None:
    """One figure of several runs (seeds) of one map, with the published real-SMAC result as a note."""
    missing = [str(run) for run in runs if not (run / "metrics.csv").is_file()]
    if missing:
        raise SystemExit(f"error: no metrics.csv in {', '.join(missing)}")
    config = read_metrics(runs[0])[0]
    value, note = PUBLISHED.get(config["map_name"], (None, None))
    plot_runs(out, runs, note=note, published=value)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if len(sys.argv) == 3 and sys.argv[1] == "--replot":
        replot(Path(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "--figure":
        figure(Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]])
    else:
        train(parse_args())
