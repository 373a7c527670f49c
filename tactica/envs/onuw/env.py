"""``ONUW-v1``: One Night Ultimate Werewolf as PettingZoo AEC and Parallel environments.

The game itself lives in :mod:`tactica.envs.onuw.rules`; this module adds the spaces, seeding, masks, text views
and rendering.  :class:`ONUWEnv` is the native AEC environment (players act one at a time, in seat order at night
and at the vote, in speaking order by day; night actions and votes stay hidden until everyone has chosen).
:class:`ONUWParallelEnv` plays the same game with simultaneous steps: one for the night, one per speech, one for
the vote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import gymnasium
import numpy as np
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv

from tactica.envs.onuw.actions import ActionCodec
from tactica.envs.onuw.features import encode_observation, feature_size
from tactica.envs.onuw.presets import get_preset
from tactica.envs.onuw.rules import TEAM_OF, Game, NightAction, Phase, Role, RuleOptions, parse_deck
from tactica.envs.onuw.view import god_view, player_view
from tactica.envs.validation import check_agents, check_seed, check_started, integral

__all__ = ["ONUWEnv", "ONUWParallelEnv", "default_deck", "env", "parallel_env"]

# The first N + 3 cards of this list form the default deck of an N-player game: for 5 players it is the paper's
# deck (2 Werewolves, Seer, Robber, Troublemaker, Insomniac, 2 Villagers).
_DEFAULT_DECK_ORDER = (
    "werewolf werewolf seer robber troublemaker insomniac villager villager minion mason mason drunk tanner"
).split()

_RULE_FIELDS = {f.name for f in fields(RuleOptions)}
_ILLEGAL = ("terminate", "raise", "substitute")
_MAX_TEXT = 4000


def default_deck(num_players: int) -> tuple[Role, ...]:
    """The default ``num_players + 3`` cards (3..10 players)."""
    if isinstance(num_players, bool) or not isinstance(num_players, int) or not 3 <= num_players <= 10:
        raise ValueError(f"num_players must be an int in [3, 10], got {num_players!r}")
    return parse_deck(_DEFAULT_DECK_ORDER[: num_players + 3])


class _ONUWCore:
    """Configuration, spaces, observations and rendering shared by the AEC and Parallel forms."""

    metadata = {
        "render_modes": ["human", "ansi", "rgb_array"],
        "name": "onuw_v0",
        "is_parallelizable": True,
        "render_fps": 2,
    }

    def __init__(
        self,
        preset: str | None = None,
        num_players: int | None = None,
        deck: Sequence[str | Role] | None = None,
        deal: Sequence[str | Role] | None = None,
        rules: str | RuleOptions | None = None,
        forced_night: Mapping[int, NightAction] | None = None,
        vote_penalty: float = 0.0,
        text_observations: bool = True,
        on_illegal: str = "terminate",
        render_mode: str | None = None,
        **rule_overrides: Any,
    ):
        unknown = set(rule_overrides) - _RULE_FIELDS
        if unknown:
            raise TypeError(
                f"unknown ONUW argument(s) {sorted(unknown)}; rule options are {sorted(_RULE_FIELDS)}"
            )
        if preset is not None:
            p = get_preset(preset)
            num_players = p.num_players if num_players is None else num_players
            deck = p.deck if deck is None else deck
            deal = p.deal if deal is None else deal
            rules = p.rules if rules is None else rules
            forced_night = p.forced_night if forced_night is None else forced_night
            rule_overrides = {**p.rule_overrides, **rule_overrides}
        num_players = 5 if num_players is None else num_players
        self.num_players = num_players
        self.deck = default_deck(num_players) if deck is None else parse_deck(deck)
        self.fixed_deal = None if deal is None else parse_deck(deal)
        self.options = RuleOptions.named("official" if rules is None else rules, **rule_overrides)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        if on_illegal not in _ILLEGAL:
            raise ValueError(f"on_illegal must be one of {_ILLEGAL}, got {on_illegal!r}")
        if not isinstance(vote_penalty, (int, float)) or vote_penalty < 0:
            raise ValueError(f"vote_penalty must be a number >= 0, got {vote_penalty!r}")
        self.preset = preset
        self.forced_night = dict(forced_night or {})
        self.vote_penalty = float(vote_penalty)
        self.text_observations = bool(text_observations)
        self.on_illegal = on_illegal
        self.render_mode = render_mode
        # Validate the whole configuration once, with a throwaway game.
        probe = Game(self.deck, num_players, self.options, rng=np.random.default_rng(0), deal=self.fixed_deal)
        for seat, action in self.forced_night.items():
            if self.fixed_deal is None:
                raise ValueError("forced_night needs a fixed deal")
            if action not in probe.night_options(seat):
                raise ValueError(f"forced night action {action!r} is not legal for seat {seat}")
        self.roles = probe.roles_in_deck
        self.num_center = probe.num_center
        self.codec = ActionCodec(num_players, self.roles, self.num_center)
        self.possible_agents = [f"player_{i}" for i in range(num_players)]
        self._seat = {a: i for i, a in enumerate(self.possible_agents)}
        size = feature_size(num_players, len(self.roles), self.num_center)
        # PettingZoo's convention (its classic games): the legal-move mask travels in the observation, so its
        # checkers and any mask-aware sampler draw legal actions.  ``info["action_mask"]`` repeats it.
        obs_space = gymnasium.spaces.Dict(
            {
                "observation": gymnasium.spaces.Box(0.0, 1.0, (size,), np.float32),
                "action_mask": gymnasium.spaces.Box(0, 1, (self.codec.n,), np.int8),
            }
        )
        self.observation_spaces = {a: obs_space for a in self.possible_agents}
        self.action_spaces = {a: gymnasium.spaces.Discrete(self.codec.n) for a in self.possible_agents}
        self.game: Game | None = None
        self.np_random, _ = seeding.np_random(None)

    # --------------------------------------------------------------------------------------- PettingZoo

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self.action_spaces[agent]

    # ------------------------------------------------------------------------------------------- engine

    def _new_game(self, seed: int | None) -> None:
        if seed is not None or self.game is None:
            self.np_random, _ = seeding.np_random(seed)
        self.game = Game(self.deck, self.num_players, self.options, rng=self.np_random, deal=self.fixed_deal)
        self._night: dict[int, NightAction] = {}
        self._votes: dict[int, int | None] = {}
        self.illegal_actions = dict.fromkeys(self.possible_agents, 0)
        self.forfeit: dict[str, Any] | None = None  # set when on_illegal="terminate" ends the game

    def _mask(self, seat: int) -> np.ndarray:
        return self.codec.mask(self.game, seat, self.forced_night)  # type: ignore[arg-type]

    def _observation(self, seat: int) -> dict[str, np.ndarray]:
        return {
            "observation": encode_observation(self.game.view(seat), self.roles),  # type: ignore[union-attr]
            "action_mask": self._mask(seat),
        }

    @property
    def ended(self) -> bool:
        """The game is over: the vote was resolved, or an illegal action ended it (``on_illegal="terminate"``)."""
        return self.forfeit is not None or self.game.phase == Phase.END  # type: ignore[union-attr]

    def _info(self, seat: int) -> dict[str, Any]:
        game = self.game
        info: dict[str, Any] = {"action_mask": self._mask(seat), "phase": game.phase.name.lower()}  # type: ignore[union-attr]
        info["view"] = game.view(seat)  # type: ignore[union-attr]
        if self.forfeit is not None:
            info["illegal_action"] = self.forfeit
        if self.text_observations:
            info["text"] = player_view(game, seat)  # type: ignore[arg-type]
        if game.outcome is not None:  # type: ignore[union-attr]
            out = game.outcome  # type: ignore[union-attr]
            role = out.final_roles[seat]
            info.update(
                initial_role=game.initial[seat].title,  # type: ignore[union-attr]
                final_role=role.title,
                team=TEAM_OF[role].name.lower(),
                winning_teams=sorted(t.name.lower() for t in out.winning_teams),
                draw=out.draw,
                votes_received=out.tally[seat],
                died=seat in out.dead,
                reason=out.reason,
            )
        return info

    @staticmethod
    def _split(action: Any) -> tuple[Any, str | None]:
        """An action is an id, or ``(id, text)`` / ``{"action": id, "text": text}`` to give a speech words."""
        if isinstance(action, tuple) and len(action) == 2:
            action, text = action
        elif isinstance(action, Mapping):
            action, text = action.get("action"), action.get("text")
        else:
            text = None
        if text is not None and not isinstance(text, str):
            raise TypeError(f"speech text must be a str, got {type(text).__name__}")
        return action, (text[:_MAX_TEXT] if text else None)

    def _submit(self, seat: int, action: Any) -> None:
        """Validate ``seat``'s action and apply it (speeches) or hold it until everyone chose (night, vote)."""
        action, text = self._split(action)
        if not integral(action) or np.ndim(action) != 0:  # not a move at all, whatever on_illegal says
            raise TypeError(
                f"the action of {self.possible_agents[seat]} must be an integer id (or (id, speech text)); "
                f"got {action!r}"
            )
        action = int(action)
        mask = self._mask(seat)
        legal = 0 <= action < self.codec.n and bool(mask[action])
        if not legal:
            if self.on_illegal == "terminate":
                self.forfeit = {
                    "agent": self.possible_agents[seat],
                    "action": action if isinstance(action, (int, np.integer)) else repr(action),
                    "phase": self.game.phase.name.lower(),  # type: ignore[union-attr]
                }
                return
            if self.on_illegal == "raise":
                names = [self.codec.describe(int(i)) for i in np.flatnonzero(mask)[:8]]
                raise ValueError(
                    f"illegal action {action!r} for {self.possible_agents[seat]} in phase "
                    f"{self.game.phase.name.lower()}; legal ids {np.flatnonzero(mask)[:8].tolist()}... "  # type: ignore[union-attr]
                    f"({', '.join(names)}...)"
                )
            self.illegal_actions[self.possible_agents[seat]] += 1
            action = int(np.flatnonzero(mask)[0])
        decoded = self.codec.decode(int(action))
        game = self.game
        if game.phase == Phase.NIGHT:  # type: ignore[union-attr]
            self._night[seat] = decoded.night  # type: ignore[assignment]
        elif game.phase == Phase.DAY:  # type: ignore[union-attr]
            game.speak(self.codec.to_speech(seat, decoded, text))  # type: ignore[union-attr]
        elif game.phase == Phase.VOTE:  # type: ignore[union-attr]
            self._votes[seat] = decoded.target

    def _resolve_if_complete(self) -> None:
        game = self.game
        n = self.num_players
        if game.phase == Phase.NIGHT and len(self._night) == n:  # type: ignore[union-attr]
            game.play_night(self._night)  # type: ignore[union-attr]
        elif game.phase == Phase.VOTE and len(self._votes) == n:  # type: ignore[union-attr]
            game.vote([self._votes[p] for p in range(n)])  # type: ignore[union-attr]

    def _final_rewards(self) -> dict[str, float]:
        if self.forfeit is not None:  # PettingZoo's classic-game convention: the offender loses, nobody wins
            return {a: -1.0 if a == self.forfeit["agent"] else 0.0 for a in self.possible_agents}
        out = self.game.outcome  # type: ignore[union-attr]
        return {
            a: out.rewards[i] - self.vote_penalty * out.tally[i] / self.num_players
            for i, a in enumerate(self.possible_agents)
        }

    # ------------------------------------------------------------------------------------------- render

    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: the whole state as text; ``"human"``: printed; ``"rgb_array"``: a picture of the table.
        Player views: :meth:`player_text`."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'human'")
            return None
        if self.render_mode == "rgb_array":
            from tactica.envs.onuw.pictures import table_frame

            return table_frame(self)
        text = god_view(self.game) if self.game is not None else "ONUW (not reset)"
        if self.render_mode == "ansi":
            return text
        print(text)
        return None

    def player_text(self, agent: str) -> str:
        """The text view of ``agent`` (what an LLM player reads)."""
        return player_view(self.game, self._seat[agent])  # type: ignore[arg-type]

    def close(self) -> None:
        pass


