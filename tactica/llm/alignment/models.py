"""The models the preference trainer accepts: tactica's PLM or any local ``transformers`` causal LM.

:func:`load_causal_lm` reads a directory and returns a :class:`CausalLM`, one interface over both kinds:
final hidden states (``hidden``), the language-model head (``head``), logits with an attention mask for batched
generation (``logits``), the tokenizer (``tokenizer``, a :class:`TokenizerAdapter`) and ``save``, which writes a
checkpoint in the layout the directory came in: a PLM checkpoint (``config.json``, ``model.safetensors``,
``tokenizer.json``...) that ``plm:`` and ``tactica serve`` load, or a ``transformers`` directory.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from tactica.errors import MissingDependency

__all__ = ["CausalLM", "TokenizerAdapter", "load_causal_lm", "wrap_model"]


# --------------------------------------------------------------------------- tokenizers
class TokenizerAdapter:
    """Text and chat encoding for the trainer, over a PLM tokenizer or a ``transformers`` tokenizer.

    ``encode_text`` tokenizes plain text as TRL does (the tokenizer's own special tokens, e.g. a Llama BOS,
    included); ``encode_chat`` renders messages with the chat template.
    """

    def __init__(self, tokenizer, kind: str):
        self.tokenizer = tokenizer
        self.kind = kind

    # ---- text
    def encode_text(self, text: str) -> list[int]:
        if self.kind == "plm":
            return self.tokenizer.encode(text)
        return list(self.tokenizer(text=text)["input_ids"])

    def encode_chat(self, messages: Sequence[dict], add_generation_prompt: bool) -> list[int]:
        if self.kind == "plm":
            return self.tokenizer.encode(
                self.tokenizer.apply_chat_template(messages, add_generation_prompt=add_generation_prompt)
            )
        if getattr(self.tokenizer, "chat_template", None) is None:
            raise ValueError("this tokenizer has no chat_template, so it cannot encode chat-message pairs")
        out = self.tokenizer.apply_chat_template(
            list(messages), tokenize=True, add_generation_prompt=add_generation_prompt, return_dict=True
        )
        return list(out["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        if self.kind == "plm":
            return self.tokenizer.decode(ids)
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    # ---- special tokens
    @property
    def eos_token(self) -> str | None:
        if self.kind == "plm":
            ids = self.tokenizer.eos_token_ids
            return self.tokenizer.tokenizer.id_to_token(ids[0]) if ids else None
        return self.tokenizer.eos_token

    @property
    def eos_token_ids(self) -> list[int]:
        if self.kind == "plm":
            return list(self.tokenizer.eos_token_ids)
        ids = []
        for tid in (self.tokenizer.eos_token_id, self.tokenizer.convert_tokens_to_ids("<|im_end|>")):
            if isinstance(tid, int) and tid != self.tokenizer.unk_token_id and tid not in ids:
                ids.append(tid)
        return ids

    @property
    def pad_id(self) -> int:
        if self.kind == "plm":
            for token in ("<|endoftext|>", "<|im_end|>"):
                tid = self.tokenizer.token_id(token)
                if tid is not None:
                    return tid
            return 0
        for tid in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id):
            if tid is not None:
                return tid
        return 0

    def save(self, directory: Path) -> None:
        self.tokenizer.save_pretrained(directory)


# --------------------------------------------------------------------------- models
def _plm_masked_hidden(module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """PLM hidden states with left or inner padding: positions count real tokens only, padded keys are masked
    out, and every query may see itself so rows of padding stay finite (their outputs are never used)."""
    inner = module.model
    b, t = input_ids.shape
    keep = attention_mask.bool()
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    causal = torch.ones(t, t, dtype=torch.bool, device=input_ids.device).tril()
    allowed = causal.unsqueeze(0) & keep.unsqueeze(1)
    allowed |= torch.eye(t, dtype=torch.bool, device=input_ids.device).unsqueeze(0)
    hidden = inner.embed_tokens(input_ids)
    additive = torch.zeros(b, 1, t, t, dtype=hidden.dtype, device=hidden.device)
    additive.masked_fill_(~allowed.unsqueeze(1), torch.finfo(hidden.dtype).min)
    position_embeddings = inner.rotary_emb(position_ids, hidden.dtype)
    for layer in inner.layers:
        hidden = layer(hidden, position_embeddings, additive)
    return inner.norm(hidden)


class CausalLM:
    """A causal language model and its tokenizer, PLM or ``transformers``.

    Attributes:
        module: the ``torch.nn.Module``.
        tokenizer: a :class:`TokenizerAdapter`.
        kind: ``"plm"`` or ``"hf"``.
        source: the directory it was loaded from, or ``None`` for a model built in memory.
    """

    def __init__(self, module: nn.Module, tokenizer: TokenizerAdapter, kind: str, source: str | None = None):
        if kind not in ("plm", "hf"):
            raise ValueError(f"kind must be 'plm' or 'hf', got {kind!r}")
        self.module = module
        self.tokenizer = tokenizer
        self.kind = kind
        self.source = source
        if kind == "hf":
            config = (
                module.config.get_text_config()
                if hasattr(module.config, "get_text_config")
                else module.config
            )
            for name in ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier"):
                if getattr(config, name, None) not in (None, 1.0):
                    raise ValueError(
                        f"{type(module).__name__} scales or soft-caps its logits ({name}); the preference trainer "
                        "supports causal LMs whose logits are the plain language-model head output"
                    )

    @property
    def context_length(self) -> int:
        config = self.module.config
        for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
            value = getattr(config, name, None)
            if isinstance(value, int) and value > 0:
                return value
        return 1 << 30

    @property
    def vocab_size(self) -> int:
        return self.head()[0].shape[0]

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def head(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The language-model head's ``(weight [vocab, hidden], bias or None)``."""
        lm_head = self.module.lm_head if self.kind == "plm" else self.module.get_output_embeddings()
        return lm_head.weight, getattr(lm_head, "bias", None)

    def hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Final hidden states ``[B, T, H]`` (after the last norm, before the head).

        With right padding (training batches) the mask may be omitted: causal attention keeps padding from
        reaching earlier tokens.  Left-padded batches (generation) need ``attention_mask``.
        """
        if self.kind == "plm":
            if attention_mask is None or bool(attention_mask.all()):
                return self.module.model(input_ids)
            return _plm_masked_hidden(self.module, input_ids, attention_mask)
        kwargs = {"input_ids": input_ids, "use_cache": False}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask
            kwargs["position_ids"] = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        return self.module.base_model(**kwargs).last_hidden_state

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        weight, bias = self.head()
        out = self.hidden(input_ids, attention_mask) @ weight.t()
        return out + bias if bias is not None else out

    def frozen_copy(self) -> CausalLM:
        """A deep copy with gradients off, in eval mode (a reference model)."""
        module = copy.deepcopy(self.module)
        module.eval()
        module.requires_grad_(False)
        return CausalLM(module, self.tokenizer, self.kind, self.source)

    def disable_dropout(self) -> None:
        """Set every dropout probability to zero (policy and reference must score a sequence the same way)."""
        for sub in self.module.modules():
            if isinstance(sub, nn.Dropout):
                sub.p = 0.0

    def save(self, directory: str | Path, dtype: torch.dtype | None = None) -> Path:
        """Write the model and tokenizer to ``directory`` in the layout it was loaded in."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.kind == "plm":
            from tactica.llm.plm.checkpoint import save_model

            aux = getattr(self.module, "aux_files", {})
            # a loaded checkpoint's tokenizer files are copied back byte for byte
            tokenizer = None if "tokenizer.json" in aux else self.tokenizer.tokenizer
            save_model(self.module, directory, tokenizer=tokenizer, dtype=dtype)
        else:
            module = self.module if dtype is None else copy.deepcopy(self.module).to(dtype)
            module.save_pretrained(directory)
            self.tokenizer.save(directory)
        return directory


