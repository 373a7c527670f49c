"""An OpenAI-compatible HTTP server for a :class:`~tactica.llm.runtime.runtime.PLMRuntime` (standard library).

Endpoints: ``POST /v1/chat/completions`` and ``POST /v1/completions`` (JSON, or server-sent events with
``stream: true``), ``GET /v1/models``, ``GET /v1/models/{id}`` and ``GET /health``.

Every request gets an HTTP status and, for errors, OpenAI's body ``{"error": {"message", "type", "param",
"code"}}``; nothing closes a connection without an answer:

* 400 an invalid request (``param`` names the field), a malformed ``Content-Length`` or chunked body, a prompt
  or ``prompt + max_tokens`` beyond the context (``code: context_length_exceeded``), messages the model's chat
  template rejects (its ``raise_exception``);
* 401 a missing or wrong API key (``Authorization: Bearer KEY``, the scheme in any case);
* 404 an unknown model or path; 405 an unsupported method; 408 a body that does not arrive within the read
  timeout; 411 a POST without ``Content-Length`` or chunked encoding; 413 a body over the size limit;
  431/414 oversized headers or request line; 501 a transfer coding other than chunked; 503 too many requests
  in flight;
* 500 anything unexpected: the body carries a request id, and the traceback is logged with it (logger
  ``tactica.llm.runtime.server``).  Every response has an ``X-Request-Id`` header.

Idle connections and slow bodies are dropped after ``read_timeout`` seconds.  Generation runs on the runtime's
continuous-batching scheduler (:mod:`.batching`): concurrent requests are decoded together, each with its own
cache, and prompts that share a prefix with a recent one (a repeated system prompt) reuse its cache.  Sampling
defaults come from the checkpoint's ``generation_config.json`` when a request leaves them out.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tactica.llm.plm.chat_template import ChatTemplateError, ChatTemplateRenderError
from tactica.llm.runtime.generate import Generation, SamplingParams
from tactica.llm.runtime.runtime import PLMRuntime

__all__ = ["PLMServer", "APIError", "parse_chat_request", "parse_completion_request"]

logger = logging.getLogger(__name__)

_ROLES = ("system", "user", "assistant", "tool", "developer")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class APIError(Exception):
    """An error answered with an OpenAI-style body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code
        self.headers = headers or {}

    @property
    def type(self) -> str:
        if self.status >= 500:
            return "server_error"
        return {401: "authentication_error", 404: "not_found_error"}.get(self.status, "invalid_request_error")

    def body(self) -> dict:
        return {"error": {"message": str(self), "type": self.type, "param": self.param, "code": self.code}}


