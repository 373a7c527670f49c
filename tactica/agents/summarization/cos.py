"""The Chain of Summarization agent (Ma et al., 2023, arXiv 2312.11865) for TextSC2-v1.

Every step the single-frame (L1) summary, the observation's ``text``, enters a queue.  Every
``action_interval`` steps the last ``last_k`` summaries are sent as ``chunk0: ... chunkN:`` to the language
model with the multi-frame (L2) prompt (system prompt, one few-shot example, the chunks; see
:mod:`.prompts` for the named prompt sets); the reply is read as the original reads it
(:func:`tactica.envs.textsc2.decisions.parse_decisions`: every decision becomes an action), and its actions
are spread evenly over the next ``action_window`` steps between ``EMPTY ACTION`` steps (the original's
``mix_actions``: ``int(action_window * action_mix_rate)`` = 5 real and 5 empty of 10 by default), one per
step.  The summary queue is cleared after each call.  :attr:`ChainOfSummarizationAgent.log` records every call:
the reply, the actions and how each decision was matched.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.summarization.prompts import format_chunks, prompt_set
from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.envs.textsc2.decisions import parse_decisions
from tactica.llm import ChatModel, default_temperature, from_spec

__all__ = ["ChainOfSummarizationAgent", "DecisionRecord", "call_seed", "mix_actions"]


def call_seed(seed: int | None, call: int) -> int | None:
    """The seed of an episode's ``call``-th model call (from 0): ``seed * 1_000_003 + call``, so the calls draw
    independently and a seeded episode replays exactly; ``None`` without an episode seed."""
    return None if seed is None else seed * 1_000_003 + call


def mix_actions(actions: list[int], window: int, mix_rate: float = 0.5) -> list[int]:
    """Spread ``actions`` over ``window`` steps, the rest ``EMPTY ACTION``, at evenly spaced positions.

    The first ``int(window * mix_rate)`` actions are kept, at ``np.linspace(0, window - 1, n)`` rounded down,
    as the original's ``mix_actions`` (5 of a window of 10 by default).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if not 0.0 < mix_rate <= 1.0:
        raise ValueError(f"mix_rate must be in (0, 1], got {mix_rate}")
    keep = list(actions)[: int(window * mix_rate)]
    out = [EMPTY_ACTION] * window
    if keep:
        positions = np.linspace(0, window - 1, num=len(keep)).astype(int)  # floor, as the original
        for pos, action in zip(positions, keep):
            out[int(pos)] = action
    return out


@dataclass
class DecisionRecord:
    """One language-model call: when, the reply, the actions read from it and how each decision matched."""

    step: int
    reply: str
    actions: list[str]
    matches: list[dict[str, str]] = field(default_factory=list)


