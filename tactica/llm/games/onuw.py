"""ONUW transcripts: the discussion agents' own prompts, answered by the no-LLM discussion agent.

Two agents send prompts:

* ``onuw-rl`` with ``llm=``: the RL tactic policy picks the tactic and the content of each speech, and the
  model only voices it (:class:`~tactica.agents.discussion.speech.LLMWriter`).  The expert's answer is a
  paraphrase of that content from the "speak" phrase bank -- the words the template agent says, which the
  listeners (trained on the other bank) read.
* ``onuw-llm-tactic`` and ``onuw-react`` with ``llm=`` (:class:`~tactica.agents.discussion.paper_agents.PaperAgent`):
  the model chooses the night action, the tactic, the speech and the vote, each as a JSON answer, and
  (``onuw-llm-tactic``) states its belief over every player's role.  The expert answers with the RL tactic
  policy's tactic, a speech realising it from the offline belief, the belief agent's vote, a uniformly drawn
  night action (as the no-LLM agents play the night) and the offline belief, rounded.

Every seat is played by the agent being recorded, so the discussion each speaker reads is one the agent's own
prompts produced.  The preset cycles over the paper's settings unless one is named.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from tactica.llm.games.corpus import Example, ExpertModel

__all__ = ["AGENTS", "DEFAULT_OPTIONS", "record_episode", "belief_answer"]

PLAYER_3 = 2  # the seat the paper's evaluation replaces

AGENTS = ("onuw-rl", "onuw-llm-tactic", "onuw-react")
#: Options cycled over episodes when not given (episode k plays ``presets[k % 4]``).
DEFAULT_OPTIONS: dict[str, Any] = {"preset": ["5p", "5p-easy", "5p-hard", "3p"]}


def _seat(p: int) -> str:
    return f"Player {p + 1}"


def belief_answer(view, belief: np.ndarray, keep: int = 2) -> str:
    """The belief as the JSON :class:`~tactica.agents.discussion.listeners.LLMListener` reads: per player its
    ``keep`` most likely roles with probabilities rounded to 0.05 (a single sure role as its name)."""
    out: dict[str, Any] = {}
    roles = view.roles_in_deck
    for p in range(view.num_players):
        order = np.argsort(-belief[p], kind="stable")[:keep]
        row = {roles[i].title: round(float(belief[p, i]) * 20) / 20 for i in order}
        row = {k: v for k, v in row.items() if v > 0}
        if len(row) == 1 or (row and max(row.values()) >= 0.95):
            out[_seat(p)] = max(row, key=row.get)
        else:
            out[_seat(p)] = row
    return json.dumps(out)


def _answer(messages, **context) -> str:
    return context["reply"]


class _Recorder:
    """Wraps the agents' writer, decisions and listener so that the expert knows the pending decision."""

    def __init__(self, seed: int):
        self.expert = ExpertModel(_answer)
        self.rng = np.random.default_rng(seed)

    def ask(self, call: str, reply: str, function, *args):
        self.expert.context = {"call": call, "reply": reply}
        try:
            return function(*args)
        finally:
            self.expert.context = {}


def _writer(recorder: _Recorder):
    from tactica.agents.discussion.phrasing import phrase
    from tactica.agents.discussion.speech import LLMWriter

    class RecordingWriter(LLMWriter):
        def __call__(self, view, speech, rng=None):
            words = phrase(
                speech.kind, speech.claim, speech.target, speech.speaker, recorder.rng, bank="speak"
            )
            return recorder.ask("speech", words, super().__call__, view, speech, rng)

    return RecordingWriter(recorder.expert)


def _decisions(recorder: _Recorder, helper):
    from tactica.agents.discussion.paper_agents import LLMDecisions, night_option_text
    from tactica.agents.discussion.phrasing import phrase
    from tactica.agents.discussion.speech import belief_only_speech, realize

    class RecordingDecisions(LLMDecisions):
        def night(self, view, options):
            if len(options) == 1:
                return options[0]
            choice = int(recorder.rng.integers(len(options)))
            reply = json.dumps(
                {"thought": f"I will {night_option_text(view, options[choice])}.", "choice": choice}
            )
            return recorder.ask("night", reply, super().night, view, options)

        def tactic(self, view, belief):
            tactic = helper.tactic_policy.choose(view, helper.belief(view), recorder.rng)
            reply = json.dumps(
                {"thought": _tactic_thought(view, helper.belief(view)), "strategy": tactic.label}
            )
            return recorder.ask("tactic", reply, super().tactic, view, belief)

        def speech(self, view, tactic, belief):
            offline = helper.belief(view)
            if tactic is None:
                claim, target, _ = belief_only_speech(view, offline, recorder.rng)
                kind = "accusation"
            else:
                claim, target = realize(view, offline, tactic, recorder.rng)
                kind = tactic.kind
            words = phrase(kind, claim, target, view.seat, recorder.rng, bank="speak")
            reply = json.dumps({"thought": _tactic_thought(view, offline), "speech": words})
            return recorder.ask("speech", reply, super().speech, view, tactic, belief)

        def vote(self, view, belief):
            legal = [p for p in range(view.num_players) if p != view.seat]
            target = helper.vote(view, legal)
            reply = json.dumps(
                {"thought": _vote_thought(view, helper.belief(view), target), "player": _seat(target)}
            )
            return recorder.ask("vote", reply, super().vote, view, belief)

    return RecordingDecisions(recorder.expert)


