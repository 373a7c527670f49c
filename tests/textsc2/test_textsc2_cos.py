"""The Chain of Summarization agent: a full game from a replay transcript and through a local OpenAI endpoint,
its named prompt sets (the original's prompt V4 verbatim), and ``scripted:cycle:`` replies."""

from __future__ import annotations

import http.server
import json
import threading

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers TextSC2-v1)
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
    env = gym.make("TextSC2-v1", **{**GAME, **options})
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
    assert mix_actions([1, 2, 3, 4, 5, 6, 7], 10) == [1, 71, 2, 71, 3, 71, 4, 71, 71, 5]  # the first 5
    # An EMPTY ACTION decision takes a slot of its own, as in the original: positions 0, 4 and 9 of 10.
    assert mix_actions([1, 71, 2], 10) == [1, 71, 71, 71, 71, 71, 71, 71, 71, 2]
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
    # The default prompt asks for the decisions only, and its few-shot answer is a decision block.
    assert "Make 5 actionable and specific decisions" in first[0]["content"]
    assert first[2]["content"].startswith("Decisions:\n0: <BUILD PYLON>")
    assert first[3]["content"].startswith("chunk0: At 00:00 game time")
    assert scripted.calls[1][3]["content"].count("chunk") == 5  # the last 5 of 10 summaries
    # Every decision becomes an action, and the log says how each was matched.
    second = recorded_agent.log[1]
    assert second.actions == [
        "BUILD ASSIMILATOR",
        "BUILD CYBERNETICSCORE",
        "TRAIN ZEALOT",
        "MORPH ARCHON",
        "RESEARCH WARPGATERESEARCH",
    ]
    assert [m["match"] for m in second.matches] == ["exact", "exact", "exact", "nearest", "intent"]
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
    assert agent.log[1].matches[3] == {
        "decision": "summon a dragon",
        "action": "MORPH ARCHON",
        "match": "nearest",
    }
    assert all(ACTIONS[a] for a in actions)
    assert sum(a != EMPTY_ACTION for a in actions) > 0


def test_cos_needs_a_model_and_the_textsc2_action_space():
    env = gym.make("TextSC2-v1")
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
    assert all(r.matches[3]["decision"] == "summon a dragon" for r in agent.log[1::3])


def test_prompt_sets_and_the_original_v4_text():
    from tactica.agents.summarization.prompts import PROMPTS, format_chunks, prompt_set
    from tactica.envs.textsc2.actions import ACTION_DICT

    assert PROMPTS == ("tactica", "tactica-cot", "v4", "v4-realtime")
    v4 = prompt_set("v4", decisions=5)
    # prompt/prompt.py's StarCraftIIPrompt_V4("Protoss", K="5", action_dict) verbatim: its f-string indentation,
    # the stray "888", the race tip and the Python repr of the nested action dict.
    assert v4.system.startswith(
        "\n        You are an AI trained in analyzing and summarizing StarCraft II games. You understand the "
        "nuances and strategies of the protoss race. \n"
    )
    assert "\n888        4. Our Strategy: Infer our potential strategy" in v4.system
    assert "For Protoss, keep an eye on Nexus's energy to Chrono Boost important structures." in v4.system
    assert (
        "make 5 actionable and specific decisions from the action dictionary{'TRAIN UNIT': {0: 'TRAIN PROBE',"
        in (v4.system)
    )
    assert str(ACTION_DICT) in v4.system and "@@" not in v4.system
    assert v4.example_input.startswith(
        "chunk0:At 06:48 game time, our current StarCraft II situation is as follows:\\n\\n"
    )
    assert v4.example_output.rstrip().endswith(
        "Decisions:\n0: <BUILD CYBERNETICSCORE>\n1: <BUILD PYLON>\n2: <BUILD FORGE>\n"
        "3: <RESEARCH WARPGATERESEARCH>\n4: <CHRONOBOOST NEXUS>"
    )
    realtime = prompt_set("v4-realtime", decisions=10)
    assert (
        "You only need to provide the final decisions" in realtime.system
        and "make 10 actionable" in realtime.system
    )
    assert realtime.example_output.strip().startswith("Decisions:\n0: <BUILD CYBERNETICSCORE>")
    # The chunks are joined as the original's L2 summarizer does for prompt v4.
    assert format_chunks(["A\n\n", "B\n\n"]) == "chunk0: A\n\n\nchunk1: B\n\n"
    direct = prompt_set("tactica")  # the default: decisions only
    assert direct.example_output.startswith("Decisions:\n") and "1. Game Overview" not in direct.system
    tactica_prompt = prompt_set("tactica-cot", opponent="Terran")
    assert "against Terran" in tactica_prompt.system and "1. Game Overview" in tactica_prompt.system
    assert tactica_prompt.example_input.startswith(
        "chunk0: At 02:10 game time, our current StarCraft II situation"
    )
    with pytest.raises(ValueError, match="prompt"):
        prompt_set("v5")


