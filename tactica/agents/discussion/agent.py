"""The RL-instructed discussion agent for ONUW and its baselines.

Every agent follows the paper's pipeline: (1) a belief over every player's final role, (2) a discussion tactic
(one of six) chosen by a *tactic policy*, (3) the speech: content from :func:`~.speech.realize`, words from a
writer (a template, or an LLM when one is configured -- the model never chooses the tactic).  Night actions are
uniform among the legal ones; votes follow the belief (Village: the most likely Werewolf; Werewolf team: the
believed villager most accused in public).

Tactic policies: :class:`RLTactic` (a Q-network trained by offline CQL, ``"onuw-rl"``), :class:`RandomTactic`
(``"onuw-random-tactic"``), :class:`AlwaysHonest` (``"onuw-honest"``) and :class:`BeliefOnly` (no tactic: say
whom you suspect, ``"onuw-belief"``).

Agents play the env (``act(observation, info)`` reads ``info["view"]`` and ``info["action_mask"]``) and the
rules module directly (``night_action``, ``speak``, ``vote`` on a :class:`PlayerView`), which self-play uses.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tactica.agents.discussion.belief import Belief, auto_belief, village_probability, wolf_probability
from tactica.agents.discussion.speech import (
    WRITER_TEMPERATURE,
    LLMWriter,
    TemplateWriter,
    belief_only_speech,
    realize,
)
from tactica.envs.onuw.actions import ActionCodec
from tactica.envs.onuw.features import encode_observation
from tactica.envs.onuw.rules import NightAction, Phase, PlayerView, Speech, Tactic

__all__ = [
    "TacticPolicy",
    "RandomTactic",
    "AlwaysHonest",
    "BeliefOnly",
    "RLTactic",
    "DiscussionAgent",
    "agent_state",
    "DEFAULT_CHECKPOINT",
    "default_checkpoint_path",
    "make_rl_agent",
    "make_random_tactic_agent",
    "make_honest_agent",
    "make_belief_agent",
]

#: The tactic policies shipped with the package, per setting (``python -m tactica.agents.discussion.train``).
DEFAULT_CHECKPOINT = "onuw_rl_5p.pt"
SHIPPED_POLICIES = {"3p": "onuw_rl_3p.pt", "5p": "onuw_rl_5p.pt"}


def default_checkpoint_path(setting: str = "5p") -> Path:
    """Where the shipped tactic policy of ``setting`` (``"3p"`` or ``"5p"``) lives (``--install`` writes it)."""
    if setting not in SHIPPED_POLICIES:
        raise ValueError(f"no shipped tactic policy for {setting!r}; shipped: {', '.join(SHIPPED_POLICIES)}")
    return Path(str(resources.files("tactica.agents.discussion") / "data" / SHIPPED_POLICIES[setting]))


def setting_of(view: PlayerView) -> str:
    """``"3p"`` (the paper's three cards) or ``"5p"`` (the paper's eight-card deck); ``ValueError`` otherwise."""
    from tactica.envs.onuw.presets import DECK_3P, PAPER_DECK_5P

    if view.num_players == 3 and sorted(view.deck) == sorted(DECK_3P):
        return "3p"
    if view.num_players == 5 and sorted(view.deck) == sorted(PAPER_DECK_5P):
        return "5p"
    raise ValueError(
        "no shipped tactic policy for this game (shipped: the 3-player and 5-player paper decks); train one with "
        "`python -m tactica.agents.discussion.train all --setting ...` and pass checkpoint="
    )


def default_checkpoint_for(view: PlayerView) -> Path:
    """The shipped tactic policy for the game of ``view``."""
    return default_checkpoint_path(setting_of(view))


def agent_state(view: PlayerView, belief: np.ndarray) -> np.ndarray:
    """The RL state: the player's features followed by its flattened belief."""
    return np.concatenate([encode_observation(view), belief.astype(np.float32).ravel()])


class TacticPolicy(Protocol):
    name: str

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic | None: ...


class RandomTactic:
    """Uniform over the six tactics (the paper's "Random" ablation)."""

    name = "random-tactic"

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        return Tactic(int(rng.integers(6)))


class AlwaysHonest:
    """Honest every turn: evidence first, then accuse the most likely Werewolf, or defend when accused."""

    name = "always-honest"

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        if view.round == 0:
            return Tactic.HONEST_EVIDENCE
        accused = sum(1 for s in view.speeches if s.kind == "accusation" and s.target == view.seat)
        if accused and view.speeches and view.speeches[-1].target == view.seat:
            return Tactic.HONEST_DEFENSE
        return Tactic.HONEST_ACCUSATION


