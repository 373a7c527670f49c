"""SMFRL: the Stackelberg gradient, household sub-sampling, behaviour cloning, checkpoints and exploitability."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import tactica
import tactica.agents
from tactica.agents.smfrl.bc import load_dataset, pretrain_follower
from tactica.agents.smfrl.exploitability import exploitability
from tactica.agents.smfrl.learner import SMFRL, SMFRLConfig
from tactica.agents.smfrl.replay import MeanFieldReplay
from tactica.agents.smfrl.train import TrainConfig, learning_rewards, train
from tactica.envs.macro.env import MacroSMFGEnv


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Tiny networks: extra intra-op threads only contend for the CI's two cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SMALL = SMFRLConfig(hidden=16, batch_size=8, households_per_transition=4, replay_capacity=500, warmup_steps=5)


def _filled_learner(env, steps: int = 20, seed: int = 0) -> SMFRL:
    torch.manual_seed(seed)
    learner = SMFRL(env.observation_space("government").shape[0], env.policy_dim, 4, SMALL)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        pub, priv = obs["government"], obs["households"]["private"]
        learner.observe(pub[None], priv)
        a_g, a_h = learner.leader_act(pub, rng), learner.follower_act(priv, pub, rng)
        obs, rewards, terms, _, infos = env.step({"government": a_g, "households": a_h})
        r_g, r_h = learning_rewards(env, rewards, infos, terms["government"], SMALL.gamma)
        learner.replay.add(
            rng,
            public=pub,
            next_public=obs["government"],
            leader_action=a_g,
            leader_reward=r_g,
            done=terms["government"],
            private=priv,
            next_private=obs["households"]["private"],
            follower_action=a_h,
            follower_reward=r_h,
        )
        if not env.agents:
            obs, _ = env.reset()
    return learner


def test_leader_gradient_flows_through_the_follower_response():
    env = MacroSMFGEnv(num_households=12, horizon=30)
    learner = _filled_learner(env)
    batch = learner.replay.sample(np.random.default_rng(1), 4)
    pub, priv = learner.public_norm(batch["public"]), learner.private_norm(batch["private"])
    action = torch.zeros(4, env.policy_dim, requires_grad=True)
    response = learner._response(learner.follower_actor, priv, pub, action)
    response.sum().backward()
    assert action.grad is not None and action.grad.abs().sum() > 0  # the followers react to the candidate
    # A full update changes the leader actor but leaves no leader-loss gradient on the follower actor.
    before = [p.clone() for p in learner.leader_actor.parameters()]
    losses = learner.update(np.random.default_rng(2))
    assert set(losses) == {
        "leader_critic_loss",
        "leader_actor_loss",
        "follower_critic_loss",
        "follower_actor_loss",
    }
    assert any(not torch.equal(a, b) for a, b in zip(before, learner.leader_actor.parameters()))
    assert all(p.grad is None for p in learner.follower_actor.parameters())


def test_replay_memory_does_not_grow_with_households():
    rng = np.random.default_rng(0)
    small, large = (MeanFieldReplay(10, 39, 5, 4, households=8) for _ in range(2))
    for replay, n in ((small, 20), (large, 5000)):
        replay.add(
            rng,
            public=np.zeros(39),
            next_public=np.zeros(39),
            leader_action=np.zeros(5),
            leader_reward=0.0,
            done=False,
            private=np.arange(n * 4, dtype=np.float32).reshape(n, 4),
            next_private=np.zeros((n, 4)),
            follower_action=np.ones((n, 2)),
            follower_reward=np.zeros(n),
        )
    assert small.private.nbytes == large.private.nbytes
    assert large.private[0].shape == (8, 4) and np.all(
        large.private[0] % 4 == np.arange(4)
    )  # whole rows kept
    np.testing.assert_allclose(large.mean_action[0], [1.0, 1.0])


def test_behaviour_cloning_from_the_shipped_file_fits_the_data():
    data = load_dataset()
    assert data["private"].shape[1] == 4 and data["public"].shape[1] == 39
    assert data["step"].max() < data["public"].shape[0]
    torch.manual_seed(0)
    learner = SMFRL(39, 5, 4, SMALL)
    losses = pretrain_follower(learner, data, steps=150, batch=128)
    assert losses[-1] < 0.3 * losses[0]


def test_warm_start_puts_the_leader_at_the_status_quo():
    env = MacroSMFGEnv(num_households=10)
    obs, _ = env.reset(seed=0)
    learner = SMFRL(39, 5, 4, SMALL, initial_leader_action=env.policy_action)
    np.testing.assert_allclose(
        learner.leader_act(obs["government"]), env.policy_action, atol=0.06
    )  # clipped at 0.95


def test_learning_rewards_replace_the_remaining_years_penalty_by_its_discounted_value():
    env = MacroSMFGEnv(num_households=5, horizon=50)
    env.reset(seed=0)
    rewards = {"government": -1.0 + env.collapse_penalty * 40, "households": -1.0}
    infos = {"government": {"years": 10}, "households": {"utility": np.full(5, -1.0)}}
    leader, households = learning_rewards(env, rewards, infos, True, 0.9)
    floor = env.collapse_penalty * 0.9 / 0.1
    assert leader == pytest.approx((-1.0 + floor) * 0.1)
    np.testing.assert_allclose(households, (-1.0 + floor) * 0.1)


def test_training_run_directory_checkpoint_agents_and_exploitability(tmp_path):
    cfg = TrainConfig(
        seed=3, episodes=2, num_households=8, horizon=12, eval_horizon=12, bc_steps=20, eval_every=1
    )
    cfg.learner = SMALL
    cfg.exploitability_updates = 3
    summary = train(cfg, tmp_path, show_progress=False)
    for name in ("config.json", "metrics.jsonl", "checkpoint.pt", "last.pt", "summary.json", "training.png"):
        assert (tmp_path / name).exists(), name
    assert json.loads((tmp_path / "config.json").read_text())["seed"] == 3
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2
    assert np.isfinite(summary["exploitability"]["exploitability"])
    env = tactica.make_parallel("MacroSMFG-v1", num_households=30, horizon=5)
    gov = tactica.agents.make("smfrl", action_space=env.action_space("government"), checkpoint=tmp_path)
    households = tactica.agents.make(
        "smfrl-households", action_space=env.action_space("households"), checkpoint=tmp_path
    )
    obs, _ = env.reset(seed=0)
    action = households.act(obs["households"], {})
    assert env.action_space("households").contains(action) and action.shape == (30, 2)
    assert env.action_space("government").contains(gov.act(obs["government"], {}))
    with pytest.raises(ValueError, match="checkpoint"):
        tactica.agents.make("smfrl", action_space=env.action_space("government"))


def test_exploitability_needs_a_replay():
    env = MacroSMFGEnv(num_households=6, horizon=8)
    with pytest.raises(ValueError, match="replay"):
        exploitability(SMFRL(39, 5, 4, SMALL), env)
    learner = _filled_learner(env, steps=12)
    result = exploitability(learner, env, updates=2)
    assert result["exploitability"] == pytest.approx(result["follower_term"] + result["leader_term"])
