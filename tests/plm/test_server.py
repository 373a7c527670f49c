"""``tactica serve``'s server against the official ``openai`` client on loopback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tactica.llm import ChatModel, from_spec
from tactica.llm.runtime import PLMRuntime, SamplingParams
from tactica.llm.runtime.server import PLMServer

from .conftest import all_at_once

openai = pytest.importorskip("openai")

KEY = "test-key"


@pytest.fixture(scope="module")
def runtime(checkpoint_dir):
    return PLMRuntime.from_pretrained(checkpoint_dir, name="plm-test")


@pytest.fixture(scope="module")
def server(runtime):
    with PLMServer(runtime, host="127.0.0.1", port=0, api_key=KEY, max_tokens_limit=64) as srv:
        yield srv


@pytest.fixture()
def client(server):
    return openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=60)


MESSAGES = [{"role": "user", "content": "What is 4 plus 4?"}]


def test_models_and_health(server, client):
    assert [m.id for m in client.models.list().data] == ["plm-test"]
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health") as response:
        assert json.load(response)["status"] == "ok"


def test_non_streaming_chat_matches_the_runtime(client, runtime):
    response = client.chat.completions.create(
        model="plm-test", messages=MESSAGES, max_tokens=12, temperature=0
    )
    expected = runtime.chat(MESSAGES, SamplingParams(max_new_tokens=12))
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == expected.text
    assert choice.finish_reason == expected.finish_reason
    assert response.usage.prompt_tokens == expected.prompt_tokens
    assert response.usage.completion_tokens == expected.completion_tokens
    assert response.usage.total_tokens == expected.prompt_tokens + expected.completion_tokens
    assert response.object == "chat.completion" and response.model == "plm-test"


def test_streaming_chat_with_usage(client, runtime):
    stream = client.chat.completions.create(
        model="plm-test",
        messages=MESSAGES,
        max_tokens=12,
        temperature=0.7,
        seed=5,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    expected = runtime.chat(MESSAGES, SamplingParams(temperature=0.7, seed=5, max_new_tokens=12))
    assert text == expected.text
    assert finish == [expected.finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == expected.completion_tokens


def test_content_parts_and_n_choices(client):
    parts = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is 4 "}, {"type": "text", "text": "plus 4?"}],
        }
    ]
    a = client.chat.completions.create(model="plm-test", messages=parts, max_tokens=8, temperature=0)
    b = client.chat.completions.create(model="plm-test", messages=MESSAGES, max_tokens=8, temperature=0)
    assert a.choices[0].message.content == b.choices[0].message.content
    many = client.chat.completions.create(
        model="plm-test", messages=MESSAGES, max_tokens=8, n=3, temperature=0
    )
    assert [c.index for c in many.choices] == [0, 1, 2]


@pytest.mark.parametrize(
    "overrides, param",
    [
        ({"temperature": 3.5}, "temperature"),
        ({"max_tokens": 10_000}, "max_tokens"),
        ({"top_p": 0}, "top_p"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"n": 0}, "n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_invalid_requests_raise_bad_request(client, overrides, param):
    request = {"model": "plm-test", "messages": MESSAGES, "max_tokens": 4} | overrides
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(**request)
    assert info.value.status_code == 400
    assert info.value.body["param"] == param
    assert info.value.body["type"] == "invalid_request_error"


def test_wrong_key_is_unauthorised(server):
    bad = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="plm-test", messages=MESSAGES, max_tokens=4)
    assert info.value.status_code == 401
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)


def test_oversized_body_and_bad_json_are_refused(server):
    url = f"http://127.0.0.1:{server.port}/v1/chat/completions"
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for body, status in ((b"{not json", 400), (b"x" * (server.max_body_bytes + 1), 413)):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request)
        assert info.value.code == status
        assert "message" in json.load(info.value)["error"]


def test_eight_concurrent_clients_get_their_own_answers(server, runtime):
    prompts = [f"What is {i} plus {i + 1}?" for i in range(8)]
    expected = [
        runtime.chat(
            [{"role": "user", "content": p}], SamplingParams(temperature=0.9, seed=i, max_new_tokens=16)
        ).text
        for i, p in enumerate(prompts)
    ]

    def ask(i: int) -> str:
        client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=120)
        kwargs = dict(model="plm-test", messages=[{"role": "user", "content": prompts[i]}], max_tokens=16,
                      temperature=0.9, seed=i)  # fmt: skip
        if i % 2:  # half stream, half do not: both kinds interleave on the engine
            chunks = client.chat.completions.create(stream=True, **kwargs)
            return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        return client.chat.completions.create(**kwargs).choices[0].message.content

    got = all_at_once(ask, 8)
    assert got == expected
    assert len(set(expected)) > 1  # the answers really differ, so a mix-up would show


def test_backends_reach_the_same_model(server, checkpoint_dir, runtime):
    remote = from_spec(f"openai:plm-test@{server.base_url}", api_key=KEY)
    local = from_spec(f"plm:{checkpoint_dir}")
    assert isinstance(local, ChatModel) and isinstance(remote, ChatModel)
    expected = runtime.chat(MESSAGES, SamplingParams(max_new_tokens=10)).text
    assert remote.chat(MESSAGES, max_tokens=10) == expected
    assert local.chat(MESSAGES, max_tokens=10) == expected
    assert local.chat(MESSAGES, max_tokens=10, temperature=0.8, seed=1) == local.chat(
        MESSAGES, max_tokens=10, temperature=0.8, seed=1
    )
    quantised = from_spec(f"plm:{checkpoint_dir}?quantize=int8")
    assert quantised.name.endswith("?quantize=int8")
    assert isinstance(quantised.chat(MESSAGES, max_tokens=5), str)


def test_plm_spec_options_are_checked(checkpoint_dir, tmp_path):
    with pytest.raises(ValueError, match="quantize="):
        from_spec(f"plm:{checkpoint_dir}?colour=red")
    with pytest.raises(FileNotFoundError):
        from_spec(f"plm:{tmp_path}")
