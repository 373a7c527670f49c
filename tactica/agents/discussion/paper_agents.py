"""The agents of Jin et al. (NeurIPS 2024) over any ChatModel, and their no-LLM counterparts.

=================  ==============================  ====================================================
agent              with an LLM (``llm=``)          with no LLM (``llm=None``)
=================  ==============================  ====================================================
``"react"``        LLM-only: one prompt per        no belief step, no tactic: names whom it suspects
                   decision, no belief step, no
                   tactic (the ReAct baseline)
``"belief"``       LLM belief step, then the       belief (offline listener), no tactic (the paper's
                   speech, no tactic               "Belief" agent, which plays the other seats)
``"llm-tactic"``   the LLM picks one of the six    tactics drawn from GPT-4's measured frequencies for
                   tactics, then speaks with it    its initial role (the authors' released games)
``"rl"``           the RL policy picks the         the RL policy picks the tactic; the speech is
                   tactic, the LLM speaks with it  a paraphrase of the structured content
=================  ==============================  ====================================================

With an LLM, the model chooses the night action, writes every speech and casts the vote (an unparsable vote
abstains, as in the authors' env); its belief comes from :class:`~.listeners.LLMListener`.  The structured fields
an env needs for a free speech are the offline reader's reading of the model's own words.  Every agent reads
other players' words with its listener, so what is said moves its belief and its vote.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from tactica.agents.discussion.agent import BeliefOnly, DiscussionAgent, SettingRLTactic
from tactica.agents.discussion.belief import NightKnowledge, village_probability, wolf_probability
from tactica.agents.discussion.listeners import LLMListener, TextReader, extract_json
from tactica.agents.discussion.speech import TACTIC_DESCRIPTIONS, as_chat_model
from tactica.envs.onuw.rules import NightAction, PlayerView, Role, Speech, Tactic
from tactica.envs.onuw.view import player_view_from, position_name, seat_name

__all__ = [
    "PAPER_AGENTS",
    "EmpiricalTactic",
    "LLMTactic",
    "LLMDecisions",
    "PaperAgent",
    "label_tactic",
    "read_tactic",
    "read_vote",
    "make_react_agent",
    "make_llm_tactic_agent",
]

PAPER_AGENTS = ("react", "belief", "llm-tactic", "rl")


@cache
def gpt4_tactic_frequencies() -> dict[str, np.ndarray]:
    """Initial role -> GPT-4's tactic distribution (``data/gpt4_tactics.json``, source named there)."""
    path = resources.files("tactica.agents.discussion") / "data" / "gpt4_tactics.json"
    data = json.loads(path.read_text())
    return {role: np.asarray(p, dtype=float) / sum(p) for role, p in data["percent"].items()}


class EmpiricalTactic:
    """Tactics drawn from GPT-4's frequencies for the speaker's initial role (uniform for roles it never had)."""

    name = "gpt4-frequencies"

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        p = gpt4_tactic_frequencies().get(view.initial_role.title, np.full(6, 1 / 6))
        return Tactic(int(rng.choice(6, p=p)))


class LLMTactic:
    """The LLM picks the tactic (the paper's LLM-instructed agent); an unreadable answer falls back to
    :class:`EmpiricalTactic` and is counted in ``failures``."""

    name = "llm-tactic"

    def __init__(self, decisions: LLMDecisions):
        self.decisions = decisions
        self.failures = 0

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        tactic = self.decisions.tactic(view, belief)
        if tactic is None:
            self.failures += 1
            return EmpiricalTactic().choose(view, belief, rng)
        return tactic


def belief_summary(view: PlayerView, belief: np.ndarray) -> str:
    """One line per player: its most likely roles with probabilities (what the LLM is told it believes)."""
    lines = []
    for p in range(view.num_players):
        order = np.argsort(-belief[p])[:2]
        parts = ", ".join(
            f"{view.roles_in_deck[i].title} {belief[p, i]:.0%}" for i in order if belief[p, i] > 0.005
        )
        lines.append(f"{'You' if p == view.seat else seat_name(p)}: {parts}")
    return "\n".join(lines)


def night_option_text(view: PlayerView, action: NightAction) -> str:
    n = view.num_players
    names = [position_name(n, t) for t in action.targets]
    return {
        "pass": "do nothing",
        "view": f"look at {' and '.join(names)}",
        "view_random_center": "look at two random centre cards",
        "rob": f"swap your card with {names[0] if names else ''} and look at your new card",
        "swap": f"swap the cards of {' and '.join(names)}",
        "take": f"swap your card with {names[0] if names else ''} without looking",
    }[action.kind]


