"""Checkpoint conversion: quantised checkpoints (int8, int4) and float precision changes, streamed tensor by tensor.

A quantised checkpoint is a normal checkpoint directory whose projection matrices (and the embedding) are stored
as codes: ``<name>.qweight`` (int8 ``[out, in]``, or int4 nibbles packed two per byte ``[out, in/2]``),
``<name>.scales`` (int8: float32 per row; int4: float16 per group) and, for int4, ``<name>.zeros`` (float16,
the value of the code 8 in each group).  ``config.json`` records ``"quantization_config": {"quant_method":
"tactica", "format": ..., "group_size": ...}``.  The runtime loads the codes straight from the file, with no
float copy; norms and ``kv_b_proj`` (used per head by the absorbed attention) stay in float.

Conversion reads the source through memory-mapped files and writes one tensor at a time, so it needs memory
for one tensor, not the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from tactica.llm.plm.checkpoint import AUX_FILES
from tactica.llm.plm.config import PLMConfig
from tactica.llm.runtime.engine import LINEAR_WEIGHTS
from tactica.llm.runtime.quant import int4_group_size, quantize_int4, quantize_int8
from tactica.llm.runtime.weights import WeightSource, write_safetensors

__all__ = ["convert_checkpoint", "CONVERT_FORMATS", "quantized_names"]

FLOAT_FORMATS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
CONVERT_FORMATS = ("int8", "int4", *FLOAT_FORMATS)


def quantized_names(config: PLMConfig) -> set[str]:
    """The ``.weight`` tensors a quantised checkpoint stores as codes (projections, embedding, untied head)."""
    names = {"model.embed_tokens.weight"}
    if not config.tie_word_embeddings:
        names.add("lm_head.weight")
    query = (
        ("self_attn.q_proj",) if config.q_lora_rank is None else ("self_attn.q_a_proj", "self_attn.q_b_proj")
    )
    for i in range(config.num_hidden_layers):
        names.update(f"model.layers.{i}.{n}.weight" for n in LINEAR_WEIGHTS if n.startswith("mlp") or n in query
                     or n in ("self_attn.kv_a_proj_with_mqa", "self_attn.o_proj"))  # fmt: skip
    return names


def convert_checkpoint(
    source_dir: str | Path,
    out_dir: str | Path,
    fmt: str,
    *,
    group_size: int | None = None,
    progress=None,
) -> Path:
    """Write ``source_dir`` converted to ``fmt`` (``int8``, ``int4``, ``float32``, ``bfloat16`` or ``float16``)
    into ``out_dir``; returns the path of the written weights.

    ``group_size`` (int4): inputs sharing a scale (128, 64 or 32; default the largest that divides each layer's
    input size; a layer no group size fits is stored as int8).  ``progress(done, total)`` is called per tensor.
    """
    if fmt not in CONVERT_FORMATS:
        raise ValueError(f"format {fmt!r} is not supported; accepted: {', '.join(CONVERT_FORMATS)}")
    if group_size is not None and group_size not in (32, 64, 128):
        raise ValueError(f"group_size must be 32, 64 or 128, got {group_size}")
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    if out_dir.resolve() == source_dir.resolve():
        raise ValueError("the output directory must differ from the source checkpoint")
    config = PLMConfig.from_pretrained(source_dir)
    if "quantization_config" in config.extra:
        raise ValueError(f"{source_dir} is already quantised ({config.extra['quantization_config'].get('format')}); "
                         "convert the original float checkpoint")  # fmt: skip
    source = WeightSource.from_directory(source_dir)
    names = list(source)
    quantised = quantized_names(config) if fmt in ("int8", "int4") else set()
    missing = sorted(n for n in quantised if n not in source)
    if missing:
        raise ValueError(f"{source_dir} lacks weights {missing[:4]}; is it a PLM checkpoint?")
    float_dtype = FLOAT_FORMATS.get(fmt)
    items = []

    def plain(name: str):
        dtype = (
            float_dtype
            if float_dtype is not None and source.dtype(name).is_floating_point
            else source.dtype(name)
        )
        return (name, dtype, source.shape(name), lambda: _released(source, name, source[name].to(dtype)))

    for name in names:
        if name not in quantised:
            items.append(plain(name))
            continue
        out_f, in_f = source.shape(name)
        base = name.removesuffix(".weight")
        size = int4_group_size(in_f, group_size) if fmt == "int4" else None
        if size is None:  # int8, or int4 where no group fits
            codes = _Once(lambda name=name: quantize_int8(source[name]), source, name)
            items += [
                (f"{base}.qweight", torch.int8, (out_f, in_f), lambda c=codes: c.get()[0]),
                (f"{base}.scales", torch.float32, (out_f,), lambda c=codes: c.take()[1]),
            ]
        else:
            codes = _Once(lambda name=name, size=size: quantize_int4(source[name], size), source, name)
            items += [
                (f"{base}.qweight", torch.uint8, (out_f, in_f // 2), lambda c=codes: c.get()[0]),
                (f"{base}.scales", torch.float16, (out_f, in_f // size), lambda c=codes: c.get()[1]),
                (f"{base}.zeros", torch.float16, (out_f, in_f // size), lambda c=codes: c.take()[2]),
            ]
    if progress is not None:
        items = [(n, d, s, _counted(p, i + 1, len(items), progress)) for i, (n, d, s, p) in enumerate(items)]
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt in ("int8", "int4"):
        config.extra["quantization_config"] = {
            "quant_method": "tactica",
            "format": fmt,
            "group_size": group_size,
        }
    else:
        config.extra["torch_dtype"] = fmt
    config.save_pretrained(out_dir)
    weights = out_dir / "model.safetensors"
    write_safetensors(weights, items, {"format": "pt"})
    for name in AUX_FILES:
        if (source_dir / name).is_file():
            shutil.copyfile(source_dir / name, out_dir / name)
    return weights


def _released(source: WeightSource, name: str, tensor: torch.Tensor) -> torch.Tensor:
    if tensor.data_ptr() != source[name].data_ptr():  # converted: the source pages are no longer needed
        source.release(name)
    return tensor


class _Once:
    """One quantisation whose outputs are written as several tensors: computed on first use, freed on last."""

    def __init__(self, compute, source: WeightSource, name: str):
        self._compute, self._source, self._name = compute, source, name
        self._value = None

    def get(self):
        if self._value is None:
            self._value = self._compute()
            self._source.release(self._name)
        return self._value

    def take(self):
        value = self.get()
        self._value = None
        return value


def _counted(produce, done: int, total: int, progress):
    def run():
        tensor = produce()
        progress(done, total)
        return tensor

    return run
