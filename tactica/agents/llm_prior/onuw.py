"""The ONUW tactic choice through the LLM-prior agents: a language model proposes the discussion tactic.

One Night Ultimate Werewolf's RL-instructed discussion agent (Jin et al., 2024) chooses one of six tactics
before each speech.  :class:`PriorTactic` is a :class:`tactica.agents.discussion.agent.TacticPolicy` whose
choice is the posterior q(tactic|s) ∝ p_LLM(tactic|s) exp(Q(s, tactic)/alpha): the prior reads the player's
view as text (what an LLM player reads) with the six tactics as named actions, and Q is the shipped offline-CQL
tactic network of ``onuw-rl`` where the game matches its training setting (Q ≡ 0, the prior alone, otherwise).
The agent ``onuw-prior`` is the discussion agent with this tactic policy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.agents.llm_prior.posterior import greedy_action, log_weights, sample_action
from tactica.agents.llm_prior.prior import ActionPrior, PriorSampling
from tactica.agents.llm_prior.views import make_view
from tactica.envs.onuw.rules import PlayerView, Tactic

__all__ = ["TACTIC_NAMES", "PriorTactic", "make_onuw_prior_agent"]

TACTIC_NAMES: tuple[str, ...] = tuple(t.label.replace("_", " ") for t in Tactic)


class PriorTactic:
    """A tactic policy: the posterior over an LLM prior's proposals and a tactic Q-network (see the module).

    Args:
        llm: the prior's ChatModel or spec.
        q_policy: an object with ``q_values(state)`` over the six tactics (``RLTactic``), or ``None`` for Q ≡ 0.
        alpha: posterior temperature.
        greedy: the posterior's mode (default) or a draw from it.
        sampling: how the k proposals are sampled.
        transcript: append every call of the prior to this JSONL file.
    """

    name = "llm-prior"

    def __init__(
        self,
        llm: Any,
        q_policy: Any = None,
        *,
        alpha: float = 0.1,
        greedy: bool = True,
        sampling: PriorSampling | None = None,
        transcript: str | None = None,
    ):
        self.view = make_view("onuw", TACTIC_NAMES)
        self.prior = ActionPrior(llm, self.view.instruction, TACTIC_NAMES, sampling, record=transcript)
        self.q_policy, self.alpha, self.greedy = q_policy, float(alpha), bool(greedy)

    def q_values(self, view: PlayerView, belief: np.ndarray) -> np.ndarray:
        from tactica.agents.discussion.agent import agent_state

        if self.q_policy is None:
            return np.zeros(len(TACTIC_NAMES))
        state = agent_state(view, belief)
        if state.shape[0] != self.q_policy.state_dim:
            return np.zeros(len(TACTIC_NAMES))  # another number of players or deck than Q was trained for
        return np.asarray(self.q_policy.q_values(state), dtype=np.float64)

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        from tactica.envs.onuw.view import player_view_from

        legal = np.ones(len(TACTIC_NAMES), dtype=bool)
        log_prior = log_weights(self.prior.counts(player_view_from(view), legal))
        q = self.q_values(view, belief)
        index = (
            greedy_action(q, log_prior, self.alpha)
            if self.greedy
            else sample_action(q, log_prior, self.alpha, rng)
        )
        return Tactic(index)


def make_onuw_prior_agent(
    llm: Any = None,
    *,
    q_checkpoint: str | None = None,
    use_q: bool = True,
    alpha: float = 0.1,
    k: int = 5,
    temperature: float = 1.0,
    prior_seed: int = 0,
    transcript: str | None = None,
    **kwargs: Any,
):
    """``"onuw-prior"``: the discussion agent with :class:`PriorTactic` (Q: ``q_checkpoint`` or the shipped
    ``onuw-rl`` network; ``use_q=False`` for the prior alone).  The speech words stay templated."""
    from tactica.agents.discussion.agent import DiscussionAgent, RLTactic

    if llm is None:
        raise ValueError("onuw-prior needs llm= (the prior: a ChatModel or a spec)")
    q_policy = RLTactic.load(q_checkpoint) if use_q else None
    tactic = PriorTactic(
        llm,
        q_policy,
        alpha=alpha,
        sampling=PriorSampling(k, temperature, seed=prior_seed),
        transcript=transcript,
    )
    return DiscussionAgent(tactic, **kwargs)
