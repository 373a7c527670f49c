"""``tactica serve`` as a real process, reached by the official ``openai`` client on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

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
