"""An OpenAI-compatible HTTP server for a :class:`~tactica.llm.runtime.runtime.PLMRuntime` (standard library).

Endpoints: ``POST /v1/chat/completions`` (JSON or server-sent events with ``stream: true``), ``GET /v1/models``,
``GET /v1/models/{id}`` and ``GET /health``.  Errors use OpenAI's body ``{"error": {"message", "type",
"param", "code"}}``: 400 for an invalid request, 401 for a missing or wrong API key, 404 for an unknown model
or path, 413 for an oversized body.  Each request runs in its own thread with its own cache; model steps are
serialised, so concurrent clients interleave without touching each other's state.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tactica.llm.runtime.generate import Generation, SamplingParams
from tactica.llm.runtime.runtime import PLMRuntime

__all__ = ["PLMServer", "APIError", "parse_chat_request"]

_ROLES = ("system", "user", "assistant", "tool", "developer")


class APIError(Exception):
    """An error answered with an OpenAI-style body."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code

    @property
    def type(self) -> str:
        return {401: "authentication_error", 404: "not_found_error"}.get(self.status, "invalid_request_error")

    def body(self) -> dict:
        return {"error": {"message": str(self), "type": self.type, "param": self.param, "code": self.code}}


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
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise APIError(400, f"'{key}' must be a number", param=key)
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise APIError(400, f"'{key}' must lie in {bracket}{low}, {high}], got {value}", param=key)
    return float(value)


