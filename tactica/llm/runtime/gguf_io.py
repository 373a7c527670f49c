"""GGUF import and export for PLM, in llama.cpp's layout (architecture ``plm``), through the ``gguf`` package.

Tensor names and metadata are the ones llama.cpp's converter writes for ``PLMForCausalLM`` and its loader reads
(``convert_hf_to_gguf.py``, ``src/llama-model.cpp``): ``token_embd``, ``output_norm``, ``output`` (absent when
tied), and per block ``attn_norm``, ``attn_q``, ``attn_kv_a_mqa``, ``attn_kv_a_norm``, ``attn_kv_b``,
``attn_output``, ``ffn_norm``, ``ffn_up``, ``ffn_down``; keys ``plm.block_count``, ``plm.context_length``,
``plm.embedding_length``, ``plm.feed_forward_length``, ``plm.attention.head_count(_kv)``,
``plm.rope.freq_base``, ``plm.attention.layer_norm_rms_epsilon``, ``plm.attention.kv_lora_rank``,
``plm.attention.key_length`` (nope + rope), ``plm.attention.value_length``, ``plm.rope.dimension_count`` and
``plm.vocab_size``; the byte-level BPE vocabulary as ``tokenizer.ggml.model = gpt2`` with its merges, special
token ids and chat template.  PLM's rotary pairs are adjacent dimensions, which is llama.cpp's normal RoPE
mode, so weights are written as stored.

Export writes ``F32``, ``F16``, ``BF16``, ``Q8_0`` (blocks of 32 with a float16 scale, as ``ggml-quants.c``
rounds them) or ``Q4_K`` (super-blocks of 256: eight groups of 32 with 6-bit scales and minimums under two
float16 factors).  A matrix whose rows do not split into whole blocks falls back to the next format that fits
(Q4_K -> Q8_0 -> F16), as llama.cpp's quantiser does; norms stay F32.  Import reads every type the ``gguf``
package can dequantise (F32, F16, BF16, Q4_0...Q8_0, Q2_K...Q6_K, ...) into a float checkpoint directory with
``tokenizer.json`` and ``tokenizer_config.json`` rebuilt from the GGUF vocabulary.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from tactica.errors import MissingDependency
from tactica.llm.plm.config import PLMConfig
from tactica.llm.runtime.quant import CHUNK_ELEMENTS
from tactica.llm.runtime.weights import WeightSource, write_safetensors

__all__ = ["export_gguf", "import_gguf", "quantize_q4_k", "GGUF_TYPES", "tensor_name_map"]

GGUF_TYPES = ("F32", "F16", "BF16", "Q8_0", "Q4_K")
_FALLBACK = {"Q4_K": "Q8_0", "Q8_0": "F16"}
# Hugging Face name (after "model.layers.N.") -> llama.cpp name (after "blk.N.")
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.kv_a_proj_with_mqa.weight": "attn_kv_a_mqa.weight",
    "self_attn.kv_a_layernorm.weight": "attn_kv_a_norm.weight",
    "self_attn.kv_b_proj.weight": "attn_kv_b.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
# pre-tokenizer regular expressions of the byte-level BPE families llama.cpp names (tokenizer.ggml.pre)
_PRE_PATTERNS = {
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "llama-bpe": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}


def _gguf():
    try:
        import gguf
    except ImportError as exc:
        raise MissingDependency("gguf", "gguf", "GGUF import and export") from exc
    return gguf


def tensor_name_map(config: PLMConfig) -> dict[str, str]:
    """Hugging Face weight name -> llama.cpp GGUF tensor name, for every tensor of ``config``."""
    if config.q_lora_rank is not None:
        raise ValueError("llama.cpp's plm architecture has a single q_proj; a model with q_lora_rank cannot be "
                         "exported as plm")  # fmt: skip
    names = {
        k: v for k, v in _GLOBAL_NAMES.items() if k != "lm_head.weight" or not config.tie_word_embeddings
    }
    for i in range(config.num_hidden_layers):
        names.update({f"model.layers.{i}.{hf}": f"blk.{i}.{ll}" for hf, ll in _LAYER_NAMES.items()})
    return names


# ---------------------------------------------------------------------------------------------- Q4_K
def _f16_up(x: np.ndarray) -> np.ndarray:
    """``x`` as float16, rounded up where float16 rounding went down."""
    h = x.astype(np.float16)
    low = h.astype(np.float32) < x
    h[low] = np.nextafter(h[low], np.float16(np.inf))
    return h


def _ceil_ratio(value: np.ndarray, step: np.ndarray) -> np.ndarray:
    """ceil(value / step) as 6-bit integers (0 where the step is 0)."""
    step = step.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(step > 0, np.ceil(value / step), 0)
    return out.clip(0, 63).astype(np.uint8)


def quantize_q4_k(rows: np.ndarray) -> np.ndarray:
    """Q4_K blocks of ``rows`` [n, k] (k a multiple of 256): uint8 [n, k / 256 * 144].

    Each super-block of 256 values is eight groups of 32; group j stores codes q in [0, 15] with
    ``x ~= d * sc_j * q - dmin * m_j``, ``sc_j`` and ``m_j`` 6-bit integers and ``d``, ``dmin`` float16.  Here each
    group's scale and minimum come from its own range, rounded up so no value is clipped (llama.cpp searches
    further for a lower mean error; any reader dequantises both the same way).
    """
    n, k = rows.shape
    if k % 256:
        raise ValueError(f"Q4_K needs rows of a multiple of 256 values, got {k}")
    blocks = rows.astype(np.float32).reshape(-1, 8, 32)
    # minimums first (rounded up, so every value stays above the group's zero), then scales covering the rest
    # of the range (rounded up, so no code exceeds 15): every value is within half a step of its code
    minimum = -np.minimum(blocks.min(axis=-1), 0.0)  # [b, 8], subtracted so non-negative
    dmin = _f16_up(minimum.max(axis=-1) / 63.0)
    mq = _ceil_ratio(minimum, dmin)
    eff_min = dmin.astype(np.float32)[:, None] * mq
    scale = (blocks.max(axis=-1) + eff_min) / 15.0
    d = _f16_up(scale.max(axis=-1) / 63.0)
    sc = _ceil_ratio(scale, d)
    eff_scale = d.astype(np.float32)[:, None] * sc
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(
            eff_scale[..., None] > 0, np.round((blocks + eff_min[..., None]) / eff_scale[..., None]), 0
        )
    q = q.clip(0, 15).astype(np.uint8)  # [b, 8, 32]
    packed_scales = np.empty((len(blocks), 12), dtype=np.uint8)
    packed_scales[:, 0:4] = (sc[:, :4] & 0x3F) | ((sc[:, 4:] >> 4) << 6)
    packed_scales[:, 4:8] = (mq[:, :4] & 0x3F) | ((mq[:, 4:] >> 4) << 6)
    packed_scales[:, 8:12] = (sc[:, 4:] & 0x0F) | ((mq[:, 4:] & 0x0F) << 4)
    qs = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(len(blocks), 128)  # groups 2i (low) and 2i+1 (high nibble)
    out = np.concatenate([d[:, None].view(np.uint8), dmin[:, None].view(np.uint8), packed_scales, qs], axis=1)
    return out.reshape(n, k // 256 * 144)


_BLOCKS = {"Q4_K": 256, "Q8_0": 32}


def _plan(shape: tuple[int, ...], qtype: str) -> str:
    """The GGUF type a tensor of ``shape`` is written in: ``qtype``, or the first fallback whose blocks fit."""
    if len(shape) == 1 or qtype == "F32":
        return "F32"
    while shape[-1] % _BLOCKS.get(qtype, 1):
        qtype = _FALLBACK[qtype]
    return qtype


def _encode(array: np.ndarray, kind: str) -> np.ndarray:
    """``array`` (float32) encoded as the GGUF type ``kind`` (see :func:`_plan`)."""
    gguf = _gguf()
    if kind == "F32":
        return array.astype(np.float32)
    if kind == "F16":
        return array.astype(np.float16)
    if kind == "Q4_K":
        return quantize_q4_k(array)
    return gguf.quants.quantize(array, gguf.GGMLQuantizationType[kind])  # Q8_0, BF16: ggml's own rounding


# ---------------------------------------------------------------------------------------------- export
def _pre_tokenizer_name(tokenizer_json: dict) -> str:
    pre = tokenizer_json.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    for part in parts:
        if part.get("type") == "Split":
            pattern = (part.get("pattern") or {}).get("Regex")
            for name, known in _PRE_PATTERNS.items():
                if pattern == known:
                    return name
            raise ValueError(f"the tokenizer's pre-tokenizer pattern {pattern!r} is not one llama.cpp names; "
                             f"accepted: GPT-2's byte-level split, {', '.join(_PRE_PATTERNS)}")  # fmt: skip
    if any(p.get("type") == "ByteLevel" and p.get("use_regex", True) for p in parts):
        return "gpt-2"
    raise ValueError(
        f"the tokenizer's pre-tokenizer {pre.get('type')!r} is not a byte-level BPE llama.cpp reads"
    )


def _add_vocabulary(writer, directory: Path, vocab_size: int) -> None:
    gguf = _gguf()
    data = json.loads((directory / "tokenizer.json").read_text(encoding="utf-8"))
    model = data.get("model") or {}
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise ValueError("GGUF export supports byte-level BPE tokenizers (tokenizer.json model type BPE)")
    by_id: dict[int, tuple[str, int]] = {i: (t, gguf.TokenType.NORMAL) for t, i in model["vocab"].items()}
    for added in data.get("added_tokens", []):
        kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
        by_id[int(added["id"])] = (added["content"], kind)
    if max(by_id) >= vocab_size:
        raise ValueError(
            f"the tokenizer has token id {max(by_id)} but the model's vocabulary is {vocab_size}"
        )
    tokens, types = [], []
    for i in range(vocab_size):
        token, kind = by_id.get(i, (f"[PAD{i}]", gguf.TokenType.UNUSED))
        tokens.append(token)
        types.append(kind)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer_name(data))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(directory, load_merges=True, n_vocab=vocab_size)
    template = directory / "chat_template.jinja"
    if special.chat_template is None and template.is_file():
        special.chat_template = template.read_text(encoding="utf-8")
    special.add_to_gguf(writer, quiet=True)


def export_gguf(checkpoint_dir: str | Path, path: str | Path, qtype: str = "Q8_0", *, progress=None) -> Path:
    """Write the checkpoint in ``checkpoint_dir`` to the GGUF file ``path`` with weights in ``qtype``.

    Tensors are read from memory-mapped files and written one at a time.  ``progress(done, total)`` is called
    per tensor.
    """
    gguf = _gguf()
    if qtype not in GGUF_TYPES:
        raise ValueError(
            f"GGUF type {qtype!r} is not supported for export; accepted: {', '.join(GGUF_TYPES)}"
        )
    directory, path = Path(checkpoint_dir), Path(path)
    config = PLMConfig.from_pretrained(directory)
    if "quantization_config" in config.extra:
        raise ValueError(
            f"{directory} is a tactica-quantised checkpoint; export the float checkpoint it came from"
        )
    names = tensor_name_map(config)
    source = WeightSource.from_directory(directory)
    missing = sorted(set(names) - set(source))
    if missing:
        raise ValueError(f"{directory} lacks weights {missing[:4]}")
    writer = gguf.GGUFWriter(path, "plm")
    writer.add_name(directory.resolve().name)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(float(config.rope_theta))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_vocab_size(config.vocab_size)
    writer.add_kv_lora_rank(config.kv_lora_rank)
    writer.add_key_length(config.qk_head_dim)
    writer.add_value_length(config.v_head_dim)
    writer.add_rope_dimension_count(config.qk_rope_head_dim)
    file_types = {"F32": "ALL_F32", "F16": "MOSTLY_F16", "BF16": "MOSTLY_BF16", "Q8_0": "MOSTLY_Q8_0",
                  "Q4_K": "MOSTLY_Q4_K_S"}  # fmt: skip
    writer.add_file_type(gguf.LlamaFileType[file_types[qtype]])
    if (directory / "tokenizer.json").is_file():
        _add_vocabulary(writer, directory, config.vocab_size)
    order = list(names)
    kinds = {}
    for hf_name in order:  # tensor infos first: types and sizes follow from the shapes
        shape = tuple(source.shape(hf_name))
        kind = kinds[hf_name] = _plan(shape, qtype)
        gtype = gguf.GGMLQuantizationType[kind]
        if kind in ("F32", "F16"):
            dtype = np.float32 if kind == "F32" else np.float16
            nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
            writer.add_tensor_info(names[hf_name], shape, dtype, nbytes, raw_dtype=gtype)
        else:
            byte_shape = gguf.quant_shape_to_byte_shape(shape, gtype)
            writer.add_tensor_info(
                names[hf_name], byte_shape, np.uint8, int(np.prod(byte_shape)), raw_dtype=gtype
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for done, hf_name in enumerate(order, 1):
        tensor = source[hf_name]
        if tensor.dim() == 1:
            data = _encode(tensor.float().numpy(), kinds[hf_name])
        else:  # encoded in row chunks: no float32 copy of a whole matrix
            step = max(1, CHUNK_ELEMENTS // tensor.shape[1])
            data = np.concatenate([_encode(tensor[i : i + step].float().numpy(), kinds[hf_name])
                                   for i in range(0, tensor.shape[0], step)])  # fmt: skip
        writer.write_tensor_data(data)
        source.release(hf_name)
        del data
        if progress is not None:
            progress(done, len(order))
    writer.close()
    return path


# ---------------------------------------------------------------------------------------------- import
def _field(reader, key: str, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    return field.contents()


def _config_from_gguf(reader) -> PLMConfig:
    arch = _field(reader, "general.architecture")
    if arch != "plm":
        raise ValueError(f"the GGUF architecture is {arch!r}; accepted: plm")

    def need(key: str):
        value = _field(reader, f"plm.{key}")
        if value is None:
            raise ValueError(f"the GGUF file lacks the key plm.{key}")
        return value

    rope = int(need("rope.dimension_count"))
    key_length = int(need("attention.key_length"))
    tensors = {t.name for t in reader.tensors}
    embed = next(t for t in reader.tensors if t.name == "token_embd.weight")
    vocab = int(_field(reader, "plm.vocab_size", int(embed.shape[1])))
    return PLMConfig(
        vocab_size=vocab,
        hidden_size=int(need("embedding_length")),
        intermediate_size=int(need("feed_forward_length")),
        num_hidden_layers=int(need("block_count")),
        num_attention_heads=int(need("attention.head_count")),
        num_key_value_heads=int(_field(reader, "plm.attention.head_count_kv", need("attention.head_count"))),
        kv_lora_rank=int(need("attention.kv_lora_rank")),
        qk_rope_head_dim=rope,
        qk_nope_head_dim=key_length - rope,
        v_head_dim=int(need("attention.value_length")),
        max_position_embeddings=int(need("context_length")),
        rms_norm_eps=float(need("attention.layer_norm_rms_epsilon")),
        rope_theta=float(_field(reader, "plm.rope.freq_base", PLMConfig.rope_theta)),
        tie_word_embeddings="output.weight" not in tensors,
    )


def _tokenizer_files(reader, out_dir: Path, config: PLMConfig) -> None:
    """``tokenizer.json`` and ``tokenizer_config.json`` rebuilt from the GGUF vocabulary (gpt2 model)."""
    gguf = _gguf()
    model = _field(reader, "tokenizer.ggml.model")
    if model is None:
        return
    if model != "gpt2":
        raise ValueError(
            f"GGUF tokenizer model {model!r} is not supported for import; accepted: gpt2 (byte-level BPE)"
        )
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type") or [gguf.TokenType.NORMAL] * len(tokens)
    merges = _field(reader, "tokenizer.ggml.merges") or []
    pre = _field(reader, "tokenizer.ggml.pre", "gpt-2")
    vocab, added = {}, []
    for i, (token, kind) in enumerate(zip(tokens, types)):
        if kind == gguf.TokenType.UNUSED:
            continue
        if kind in (gguf.TokenType.CONTROL, gguf.TokenType.USER_DEFINED):
            added.append({"id": i, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": kind == gguf.TokenType.CONTROL})  # fmt: skip
        vocab[token] = i
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    if pre in _PRE_PATTERNS:
        pre_tokenizer = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": _PRE_PATTERNS[pre]}, "behavior": "Isolated", "invert": False},
            dict(byte_level, use_regex=False)]}  # fmt: skip
    elif pre in ("gpt-2", "default"):
        pre_tokenizer = byte_level
    else:
        raise ValueError(
            f"GGUF pre-tokenizer {pre!r} is not supported; accepted: gpt-2, {', '.join(_PRE_PATTERNS)}"
        )
    data = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": None,
        "decoder": dict(byte_level),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [m.split(" ", 1) for m in merges]},
    }  # fmt: skip
    (out_dir / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    settings = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": config.max_position_embeddings,
    }
    for kind, key in (("bos", "bos"), ("eos", "eos"), ("unk", "unknown"), ("pad", "padding")):
        token_id = _field(reader, f"tokenizer.ggml.{key}_token_id")
        if token_id is not None and 0 <= int(token_id) < len(tokens):
            settings[f"{kind}_token"] = tokens[int(token_id)]
            config.extra[f"{kind}_token_id"] = int(token_id)
    template = _field(reader, "tokenizer.chat_template")
    if template is not None:
        settings["chat_template"] = template
    (out_dir / "tokenizer_config.json").write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")  # fmt: skip


def import_gguf(path: str | Path, out_dir: str | Path, *, dtype: str = "float32") -> Path:
    """Read a PLM GGUF file (as llama.cpp or :func:`export_gguf` writes it) into a checkpoint directory.

    Weights are dequantised to ``dtype`` (``float32``, ``bfloat16`` or ``float16``) one tensor at a time.
    """
    gguf = _gguf()
    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if dtype not in dtypes:
        raise ValueError(f"dtype {dtype!r} is not supported; accepted: {', '.join(dtypes)}")
    target = dtypes[dtype]
    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path} is not a readable GGUF file: {exc}") from None
    config = _config_from_gguf(reader)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_gguf = {v: k for k, v in tensor_name_map(config).items()}
    tensors = {t.name: t for t in reader.tensors}
    missing = sorted(set(by_gguf) - set(tensors))
    unexpected = sorted(set(tensors) - set(by_gguf))
    if missing or unexpected:
        raise ValueError(
            f"{path}: tensors do not match a plm model: missing {missing[:4]}, unexpected {unexpected[:4]}"
        )
    items = []
    for gguf_name, hf_name in by_gguf.items():
        tensor = tensors[gguf_name]
        shape = tuple(int(d) for d in reversed(tensor.shape.tolist()))

        def produce(tensor=tensor, shape=shape):
            values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
            values = np.array(values, dtype=np.float32)  # a private copy: F32 data is a view of the file
            return torch.from_numpy(values).reshape(shape).to(target)

        items.append((hf_name, target, shape, produce))
    _tokenizer_files(reader, out_dir, config)
    config.extra["torch_dtype"] = dtype
    config.save_pretrained(out_dir)
    write_safetensors(out_dir / "model.safetensors", items, {"format": "pt"})
    return out_dir