# ---------------------------------------------------------------------------------------------- parsing
def _content_text(content: Any, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise APIError(400, f"messages[{index}].content parts must be {{'type': 'text', 'text': str}}",
                               param=f"messages[{index}].content")  # fmt: skip
            parts.append(part["text"])
        return "".join(parts)
    raise APIError(400, f"messages[{index}].content must be a string or a list of text parts",
                   param=f"messages[{index}].content")  # fmt: skip


def _number(
    body: dict, key: str, default: float, low: float, high: float, *, low_open: bool = False
) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise APIError(400, f"'{key}' must be a finite number", param=key)
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise APIError(400, f"'{key}' must lie in {bracket}{low}, {high}], got {value}", param=key)
    return float(value)


def _integer(body: dict, key: str, low: int, high: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise APIError(400, f"'{key}' must be an integer in [{low}, {high}]", param=key)
    return value


def _sampling(body: Any, *, max_tokens_limit: int, default_max_tokens: int | None, max_n: int,
              defaults: SamplingParams | None) -> dict:  # fmt: skip
    """The fields chat and completions share: sampling parameters, n, stream, stop, seed, max_tokens."""
    if not isinstance(body, dict):
        raise APIError(400, "the request body must be a JSON object")
    if "model" in body and not isinstance(body["model"], str):
        raise APIError(400, "'model' must be a string", param="model")
    defaults = defaults or SamplingParams(temperature=1.0)
    temperature = _number(body, "temperature", defaults.temperature, 0.0, 2.0)
    top_p = _number(body, "top_p", defaults.top_p, 0.0, 1.0, low_open=True)
    top_k = _integer(body, "top_k", 0, 1 << 20)
    key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    max_tokens = _integer(body, key, 1, max_tokens_limit)
    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > 4 or any(not isinstance(s, str) or not s for s in stop):
        raise APIError(400, "'stop' must be a non-empty string or a list of up to 4 of them", param="stop")
    n = _integer(body, "n", 1, max_n) or 1
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise APIError(400, "'seed' must be an integer", param="seed")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise APIError(400, "'stream' must be a boolean", param="stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise APIError(400, "'stream_options' must be an object", param="stream_options")
    for name in ("presence_penalty", "frequency_penalty"):
        if _number(body, name, 0.0, -2.0, 2.0) != 0.0:
            raise APIError(400, f"'{name}' is not supported by this server (use 0)", param=name)
    if body.get("logit_bias"):
        raise APIError(400, "'logit_bias' is not supported by this server", param="logit_bias")
    params = SamplingParams(
        temperature=temperature,
        top_p=top_p,
        top_k=defaults.top_k if top_k is None else top_k,
        seed=seed,
        max_new_tokens=max_tokens
        if max_tokens is not None
        else max(1, min(default_max_tokens or 256, max_tokens_limit)),
        stop=tuple(stop),
        repetition_penalty=defaults.repetition_penalty,
    )
    return {
        "params": params,
        "max_tokens_given": max_tokens is not None,
        "max_tokens_key": key,
        "n": n,
        "stream": stream,
        "include_usage": bool(options.get("include_usage", False)),
        "model": body.get("model"),
    }


def parse_chat_request(
    body: Any,
    *,
    max_tokens_limit: int,
    default_max_tokens: int | None,
    max_n: int = 8,
    defaults: SamplingParams | None = None,
) -> dict:
    """Validate a chat-completions request; returns messages, sampling params, n, stream and include_usage."""
    if not isinstance(body, dict):
        raise APIError(400, "the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise APIError(
            400, "'messages' must be a non-empty list of {'role', 'content'} objects", param="messages"
        )
    checked = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise APIError(
                400, f"messages[{i}].role must be one of {', '.join(_ROLES)}", param=f"messages[{i}].role"
            )
        checked.append({"role": message["role"], "content": _content_text(message.get("content"), i)})
    if body.get("logprobs"):
        raise APIError(400, "logprobs are not supported by this server", param="logprobs")
    if body.get("tools"):
        raise APIError(400, "tool calling is not supported by this server", param="tools")
    request = _sampling(body, max_tokens_limit=max_tokens_limit, default_max_tokens=default_max_tokens,
                        max_n=max_n, defaults=defaults)  # fmt: skip
    request["messages"] = checked
    return request


def parse_completion_request(
    body: Any,
    *,
    max_tokens_limit: int,
    max_n: int = 8,
    defaults: SamplingParams | None = None,
    vocab_size: int | None = None,
) -> dict:
    """Validate a (legacy) completions request: ``prompt`` is a string, a list of token ids, or a list holding one
    of them; ``max_tokens`` defaults to 16 as in OpenAI's API; ``echo`` repeats the prompt in the text."""
    if not isinstance(body, dict):
        raise APIError(400, "the request body must be a JSON object")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], (str, list)):
        prompt = prompt[0]
    if isinstance(prompt, list):
        limit = vocab_size or (1 << 31)
        if not prompt or any(
            isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < limit for t in prompt
        ):
            raise APIError(400, f"'prompt' token ids must be integers in [0, {limit})", param="prompt")
    elif not isinstance(prompt, str) or not prompt:
        raise APIError(400, "'prompt' must be a non-empty string, a list of token ids, or a list holding one "
                            "of them (batches of prompts are not supported)", param="prompt")  # fmt: skip
    for name in ("suffix", "logprobs"):
        if body.get(name) is not None:
            raise APIError(400, f"'{name}' is not supported by this server", param=name)
    best_of = body.get("best_of")
    if best_of is not None and best_of != body.get("n", 1):
        raise APIError(400, "'best_of' is not supported by this server", param="best_of")
    echo = body.get("echo", False)
    if not isinstance(echo, bool):
        raise APIError(400, "'echo' must be a boolean", param="echo")
    request = _sampling(body, max_tokens_limit=max_tokens_limit, default_max_tokens=16, max_n=max_n,
                        defaults=defaults)  # fmt: skip
    request["prompt"] = prompt
    request["echo"] = echo
    return request


def _delta(index: int, delta: dict, finish_reason: str | None = None) -> dict:
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}