def parse_chat_request(body: Any, *, max_tokens_limit: int, default_max_tokens: int, max_n: int = 8) -> dict:
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
    if "model" in body and not isinstance(body["model"], str):
        raise APIError(400, "'model' must be a string", param="model")
    temperature = _number(body, "temperature", 1.0, 0.0, 2.0)
    top_p = _number(body, "top_p", 1.0, 0.0, 1.0, low_open=True)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is None:
        max_tokens = default_max_tokens
    key = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    if (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 1 <= max_tokens <= max_tokens_limit
    ):
        raise APIError(400, f"'{key}' must be an integer in [1, {max_tokens_limit}]", param=key)
    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > 4 or any(not isinstance(s, str) or not s for s in stop):
        raise APIError(400, "'stop' must be a non-empty string or a list of up to 4 of them", param="stop")
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= max_n:
        raise APIError(400, f"'n' must be an integer in [1, {max_n}]", param="n")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise APIError(400, "'seed' must be an integer", param="seed")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise APIError(400, "'stream' must be a boolean", param="stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise APIError(400, "'stream_options' must be an object", param="stream_options")
    if body.get("logprobs"):
        raise APIError(400, "logprobs are not supported by this server", param="logprobs")
    if body.get("tools"):
        raise APIError(400, "tool calling is not supported by this server", param="tools")
    params = SamplingParams(temperature=temperature, top_p=top_p, seed=seed, max_new_tokens=max_tokens,
                            stop=tuple(stop))  # fmt: skip
    return {
        "messages": checked,
        "params": params,
        "n": n,
        "stream": stream,
        "include_usage": bool(options.get("include_usage", False)),
        "model": body.get("model"),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if self.server.owner.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing
    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, error: APIError) -> None:
        self._send_json(error.status, error.body())

    def _authorise(self) -> None:
        key = self.server.owner.api_key
        if key is None:
            return
        header = self.headers.get("Authorization", "")
        given = header[7:].strip() if header.startswith("Bearer ") else ""
        if not hmac.compare_digest(given.encode(), key.encode()):
            raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise APIError(400, "invalid Content-Length header") from None
        limit = self.server.owner.max_body_bytes
        if length > limit:
            self.close_connection = True
            if length <= 64 * limit:  # drain it, so the client finishes sending and reads our answer
                remaining = length
                while remaining > 0:
                    remaining -= len(self.rfile.read(min(remaining, 1 << 16)) or b"x" * remaining)
            raise APIError(413, f"request body of {length} bytes exceeds the limit of {limit} bytes")
        return self.rfile.read(length)

    @staticmethod
    def _decode(raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise APIError(400, f"the request body is not valid JSON: {exc}") from None

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        try:
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
        except APIError as error:
            self._send_error(error)

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server.owner
        try:
            path = self.path.split("?", 1)[0].rstrip("/")
            # read the body before anything can fail, so an error answer leaves the connection reusable
            body = self._read_body()
            self._authorise()
            if path != "/v1/chat/completions":
                raise APIError(404, f"no route POST {path}")
            request = parse_chat_request(
                self._decode(body),
                max_tokens_limit=owner.max_tokens_limit,
                default_max_tokens=owner.default_max_tokens,
            )
            model = request["model"]
            if model not in (None, owner.model_id):
                raise APIError(404, f"The model '{model}' does not exist; this server serves '{owner.model_id}'",
                               param="model", code="model_not_found")  # fmt: skip
            prompt_ids = owner.runtime.chat_prompt_ids(request["messages"])
            room = owner.runtime.context_length - len(prompt_ids)
            if room < 1:
                raise APIError(400, f"the prompt has {len(prompt_ids)} tokens; the context holds "
                                    f"{owner.runtime.context_length}", param="messages",
                               code="context_length_exceeded")  # fmt: skip
            if request["stream"]:
                self._stream(request, prompt_ids)
            else:
                self._complete(request, prompt_ids)
        except APIError as error:
            self._send_error(error)

    # ------------------------------------------------------------------ completions
    def _choice_params(self, request: dict, index: int) -> SamplingParams:
        params: SamplingParams = request["params"]
        seed = None if params.seed is None else params.seed + index
        return SamplingParams(params.temperature, params.top_p, seed, params.max_new_tokens, params.stop)

    def _complete(self, request: dict, prompt_ids: list[int]) -> None:
        owner = self.server.owner
        choices, completion_tokens = [], 0
        for index in range(request["n"]):
            result = Generation()
            for _ in owner.runtime.stream(prompt_ids, self._choice_params(request, index), result):
                pass
            completion_tokens += result.completion_tokens
            choices.append(
                {
                    "index": index,
                    "message": {"role": "assistant", "content": result.text},
                    "finish_reason": result.finish_reason,
                    "logprobs": None,
                }
            )
        self._send_json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": owner.model_id,
                "system_fingerprint": owner.fingerprint,
                "choices": choices,
                "usage": _usage(len(prompt_ids), completion_tokens),
            },
        )

    def _stream(self, request: dict, prompt_ids: list[int]) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": owner.model_id,
            "system_fingerprint": owner.fingerprint,
        }

        def event(choices: list, **extra) -> bytes:
            return f"data: {json.dumps(base | {'choices': choices} | extra)}\n\n".encode()

        completion_tokens = 0
        pieces: Iterator[str] | None = None
        try:
            for index in range(request["n"]):
                self.wfile.write(event([_delta(index, {"role": "assistant", "content": ""})]))
                result = Generation()
                pieces = owner.runtime.stream(prompt_ids, self._choice_params(request, index), result)
                for piece in pieces:
                    self.wfile.write(event([_delta(index, {"content": piece})]))
                    self.wfile.flush()
                completion_tokens += result.completion_tokens
                self.wfile.write(event([_delta(index, {}, result.finish_reason)]))
            if request["include_usage"]:
                self.wfile.write(event([], usage=_usage(len(prompt_ids), completion_tokens)))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            if pieces is not None:  # the client went away: stop generating for it
                pieces.close()  # type: ignore[union-attr]
        except Exception as exc:  # report in-band: the status line has already been sent
            message = {"error": {"message": f"generation failed: {exc}", "type": "server_error"}}
            try:
                self.wfile.write(f"data: {json.dumps(message)}\n\n".encode())
            except OSError:
                pass


def _delta(index: int, delta: dict, finish_reason: str | None = None) -> dict:
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}


def _usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: PLMServer


class PLMServer:
    """Serve a :class:`PLMRuntime` over OpenAI's chat-completions API.

    Args:
        runtime: the loaded model.
        host, port: where to listen (``port=0`` picks a free port; read it back from :attr:`port`).
        api_key: if set, every ``/v1`` request must send ``Authorization: Bearer <api_key>``.
        model_id: the name reported by ``/v1/models`` and accepted in requests (default: the runtime's name).
        max_body_bytes: larger request bodies are refused with 413.
        max_tokens_limit: the largest ``max_tokens`` accepted (default: the context length).
        default_max_tokens: used when a request names none.
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
        default_max_tokens: int = 256,
        verbose: bool = False,
    ):
        if api_key is not None and not api_key:
            raise ValueError("api_key must be a non-empty string or None")
        self.runtime = runtime
        self.api_key = api_key
        self.model_id = model_id or runtime.name
        self.max_body_bytes = max_body_bytes
        self.max_tokens_limit = max_tokens_limit or runtime.context_length
        self.default_max_tokens = min(default_max_tokens, self.max_tokens_limit)
        self.verbose = verbose
        self.fingerprint = f"tactica-plm-{runtime.engine.quantize or 'fp32'}"
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
