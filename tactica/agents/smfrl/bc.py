"""Behaviour-cloning pre-training of the SMFRL follower from a small data file shipped with the package.

DSMFG clones households from the Survey of Consumer Finances ((wealth, education) -> (saving, labour)).  The
SCF microdata are not redistributable here, so the shipped file ``data/bc_households.npz`` is *synthetic*:
households of the calibrated economy answering random announced HSV policies with the rule-based response
(:class:`tactica.baselines.macro.RuleHouseholds`).  Regenerate it with
``python -m tactica.agents.smfrl.bc --out tactica/agents/smfrl/data/bc_households.npz``.

File layout: ``public`` ``(S, P)`` public vectors, ``private`` ``(R, 4)`` household features, ``step`` ``(R,)``
the row of ``public`` each household saw, ``action`` ``(R, 2)`` its action in ``[-1, 1]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from tactica.agents.smfrl.learner import SMFRL

__all__ = ["DATA_FILE", "make_dataset", "load_dataset", "pretrain_follower"]

DATA_FILE = Path(__file__).with_name("data") / "bc_households.npz"


def make_dataset(
    *,
    episodes: int = 8,
    years: int = 150,
    every: int = 3,
    households: int = 200,
    keep: int = 25,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Roll the calibrated economy with rule households under random policies.

    Every ``every`` years ``keep`` random households are recorded.  Each episode draws one policy level
    (uniform in action coordinates) and moves around it, so the data cover free-market-like and high-tax
    economies alike, over the long run of a 150-year horizon.
    """
    from tactica.baselines.macro.households import RuleHouseholds
    from tactica.envs.macro.env import MacroSMFGEnv

    rng = np.random.default_rng(seed)
    env = MacroSMFGEnv(num_households=households, horizon=years)
    rule = RuleHouseholds(env.action_space("households"), calibration=env.calibration)
    publics, privates, steps, actions = [], [], [], []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        centre = rng.uniform(-1.0, 1.0, env.policy_dim)
        while env.agents:
            action = rule.act(obs["households"])
            if env.economy.year[0] % every == 0:
                pick = rng.choice(households, size=keep, replace=False)
                steps.append(np.full(keep, len(publics)))
                publics.append(obs["households"]["public"])
                privates.append(obs["households"]["private"][pick])
                actions.append(action[pick])
            # Announced policies vary around the episode's level, so the clone learns to respond to policy.
            gov = np.clip(centre + rng.normal(0.0, 0.3, env.policy_dim), -1.0, 1.0).astype(np.float32)
            obs, *_ = env.step({"government": gov, "households": action})
    return {
        "public": np.asarray(publics, dtype=np.float32),
        "private": np.concatenate(privates).astype(np.float32),
        "step": np.concatenate(steps).astype(np.int32),
        "action": np.concatenate(actions).astype(np.float32),
    }


def load_dataset(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The shipped (or a given) behaviour-cloning data file."""
    path = Path(path) if path is not None else DATA_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"no behaviour-cloning data at {path}; make it with python -m tactica.agents.smfrl.bc"
        )
    with np.load(path) as data:
        return {key: data[key] for key in ("public", "private", "step", "action")}


def pretrain_follower(
    learner: SMFRL,
    data: dict[str, np.ndarray],
    *,
    steps: int = 400,
    batch: int = 256,
    seed: int = 0,
    lr: float = 1e-3,
) -> list[float]:
    """Fit the follower actor (and its target) to the data by mean squared error; returns the loss curve."""
    rng = np.random.default_rng(seed)
    public = data["public"][data["step"]]
    learner.observe(data["public"], data["private"])
    pub, priv = learner.public_norm(public), learner.private_norm(data["private"])
    target = torch.as_tensor(data["action"])
    optimizer = torch.optim.Adam(learner.follower_actor.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        idx = torch.as_tensor(rng.integers(0, target.shape[0], size=batch))
        pred = learner.follower_actor(torch.cat([priv[idx], pub[idx]], dim=-1))
        loss = ((pred - target[idx]) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    learner.targets["follower_actor"].load_state_dict(learner.follower_actor.state_dict())
    return losses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the synthetic behaviour-cloning data file for SMFRL.")
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = make_dataset(seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **data)
    print(
        f"wrote {args.out}: {data['private'].shape[0]} household-years, {data['public'].shape[0]} public vectors"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