class LLMDecisions:
    """The LLM's decisions, one chat call each, answers in JSON (prompts paraphrase the authors' role prompts)."""

    def __init__(self, llm: Any, temperature: float = 1.0, max_words: int = 50):
        self.llm = as_chat_model(llm)
        self.temperature = temperature
        self.max_words = max_words
        self.failures = 0

    def _ask(self, view: PlayerView, task: str) -> Any:
        system = (
            "You are playing One Night Ultimate Werewolf. Concealing and deceiving are encouraged during the Day "
            "phase. Always answer with one JSON object."
        )
        reply = self.llm.chat(
            [
                {"role": "system", "content": system},
                {"role": "user", "content": f"{player_view_from(view)}\n\n{task}"},
            ],
            temperature=self.temperature,
            max_tokens=400,
        )
        data = extract_json(reply)
        if not isinstance(data, dict):
            self.failures += 1
            return None
        return data

    def night(self, view: PlayerView, options: list[NightAction]) -> NightAction | None:
        if len(options) == 1:
            return options[0]
        menu = "\n".join(f"{i}. {night_option_text(view, a)}" for i, a in enumerate(options))
        data = self._ask(
            view,
            f"Choose your night action:\n{menu}\n"
            'Answer {"thought": <your reasoning>, "choice": <the number of your action>}.',
        )
        choice = data.get("choice") if data else None
        if isinstance(choice, str) and choice.strip().isdigit():
            choice = int(choice)
        if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < len(options):
            return options[choice]
        self.failures += data is not None
        return None

    def tactic(self, view: PlayerView, belief: np.ndarray) -> Tactic | None:
        names = ", ".join(t.label for t in Tactic)
        data = self._ask(
            view,
            f"Your belief about the players' current roles:\n{belief_summary(view, belief)}\n"
            "Choose the most appropriate speaking strategy for your next speech; your goal is to convince the "
            f"others and to make them reveal their true night actions. Options: [{names}].\n"
            'Answer {"thought": <why>, "strategy": <one option>}.',
        )
        return read_tactic(data.get("strategy", "") if data else "")

    def speech(self, view: PlayerView, tactic: Tactic | None, belief: np.ndarray | None) -> str | None:
        task = ""
        if belief is not None:
            task += f"Your belief about the players' current roles:\n{belief_summary(view, belief)}\n"
        if tactic is not None:
            task += f"In this turn, your speaking strategy is: {TACTIC_DESCRIPTIONS[tactic]}.\n"
        task += (
            f"Give a concise but specific public speech (fewer than {self.max_words} words). "
            'Answer {"thought": <your reasoning>, "speech": <your speech>}.'
        )
        data = self._ask(view, task)
        speech = data.get("speech") if data else None
        if not isinstance(speech, str) or not speech.strip():
            return None
        return " ".join(speech.split()[: self.max_words * 2])

    def vote(self, view: PlayerView, belief: np.ndarray | None) -> int | None:
        task = ""
        if belief is not None:
            task += f"Your belief about the players' current roles:\n{belief_summary(view, belief)}\n"
        task += (
            "Vote for the other player you want to eliminate (a Werewolf if you are on Team Village). "
            'Answer {"thought": <your reasoning>, "player": "Player k"}.'
        )
        data = self._ask(view, task)
        return read_vote(data.get("player", "") if data else "", view.num_players)


def read_tactic(answer: Any) -> Tactic | None:
    """The tactic a model's ``"strategy"`` answer names (case, spaces and underscores ignored), or ``None``."""
    key = re.sub(r"[^a-z]+", "_", str(answer).lower()).strip("_")
    for tactic in Tactic:
        if tactic.label == key or tactic.label.replace("_", "") == key.replace("_", ""):
            return tactic
    return None


def read_vote(answer: Any, num_players: int) -> int | None:
    """The seat a model's ``"player"`` answer names (``"Player k"`` -> ``k - 1``), or ``None``."""
    match = re.search(r"(\d+)", str(answer))
    if match and 1 <= int(match.group(1)) <= num_players:
        return int(match.group(1)) - 1
    return None


