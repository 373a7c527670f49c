"""The Chain of Summarization agent: a full game from a replay transcript and through a local OpenAI endpoint."""

from __future__ import annotations

import http.server
import json
import threading

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers TextSC2-v0)
from tactica.agents import make as make_agent
from tactica.agents.summarization import mix_actions
from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.llm import from_spec
from tactica.llm.scripted import ScriptedChatModel

REPLIES = [
    "1. Game Overview: early game.\nDecisions:\n0: <TRAIN PROBE>\n1: <BUILD PYLON>\n2: <BUILD GATEWAY>\n"
    "3: <CHRONOBOOST NEXUS>\n4: <TRAIN PROBE>\n",
    "Suggestions: more production.\nDecisions:\n0: <BUILD ASSIMILATOR>\n1: <build cybernetics core>\n"
    "2: <TRAIN ZEALOT>\n3: <summon a dragon>\n4: <RESEARCH WARPGATE>\n",
    "Decisions:\n0: <TRAIN STALKER>\n1: <BUILD PYLON>\n2: <MULTI-ATTACK>\n3: <TRAIN PROBE>\n4: <BUILD NEXUS>\n",
]
GAME = {"difficulty": "VeryEasy", "time_limit_s": 120}  # a short game: 336 steps, 34 model calls


def run_game(llm, seed: int = 0, **options):
    env = gym.make("TextSC2-v0", **{**GAME, **options})
    agent = make_agent("cos", action_space=env.action_space, llm=llm)
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    actions = []
    while True:
        action = agent.act(obs, info)
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return agent, actions, info


def test_mix_actions_spreads_decisions_like_the_original():
    assert mix_actions([1, 2, 3, 4, 5], 10) == [1, 71, 2, 71, 3, 71, 4, 71, 71, 5]
    assert mix_actions([], 10) == [EMPTY_ACTION] * 10
    assert mix_actions([1, 2, 3, 4, 5, 6, 7], 10)[:1] == [1]
    with pytest.raises(ValueError):
        mix_actions([1], 0)


def test_cos_records_then_replays_a_full_game(tmp_path):
    transcript = tmp_path / "cos.jsonl"
    scripted = ScriptedChatModel(REPLIES, cycle=True)
    recorded_agent, recorded, info = run_game(from_spec(scripted, record=str(transcript)))
    assert info["result"] == "Tie"
    calls = len(recorded_agent.log)
    assert calls == 34 and len(transcript.read_text().splitlines()) == calls
    # The first call sees the system prompt, one few-shot pair and chunk0 (the first single-frame summary).
    first = scripted.calls[0]
    assert [m["role"] for m in first] == ["system", "user", "assistant", "user"]
    assert "1. Game Overview" in first[0]["content"] and "Decisions:" in first[2]["content"]
    assert first[3]["content"].startswith("chunk0: At 00:00 game time")
    assert scripted.calls[1][3]["content"].count("chunk") == 5  # the last 5 of 10 summaries
    # Every decision is either executed or reported as failed.
    second = recorded_agent.log[1]
    assert second.actions == [
        "BUILD ASSIMILATOR",
        "BUILD CYBERNETICSCORE",
        "TRAIN ZEALOT",
        "RESEARCH WARPGATERESEARCH",
    ]
    assert second.failed == ["summon a dragon"]
    assert recorded[:10] == [0, 71, 19, 71, 22, 71, 66, 71, 71, 0]

    replay_agent, replayed, replay_info = run_game(f"replay:{transcript}")
    assert replayed == recorded
    assert replay_info["metrics"] == info["metrics"]
    assert [r.actions for r in replay_agent.log] == [r.actions for r in recorded_agent.log]


class _Handler(http.server.BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        assert self.path.endswith("/chat/completions")
        assert body["messages"][0]["role"] == "system"
        reply = REPLIES[type(self).calls % len(REPLIES)]
        type(self).calls += 1
        payload = {
            "id": f"chatcmpl-{type(self).calls}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "local"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output quiet
        pass


def test_cos_plays_through_the_openai_backend_against_a_local_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        _Handler.calls = 0
        agent, actions, info = run_game(f"openai:local-model@http://127.0.0.1:{port}/v1")
    finally:
        server.shutdown()
        server.server_close()
    assert _Handler.calls == len(agent.log) == 34
    assert info["result"] == "Tie" and "metrics" in info
    # The same replies as the scripted run give the same decisions.
    assert agent.log[1].failed == ["summon a dragon"]
    assert all(ACTIONS[a] for a in actions)
    assert sum(a != EMPTY_ACTION for a in actions) > 0


def test_cos_needs_a_model_and_the_textsc2_action_space():
    env = gym.make("TextSC2-v0")
    with pytest.raises(TypeError):
        make_agent("cos", action_space=env.action_space)
    with pytest.raises(ValueError, match="Discrete"):
        make_agent("cos", action_space=gym.spaces.Discrete(3), llm='scripted:["x"]')


@pytest.mark.slow
def test_cos_replays_a_full_length_game(tmp_path):
    transcript = tmp_path / "full.jsonl"
    global GAME
    saved, GAME = GAME, {"difficulty": "VeryEasy"}  # the default 30-minute limit
    try:
        agent, actions, info = run_game(
            from_spec(ScriptedChatModel(REPLIES, cycle=True), record=str(transcript))
        )
        replay_agent, replayed, replay_info = run_game(f"replay:{transcript}")
    finally:
        GAME = saved
    assert info["result"] in ("Victory", "Defeat", "Tie")
    assert len(agent.log) == len(transcript.read_text().splitlines()) == (len(actions) + 9) // 10
    assert replayed == actions and replay_info["result"] == info["result"]
    assert all(r.failed == ["summon a dragon"] for r in agent.log[1::3])
