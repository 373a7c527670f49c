"""PLM tokenizer: ``tokenizer.json`` through the ``tokenizers`` library, chat templates, byte-level BPE training.

PLM's published tokenizer is a Qwen2-style byte-level BPE with ChatML special tokens (``<|im_start|>``,
``<|im_end|>``, ``<|endoftext|>``).  :func:`train_bpe` trains the same kind of tokenizer on our own text for
small models trained from scratch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tactica.errors import MissingDependency

__all__ = ["PLMTokenizer", "train_bpe", "CHATML_TEMPLATE", "SPECIAL_TOKENS", "SPLITS"]

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# The Jinja form of ChatML, written into tokenizer_config.json so other tools render the same prompt.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _tokenizers():
    try:
        import tokenizers
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependency("tokenizers", purpose="PLM tokenizers") from exc
    return tokenizers


def _render_chatml(messages: Sequence[dict], add_generation_prompt: bool) -> str:
    parts = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    if add_generation_prompt:
        parts.append("<|im_start|>assistant\n")
    return "".join(parts)


class PLMTokenizer:
    """A ``tokenizers.Tokenizer`` plus the settings of ``tokenizer_config.json``.

    Args:
        tokenizer: the ``tokenizers.Tokenizer``.
        config: the ``tokenizer_config.json`` content (``eos_token``, ``chat_template``...).
    """

    def __init__(self, tokenizer, config: dict[str, Any] | None = None):
        self.tokenizer = tokenizer
        self.config = dict(config or {})
        self._raw: dict[str, bytes] = {}

    # ------------------------------------------------------------------ files
    @classmethod
    def from_pretrained(cls, directory: str | Path) -> PLMTokenizer:
        directory = Path(directory)
        path = directory / "tokenizer.json"
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer.json in {directory}")
        tok = cls(_tokenizers().Tokenizer.from_file(str(path)))
        tok._raw["tokenizer.json"] = path.read_bytes()
        config_path = directory / "tokenizer_config.json"
        if config_path.is_file():
            tok._raw["tokenizer_config.json"] = config_path.read_bytes()
            tok.config = json.loads(tok._raw["tokenizer_config.json"])
        return tok

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``tokenizer.json`` and ``tokenizer_config.json`` (the loaded bytes when unchanged)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if "tokenizer.json" in self._raw:
            (directory / "tokenizer.json").write_bytes(self._raw["tokenizer.json"])
        else:
            self.tokenizer.save(str(directory / "tokenizer.json"))
        raw_config = self._raw.get("tokenizer_config.json")
        if raw_config is not None and json.loads(raw_config) == self.config:
            (directory / "tokenizer_config.json").write_bytes(raw_config)
        else:
            text = json.dumps(self.config, indent=2, ensure_ascii=False) + "\n"
            (directory / "tokenizer_config.json").write_text(text, encoding="utf-8")

    # ------------------------------------------------------------------ encoding
    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"encode() takes a str, got {type(text).__name__}")
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def token_id(self, token: str) -> int | None:
        return self.tokenizer.token_to_id(token)

    def _special(self, key: str) -> str | None:
        value = self.config.get(key)
        if isinstance(value, dict):  # transformers' AddedToken form
            value = value.get("content")
        return value

    @property
    def eos_token_ids(self) -> list[int]:
        """Token ids that end generation: the configured eos token plus ChatML's ``<|im_end|>``."""
        ids = []
        for token in (self._special("eos_token"), "<|im_end|>", "<|endoftext|>"):
            tid = self.token_id(token) if token else None
            if tid is not None and tid not in ids:
                ids.append(tid)
        return ids

    def apply_chat_template(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        """Render chat messages as the model's prompt text.

        The ChatML template (PLM's and ours) is rendered natively; any other ``chat_template`` in
        ``tokenizer_config.json`` is rendered with Jinja2's sandboxed environment, as transformers does (the
        template comes with the checkpoint: it must not reach Python attributes or callables).
        """
        template = self.config.get("chat_template")
        if template is None or template == CHATML_TEMPLATE:
            return _render_chatml(messages, add_generation_prompt)
        try:
            from jinja2.sandbox import ImmutableSandboxedEnvironment
        except ImportError as exc:
            raise MissingDependency("jinja2", purpose="this checkpoint's custom chat template") from exc
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        return env.from_string(template).render(
            messages=list(messages),
            add_generation_prompt=add_generation_prompt,
            bos_token=self._special("bos_token") or "",
            eos_token=self._special("eos_token") or "",
        )


#: How :func:`train_bpe` cuts text before merging: GPT-2's word regex, or at line breaks only.
SPLITS = ("words", "lines")


def train_bpe(
    texts: Iterable[str], vocab_size: int = 2048, *, min_frequency: int = 2, split: str = "words"
) -> PLMTokenizer:
    """Train a byte-level BPE tokenizer (GPT-2/Qwen2 style) with ChatML special tokens on ``texts``.

    ``split="words"`` cuts text into words first (GPT-2's regex), as PLM's tokenizer does.  ``split="lines"``
    cuts only at line breaks, so merges may span words: text that repeats line for line (an agent's prompt, a
    game's state summary, code) becomes a few tokens per line, which shortens the sequences of a model trained
    on such transcripts several-fold.
    """
    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + specials)")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    tk = _tokenizers()
    tokenizer = tk.Tokenizer(tk.models.BPE())
    if split == "lines":
        tokenizer.pre_tokenizer = tk.pre_tokenizers.Sequence(
            [
                tk.pre_tokenizers.Split(tk.Regex(r"\n+"), "isolated"),
                tk.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    else:
        tokenizer.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tk.decoders.ByteLevel()
    trainer = tk.trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 4096,
        "chat_template": CHATML_TEMPLATE,
    }
    return PLMTokenizer(tokenizer, config)