def label_tactic(
    view: PlayerView, belief: np.ndarray, kind: str, claim: Role | None, target: int | None
) -> Tactic:
    """The tactic a speech earns relative to the speaker's belief (for speeches written freely by an LLM)."""
    if kind == "evidence":
        honest = claim in (None, view.initial_role)
    elif kind == "accusation":
        wolf = wolf_probability(view, belief)
        others = [p for p in range(view.num_players) if p != view.seat]
        honest = target is None or target == view.seat or wolf[target] >= 0.5 * max(wolf[others])
    else:
        honest = target is None or village_probability(view, belief)[target] >= 0.5
    return Tactic(("evidence", "accusation", "defense").index(kind) * 2 + (0 if honest else 1))


class PaperAgent(DiscussionAgent):
    """One of :data:`PAPER_AGENTS` (see the module docstring), with or without an LLM.

    Args:
        kind: ``"react"``, ``"belief"``, ``"llm-tactic"`` or ``"rl"``.
        llm: a :class:`tactica.llm.ChatModel` or spec string, or ``None`` for the no-LLM counterpart.
        checkpoint: the RL tactic policy (``"rl"``; default: the shipped policy for the game's setting).
        belief: the offline belief (default: exact or heuristic night knowledge read by the offline listener).
    """

    def __init__(
        self, kind: str, llm: Any = None, *, checkpoint: Any = None, seed: int | None = None, **kwargs: Any
    ):
        if kind not in PAPER_AGENTS:
            raise ValueError(f"kind must be one of {PAPER_AGENTS}, got {kind!r}")
        self.kind = kind
        self.decisions = LLMDecisions(llm) if llm is not None else None
        if kind == "rl":
            policy: Any = SettingRLTactic(checkpoint)
        elif kind == "llm-tactic":
            policy = LLMTactic(self.decisions) if self.decisions else EmpiricalTactic()
        else:
            policy = BeliefOnly()
        if kind == "react" and llm is None:
            kwargs.setdefault("belief", NightKnowledge())  # no belief step: the discussion is not modelled
        super().__init__(policy, seed=seed, **kwargs)
        self.llm_listener = LLMListener(llm) if llm is not None and kind != "react" else None

    @property
    def name(self) -> str:
        return f"{self.kind}{'+llm' if self.decisions else ''}"

    def _llm_belief(self, view: PlayerView) -> np.ndarray | None:
        return self.llm_listener(view) if self.llm_listener is not None else None

    def night_action(self, view: PlayerView, options: list[NightAction]) -> NightAction:
        if self.decisions is not None:
            choice = self.decisions.night(view, options)
            if choice is not None:
                return choice
        return super().night_action(view, options)

    def speak(self, view: PlayerView) -> Speech:
        if self.decisions is None:
            return super().speak(view)
        belief = self._llm_belief(view)
        offline = self.belief(view)
        tactic = (
            None
            if self.kind in ("react", "belief")
            else self.tactic_policy.choose(view, belief if belief is not None else offline, self.rng)
        )
        text = self.decisions.speech(view, tactic, belief)
        if text is None:  # the model gave no speech: say the structured content of the same tactic in words
            return self.speech_with(view, offline, tactic)
        kind, claim, target = TextReader.default().read(text).most_likely()
        claim = claim if claim in view.roles_in_deck else None
        target = view.seat if target == -1 else target
        if target is not None and not 0 <= target < view.num_players:
            target = None
        if tactic is None:
            tactic = label_tactic(view, offline, kind, claim, target)
        self.tactics_used.append(tactic)
        return Speech(view.seat, tactic, claim=claim, target=target, text=text)

    def vote(self, view: PlayerView, legal: list[int | None]) -> int | None:
        if self.decisions is None:
            return super().vote(view, legal)
        choice = self.decisions.vote(view, self._llm_belief(view))
        if choice in legal:
            return choice
        return None if None in legal else super().vote(view, legal)


def make_react_agent(llm: Any = None, **kwargs: Any) -> PaperAgent:
    """``"onuw-react"``: the LLM-only agent (no belief step, no tactic); without ``llm`` its no-LLM counterpart."""
    return PaperAgent("react", llm, **kwargs)


def make_llm_tactic_agent(llm: Any = None, **kwargs: Any) -> PaperAgent:
    """``"onuw-llm-tactic"``: the LLM picks the tactic; without ``llm`` GPT-4's measured tactic frequencies."""
    return PaperAgent("llm-tactic", llm, **kwargs)