def _usage(prompt: int, completion: int, cached: int = 0) -> dict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


# ---------------------------------------------------------------------------------------------- handler
class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "tactica-plm"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.owner.read_timeout  # applied to the socket by StreamRequestHandler.setup
        super().setup()
        self.request_id = ""
        self._sent_headers = False
        self._drain = 0

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if self.server.owner.verbose:
            logger.info("%s %s - " + format, self.address_string(), self.request_id or "-", *args)

    # ------------------------------------------------------------------ plumbing
    def handle_one_request(self) -> None:
        """http.server's request loop, answering a request that stalls after its first line with 408."""
        self.request_id = f"req_{uuid.uuid4().hex[:16]}"
        self._sent_headers = False
        self.raw_requestline = b""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            method = getattr(self, f"do_{self.command}", None)
            if method is None:
                self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command!r} is not supported")
                return
            method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if (
                not self._sent_headers
            ):  # a request started and stalled: say so; an idle connection just closes
                self._try_send_error(
                    APIError(408, f"the request did not arrive within {self.server.owner.read_timeout:g} s")
                )
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_response(self, code, message=None) -> None:
        super().send_response(code, message)
        self.send_header("X-Request-Id", self.request_id)
        self._sent_headers = True

    def send_error(self, code, message=None, explain=None) -> None:
        """http.server's own errors (bad request line, oversized headers...) as OpenAI-shaped JSON."""
        status = HTTPStatus(code)
        self.close_connection = True
        if not str(getattr(self, "request_version", "")).startswith("HTTP/1."):
            self.request_version = "HTTP/1.1"  # answer with a status line, never as HTTP/0.9 (body only)
        self._send_json(int(code), APIError(int(code), message or status.phrase).body())

    def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _try_send_error(self, error: APIError) -> None:
        try:
            self._send_json(error.status, error.body(), error.headers)
        except OSError:
            pass

    def _dispatch(self, route) -> None:
        """Run ``route``; every failure becomes a JSON answer (or an in-band error once streaming began)."""
        owner = self.server.owner
        if not owner._slots.acquire(blocking=False):
            self.close_connection = True
            self._drain_body_quietly()
            self._try_send_error(APIError(503, "the server has too many requests in flight; retry shortly",
                                          headers={"Retry-After": "1"}))  # fmt: skip
            self._drain_rest()
            return
        try:
            route()
        except APIError as error:
            if error.status >= 500:
                logger.error("request %s failed: %s", self.request_id, error)
            if self._sent_headers:
                self.close_connection = True
            else:
                self._try_send_error(error)
        except TimeoutError:
            raise
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            logger.exception(
                "request %s (%s %s) failed unexpectedly", self.request_id, self.command, self.path
            )
            self.close_connection = True
            if not self._sent_headers:
                self._try_send_error(APIError(500, f"internal server error (request id {self.request_id})",
                                              code="internal_error"))  # fmt: skip
        finally:
            owner._slots.release()
            self._drain_rest()

    def _drain_rest(self) -> None:
        """After answering early (413), read what the client still sends so it can read our answer."""
        remaining, self._drain = self._drain, 0
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    def _drain_body_quietly(self) -> None:
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= self.server.owner.max_body_bytes:
            self._drain = int(length)

    def _authorise(self) -> None:
        key = self.server.owner.api_key
        if key is None:
            return
        scheme, _, token = self.headers.get("Authorization", "").strip().partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else ""
        if not hmac.compare_digest(given.encode(), key.encode()):
            raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")

    def _read_body(self) -> bytes:
        limit = self.server.owner.max_body_bytes
        codings = [
            c.strip().lower() for v in self.headers.get_all("Transfer-Encoding", []) for c in v.split(",")
        ]
        codings = [c for c in codings if c]
        lengths = [v.strip() for v in self.headers.get_all("Content-Length", [])]
        if codings:
            if lengths:  # ambiguous framing (a request-smuggling pattern): refuse, and drop the connection
                self.close_connection = True
                raise APIError(400, "a request may not carry both Transfer-Encoding and Content-Length")
            if codings != ["chunked"]:
                self.close_connection = True
                raise APIError(
                    501, f"Transfer-Encoding {', '.join(codings)!r} is not supported; accepted: chunked"
                )
            return self._read_chunked(limit)
        if not lengths:
            self.close_connection = True
            raise APIError(411, "a POST request needs a Content-Length header or Transfer-Encoding: chunked")
        if len(set(lengths)) > 1 or not lengths[0].isascii() or not lengths[0].isdigit():
            self.close_connection = True  # the body's end is unknown, so the connection cannot be reused
            raise APIError(
                400, f"Content-Length must be one non-negative integer, got {', '.join(lengths)!r}"
            )
        length = int(lengths[0])
        if length > limit:
            self.close_connection = True
            self._drain = length if length <= 64 * limit else 0
            raise APIError(413, f"request body of {length} bytes exceeds the limit of {limit} bytes")
        data = self.rfile.read(length)
        if len(data) < length:
            self.close_connection = True
            raise APIError(
                400, f"the body ended after {len(data)} of the {length} bytes of its Content-Length"
            )
        return data

    def _read_chunked(self, limit: int) -> bytes:
        parts, total = [], 0
        while True:
            line = self.rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _HEX.fullmatch(size_text):
                self.close_connection = True
                raise APIError(400, f"malformed chunk size line {line[:40]!r} in a chunked body")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(64):  # trailer fields, then the blank line
                    trailer = self.rfile.readline(8194)
                    if trailer in (b"\r\n", b"\n", b""):
                        return b"".join(parts)
                self.close_connection = True
                raise APIError(400, "too many trailer fields in a chunked body")
            total += size
            if total > limit:
                self.close_connection = True
                raise APIError(413, f"chunked request body exceeds the limit of {limit} bytes")
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.read(2) not in (b"\r\n",):
                self.close_connection = True
                raise APIError(400, "a chunk of the chunked body is shorter than its size or lacks its CRLF")
            parts.append(data)

    @staticmethod
    def _decode(raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise APIError(400, f"the request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise APIError(400, "the request body is nested too deeply") from None

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch(self._post)

    def _not_allowed(self) -> None:
        self._drain_body_quietly()
        self.close_connection = True
        raise APIError(
            405, f"method {self.command} is not allowed; use GET or POST", headers={"Allow": "GET, POST"}
        )

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch(self._not_allowed)

    do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_PUT  # noqa: N815

    def _get(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            self._send_json(200, {"status": "ok", "model": owner.model_id})
            return
        self._authorise()
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [owner.model_card()]})
        elif path == f"/v1/models/{owner.model_id}":
            self._send_json(200, owner.model_card())
        elif path.startswith("/v1/models/"):
            raise APIError(
                404, f"The model '{path[11:]}' does not exist", param="model", code="model_not_found"
            )
        else:
            raise APIError(404, f"no route GET {path}")

    def _post(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0].rstrip("/")
        body = (
            self._read_body()
        )  # read before anything can fail, so an error answer leaves the connection reusable
        self._authorise()
        if path == "/v1/chat/completions":
            request = parse_chat_request(self._decode(body), max_tokens_limit=owner.max_tokens_limit,
                                         default_max_tokens=owner.default_max_tokens, defaults=owner.defaults)  # fmt: skip
            self._check_model(request["model"])
            try:
                prompt_ids = owner.runtime.chat_prompt_ids(request["messages"])
            except ChatTemplateRenderError as exc:
                raise APIError(400, str(exc), param="messages") from None
            except ChatTemplateError as exc:
                raise APIError(
                    500, f"the model's chat template failed: {exc} (request id {self.request_id})"
                ) from None
            self._budget(request, prompt_ids, "messages")
            self._respond(request, prompt_ids, chat=True)
        elif path == "/v1/completions":
            request = parse_completion_request(self._decode(body), max_tokens_limit=owner.max_tokens_limit,
                                               defaults=owner.defaults, vocab_size=owner.runtime.engine.config.vocab_size)  # fmt: skip
            self._check_model(request["model"])
            prompt = request["prompt"]
            prompt_ids = list(prompt) if isinstance(prompt, list) else owner.runtime.tokenizer.encode(prompt)
            if not prompt_ids:
                raise APIError(400, "the prompt encodes to no tokens", param="prompt")
            self._budget(request, prompt_ids, "prompt")
            self._respond(request, prompt_ids, chat=False)
        else:
            raise APIError(404, f"no route POST {path}")

    def _check_model(self, model: str | None) -> None:
        owner = self.server.owner
        if model not in (None, owner.model_id):
            raise APIError(404, f"The model '{model}' does not exist; this server serves '{owner.model_id}'",
                           param="model", code="model_not_found")  # fmt: skip

    def _budget(self, request: dict, prompt_ids: list[int], what: str) -> None:
        """Refuse a prompt or prompt + max_tokens beyond the context, as OpenAI does (never cut silently)."""
        context = self.server.owner.runtime.context_length
        params: SamplingParams = request["params"]
        room = context - len(prompt_ids)
        if room < 1 or (request["max_tokens_given"] and params.max_new_tokens > room):
            asked = params.max_new_tokens if request["max_tokens_given"] else 1
            raise APIError(400, f"This model's maximum context length is {context} tokens. However, you requested "
                                f"{len(prompt_ids) + asked} tokens ({len(prompt_ids)} in the {what}, {asked} in the "
                                f"completion). Please reduce the length of the {what} or completion.",
                           param=what if room < 1 else request["max_tokens_key"], code="context_length_exceeded")  # fmt: skip
        if not request["max_tokens_given"]:
            params.max_new_tokens = min(params.max_new_tokens, room)

    # ------------------------------------------------------------------ completions
    def _choice_params(self, request: dict, index: int) -> SamplingParams:
        params: SamplingParams = request["params"]
        return params.with_seed(None if params.seed is None else params.seed + index)

    def _start(self, request: dict, prompt_ids: list[int]) -> list[tuple[Generation, Iterator[str]]]:
        owner = self.server.owner
        runs = []
        for index in range(request["n"]):
            result = Generation()
            params = self._choice_params(request, index)
            if owner.batching:
                pieces = owner.runtime.scheduler(owner.max_batch).submit(prompt_ids, params, result)
            else:
                pieces = owner.runtime.stream(prompt_ids, params, result)
            runs.append((result, pieces))
        return runs

    def _respond(self, request: dict, prompt_ids: list[int], *, chat: bool) -> None:
        owner = self.server.owner
        runs = self._start(request, prompt_ids)
        prefix = ""
        if not chat and request["echo"]:
            prompt = request["prompt"]
            prefix = prompt if isinstance(prompt, str) else owner.runtime.tokenizer.decode(prompt)
        if request["stream"]:
            self._stream(request, prompt_ids, runs, chat, prefix)
            return
        choices, completion_tokens = [], 0
        try:
            for index, (result, pieces) in enumerate(runs):
                for _ in pieces:
                    pass
                completion_tokens += result.completion_tokens
                if chat:
                    choice = {"index": index, "message": {"role": "assistant", "content": result.text}}
                else:
                    choice = {"index": index, "text": prefix + result.text}
                choices.append(choice | {"finish_reason": result.finish_reason, "logprobs": None})
        finally:
            for _, pieces in runs:
                pieces.close()
        self._send_json(
            200,
            {
                "id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}",
                "object": "chat.completion" if chat else "text_completion",
                "created": int(time.time()),
                "model": owner.model_id,
                "system_fingerprint": owner.fingerprint,
                "choices": choices,
                "usage": _usage(len(prompt_ids), completion_tokens, runs[0][0].cached_tokens),
            },
        )

    def _stream(self, request: dict, prompt_ids: list[int], runs, chat: bool, prefix: str) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        base = {
            "id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": int(time.time()),
            "model": owner.model_id,
            "system_fingerprint": owner.fingerprint,
        }

        def event(choices: list, **extra) -> bytes:
            return f"data: {json.dumps(base | {'choices': choices} | extra)}\n\n".encode()

        def piece(index: int, text: str, finish: str | None = None) -> dict:
            if chat:
                return _delta(index, {"content": text} if text or finish is None else {}, finish)
            return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}

        completion_tokens = 0
        try:
            for index, (result, pieces) in enumerate(runs):
                if chat:
                    self.wfile.write(event([_delta(index, {"role": "assistant", "content": ""})]))
                elif prefix:
                    self.wfile.write(event([piece(index, prefix)]))
                for text in pieces:
                    self.wfile.write(event([piece(index, text)]))
                    self.wfile.flush()
                completion_tokens += result.completion_tokens
                self.wfile.write(event([piece(index, "", result.finish_reason)]))
            if request["include_usage"]:
                self.wfile.write(
                    event([], usage=_usage(len(prompt_ids), completion_tokens, runs[0][0].cached_tokens))
                )
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client went away: the finally below stops generating for it
        except Exception as exc:  # noqa: BLE001 - reported in-band: the status line has already been sent
            logger.exception("request %s failed while streaming", self.request_id)
            message = {"error": {"message": f"generation failed: {exc} (request id {self.request_id})",
                                 "type": "server_error", "param": None, "code": "internal_error"}}  # fmt: skip
            try:
                self.wfile.write(f"data: {json.dumps(message)}\n\n".encode())
                self.wfile.flush()
            except OSError:
                pass
        finally:
            for _, pieces in runs:
                pieces.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's default backlog of 5 refuses bursts of concurrent clients
    owner: PLMServer


