"""Stable-Baselines3 baselines for tactica's single-agent environments: training and a leaderboard agent.

``train(SB3Config(env_id=...))`` trains PPO, A2C or DQN on a registered single-agent environment and writes a
run directory (``runs/sb3/<ENV_ID>/<algo>-seed<seed>/`` by default)::

    config.json     the configuration (and the versions of tactica and stable-baselines3)
    metrics.jsonl   one line per training episode: timesteps so far, return, length
    model.zip       the trained model (``stable_baselines3`` format)
    summary.json    evaluation over seeded episodes through ``tactica.rollout.run_episode`` (mean, 95% interval)

``tactica leaderboard run --sb3-dir runs/sb3`` plays the ``model.zip`` files there with :class:`SB3Agent` (agent
name ``"sb3"``); a model is pickled code, so it is loaded only from a folder the user names.

Action masks: SB3's PPO/A2C/DQN cannot mask during training, so the trainer wraps environments whose
observation carries an ``action_mask`` in :class:`LegalActionWrapper` (an illegal choice plays the first
legal action instead, so training never sends an illegal move); at play time :class:`SB3Agent` picks the most
probable (PPO/A2C) or highest-valued (DQN) *legal* action.

Observations: Box, Discrete, MultiDiscrete, MultiBinary, or a Dict of them; a nested Dict, or one with text
parts (TextSC2), is read through :class:`NumericView` (its numeric leaves, flattened).  An environment whose
observation is text alone is trained only if its registration declares a numeric view (``EnvSpec.sb3_view``,
as ``FiberStream-v1`` does for its raw windows); otherwise training stops at once with the reason.  The trainer picks all of this by
itself: ``tactica train sb3 ID`` needs no flag for any of it.
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from tactica.agents.base import action_mask_of
from tactica.errors import MissingDependency

__all__ = [
    "ALGORITHMS",
    "LegalActionWrapper",
    "NumericView",
    "SB3Agent",
    "SB3Config",
    "default_run_dir",
    "train",
]

ALGORITHMS = {"ppo": "PPO", "a2c": "A2C", "dqn": "DQN"}
_SUPPORTED_SPACES = (gym.spaces.Box, gym.spaces.Discrete, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)


def _sb3():
    import contextlib
    import io

    try:
        # SB3 imports the legacy ``gym`` package when it is installed, which prints a deprecation notice on
        # every import although nothing here uses it; keep that notice out of tactica's output.
        with contextlib.redirect_stderr(io.StringIO()):
            import stable_baselines3
    except ImportError:
        raise MissingDependency("stable-baselines3", "rl", "the Stable-Baselines3 baselines") from None
    return stable_baselines3


@dataclass
class SB3Config:
    """A Stable-Baselines3 training run.

    Attributes:
        env_id: a registered single-agent environment id.
        algo: ``"ppo"``, ``"a2c"`` or ``"dqn"`` (DQN needs a Discrete action space).
        total_timesteps: environment steps to train for.
        seed: seeds the model, the environments and the evaluation episodes.
        env_options: keyword arguments for the environment (as ``tactica play --opt``).
        n_envs: parallel environments in the vectorized env (in this process).
        learning_rate: ``None`` keeps the algorithm's default.
        algo_kwargs: further keyword arguments for the algorithm (``n_steps``, ``batch_size``, ``gamma``...).
        eval_episodes: seeded episodes played after training for ``summary.json`` (0: none).
        run_dir: where to write; ``None``: :func:`default_run_dir`.
        threads: torch threads.  SB3's small networks gain nothing from more: on 2 busy cores PPO on
            MacroLeader-v1 took 12 s of CPU for 2,000 steps with 1 thread and 33 s with torch's default.
    """

    env_id: str
    algo: str = "ppo"
    total_timesteps: int = 50_000
    seed: int = 0
    env_options: dict[str, Any] = field(default_factory=dict)
    n_envs: int = 1
    learning_rate: float | None = None
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    eval_episodes: int = 10
    run_dir: str | None = None
    threads: int = 1

    def validate(self) -> None:
        from tactica.envs.registration import spec

        env_spec = spec(self.env_id)  # an unknown id raises, naming the nearest ones
        if env_spec.kind != "single":
            raise ValueError(
                f"sb3 trains single-agent environments; {self.env_id!r} is multi-agent (kind={env_spec.kind!r}): "
                "train it with a multi-agent library through PettingZoo (docs/marl.md)"
            )
        if self.algo not in ALGORITHMS:
            raise ValueError(f"algo must be one of {', '.join(ALGORITHMS)}; got {self.algo!r}")
        for name in ("total_timesteps", "n_envs", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer; got {self.seed!r}")
        if self.eval_episodes < 0:
            raise ValueError(f"eval_episodes must be >= 0; got {self.eval_episodes}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate}")


def default_run_dir(env_id: str, algo: str, seed: int, root: str | os.PathLike[str] | None = None) -> Path:
    """``<root>/<ENV_ID>/<algo>-seed<seed>`` with root ``TACTICA_SB3_DIR`` or ``runs/sb3``."""
    root = Path(root or os.environ.get("TACTICA_SB3_DIR") or "runs/sb3")
    return root / env_id / f"{algo}-seed{seed}"


class LegalActionWrapper(gym.Wrapper):
    """Replaces an illegal Discrete action by the first legal one (the mask of the last observation or info)."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        if not isinstance(env.action_space, gym.spaces.Discrete):
            raise TypeError(f"LegalActionWrapper needs a Discrete action space, got {env.action_space}")
        self._mask: np.ndarray | None = None

    def reset(self, **kwargs):
        observation, info = self.env.reset(**kwargs)
        self._mask = action_mask_of(observation, info)
        return observation, info

    def step(self, action):
        index = int(action) - int(self.env.action_space.start)
        if self._mask is not None and not self._mask[index]:
            action = int(self.env.action_space.start + np.flatnonzero(self._mask)[0])
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._mask = action_mask_of(observation, info)
        return observation, reward, terminated, truncated, info


