"""A small OpenAI-compatible chat-completions server in front of any ChatModel.

It serves ``POST /v1/chat/completions`` (non-streaming) and ``GET /v1/models`` on loopback, answering with a
ChatModel such as a ``scripted:`` or ``replay:`` model.  Tests use it to exercise the ``openai:`` backend end to
end without a network; it can also put a recorded transcript behind an endpoint for tools that only speak HTTP.
It can inject failures (``fail_times`` error answers before succeeding) to test retries.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tactica.llm.base import ChatModel

__all__ = ["StubOpenAIServer"]


class StubOpenAIServer:
    """Serve ``model`` at ``http://127.0.0.1:<port>/v1``; use as a context manager.

    Args:
        model: the ChatModel that writes the replies.
        model_name: the name ``/v1/models`` lists and requests must use.
        api_key: when set, requests without ``Authorization: Bearer <api_key>`` get 401.
        fail_times: answer this many requests with ``fail_status`` first (to test retries).
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        model_name: str = "stub",
        api_key: str | None = None,
        fail_times: int = 0,
        fail_status: int = 500,
        port: int = 0,
    ):
        self.model = model
        self.model_name = model_name
        self.api_key = api_key
        self.fail_times = fail_times
        self.fail_status = fail_status
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> StubOpenAIServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubOpenAIServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, kind: str) -> None:
                self._send(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

            def _authorised(self) -> bool:
                if stub.api_key and self.headers.get("Authorization") != f"Bearer {stub.api_key}":
                    self._error(401, "Incorrect API key provided.", "invalid_request_error")
                    return False
                return True

            def do_GET(self):
                if not self._authorised():
                    return
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": stub.model_name, "object": "model"}]})
                else:
                    self._error(404, f"no route {self.path}", "not_found")

            def do_POST(self):
                if not self._authorised():
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._error(400, "the body is not JSON", "invalid_request_error")
                    return
                with stub._lock:
                    stub.requests.append(request)
                    failing = stub.fail_times > 0
                    if failing:
                        stub.fail_times -= 1
                if failing:
                    self._error(stub.fail_status, "injected failure", "server_error")
                    return
                if request.get("model") != stub.model_name:
                    self._error(
                        404, f"The model {request.get('model')!r} does not exist", "invalid_request_error"
                    )
                    return
                try:
                    with stub._lock:
                        reply = stub.model.chat(
                            request.get("messages", []),
                            temperature=request.get("temperature", 0.0),
                            max_tokens=request.get("max_tokens"),
                            stop=request.get("stop"),
                            seed=request.get("seed"),
                        )
                except (ValueError, TypeError) as exc:
                    self._error(400, str(exc), "invalid_request_error")
                    return
                except Exception as exc:  # the wrapped model failed: an OpenAI-style 500
                    self._error(500, f"{type(exc).__name__}: {exc}", "server_error")
                    return
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(stub.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": stub.model_name,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    },
                )

        return Handler
