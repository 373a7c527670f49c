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

from tactica._lazy import lazy_exports

# Loaded on first use: the `tactica` command builds its parser from this package without torch.
_EXPORTS = {
    "LOSSES": "tactica.llm.alignment.options",
    "AlignmentResult": "tactica.llm.alignment.trainer",
    "CausalLM": "tactica.llm.alignment.models",
    "PreferenceConfig": "tactica.llm.alignment.trainer",
    "PreferencePair": "tactica.llm.alignment.data",
    "PreferenceTrainer": "tactica.llm.alignment.trainer",
    "load_causal_lm": "tactica.llm.alignment.models",
    "load_pairs": "tactica.llm.alignment.data",
    "naive_token_stats": "tactica.llm.alignment.logprobs",
    "pairs_from_records": "tactica.llm.alignment.data",
    "preference_loss": "tactica.llm.alignment.losses",
    "token_stats": "tactica.llm.alignment.logprobs",
    "train_preferences": "tactica.llm.alignment.trainer",
    "wrap_model": "tactica.llm.alignment.models",
    "write_pairs": "tactica.llm.alignment.data",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
