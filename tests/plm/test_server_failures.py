"""The server answers every malformed or unexpected request with an HTTP status and an OpenAI-shaped JSON body,
within a second; /v1/completions; generation_config.json; continuous batching and prefix reuse."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import time

import pytest

from tactica.llm.runtime import PLMRuntime, SamplingParams
from tactica.llm.runtime.server import PLMServer

from .chat_templates import MISTRAL
from .conftest import all_at_once

openai = pytest.importorskip("openai")

KEY = "k-123"
ANSWER_WITHIN = 1.0  # seconds: every malformed request is answered this fast


@pytest.fixture(scope="module")
def runtime(checkpoint_dir):
    return PLMRuntime.from_pretrained(checkpoint_dir, name="plm-test")


@pytest.fixture(scope="module")
def server(runtime):
    with PLMServer(runtime, port=0, api_key=KEY, read_timeout=0.5, max_body_bytes=4096) as srv:
        yield srv


def _raw(
    server, data: bytes, *, then: bytes = b"", wait: float = 0.0
) -> tuple[int, dict, dict | None, float]:
    """Send raw bytes; return (status, headers, JSON body or None, seconds until the answer was complete)."""
    start = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(data)
        if wait:
            time.sleep(wait)
            if then:
                sock.sendall(then)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    elapsed = time.monotonic() - start
    body = json.loads(rest[:length]) if length else None
    return status, headers, body, elapsed


def _post(path: str, body: bytes, *, headers: str = "", auth: str = f"Bearer {KEY}") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\n"
            f"{headers}\r\n").encode() + body  # fmt: skip


CHAT = json.dumps(
    {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "temperature": 0}
).encode()
NAN = b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}'  # json.loads accepts NaN


def _assert_openai_error(status, headers, body, elapsed, expected_status):
    assert status == expected_status, body
    assert elapsed < ANSWER_WITHIN
    assert headers["content-type"] == "application/json" and headers.get("x-request-id", "").startswith(
        "req_"
    )
    assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["message"]


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (_post("/v1/chat/completions", b"", headers="Content-Length: -1\r\n"), 400),
        (_post("/v1/chat/completions", b"", headers="Content-Length: abc\r\n"), 400),
        (_post("/v1/chat/completions", b"", headers="Content-Length: 1e3\r\n"), 400),
        (
            _post(
                "/v1/chat/completions", CHAT, headers=f"Content-Length: {len(CHAT)}\r\nContent-Length: 7\r\n"
            ),
            400,
        ),
        (_post("/v1/chat/completions", CHAT), 411),  # no length and not chunked
        (_post("/v1/chat/completions", b"", headers="Content-Length: 10000000\r\n"), 413),
        (_post("/v1/chat/completions", b"", headers="Transfer-Encoding: gzip\r\n"), 501),
        (
            _post(
                "/v1/chat/completions",
                b"0\r\n\r\n",
                headers="Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            ),
            400,
        ),
        (
            _post("/v1/chat/completions", b"zz\r\n{}\r\n0\r\n\r\n", headers="Transfer-Encoding: chunked\r\n"),
            400,
        ),
        (
            _post("/v1/chat/completions", b"5\r\n{}\r\n0\r\n\r\n", headers="Transfer-Encoding: chunked\r\n"),
            400,
        ),
        (_post("/v1/chat/completions", b"\xff\xfe", headers="Content-Length: 2\r\n"), 400),  # not UTF-8
        (_post("/v1/chat/completions", b"[" * 3000 + b"]" * 3000, headers="Content-Length: 6000\r\n"), 413),
        (_post("/v1/chat/completions", NAN, headers=f"Content-Length: {len(NAN)}\r\n"), 400),
        (_post("/v1/nowhere", b"{}", headers="Content-Length: 2\r\n"), 404),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /health HTTP/9.9\r\n\r\n", 505),
        (b"GET /health HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"PUT /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (
            _post("/v1/chat/completions", CHAT, headers=f"Content-Length: {len(CHAT)}\r\n", auth="Basic abc"),
            401,
        ),
    ],
)
def test_malformed_requests_get_a_status_and_json_error_within_a_second(server, request_bytes, status):
    _assert_openai_error(*_raw(server, request_bytes), status)


def test_deeply_nested_json_is_a_400(runtime):
    with PLMServer(runtime, port=0, read_timeout=0.5) as srv:
        nested = b"[" * 100_000 + b"]" * 100_000
        got = _raw(srv, _post("/v1/chat/completions", nested, headers=f"Content-Length: {len(nested)}\r\n"))
        _assert_openai_error(*got, 400)


def test_a_body_that_never_arrives_is_answered_408_after_the_read_timeout(server):
    partial = _post("/v1/chat/completions", CHAT[:10], headers=f"Content-Length: {len(CHAT)}\r\n")
    status, headers, body, elapsed = _raw(server, partial)
    assert status == 408 and body["error"]["type"] == "invalid_request_error"
    assert server.read_timeout <= elapsed < server.read_timeout + ANSWER_WITHIN


def test_idle_connections_are_closed_after_the_read_timeout(server):
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        start = time.monotonic()
        assert sock.recv(1024) == b""  # the server hangs up; it holds no thread for it
        assert time.monotonic() - start < server.read_timeout + ANSWER_WITHIN


def test_chunked_bodies_are_read(server, runtime):
    chunks = b"".join(
        f"{len(CHAT[i : i + 7]):x}\r\n".encode() + CHAT[i : i + 7] + b"\r\n" for i in range(0, len(CHAT), 7)
    )
    status, _, body, elapsed = _raw(server, _post("/v1/chat/completions", chunks + b"0\r\n\r\n",
                                                  headers="Transfer-Encoding: chunked\r\n"))  # fmt: skip
    assert status == 200 and elapsed < 5
    expected = runtime.chat([{"role": "user", "content": "hi"}], SamplingParams(max_new_tokens=3))
    assert body["choices"][0]["message"]["content"] == expected.text


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_case_insensitive(server, scheme):
    status, _, body, _ = _raw(server, _post("/v1/chat/completions", CHAT, headers=f"Content-Length: {len(CHAT)}\r\n",
                                            auth=f"{scheme} {KEY}"))  # fmt: skip
    assert status == 200, body


def test_max_tokens_beyond_the_context_is_a_400(server, runtime):
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=30)
    words = 1
    while (
        runtime.context_length - len(runtime.chat_prompt_ids([{"role": "user", "content": "rock " * words}]))
        > 6
    ):
        words += 1  # a prompt that leaves a few tokens of room
    messages = [{"role": "user", "content": "rock " * words}]
    prompt = len(runtime.chat_prompt_ids(messages))
    room = runtime.context_length - prompt
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="plm-test", messages=messages, max_tokens=room + 1)
    assert info.value.body["code"] == "context_length_exceeded" and info.value.body["param"] == "max_tokens"
    assert f"{prompt} in the messages, {room + 1} in the completion" in info.value.body["message"]
    ok = client.chat.completions.create(model="plm-test", messages=messages, max_tokens=room, temperature=0)
    assert ok.usage.completion_tokens <= room
    unbounded = client.chat.completions.create(model="plm-test", messages=messages, temperature=0)
    assert unbounded.usage.completion_tokens <= room  # no max_tokens: the room left, as OpenAI does
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="plm-test", messages=[{"role": "user", "content": "rock " * 600}]
        )
    assert info.value.body["code"] == "context_length_exceeded" and info.value.body["param"] == "messages"


def test_an_unexpected_error_is_a_500_with_a_logged_request_id(server, runtime, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(runtime, "chat_prompt_ids", boom)
    caplog.set_level(logging.ERROR, logger="tactica.llm.runtime.server")
    status, headers, body, elapsed = _raw(server, _post("/v1/chat/completions", CHAT,
                                                        headers=f"Content-Length: {len(CHAT)}\r\n"))  # fmt: skip
    assert status == 500 and elapsed < ANSWER_WITHIN
    request_id = headers["x-request-id"]
    assert body["error"]["type"] == "server_error" and request_id in body["error"]["message"]
    assert "disk caught fire" not in body["error"]["message"]  # details stay in the log
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None and "disk caught fire" in str(logged[0].exc_info[1])
    # the openai client sees a server error, not a dropped connection it would retry
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=30)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="plm-test", messages=[{"role": "user", "content": "hi"}], max_tokens=2
        )


def test_a_template_raise_exception_is_a_400_naming_the_reason(checkpoint_dir, tmp_path):
    directory = tmp_path / "mistral"
    shutil.copytree(checkpoint_dir, directory)
    config = json.loads((directory / "tokenizer_config.json").read_text())
    (directory / "tokenizer_config.json").write_text(
        json.dumps(config | {"chat_template": MISTRAL, "bos_token": "<s>"})
    )
    runtime = PLMRuntime.from_pretrained(directory, name="mistral")
    with PLMServer(runtime, port=0) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="none", max_retries=0, timeout=30)
        with pytest.raises(openai.BadRequestError, match="roles must alternate"):
            client.chat.completions.create(model="mistral", max_tokens=2, messages=[
                {"role": "user", "content": "a"}, {"role": "user", "content": "b"}])  # fmt: skip
        ok = client.chat.completions.create(
            model="mistral", max_tokens=2, messages=[{"role": "user", "content": "a"}]
        )
        assert ok.choices[0].finish_reason in ("stop", "length")


def test_completions_endpoint(server, runtime):
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=30)
    expected = runtime.complete("Rock beats", SamplingParams(max_new_tokens=6))
    got = client.completions.create(model="plm-test", prompt="Rock beats", max_tokens=6, temperature=0)
    assert got.object == "text_completion" and got.choices[0].text == expected.text
    assert got.usage.prompt_tokens == expected.prompt_tokens
    ids = runtime.tokenizer.encode("Rock beats")
    by_ids = client.completions.create(model="plm-test", prompt=ids, max_tokens=6, temperature=0)
    assert by_ids.choices[0].text == expected.text
    echoed = client.completions.create(
        model="plm-test", prompt="Rock beats", max_tokens=6, temperature=0, echo=True
    )
    assert echoed.choices[0].text == "Rock beats" + expected.text
    streamed = client.completions.create(
        model="plm-test", prompt="Rock beats", max_tokens=6, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed) == expected.text
    default = client.completions.create(model="plm-test", prompt="Rock beats", temperature=0)
    assert default.usage.completion_tokens <= 16  # OpenAI's default max_tokens for completions
    with pytest.raises(openai.BadRequestError, match="suffix"):
        client.completions.create(model="plm-test", prompt="x", suffix="y", max_tokens=2)
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model="plm-test", prompt=["a", "b"], max_tokens=2)


def test_generation_config_sets_the_defaults(checkpoint_dir, tmp_path, runtime):
    directory = tmp_path / "configured"
    shutil.copytree(checkpoint_dir, directory)
    for question in ("Count from one.", "Who won?", "What is 2 plus 2?", "Name a game."):
        messages = [{"role": "user", "content": question}]
        first, second = runtime.chat(messages, SamplingParams(max_new_tokens=2)).token_ids[:2]
        if first != second:  # the configured end token below then cuts the reply after one token
            break
    assert first != second
    config = {"do_sample": False, "max_new_tokens": 3, "eos_token_id": [second]}
    (directory / "generation_config.json").write_text(json.dumps(config))
    configured = PLMRuntime.from_pretrained(directory, name="configured")
    assert configured.default_params() == SamplingParams(temperature=0.0, max_new_tokens=3)
    assert second in configured.eos_token_ids
    with PLMServer(configured, port=0) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="none", max_retries=0, timeout=30)
        reply = client.chat.completions.create(
            model="configured", messages=messages
        )  # no temperature, no max_tokens
        plain = client.chat.completions.create(
            model="configured", messages=[{"role": "user", "content": "Hi."}]
        )
    # greedy (do_sample false), and stopped by the configured end token
    assert reply.choices[0].message.content == runtime.tokenizer.decode([first])
    assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens == 1
    assert plain.usage.completion_tokens <= 3  # max_new_tokens


def test_32_concurrent_clients_with_batching_get_the_answers_they_get_alone(runtime):
    prompts = [f"What is {i} plus {i + 3}? Answer briefly." for i in range(32)]
    with PLMServer(runtime, port=0, api_key=KEY, max_batch=32) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0, timeout=120)

        def ask(i: int, c=client) -> str:
            kwargs = dict(model="plm-test", messages=[{"role": "user", "content": prompts[i]}], max_tokens=8)
            if i % 3 == 0:  # a third stream, a third sample with a seed, the rest are greedy
                chunks = c.chat.completions.create(temperature=0, stream=True, **kwargs)
                return "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
            if i % 3 == 1:
                return c.chat.completions.create(temperature=0.9, seed=i, **kwargs).choices[0].message.content
            return c.chat.completions.create(temperature=0, **kwargs).choices[0].message.content

        alone = [ask(i) for i in range(32)]  # one at a time
        scheduler = runtime.scheduler()
        steps_before = scheduler.stats.max_batch_seen
        together = all_at_once(
            lambda i: ask(i, openai.OpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0, timeout=120)),
            32,
        )
    assert together == alone
    assert len(set(alone)) > 8  # the answers differ, so a mix-up would show
    assert scheduler.stats.max_batch_seen >= max(steps_before, 8)  # they really were decoded together
    expected = [runtime.chat([{"role": "user", "content": p}], SamplingParams(max_new_tokens=8)).text
                for p in prompts[2::3]]  # fmt: skip
    assert alone[2::3] == expected  # and equal the in-process runtime's greedy answers


def test_a_repeated_system_prompt_reuses_the_cached_prefix(server, runtime):
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=30)
    system = {"role": "system", "content": "You play rock paper scissors. " * 12}
    first = client.chat.completions.create(model="plm-test", max_tokens=5, temperature=0,
                                           messages=[system, {"role": "user", "content": "Round 1: rock."}])  # fmt: skip
    second = client.chat.completions.create(model="plm-test", max_tokens=5, temperature=0,
                                            messages=[system, {"role": "user", "content": "Round 2: paper."}])  # fmt: skip
    system_tokens = len(runtime.tokenizer.encode(runtime.tokenizer.apply_chat_template([system], False)))
    assert first.usage.prompt_tokens_details.cached_tokens < system_tokens
    assert second.usage.prompt_tokens_details.cached_tokens >= system_tokens
    fresh = PLMRuntime(runtime.engine, runtime.tokenizer, use_prefix_cache=False).chat(
        [system, {"role": "user", "content": "Round 2: paper."}], SamplingParams(max_new_tokens=5)
    )
    assert second.choices[0].message.content == fresh.text  # reuse does not change the answer


def test_a_malformed_generation_config_is_refused_at_load(checkpoint_dir, tmp_path):
    directory = tmp_path / "bad"
    shutil.copytree(checkpoint_dir, directory)
    (directory / "generation_config.json").write_text(json.dumps({"temperature": "hot"}))
    with pytest.raises(ValueError, match="temperature must be a number"):
        PLMRuntime.from_pretrained(directory)
