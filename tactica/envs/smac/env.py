"""``SMAC-v0``: the StarCraft Multi-Agent Challenge as a PettingZoo ParallelEnv, without StarCraft II."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from tactica.envs.smac.api import SMACEnv, StarCraft2Env
from tactica.envs.smac.render import render_ansi

__all__ = ["SMACParallelEnv", "SMACEnv", "StarCraft2Env"]


class SMACParallelEnv(ParallelEnv):
    """SMAC micro-management battles (oxwhirl/smac semantics) on tactica's embedded simulator.

    ## Description
    A team of allied units, one agent each, fights the built-in AI's army on one of SMAC's 23 maps
    (``map_name``: 3m, 8m, 25m, 5m_vs_6m, 8m_vs_9m, 10m_vs_11m, 27m_vs_30m, MMM, MMM2, 2s3z, 3s5z,
    3s5z_vs_3s6z, 3s_vs_3z, 3s_vs_4z, 3s_vs_5z, 1c3s5z, 2m_vs_1z, corridor, 6h_vs_8z, 2s_vs_1sc,
    so_many_baneling, bane_vs_bane, 2c_vs_64zg).  The battle runs in :mod:`tactica.envs.smac.engine`: SC2 unit
    statistics, shields before armor, bonus damage, splash, Medivac healing, 8 game loops per step at 22.4 loops
    per second.  This class follows oxwhirl/smac's own PettingZoo wrapper; :class:`SMACEnv` offers the original
    ``StarCraft2Env`` API with identical vectors.

    ## Action Space
    ``Discrete(n_actions - 1)`` per agent: SMAC's action ids without the no-op (PettingZoo action ``a`` is SMAC
    action ``a + 1``): 0 stop, 1-4 move north/south/east/west by 2, ``5 + j`` attack enemy ``j`` (Medivacs:
    heal ally ``j``).  Attacks are legal only on live targets within centre distance 6; moves only onto
    pathable ground.  A masked-out action is replaced by stop (the mask-free samplers of PettingZoo's tests send
    them) and flagged with ``info["illegal_action"] = True``; an action outside the space raises ``ValueError``.

    ## Observation Space
    ``Dict(observation=Box(-1, 1, (obs_size,), float32), action_mask=Box(0, 1, (n_actions - 1,), int8))``
    with SMAC's observation layout (``docs/smac.md``): move availability, per-enemy and per-ally features within
    sight range 9, own health/shield/type.  ``state()`` returns SMAC's global state, ``state_space`` is
    ``Box(-1, 2, (state_size,))`` (weapon cooldowns may exceed SMAC's normaliser, as in SC2).

    | map | agents | obs | state | actions (SMAC) |
    |---|---|---|---|---|
    | 3m | 3 | 30 | 48 | 9 |
    | 3s5z | 8 | 128 | 216 | 14 |
    | MMM2 | 10 | 176 | 322 | 18 |
    | 27m_vs_30m | 27 | 285 | 1170 | 36 |

    ## Rewards
    The shared team reward of oxwhirl/smac (the same value for every agent): enemy health and shield lost plus
    10 per kill plus 200 for a win, scaled so a perfect battle sums to about 20 (``reward_scale_rate``); with
    ``reward_only_positive`` (default) SMAC's ``abs`` is kept unless ``reward_abs_quirk=False``.

    ## Starting State
    Both armies in formation at the map's spawn points (allies sorted by unit type, then x, y, as in SMAC).
    The seed drives SC2's weapon-cooldown jitter and the order of simultaneous shots.

    ## Episode End
    Termination: all enemies dead (win), all agents dead (loss), both (draw); on MMM maps a team left with only
    Medivacs has lost.  A dead agent terminates individually and leaves ``agents``.  Truncation: the map's
    episode limit (e.g. 60 steps on 3m, 150 on 3s5z).

    ## Arguments
    ``map_name`` (default "3m"), ``render_mode`` (``"ansi"``, ``"rgb_array"`` -- a 480 x 320 picture of the
    battle -- or ``None``), and every keyword of
    :class:`SMACEnv` (``obs_last_action``, ``state_last_action``, ``reward_*``, ``reward_abs_quirk``,
    ``cooldown_jitter``, ``episode_limit``...).

    >>> import tactica
    >>> env = tactica.make_parallel("SMAC-v0", map_name="3m")
    >>> obs, infos = env.reset(seed=0)
    >>> sorted(obs)
    ['marine_0', 'marine_1', 'marine_2']

    ## Version History
    * v0: initial release (embedded simulator, 23 maps).
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "name": "smac_v0",
        "is_parallelizable": True,
        "render_fps": 8,
    }

    def __init__(self, map_name: str = "3m", render_mode: str | None = None, **kwargs: Any):
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None, 'ansi' or 'rgb_array', got {render_mode!r}")
        if kwargs.get("backend", "embedded") != "embedded":
            raise ValueError(
                "SMAC-v0 runs the embedded simulator; use SMACEnv(backend='sc2') for StarCraft II"
            )
        kwargs.pop("backend", None)
        self.map_name = map_name
        self.render_mode = render_mode
        self._kwargs = kwargs
        self.env = SMACEnv(map_name, **kwargs)
        info = self.env.get_env_info()
        self.n_agents = info["n_agents"]
        self.n_actions = info["n_actions"]
        counts: dict[str, int] = {}
        names = []
        for kind in self.env.core.sim.types[: self.n_agents]:
            names.append(f"{kind.name}_{counts.get(kind.name, 0)}")
            counts[kind.name] = counts.get(kind.name, 0) + 1
        self.possible_agents = names
        self.agents: list[str] = []
        self._index = {name: i for i, name in enumerate(names)}
        self._obs_space = spaces.Dict(
            {
                "observation": spaces.Box(-1.0, 1.0, (info["obs_shape"],), np.float32),
                "action_mask": spaces.Box(0, 1, (self.n_actions - 1,), np.int8),
            }
        )
        self._act_space = spaces.Discrete(self.n_actions - 1)
        self.state_space = spaces.Box(-1.0, 2.0, (info["state_shape"],), np.float32)
        self.np_random, _ = seeding.np_random(None)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_space

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.env.rng = self.np_random
        self.env.reset()
        self.agents = list(self.possible_agents)
        return self._observations(), {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]):
        if not self.agents:
            raise RuntimeError("the episode has ended; call reset() before step()")
        smac = np.zeros(self.n_agents, np.int64)
        for agent in self.agents:
            if agent not in actions:
                raise ValueError(f"missing action for live agent {agent!r}")
            action = actions[agent]
            if not self._act_space.contains(action) and not (
                isinstance(action, (int, np.integer)) and 0 <= int(action) < self._act_space.n
            ):
                raise ValueError(
                    f"action for {agent!r} must be an int in [0, {self._act_space.n}), got {action!r}"
                )
            smac[self._index[agent]] = int(action) + 1
        acting = list(self.agents)
        avail = self.env.core.avail_actions()[0]
        illegal = avail[np.arange(self.n_agents), smac] == 0
        illegal &= avail[:, 1] == 1  # live agents only; dead ones send the no-op
        smac = np.where(illegal, 1, smac)
        reward, terminated, info = self.env.step(smac)
        alive = self.env.core.sim.alive[0]
        timeout = terminated and self.env._episode_steps >= self.env.episode_limit and self._battle_running()
        observations = self._observations(acting)
        rewards = {a: float(reward) for a in acting}
        terminations = {a: bool(terminated and not timeout) or not alive[self._index[a]] for a in acting}
        truncations = {a: bool(timeout) for a in acting}
        infos = {a: {**info, "illegal_action": bool(illegal[self._index[a]])} for a in acting}
        self.agents = [] if terminated else [a for a in acting if alive[self._index[a]]]
        return observations, rewards, terminations, truncations, infos

    def _battle_running(self) -> bool:
        return int(self.env.core.end_codes()[0]) == 3

    def _observations(self, agents: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
        obs = self.env.core.observations()[0]
        avail = self.env.core.avail_actions()[0]
        out = {}
        for agent in agents if agents is not None else self.agents:
            i = self._index[agent]
            mask = avail[i, 1:].copy()
            if not mask.any():  # a dead agent's last observation: stop stays nominally legal
                mask[0] = 1
            out[agent] = {"observation": np.clip(obs[i], -1.0, 1.0), "action_mask": mask}
        return out

    def state(self) -> np.ndarray:
        return self.env.get_state()

    def render(self) -> str | None:
        if self.render_mode is None:
            import gymnasium

            gymnasium.logger.warn(
                "render() called without a render_mode; make the env with render_mode='ansi'"
            )
            return None
        if self.render_mode == "rgb_array":
            from tactica.envs.smac.pictures import battle_frame

            return battle_frame(self.env.core.sim, 0, self.env._episode_steps, self.env.episode_limit)
        return render_ansi(self.env.core.sim, 0, self.env._episode_steps)

    def close(self) -> None:
        self.env.close()