def _listener(recorder: _Recorder, helper):
    from tactica.agents.discussion.listeners import LLMListener

    class RecordingListener(LLMListener):
        def __call__(self, view):
            return recorder.ask("belief", belief_answer(view, helper.belief(view)), super().__call__, view)

    return RecordingListener(recorder.expert)


def _tactic_thought(view, belief: np.ndarray) -> str:
    from tactica.agents.discussion.belief import village_probability, wolf_probability

    wolf = wolf_probability(view, belief)
    others = [p for p in range(view.num_players) if p != view.seat]
    if not others:
        return "I have nobody to talk about."
    suspect = max(others, key=lambda p: wolf[p])
    team = "Village" if village_probability(view, belief)[view.seat] >= 0.5 else "Werewolf"
    return f"I am on Team {team}; {_seat(suspect)} looks most like a Werewolf."


def _vote_thought(view, belief: np.ndarray, target: int | None) -> str:
    from tactica.agents.discussion.belief import village_probability

    if target is None:
        return "I abstain."
    if village_probability(view, belief)[view.seat] >= 0.5:
        return f"{_seat(target)} is the most likely Werewolf."
    return f"Voting {_seat(target)} keeps the Werewolves safe."


def record_episode(
    agent: str, seed: int, episode: int, preset: str = "5p", rules: str | None = None, others: str = "same"
) -> list[Example]:
    """One game of ``preset`` played through :class:`ExpertModel`; its examples.

    ``others="same"``: every seat plays ``agent``.  ``others="belief"``: only Player 3 plays ``agent`` and every
    other seat plays the LLM Belief agent (belief step, speech, vote; no tactic), the paper's evaluation
    setting, whose prompts ``benchmarks/onuw_paper_table.py`` sends (``onuw-llm-tactic`` and ``onuw-react``).
    """
    from tactica.agents.discussion.agent import make_rl_agent
    from tactica.agents.discussion.paper_agents import LLMTactic, PaperAgent
    from tactica.agents.discussion.selfplay import Setting, play_game

    if agent not in AGENTS:
        raise ValueError(f"ONUW transcripts record {', '.join(AGENTS)}; got {agent!r}")
    if others not in ("same", "belief"):
        raise ValueError(f"others must be 'same' or 'belief', got {others!r}")
    if others == "belief" and agent == "onuw-rl":
        raise ValueError(
            "others='belief' records the paper agents (onuw-llm-tactic, onuw-react), not onuw-rl"
        )
    setting = Setting.from_preset(preset, rules)
    recorder = _Recorder(seed)
    recorder.expert.episode, recorder.expert.seed = episode, seed
    players = []
    for p in range(setting.num_players):
        if agent == "onuw-rl":
            player = make_rl_agent(llm=recorder.expert, seed=seed * 16 + p)
            player.writer = _writer(recorder)
        else:
            kind = "llm-tactic" if agent == "onuw-llm-tactic" else "react"
            if others == "belief" and p != PLAYER_3:
                kind = "belief"
            player = PaperAgent(kind, recorder.expert, seed=seed * 16 + p)
            helper = make_rl_agent(seed=seed * 16 + p)  # the expert: RL tactics, offline belief, belief vote
            player.decisions = _decisions(recorder, helper)
            if isinstance(player.tactic_policy, LLMTactic):
                player.tactic_policy.decisions = player.decisions
            if player.llm_listener is not None:
                player.llm_listener = _listener(recorder, helper)
        players.append(player)
    record = play_game(setting, players, np.random.default_rng(seed), record_states=False)
    outcome = record.outcome
    examples = recorder.expert.examples
    for example in examples:
        example.label = {"preset": preset, "draw": bool(outcome.draw),
                         "winning_teams": sorted(t.name.lower() for t in outcome.winning_teams)}  # fmt: skip
    return examples
