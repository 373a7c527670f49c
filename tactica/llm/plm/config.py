"""PLM configuration with the Hugging Face field names (``config.json`` of ``PLMForCausalLM``).

Field names and defaults follow transformers' ``PLMConfig``; the defaults are PLM-1.8B's architecture
(hidden 2048, 32 layers, 16 heads, kv_lora_rank 512, no query compression, rope 64 + nope 128, v 128,
squared-ReLU MLP of 8192, vocabulary 151936, tied embeddings).  Keys this class does not model (token ids,
``torch_dtype``, ``transformers_version``...) are kept in :attr:`PLMConfig.extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PRESETS", "PLMConfig", "CONFIG_NAME"]

CONFIG_NAME = "config.json"

_ACTIVATIONS = ("relu2",)


@dataclass
class PLMConfig:
    """Architecture of a PLM model (see the module docstring for the defaults).

    ``q_lora_rank=None`` is PLM's plain query projection (``q_proj``); an integer gives DeepSeek-style low-rank
    queries (``q_a_proj`` -> ``q_a_layernorm`` -> ``q_b_proj``).  ``rope_interleave=True`` rotates adjacent
    pairs of the rope dimensions, as PLM's checkpoints expect.
    """

    vocab_size: int = 151936
    hidden_size: int = 2048
    intermediate_size: int = 8192
    num_hidden_layers: int = 32
    num_attention_heads: int = 16
    num_key_value_heads: int = 16
    kv_lora_rank: int = 512
    q_lora_rank: int | None = None
    qk_rope_head_dim: int = 64
    v_head_dim: int = 128
    qk_nope_head_dim: int = 128
    hidden_act: str = "relu2"
    max_position_embeddings: int = 4096
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pretraining_tp: int = 1
    tie_word_embeddings: bool = True
    rope_theta: float = 100000.0
    rope_scaling: dict | None = None
    attention_bias: bool = False
    attention_dropout: float = 0.0
    rope_interleave: bool = True
    model_type: str = "plm"
    architectures: list[str] = field(default_factory=lambda: ["PLMForCausalLM"])
    extra: dict[str, Any] = field(default_factory=dict)
    # key order of the file this config came from, so a saved file lists keys as the original did
    _order: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        positive = (
            "vocab_size",
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "kv_lora_rank",
            "qk_rope_head_dim",
            "v_head_dim",
            "qk_nope_head_dim",
            "max_position_embeddings",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"PLMConfig.{name} must be a positive int, got {value!r}")
        if self.q_lora_rank is not None and (not isinstance(self.q_lora_rank, int) or self.q_lora_rank <= 0):
            raise ValueError(
                f"PLMConfig.q_lora_rank must be None or a positive int, got {self.q_lora_rank!r}"
            )
        if self.qk_rope_head_dim % 2:
            raise ValueError(f"PLMConfig.qk_rope_head_dim must be even, got {self.qk_rope_head_dim}")
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"PLMConfig.hidden_act {self.hidden_act!r} is not supported; accepted: {_ACTIVATIONS}"
            )
        if self.num_key_value_heads not in (None, self.num_attention_heads):
            # MLA decompresses one key/value per head; grouped heads have no meaning here
            raise ValueError("PLMConfig.num_key_value_heads must equal num_attention_heads for MLA")
        if self.rope_scaling not in (None, {}) and self.rope_scaling.get("rope_type", "default") != "default":
            raise ValueError(f"PLMConfig.rope_scaling {self.rope_scaling!r} is not supported; use None")
        if self.attention_bias:
            raise ValueError("PLMConfig.attention_bias=True is not supported (PLM has no biases)")

    # ------------------------------------------------------------------ derived sizes
    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def softmax_scale(self) -> float:
        return self.qk_head_dim**-0.5

    @property
    def compressed_cache_width(self) -> int:
        """Numbers cached per token per layer by the compressed (latent) cache."""
        return self.kv_lora_rank + self.qk_rope_head_dim

    @property
    def decompressed_cache_width(self) -> int:
        """Numbers cached per token per layer by a runtime that caches decompressed keys and values."""
        return self.num_attention_heads * (self.qk_head_dim + self.v_head_dim)

    def num_parameters(self) -> int:
        """Parameter count (tied embeddings counted once)."""
        h, n = self.hidden_size, self.num_attention_heads
        if self.q_lora_rank is None:
            q = h * n * self.qk_head_dim
        else:
            q = h * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * n * self.qk_head_dim
        kv = h * self.compressed_cache_width + self.kv_lora_rank
        kv += self.kv_lora_rank * n * (self.qk_nope_head_dim + self.v_head_dim)
        attn = q + kv + n * self.v_head_dim * h
        layer = attn + 2 * h * self.intermediate_size + 2 * h
        embed = self.vocab_size * h * (1 if self.tie_word_embeddings else 2)
        return self.num_hidden_layers * layer + embed + h

    # ------------------------------------------------------------------ (de)serialisation
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PLMConfig:
        if not isinstance(data, dict):
            raise TypeError(f"a PLM config must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "_order")}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names and k not in ("qk_head_dim", "head_dim")}
        if "model_type" in data and data["model_type"] != "plm":
            raise ValueError(f"config model_type {data['model_type']!r} is not a PLM config; accepted: plm")
        rope = data.get("rope_parameters")
        if isinstance(rope, dict) and "rope_theta" not in data:
            # transformers >= 5 writes the RoPE settings as one ``rope_parameters`` object
            if rope.get("rope_type", "default") != "default":
                raise ValueError(f"rope_parameters {rope!r} are not supported; only rope_type 'default'")
            known["rope_theta"] = float(rope.get("rope_theta", cls.rope_theta))
        config = cls(**known, extra=extra)
        config._order = list(data)
        return config

    def to_dict(self) -> dict[str, Any]:
        """The ``config.json`` content: modelled fields, derived ``qk_head_dim``/``head_dim`` and extras."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("extra", "_order"):
                continue
            out[f.name] = getattr(self, f.name)
        # transformers' PLMConfig stores these derived values too
        out["qk_head_dim"] = self.qk_head_dim
        out["head_dim"] = self.qk_rope_head_dim
        out.update(self.extra)
        if self._order:
            # a loaded file may lack some of our fields; write only what it had plus what changed
            keep = set(self._order) | {k for k in out if k not in self._order and k in self.extra}
            out = {k: out[k] for k in self._order if k in out} | {k: v for k, v in out.items() if k in keep}
        return out

    def to_json_string(self) -> str:
        """Serialised exactly as Hugging Face writes ``config.json`` (2-space indent, sorted keys, newline)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> PLMConfig:
        path = Path(directory) / CONFIG_NAME
        if not path.is_file():
            raise FileNotFoundError(f"no {CONFIG_NAME} in {directory}; a PLM checkpoint directory needs one")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def save_pretrained(self, directory: str | Path) -> Path:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        target = path / CONFIG_NAME
        target.write_text(self.to_json_string(), encoding="utf-8")
        return target


# Model sizes for training from scratch (MLA dimensions scaled down from PLM-1.8B's proportions).
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                 kv_lora_rank=32, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16),
    "small": dict(hidden_size=192, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
                  kv_lora_rank=64, qk_rope_head_dim=16, qk_nope_head_dim=32, v_head_dim=32),
    "base": dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=6,
                 kv_lora_rank=128, qk_rope_head_dim=32, qk_nope_head_dim=64, v_head_dim=64),
}  # fmt: skip
