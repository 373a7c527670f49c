"""Stackelberg mean-field RL (SMFRL): a leader actor-critic and one shared follower actor-critic.

Following the DSMFG design (Miracle1207/DSMFG ``bi_ddpg`` + ``bi_mfrl``; notes in the project's reference on
SMFGs), with the one change the notes recommend: the leader's actor loss differentiates *through* the
followers' policy.

- Follower actor ``mu_f(s_i, o)`` (``s_i`` a household's private features, ``o`` the public mean-field vector,
  whose last entries are the announced policy) and critic ``Q_f(s_i, o, a_i, m_a)`` with ``m_a`` the
  population's mean action (the first-moment mean field).
- Leader actor ``mu_l(o)`` and critic ``Q_l(o, a_g, m(a_g))`` where ``m(a_g) = mean_i mu_f(s_i, o[policy :=
  a_g])`` is the followers' anticipated response to the leader's *candidate* action.  In the actor loss
  ``-Q_l(o, mu_l(o), m(mu_l(o)))`` gradients flow through ``mu_f`` into ``mu_l`` (the follower's weights are
  not changed by it): the leader optimises against the followers' best response, the Stackelberg step.
- DDPG updates with target networks (soft rate ``tau``) and Gaussian exploration noise; the replay keeps a
  random sub-sample of households per year (:class:`MeanFieldReplay`), so memory does not grow with N.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from tactica.agents.smfrl.networks import RunningNorm, mlp
from tactica.agents.smfrl.replay import MeanFieldReplay

__all__ = ["SMFRLConfig", "SMFRL"]


@dataclass
class SMFRLConfig:
    """Hyper-parameters (defaults after DSMFG, scaled down for CPU training)."""

    hidden: int = 128
    """width of the two hidden layers of every network"""
    leader_actor_lr: float = 3e-4
    leader_critic_lr: float = 1e-3
    follower_actor_lr: float = 1e-6
    """small: the follower starts from behaviour cloning and is fine-tuned (as DSMFG's 1e-6)"""
    follower_critic_lr: float = 1e-3
    gamma: float = 0.975
    tau: float = 0.05
    """soft target update rate"""
    batch_size: int = 64
    households_per_transition: int = 16
    """households kept per year in the replay"""
    replay_capacity: int = 30_000
    leader_noise: float = 0.2
    follower_noise: float = 0.02
    warmup_steps: int = 300
    """environment steps before the first update"""
    update_every: int = 1
    """environment steps per gradient update"""


class SMFRL:
    """The learner: networks, normalisers, replay and the update; acting for both roles."""

    def __init__(
        self,
        public_dim: int,
        policy_dim: int,
        private_dim: int,
        config: SMFRLConfig | None = None,
        initial_leader_action: np.ndarray | None = None,
    ):
        self.config = config or SMFRLConfig()
        c = self.config
        self.public_dim, self.policy_dim, self.private_dim = public_dim, policy_dim, private_dim
        self.public_norm = RunningNorm(public_dim, passthrough=policy_dim)
        self.private_norm = RunningNorm(private_dim)
        self.leader_actor = mlp(public_dim, policy_dim, c.hidden, tanh=True)
        self.leader_critic = mlp(public_dim + policy_dim + 2, 1, c.hidden)
        self.follower_actor = mlp(private_dim + public_dim, 2, c.hidden, tanh=True)
        self.follower_critic = mlp(private_dim + public_dim + 4, 1, c.hidden)
        if initial_leader_action is not None:
            self.warm_start_leader(initial_leader_action)
        self.targets = {
            name: copy.deepcopy(getattr(self, name))
            for name in ("leader_actor", "leader_critic", "follower_actor", "follower_critic")
        }
        self.optimizers = {
            "leader_actor": torch.optim.Adam(self.leader_actor.parameters(), lr=c.leader_actor_lr),
            "leader_critic": torch.optim.Adam(self.leader_critic.parameters(), lr=c.leader_critic_lr),
            "follower_actor": torch.optim.Adam(self.follower_actor.parameters(), lr=c.follower_actor_lr),
            "follower_critic": torch.optim.Adam(self.follower_critic.parameters(), lr=c.follower_critic_lr),
        }
        self.replay = MeanFieldReplay(
            c.replay_capacity, public_dim, policy_dim, private_dim, c.households_per_transition
        )
        self.updates = 0

    def warm_start_leader(self, action: np.ndarray) -> None:
        """Make the leader start at ``action`` (e.g. the status-quo policy): shrink the output layer's weights
        and set its bias to ``atanh(action)``, so exploration begins around a policy that keeps the economy alive."""
        last = self.leader_actor[-2]
        with torch.no_grad():
            last.weight.mul_(0.01)
            last.bias.copy_(torch.atanh(torch.as_tensor(np.clip(action, -0.95, 0.95), dtype=torch.float32)))

    # ---------------------------------------------------------------------------------------------- acting
    @torch.no_grad()
    def leader_act(self, public: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """The leader's action for one public vector; Gaussian noise when ``rng`` is given (exploration)."""
        action = self.leader_actor(self.public_norm(public[None]))[0].numpy()
        if rng is not None:
            action = action + self.config.leader_noise * rng.standard_normal(action.shape)
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    @torch.no_grad()
    def follower_act(self, private: np.ndarray, public: np.ndarray, rng: np.random.Generator | None = None):
        """Actions ``(N, 2)`` of all households; Gaussian noise when ``rng`` is given."""
        action = self._follower(
            self.follower_actor, self.private_norm(private), self.public_norm(public)
        ).numpy()
        if rng is not None:
            action = action + self.config.follower_noise * rng.standard_normal(action.shape)
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    @staticmethod
    def _follower(actor: nn.Module, private: torch.Tensor, public: torch.Tensor) -> torch.Tensor:
        """``actor`` on households ``(..., M, p)`` sharing the public vector ``(..., P)``."""
        expanded = public.unsqueeze(-2).expand(*private.shape[:-1], public.shape[-1])
        return actor(torch.cat([private, expanded], dim=-1))

    def _response(self, actor: nn.Module, private: torch.Tensor, public: torch.Tensor, action: torch.Tensor):
        """Mean follower action when the policy slots of ``public`` hold the leader's ``action``."""
        candidate = torch.cat([public[..., : -self.policy_dim], action], dim=-1)
        return self._follower(actor, private, candidate).mean(dim=-2)

    # --------------------------------------------------------------------------------------------- learning
    def observe(self, public: np.ndarray, private: np.ndarray) -> None:
        """Update the running normalisers with what the agents just saw."""
        self.public_norm.update(public)
        self.private_norm.update(private)

    def update(self, rng: np.random.Generator) -> dict[str, float]:
        """One gradient step of the four networks on a replay batch; returns the losses."""
        c = self.config
        b = self.replay.sample(rng, c.batch_size)
        pub, pub2 = self.public_norm(b["public"]), self.public_norm(b["next_public"])
        priv, priv2 = self.private_norm(b["private"]), self.private_norm(b["next_private"])
        a_g = torch.as_tensor(b["leader_action"])
        r_g = torch.as_tensor(b["leader_reward"])
        done = torch.as_tensor(b["done"])
        a_h = torch.as_tensor(b["follower_action"])
        r_h = torch.as_tensor(b["follower_reward"])
        m_a = torch.as_tensor(b["mean_action"])
        m = a_h.shape[1]
        # The next public vector already carries the leader's announced action: the followers' next response.
        with torch.no_grad():
            a_h2 = self._follower(self.targets["follower_actor"], priv2, pub2)
            m_a2 = a_h2.mean(dim=1)
            q2 = self.targets["follower_critic"](
                self._follower_critic_input(priv2, pub2, a_h2, m_a2)
            ).squeeze(-1)
            y_h = r_h + c.gamma * (1.0 - done)[:, None] * q2
        q = self.follower_critic(
            self._follower_critic_input(priv, pub, a_h, m_a.unsqueeze(1).expand(-1, m, -1))
        )
        follower_critic_loss = ((q.squeeze(-1) - y_h) ** 2).mean()
        self._step("follower_critic", follower_critic_loss)

        mu = self._follower(self.follower_actor, priv, pub)
        follower_actor_loss = -self.follower_critic(
            self._follower_critic_input(priv, pub, mu, mu.mean(1))
        ).mean()
        self._step("follower_actor", follower_actor_loss)

        with torch.no_grad():
            a_g2 = self.targets["leader_actor"](pub2)
            m2 = self._response(self.targets["follower_actor"], priv2, pub2, a_g2)
            y_g = r_g + c.gamma * (1.0 - done) * self.targets["leader_critic"](
                torch.cat([pub2, a_g2, m2], -1)
            ).squeeze(-1)
            m_hat = self._response(self.follower_actor, priv, pub, a_g)
        q_g = self.leader_critic(torch.cat([pub, a_g, m_hat], -1)).squeeze(-1)
        leader_critic_loss = ((q_g - y_g) ** 2).mean()
        self._step("leader_critic", leader_critic_loss)

        # Stackelberg step: the followers' response to the candidate action is differentiated through mu_f.
        candidate = self.leader_actor(pub)
        response = self._response(self.follower_actor, priv, pub, candidate)
        leader_actor_loss = -self.leader_critic(torch.cat([pub, candidate, response], -1)).mean()
        self._step("leader_actor", leader_actor_loss)
        self.follower_actor.zero_grad(set_to_none=True)  # the leader's loss must not move the followers

        with torch.no_grad():
            for name, target in self.targets.items():
                for p_t, p in zip(target.parameters(), getattr(self, name).parameters()):
                    p_t.mul_(1.0 - c.tau).add_(c.tau * p)
        self.updates += 1
        return {
            "leader_critic_loss": leader_critic_loss.item(),
            "leader_actor_loss": leader_actor_loss.item(),
            "follower_critic_loss": follower_critic_loss.item(),
            "follower_actor_loss": follower_actor_loss.item(),
        }

    @staticmethod
    def _follower_critic_input(priv, pub, action, mean_action) -> torch.Tensor:
        expanded = pub.unsqueeze(-2).expand(*priv.shape[:-1], pub.shape[-1])
        if mean_action.dim() == action.dim() - 1:
            mean_action = mean_action.unsqueeze(-2).expand_as(action)
        return torch.cat([priv, expanded, action, mean_action], dim=-1)

    def _step(self, name: str, loss: torch.Tensor) -> None:
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(getattr(self, name).parameters(), 10.0)
        optimizer.step()

    # ---------------------------------------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "dims": (self.public_dim, self.policy_dim, self.private_dim),
            "networks": {
                name: getattr(self, name).state_dict()
                for name in ("leader_actor", "leader_critic", "follower_actor", "follower_critic")
            },
            "targets": {name: net.state_dict() for name, net in self.targets.items()},
            "public_norm": self.public_norm.state_dict(),
            "private_norm": self.private_norm.state_dict(),
            "updates": self.updates,
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> SMFRL:
        learner = cls(*state["dims"], config=SMFRLConfig(**state["config"]))
        for name, weights in state["networks"].items():
            getattr(learner, name).load_state_dict(weights)
        for name, weights in state["targets"].items():
            learner.targets[name].load_state_dict(weights)
        learner.public_norm.load_state_dict(state["public_norm"])
        learner.private_norm.load_state_dict(state["private_norm"])
        learner.updates = int(state["updates"])
        return learner

    def clone(self) -> SMFRL:
        """A deep copy (networks, normalisers, optimisers' fresh state; the replay is shared)."""
        other = SMFRL.from_state_dict(copy.deepcopy(self.state_dict()))
        other.replay = self.replay
        return other