def wrap_model(module: nn.Module, tokenizer) -> CausalLM:
    """A :class:`CausalLM` over an in-memory model: a :class:`~tactica.llm.plm.PLMForCausalLM` with a
    :class:`~tactica.llm.plm.PLMTokenizer`, or a ``transformers`` causal LM with its tokenizer."""
    from tactica.llm.plm.model import PLMForCausalLM

    if isinstance(module, PLMForCausalLM):
        return CausalLM(module, TokenizerAdapter(tokenizer, "plm"), "plm")
    if hasattr(module, "get_output_embeddings") and hasattr(module, "base_model"):
        return CausalLM(module, TokenizerAdapter(tokenizer, "hf"), "hf")
    raise TypeError(
        f"{type(module).__name__} is not a causal LM; accepted: PLMForCausalLM or a transformers causal LM"
    )


def _transformers():
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependency("transformers", extra="dev", purpose="Hugging Face causal LMs") from exc
    return transformers


def _causal_architectures() -> set[str]:
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    names = set()
    for value in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values():
        names.update(value if isinstance(value, (list, tuple)) else [value])
    return names


def load_causal_lm(
    directory: str | Path, *, dtype: torch.dtype | str | None = torch.float32, device: str | None = None
) -> CausalLM:
    """Load a PLM checkpoint (``model_type: plm``) or a ``transformers`` causal-LM directory.

    Raises ``FileNotFoundError`` for a missing directory or ``config.json`` and ``ValueError`` for a model that
    is not a causal language model (an encoder, an encoder-decoder, a classifier...), naming what is accepted.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory {directory} does not exist")
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{directory} has no config.json; accepted: a PLM checkpoint or a transformers causal-LM directory"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{config_path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_path} must hold a JSON object")
    if config.get("model_type") == "plm":
        from tactica.llm.plm.checkpoint import load_model
        from tactica.llm.plm.tokenizer import PLMTokenizer

        module = load_model(directory, dtype=dtype)
        tokenizer = PLMTokenizer.from_pretrained(directory)
        lm = CausalLM(module, TokenizerAdapter(tokenizer, "plm"), "plm", str(directory))
    else:
        lm = _load_hf(directory, config, dtype)
    if device is not None:
        lm.module.to(device)
    return lm


def _load_hf(directory: Path, config: dict, dtype) -> CausalLM:
    transformers = _transformers()
    architectures = config.get("architectures") or []
    model_type = config.get("model_type")
    what = f"{directory} holds a {model_type or 'model without model_type'}"
    if architectures:
        what += f" ({', '.join(architectures)})"
    accepted = "accepted: a PLM checkpoint or a transformers causal-LM directory (e.g. GPT2LMHeadModel, LlamaForCausalLM)"
    if config.get("is_encoder_decoder"):
        raise ValueError(f"{what}, an encoder-decoder model, not a causal LM; {accepted}")
    causal = _causal_architectures()
    if architectures and not any(a in causal for a in architectures):
        raise ValueError(f"{what}, not a causal LM; {accepted}")
    try:
        module = transformers.AutoModelForCausalLM.from_pretrained(
            directory, dtype=dtype if not isinstance(dtype, str) else getattr(torch, dtype)
        )
    except (ValueError, KeyError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"{what}, which transformers cannot load as a causal LM ({first}); {accepted}"
        ) from None
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    except (ValueError, KeyError, OSError) as exc:
        raise ValueError(
            f"{directory} has no tokenizer transformers can load ({exc}); save one beside the model"
        ) from None
    return CausalLM(module, TokenizerAdapter(tokenizer, "hf"), "hf", str(directory))
