"""The registered LLM-prior agents: ``dqn-prior``, ``cql-prior``, ``ppo-prior`` and the baselines ``dqn``, ``cql``.

Each plays any environment with a text observation and named actions (``FrozenLakeText-v0``, ``TextSC2-v1``,
or another through ``action_names=``) from a checkpoint written by ``tactica train prior``:

- ``dqn-prior`` / ``cql-prior``: the mode of the posterior q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha) over the prior's
  k proposals (``greedy=False`` samples it instead).  Without a checkpoint Q ≡ 0 unless the package ships one
  for the environment, and the posterior is the prior itself (its most proposed action);
- ``ppo-prior``: the mode of the policy f(s) + log p(a|s) (without a checkpoint: the prior's mode);
- ``dqn`` / ``cql``: greedy Q over the legal actions; they need ``checkpoint=``.

The prior's calls can be recorded (``transcript=`` or an ``llm`` spec ``record:FILE=SPEC``) and replayed
(``llm="replay:FILE"``, answered by key in any order), so a leaderboard run is reproducible without the model.
Priors built from the same spec string in one process share one proposal cache: the model is never asked twice
about the same (observation text, legal actions, sampling parameters).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.llm_prior.common import ActorCritic, PosteriorPolicy, load_checkpoint
from tactica.agents.llm_prior.ppo_prior import PolicyActor
from tactica.agents.llm_prior.prior import ActionPrior, PriorSampling, ProposalCache
from tactica.agents.llm_prior.views import TextView, view_for_names, view_for_spaces

__all__ = [
    "ALGORITHMS",
    "LLMPriorAgent",
    "make_cql",
    "make_cql_prior",
    "make_dqn",
    "make_dqn_prior",
    "make_ppo_prior",
    "shipped_checkpoint",
]

ALGORITHMS = ("dqn-prior", "cql-prior", "ppo-prior", "dqn", "cql")
_SHARED: dict[tuple, ProposalCache] = {}


def shipped_checkpoint(algorithm: str, view_kind: str) -> Path | None:
    """The checkpoint the package ships for ``algorithm`` on a view kind, if any (``data/ALGO-KIND.pt``)."""
    path = Path(str(resources.files("tactica.agents.llm_prior") / "data" / f"{algorithm}-{view_kind}.pt"))
    return path if path.is_file() else None


class LLMPriorAgent:
    """See the module docstring.

    Args:
        action_space, observation_space: the seat's spaces (``Discrete`` actions).
        algorithm: one of :data:`ALGORITHMS`.
        llm: the prior's ChatModel or spec (needed by the ``-prior`` algorithms).
        checkpoint: a ``q.pt`` / ``policy.pt`` of ``tactica train prior`` (default: the shipped one, if any).
        k, temperature, prior_seed: how proposals are sampled (call ``i`` uses seed ``prior_seed + i``).
        alpha: posterior temperature (default: the checkpoint's, else 0.1).
        greedy: act by the posterior's mode (default) or sample it.
        transcript: append every call of the prior to this JSONL file.
        action_names: the actions' names when the spaces do not tell them (read from ``info`` otherwise).
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        *,
        algorithm: str = "dqn-prior",
        llm: Any = None,
        checkpoint: str | Path | None = None,
        k: int = 5,
        temperature: float = 1.0,
        prior_seed: int = 0,
        alpha: float | None = None,
        greedy: bool = True,
        transcript: str | Path | None = None,
        action_names: list[str] | None = None,
    ):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
        if not isinstance(action_space, gym.spaces.Discrete):
            raise ValueError(f"{algorithm} plays Discrete action spaces, got {action_space}")
        self.algorithm = algorithm
        self.uses_prior = algorithm.endswith("-prior")
        if self.uses_prior and llm is None:
            raise ValueError(
                f"{algorithm} needs llm= (the prior: a ChatModel or a spec such as 'expert:frozenlake?p=0.5')"
            )
        if not self.uses_prior and checkpoint is None:
            raise ValueError(
                f"{algorithm} needs checkpoint= (a q.pt written by 'tactica train prior --agent {algorithm}')"
            )
        self.action_space, self.observation_space = action_space, observation_space
        self.llm, self.greedy, self.transcript = llm, bool(greedy), transcript
        self.sampling = PriorSampling(k, temperature, seed=prior_seed)
        self.network, self.meta = None, {}
        self.prior: ActionPrior | None = None
        view: TextView | None = None
        if checkpoint is not None:
            self.network, self.meta, view = load_checkpoint(checkpoint)
            if self.meta.get("agent") not in (None, algorithm):
                raise ValueError(
                    f"checkpoint {checkpoint} holds a {self.meta['agent']} agent, not {algorithm}"
                )
        else:
            try:
                view = view_for_spaces(observation_space, action_space, action_names)
            except ValueError:
                view = None  # named by info["action_names"] at the first step
        self.alpha = float(alpha if alpha is not None else self.meta.get("alpha", 0.1))
        self.checkpoint = checkpoint
        self._policy = None
        if view is not None:
            self._bind(view)
        self._rng = np.random.default_rng()

    def _bind(self, view: TextView) -> None:
        if view.num_actions != int(self.action_space.n):
            raise ValueError(
                f"the view names {view.num_actions} actions; the action space has {self.action_space.n}"
            )
        if self.network is None and self.checkpoint is None:
            shipped = shipped_checkpoint(self.algorithm, view.kind)
            if shipped is not None:
                self.network, self.meta, view = load_checkpoint(shipped)
                self.checkpoint = shipped
                self.alpha = float(self.meta.get("alpha", self.alpha))
        self.view = view
        prior = None
        if self.uses_prior:
            cache = None
            if isinstance(self.llm, str):
                cache = _SHARED.setdefault(
                    (self.llm, view.kind, view.action_names, self.sampling.key()), ProposalCache()
                )
            prior = ActionPrior(
                self.llm,
                view.instruction,
                view.action_names,
                self.sampling,
                record=self.transcript,
                cache=cache,
            )
        self.prior = prior
        if isinstance(self.network, ActorCritic) or self.algorithm == "ppo-prior":
            network = (
                self.network
                if isinstance(self.network, ActorCritic)
                else ActorCritic(view.feature_dim, view.num_actions)
            )
            self._policy = PolicyActor(
                view,
                network,
                prior,
                mode=self.meta.get("mode", "exact"),
                prior_floor=self.meta.get("prior_floor", 0.05),
            )
        else:
            mode = "legal" if prior is None else self.meta.get("mode", "proposals")
            self._policy = PosteriorPolicy(view, self.network, prior, alpha=self.alpha, mode=mode)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> int:
        if self._policy is None:
            names = (info or {}).get("action_names")
            if not names:
                raise ValueError(
                    f"{self.algorithm} needs named actions: give action_names= or an env with info['action_names']"
                )
            self._bind(view_for_names(names))
        return int(self._policy.act(observation, info, self._rng, greedy=self.greedy))

    @property
    def llm_calls(self) -> int:
        return 0 if self.prior is None else self.prior.calls


def make_dqn_prior(**kwargs: Any) -> LLMPriorAgent:
    return LLMPriorAgent(algorithm="dqn-prior", **kwargs)


def make_cql_prior(**kwargs: Any) -> LLMPriorAgent:
    return LLMPriorAgent(algorithm="cql-prior", **kwargs)


def make_ppo_prior(**kwargs: Any) -> LLMPriorAgent:
    return LLMPriorAgent(algorithm="ppo-prior", **kwargs)


def make_dqn(**kwargs: Any) -> LLMPriorAgent:
    return LLMPriorAgent(algorithm="dqn", **kwargs)


def make_cql(**kwargs: Any) -> LLMPriorAgent:
    return LLMPriorAgent(algorithm="cql", **kwargs)
