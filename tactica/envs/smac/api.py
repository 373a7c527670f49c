"""oxwhirl/smac's ``StarCraft2Env`` API on the embedded simulator, so pymarl-style code runs unmodified.

>>> from tactica.envs.smac import SMACEnv
>>> env = SMACEnv(map_name="3m", seed=0)
>>> env.get_env_info()["obs_shape"], env.get_env_info()["state_shape"], env.get_env_info()["n_actions"]
(30, 48, 9)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.smac.core import RewardConfig, SMACBatch
from tactica.envs.smac.features import FeatureConfig
from tactica.envs.smac.render import render_ansi
from tactica.envs.validation import check_seed, integral
from tactica.errors import MissingDependency

__all__ = ["SMACEnv", "StarCraft2Env", "load_sc2_backend"]

_SC2_HINT = (
    "backend='sc2' needs oxwhirl/smac and StarCraft II: install it with "
    "`pip install git+https://github.com/oxwhirl/smac.git` (the PyPI package named 'smac' is an unrelated "
    "hyper-parameter optimiser) and set SC2PATH to a StarCraft II installation with the SMAC maps"
)


def load_sc2_backend():
    """oxwhirl/smac's ``StarCraft2Env`` class, or :class:`MissingDependency` saying how to install it."""
    try:
        from smac.env.starcraft2.starcraft2 import StarCraft2Env as RealEnv  # type: ignore[import-not-found]
    except ImportError:
        error = MissingDependency("smac", None, "backend='sc2'")
        error.args = (_SC2_HINT,)
        error.msg = _SC2_HINT
        raise error from None
    return RealEnv