class BeliefOnly:
    """No tactic (the paper's "Belief" ablation): the speech names whom the belief suspects."""

    name = "belief-only"

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> None:
        return None


class RLTactic:
    """Greedy in a Q-network over the six tactics, evaluated on :func:`agent_state`."""

    name = "rl"

    def __init__(self, q_network: Any):
        self.q_network = q_network
        # Inference runs in numpy: one small forward pass per speech, no torch thread pool to contend for.
        self._layers = [
            [
                (m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy())
                for m in critic
                if hasattr(m, "weight")
            ]
            for critic in q_network.critics
        ]
        self.state_dim = int(q_network.state_dim)
        self.n_quantiles = int(getattr(q_network, "n_quantiles", 1))

    def q_values(self, state: np.ndarray) -> np.ndarray:
        """The ensemble-mean Q-values of one state (numpy forward pass of the torch network; quantile critics
        give the mean of their quantiles)."""
        total = 0.0
        for layers in self._layers:
            x = state
            for i, (w, b) in enumerate(layers):
                x = x @ w + b
                if i < len(layers) - 1:
                    x = np.maximum(x, 0.0)
            total = total + x
        q = total / len(self._layers)
        return q.reshape(-1, self.n_quantiles).mean(axis=1) if self.n_quantiles > 1 else q

    @classmethod
    def load(cls, path: str | Path | None = None) -> RLTactic:
        from tactica.agents.discussion.nets import load_checkpoint

        model, _ = load_checkpoint(default_checkpoint_path() if path is None else path)
        return cls(model)

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        state = agent_state(view, belief)
        if state.shape[0] != self.state_dim:
            raise ValueError(
                f"the tactic policy expects {self.state_dim} state features, this game gives "
                f"{state.shape[0]} (it was trained for another number of players or deck)"
            )
        return Tactic(int(np.argmax(self.q_values(state))))


class DiscussionAgent:
    """Belief -> tactic -> speech agent for ``ONUW-v1`` (see the module docstring).

    Args:
        tactic_policy: a :class:`TacticPolicy`.
        belief: a callable ``view -> (N, K)``; default (:func:`~.belief.auto_belief`): exact night knowledge where
            the setting is small, heuristic otherwise, moved by every speech -- its words when it has some, read by
            the shipped offline listener.
        llm: optional :class:`tactica.llm.ChatModel` or spec string; it writes the words of each speech.
        writer_temperature: the temperature ``llm`` words the speeches at (default greedy, see
            :data:`~.speech.WRITER_TEMPERATURE`).
        words: without ``llm``, whether speeches carry words (``True``: a paraphrase of the structured content
            from the "speak" bank of :mod:`~.phrasing`, read by the listeners; ``False``: structured fields only).
        seed: seeds the agent's own generator (night actions, tie-breaks, random tactics).
    """

    def __init__(
        self,
        tactic_policy: TacticPolicy,
        *,
        belief: Belief | None = None,
        llm: Any = None,
        writer_temperature: float = WRITER_TEMPERATURE,
        words: bool = True,
        seed: int | None = None,
        action_space: Any = None,
        observation_space: Any = None,
    ):
        self.tactic_policy = tactic_policy
        self._belief = belief
        self.writer = LLMWriter(llm, temperature=writer_temperature) if llm is not None else TemplateWriter()
        self.uses_llm = llm is not None
        self.words = words or self.uses_llm
        self.action_space = action_space
        self.observation_space = observation_space
        self._codecs: dict[Any, ActionCodec] = {}
        self.rng = np.random.default_rng(seed)
        self.tactics_used: list[Tactic] = []

    @property
    def name(self) -> str:
        return self.tactic_policy.name

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.tactics_used = []

    def belief(self, view: PlayerView) -> np.ndarray:
        belief = self._belief or auto_belief(view)
        return belief(view)

    # ----------------------------------------------------------------------------------- rules-level API

    def night_action(self, view: PlayerView, options: list[NightAction]) -> NightAction:
        return options[int(self.rng.integers(len(options)))]

    def speak(self, view: PlayerView) -> Speech:
        belief = self.belief(view)
        return self.speech_with(view, belief, self.tactic_policy.choose(view, belief, self.rng))

    def speech_with(self, view: PlayerView, belief: np.ndarray, tactic: Tactic | None) -> Speech:
        """The speech realising ``tactic`` (``None``: no tactic, name the suspect), in words if ``words``."""
        if tactic is None:
            claim, target, tactic = belief_only_speech(view, belief, self.rng)
        else:
            claim, target = realize(view, belief, tactic, self.rng)
        self.tactics_used.append(tactic)
        speech = Speech(view.seat, tactic, claim=claim, target=target)
        if self.words:
            speech = speech._replace(text=self.writer(view, speech, self.rng))
        return speech

    def vote(self, view: PlayerView, legal: list[int | None]) -> int | None:
        belief = self.belief(view)
        wolf = wolf_probability(view, belief)
        candidates = [t for t in legal if t is not None and t != view.seat] or list(legal)
        if not any(t is not None for t in candidates):
            return None
        candidates = [t for t in candidates if t is not None]
        jitter = self.rng.random(view.num_players) * 1e-6
        if village_probability(view, belief)[view.seat] >= 0.5:
            return max(candidates, key=lambda t: wolf[t] + jitter[t])
        accused = np.zeros(view.num_players)
        for s in view.speeches:
            if s.kind == "accusation" and s.target is not None:
                accused[s.target] += 1
        innocents = [t for t in candidates if wolf[t] < 0.5] or candidates
        return max(innocents, key=lambda t: accused[t] - wolf[t] + jitter[t])

    # ------------------------------------------------------------------------------------- env-level API

    def act(self, observation: Any, info: dict[str, Any]) -> int | tuple[int, str]:
        """An action for ``ONUW-v1`` from ``info["view"]`` and ``info["action_mask"]``."""
        if "view" not in info or "action_mask" not in info:
            raise ValueError("the ONUW discussion agents read info['view'] and info['action_mask'] (ONUW-v1)")
        view: PlayerView = info["view"]
        mask = np.asarray(info["action_mask"])
        codec = self._codec(view)
        legal = np.flatnonzero(mask)
        if view.phase == Phase.NIGHT or view.seat not in _actors(view):
            options = [codec.decode(int(i)).night for i in legal]
            return codec.encode_night(self.night_action(view, options))  # type: ignore[arg-type]
        if view.phase == Phase.DAY:
            speech = self.speak(view)
            action = codec.encode_speech(speech.tactic, speech.target, speech.claim)
            return (action, speech.text) if speech.text else action
        targets = [codec.decode(int(i)).target for i in legal]
        return codec.encode_vote(self.vote(view, targets))

    def _codec(self, view: PlayerView) -> ActionCodec:
        key = (view.num_players, view.roles_in_deck, view.num_center)
        if key not in self._codecs:
            self._codecs[key] = ActionCodec(*key)
        return self._codecs[key]


