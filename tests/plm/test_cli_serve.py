"""``tactica serve`` as a real process, reached by the official ``openai`` client on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tactica.cli.main import main

openai = pytest.importorskip("openai")


@pytest.mark.slow
def test_tactica_serve_answers_the_openai_client(checkpoint_dir):
    command = [sys.executable, "-m", "tactica.cli.main", "serve", "--model", str(checkpoint_dir), "--port", "0",
               "--api-key", "k", "--model-id", "tiny", "--threads", "1", "--json"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stdout:  # the JSON banner ends with a closing brace at column 0
            lines.append(line)
            if line.startswith("}"):
                break
        info = json.loads("".join(lines))
        assert info["memory"]["cache_bytes_per_token"] == 3 * (16 + 16) * 4
        client = openai.OpenAI(base_url=info["base_url"], api_key="k", max_retries=0, timeout=60)
        reply = client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=5, temperature=0
        )
        assert reply.choices[0].finish_reason in ("stop", "length")
        assert reply.usage.completion_tokens <= 5
        chunks = list(client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                                     max_tokens=5, temperature=0, stream=True))  # fmt: skip
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply.choices[0].message.content
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_refuses_bad_input(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path)]) == 2
    assert "not a PLM checkpoint" in capsys.readouterr().err
    assert main(["serve", "--model", str(tmp_path), "--port", "70000"]) == 2


def _status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_reads_the_api_key_from_a_file(checkpoint_dir, tmp_path, monkeypatch, capsys):
    """The key comes from the file's first line (newline dropped) and is enforced; it is never an argument."""
    from tactica.llm.runtime.server import PLMServer

    key_file = tmp_path / "key"
    key_file.write_text("s3cret-key\n# a comment line that is not the key\n")
    statuses: dict[str, int] = {}

    def serve_then_stop(server: PLMServer) -> None:  # stands in for serve_forever: two requests, then return
        server.start()
        try:
            url = f"{server.base_url}/models"
            statuses["right"] = _status(url, "s3cret-key")
            statuses["wrong"] = _status(url, "s3cret")
            statuses["other"] = _status(url, "k")
        finally:
            server.shutdown()

    monkeypatch.setenv("TACTICA_API_KEY", "k")  # the file takes precedence over the environment's key
    monkeypatch.setattr(PLMServer, "serve_forever", serve_then_stop)
    monkeypatch.setattr(PLMServer, "close", lambda server: None)
    code = main(["serve", "--model", str(checkpoint_dir), "--port", "0", "--threads", "1",
                 "--api-key-file", str(key_file), "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["auth"] is True
    assert statuses == {"right": 200, "wrong": 401, "other": 401}


@pytest.mark.parametrize(
    "content, message",
    [(None, "no such file"), ("", "is empty"), ("  \n", "is empty"), (b"\xff\xfe", "not UTF-8")],
)
def test_serve_refuses_a_missing_or_empty_api_key_file(tmp_path, capsys, content, message):
    (tmp_path / "config.json").write_text("{}")  # the key is checked before anything is loaded
    key_file = tmp_path / "key"
    if isinstance(content, bytes):
        key_file.write_bytes(content)
    elif content is not None:
        key_file.write_text(content)
    assert main(["serve", "--model", str(tmp_path), "--api-key-file", str(key_file)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(key_file) in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["serve", "--model", str(tmp_path), "--api-key-file", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_serve_refuses_both_key_options(tmp_path, capsys):
    key_file = tmp_path / "key"
    key_file.write_text("k\n")
    assert main(["serve", "--model", str(tmp_path), "--api-key", "k", "--api-key-file", str(key_file)]) == 2
    err = capsys.readouterr().err
    assert "not allowed with" in err and err.count("\n") == 1
