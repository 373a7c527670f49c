"""The paper's agents over a ChatModel, their no-LLM counterparts, the comparison table and the 3p NashConv."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tactica import agents
from tactica.agents.discussion.paper_agents import EmpiricalTactic, PaperAgent, gpt4_tactic_frequencies
from tactica.agents.discussion.selfplay import Setting, play_game
from tactica.envs import make_aec
from tactica.envs.onuw.rules import Role, Tactic
from tactica.llm.scripted import ScriptedChatModel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import onuw_paper_table  # noqa: E402


def responder(messages) -> str:
    """A rule-following stand-in for a chat model (not a language model): it answers each prompt kind in JSON."""
    prompt = messages[-1]["content"]
    me = int(re.search(r"You are Player (\d+)", prompt).group(1))
    if "Choose your night action" in prompt:
        options = re.findall(r"^(\d+)\. ", prompt, re.MULTILINE)
        return json.dumps({"thought": "act", "choice": int(options[-1])})
    if "speaking strategy for your next speech" in prompt:
        return '{"thought": "be honest", "strategy": "Honest Evidence"}'
    if "public speech" in prompt:
        other = 1 if me != 1 else 2
        return json.dumps({"thought": "accuse", "speech": f"I think Player {other} is the Werewolf."})
    if "Vote for" in prompt:
        return json.dumps({"thought": "vote", "player": f"Player {1 if me != 1 else 2}"})
    if "CURRENT role" in prompt:
        return "```json\n" + json.dumps({"Player 1": {"Werewolf": 0.6, "Robber": 0.4}}) + "\n```"
    return "I do not know."


def test_gpt4_frequencies_are_the_released_table():
    freq = gpt4_tactic_frequencies()
    assert freq["Werewolf"][int(Tactic.DECEPTIVE_EVIDENCE)] == pytest.approx(39.1 / 100.0, abs=2e-3)
    assert set(freq) == {"Werewolf", "Robber", "Insomniac", "Villager", "Seer", "Troublemaker"}
    view = _view()  # Player 3, the Seer: GPT-4 was honest in 98% of its Seer speeches
    rng = np.random.default_rng(0)
    draws = [EmpiricalTactic().choose(view, None, rng) for _ in range(2000)]
    assert np.mean([t.honest for t in draws]) == pytest.approx(0.984, abs=0.02)
    record = play_game(
        Setting.from_preset("5p-easy"),
        [PaperAgent("llm-tactic", seed=p) for p in range(5)],
        rng,
        record_states=False,
    )
    assert record.outcome is not None


def _view():
    from tactica.envs.onuw.presets import PRESETS
    from tactica.envs.onuw.rules import Game, RuleOptions

    p = PRESETS["5p-easy"]
    game = Game(p.deck, 5, RuleOptions.paper(), deal=p.deal)
    game.play_night(p.forced_night)
    return game.view(2)


@pytest.mark.parametrize("kind", ["react", "llm-tactic", "rl", "belief"])
def test_paper_agents_play_over_a_chat_model(kind):
    llm = ScriptedChatModel(responder)
    setting = Setting.from_preset("3p")
    players = [PaperAgent(kind if p == 2 else "belief", llm, seed=p) for p in range(3)]
    record = play_game(setting, players, np.random.default_rng(0), record_states=False)
    speeches = record.public_speeches
    assert len(speeches) == 9 and all(s.text for s in speeches)
    assert speeches[2].text.startswith("I think Player 1")  # Player 3 spoke the model's words ...
    assert speeches[2].target == 0  # ... the fields an env needs read from them by the offline reader
    if kind in ("react", "belief"):  # no tactic: the kind is what the words say
        assert speeches[2].kind == "accusation"
    assert record.outcome.votes == (1, 0, 0)  # every vote is the model's
    if kind == "llm-tactic":
        assert players[2].tactics_used[0] == Tactic.HONEST_EVIDENCE  # the model chose the tactic
    prompts = [m[-1]["content"] for m in llm.calls]
    assert any("CURRENT role" in p for p in prompts)  # the Belief agents' belief step


def test_registered_llm_agents_play_the_env_without_and_with_a_model():
    for llm in (None, ScriptedChatModel(responder)):
        env = make_aec("ONUW-v1", preset="3p")
        env.reset(seed=0)
        players = {
            a: agents.make("onuw-react" if i == 2 else "onuw-llm-tactic", llm=llm, seed=i)
            for i, a in enumerate(env.agents)
        }
        for agent in env.agent_iter():
            obs, reward, term, trunc, info = env.last()
            env.step(None if term or trunc else players[agent].act(obs, info))
        assert env.game.outcome is not None and env.forfeit is None


def test_comparison_table_offline_and_replayed(tmp_path, capsys):
    argv = ["--games", "3", "--deals", "3p,5p-easy", "--nashconv-games", "5", "--out", str(tmp_path / "off")]
    assert onuw_paper_table.main(argv) == 0
    results = json.loads((tmp_path / "off" / "results.json").read_text())
    rows = results["rows"]
    assert [(r["deal"], r["agent"]) for r in rows][:3] == [
        ("3p", "react"),
        ("3p", "llm-tactic"),
        ("3p", "rl"),
    ]
    assert all(0 <= r["win_rate"] <= 1 and r["games"] == 3 for r in rows)
    assert [r["agent"] for r in results["nash_conv"]] == ["react", "llm-tactic", "rl", "belief"]
    assert "NashConv" in (tmp_path / "off" / "table.md").read_text()
    # A chat model's run, recorded, then replayed by the one command without the model: the same numbers.
    from tactica.llm.replay import RecordingChatModel

    transcript = tmp_path / "run.jsonl"
    llm = RecordingChatModel(ScriptedChatModel(responder), transcript)
    recorded = [onuw_paper_table.play_deal("3p", agent, 2, 0, llm) for agent in ("react", "rl")]
    capsys.readouterr()
    args = ["--games", "2", "--deals", "3p", "--agents", "react,rl", "--nashconv-games", "0", "--json"]
    assert onuw_paper_table.main([*args, "--llm", f"replay:{transcript}"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == recorded
    assert onuw_paper_table.main(["--deals", "7p"]) == 2


def test_three_player_nash_conv_of_the_rl_profile():
    from tactica.agents.discussion.agent import make_rl_agent
    from tactica.agents.discussion.three_player import three_player_nash_conv

    result = three_player_nash_conv(lambda seat, seed: make_rl_agent(seed=seed), games=40, seed=0)
    assert result["games"] == 40 and 0.0 <= result["nash_conv"] <= 6.0
    assert abs(sum(result["night"]) - 1.0) < 1e-9


def test_unreadable_model_answers_fall_back_and_votes_abstain():
    """A model that answers nonsense: speeches and night fall back to the no-LLM decision (counted), votes abstain
    (the authors' env records an unparsable vote as giving it up)."""
    llm = ScriptedChatModel(["I refuse to answer in JSON."], cycle=True)
    players = [PaperAgent("llm-tactic", llm, seed=p) for p in range(3)]
    record = play_game(Setting.from_preset("3p"), players, np.random.default_rng(0), record_states=False)
    assert record.outcome.votes == (None, None, None)
    assert all(s.text for s in record.public_speeches)  # template words instead of the model's
    assert players[2].decisions.failures > 0 and players[2].tactic_policy.failures == 3


def test_robber_message_projection():
    from tactica.agents.discussion.three_player import robber_message
    from tactica.envs.onuw.rules import PublicSpeech

    def said(speaker, text=None, kind="evidence", claim=None, target=None):
        return PublicSpeech(speaker, kind, claim, target, text, 0)

    assert robber_message([]) == 0  # never claimed its card: "I did not switch"
    assert robber_message([said(2, claim=Role.ROBBER, target=0)]) == 1
    assert robber_message([said(2, claim=Role.ROBBER, target=1), said(0, claim=Role.ROBBER, target=0)]) == 2
    assert robber_message([said(2, "I am the Robber and I swapped my card with Player 2.")]) == 2
    assert (
        robber_message([said(2, claim=Role.ROBBER, target=0), said(2, "I am the Robber.")]) == 0
    )  # the last
