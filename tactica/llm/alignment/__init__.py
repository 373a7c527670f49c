"""Preference alignment of causal language models: DPO, IPO, hinge, TDPO1/TDPO2 and the ARIES loop.

>>> from tactica.llm.alignment import PreferenceConfig, train_preferences  # doctest: +SKIP
>>> result = train_preferences("runs/plm/checkpoint", "pairs.jsonl",
...                            PreferenceConfig(loss="tdpo2", beta=0.1, alpha=0.5, lr=1e-4),
...                            out_dir="runs/align-tdpo2")  # doctest: +SKIP
>>> result.summary["final_accuracy"]  # doctest: +SKIP

Models are tactica's PLM checkpoints or any local ``transformers`` causal-LM directory
(:func:`load_causal_lm`), or in-memory models (:func:`wrap_model`).  Pairs are TRL's JSONL layout
(:func:`load_pairs`).  :func:`run_aries` alternates preference training with self-refinement.
See ``docs/alignment.md``.
"""

from tactica.llm.alignment.data import PreferencePair, load_pairs, pairs_from_records, write_pairs
from tactica.llm.alignment.logprobs import naive_token_stats, token_stats
from tactica.llm.alignment.losses import LOSSES, preference_loss
from tactica.llm.alignment.models import CausalLM, load_causal_lm, wrap_model
from tactica.llm.alignment.trainer import (
    AlignmentResult,
    PreferenceConfig,
    PreferenceTrainer,
    train_preferences,
)

__all__ = [
    "LOSSES",
    "AlignmentResult",
    "CausalLM",
    "PreferenceConfig",
    "PreferencePair",
    "PreferenceTrainer",
    "load_causal_lm",
    "load_pairs",
    "naive_token_stats",
    "pairs_from_records",
    "preference_loss",
    "token_stats",
    "train_preferences",
    "wrap_model",
    "write_pairs",
]
