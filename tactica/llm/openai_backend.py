"""A ChatModel over any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, ``tactica serve``...)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from tactica.errors import MissingDependency
from tactica.llm.base import ChatModelError, Message, validate_messages

__all__ = ["OpenAIChatModel"]


class OpenAIChatModel:
    """Chat completions through the official ``openai`` client.

    Args:
        model: the model name the endpoint serves.
        base_url: the endpoint, e.g. ``http://127.0.0.1:8000/v1``; default ``OPENAI_BASE_URL`` or OpenAI's.
        api_key: default ``OPENAI_API_KEY``; a local endpoint without keys gets a placeholder.
        timeout: seconds per request.
        max_retries: retries on connection errors, 408/409/429 and 5xx answers, with exponential backoff.

    Every failure (unreachable endpoint, error status, empty answer) raises :class:`ChatModelError` with the
    endpoint, the model and what went wrong.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
    ):
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - openai is a core dependency
            raise MissingDependency("openai", purpose="the openai backend") from exc
        if not model:
            raise ValueError("the openai backend needs a model name: openai:<model>@<base_url>")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=timeout, max_retries=max_retries
        )
        self.name = f"openai:{model}@{self.base_url}"

    @classmethod
    def from_spec(cls, argument: str, **options) -> OpenAIChatModel:
        """``<model>@<base_url>`` or ``<model>``."""
        model, _, base_url = argument.partition("@")
        return cls(model, base_url or None, **options)

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
        request: dict = {"model": self.model, "messages": checked, "temperature": temperature}
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        if stop:
            request["stop"] = list(stop)
        if seed is not None:
            request["seed"] = seed
        openai = self._openai
        where = f"{self.base_url} (model {self.model!r})"
        try:
            response = self._client.chat.completions.create(**request)
        except openai.APIConnectionError as exc:
            raise ChatModelError(f"cannot reach the endpoint {where}: {exc}") from None
        except openai.APIStatusError as exc:
            raise ChatModelError(
                f"the endpoint {where} answered HTTP {exc.status_code}: {_detail(exc)}"
            ) from None
        except openai.APIError as exc:
            raise ChatModelError(f"the endpoint {where} failed: {exc}") from None
        if not response.choices or response.choices[0].message is None:
            raise ChatModelError(f"the endpoint {where} returned no choices")
        return response.choices[0].message.content or ""


def _detail(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
    return str(exc)
