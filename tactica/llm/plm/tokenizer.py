"""PLM tokenizer: ``tokenizer.json`` through the ``tokenizers`` library, chat templates, byte-level BPE training.

PLM's published tokenizer is a Qwen2-style byte-level BPE with ChatML special tokens (``<|im_start|>``,
``<|im_end|>``, ``<|endoftext|>``).  :func:`train_bpe` trains the same kind of tokenizer on our own text for
small models trained from scratch.  Chat templates other than ChatML are rendered by
:class:`~tactica.llm.plm.chat_template.ChatTemplate` (transformers' sandboxed renderer), checked when the
tokenizer is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tactica.errors import MissingDependency
from tactica.llm.plm.chat_template import SPECIAL_TOKEN_NAMES, ChatTemplate, ChatTemplateError

__all__ = [
    "PLMTokenizer",
    "train_bpe",
    "CHATML_TEMPLATE",
    "SPECIAL_TOKENS",
    "SPLITS",
    "ROLE_HEADERS",
    "CHAT_TEMPLATE_FILE",
]

# transformers >= 4.43 may save the template in its own file instead of tokenizer_config.json
CHAT_TEMPLATE_FILE = "chat_template.jinja"

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
        self._source: tuple[Path, str] | None = None
        self._template_cache: tuple[Any, ChatTemplate | None] | None = None
        self.chat_template()  # compile and check now: a refused template fails the load, not a request

    # ------------------------------------------------------------------ files
    @classmethod
    def from_pretrained(cls, directory: str | Path) -> PLMTokenizer:
        directory = Path(directory)
        path = directory / "tokenizer.json"
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer.json in {directory}")
        raw: dict[str, bytes] = {}
        # tokenizer.json can be megabytes: remember where it came from and its digest, not its bytes
        source = (path, hashlib.sha256(path.read_bytes()).hexdigest())
        config: dict[str, Any] = {}
        config_path = directory / "tokenizer_config.json"
        if config_path.is_file():
            raw["tokenizer_config.json"] = config_path.read_bytes()
            config = json.loads(raw["tokenizer_config.json"])
            if not isinstance(config, dict):
                raise ValueError(f"{config_path} must hold a JSON object")
        template_path = directory / CHAT_TEMPLATE_FILE
        if template_path.is_file():
            raw[CHAT_TEMPLATE_FILE] = template_path.read_bytes()
            config["chat_template"] = raw[CHAT_TEMPLATE_FILE].decode("utf-8")
        try:
            tok = cls(_tokenizers().Tokenizer.from_file(str(path)), config)
        except ChatTemplateError as exc:
            raise ChatTemplateError(f"{directory}: {exc}") from None
        tok._raw = raw
        tok._source = source
        return tok

    def _original_tokenizer_json(self) -> bytes | None:
        """The bytes of the tokenizer.json this tokenizer was loaded from, if that file is unchanged."""
        if self._source is None:
            return None
        path, digest = self._source
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``tokenizer.json`` and ``tokenizer_config.json`` (the loaded bytes when unchanged)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        original = self._original_tokenizer_json()
        if original is not None:  # the loaded file, byte for byte
            (directory / "tokenizer.json").write_bytes(original)
        else:
            self.tokenizer.save(str(directory / "tokenizer.json"))
        config = dict(self.config)
        raw_template = self._raw.get(CHAT_TEMPLATE_FILE)
        if raw_template is not None and config.get("chat_template") == raw_template.decode("utf-8"):
            (directory / CHAT_TEMPLATE_FILE).write_bytes(raw_template)
            config.pop("chat_template")  # it came from its own file, not from tokenizer_config.json
        raw_config = self._raw.get("tokenizer_config.json")
        if raw_config is not None and json.loads(raw_config) == config:
            (directory / "tokenizer_config.json").write_bytes(raw_config)
        else:
            text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
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

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens that are set (``bos_token``, ``eos_token``...), as transformers lists them."""
        return {name: value for name in SPECIAL_TOKEN_NAMES if isinstance(value := self._special(name), str)}

    def chat_template(self) -> ChatTemplate | None:
        """The compiled ``chat_template`` (``None`` for ChatML or no template, which render natively).

        A template stored as a list of named templates (transformers' multi-template form) uses ``default``.

        Raises:
            ChatTemplateError: the template does not parse or is refused as unsafe.
        """
        source = self.config.get("chat_template")
        key = (
            source if isinstance(source, str) else json.dumps(source),
            tuple(self.special_tokens_map.items()),
        )
        if self._template_cache is not None and self._template_cache[0] == key:
            return self._template_cache[1]
        if isinstance(source, list):
            named = {t.get("name"): t.get("template") for t in source if isinstance(t, dict)}
            if "default" not in named:
                raise ChatTemplateError(
                    f"chat_template lists {sorted(map(str, named))} but no 'default' template"
                )
            source = named["default"]
        compiled = None
        if source is not None and source != CHATML_TEMPLATE:
            compiled = ChatTemplate(source, self.special_tokens_map)
        self._template_cache = (key, compiled)
        return compiled

    def apply_chat_template(
        self,
        messages: Sequence[dict],
        add_generation_prompt: bool = True,
        *,
        tools: Sequence[dict] | None = None,
        documents: Sequence[dict] | None = None,
        **variables: Any,
    ) -> str:
        """Render chat messages as the model's prompt text, as transformers' ``apply_chat_template`` would.

        ChatML (PLM's template and ours; also used when the tokenizer has no template) is rendered natively;
        any other template runs in the sandbox of :class:`~tactica.llm.plm.chat_template.ChatTemplate`.
        ``variables`` are extra template variables (``date_string``, ``enable_thinking``...).

        Raises:
            ChatTemplateRenderError: the template rejected the messages (its ``raise_exception``).
        """
        template = self.chat_template()
        if template is None:
            return _render_chatml(messages, add_generation_prompt)
        return template.render(
            messages,
            add_generation_prompt=add_generation_prompt,
            tools=tools,
            documents=documents,
            **variables,
        )


