"""``MacroLeader-v1``: the government's view of ``MacroSMFG-v1`` as a single-agent Gymnasium env (for SB3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np

from tactica.envs.macro.env import GOVERNMENT, HOUSEHOLDS, MacroSMFGEnv
from tactica.envs.validation import check_seed, check_started

__all__ = ["MacroLeaderEnv"]

FollowerPolicy = Callable[[dict[str, np.ndarray], dict[str, Any]], np.ndarray]


class MacroLeaderEnv(gymnasium.Env):
    """The government (Stackelberg leader) of ``MacroSMFG-v1``, with the households driven by a given policy.

    ## Description

    Wraps :class:`tactica.envs.macro.env.MacroSMFGEnv`.  Each step the government's action is announced as
    next year's policy and the followers' policy (an object with ``act(observation, info)`` or a callable of
    the same signature) answers the households' observation, in which the policy in force is revealed.  This
    is the env to train a leader with Stable-Baselines3 against fixed or pre-trained followers.

    ## Action Space

    ``Box(-1, 1, (5,), float32)`` (``(K + 3,)`` with ``income_tax="brackets"``), as the ``government`` agent.

    ## Observation Space

    ``Box(-1e6, 1e6, (P,), float32)``: the public mean-field vector of ``MacroSMFG-v1``.

    ## Rewards

    The government's reward of ``MacroSMFG-v1`` (``objective``, default mean household utility, with the
    per-year penalty for an early end).

    ## Starting State

    As ``MacroSMFG-v1``.

    ## Episode End

    As ``MacroSMFG-v1``: termination on collapse, debt crisis, runaway inequality or NaN; truncation at the
    horizon.

    ## Arguments

    ``follower_policy``: ``"rule"`` (default, :class:`tactica.baselines.macro.RuleHouseholds`), ``"fixed"``
    (:class:`tactica.baselines.macro.FixedHouseholds`), ``"random"``, an agent object or a callable; every
    other keyword goes to ``MacroSMFGEnv`` (``num_households``, ``horizon``, ``calibration``, ``objective``...).

    ```python
    >>> import gymnasium as gym, tactica
    >>> env = gym.make("MacroLeader-v1", num_households=100)
    >>> obs, info = env.reset(seed=0)
    ```

    ## Version History

    - v0: initial release.
    - v1: with ``interest="fixed"`` a government that owns capital (negative debt) earns the return on capital
      instead of charging its losses to the households, so no household's assets go negative; no tax exceeds a
      household's cash on hand; the income Gini counts negative incomes as zero (both Ginis stay in [0, 1]);
      ``income_tax="brackets"`` subtracts the 559.98 USD non-refundable credit of the DSMFG schedule it follows.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}

    def __init__(
        self, follower_policy: str | Any = "rule", render_mode: str | None = None, **env_kwargs: Any
    ):
        self.game = MacroSMFGEnv(render_mode=render_mode, **env_kwargs)
        self.render_mode = render_mode
        self.action_space = self.game.action_space(GOVERNMENT)
        self.observation_space = self.game.observation_space(GOVERNMENT)
        self.followers = self._make_followers(follower_policy)
        self._households_obs: dict[str, np.ndarray] | None = None
        self._households_info: dict[str, Any] = {}

    def _make_followers(self, spec: str | Any) -> Any:
        space = self.game.action_space(HOUSEHOLDS)
        if isinstance(spec, str):
            from tactica.agents.random_agent import RandomAgent
            from tactica.baselines.macro.households import FixedHouseholds, RuleHouseholds

            makers = {"rule": RuleHouseholds, "fixed": FixedHouseholds, "random": RandomAgent}
            if spec not in makers:
                raise ValueError(
                    f"follower_policy must be one of {sorted(makers)}, an agent or a callable, got {spec!r}"
                )
            kwargs = {} if spec == "random" else {"calibration": self.game.calibration}
            return makers[spec](
                action_space=space, observation_space=self.game.observation_space(HOUSEHOLDS), **kwargs
            )
        if hasattr(spec, "act") or callable(spec):
            return spec
        raise TypeError(
            f"follower_policy must be a name, an agent with act() or a callable, got {type(spec).__name__}"
        )

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        check_seed(seed)
        super().reset(seed=seed)
        # The inner game draws from the same seed stream, so one seed fixes the whole economy.
        inner_seed = int(self.np_random.integers(2**31 - 1))
        obs, infos = self.game.reset(seed=inner_seed, options=options)
        if hasattr(self.followers, "reset"):
            self.followers.reset(inner_seed)
        self._households_obs, self._households_info = obs[HOUSEHOLDS], infos[HOUSEHOLDS]
        return obs[GOVERNMENT], infos[GOVERNMENT]

    def step(self, action: np.ndarray):
        check_started(self._households_obs is not None, False)
        followers = self.followers
        act = followers.act if hasattr(followers, "act") else followers
        households_action = act(self._households_obs, self._households_info)
        obs, rewards, terms, truncs, infos = self.game.step(
            {GOVERNMENT: action, HOUSEHOLDS: households_action}
        )
        self._households_obs, self._households_info = obs[HOUSEHOLDS], infos[HOUSEHOLDS]
        return obs[GOVERNMENT], rewards[GOVERNMENT], terms[GOVERNMENT], truncs[GOVERNMENT], infos[GOVERNMENT]

    def render(self) -> str | np.ndarray | None:
        return self.game.render()
