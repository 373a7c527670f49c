"""``SMAC-v2``: the StarCraft Multi-Agent Challenge as a PettingZoo ParallelEnv, without StarCraft II."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from tactica.envs.smac.api import SMACEnv, StarCraft2Env
from tactica.envs.smac.render import render_ansi
from tactica.envs.validation import check_agents, check_seed, check_started, discrete_action

__all__ = ["SMACParallelEnv", "SMACEnv", "StarCraft2Env"]


class SMACParallelEnv(ParallelEnv):
    """SMAC micro-management battles (oxwhirl/smac semantics) on tactica's embedded simulator.

    ## Description
    A team of allied units, one agent each, fights the built-in AI's army on one of SMAC's 23 maps
    (``map_name``: 3m, 8m, 25m, 5m_vs_6m, 8m_vs_9m, 10m_vs_11m, 27m_vs_30m, MMM, MMM2, 2s3z, 3s5z,
    3s5z_vs_3s6z, 3s_vs_3z, 3s_vs_4z, 3s_vs_5z, 1c3s5z, 2m_vs_1z, corridor, 6h_vs_8z, 2s_vs_1sc,
    so_many_baneling, bane_vs_bane, 2c_vs_64zg).  The battle runs in :mod:`tactica.envs.smac.engine`: SC2 unit
    statistics, shields before armor, bonus damage, splash, Medivac healing, 8 game loops per step (16 loops
    per game second, 22.4 per second at Faster speed).  This class follows oxwhirl/smac's own PettingZoo wrapper; :class:`SMACEnv` offers the original
    ``StarCraft2Env`` API with identical vectors.

    ## Action Space
    ``Discrete(n_actions - 1)`` per agent: SMAC's action ids without the no-op (PettingZoo action ``a`` is SMAC
    action ``a + 1``): 0 stop, 1-4 move north/south/east/west by 2, ``5 + j`` attack enemy ``j`` (Medivacs:
    heal ally ``j``).  Attacks are legal only on live targets within centre distance 6; moves only onto
    pathable ground.  A masked-out action is replaced by stop (the mask-free samplers of PettingZoo's tests send
    them) and flagged with ``info["illegal_action"] = True``.  An action outside the space (out of range or not
    an integer: ``1.5`` is refused, ``2.0`` and NumPy or 0-d tensor integers are accepted), an action for an
    unknown agent or one no longer in the episode, ``step`` before ``reset`` or after the end, and a seed that
    is not a non-negative integer raise an error naming what is accepted.

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
    >>> env = tactica.make_parallel("SMAC-v2", map_name="3m")
    >>> obs, infos = env.reset(seed=0)
    >>> sorted(obs)
    ['marine_0', 'marine_1', 'marine_2']

    ## Version History
    * v2: melee crowds as SC2's attack-move plays them: an enemy whose own attacking friends stand
      across its way to the closest ally it can hit acquires the closest one it can reach, and the scripted
      attack on the allied group (2c_vs_64zg) switches to the allied unit a Zergling can reach; random play
      on 2c_vs_64zg wins under 5%.
    * v1: battles as StarCraft II plays them: terrain, spawn points and scripted enemy orders extracted from
      the maps' ``.SC2Map`` files, unit data from the maps' own ``UnitData.xml``, collisions resolved every
      game loop, movement along the pathing grid (wall sliding, shortest paths, Colossus cliff walking),
      damage points and projectiles, SC2's default attack-move targeting for the enemies; SMAC's state
      y scale, visibility diagonal, ``obs_own_health`` and timestep feature; bad seeds, fractional actions,
      unknown agents and ``step`` before ``reset`` are refused with a clear error.
    * v0: initial release (embedded simulator, 23 maps).
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "name": "smac_v1",
        "is_parallelizable": True,
        "render_fps": 8,
    }

    def __init__(self, map_name: str = "3m", render_mode: str | None = None, **kwargs: Any):
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None, 'ansi' or 'rgb_array', got {render_mode!r}")
        if kwargs.get("backend", "embedded") != "embedded":
            raise ValueError(
                "SMAC-v2 runs the embedded simulator; use SMACEnv(backend='sc2') for StarCraft II"
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
        self._started = False
        self._index = {name: i for i, name in enumerate(names)}
        features = self.env.core.features
        self._obs_space = spaces.Dict(
            {
                "observation": spaces.Box(-1.0, 1.0, (features.obs_len,), np.float32),
                "action_mask": spaces.Box(0, 1, (self.n_actions - 1,), np.int8),
            }
        )
        self._act_space = spaces.Discrete(self.n_actions - 1)
        self._rows = np.arange(self.n_agents)
        self.state_space = spaces.Box(-1.0, 2.0, (features.state_len,), np.float32)
        self.np_random, _ = seeding.np_random(None)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_space

    def reset(self, seed: int | None = None, options: dict | None = None):
        check_seed(seed)
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.env.rng = self.np_random
        self.env.reset()
        self.agents = list(self.possible_agents)
        self._started = True
        return self._observations(), {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]):
        check_started(self._started, not self.agents)
        if len(actions) != len(self.agents):
            check_agents(actions, self.agents, self.possible_agents)
        n = self._act_space.n
        smac = np.zeros(self.n_agents, np.int64)
        index = self._index
        for agent in self.agents:
            if agent not in actions:
                raise ValueError(f"missing action for live agent {agent!r}")
            action = actions[agent]
            if not (type(action) is int and 0 <= action < n):  # the common case, checked without a call
                action = discrete_action(action, n, who=f"action for {agent!r}")
            smac[index[agent]] = action + 1
        acting = self.agents
        avail = self.env.core.avail_actions()[0]
        illegal = avail[self._rows, smac] == 0
        illegal &= avail[:, 1] == 1  # live agents only; dead ones send the no-op
        if illegal.any():
            smac[illegal] = 1
        reward, terminated, info = self.env.step(smac)
        alive = self.env.core.sim.alive[0]
        timeout = terminated and self.env._episode_steps >= self.env.episode_limit and self._battle_running()
        observations = self._observations(acting)
        reward = float(reward)
        rewards = dict.fromkeys(acting, reward)
        ended = bool(terminated and not timeout)
        terminations = {a: ended or not alive[index[a]] for a in acting}
        truncations = dict.fromkeys(acting, bool(timeout))
        infos = {a: dict(info, illegal_action=bool(illegal[index[a]])) for a in acting}
        self.agents = [] if terminated else [a for a in acting if alive[index[a]]]
        return observations, rewards, terminations, truncations, infos

    def _battle_running(self) -> bool:
        return int(self.env.core.end_codes()[0]) == 3

    def _observations(self, agents: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
        # the core recomputes its arrays every step, so per-agent views of one clipped copy are safe to hand out
        obs = np.clip(self.env.core.observations()[0], -1.0, 1.0)
        masks = self.env.core.avail_actions()[0, :, 1:].copy()
        masks[~self.env.core.sim.alive[0, : self.n_agents], 0] = (
            1  # a dead agent's last mask: stop, nominally
        )
        index = self._index
        return {
            agent: {"observation": obs[index[agent]], "action_mask": masks[index[agent]]}
            for agent in (agents if agents is not None else self.agents)
        }

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