class NumericView:
    """What an SB3 policy sees of a Dict observation: its numeric leaves, flattened into one level.

    SB3's ``MultiInputPolicy`` reads a flat Dict of Box/Discrete/MultiDiscrete/MultiBinary spaces; tactica's
    text environments observe nested Dicts that also carry ``Text`` (TextSC2's summary).  The view keeps every
    numeric leaf under its path (``"unit/probe_count"``; torch module names cannot hold dots), as at least 1-D Boxes, and drops the text.  It
    is computed from the space alone, so training and play (``SB3Agent``) see the same thing.
    """

    def __init__(self, space: gym.spaces.Dict):
        self.paths: list[tuple[str, ...]] = []
        spaces: dict[str, gym.spaces.Space] = {}
        for path, leaf in _leaves(space):
            if isinstance(leaf, gym.spaces.Box):
                shape = leaf.shape if leaf.shape else (1,)
                leaf = gym.spaces.Box(leaf.low.reshape(shape), leaf.high.reshape(shape), shape, leaf.dtype)
            elif not isinstance(leaf, _SUPPORTED_SPACES):
                continue
            self.paths.append(path)
            spaces["/".join(path)] = leaf
        if not spaces:
            raise ValueError(f"no numeric part to learn from in the observation space {space}")
        self.space = gym.spaces.Dict(spaces)

    @staticmethod
    def needed(space: gym.spaces.Space) -> bool:
        """Whether ``space`` has to be viewed (nested, text or 0-d leaves) before SB3 can read it."""
        if not isinstance(space, gym.spaces.Dict):
            return False
        return any(
            not isinstance(leaf, _SUPPORTED_SPACES) or (isinstance(leaf, gym.spaces.Box) and not leaf.shape)
            for leaf in space.spaces.values()
        )

    def __call__(self, observation: dict[str, Any]) -> dict[str, Any]:
        viewed = {}
        for path in self.paths:
            value = observation
            for key in path:
                value = value[key]
            leaf = self.space["/".join(path)]
            viewed["/".join(path)] = (
                np.asarray(value, dtype=leaf.dtype).reshape(leaf.shape) if leaf.shape else value
            )
        return viewed