class PLMServer:
    """Serve a :class:`PLMRuntime` over OpenAI's chat-completions and completions APIs.

    Args:
        runtime: the loaded model.
        host, port: where to listen (``port=0`` picks a free port; read it back from :attr:`port`).
        api_key: if set, every ``/v1`` request must send ``Authorization: Bearer <api_key>``.
        model_id: the name reported by ``/v1/models`` and accepted in requests (default: the runtime's name).
        max_body_bytes: larger request bodies are refused with 413.
        max_tokens_limit: the largest ``max_tokens`` accepted (default: the context length).
        default_max_tokens: chat replies' length when a request names none (default: ``generation_config.json``'s
            ``max_new_tokens``, else 256), cut to the room left in the context.
        read_timeout: seconds a connection may stay idle, or a request take to arrive, before it is dropped.
        batching: decode concurrent requests together (continuous batching); ``False`` interleaves them one
            token at a time, each on its own.
        max_batch: the most requests decoded together.
        max_concurrent_requests: more requests in flight are answered 503.
    """

    def __init__(
        self,
        runtime: PLMRuntime,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        api_key: str | None = None,
        model_id: str | None = None,
        max_body_bytes: int = 1 << 20,
        max_tokens_limit: int | None = None,
        default_max_tokens: int | None = None,
        read_timeout: float = 30.0,
        batching: bool = True,
        max_batch: int = 32,
        max_concurrent_requests: int = 256,
        verbose: bool = False,
    ):
        if api_key is not None and not api_key:
            raise ValueError("api_key must be a non-empty string or None")
        if not read_timeout > 0:
            raise ValueError("read_timeout must be positive")
        self.runtime = runtime
        self.api_key = api_key
        self.model_id = model_id or runtime.name
        self.max_body_bytes = max_body_bytes
        self.max_tokens_limit = max_tokens_limit or runtime.context_length
        g = runtime.generation_config
        # OpenAI's default temperature is 1; a generation_config.json that sets sampling replaces it
        self.defaults = runtime.default_params(
            temperature=None if "do_sample" in g or "temperature" in g else 1.0
        )
        configured = runtime.generation_config.get("max_new_tokens")
        self.default_max_tokens = min(default_max_tokens or configured or 256, self.max_tokens_limit)
        self.read_timeout = read_timeout
        self.batching = batching
        self.max_batch = max_batch
        self.verbose = verbose
        self.fingerprint = f"tactica-plm-{runtime.engine.quantize or 'float'}"
        self._slots = threading.BoundedSemaphore(max_concurrent_requests)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the ``openai`` client (ends in ``/v1``)."""
        return f"http://{self.host}:{self.port}/v1"

    def model_card(self) -> dict:
        return {"id": self.model_id, "object": "model", "created": 0, "owned_by": "tactica"}

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def start(self) -> PLMServer:
        """Serve in a background thread (tests, notebooks); stop with :meth:`shutdown`."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="plm-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Release the listening socket after :meth:`serve_forever` has returned."""
        self._httpd.server_close()

    def shutdown(self) -> None:
        """Stop a server started with :meth:`start`."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.shutdown()