class ONUWEnv(_ONUWCore, AECEnv):
    """One Night Ultimate Werewolf (AEC).

    ## Description
    The social-deduction game of Bezier Games: ``N`` players (3..10) are dealt ``N + 3`` cards, three of which go
    face down to the centre.  At night the roles wake in the official order (Werewolves, Minion, Masons, Seer,
    Robber, Troublemaker, Drunk, Insomniac) and act on the current cards, so cards -- and teams -- move without
    their holders knowing.  By day the players discuss for ``discussion_rounds`` rounds; then everybody votes at
    once, the most-voted die and the winners follow from the *final* cards.  ``rules="paper"`` reproduces the
    variant of Jin et al., "Learning to Discuss Strategically" (NeurIPS 2024); every difference is a named rule
    option (see :class:`tactica.envs.onuw.rules.RuleOptions`).

    ## Action Space
    ``Discrete(A)``, the same for every player (see :mod:`tactica.envs.onuw.actions`): id 0 is *pass* (the
    optional night "do nothing"); then the night actions (look, rob, swap, take), the speeches (tactic x target x
    claimed role) and the votes (a seat or abstain).  The legal moves are ``observation["action_mask"]`` (also
    ``infos[agent]["action_mask"]``).  Night: everyone takes a turn (players without a choice may only pass), so
    turns leak no roles.  Day: the speaker picks a speech; ``(id, "words")`` or ``{"action": id, "text": "words"}``
    attaches free text, which the built-in agents' listeners read instead of the structured fields.  Vote:
    everyone picks a seat (self and abstain only if the rules allow).

    ## Observation Space
    ``Dict(observation=Box(0, 1, (F,), float32), action_mask=Box(0, 1, (A,), int8))``, PettingZoo's convention
    for masked games.  The vector holds the player's seat and initial card, the phase, discussion progress, its
    own night action (kind and positions, also when it saw nothing), the cards it saw at night, a summary of the
    public speeches' structured fields (claims, accusations, defenses -- never another player's private tactic)
    and, at the end, the vote tally (:func:`tactica.envs.onuw.features.encode_observation`).
    ``infos[agent]["text"]`` is the player's view as text (``text_observations=True``) and
    ``infos[agent]["view"]`` the same information as a :class:`tactica.envs.onuw.rules.PlayerView` (speech words
    included, for agents that read them); at the end the infos reveal the initial and final roles, team, votes
    received and the reason of the result.

    ## Rewards
    At the end of the game: +1 if the player's final team won, -1 if it lost, 0 for a draw (paper rules), minus
    ``vote_penalty * votes_received / N`` (the paper's offline-RL shaping; 0 by default).  Zero before.  A game
    ended by an illegal action (``on_illegal="terminate"``) gives the offender -1 and everyone else 0.

    ## Starting State
    A deal drawn from ``self.np_random`` (or the fixed ``deal`` of a preset); Werewolves, the Minion and the
    Masons already know whom they saw when the night opens.

    ## Episode End
    Every player is terminated after the vote, or at once after an illegal action under
    ``on_illegal="terminate"`` (``infos[agent]["illegal_action"]`` names the offender, the action and the phase);
    there is no truncation (a game has ``2N + R*N`` turns).

    ## Arguments
    - ``preset``: ``"3p"``, ``"3p-no-discussion"``, ``"5p"``, ``"5p-easy"``, ``"5p-hard"`` (paper settings).
    - ``num_players`` (default 5), ``deck`` (``N + 3`` role names, or exactly ``N`` for a game without centre
      cards; default :func:`default_deck`), ``deal`` (fixed deal: seats then centre), ``forced_night`` (seat ->
      scripted :class:`NightAction`).
    - ``rules``: ``"official"`` (default), ``"paper"`` or a :class:`RuleOptions`; any rule option
      (``discussion_rounds=3``, ``speaking_order="fixed"|"random"``, ``no_kill_outcome``, ``vote_rule``, ...) as a
      keyword.
    - ``vote_penalty``, ``text_observations``, ``on_illegal`` (``"terminate"``: PettingZoo's classic-game
      convention, the offender loses and the game ends; ``"raise"``: ``ValueError``; ``"substitute"``: the first
      legal action, counted in ``env.illegal_actions``), ``render_mode`` (``"ansi"``, ``"human"``, ``"rgb_array"``).

    ## Version History
    - v1: observations are ``Dict(observation, action_mask)``; the vector
      gains the player's own night action; ``on_illegal`` defaults to ``"terminate"`` (was ``"raise"``), so
      PettingZoo's ``api_test``, ``parallel_api_test``, ``parallel_seed_test`` and ``render_test`` pass with
      default arguments; ``rules="paper"`` scores the vote as the authors' ``voting_step`` (``vote_rule``: a
      unique top vote-getter dies even with one vote, everyone abstaining counts as a tie of all players); the
      ``3p`` presets deal the paper's three cards (2 Werewolves, Robber) with no centre, so every player knows
      the deal as in the authors' prompt and the equilibrium module.
    - v0: initial release.
    """

    def __init__(self, **kwargs: Any):
        _ONUWCore.__init__(self, **kwargs)
        AECEnv.__init__(self)
        self.agents: list[str] = []

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        check_seed(seed)
        self._started = True
        self._new_game(seed)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self._pending = list(self.game.actors())  # type: ignore[union-attr]
        self.agent_selection = self.possible_agents[self._pending[0]]
        self.infos = {a: self._info(i) for i, a in enumerate(self.possible_agents)}

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        return self._observation(self._seat[agent])

    def step(self, action: Any) -> None:
        if not getattr(self, "_started", False):
            check_started(False, False)
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        seat = self._seat[agent]
        self._cumulative_rewards[agent] = 0.0
        self._submit(seat, action)
        self._pending.pop(0)
        if not self._pending and self.forfeit is None:
            self._resolve_if_complete()
            self._pending = list(self.game.actors())  # type: ignore[union-attr]
        self._clear_rewards()
        if self.ended:
            self.rewards = self._final_rewards()
            self.terminations = dict.fromkeys(self.agents, True)
            self.agent_selection = self.agents[0]
        else:
            self.agent_selection = self.possible_agents[self._pending[0]]
        self.infos = {a: self._info(i) for i, a in enumerate(self.possible_agents)}
        self._accumulate_rewards()
        if self.render_mode == "human":
            self.render()