def _leaves(space: gym.spaces.Space, prefix: tuple[str, ...] = ()):
    if isinstance(space, gym.spaces.Dict):
        for key, sub in space.spaces.items():
            yield from _leaves(sub, (*prefix, str(key)))
    else:
        yield prefix, space


class _NumericObservation(gym.ObservationWrapper):
    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.view = NumericView(env.observation_space)
        self.observation_space = self.view.space

    def observation(self, observation):
        return self.view(observation)


def _check_spaces(
    env_id: str, observation_space: gym.spaces.Space, action_space: gym.spaces.Space, algo: str
):
    """A ValueError naming what Stable-Baselines3 cannot read or act in (the CLI's exit 2)."""
    if not isinstance(observation_space, (gym.spaces.Dict, *_SUPPORTED_SPACES)):
        raise ValueError(
            f"{env_id} observes {_space_name(observation_space)}; Stable-Baselines3 policies read Box, Discrete, "
            "MultiDiscrete and MultiBinary observations (or a Dict of them)"
            + (
                ": its text is for language-model agents ('tactica envs --spaces' shows every id's spaces); "
                "an id trains with SB3 once its registration declares an sb3_view"
                if _is_text(observation_space)
                else ""
            )
        )
    if algo == "dqn" and not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"dqn needs a Discrete action space; {env_id} acts in {_space_name(action_space)}")
    if not isinstance(action_space, _SUPPORTED_SPACES):
        raise ValueError(f"Stable-Baselines3 cannot act in {_space_name(action_space)} ({env_id})")


def _is_text(space: gym.spaces.Space) -> bool:
    return isinstance(space, gym.spaces.Text)


def _space_name(space: gym.spaces.Space) -> str:
    """A one-line name of a space (a Text space's repr lists its whole charset, tabs and newlines included)."""
    if isinstance(space, gym.spaces.Text):
        return f"Text (up to {space.max_length} characters)"
    return " ".join(repr(space).split())


def _make_env(config: SB3Config) -> gym.Env:
    env = gym.make(config.env_id, **config.env_options)
    declared = env_view(env)
    seen = env.observation_space if declared is None else declared[0]
    _check_spaces(config.env_id, seen, env.action_space, config.algo)
    observation, info = env.reset(seed=config.seed)
    if isinstance(env.action_space, gym.spaces.Discrete) and action_mask_of(observation, info) is not None:
        env = LegalActionWrapper(env)  # reads the mask from the raw observation, so it goes on first
    if declared is not None:
        space, view = declared
        env = gym.wrappers.TransformObservation(env, view, space)
    elif NumericView.needed(env.observation_space):
        env = _NumericObservation(env)
    return env


def env_view(env: gym.Env):
    """The numeric view the environment's registration declares for SB3 (``EnvSpec.sb3_view``), or ``None``."""
    from tactica.envs.registration import _load, registry

    env_spec = registry().get(env.spec.id) if env.spec is not None else None
    if env_spec is None or env_spec.sb3_view is None:
        return None
    return _load(env_spec.sb3_view)(env)


