"""``TextSC2-v0``: TextStarCraft II on the embedded macro simulator (Gymnasium single-agent env)."""

from __future__ import annotations

import string
from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION, NUM_ACTIONS, ActionHandler, failure_message
from tactica.envs.textsc2.builtin_ai import BUILDS, BuiltinAI, difficulty_index
from tactica.envs.textsc2.data import load_data
from tactica.envs.textsc2.engine import RACES, Game
from tactica.envs.textsc2.metrics import MetricsRecorder
from tactica.envs.textsc2.text import (
    BUILDING_KEYS,
    RESEARCH_KEYS,
    UNIT_KEYS,
    enemy_keys,
    information,
    parse_decisions,
    summarize,
)

__all__ = ["TextSC2Env", "TEXT_CHARSET", "TEXT_MAX_LENGTH"]

TEXT_CHARSET = frozenset(string.printable)
TEXT_MAX_LENGTH = 8192
_COUNT_HIGH = 2**31 - 2
_NUMERIC_RESOURCES = (
    "worker_supply",
    "mineral",
    "gas",
    "supply_left",
    "supply_cap",
    "supply_used",
    "army_supply",
)
_RESOURCE_OBS_KEYS = ("game_loop", *_NUMERIC_RESOURCES)
_PLANNING_STRUCTURE_KEYS = tuple(f"planning_{k}" for k in BUILDING_KEYS)
_PLANNING_UNIT_KEYS = tuple(f"planning_{k}" for k in UNIT_KEYS)


def _count_box() -> spaces.Box:
    return spaces.Box(low=0, high=_COUNT_HIGH, shape=(), dtype=np.int64)


def _counts(keys) -> spaces.Dict:
    return spaces.Dict({k: _count_box() for k in keys})


