"""PLM (Peripheral Language Model): configuration, PyTorch model, Hugging Face checkpoints, tokenizer and
WSDC training.

>>> from tactica.llm.plm import PLMConfig, PLMForCausalLM
>>> config = PLMConfig(vocab_size=99, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
...                    num_attention_heads=4, num_key_value_heads=4, kv_lora_rank=16, qk_rope_head_dim=8,
...                    qk_nope_head_dim=16, v_head_dim=16)
>>> PLMForCausalLM(config).num_parameters() == config.num_parameters()
True
"""

from tactica._lazy import lazy_exports

# Loaded on first use: the `tactica` command builds its parser from this package without torch.
_EXPORTS = {
    "PLMConfig": "tactica.llm.plm.config",
    "PLMForCausalLM": "tactica.llm.plm.model",
    "PLMTokenizer": "tactica.llm.plm.tokenizer",
    "load_model": "tactica.llm.plm.checkpoint",
    "save_model": "tactica.llm.plm.checkpoint",
    "train_bpe": "tactica.llm.plm.tokenizer",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
