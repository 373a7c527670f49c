"""The language-model door: spec parsing, the openai backend end to end on loopback, replay, cache."""

from __future__ import annotations

import json
import socket

import pytest

from tactica.errors import InvalidSpecError, UnknownIdError
from tactica.llm import ChatModelError, from_spec
from tactica.llm.cache import CachedChatModel
from tactica.llm.replay import ReplayChatModel
from tactica.llm.scripted import ScriptedChatModel
from tactica.llm.stub_server import StubOpenAIServer

HELLO = [{"role": "user", "content": "Say hello"}]


def test_openai_backend_end_to_end():
    with StubOpenAIServer(ScriptedChatModel(["Hello there!"]), model_name="tiny", api_key="k") as server:
        model = from_spec(f"openai:tiny@{server.base_url}", api_key="k")
        assert model.chat(HELLO, temperature=0.5, max_tokens=16, stop=["\n"], seed=3) == "Hello there!"
        sent = server.requests[0]
        assert sent["model"] == "tiny"
        assert sent["messages"] == HELLO
        assert sent["temperature"] == 0.5 and sent["max_tokens"] == 16 and sent["stop"] == ["\n"]
        assert sent["seed"] == 3


def test_openai_backend_retries_server_errors_then_succeeds():
    with StubOpenAIServer(ScriptedChatModel(["ok"]), fail_times=2, fail_status=503) as server:
        model = from_spec(f"openai:stub@{server.base_url}", max_retries=3)
        assert model.chat(HELLO) == "ok"
        assert len(server.requests) == 3


def test_openai_backend_reports_error_status():
    with StubOpenAIServer(ScriptedChatModel(["ok"]), api_key="right") as server:
        model = from_spec(f"openai:stub@{server.base_url}", api_key="wrong", max_retries=0)
        with pytest.raises(ChatModelError, match="HTTP 401.*Incorrect API key"):
            model.chat(HELLO)
    with StubOpenAIServer(ScriptedChatModel(["ok"])) as server:
        model = from_spec(f"openai:missing-model@{server.base_url}", max_retries=0)
        with pytest.raises(ChatModelError, match="HTTP 404"):
            model.chat(HELLO)


def test_openai_backend_unreachable_endpoint():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = from_spec(f"openai:stub@http://127.0.0.1:{port}/v1", max_retries=0, timeout=2)
    with pytest.raises(ChatModelError, match="cannot reach the endpoint"):
        model.chat(HELLO)


def test_spec_errors():
    with pytest.raises(InvalidSpecError, match="SCHEME:ARGUMENT"):
        from_spec("openai")
    with pytest.raises(UnknownIdError, match="did you mean 'openai'"):
        from_spec("opena:gpt@http://x")
    with pytest.raises(TypeError):
        from_spec(42)


def test_message_validation():
    model = from_spec('scripted:["x"]')
    with pytest.raises(ValueError, match="role"):
        model.chat([{"role": "wizard", "content": "hi"}])
    with pytest.raises(ValueError, match="empty"):
        model.chat([])


def test_record_then_replay_reproduces_and_detects_divergence(tmp_path):
    transcript = tmp_path / "calls.jsonl"
    recorder = from_spec('scripted:["first", "second"]', record=str(transcript))
    assert recorder.chat(HELLO, seed=1) == "first"
    assert recorder.chat([{"role": "user", "content": "again"}], temperature=0.7) == "second"
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [line["response"] for line in lines] == ["first", "second"]

    replay = from_spec(f"replay:{transcript}")
    assert replay.chat(HELLO, seed=1) == "first"
    assert replay.chat([{"role": "user", "content": "again"}], temperature=0.7) == "second"
    with pytest.raises(ChatModelError, match="past the end"):
        replay.chat(HELLO)

    replay = ReplayChatModel.load(transcript)
    with pytest.raises(ChatModelError, match="message 0 differs"):
        replay.chat([{"role": "user", "content": "something else"}], seed=1)
    replay = ReplayChatModel.load(transcript)
    with pytest.raises(ChatModelError, match="sampling parameters"):
        replay.chat(HELLO, seed=2)


def test_replay_rejects_malformed_transcript(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        ReplayChatModel.load(bad)
    with pytest.raises(FileNotFoundError):
        from_spec(f"replay:{tmp_path / 'absent.jsonl'}")


def test_cache_answers_repeated_calls_without_the_model(tmp_path):
    inner = ScriptedChatModel(["one", "two"])
    cached = CachedChatModel(inner, tmp_path / "cache.sqlite")
    assert cached.chat(HELLO) == "one"
    assert cached.chat(HELLO) == "one"  # answered from the cache
    assert cached.chat(HELLO, temperature=1.0) == "two"  # other sampling parameters: a new call
    assert (cached.hits, cached.misses) == (1, 2)
    # a fresh process (new wrapper) with a model that would fail still replays from disk
    offline = CachedChatModel(ScriptedChatModel(["never used"]), tmp_path / "cache.sqlite")
    offline.inner.name = inner.name
    assert offline.chat(HELLO) == "one"


def test_openai_through_cache_replays_offline(tmp_path):
    with StubOpenAIServer(ScriptedChatModel(["cached answer"])) as server:
        spec = f"openai:stub@{server.base_url}"
        assert from_spec(spec, cache=str(tmp_path / "c.sqlite")).chat(HELLO) == "cached answer"
    # the server is gone; the cache still answers
    assert from_spec(spec, cache=str(tmp_path / "c.sqlite"), max_retries=0).chat(HELLO) == "cached answer"
