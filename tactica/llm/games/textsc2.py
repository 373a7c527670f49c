"""TextSC2 transcripts: the Chain of Summarization agent's calls, answered with the scripted expert's decisions.

The ``cos`` agent plays the game as always; its language model is an :class:`~tactica.llm.games.corpus.ExpertModel`
that answers each call by looking ahead on a copy of the game: it plays the next ``action_window`` steps as the
agent will execute them (the decisions at the agent's ``mix_actions`` positions, ``EMPTY ACTION`` between),
asking ``textsc2-expert`` for the action at each decision position, and answers those actions in the
``Decisions:`` format.  The copy is exact (the env is seeded), so the agent then plays precisely the game the
expert chose: the corpus holds the states an expert reaches through the agent's own prompting, not the states
of a player acting every step.  A decision the expert leaves empty is answered as ``<EMPTY ACTION>`` so the
positions of the later ones are kept.

Answer formats (``answer=``): ``"slots"`` (default) answers every decision position, ``<EMPTY ACTION>`` where
the expert waits; ``"compact"`` answers only the actions the expert takes in the window, in order (a window
where it takes none is one ``<EMPTY ACTION>``).  The agent spreads a shorter list evenly over its window, so a
compact answer is played at other steps than the look-ahead played it; the corpus then holds the states that
this agent reaches, and each answer is what the expert does next from the prompt's state.

States the expert never reaches on its own come in two ways: ``explore=p`` drops the agent's actions at random,
and ``policy=SPEC`` lets a trained model play the game while the expert labels every call (DAgger's
aggregation step, :class:`PolicyPlays`), so the corpus holds the very mistakes that model makes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tactica.llm.games.corpus import Example, ExpertModel

__all__ = [
    "ANSWER_FORMATS",
    "DEFAULT_OPTIONS",
    "ExpertLookahead",
    "PolicyPlays",
    "answer_actions",
    "decisions_text",
    "play_episode",
    "record_episode",
]

#: Options cycled over episodes when not given: the built-in AI's levels 1-6.
DEFAULT_OPTIONS: dict[str, Any] = {"difficulty": [1, 2, 3, 4, 5, 6]}

#: How the expert's window is written as an answer (see the module docstring).
ANSWER_FORMATS = ("slots", "compact")


def answer_actions(slot_actions: list[int], answer: str = "slots") -> list[int]:
    """The actions an answer lists: every slot (``"slots"``) or only the taken ones, in order (``"compact"``)."""
    from tactica.envs.textsc2.actions import EMPTY_ACTION

    if answer == "slots":
        return list(slot_actions)
    if answer == "compact":
        return [a for a in slot_actions if a != EMPTY_ACTION] or [EMPTY_ACTION]
    raise ValueError(f"answer must be one of {', '.join(ANSWER_FORMATS)}, got {answer!r}")


def decisions_text(actions: list[int]) -> str:
    """``Decisions:`` then one ``i: <ACTION>`` line per action (the form the agent's parser reads)."""
    from tactica.envs.textsc2.actions import ACTIONS

    return "Decisions:\n" + "".join(f"{i}: <{ACTIONS[a]}>\n" for i, a in enumerate(actions))


class ExpertLookahead:
    """Answers a ``cos`` call with the expert's actions for the agent's next window (see the module docstring).

    ``env`` is the running environment (its unwrapped state is copied), ``expert`` a ``textsc2-expert`` whose
    state follows the game (the look-ahead plays exactly the steps the agent will play), ``agent`` the ``cos``
    agent (its ``mix_actions`` pattern gives the decision positions).
    """

    def __init__(self, env, expert, agent):
        from tactica.agents.summarization.cos import mix_actions
        from tactica.envs.textsc2.actions import EMPTY_ACTION

        self.env = env
        self.expert = expert
        self.observation: Any = None
        self.info: dict = {}
        placeholders = [a for a in range(agent.decisions + 1) if a != EMPTY_ACTION][: agent.decisions]
        pattern = mix_actions(placeholders, agent.action_window, agent.action_mix_rate)
        self.slots = [step for step, a in enumerate(pattern) if a != EMPTY_ACTION]
        self.window = agent.action_window

    def __call__(self, messages, call: str = "decisions") -> str:
        return decisions_text(self.slot_actions())

    def slot_actions(self) -> list[int]:
        """The expert's action at each decision position of the next window (``EMPTY ACTION`` where it waits)."""
        from tactica.envs.textsc2.actions import EMPTY_ACTION

        game = copy.deepcopy(self.env.unwrapped)
        observation, info = self.observation, self.info
        actions = []
        for step in range(self.window):
            action = EMPTY_ACTION
            if step in self.slots:
                action = int(self.expert.act(observation, info))
                actions.append(action)
            observation, _, terminated, truncated, info = game.step(action)
            if terminated or truncated:
                break
        return actions


def play_episode(
    seed: int,
    difficulty: Any = 1,
    reply: Callable[[list[int]], list[int]] | None = None,
    explore: float = 0.0,
    answer: Callable[[ExpertLookahead, Any, list[dict], str], str] | None = None,
    expert: dict[str, Any] | None = None,
    **env_options: Any,
) -> tuple[ExpertModel, dict]:
    """One game of ``cos`` whose model answers ``reply(slot_actions)`` (default: the slots as they are).

    ``answer(lookahead, env, messages, call)``, when given, answers each call instead (it may play answers out
    on copies of ``env``, as the preference pairs do).

    ``explore``: the probability that an action the agent plays is replaced by ``EMPTY ACTION`` (seeded by
    ``seed``), so the game drifts into states the expert never reaches on its own (a supply block, a late
    Gateway), whose calls are still answered with what the expert does there.
    ``expert``: keyword arguments of the ``textsc2-expert`` that answers (``{"late_game": true}``).
    Returns the expert model (its ``examples`` are the calls) and the last step's ``info``.
    """
    import gymnasium as gym
    import numpy as np

    from tactica.agents import make
    from tactica.envs.textsc2.actions import EMPTY_ACTION

    if not 0.0 <= explore < 1.0:
        raise ValueError(f"explore must lie in [0, 1), got {explore!r}")
    rng = np.random.default_rng(seed)

    reply = reply or list
    env = gym.make("TextSC2-v1", difficulty=difficulty, **env_options)
    try:
        expert = make("textsc2-expert", action_space=env.action_space, **_expert_options(expert))
        if answer is None:
            model = ExpertModel(
                lambda messages, call="decisions": decisions_text(reply(lookahead.slot_actions()))
            )
        else:
            model = ExpertModel(lambda messages, call="decisions": answer(lookahead, env, messages, call))
        model.context = {"call": "decisions"}
        agent = make("cos", action_space=env.action_space, observation_space=env.observation_space, llm=model)
        lookahead = ExpertLookahead(env, expert, agent)
        agent.reset(seed=seed)
        expert.reset(seed=seed)
        observation, info = env.reset(seed=seed)
        steps = 0
        while True:
            lookahead.observation, lookahead.info = observation, info
            action = agent.act(observation, info)
            if explore and action != EMPTY_ACTION and rng.random() < explore:
                action = EMPTY_ACTION
            observation, _, terminated, truncated, info = env.step(action)
            steps += 1
            if terminated or truncated:
                break
    finally:
        env.close()
    info["steps"] = steps
    return model, info


class PolicyPlays:
    """DAgger's data collection: the agent plays ``policy``'s answers while the corpus records the expert's.

    Each call is answered by the expert's look-ahead (in format ``answer``), and that answer is the example's
    target; the game, though, goes on with the reply of ``policy`` (a chat model, asked with ``temperature``),
    except with probability ``beta`` per call, where the expert's own answer is played.  So the corpus holds the
    states a trained model reaches by its own mistakes (a late Pylon, a supply block, a missing Gateway), each
    answered with what the expert does there: the aggregation step of DAgger (Ross, Gordon and Bagnell, 2011).
    """

    def __init__(self, policy, answer: str, beta: float, temperature: float, seed: int):
        import numpy as np

        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must lie in [0, 1], got {beta!r}")
        if temperature < 0:
            raise ValueError(f"temperature must be at least 0, got {temperature!r}")
        self.policy, self.answer, self.beta, self.temperature = policy, answer, beta, temperature
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.labels: list[str] = []

    def __call__(self, lookahead: ExpertLookahead, env, messages: list[dict], call: str = "decisions") -> str:
        label = decisions_text(answer_actions(lookahead.slot_actions(), self.answer))
        self.labels.append(label)
        if self.rng.random() < self.beta:
            return label
        return self.policy.chat(messages, temperature=self.temperature, seed=self.seed + len(self.labels))


def record_episode(
    agent: str,
    seed: int,
    episode: int,
    difficulty: Any = 1,
    answer: str = "slots",
    explore: float = 0.0,
    policy: Any = None,
    beta: float = 0.0,
    temperature: float = 0.0,
    expert: dict[str, Any] | None = None,
    **env_options: Any,
) -> list[Example]:
    """One game of ``cos`` with the expert answering in format ``answer``; its examples, labelled with the
    game's result.

    ``explore``: the agent's actions are dropped with that probability (see :func:`play_episode`).
    ``policy``: a language-model spec (``plm:DIR``...) or chat model whose answers the agent plays instead of
    the expert's (the expert's answer is still each example's target; ``beta`` and ``temperature`` as in
    :class:`PolicyPlays`).
    ``expert``: keyword arguments of the labelling expert (see :func:`play_episode`); recorded in the label.
    """
    if agent != "cos":
        raise ValueError(f"TextSC2 transcripts record the cos agent, got {agent!r}")
    answer_actions([], answer)  # validates the format before the game starts
    if policy is None:
        model, info = play_episode(
            seed,
            difficulty,
            lambda slots: answer_actions(slots, answer),
            explore,
            expert=expert,
            **env_options,
        )
    else:
        plays = PolicyPlays(_chat_model(policy), answer, float(beta), float(temperature), seed)
        model, info = play_episode(
            seed, difficulty, explore=explore, answer=plays, expert=expert, **env_options
        )
        for example, label in zip(model.examples, plays.labels, strict=True):
            example.answer = label
    label = {"difficulty": difficulty, "result": str(info.get("result", "")), "steps": info["steps"]}
    if explore:
        label["explore"] = explore
    if expert:
        label["expert_options"] = dict(expert)
    if policy is not None:
        label["policy"] = policy if isinstance(policy, str) else getattr(policy, "name", "policy")
        label["beta"] = float(beta)
        label["temperature"] = float(temperature)
    for example in model.examples:
        example.episode, example.seed = episode, seed
        example.label = dict(label)
    return model.examples


_POLICIES: dict[str, Any] = {}


def _expert_options(expert: Any) -> dict[str, Any]:
    """The ``expert`` option as keyword arguments of ``textsc2-expert`` (a dict, or None for the defaults)."""
    import inspect

    from tactica.baselines.textsc2.expert import TextSC2Expert

    if expert is None:
        return {}
    accepted = sorted(
        set(inspect.signature(TextSC2Expert).parameters) - {"action_space", "observation_space"}
    )
    if not isinstance(expert, dict) or not set(expert) <= set(accepted):
        raise ValueError(
            "expert must be a JSON object of textsc2-expert arguments "
            f'({", ".join(accepted)}; e.g. {{"late_game": true}}), got {expert!r}'
        )
    return dict(expert)


def _chat_model(policy: Any):
    """``policy`` as a chat model: a spec is loaded once per process (a corpus run plays many games)."""
    if not isinstance(policy, str):
        return policy
    if policy not in _POLICIES:
        from tactica.llm import from_spec

        _POLICIES[policy] = from_spec(policy)
    return _POLICIES[policy]
