"""Load and save PLM checkpoints in the Hugging Face layout.

A checkpoint directory holds ``config.json``, the weights in ``model.safetensors`` (or shards listed in
``model.safetensors.index.json``) and the tokenizer files (``tokenizer.json``, ``tokenizer_config.json``...).
Weights keep their stored dtype unless asked otherwise and are written back in the dtype the config names
(``torch_dtype``/``dtype``), with the tied ``lm_head.weight`` omitted as transformers does, so load -> save
reproduces a checkpoint file bit for bit.  Files other than the config and the weights are copied verbatim.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tactica.errors import MissingDependency
from tactica.llm.plm.config import PLMConfig
from tactica.llm.plm.model import PLMForCausalLM

__all__ = [
    "load_model",
    "save_model",
    "resolve_checkpoint",
    "SHIPPED",
    "WEIGHTS_NAME",
    "WEIGHTS_INDEX_NAME",
    "AUX_FILES",
]

#: Checkpoints shipped inside the package, by name: ``plm:games`` and ``tactica serve --model games`` load them
#: with no download (see ``docs/game_model.md``).
SHIPPED: dict[str, str] = {
    "games": "tactica.llm.games/weights/games",
    "games-aligned": "tactica.llm.games/weights/games-aligned",
    "games-onuw": "tactica.llm.games/weights/games-onuw",  # the ONUW-only model that recorded docs/onuw.md
}


def resolve_checkpoint(name_or_dir: str | Path) -> Path:
    """A checkpoint directory: ``name_or_dir`` itself when it holds a ``config.json``, else the shipped
    checkpoint of that name (:data:`SHIPPED`); otherwise the path unchanged (the loader reports it).

    ``FileNotFoundError`` when a shipped name's weights are not in this installation (they are built by the
    recipe in ``docs/game_model.md``), so the error names the model rather than a package folder.
    """
    path = Path(name_or_dir)
    if (path / "config.json").is_file() or str(name_or_dir) not in SHIPPED:
        return path
    from importlib import resources

    package, _, folder = SHIPPED[str(name_or_dir)].partition("/")
    shipped = Path(str(resources.files(package).joinpath(folder)))
    if not (shipped / "config.json").is_file():
        raise FileNotFoundError(
            f"the shipped model {str(name_or_dir)!r} is not installed (no {shipped}/config.json); build it "
            "with the recipe in docs/game_model.md, or pass a checkpoint directory"
        )
    return shipped


WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
# files a checkpoint carries alongside the weights; copied byte for byte
AUX_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    "vocab.json",
    "merges.txt",
    "chat_template.jinja",
)

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def _safetensors():
    try:
        import safetensors.torch as st
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependency("safetensors", purpose="PLM checkpoints") from exc
    return st


def _config_dtype(config: PLMConfig) -> torch.dtype | None:
    name = config.extra.get("torch_dtype", config.extra.get("dtype"))
    if name is None:
        return None
    if name not in _DTYPES:
        raise ValueError(f"config dtype {name!r} is not supported; accepted: {', '.join(_DTYPES)}")
    return _DTYPES[name]


def _read_weights(directory: Path) -> dict[str, torch.Tensor]:
    st = _safetensors()
    single = directory / WEIGHTS_NAME
    if single.is_file():
        return st.load_file(str(single))
    index = directory / WEIGHTS_INDEX_NAME
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        tensors: dict[str, torch.Tensor] = {}
        for shard in sorted(set(weight_map.values())):
            tensors.update(st.load_file(str(directory / shard)))
        return tensors
    raise FileNotFoundError(f"no {WEIGHTS_NAME} or {WEIGHTS_INDEX_NAME} in {directory}")


def load_model(directory: str | Path, *, dtype: torch.dtype | str | None = None) -> PLMForCausalLM:
    """Build a :class:`PLMForCausalLM` from a checkpoint directory.

    ``dtype=None`` keeps the stored dtype; ``"float32"`` (or a torch dtype) converts.  Missing or unexpected
    weights raise ``ValueError`` naming them.  The tokenizer and other auxiliary files are kept verbatim on
    ``model.aux_files`` so :func:`save_model` writes them back unchanged.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"PLM checkpoint directory {directory} does not exist")
    config = PLMConfig.from_pretrained(directory)
    tensors = _read_weights(directory)
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise ValueError(f"dtype {dtype!r} is not supported; accepted: {', '.join(_DTYPES)}")
        dtype = _DTYPES[dtype]
    with torch.device("meta"):
        model = PLMForCausalLM(config)
    expected = set(model.state_dict())
    if config.tie_word_embeddings:
        tied = tensors.pop("lm_head.weight", None)
        if tied is not None and not torch.equal(tied, tensors.get("model.embed_tokens.weight", tied)):
            raise ValueError("tie_word_embeddings is true but lm_head.weight differs from the embedding")
        expected.discard("lm_head.weight")
    missing = sorted(expected - set(tensors))
    unexpected = sorted(set(tensors) - expected)
    if missing or unexpected:
        raise ValueError(
            f"checkpoint {directory} does not match its config: missing {missing[:8]}"
            f"{'...' if len(missing) > 8 else ''}, unexpected {unexpected[:8]}{'...' if len(unexpected) > 8 else ''}"
        )
    if dtype is not None:
        tensors = {k: v.to(dtype) for k, v in tensors.items()}
    model.load_state_dict(tensors, strict=False, assign=True)
    # buffers created on the meta device (rotary inverse frequencies) are rebuilt on the CPU
    model.model.rotary_emb = type(model.model.rotary_emb)(config)
    model.tie_weights()
    model.aux_files = {
        name: (directory / name).read_bytes() for name in AUX_FILES if (directory / name).is_file()
    }
    model.eval()
    return model


def save_model(
    model: PLMForCausalLM, directory: str | Path, *, tokenizer=None, dtype: torch.dtype | None = None
):
    """Write ``config.json``, ``model.safetensors`` and the tokenizer files to ``directory``.

    Weights are stored in ``dtype``, else the dtype the config names, else the model's own dtype (recorded in
    the config as ``torch_dtype``).  ``tokenizer`` (a :class:`~tactica.llm.plm.tokenizer.PLMTokenizer`) is
    saved when given; otherwise auxiliary files the model was loaded with are copied back verbatim.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = model.config
    target = dtype or _config_dtype(config) or next(model.parameters()).dtype
    if _config_dtype(config) is None:
        config.extra["torch_dtype"] = {v: k for k, v in _DTYPES.items()}[target]
    state = {k: v.detach().to(target).contiguous() for k, v in model.state_dict().items()}
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    config.save_pretrained(directory)
    _safetensors().save_file(state, str(directory / WEIGHTS_NAME), metadata={"format": "pt"})
    if tokenizer is not None:
        tokenizer.save_pretrained(directory)
    else:
        for name, data in getattr(model, "aux_files", {}).items():
            (directory / name).write_bytes(data)
    return directory
