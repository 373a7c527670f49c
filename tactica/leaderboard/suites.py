"""Leaderboard suites as data, and the plan a suite becomes at run time.

A suite names which environments to run, with which options and how many seeded episodes.  The agents are
not listed: :func:`build_plan` reads the environment and agent registries when the run starts, so every
registered environment gets its rows automatically.  For each environment the plan pairs it with

- every agent whose ``env_ids`` include it or are empty (``random`` plays everything),
- the environment's ``baseline_agent``,
- Stable-Baselines3 policies trained by ``tactica train sb3 ID`` (single-agent environments whose run
  directory holds a model),
- agents that need a language model, only when one is configured (``--llm`` or the ``TACTICA_LLM``
  environment variable); otherwise the plan carries a one-line note naming the setting,
- the LLM agents of :data:`GAME_MODEL_ROWS` once more per game model shipped with the package (``plm:games``,
  ``plm:games-aligned``), which need no configuration.

An agent that declines an environment when it is made for its seats (wrong seat, missing weights) is left out
with a note quoting its reason, so a suite runs what can run and says what it skipped.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tactica.leaderboard.jobs import Job, canonical_json
from tactica.llm.base import LLM_ENV_VAR, validate_spec

__all__ = [
    "LLM_ENV_VAR",
    "SB3_DIR_ENV_VAR",
    "QUICK_OPTIONS",
    "AGENT_OPTIONS",
    "GAME_MODEL_ROWS",
    "SWEEPS",
    "SUITES",
    "Sweep",
    "Pairing",
    "Plan",
    "Suite",
    "build_plan",
    "resolve_suite",
]

SB3_DIR_ENV_VAR = "TACTICA_SB3_DIR"
"""Environment variable naming the folder of ``tactica train sb3`` run directories to play (no default: a
``model.zip`` is pickled code, so the leaderboard loads only models from a folder the user names)."""


@dataclass(frozen=True)
class Suite:
    """Which environments, which options, how many episodes.

    Attributes:
        name: ``"quick"``, ``"default"`` or ``"custom"`` (a list of ids).
        episodes: seeded episodes per (environment, options, agent) pairing.
        seed: the base seed; episode ``k`` uses ``tactica.rollout.episode_seeds(seed, episodes)[k]``.
        env_ids: the environments to run (``None``: every registered one).
        quick: use each environment's small, fast options (:data:`QUICK_OPTIONS`, else its first
            ``conformance_kwargs``) instead of its registered defaults and sweeps.
    """

    name: str
    episodes: int
    seed: int = 0
    env_ids: tuple[str, ...] | None = None
    quick: bool = False


SUITES: dict[str, Suite] = {
    # A smoke run of everything: one small configuration per environment, a few episodes.
    "quick": Suite("quick", episodes=3, quick=True),
    # The published numbers: registered defaults (plus difficulty sweeps), enough episodes for a 95% interval.
    "default": Suite("default", episodes=20),
}

QUICK_OPTIONS: dict[str, dict[str, Any]] = {
    # Explicit small options per environment for the quick suite; an environment missing here uses the first
    # entry of its spec's ``conformance_kwargs`` (chosen by its authors to be small and fast).
    # TextSC2: coarser steps and a 10-minute game clock keep an episode under ~900 decisions (about 2 s).
    "TextSC2-v1": {"difficulty": "VeryEasy", "step_loops": 16, "time_limit_s": 600.0},
    # ONUW: the paper's five-player game (the RL discussion agent's tactic policy is trained for it), ~1 s.
    "ONUW-v1": {"preset": "5p", "on_illegal": "substitute"},
    # Fibre: the default pulse rate and window (the detector's thresholds and the shipped networks are
    # calibrated for them; the conformance options' 500 Hz, 0.25 s windows make the CUSUM agent score below
    # random), only a short episode.
    "FiberStream-v1": {"episode_windows": 20},
    "FiberSegments-v1": {"episode_windows": 20, "neighbours": False},
}


@dataclass(frozen=True)
class Sweep:
    """An option an environment is run over in the non-quick suites: one row per value, in this order.

    The report plots win rate against it (``axis`` names the x axis).
    """

    option: str
    values: tuple[Any, ...]
    axis: str = ""


SWEEPS: dict[str, Sweep] = {
    # TextSC2 against the built-in AI's levels 1-6, the range of the paper's prompt table (Lv1 ... Lv6).
    "TextSC2-v1": Sweep("difficulty", (1, 2, 3, 4, 5, 6), "built-in AI level"),
    # SMAC has no difficulty knob; its maps are graded (SMAC paper: Easy 8m, Hard 5m_vs_6m, Super Hard
    # 27m_vs_30m), and these three use one unit type so the axis is difficulty alone.
    "SMAC-v2": Sweep("map_name", ("8m", "5m_vs_6m", "27m_vs_30m"), "map (Easy, Hard, Super Hard)"),
}

#: LLM agents that also get one row per model shipped with the package (``plm:games`` and its aligned
#: version), with no ``--llm`` needed: tactica's own game model runs offline on the edge runtime.  A model whose
#: weights are not installed is left out with a note.  The shipped ``plm:games`` learnt the calls of all three
#: games' agents: Chain of Summarization (``cos``, TextSC2), LLM-SMAC (``llm-smac``, SMACProgram) and the
#: RL-instructed ONUW agent.
GAME_MODEL_ROWS: dict[str, tuple[str, ...]] = {
    "cos": ("plm:games", "plm:games-aligned"),
    "llm-smac": ("plm:games", "plm:games-aligned"),
    "onuw-rl": ("plm:games", "plm:games-aligned"),
}

AGENT_OPTIONS: dict[str, dict[str, Any]] = {
    # Environment options an agent needs to play at all, merged into every environment it plays that takes
    # them (bracket-rate governments act on the 10-number bracket schedule).
    "macro-bracket": {"income_tax": "brackets"},
    "macro-saez": {"income_tax": "brackets"},
}


@dataclass(frozen=True)
class Pairing:
    """One leaderboard row: an environment with its options, played by one agent (with its arguments)."""

    env_id: str
    env_options: dict[str, Any]
    agent: str
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    agent_version: str = ""

    def jobs(self, seeds: list[int], tactica_version: str) -> list[Job]:
        options, kwargs = canonical_json(self.env_options), canonical_json(self.agent_kwargs)
        return [
            Job(self.env_id, options, self.agent, kwargs, self.agent_version, int(s), k, tactica_version)
            for k, s in enumerate(seeds)
        ]


@dataclass
class Plan:
    """What a suite expands to against the current registries: the pairings and the notes on what was skipped."""

    suite: Suite
    pairings: list[Pairing]
    notes: list[str]

    @property
    def env_ids(self) -> list[str]:
        return list(dict.fromkeys(p.env_id for p in self.pairings))

    def jobs(self, episodes: int | None = None, seed: int | None = None) -> list[Job]:
        """Every seeded episode of every pairing, in a fixed order."""
        from tactica import __version__
        from tactica.rollout import episode_seeds

        episodes = self.suite.episodes if episodes is None else episodes
        if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
            raise ValueError(f"episodes must be a positive integer; got {episodes!r}")
        seeds = episode_seeds(self.suite.seed if seed is None else seed, episodes)
        return [job for pairing in self.pairings for job in pairing.jobs(seeds, __version__)]


def resolve_suite(suite: str | Suite | list[str] | tuple[str, ...]) -> Suite:
    """A suite by name (``"quick"``, ``"default"``), a comma-separated string of ids, or a list of ids.

    A list of ids runs those environments with the ``default`` suite's settings.
    """
    if isinstance(suite, Suite):
        return suite
    if isinstance(suite, str):
        if suite in SUITES:
            return SUITES[suite]
        ids = [part.strip() for part in suite.split(",") if part.strip()]
    elif isinstance(suite, (list, tuple)) and all(isinstance(s, str) for s in suite):
        ids = list(suite)
    else:
        raise TypeError(f"suite must be a name, a comma-separated id list or a list of ids; got {suite!r}")
    if not ids:
        raise ValueError(f"suite must be one of {sorted(SUITES)} or a list of environment ids; got {suite!r}")
    from tactica.envs.registration import spec

    known = [spec(env_id).id for env_id in ids]  # unknown ids raise UnknownIdError naming the nearest
    return Suite("custom", episodes=SUITES["default"].episodes, env_ids=tuple(dict.fromkeys(known)))


def build_plan(
    suite: str | Suite | list[str] | tuple[str, ...] = "quick",
    *,
    llm: str | None = None,
    sb3_dir: str | os.PathLike[str] | None = None,
    check: bool = True,
) -> Plan:
    """Expand ``suite`` against the registries as they are now.

    Args:
        suite: see :func:`resolve_suite`.
        llm: language-model spec for agents with ``needs_llm`` (default: the ``TACTICA_LLM`` variable).
        sb3_dir: the folder of ``tactica train sb3`` run directories whose models to play (default: the
            ``TACTICA_SB3_DIR`` variable; without either, no SB3 model is loaded - the working directory is
            never searched, since a ``model.zip`` runs pickled code when it is loaded).
        check: make each environment once per option set and each agent for every seat, and leave out (with a
            note giving the agent's own reason) the pairings an agent declines: a household rule offered the
            government seat, a detector without weights for the configured terrain, a missing checkpoint.
    """
    import tactica
    from tactica import agents as agent_registry

    suite = resolve_suite(suite)
    llm = llm if llm is not None else os.environ.get(LLM_ENV_VAR) or None
    if llm:
        validate_spec(llm)
    named = sb3_dir or os.environ.get(SB3_DIR_ENV_VAR)
    sb3_root = Path(named) if named else None
    env_specs = tactica.registry()
    env_ids = list(suite.env_ids) if suite.env_ids is not None else sorted(env_specs)
    agents = agent_registry.registry()
    pairings: list[Pairing] = []
    notes: list[str] = []
    skipped_llm: dict[str, None] = {}
    skipped_needs: dict[str, tuple[str, ...]] = {}
    missing_models: dict[str, None] = {}
    no_model: list[str] = []
    for env_id in env_ids:
        env_spec = env_specs[env_id]
        variants, note = _variants(env_spec, suite.quick)
        if note:
            notes.append(note)
        names = [
            name
            for name, agent_spec in agents.items()
            if (not agent_spec.env_ids or env_id in agent_spec.env_ids) and name not in TRAINED_AGENTS
        ]
        if env_spec.baseline_agent not in agents:
            notes.append(
                f"{env_id}: its baseline agent {env_spec.baseline_agent!r} is not registered; skipped"
            )
        elif env_spec.baseline_agent not in names:
            names.append(env_spec.baseline_agent)
        candidates: list[Pairing] = []
        for name in names:
            extra = {k: v for k, v in AGENT_OPTIONS.get(name, {}).items() if _accepts(env_spec, k)}
            for model_spec, version in _game_models(name, llm, missing_models):
                candidates += [Pairing(env_id, {**options, **extra}, name, {"llm": model_spec}, version)
                               for options in variants]  # fmt: skip
            kwargs: dict[str, Any] = {}
            if agents[name].needs_llm:
                if not llm:
                    skipped_llm[name] = None
                    continue
                kwargs["llm"] = llm
            if any(needed not in kwargs for needed in agents[name].needs):
                skipped_needs[name] = agents[name].needs
                continue
            candidates += [Pairing(env_id, {**options, **extra}, name, kwargs) for options in variants]
        if env_spec.kind == "single" and "sb3" in agents and sb3_root is not None:
            models = sorted((sb3_root / env_id).glob("*/model.zip"))
            if not models:
                no_model.append(env_id)
            for model in models:
                kwargs = {"model": str(model)}
                candidates += [
                    Pairing(env_id, options, "sb3", kwargs, _file_digest(model)) for options in variants
                ]
        if check:
            candidates, declined = _playable(env_spec, candidates)
            notes += declined
        pairings += candidates
    if skipped_llm:
        notes.append(
            f"LLM agents skipped ({', '.join(skipped_llm)}): set {LLM_ENV_VAR} (or --llm) to a model spec, "
            "e.g. openai:<model>@<base_url> or replay:<transcript.jsonl>"
        )
    if missing_models:
        notes.append(
            f"shipped game models not installed, their rows skipped: {', '.join(missing_models)} "
            "(see docs/game_model.md to rebuild them)"
        )
    if skipped_needs:
        needs = ", ".join(f"{name} ({'=, '.join(needed)}=)" for name, needed in skipped_needs.items())
        notes.append(
            f"agents that need a trained artifact the suite does not have are not evaluated: {needs}"
        )
    if sb3_root is None and "sb3" in agents:
        notes.append(
            f"sb3 models not loaded: name the folder of `tactica train sb3` runs with --sb3-dir DIR "
            f"(or {SB3_DIR_ENV_VAR}); models are never searched for in the working directory"
        )
    if no_model:
        notes.append(
            f"sb3 skipped on {', '.join(no_model)}: no model under {sb3_root}/<ID>/ "
            "(train one with `tactica train sb3 ID`)"
        )
    return Plan(suite, pairings, notes)


def _game_models(agent: str, llm: str | None, missing: dict[str, None]) -> list[tuple[str, str]]:
    """``(spec, weights digest)`` of the shipped models that play ``agent`` (other than the configured ``llm``)."""
    from tactica.llm.plm.checkpoint import resolve_checkpoint

    found = []
    for model_spec in GAME_MODEL_ROWS.get(agent, ()):
        if model_spec == llm:
            continue  # the configured model's row is made anyway
        try:
            weights = resolve_checkpoint(model_spec.partition(":")[2]) / "model.safetensors"
        except FileNotFoundError:
            missing[model_spec] = None
            continue
        found.append((model_spec, _file_digest(weights)))
    return found


def _playable(env_spec, candidates: list[Pairing]) -> tuple[list[Pairing], list[str]]:
    """The pairings whose agent can be made for every seat of the environment, and notes on the others."""
    from tactica import agents
    from tactica.envs.registration import make

    kept: list[Pairing] = []
    notes: list[str] = []
    seats_of: dict[str, list | str] = {}
    for pairing in candidates:
        options_key = canonical_json(pairing.env_options)
        if options_key not in seats_of:
            try:
                env = make(env_spec.id, **pairing.env_options)
            except Exception as exc:  # noqa: BLE001 - reported as a note, the suite goes on
                seats_of[options_key] = f"{type(exc).__name__}: {exc}"
                notes.append(
                    f"{env_spec.id} ({options_key}) cannot be made, skipped: {seats_of[options_key]}"
                )
            else:
                if env_spec.kind == "single":
                    seats_of[options_key] = [("agent", env.action_space, env.observation_space)]
                else:
                    seats_of[options_key] = [
                        (a, env.action_space(a), env.observation_space(a)) for a in env.possible_agents
                    ]
                env.close()
        seats = seats_of[options_key]
        if isinstance(seats, str):
            continue
        try:
            played, refusal = 0, None
            for seat, action_space, observation_space in seats:
                try:
                    agents.make(
                        pairing.agent,
                        action_space=action_space,
                        observation_space=observation_space,
                        **pairing.agent_kwargs,
                    )
                    played += 1
                except (ValueError, TypeError) as exc:
                    if seat not in env_spec.partners:  # a seat nobody else can take: the agent declines
                        raise
                    refusal = exc
            if not played:
                raise refusal or ValueError("it plays none of the seats")
        except Exception as exc:  # noqa: BLE001 - the agent's own reason goes into the note
            reason = str(exc).splitlines()[0] if str(exc) else ""
            notes.append(
                f"{env_spec.id}: agent {pairing.agent!r} declines to play it, skipped ({type(exc).__name__}: {reason})"
            )
            continue
        kept.append(pairing)
    return kept, notes


# Agents that exist only once trained; the plan adds them per trained artifact, not per registry entry.
TRAINED_AGENTS = frozenset({"sb3"})


def _variants(env_spec, quick: bool) -> tuple[list[dict[str, Any]], str | None]:
    """The option sets an environment runs with in this suite, and a note if a sweep had to be dropped."""
    if quick:
        if env_spec.id in QUICK_OPTIONS:
            return [dict(QUICK_OPTIONS[env_spec.id])], None
        first = env_spec.conformance_kwargs[0] if env_spec.conformance_kwargs else {}
        return [dict(first)], None
    if env_spec.id not in SWEEPS:
        return [{}], None
    sweep = SWEEPS[env_spec.id]
    if not _accepts(env_spec, sweep.option):
        return [{}], f"{env_spec.id}: no {sweep.option!r} option, so its {sweep.option} sweep is skipped"
    return [{sweep.option: value} for value in sweep.values], None


def _accepts(env_spec, option: str) -> bool:
    try:
        parameters = inspect.signature(env_spec.load()).parameters
    except (TypeError, ValueError):  # no signature to read: assume it does
        return True
    return option in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]
