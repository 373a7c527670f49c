"""PLM (Peripheral Language Model): configuration, PyTorch model, Hugging Face checkpoints, tokenizer and
WSDC training.

>>> from tactica.llm.plm import PLMConfig, PLMForCausalLM
>>> config = PLMConfig(vocab_size=99, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
...                    num_attention_heads=4, num_key_value_heads=4, kv_lora_rank=16, qk_rope_head_dim=8,
...                    qk_nope_head_dim=16, v_head_dim=16)
>>> PLMForCausalLM(config).num_parameters() == config.num_parameters()
True
"""

from tactica.llm.plm.checkpoint import load_model, save_model
from tactica.llm.plm.config import PLMConfig
from tactica.llm.plm.model import PLMForCausalLM
from tactica.llm.plm.tokenizer import PLMTokenizer, train_bpe

__all__ = ["PLMConfig", "PLMForCausalLM", "PLMTokenizer", "load_model", "save_model", "train_bpe"]
