"""TextSC2 transcripts: the Chain of Summarization agent's calls, answered with the scripted expert's decisions.

The ``cos`` agent plays the game as always; its language model is an :class:`~tactica.llm.games.corpus.ExpertModel`
that answers each call by looking ahead on a copy of the game: it plays the next ``action_window`` steps as the
agent will execute them (the decisions at the agent's ``mix_actions`` positions, ``EMPTY ACTION`` between),
asking ``textsc2-expert`` for the action at each decision position, and answers those actions in the
``Decisions:`` format.  The copy is exact (the env is seeded), so the agent then plays precisely the game the
expert chose: the corpus holds the states an expert reaches through the agent's own prompting, not the states
of a player acting every step.  A decision the expert leaves empty is answered as ``<EMPTY ACTION>`` so the
positions of the later ones are kept.
"""

from __future__ import annotations

import copy
from typing import Any

from tactica.llm.games.corpus import Example, ExpertModel

__all__ = ["DEFAULT_OPTIONS", "record_episode", "decisions_text", "ExpertLookahead"]

#: Options cycled over episodes when not given: the built-in AI's levels 1-6.
DEFAULT_OPTIONS: dict[str, Any] = {"difficulty": [1, 2, 3, 4, 5, 6]}


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
        return decisions_text(actions)


def record_episode(
    agent: str, seed: int, episode: int, difficulty: Any = 1, **env_options: Any
) -> list[Example]:
    """One game of ``cos`` with the expert answering; its examples, labelled with the game's result."""
    if agent != "cos":
        raise ValueError(f"TextSC2 transcripts record the cos agent, got {agent!r}")
    import gymnasium as gym

    from tactica.agents import make

    env = gym.make("TextSC2-v1", difficulty=difficulty, **env_options)
    try:
        expert = make("textsc2-expert", action_space=env.action_space)
        model = ExpertModel(lambda messages, call="decisions": lookahead(messages, call))
        model.episode, model.seed = episode, seed
        model.context = {"call": "decisions"}
        agent = make("cos", action_space=env.action_space, observation_space=env.observation_space, llm=model)
        lookahead = ExpertLookahead(env, expert, agent)
        agent.reset(seed=seed)
        expert.reset(seed=seed)
        observation, info = env.reset(seed=seed)
        steps = 0
        while True:
            lookahead.observation, lookahead.info = observation, info
            observation, _, terminated, truncated, info = env.step(agent.act(observation, info))
            steps += 1
            if terminated or truncated:
                break
    finally:
        env.close()
    label = {"difficulty": difficulty, "result": str(info.get("result", "")), "steps": steps}
    for example in model.examples:
        example.label = dict(label)
    return model.examples