def train(config: SB3Config, *, progress: bool = True) -> dict[str, Any]:
    """Train, save the run directory and return the summary (also written to ``summary.json``)."""
    config.validate()
    probe = _make_env(config)  # an environment SB3 cannot learn stops here, before anything is written
    policy = "MultiInputPolicy" if isinstance(probe.observation_space, gym.spaces.Dict) else "MlpPolicy"
    probe.close()
    sb3 = _sb3()
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    import tactica

    run_dir = (
        Path(config.run_dir) if config.run_dir else default_run_dir(config.env_id, config.algo, config.seed)
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(
        json.dumps(
            {
                **asdict(config),
                "run_dir": str(run_dir),
                "tactica": tactica.__version__,
                "sb3": sb3.__version__,
            },
            indent=2,
        )
    )
    torch.set_num_threads(config.threads)
    venv = make_vec_env(lambda: _make_env(config), n_envs=config.n_envs, seed=config.seed)
    extra = dict(config.algo_kwargs)
    if config.algo == "ppo" and "n_steps" not in extra:
        # PPO collects n_steps (2048) per environment before it learns: a shorter run would still pay for 2048.
        # Rollouts of the run's length (in whole mini-batches of 64) keep a 1,000-step try at about 1,000 steps.
        per_env = -(-config.total_timesteps // config.n_envs)
        extra["n_steps"] = min(2048, -(-per_env // 64) * 64)
    if config.learning_rate is not None:
        extra["learning_rate"] = config.learning_rate
    model = getattr(sb3, ALGORITHMS[config.algo])(
        policy, venv, seed=config.seed, device="cpu", verbose=0, **extra
    )
    # SB3's default logger makes a fresh SB3-<date> folder under the system temp dir on every learn();
    # keep its training statistics in the run directory instead.
    from stable_baselines3.common.logger import configure as configure_logger

    model.set_logger(configure_logger(str(run_dir), ["csv"]))

    class _Recorder(BaseCallback):
        """Writes each finished training episode to metrics.jsonl and advances the progress bar."""

        def __init__(self, handle, bar, task):
            super().__init__()
            self.handle, self.bar, self.task = handle, bar, task

        def _on_step(self) -> bool:
            for info in self.locals.get("infos", ()):
                episode = info.get("episode")
                if episode:
                    line = {
                        "timesteps": self.num_timesteps,
                        "return": float(episode["r"]),
                        "length": int(episode["l"]),
                    }
                    self.handle.write(json.dumps(line) + "\n")
            if self.bar is not None:
                self.bar.update(self.task, completed=self.num_timesteps)
            return True

    from tactica.progress import progress_bar

    with (
        open(run_dir / "metrics.jsonl", "w") as handle,
        progress_bar(disable=not progress, transient=True) as bar,
    ):
        task = bar.add_task(f"sb3 {config.algo} {config.env_id}", total=config.total_timesteps)
        model.learn(total_timesteps=config.total_timesteps, callback=_Recorder(handle, bar, task))
    model.save(run_dir / "model.zip")
    venv.close()
    summary = {"run_dir": str(run_dir), "model": str(run_dir / "model.zip"), **evaluate(config, run_dir)}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def evaluate(config: SB3Config, run_dir: Path) -> dict[str, Any]:
    """Seeded episodes of the saved model through the leaderboard's episode runner."""
    from tactica.rollout import episode_seeds, run_episode

    returns = [
        run_episode(
            config.env_id,
            "sb3",
            seed,
            env_kwargs=config.env_options,
            agent_kwargs={"model": str(run_dir / "model.zip")},
        ).mean_return
        for seed in episode_seeds(config.seed, config.eval_episodes)
    ]
    if not returns:
        return {"eval_episodes": 0}
    mean = float(np.mean(returns))
    half = math.nan
    if len(returns) > 1:
        from scipy.special import stdtrit  # Student-t quantile; lighter than scipy.stats

        half = float(stdtrit(len(returns) - 1, 0.975) * np.std(returns, ddof=1) / math.sqrt(len(returns)))
    return {
        "eval_episodes": len(returns),
        "eval_mean_return": mean,
        "eval_ci95": None if math.isnan(half) else half,
    }


def _config_of(model_path: Path) -> dict[str, Any]:
    """The ``config.json`` written beside a trained model (empty when there is none)."""
    config = model_path.parent / "config.json"
    return json.loads(config.read_text()) if config.is_file() else {}


def _play_view(model_path: Path, observation_space: gym.spaces.Space | None):
    """The observation view the model was trained through: the env's declared view (made from the training
    run's environment and options in ``config.json``), else the numeric view of a nested or text Dict."""
    settings = _config_of(model_path)
    if settings:
        env = gym.make(settings["env_id"], **settings.get("env_options", {}))
        try:
            declared = env_view(env)
        finally:
            env.close()
        if declared is not None:
            return declared[1]
    if observation_space is not None and NumericView.needed(observation_space):
        return NumericView(observation_space)
    return None


@functools.lru_cache(maxsize=8)
def _load_model(path: str, mtime_ns: int, algo: str):
    # The leaderboard makes one agent per episode; loading the zip once per process (per file version) keeps
    # that cheap.  Agents only run inference, so sharing the model between them is safe.
    return getattr(_sb3(), ALGORITHMS[algo]).load(path, device="cpu")


class SB3Agent:
    """Plays a saved Stable-Baselines3 model (registered as agent ``"sb3"``).

    Args:
        action_space, observation_space: the seat's spaces (checked against the model's).
        model: path of ``model.zip`` (a run directory of :func:`train` is accepted too).
        algo: ``"ppo"``, ``"a2c"`` or ``"dqn"``; default: read from the run directory's ``config.json``.
        deterministic: play the most probable legal action (default) or sample among legal actions.
    """

    def __init__(
        self,
        action_space: gym.spaces.Space,
        observation_space: gym.spaces.Space | None = None,
        model: str | os.PathLike[str] | None = None,
        algo: str | None = None,
        deterministic: bool = True,
    ):
        if model is None:
            raise ValueError("the sb3 agent needs model=PATH (a model.zip written by `tactica train sb3 ID`)")
        path = Path(model)
        if path.is_dir():
            path = path / "model.zip"
        if not path.is_file():
            raise FileNotFoundError(f"no Stable-Baselines3 model at {path}")
        if algo is None:
            algo = _config_of(path).get("algo")
            if algo is None:
                raise ValueError(
                    f"name the algorithm (algo=ppo|a2c|dqn): {path.parent / 'config.json'} is missing"
                )
        if algo not in ALGORITHMS:
            raise ValueError(f"algo must be one of {', '.join(ALGORITHMS)}; got {algo!r}")
        self.algo = algo
        self.model = _load_model(str(path.resolve()), path.stat().st_mtime_ns, algo)
        if self.model.action_space != action_space:
            raise ValueError(
                f"the model acts in {self.model.action_space}, the environment in {action_space}"
            )
        self.action_space = action_space
        self._view = _play_view(path, observation_space)
        self.deterministic = deterministic
        self._rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any] | None = None) -> Any:
        mask = action_mask_of(observation, info)
        if self._view is not None:
            observation = self._view(observation)
        if mask is None or not isinstance(self.action_space, gym.spaces.Discrete):
            action, _ = self.model.predict(observation, deterministic=self.deterministic)
            return int(action) if isinstance(self.action_space, gym.spaces.Discrete) else action
        scores = self._action_scores(observation)
        legal = np.flatnonzero(mask)
        if legal.size == 0:
            raise ValueError("the action mask has no legal action")
        if self.deterministic or self.algo == "dqn":
            index = int(legal[np.argmax(scores[legal])])
        else:
            probs = scores[legal] / scores[legal].sum() if scores[legal].sum() > 0 else None
            index = int(self._rng.choice(legal, p=probs))
        return int(self.action_space.start + index)

    def _action_scores(self, observation: Any) -> np.ndarray:
        """Action probabilities (PPO/A2C) or Q-values (DQN) for one observation."""
        import torch

        policy = self.model.policy
        tensor, _ = policy.obs_to_tensor(observation)
        with torch.no_grad():
            if self.algo == "dqn":
                values = policy.q_net(tensor)
            else:
                values = policy.get_distribution(tensor).distribution.probs
        return values.cpu().numpy().reshape(-1)
