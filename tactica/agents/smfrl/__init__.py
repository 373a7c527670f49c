"""Stackelberg mean-field RL (SMFRL) for ``MacroSMFG-v1``: learner, agents, training, evaluation.

Importing this package imports torch.  Train with ``python -m tactica.agents.smfrl.train``; play a run with
``tactica.agents.make("smfrl", action_space=..., checkpoint="runs/.../seed0")``.
"""

from tactica.agents.smfrl.agent import SMFRLGovernment, SMFRLHouseholds, load_learner
from tactica.agents.smfrl.learner import SMFRL, SMFRLConfig

__all__ = ["SMFRL", "SMFRLConfig", "SMFRLGovernment", "SMFRLHouseholds", "load_learner"]