def test_cos_with_the_original_prompt_and_text_and_a_cycling_scripted_model():
    # scripted:cycle: answers every call, starting again from the first reply.
    agent, actions, info = run_game("scripted:cycle:" + json.dumps(REPLIES[:2]), text_format="original")
    assert len(agent.log) == 34 and info["result"] == "Tie"
    assert agent.log[2].reply == REPLIES[0]
    env = gym.make("TextSC2-v1", text_format="original")
    cos = make_agent("cos", action_space=env.action_space, llm='scripted:["x"]', prompt="v4")
    obs, info = env.reset(seed=0)
    cos.act(obs, info)
    call = cos.llm.calls[0]
    assert call[0]["content"] == cos.system and "888" in call[0]["content"]
    assert call[3]["content"] == "chunk0: " + obs["text"]
    assert obs["text"].startswith("At 00:00 game time") and "- Game time: 00:00\n" in obs["text"]
    with pytest.raises(ValueError, match="feedback"):
        make_agent("cos", action_space=env.action_space, llm='scripted:["x"]', prompt="v4", feedback=True)


def test_scripted_spec_without_cycle_runs_out():
    model = from_spec('scripted:["a"]')
    assert model.chat([{"role": "user", "content": "hi"}]) == "a"
    with pytest.raises(Exception, match="only 1 responses"):
        model.chat([{"role": "user", "content": "hi"}])
    cycling = from_spec('scripted:cycle:["a", "b"]')
    assert [cycling.chat([{"role": "user", "content": "x"}]) for _ in range(3)] == ["a", "b", "a"]
    with pytest.raises(ValueError, match="cannot read scripted responses"):
        from_spec("scripted:cycle:/no/such/file.json")


class _SamplingModel:
    """A chat model that declares a default temperature and records the temperature and seed of each call."""

    name = "sampling-test"
    default_temperature = 0.9

    def __init__(self):
        self.calls: list[tuple[float, int | None]] = []

    def chat(self, messages, *, temperature=0.0, max_tokens=None, stop=None, seed=None):
        self.calls.append((temperature, seed))
        return REPLIES[len(self.calls) % len(REPLIES)]


def test_cos_samples_at_the_models_own_temperature_unless_told_and_seeds_every_call_apart():
    model = _SamplingModel()
    agent, _, _ = run_game(model, seed=7, time_limit_s=20)
    temperatures, seeds = zip(*model.calls, strict=True)
    assert set(temperatures) == {0.9}  # no temperature given: the model's default
    assert list(seeds) == [
        7 * 1_000_003 + n for n in range(len(seeds))
    ]  # one seed per call, from the episode's
    assert len(seeds) == len(agent.log) > 3

    again = _SamplingModel()
    run_game(again, seed=7, time_limit_s=20)
    assert again.calls == model.calls  # the same seeded episode asks the same way

    greedy = _SamplingModel()
    env = gym.make("TextSC2-v1", **GAME)
    agent = make_agent("cos", action_space=env.action_space, llm=greedy, temperature=0.0)
    agent.act(env.reset(seed=0)[0], {})
    assert greedy.calls == [(0.0, None)]  # an explicit temperature wins; no seed, no seeded sampling

    plain = make_agent("cos", action_space=env.action_space, llm=from_spec('scripted:["Decisions:"]'))
    assert plain.temperature == 0.0  # a model that declares no temperature is decoded greedily
