"""The real-game backend (``backend="sc2"``): StarCraft II through burnysc2, imported lazily.

The embedded simulator is the default and needs nothing; the real game needs the ``sc2`` extra
(``pip install "tactica[sc2]"``, which brings burnysc2) and an installed StarCraft II with the map.

How it runs: burnysc2's ``run_game`` (an asyncio loop talking to the game) runs in a background thread.  Its
``BotAI`` (:func:`_bot_class`) hands each observation to the env through a queue and waits for the env's action,
so game time stands still while the agent thinks (as the original, which blocks ``on_step`` the same way) and
``env.step()`` stays synchronous.  ``client.game_step`` is the env's ``step_loops`` (8 by default), so one env step
is one ``on_step`` as in the original.  The observation is read by :func:`sc2_adapter.information` into the
embedded backend's dict and filled into the env's very ``observation_space``; actions go through
:class:`sc2_adapter.RealActions` (the original's gating rules and failure wording); the episode ends with the
game's ``Result`` (``Victory`` / ``Defeat``, and ``Tie`` at ``time_limit_s``, passed to burnysc2 as
``game_time_limit``).  ``close()`` leaves the game.
"""

from __future__ import annotations

import asyncio
import queue
import signal
import sys
import threading
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from tactica.envs.textsc2.actions import ACTIONS, failure_message
from tactica.envs.textsc2.metrics import MetricsRecorder
from tactica.envs.textsc2.sc2_adapter import Ids, RealActions, enemy_names, information
from tactica.envs.textsc2.text import summarize
from tactica.errors import MissingDependency

__all__ = ["require_sc2", "RealGame", "RealGameEnv"]

# Our build names -> burnysc2's ``AIBuild`` members.
AI_BUILDS = {
    "random": "RandomBuild",
    "rush": "Rush",
    "timing": "Timing",
    "power": "Power",
    "macro": "Macro",
    "air": "Air",
}
_LEAVE = -1  # the env's "leave the game" message to the bot thread
_THREAD_JOIN_S = 30.0
# Launching StarCraft II and loading the map can take minutes on a cold start; a step is one game_step of
# simulation plus the bot's callbacks.
_START_TIMEOUT_S = 300.0
_STEP_TIMEOUT_S = 60.0
_POLL_S = 0.005  # how often the waiting bot looks for the env's action


def require_sc2() -> SimpleNamespace:
    """burnysc2's pieces the backend uses, or :class:`MissingDependency` naming the ``sc2`` extra."""
    try:
        from sc2 import maps
        from sc2.bot_ai import BotAI
        from sc2.data import AIBuild, Difficulty, Race, Result
        from sc2.ids.ability_id import AbilityId
        from sc2.ids.buff_id import BuffId
        from sc2.ids.unit_typeid import UnitTypeId
        from sc2.ids.upgrade_id import UpgradeId
        from sc2.main import run_game
        from sc2.player import Bot, Computer
    except ImportError as exc:
        raise MissingDependency("burnysc2", extra="sc2", purpose='TextSC2-v1 with backend="sc2"') from exc
    _main_thread_signals(sys.modules.get("sc2.sc2process"))
    return SimpleNamespace(
        maps=maps,
        BotAI=BotAI,
        AIBuild=AIBuild,
        Difficulty=Difficulty,
        Race=Race,
        Result=Result,
        run_game=run_game,
        Bot=Bot,
        Computer=Computer,
        ids=Ids(UnitTypeId=UnitTypeId, UpgradeId=UpgradeId, AbilityId=AbilityId, BuffId=BuffId),
    )


def _signal_in_main_thread_only(signalnum, handler):
    if threading.current_thread() is threading.main_thread():
        return signal.signal(signalnum, handler)
    return None


def _main_thread_signals(sc2process) -> None:
    """Let burnysc2 launch the game from our game thread.

    burnysc2's ``SC2Process`` installs a SIGINT handler (its kill switch) when it starts the game, and Python
    allows ``signal.signal`` only in the main thread.  Its module gets a ``signal`` whose ``signal()`` does that
    in the main thread and nothing elsewhere (the game is then left by ``close()``, which the env calls).
    """
    if sc2process is None or getattr(sc2process.signal, "signal", None) is _signal_in_main_thread_only:
        return
    sc2process.signal = SimpleNamespace(
        SIGINT=signal.SIGINT, SIG_DFL=signal.SIG_DFL, signal=_signal_in_main_thread_only
    )


@dataclass
class Frame:
    """What the bot thread hands the env: one observation, or the end of the game."""

    info: dict | None = None
    mask: list[int] | None = None
    game_loop: int = 0
    seconds: float = 0.0
    failures: list[str] | None = None
    result: str | None = None  # "Victory", "Defeat" or "Tie" once the game is over