class TextSC2Env(gym.Env):
    """TextStarCraft II without StarCraft II: Protoss macro against the built-in AI, one action per 8 loops.

    ## Description

    The environment of *Large Language Models Play StarCraft II* (Ma et al., 2023, arXiv 2312.11865) on an
    embedded macro simulator instead of the game: integer game loops (22.4 per game second), mineral and gas
    income by worker saturation, supply, production queues, tech requirements, every Protoss research, Chrono
    Boost, Warp Gates, scouting that reveals only what is seen, armies that attack, defend and retreat, and
    seeded battles resolved from unit stats.  Game data: patch 5.0.3 (``sc2_5_0_3.json``, sources named
    inside).  A 20-minute game takes well under a CPU second instead of hours.

    ## Action Space

    ``Discrete(72)``: the original's 72 Protoss actions in its order (0-18 train, 19-33 build, 34-59 research,
    60-70 scouting, attack, retreat and Chrono Boost, 71 ``EMPTY ACTION``); ``ACTIONS[i]`` is the string.
    ``step`` also accepts a string: one action name, or an LLM reply with a ``Decisions:`` block.  Its decisions
    are matched (exactly, else by deterministic fuzzy matching); the first runs now and the rest run on the
    next steps whose action is ``EMPTY ACTION`` (71), one per step as in the original.

    ## Observation Space

    A ``Dict`` with the original's groups: ``resource`` (``game_loop``, ``worker_supply``, ``mineral``,
    ``gas``, ``supply_left``, ``supply_cap``, ``supply_used``, ``army_supply``), ``building`` (16 completed
    structure counts), ``unit`` (19 unit counts), ``planning`` (``planning_structure`` and ``planning_unit``:
    what is in construction or production), ``research`` (26 entries in 7 groups: 0 not started, a fraction in
    progress, 1 done), ``enemy`` (``unit`` and ``structure`` counts of the opponent race that are *visible now*),
    plus ``game_time`` (``"MM:SS"``), ``text`` (the single-frame summary) and ``action_mask`` (int8, 72: 1 where
    the action is available: it would succeed now given enough minerals and gas).

    ## Rewards

    0 each step and +50 on a victory, as the original.  ``reward="shaped"`` adds -50 on a defeat and, each
    step, (enemy value destroyed - own value lost) / 100.

    ## Starting State

    12 workers, 50 minerals, one town hall (supply 12/15; Zerg 12/14 with an Overlord and 3 larva) on both
    sides, at opposite ends of the map.

    ## Episode End

    Terminated when one side has no structures left (``info["result"]`` is ``"Victory"`` or ``"Defeat"``);
    truncated at ``time_limit_s`` (``"Tie"``, like the game's time limit).  At the end ``info["metrics"]``
    holds PBR, RUR, APU, TR, the per-second RUR and the last supply used (see ``metrics.py``).

    ## Arguments

    >>> import gymnasium as gym, tactica
    >>> env = gym.make("TextSC2-v0", opponent_race="Zerg", difficulty="Hard", build="random")

    | argument | default | meaning |
    |---|---|---|
    | ``opponent_race`` | ``"Zerg"`` | ``"Zerg"``, ``"Terran"`` or ``"Protoss"`` |
    | ``difficulty`` | ``"Hard"`` | 1-10 or a name (``"VeryEasy"`` ... ``"CheatInsane"``; python-sc2 names) |
    | ``build`` | ``"random"`` | ``"rush"``, ``"timing"``, ``"power"``, ``"macro"``, ``"air"``, ``"random"`` |
    | ``map_name`` | ``"Ancient Cistern LE"`` | one of the 2023 ladder maps of the original |
    | ``step_loops`` | 8 | game loops per step (python-sc2's ``game_step``) |
    | ``time_limit_s`` | 1800 | game seconds before a tie |
    | ``reward`` | ``"sparse"`` | ``"sparse"`` (the original) or ``"shaped"`` |
    | ``auto_distribute_workers`` | True | the original's ``distribute_workers`` each step (gas first) |
    | ``auto_defend`` | True | recall the army when the base is attacked |
    | ``auto_attack`` | True | attack from 12:00 once supply used >= 100 |
    | ``pylon_rule`` | True | BUILD PYLON only when supply is nearly used up |
    | ``structure_caps`` | True | the original's caps on structures and units by game time |
    | ``backend`` | ``"embedded"`` | ``"sc2"`` needs the real game and ``tactica[sc2]`` |

    ## Version History

    * v0: first version (patch 5.0.3 data, tactica's built-in AI model).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        opponent_race: str = "Zerg",
        difficulty: int | str = "Hard",
        build: str = "random",
        map_name: str = "Ancient Cistern LE",
        step_loops: int = 8,
        time_limit_s: float = 1800.0,
        reward: str = "sparse",
        auto_distribute_workers: bool = True,
        auto_defend: bool = True,
        auto_attack: bool = True,
        pylon_rule: bool = True,
        structure_caps: bool = True,
        backend: str = "embedded",
        render_mode: str | None = None,
    ):
        if opponent_race not in RACES:
            raise ValueError(f"opponent_race must be one of {', '.join(RACES)}, got {opponent_race!r}")
        self.difficulty = difficulty_index(difficulty) + 1
        if build not in BUILDS:
            raise ValueError(f"build must be one of {', '.join(BUILDS)}, got {build!r}")
        self.data = load_data()
        if map_name not in self.data.maps:
            raise ValueError(f"map_name must be one of {', '.join(self.data.maps)}, got {map_name!r}")
        if not isinstance(step_loops, (int, np.integer)) or isinstance(step_loops, bool) or step_loops < 1:
            raise ValueError(f"step_loops must be a positive integer, got {step_loops!r}")
        if not time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {time_limit_s!r}")
        if reward not in ("sparse", "shaped"):
            raise ValueError(f"reward must be 'sparse' or 'shaped', got {reward!r}")
        if backend not in ("embedded", "sc2"):
            raise ValueError(f"backend must be 'embedded' or 'sc2', got {backend!r}")
        if backend == "sc2":
            from tactica.envs.textsc2.sc2_backend import require_sc2

            require_sc2()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        self.opponent_race = opponent_race
        self.build = build
        self.map_name = map_name
        self.step_loops = int(step_loops)
        self.time_limit_loops = int(round(time_limit_s * self.data.loops_per_second))
        self.reward_mode = reward
        self.helpers = {
            "auto_distribute_workers": bool(auto_distribute_workers),
            "auto_defend": bool(auto_defend),
            "auto_attack": bool(auto_attack),
            "pylon_rule": bool(pylon_rule),
            "structure_caps": bool(structure_caps),
        }
        self.backend = backend
        self._real = None
        if backend == "sc2":
            from tactica.envs.textsc2.sc2_backend import RealGameEnv

            self._real = RealGameEnv(self)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        enemy_units, enemy_structures = enemy_keys(self.data, opponent_race)
        self._enemy_units, self._enemy_structures = enemy_units, enemy_structures
        self.observation_space = spaces.Dict(
            {
                "resource": _counts(_RESOURCE_OBS_KEYS),
                "building": _counts(BUILDING_KEYS),
                "unit": _counts(UNIT_KEYS),
                "planning": spaces.Dict(
                    {
                        "planning_structure": _counts(_PLANNING_STRUCTURE_KEYS),
                        "planning_unit": _counts(_PLANNING_UNIT_KEYS),
                    }
                ),
                "research": spaces.Dict(
                    {
                        group: spaces.Dict(
                            {k: spaces.Box(0.0, 1.0, shape=(), dtype=np.float32) for k in keys}
                        )
                        for group, keys in RESEARCH_KEYS.items()
                    }
                ),
                "enemy": spaces.Dict({"unit": _counts(enemy_units), "structure": _counts(enemy_structures)}),
                "game_time": spaces.Text(max_length=8, min_length=5, charset=frozenset("0123456789:")),
                "text": spaces.Text(max_length=TEXT_MAX_LENGTH, min_length=1, charset=TEXT_CHARSET),
                "action_mask": spaces.Box(0, 1, shape=(NUM_ACTIONS,), dtype=np.int8),
            }
        )
        self.game: Game | None = None

    # -- Gymnasium API -------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if self.backend == "sc2":  # the real game (sc2_backend.py) serves the same observations
            return self._real.reset(seed)
        seeds = self.np_random.integers(0, 2**63 - 1, size=2)
        self.game = Game(
            races=("Protoss", self.opponent_race),
            map_name=self.map_name,
            rng=np.random.default_rng(int(seeds[0])),
            data=self.data,
        )
        me = self.game.players[0]
        me.auto_distribute = self.helpers["auto_distribute_workers"]
        me.auto_defend = self.helpers["auto_defend"]
        self.ai = BuiltinAI(
            self.game, self.game.players[1], self.difficulty, self.build, np.random.default_rng(int(seeds[1]))
        )
        self.handler = ActionHandler(
            self.game,
            me,
            pylon_rule=self.helpers["pylon_rule"],
            structure_caps=self.helpers["structure_caps"],
        )
        self.metrics = MetricsRecorder()
        self._queue: deque[int] = deque()
        self._last_action = ACTIONS[EMPTY_ACTION]
        self._last_failures: list[str] = []
        self._done = False
        self._balance = 0.0
        self._summary_cache: dict = {}
        self._information_cache: dict = {}
        obs, info = self._observe()
        self.metrics.record(self._info, self.game.seconds)
        info.update(action_executed=None, action_failures=[])
        return obs, info

    def step(self, action):
        if self.backend == "sc2":
            return self._real.step(action)
        if self.game is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode has ended; call reset()")
        failures: list[str] = []
        action_id = self._resolve(action, failures)
        text = ACTIONS[action_id]
        reason = self.handler.execute(action_id)
        if reason:
            failures.append(failure_message(text, reason))
        game = self.game
        me = game.players[0]
        if self.helpers["auto_attack"]:
            h = self.data.helpers
            # The original's attack() sends idle units only and yields to defend() while the base is attacked.
            late = game.seconds >= h["attack_time_s"] and me.supply_used >= h["attack_supply_used"]
            if late and 0 not in game.battles:
                game.attack(me, min_army_supply=float(h["attack_min_army_supply"]), redirect=False)
        self.ai.update()
        game.advance(self.step_loops)
        self._last_action, self._last_failures = text, failures
        obs, info = self._observe()
        self.metrics.record(self._info, game.seconds)
        reward = 0.0
        if self.reward_mode == "shaped":
            balance = (me.value_killed - me.value_lost) / 100.0
            reward += balance - self._balance
            self._balance = balance
        terminated = game.winner is not None
        truncated = not terminated and game.loop >= self.time_limit_loops
        if terminated:
            if game.winner == 0:
                reward += 50.0
                info["result"] = "Victory"
            elif game.winner == 1:
                reward -= 50.0 if self.reward_mode == "shaped" else 0.0
                info["result"] = "Defeat"
            else:
                info["result"] = "Tie"
        elif truncated:
            info["result"] = "Tie"
        if terminated or truncated:
            self._done = True
            info["metrics"] = self.metrics.result()
        info.update(action_executed=text, action_failures=failures)
        return obs, float(reward), terminated, truncated, info

    def render(self):
        if self.render_mode == "rgb_array":
            from tactica.envs.textsc2.pictures import economy_frame

            return economy_frame(self)
        if self._real is not None:
            return self._real.render()
        if self.game is None:
            return "TextSC2-v0 (not reset)\n"
        lines = [self._text.rstrip()]
        lines.append(f"Action executed: {self._last_action}")
        lines.extend(self._last_failures)
        return "\n".join(lines) + "\n"

    def close(self):
        if self._real is not None:
            self._real.close()
        self.game = None

    # -- helpers ------------------------------------------------------------------------------------------
    def _resolve(self, action, failures: list[str]) -> int:
        if isinstance(action, str):
            parsed = parse_decisions(action)
            for text in parsed.failed:
                failures.append(failure_message(text, "Not a valid action"))
            self._queue = deque(parsed.actions[1:])
            return parsed.actions[0]
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if isinstance(action, bool) or not isinstance(action, (int, np.integer)):
            raise TypeError(
                f"action must be an int in [0, {NUM_ACTIONS}) or a str, got {type(action).__name__}"
            )
        action = int(action)
        if not 0 <= action < NUM_ACTIONS:
            raise ValueError(f"action must be in [0, {NUM_ACTIONS}), got {action}")
        if action == EMPTY_ACTION and self._queue:
            return self._queue.popleft()
        return action

    def _observe(self):
        game = self.game
        me = game.players[0]
        # Shared by the observation and the mask; the caches keep what did not change since the last step.
        counts = (me.unit_counts(), me.pending_units())
        info_dict = information(game, me, counts=counts, cache=self._information_cache)
        self._info = info_dict
        self._text = summarize(info_dict, self._summary_cache)
        mask = np.array(self.handler.mask(counts=counts), dtype=np.int8)
        res = info_dict["resource"]
        planning = info_dict["planning"]
        enemy = info_dict["enemy"]
        seen_units, seen_structures = enemy["unit"], enemy["structure"]
        # All integer leaves come from one fresh array (and the research leaves from another): each leaf is a
        # 0-d view of its own element, so nothing handed out earlier is ever written again.
        ints = np.array(
            [
                game.loop,
                *[res[k] for k in _NUMERIC_RESOURCES],
                *info_dict["building"].values(),
                *info_dict["unit"].values(),
                *planning["planning_structure"].values(),
                *planning["planning_unit"].values(),
                *[seen_units.get(k, 0) for k in self._enemy_units],
                *[seen_structures.get(k, 0) for k in self._enemy_structures],
            ],
            dtype=np.int64,
        )
        leaves = iter([ints[i, ...] for i in range(len(ints))])
        floats = np.array(
            [v for group in info_dict["research"].values() for v in group.values()], dtype=np.float32
        )
        research = iter([floats[i, ...] for i in range(len(floats))])
        # zip() stops at the end of the keys before taking from the leaves, so each group takes its own share.
        obs = {
            "resource": dict(zip(_RESOURCE_OBS_KEYS, leaves)),
            "building": dict(zip(BUILDING_KEYS, leaves)),
            "unit": dict(zip(UNIT_KEYS, leaves)),
            "planning": {
                "planning_structure": dict(zip(_PLANNING_STRUCTURE_KEYS, leaves)),
                "planning_unit": dict(zip(_PLANNING_UNIT_KEYS, leaves)),
            },
            "research": {group: dict(zip(keys, research)) for group, keys in RESEARCH_KEYS.items()},
            "enemy": {
                "unit": dict(zip(self._enemy_units, leaves)),
                "structure": dict(zip(self._enemy_structures, leaves)),
            },
        }
        obs["game_time"] = res["game_time"]
        obs["text"] = self._text[:TEXT_MAX_LENGTH]
        obs["action_mask"] = mask
        return obs, self._step_info(mask, game.loop)

    def _step_info(self, mask: np.ndarray, game_loop: int) -> dict:
        """The ``info`` of every step, whichever backend plays the game."""
        return {
            "action_mask": mask,
            "game_loop": game_loop,
            "player_race": "Protoss",
            "opposite_race": self.opponent_race,
            "map_name": self.map_name,
            "pending_actions": [ACTIONS[a] for a in self._queue],
        }