#: How :func:`train_bpe` cuts text before merging: GPT-2's word regex, at line breaks only, at line breaks and
#: around every digit, or at line breaks and around the value that ends a ``name: value`` line.
SPLITS = ("words", "lines", "lines-digits", "lines-values")

#: The value of a ``- Mineral: 215`` or ``- Game time: 02:10`` line: digits and colons after ``": "``, up to the
#: line break.
_LINE_VALUE = r"(?<=: )[\d:]+(?=\n)"

#: ChatML's role headers (what follows ``<|im_start|>``): whole tokens of a ``split="lines"`` tokenizer.
ROLE_HEADERS = ("system\n", "user\n", "assistant\n")


def train_bpe(
    texts: Iterable[str], vocab_size: int = 2048, *, min_frequency: int = 2, split: str = "words"
) -> PLMTokenizer:
    """Train a byte-level BPE tokenizer (GPT-2/Qwen2 style) with ChatML special tokens on ``texts``.

    ``split="words"`` cuts text into words first (GPT-2's regex), as PLM's tokenizer does.  ``split="lines"``
    cuts only at line breaks, so merges may span words: text that repeats line for line (an agent's prompt, a
    game's state summary, code) becomes a few tokens per line, which shortens the sequences of a model trained
    on such transcripts several-fold.  Each line keeps its line break at its end, and the ChatML role headers
    (``system\n``, ``user\n``, ``assistant\n``, which the message texts never contain) are added as whole
    tokens, so the generation prompt ``<|im_start|>assistant\n`` ends in a token of its own rather than in a bare
    line break that also ends most replies: a small model would otherwise read the header's line break as a
    reply's end and answer ``<|im_end|>`` at once.  ``split="lines-digits"`` is ``"lines"`` with every digit a
    token of its own (as LLaMA's tokenizer splits numbers): a game state's line ``- Supply cap: 15`` becomes
    ``- Supply cap: ``, ``1``, ``5``, so the model reads every number digit by digit in the same place instead
    of as whichever line-and-digit merges the corpus happened to make frequent.  ``split="lines-values"`` is
    ``"lines"`` with the number that ends a ``name: value`` line cut out of it: ``- Mineral: 215`` becomes
    ``- Mineral: ``, the value's own tokens and the line break, so the name is one token wherever the value
    changes and a value is the same tokens in every line, while the rest of a line (an action dictionary's
    ``0: <TRAIN PROBE>, 1: ...``, a decision ``0: <BUILD PYLON>``) still merges whole.  A TextSC2 chat is
    about twice as long as with ``"lines"`` and still fits 1,024 tokens.
    """
    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + specials)")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    tk = _tokenizers()
    tokenizer = tk.Tokenizer(tk.models.BPE())
    if split != "words":
        numbers = {
            "lines": [],
            "lines-digits": [tk.pre_tokenizers.Digits(individual_digits=True)],
            "lines-values": [tk.pre_tokenizers.Split(tk.Regex(_LINE_VALUE), "isolated")],
        }[split]
        tokenizer.pre_tokenizer = tk.pre_tokenizers.Sequence(
            [
                tk.pre_tokenizers.Split(tk.Regex(r"\n+"), "merged_with_previous"),
                *numbers,
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
    if split != "words":
        tokenizer.add_tokens([tk.AddedToken(header, normalized=False) for header in ROLE_HEADERS])
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 4096,
        "chat_template": CHATML_TEMPLATE,
    }
    return PLMTokenizer(tokenizer, config)
