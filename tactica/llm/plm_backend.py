"""The ``plm:<checkpoint dir>`` backend: a PLM run in-process on tactica's edge runtime.

``plm:games``, ``plm:games-onuw`` and ``plm:games-aligned`` name tactica's game models where their checkpoints are
installed in the package (``games`` answers the calls of the ``cos``, ``llm-smac`` and ONUW agents; ``games-onuw``
knows ONUW's calls only; ``games-aligned`` is a joint model aligned on game outcomes; a name whose weights are
absent raises an error pointing to the recipe in ``docs/game_model.md``).

Spec options after the directory, separated by ``?`` and ``&``: ``quantize=int8|int4|int8-dynamic``, ``skip_zeros=1``
and ``refine_steps=N``, e.g. ``plm:runs/plm/checkpoint?quantize=int8``.  Keyword options to
:func:`tactica.llm.from_spec` do the same.  With ``refine_steps=N`` every reply is the model's answer refined N
times: the model is shown the question, its previous answer and the refinement request of
:mod:`tactica.llm.alignment.refine` (the template ARIES trains it on), and the last answer is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tactica.llm.base import ChatModelError, Message, validate_messages

__all__ = ["PLMChatModel"]

_TRUE = ("1", "true", "yes", "on")


class PLMChatModel:
    """A :class:`~tactica.llm.ChatModel` over :class:`~tactica.llm.runtime.PLMRuntime`.

    Args:
        directory: a PLM checkpoint directory (``config.json``, ``model.safetensors``, ``tokenizer.json``).
        quantize: ``None``, ``"int8"``, ``"int4"`` or ``"int8-dynamic"`` (see :mod:`tactica.llm.runtime.quant`).
        skip_zeros: skip the zero activations of the squared ReLU when decoding.
        max_tokens: the reply length when ``chat`` is called without ``max_tokens``.
        refine_steps: self-refinement rounds after the first answer (0: answer directly).

    ``default_temperature`` is the temperature the checkpoint's ``generation_config.json`` samples at (0.0, greedy,
    without the file); ``chat`` always decodes at the temperature it is given, with the file's ``top_p`` and
    ``top_k`` when it samples.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        quantize: str | None = None,
        skip_zeros: bool = False,
        max_tokens: int = 256,
        refine_steps: int = 0,
    ):
        from tactica.llm.plm.checkpoint import SHIPPED, resolve_checkpoint
        from tactica.llm.runtime import PLMRuntime

        if isinstance(refine_steps, bool) or not isinstance(refine_steps, int) or refine_steps < 0:
            raise ValueError(f"plm: refine_steps must be a non-negative int, got {refine_steps!r}")
        self.refine_steps = refine_steps
        directory = resolve_checkpoint(directory)
        if not (directory / "config.json").is_file():
            raise FileNotFoundError(f"plm: {directory} is not a PLM checkpoint directory (no config.json) nor a "
                                    f"shipped model ({', '.join(SHIPPED)})")  # fmt: skip
        self.runtime = PLMRuntime.from_pretrained(directory, quantize=quantize, skip_zeros=skip_zeros)
        self.default_max_tokens = max_tokens
        # The checkpoint's own decoding (generation_config.json): agents that leave the temperature to the
        # model (cos does by default) sample at this temperature, with the file's top_p / top_k.
        self.default_temperature = self.runtime.default_params().temperature
        options = [f"quantize={quantize}"] if quantize else []
        options += [f"refine_steps={refine_steps}"] if refine_steps else []
        self.name = f"plm:{directory.resolve()}" + ("?" + "&".join(options) if options else "")

    @classmethod
    def from_spec(cls, argument: str, **options) -> PLMChatModel:
        """``<dir>`` or ``<dir>?quantize=int8&skip_zeros=1``."""
        path, _, query = argument.partition("?")
        for item in filter(None, query.split("&")):
            key, sep, value = item.partition("=")
            if not sep or key not in ("quantize", "skip_zeros", "max_tokens", "refine_steps"):
                raise ValueError(f"plm spec option {item!r} is not understood; accepted: quantize=, skip_zeros=, "
                                 "max_tokens=, refine_steps=")  # fmt: skip
            if key == "skip_zeros":
                options[key] = value.lower() in _TRUE
            elif key in ("max_tokens", "refine_steps"):
                if not value.isdigit():
                    raise ValueError(f"plm spec option {key} takes a non-negative integer, got {value!r}")
                options[key] = int(value)
            else:
                options[key] = value
        return cls(path, **options)

    def chat(
        self,
        messages: Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> str:
        checked = validate_messages(messages)
        params = self.runtime.default_params(
            temperature=temperature,
            seed=seed,
            max_new_tokens=max_tokens if max_tokens is not None else self.default_max_tokens,
            stop=tuple(stop or ()),
        )
        try:
            answer = self.runtime.chat(checked, params).text
            if self.refine_steps:
                from tactica.llm.alignment.refine import refinement_messages

                for _ in range(self.refine_steps):
                    answer = self.runtime.chat(refinement_messages(checked, answer), params).text
            return answer
        except ValueError as exc:
            if "context" in str(exc):
                raise ChatModelError(f"{self.name}: {exc}") from None
            raise
