"""LLM-prior Bayesian RL: a language model as the prior action distribution of value- and policy-based agents.

*Efficient Reinforcement Learning with Large Language Model Priors* (Yan et al., ICLR 2025, arXiv 2410.07927)
treats a language model as the prior p(a|s) and the policy as the posterior q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha).

- :mod:`.prior`: k proposals per state from any :class:`tactica.llm.ChatModel`, mapped to legal actions,
  cached per (observation text, sampling parameters), counted as LLM calls;
- :mod:`.expert_prior`: a scripted prior of stated quality (the expert's action with probability p), as a
  ChatModel (spec ``expert:TASK?p=P``);
- :mod:`.posterior`: the posterior, its backups and the CQL-Prior loss;
- :mod:`.dqn_prior` (DQN-Prior and the DQN baseline), :mod:`.cql_prior` (CQL-Prior and the CQL baseline),
  :mod:`.ppo_prior` (KL-regularised policy gradient): one file per algorithm, a dataclass of arguments each;
- :mod:`.views`: how a text environment with named actions looks to the agents; :mod:`.data`: offline datasets;
- :mod:`.agent`: the registered agents ``dqn-prior``, ``cql-prior``, ``ppo-prior``, ``dqn``, ``cql`` and
  ``onuw-prior`` (the ONUW tactic choice).
"""