class SMACEnv:
    """A SMAC battle with oxwhirl/smac's ``MultiAgentEnv`` interface (``StarCraft2Env`` drop-in).

    ``reset() -> (obs, state)``; ``step(actions) -> (reward, terminated, info)``; then ``get_obs()``,
    ``get_state()``, ``get_avail_actions()``.  Sizes, layouts, action ids, availability rules, rewards (with the
    scaling to 20 and, behind ``reward_abs_quirk``, the ``abs``), ``info`` keys and ``get_stats()`` follow
    oxwhirl/smac; the battle itself runs in tactica's embedded simulator (:mod:`tactica.envs.smac.engine`).

    Args:
        map_name: one of :data:`tactica.envs.smac.maps.MAP_NAMES`.
        seed: seed of the simulator's random generator (weapon jitter, update order); ``reset(seed=...)``
            reseeds.
        backend: ``"embedded"`` (default) or ``"sc2"``, which returns oxwhirl/smac's own ``StarCraft2Env`` (real
            StarCraft II) built with the same keyword arguments.
        step_mul: game loops per agent step; the embedded simulator supports SMAC's default 8 only.
        continuing_episode, obs_*, state_*, reward_*: as in oxwhirl/smac.
        reward_abs_quirk: keep SMAC's ``abs`` of the reward under ``reward_only_positive`` (see RewardConfig).
        cooldown_jitter: SC2's -1..+2 loop weapon jitter (``False``: deterministic fights).
        difficulty, game_version, replay_dir, replay_prefix, window_size_x, window_size_y, debug: accepted for
            pymarl configs and ignored (the embedded AI has one behaviour).
        heuristic_ai, heuristic_rest: oxwhirl/smac's attack-nearest heuristic controls the allies (the actions
            are then ignored; ``heuristic_rest`` approaches targets out of shooting range with moves).
        move_amount, obs_pathing_grid, obs_terrain_height: only SMAC's defaults are supported by the embedded
            backend (other values raise ``ValueError``).
        episode_limit: override the map's limit.
        unit_overrides: ``([(unit, x, y), ...], [(unit, x, y), ...])`` custom allies and enemies on the map.
    """

    def __new__(cls, *args: Any, backend: str = "embedded", **kwargs: Any):
        if backend == "sc2":
            real = load_sc2_backend()
            for key in ("reward_abs_quirk", "cooldown_jitter", "unit_overrides", "episode_limit"):
                kwargs.pop(key, None)
            return real(*args, **kwargs)
        if backend != "embedded":
            raise ValueError(f"backend must be 'embedded' or 'sc2', got {backend!r}")
        return super().__new__(cls)

    def __init__(
        self,
        map_name: str = "8m",
        *,
        backend: str = "embedded",
        seed: int | None = None,
        step_mul: int = 8,
        continuing_episode: bool = False,
        obs_all_health: bool = True,
        obs_own_health: bool = True,
        obs_last_action: bool = False,
        obs_instead_of_state: bool = False,
        obs_timestep_number: bool = False,
        state_last_action: bool = True,
        state_timestep_number: bool = False,
        reward_sparse: bool = False,
        reward_only_positive: bool = True,
        reward_death_value: float = 10,
        reward_win: float = 200,
        reward_defeat: float = 0,
        reward_negative_scale: float = 0.5,
        reward_scale: bool = True,
        reward_scale_rate: float = 20,
        reward_abs_quirk: bool = True,
        cooldown_jitter: bool = True,
        episode_limit: int | None = None,
        unit_overrides: tuple[list, list] | None = None,
        difficulty: str = "7",
        game_version: str | None = None,
        move_amount: float = 2,
        obs_pathing_grid: bool = False,
        obs_terrain_height: bool = False,
        heuristic_ai: bool = False,
        heuristic_rest: bool = False,
        replay_dir: str = "",
        replay_prefix: str = "",
        window_size_x: int = 1920,
        window_size_y: int = 1200,
        debug: bool = False,
    ):
        # oxwhirl/smac's remaining keywords are accepted so pymarl configs pass through unchanged; the ones that
        # would change the battle must keep SMAC's defaults on the embedded simulator.
        if step_mul != 8:
            raise ValueError(f"the embedded simulator runs SMAC's step_mul=8 only, got step_mul={step_mul!r}")
        if move_amount != 2:
            raise ValueError(f"the embedded simulator runs SMAC's move_amount=2 only, got {move_amount!r}")
        for flag, value in (
            ("obs_pathing_grid", obs_pathing_grid),
            ("obs_terrain_height", obs_terrain_height),
        ):
            if value:
                raise ValueError(f"{flag}=True is not supported by the embedded backend; use backend='sc2'")
        self.difficulty = str(difficulty)  # the embedded AI has one behaviour (attack-move, see engine.py)
        self.game_version = game_version
        self.map_name = map_name
        self.continuing_episode = bool(continuing_episode)
        self.heuristic_ai = bool(heuristic_ai)
        self.heuristic_rest = bool(heuristic_rest)
        if obs_all_health:  # as oxwhirl/smac's constructor does
            obs_own_health = True
        self.core = SMACBatch(
            map_name,
            1,
            features=FeatureConfig(
                obs_all_health=obs_all_health,
                obs_own_health=obs_own_health,
                obs_last_action=obs_last_action,
                obs_instead_of_state=obs_instead_of_state,
                obs_timestep_number=obs_timestep_number,
                state_last_action=state_last_action,
                state_timestep_number=state_timestep_number,
            ),
            rewards=RewardConfig(
                reward_sparse=reward_sparse,
                reward_only_positive=reward_only_positive,
                reward_death_value=reward_death_value,
                reward_win=reward_win,
                reward_defeat=reward_defeat,
                reward_negative_scale=reward_negative_scale,
                reward_scale=reward_scale,
                reward_scale_rate=reward_scale_rate,
                reward_abs_quirk=reward_abs_quirk,
            ),
            cooldown_jitter=cooldown_jitter,
            unit_overrides=unit_overrides,
            episode_limit=episode_limit,
            heuristic_ai=heuristic_ai,
            heuristic_rest=heuristic_rest,
        )
        self.n_agents = self.core.n_agents
        self.n_enemies = self.core.n_enemies
        self.n_actions = self.core.n_actions
        self.episode_limit = self.core.episode_limit
        self.map_type = self.core.spec.map_type
        self.unit_type_bits = self.core.features.utb
        check_seed(seed)
        self.rng = np.random.default_rng(seed)
        self._seed = seed
        self.battles_won = self.battles_game = self.timeouts = self.force_restarts = 0
        self._episode_steps = 0
        self._total_steps = 0
        self._win_counted = False

    # ----------------------------------------------------------- episodes
    def seed(self) -> int | None:
        """The seed given at construction (oxwhirl/smac API)."""
        return self._seed

    def reset(self, seed: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
        """Start a new battle; returns ``(obs list, state)``."""
        check_seed(seed)
        if seed is not None:
            self.rng = np.random.default_rng(seed)
            self._seed = seed
        self.core.reset(rng=self.rng)
        self._episode_steps = 0
        self._win_counted = False
        return self.get_obs(), self.get_state()

    def step(self, actions) -> tuple[float, bool, dict[str, Any]]:
        """Apply one action id per agent; returns ``(reward, terminated, info)``.

        Like oxwhirl/smac, each action is read with ``int(a)`` (so a list or a tensor on any device works), and
        stepping on after the battle has ended keeps simulating: the end is reported again, counted in
        ``battles_game`` again, and a win is counted and rewarded once per episode.
        """
        if isinstance(actions, np.ndarray):
            fractional = actions.dtype.kind not in "iu" and not integral(actions)
            acts = actions.astype(np.int64, copy=False).reshape(-1) if not fractional else None
        else:
            try:
                fractional = any(
                    isinstance(a, (float, np.floating)) and not float(a).is_integer() for a in actions
                )
                acts = None if fractional else np.array([int(a) for a in actions], dtype=np.int64)
            except TypeError:
                raise ValueError(
                    f"actions must be a sequence of {self.n_agents} action ids, got {type(actions).__name__}"
                ) from None
        if fractional:
            raise ValueError(f"action ids must be whole numbers in [0, {self.n_actions}), got {actions!r}")
        if acts.shape != (self.n_agents,):
            raise ValueError(
                f"actions must hold one action id per agent ({self.n_agents}), got shape {acts.shape}"
            )
        reward, terminated, code = self.core.step(acts[None, :], self.rng)
        self._episode_steps += 1
        self._total_steps += 1
        info: dict[str, Any] = {"battle_won": False}
        code = int(code[0])
        if code in (1, -1, 0):
            self.battles_game += 1
            if code == 1 and not self._win_counted:
                self._win_counted = True
                self.battles_won += 1
                info["battle_won"] = True
        elif code == 2:
            self.battles_game += 1
            self.timeouts += 1
            if self.continuing_episode:
                info["episode_limit"] = True
        alive = self.core.sim.alive[0]
        info["dead_allies"] = int(self.n_agents - np.count_nonzero(alive[: self.n_agents]))
        info["dead_enemies"] = int(self.n_enemies - np.count_nonzero(alive[self.n_agents :]))
        return float(reward[0]), bool(terminated[0]), info

    # --------------------------------------------------------- observation
    def get_obs(self) -> list[np.ndarray]:
        return list(self.core.observations()[0])

    def get_obs_agent(self, agent_id: int) -> np.ndarray:
        return self.core.observations()[0, self._agent(agent_id)]

    def get_obs_size(self) -> int:
        return self.core.features.obs_size

    def get_state(self) -> np.ndarray:
        return self.core.states()[0]

    def get_state_size(self) -> int:
        return self.core.features.state_size

    def get_avail_actions(self) -> list[list[int]]:
        return self.core.avail_actions()[0].tolist()

    def get_avail_agent_actions(self, agent_id: int) -> list[int]:
        return self.core.avail_actions()[0, self._agent(agent_id)].tolist()

    def get_total_actions(self) -> int:
        return self.n_actions

    def get_obs_feature_names(self) -> list[str]:
        f = self.core.features
        return [f"obs_{i}" for i in range(f.obs_size)]

    def get_visibility_matrix(self) -> np.ndarray:
        """Bool (n_agents, n_agents + n_enemies): which live units each live agent sees (within sight 9).

        Columns are allies then enemies, as in oxwhirl/smac; an agent's own entry is False, as there.
        """
        sim = self.core.sim
        A = self.n_agents
        dist = self.core.distances()[0, :A]
        alive = sim.alive[0]
        vis = (dist < 9.0) & alive[None, :] & alive[:A, None]
        vis[np.arange(A), np.arange(A)] = False
        return vis

    def get_env_info(self) -> dict[str, Any]:
        f = self.core.features
        return {
            "state_shape": f.state_size,
            "obs_shape": f.obs_size,
            "n_actions": self.n_actions,
            "n_agents": self.n_agents,
            "episode_limit": self.episode_limit,
            "agent_features": self.ally_feature_names(),
            "enemy_features": self.enemy_feature_names(),
        }

    def ally_feature_names(self) -> list[str]:
        f = self.core.features
        names = ["health", "energy/cooldown", "rel_x", "rel_y"]
        if f.shield_ally:
            names.append("shield")
        names += [f"type_{i}" for i in range(f.utb)]
        return names

    def enemy_feature_names(self) -> list[str]:
        f = self.core.features
        names = ["health", "rel_x", "rel_y"]
        if f.shield_enemy:
            names.append("shield")
        names += [f"type_{i}" for i in range(f.utb)]
        return names

    def get_stats(self) -> dict[str, Any]:
        return {
            "battles_won": self.battles_won,
            "battles_game": self.battles_game,
            "battles_draw": self.timeouts,
            "win_rate": self.battles_won / self.battles_game if self.battles_game else 0.0,
            "timeouts": self.timeouts,
            "restarts": self.force_restarts,
        }

    def get_state_dict(self) -> dict[str, np.ndarray]:
        """The state split into its parts, as oxwhirl/smac's ``get_state_dict``."""
        f = self.core.features
        state = self.get_state()
        A, E = self.n_agents, self.n_enemies
        a_end = A * f.ally_state_dim
        e_end = a_end + E * f.enemy_state_dim
        out = {
            "allies": state[:a_end].reshape(A, -1),
            "enemies": state[a_end:e_end].reshape(E, -1),
        }
        if self.core.fcfg.state_last_action:
            out["last_action"] = self.core.last_action[0].copy()
        return out

    def _agent(self, agent_id: int) -> int:
        if not isinstance(agent_id, (int, np.integer)) or not 0 <= agent_id < self.n_agents:
            raise ValueError(f"agent_id must be an int in [0, {self.n_agents}), got {agent_id!r}")
        return int(agent_id)

    # ------------------------------------------------------------ misc
    def render(self, mode: str = "ansi") -> str:
        if mode != "ansi":
            raise ValueError(f"the embedded SMAC renders mode 'ansi' only, got {mode!r}")
        return render_ansi(self.core.sim, 0, self._episode_steps)

    def save_replay(self) -> None:
        """SC2 replays need the real game (``backend='sc2'``); the embedded simulator has none to save."""
        raise NotImplementedError(
            "save_replay() needs backend='sc2'; the embedded simulator renders with render()"
        )

    def close(self) -> None:
        pass

    def full_restart(self) -> None:
        self.reset()


StarCraft2Env = SMACEnv
