"""The mechanism behind tactica's environment registry.

The table itself lives in :mod:`tactica.envs` (one ``register`` call per id, string entry points, as in
Gymnasium's ``gymnasium/envs/__init__.py``).  Single-agent ids are also registered with Gymnasium so that
``gym.make("tactica:ID")`` works; multi-agent ids are PettingZoo environments made with :func:`make_parallel`
or :func:`make_aec`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tactica.errors import RetiredIdError, UnknownIdError

__all__ = [
    "EnvSpec",
    "register",
    "registry",
    "spec",
    "make",
    "make_parallel",
    "make_aec",
    "parse_options",
]

Kind = Literal["single", "multi"]


@dataclass(frozen=True)
class EnvSpec:
    """Everything the registry knows about one environment id.

    Attributes:
        id: the id users type, e.g. ``"MarkovGame-v0"``.
        entry_point: ``"module:attribute"``; for a single-agent id a ``gymnasium.Env`` class, for a multi-agent
            id a PettingZoo ``ParallelEnv`` class (the AEC form is made with PettingZoo's standard conversion
            unless ``aec_entry_point`` names a native AEC class).
        kind: ``"single"`` (Gymnasium) or ``"multi"`` (PettingZoo).
        summary: one line for ``tactica envs`` and the README table.
        backends: names of the simulation backends; the first is the embedded default.
        status: ``"stable"``, ``"beta"`` or ``"experimental"``.
        kwargs: default keyword arguments passed to the entry point.
        max_episode_steps: Gymnasium ``TimeLimit`` for single-agent ids (``None``: the env ends episodes itself).
        aec_entry_point: optional native AEC class for multi-agent ids.
        conformance_kwargs: keyword sets the conformance suite instantiates (small, fast configurations).
        conformance_warnings: allow-listed Gymnasium ``check_env`` warnings, each ``(substring, reason)``.
        baseline_agent: the agent name the main job rolls out on this id.
        nondeterministic: ``True`` when the same seed may not give the same trajectory (live LLM calls).
        metrics: the episode metrics (``info`` at the episode's end) worth reporting, in display order, each with
            its range ``(low, high)`` (``None`` for an open end): leaderboard tables show these and keep their
            intervals inside the range.  ``None``: report every numeric metric; ``{}``: none.
        reward_threshold: the mean episode return at which the task counts as solved (Gymnasium's field), where
            the environment has such a level; ``None`` otherwise.
        partners: for multi-agent ids, the agent that plays a seat the evaluated agent cannot play (a government
            policy beside household rules), by seat name.
        sb3_view: ``"module:function"`` giving the numeric view ``tactica train sb3`` trains on (and the ``sb3``
            agent plays through): ``function(env) -> (observation_space, observation -> view)``; ``None``: the
            observation itself.
    """

    id: str
    entry_point: str
    kind: Kind
    summary: str = ""
    backends: tuple[str, ...] = ("embedded",)
    status: str = "beta"
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    aec_entry_point: str | None = None
    conformance_kwargs: tuple[dict[str, Any], ...] = ({},)
    conformance_warnings: tuple[tuple[str, str], ...] = ()
    baseline_agent: str = "random"
    nondeterministic: bool = False
    metrics: dict[str, tuple[float | None, float | None]] | None = None
    reward_threshold: float | None = None
    partners: dict[str, str] = field(default_factory=dict)
    sb3_view: str | None = None

    def load(self) -> Callable[..., Any]:
        """Import and return the entry point."""
        return _load(self.entry_point)


_REGISTRY: dict[str, EnvSpec] = {}
# Old ids of environments whose behaviour changed: old id -> (replacement id, what changed).
_RETIRED: dict[str, tuple[str, str]] = {}


def _load(entry_point: str) -> Callable[..., Any]:
    module_name, _, attr = entry_point.partition(":")
    if not attr:
        raise ValueError(f"entry point {entry_point!r} must have the form 'module:attribute'")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def register(
    id: str,
    entry_point: str,
    kind: Kind,
    **fields: Any,
) -> EnvSpec:
    """Add one id to the registry (and, for a single-agent id, to Gymnasium's)."""
    if kind not in ("single", "multi"):
        raise ValueError(f"kind must be 'single' or 'multi', got {kind!r}")
    if id in _REGISTRY:
        raise ValueError(f"environment id {id!r} is already registered")
    env_spec = EnvSpec(id=id, entry_point=entry_point, kind=kind, **fields)
    _REGISTRY[id] = env_spec
    import gymnasium

    if id not in gymnasium.registry:
        if kind == "single":
            gymnasium.register(
                id=id,
                entry_point=entry_point,
                kwargs=dict(env_spec.kwargs),
                max_episode_steps=env_spec.max_episode_steps,
                nondeterministic=env_spec.nondeterministic,
                reward_threshold=env_spec.reward_threshold,
            )
        else:
            # gym.make(ID) of a PettingZoo id names the right door instead of Gymnasium's bare NameNotFound.
            gymnasium.register(id=id, entry_point=functools.partial(_not_a_gymnasium_env, id))
    return env_spec


def retire(old_id: str, replacement: str, change: str) -> None:
    """Keep an old id only to say what replaced it: making it raises :class:`RetiredIdError`.

    Results recorded on the old id are not comparable with the new one, so the old id never silently makes the
    new environment; ``change`` completes the sentence "``old_id`` was retired when ...".
    """
    if replacement not in _REGISTRY:
        raise ValueError(f"retire({old_id!r}): its replacement {replacement!r} is not registered")
    _RETIRED[old_id] = (replacement, change)
    import gymnasium

    if old_id not in gymnasium.registry:
        gymnasium.register(id=old_id, entry_point=functools.partial(_retired, old_id))


def _retired(old_id: str, **kwargs: Any):
    raise RetiredIdError(old_id, *_RETIRED[old_id])


def _not_a_gymnasium_env(env_id: str, **kwargs: Any):
    raise ValueError(
        f"{env_id} is a multi-agent PettingZoo environment, not a Gymnasium one: make it with "
        f"tactica.make_parallel({env_id!r}) (or tactica.make_aec({env_id!r}) for turn-by-turn play)"
    )


def registry() -> dict[str, EnvSpec]:
    """All registered specs by id (a copy)."""
    return dict(_REGISTRY)


def spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id``; an unknown id raises :class:`UnknownIdError` naming the nearest ids."""
    env_id = env_id.removeprefix("tactica:")
    if env_id in _RETIRED:
        raise RetiredIdError(env_id, *_RETIRED[env_id])
    try:
        return _REGISTRY[env_id]
    except KeyError:
        raise UnknownIdError("environment id", env_id, list(_REGISTRY)) from None


def make_parallel(env_id: str, **kwargs: Any):
    """Make the PettingZoo ``ParallelEnv`` of a multi-agent id."""
    env_spec = spec(env_id)
    if env_spec.kind != "multi":
        raise ValueError(f"{env_id!r} is a single-agent environment; make it with gymnasium.make({env_id!r})")
    return env_spec.load()(**{**env_spec.kwargs, **kwargs})


def make_aec(env_id: str, **kwargs: Any):
    """Make the PettingZoo ``AECEnv`` of a multi-agent id."""
    env_spec = spec(env_id)
    if env_spec.kind != "multi":
        raise ValueError(f"{env_id!r} is a single-agent environment; make it with gymnasium.make({env_id!r})")
    merged = {**env_spec.kwargs, **kwargs}
    if env_spec.aec_entry_point:
        return _load(env_spec.aec_entry_point)(**merged)
    from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(env_spec.load()(**merged))


def make(env_id: str, **kwargs: Any):
    """Make any registered id: a Gymnasium env for single-agent ids, a ParallelEnv for multi-agent ones."""
    env_spec = spec(env_id)
    if env_spec.kind == "multi":
        return make_parallel(env_id, **kwargs)
    import gymnasium

    return gymnasium.make(env_spec.id, **kwargs)


def parse_options(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into keyword arguments.

    Values are read as JSON when they parse (numbers, booleans, lists, null) and kept as strings otherwise, so
    ``--opt game=matching_pennies --opt horizon=20`` gives ``{"game": "matching_pennies", "horizon": 20}``.
    """
    import json

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not key.isidentifier():
            raise ValueError(f"option {pair!r} must have the form KEY=VALUE with KEY a Python identifier")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options