def _bot_class(api: SimpleNamespace, game: RealGame):
    """A ``BotAI`` subclass bound to ``game``: one observation out, one action in, per ``on_step``."""

    class TextSC2Bot(api.BotAI):
        async def on_start(self):
            self.client.game_step = game.step_loops
            self.actions = RealActions(
                self,
                api.ids,
                game.data,
                rules=game.rules,
            )
            self.failures: list[str] = []

        async def on_step(self, iteration: int):
            game.outbox.put(
                Frame(
                    info=information(self, api.ids, game.enemy),
                    mask=self.actions.mask(),
                    game_loop=int(self.state.game_loop),
                    seconds=float(self.time),
                    failures=self.failures,
                )
            )
            # Game time stands still until the env sends an action (as the original, which polls its shared
            # dict); polling keeps the wait on this daemon thread, so an env never closed cannot block exit.
            while True:
                try:
                    action = game.inbox.get_nowait()
                    break
                except queue.Empty:
                    await asyncio.sleep(_POLL_S)
            if action == _LEAVE:
                await self.client.leave()
                return
            try:
                reason = await self.actions.execute(action)
            except Exception as exc:  # a command the game rejects is the agent's failed action, not a crash
                reason = f"{type(exc).__name__}: {exc}"
            self.failures = [failure_message(ACTIONS[action], reason)] if reason else []
            await self.actions.helpers_step(
                distribute=game.helpers["auto_distribute_workers"],
                defend=game.helpers["auto_defend"],
                auto_attack=game.helpers["auto_attack"],
            )

    return TextSC2Bot


class RealGame:
    """One real game against the built-in AI, stepped synchronously from the caller's thread.

    Args:
        data: the game data (requirements and the original's helper thresholds).
        map_name, opponent_race, difficulty (1-10), build: the match.
        step_loops: game loops per step (``client.game_step``).
        time_limit_s: burnysc2's ``game_time_limit`` (a ``Tie`` after it).
        helpers: the env's switches of the original's scripted helpers.
        rules: the env's :class:`~tactica.envs.textsc2.rules.RuleSet` (the gating of the actions).
        seed: the game's ``random_seed``.
        realtime: play at real speed (the original's ``--real_time``).
    """

    def __init__(
        self,
        *,
        data,
        map_name: str,
        opponent_race: str,
        difficulty: int,
        build: str,
        step_loops: int,
        time_limit_s: float,
        helpers: dict[str, bool],
        rules=None,
        seed: int | None = None,
        realtime: bool = False,
    ):
        self.api = require_sc2()
        self.data = data
        self.map_name = map_name
        self.opponent_race = opponent_race
        self.difficulty = int(difficulty)
        self.build = build
        self.step_loops = int(step_loops)
        self.time_limit_s = float(time_limit_s)
        self.helpers = dict(helpers)
        self.rules = rules
        self.seed = seed
        self.realtime = realtime
        self.enemy = enemy_names(data, opponent_race)
        self.inbox: queue.Queue[int] = queue.Queue()
        self.outbox: queue.Queue[Frame | BaseException] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.over = False

    def start(self) -> Frame:
        """Launch the game and return its first observation."""
        if self.thread is not None:
            raise RuntimeError("this game has already started")
        api = self.api
        players = [
            api.Bot(api.Race.Protoss, _bot_class(api, self)()),
            api.Computer(
                api.Race[self.opponent_race],
                api.Difficulty(self.difficulty),
                api.AIBuild[AI_BUILDS[self.build]],
            ),
        ]
        self.thread = threading.Thread(target=self._run, args=(players,), name="textsc2-sc2", daemon=True)
        self.thread.start()
        return self._next(_START_TIMEOUT_S)

    def _run(self, players) -> None:
        api = self.api
        try:
            result = api.run_game(
                # burnysc2 finds a map by its file name: "Ancient Cistern LE" is AncientCisternLE.SC2Map.
                api.maps.get(self.map_name.replace(" ", "")),
                players,
                realtime=self.realtime,
                game_time_limit=int(self.time_limit_s),
                random_seed=self.seed,
            )
            name = getattr(result, "name", str(result))
            self.outbox.put(Frame(result=name if name in ("Victory", "Defeat") else "Tie"))
        except BaseException as exc:  # handed to the env thread, which re-raises it
            self.outbox.put(exc)

    def _next(self, timeout_s: float) -> Frame:
        try:
            item = self.outbox.get(timeout=timeout_s)
        except queue.Empty:
            # a game that neither answers nor fails (a hung client) must not block the env forever
            self.over = True
            raise RuntimeError(
                f"StarCraft II sent no observation within {timeout_s:g} s; the game was abandoned"
            ) from None
        if isinstance(item, BaseException):
            self.over = True
            raise RuntimeError(
                f"the StarCraft II game stopped with an error ({type(item).__name__}: {item}); backend='sc2' needs "
                f"StarCraft II installed (SC2PATH) with the map {self.map_name!r} in its Maps folder"
            ) from item
        if item.result is not None:
            self.over = True
        return item

    def step(self, action: int) -> Frame:
        """Play ``action`` this step; returns the next observation or the game's end."""
        if self.over:
            raise RuntimeError("the game is over")
        self.inbox.put(int(action))
        return self._next(_STEP_TIMEOUT_S)

    def close(self) -> None:
        """Leave the game (if it is still running) and wait for the game thread."""
        if self.thread is None:
            return
        if not self.over and self.thread.is_alive():
            self.inbox.put(_LEAVE)
        self.thread.join(_THREAD_JOIN_S)
        self.over = True
        self.thread = None