class ONUWParallelEnv(_ONUWCore, ParallelEnv):
    """One Night Ultimate Werewolf (Parallel): the game of :class:`ONUWEnv` with simultaneous steps.

    One step resolves the night (every player's night action), one step per speech (the speaker's action
    counts; the others must send an action too -- their mask allows only *pass* -- and it is ignored), and one
    step the vote.  Spaces, rewards and arguments are those of :class:`ONUWEnv`.
    """

    def __init__(self, **kwargs: Any):
        _ONUWCore.__init__(self, **kwargs)
        self.agents: list[str] = []

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        check_seed(seed)
        self._started = True
        self._new_game(seed)
        self.agents = list(self.possible_agents)
        observations = {a: self._observation(i) for i, a in enumerate(self.possible_agents)}
        return observations, {a: self._info(i) for i, a in enumerate(self.possible_agents)}

    def step(self, actions: Mapping[str, Any]):
        check_started(getattr(self, "_started", False), not self.agents)
        check_agents(actions, self.agents, self.possible_agents)
        for seat in self.game.actors():  # type: ignore[union-attr]
            agent = self.possible_agents[seat]
            if agent not in actions:
                if self.on_illegal == "raise":
                    raise ValueError(f"{agent} must act now but has no entry in actions")
                self._submit(seat, -1)
            else:
                self._submit(seat, actions[agent])
            if self.forfeit is not None:
                break
        else:
            self._resolve_if_complete()
        ended = self.ended
        agents = list(self.agents)
        rewards = self._final_rewards() if ended else dict.fromkeys(agents, 0.0)
        observations = {a: self._observation(self._seat[a]) for a in agents}
        infos = {a: self._info(self._seat[a]) for a in agents}
        terminations = dict.fromkeys(agents, ended)
        truncations = dict.fromkeys(agents, False)
        if ended:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos


def env(**kwargs: Any) -> ONUWEnv:
    """PettingZoo-style constructor of the AEC environment."""
    return ONUWEnv(**kwargs)


def parallel_env(**kwargs: Any) -> ONUWParallelEnv:
    """PettingZoo-style constructor of the Parallel environment."""
    return ONUWParallelEnv(**kwargs)