def _actors(view: PlayerView) -> tuple[int, ...]:
    if view.phase in (Phase.NIGHT, Phase.VOTE):
        return tuple(range(view.num_players))
    if view.phase == Phase.DAY and view.current_speaker is not None:
        return (view.current_speaker,)
    return ()


# ---------------------------------------------------------------------------------------- registry factories


_POLICIES: dict[tuple[str, int], RLTactic] = {}


def load_policy(path: str | Path) -> RLTactic:
    """A tactic policy file, cached by path and modification time (agents are made once per seat and game)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no ONUW tactic policy at {path}; train one with `python -m tactica.agents.discussion.train all`"
        )
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _POLICIES:
        _POLICIES[key] = RLTactic.load(path)
    return _POLICIES[key]


class SettingRLTactic:
    """The RL tactic policy for the game being played: ``checkpoint``, or the shipped one for the setting."""

    name = "rl"

    def __init__(self, checkpoint: str | Path | None = None):
        self.checkpoint = checkpoint
        if checkpoint is not None:
            load_policy(checkpoint)  # fail early on a missing file

    def choose(self, view: PlayerView, belief: np.ndarray, rng: np.random.Generator) -> Tactic:
        policy = load_policy(self.checkpoint or default_checkpoint_for(view))
        return policy.choose(view, belief, rng)


def make_rl_agent(checkpoint: str | Path | None = None, **kwargs: Any) -> DiscussionAgent:
    """``"onuw-rl"``: the CQL tactic policy (``checkpoint``: a file from the training script; default: the shipped
    policy of the game's setting, 3 or 5 players)."""
    return DiscussionAgent(SettingRLTactic(checkpoint), **kwargs)


def make_random_tactic_agent(**kwargs: Any) -> DiscussionAgent:
    """``"onuw-random-tactic"``."""
    return DiscussionAgent(RandomTactic(), **kwargs)


def make_honest_agent(**kwargs: Any) -> DiscussionAgent:
    """``"onuw-honest"``."""
    return DiscussionAgent(AlwaysHonest(), **kwargs)


def make_belief_agent(**kwargs: Any) -> DiscussionAgent:
    """``"onuw-belief"``."""
    return DiscussionAgent(BeliefOnly(), **kwargs)