class RealGameEnv:
    """The env side of ``backend="sc2"``: ``reset``/``step`` of :class:`TextSC2Env` on a :class:`RealGame`.

    Observations are filled into the env's own ``observation_space`` from the same ``information`` dict, text
    summary and mask the embedded backend produces; ``info`` carries ``action_executed``, ``action_failures``,
    ``action_mask`` and, at the end, ``result`` and ``metrics``.  Reward: +50 on a victory (the original);
    ``reward="shaped"`` adds only -50 on a defeat here (the per-step value balance needs the embedded engine).
    """

    def __init__(self, env):
        self.env = env
        self.game: RealGame | None = None
        self._rendered: str | None = None  # what render() shows: the last summary, action and failures

    def reset(self, seed: int | None) -> tuple[dict, dict]:
        env = self.env
        self.close()
        game_seed = int(env.np_random.integers(0, 2**31 - 1))
        self.game = RealGame(
            data=env.data,
            map_name=env.map_name,
            opponent_race=env.opponent_race,
            difficulty=env.difficulty,
            build=env.build,
            step_loops=env.step_loops,
            time_limit_s=env.time_limit_loops / env.data.loops_per_second,
            helpers=env.helpers,
            rules=env.rules,
            seed=game_seed,
        )
        env._queue = deque()
        self.metrics = MetricsRecorder()
        frame = self.game.start()
        self._last = frame
        obs, info = self._observe(frame)
        info.update(action_executed=None, action_failures=[])
        self._remember(obs, None, [])
        return obs, info

    def step(self, action) -> tuple[dict, float, bool, bool, dict]:
        env = self.env
        if self.game is None:
            raise RuntimeError("call reset() before step()")
        failures: list[str] = []
        env._decisions = None
        action_id = env._resolve(action, failures)
        frame = self.game.step(action_id)
        text = ACTIONS[action_id]
        if frame.result is None:
            obs, info = self._observe(frame)
            failures += frame.failures or []
            info.update(action_executed=text, action_failures=failures)
            self._remember(obs, text, failures)
            return obs, 0.0, False, False, info
        # The game is over: the last observation stands, with the result and the metrics.
        obs, info = self._observe(self._last, record=False)
        reward = 50.0 if frame.result == "Victory" else 0.0
        if frame.result == "Defeat" and env.reward_mode == "shaped":
            reward = -50.0
        truncated = frame.result == "Tie" and self._last.seconds + 1.0 >= self.game.time_limit_s
        info.update(
            action_executed=text,
            action_failures=failures,
            result=frame.result,
            metrics=self.metrics.result(),
        )
        info.update(info["metrics"])  # also at the top level, as the embedded backend
        self._remember(obs, text, failures + [f"Result: {frame.result}"])
        self.close()
        return obs, reward, not truncated, truncated, info

    def _remember(self, obs: dict, action: str | None, failures: list[str]) -> None:
        lines = [str(obs["text"]).rstrip(), f"Action executed: {action}", *failures]
        self._rendered = "\n".join(lines) + "\n"

    def render(self) -> str:
        """The same ansi text as the embedded backend: the summary, the last action and its failures."""
        return self._rendered or "TextSC2-v1 (not reset)\n"

    def _observe(self, frame: Frame, record: bool = True) -> tuple[dict, dict]:
        env = self.env
        self._last = frame
        if record:
            self.metrics.record(frame.info, frame.seconds)
        text = summarize(frame.info, text_format=env.text_format)
        mask = np.array(frame.mask, dtype=np.int8)
        values: dict[str, Any] = {
            **frame.info,
            "resource": {**frame.info["resource"], "game_loop": frame.game_loop},
            "game_time": frame.info["resource"]["game_time"],
            "text": text[: env.observation_space["text"].max_length],
            "action_mask": mask,
        }
        return _fill(env.observation_space, values), env._step_info(mask, frame.game_loop)

    def close(self) -> None:
        if self.game is not None:
            self.game.close()
            self.game = None


def _fill(space, values):
    """The observation for ``space`` from nested ``values`` (missing counts are 0), leaf dtypes from the space."""
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return {
            key: _fill(sub, values.get(key, 0) if isinstance(values, dict) else 0)
            for key, sub in space.items()
        }
    if isinstance(space, spaces.Box):
        return np.asarray(values, dtype=space.dtype).reshape(space.shape)
    return values