class ChainOfSummarizationAgent:
    """Chain of Summarization over any :class:`tactica.llm.ChatModel`.

    Args:
        action_space: ``Discrete(72)`` of TextSC2-v1.
        observation_space: the env's observation space (optional).
        llm: a ChatModel or a spec string (``"openai:<model>@<url>"``, ``"replay:<file>"``, ``"scripted:[...]"``).
        prompt: the prompt set (:data:`~tactica.agents.summarization.prompts.PROMPTS`): ``"tactica"`` (default,
            decisions only), ``"tactica-cot"`` (analysis, suggestions, then decisions: the paper's full CoS),
            ``"v4"`` (the original's prompt V4, verbatim) or
            ``"v4-realtime"`` (the original's decisions-only prompt).
        action_interval: steps between language-model calls (original: 10).
        decisions: decisions asked for per call (K, original: 5).
        last_k: single-frame summaries per call (original: 5).
        action_window: steps the decisions are spread over (original: 10).
        action_mix_rate: share of the window filled with real actions (original: 0.5).
        feedback: also send the actions executed and failed since the last call (as the original's v2 prompts
            do; tactica's prompt sets only).
        temperature: the model's sampling temperature; ``None`` (default) takes the model's own
            (:func:`tactica.llm.default_temperature`: a PLM checkpoint's ``generation_config.json``; greedy for a
            model that declares none).
        max_tokens: passed to the model.
        seed: seeds the model's sampling, each call apart (:func:`call_seed`), so a seeded episode replays exactly
            (``reset(seed=...)`` sets it).
        opponent_race: named in the system prompt.
    """

    def __init__(
        self,
        action_space: gym.spaces.Space | None = None,
        observation_space: gym.spaces.Space | None = None,
        *,
        llm: ChatModel | str,
        prompt: str = "tactica",
        action_interval: int = 10,
        decisions: int = 5,
        last_k: int = 5,
        action_window: int = 10,
        action_mix_rate: float = 0.5,
        feedback: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        opponent_race: str = "Zerg",
    ):
        if action_space is not None and not (
            isinstance(action_space, gym.spaces.Discrete) and action_space.n == len(ACTIONS)
        ):
            raise ValueError(f"the cos agent plays TextSC2-v1's Discrete(72) actions, got {action_space}")
        for name, value in (
            ("action_interval", action_interval),
            ("decisions", decisions),
            ("last_k", last_k),
            ("action_window", action_window),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if llm is None:
            raise ValueError(
                "the cos agent needs llm= (a ChatModel or a spec such as 'openai:<model>@<url>')"
            )
        self.action_space = action_space
        self.observation_space = observation_space
        self.llm = from_spec(llm)
        self.action_interval = action_interval
        self.decisions = decisions
        self.last_k = last_k
        self.action_window = action_window
        self.action_mix_rate = float(action_mix_rate)
        mix_actions([], action_window, self.action_mix_rate)  # validates the rate
        self.feedback = feedback
        self.temperature = default_temperature(self.llm) if temperature is None else float(temperature)
        self.max_tokens = max_tokens
        self.seed = seed
        self.prompt = prompt_set(prompt, decisions, opponent_race)
        if feedback and prompt.startswith("v4"):
            raise ValueError(
                "feedback=True adds to tactica's prompts only; the original's v4 prompts have none"
            )
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.step = 0
        self.summaries: deque[str] = deque(maxlen=self.last_k)
        self.queue: deque[int] = deque()
        self.log: list[DecisionRecord] = []
        self.executed: list[str] = []
        self.failures: list[str] = []
        if seed is not None:
            self.seed = seed

    @property
    def system(self) -> str:
        """The system prompt of the chosen prompt set."""
        return self.prompt.system

    def messages(self) -> list[dict[str, str]]:
        """The chat messages of the next call (system, few-shot pair, chunks)."""
        user = format_chunks(list(self.summaries))
        if self.feedback:
            user += "\nExecuted actions: " + (", ".join(self.executed) or "none")
            user += "\nFailed actions: " + (" | ".join(self.failures) or "none") + "\n"
        return self.prompt.messages(user)

    def act(self, observation: dict, info: dict[str, Any] | None = None) -> int:
        info = info or {}
        text = observation.get("text") if isinstance(observation, dict) else None
        if not isinstance(text, str):
            raise TypeError("the cos agent needs TextSC2-v1 observations (a dict with a 'text' summary)")
        self.summaries.append(text)
        if info.get("action_executed"):
            self.executed.append(str(info["action_executed"]))
        self.failures.extend(info.get("action_failures") or [])
        if self.step % self.action_interval == 0:
            self._plan()
        self.step += 1
        return self.queue.popleft() if self.queue else EMPTY_ACTION

    def _plan(self) -> None:
        reply = self.llm.chat(
            self.messages(),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=call_seed(self.seed, len(self.log)),
        )
        parsed = parse_decisions(reply)
        actions = parsed.actions[: self.decisions]
        matches = [m.as_dict() for m in parsed.matches]
        self.log.append(DecisionRecord(self.step, reply, [ACTIONS[a] for a in actions], matches))
        self.queue = deque(mix_actions(actions, self.action_window, self.action_mix_rate))
        self.summaries.clear()
        self.executed.clear()
        self.failures.clear()
