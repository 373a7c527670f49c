"""SMACProgram transcripts: LLM-SMAC's planner, coder and critic prompts, answered with decision-tree programs.

The expert's programs are the hand-written ones of :mod:`tactica.baselines.smac` (``focus_fire``, ``kiting``,
``spread_fire``, ``medivac_support``) and seeded variations of them (:func:`program_variants`: other constants, other target
choices, a rule dropped), each labelled with what it did on the map: its win rate, damage dealt and taken and
units left over :data:`LABEL_BATTLES` seeded battles (:func:`measure`).  On a map the expert

* plans the family whose best variant did best (``### Tactic 1: ...`` in LLM-SMAC's format),
* writes that variant (ties broken by the episode's generator, so equally good programs all appear); after a
  program that fell short it writes the next best one it has not tried (``coder="best"``, the default), or
  with ``coder="plan"`` the next variant of the tactic its prompt asks for, decided by the prompt alone, so
  every program implements the plan in its prompt and equal prompts get equal answers (programs of equal win
  rate then rank the map's own family first),
* criticises from the feedback: what happened, one refinement, ``[Improve Tactic]`` or ``[Change Tactic]``.

With ``family_variants=K`` the expert writes only each family's K best variants on the map, exploration
programs included; the planned family and the labels do not change (the best variant of all is its family's
best).  It tests whether a small model splices a family's eight variants into programs that call helpers only
another variant defines (docs/game_model.md has what was measured).

With probability ``explore`` an episode's first program is a random variant of any family instead (its
examples are marked ``expert=False``), so the corpus also holds the prompts that follow a weak program.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from tactica.llm.games.corpus import Example, ExpertModel

__all__ = [
    "FAMILIES",
    "TRAIN_MAPS",
    "DEFAULT_OPTIONS",
    "LABEL_BATTLES",
    "Variant",
    "program_variants",
    "measure",
    "ranked_variants",
    "record_episode",
    "plan_text",
]

#: Maps the corpus covers by default (3s5z is left out: the map not trained on).
TRAIN_MAPS = ("3m", "8m", "2s3z", "MMM", "3s_vs_3z", "3s_vs_4z", "3s_vs_5z")
DEFAULT_OPTIONS: dict[str, Any] = {"map_name": list(TRAIN_MAPS)}
#: Seeded battles per label (win rate, damage, survival) of a program on a map.
LABEL_BATTLES = 20
LABEL_SEED = 12345
VARIANTS_PER_FAMILY = 8
#: How the expert's coder picks a program: "best" the best one not tried yet, "plan" the planned tactic's.
CODER_RULES = ("best", "plan")

# The tactic each family implements, in LLM-SMAC's planner format.
FAMILIES: dict[str, dict[str, str]] = {
    "focus_fire": {
        "name": "Focus fire",
        "condition": "the armies are of similar size and our units can shoot or close in together",
        "skeleton": "1. Every ranged unit shoots the weakest enemy in its range (health plus shield), ties to the "
        "one nearest our centre. 2. With no enemy in range it attacks the enemy nearest our centre. 3. Melee "
        "units fight the enemy next to them, otherwise the one nearest our centre, so they stay together.",
    },
    "kiting": {
        "name": "Kiting",
        "condition": "our ranged units are faster than melee enemies",
        "skeleton": "1. A unit whose weapon is ready shoots the weakest enemy in range. 2. While it reloads and "
        "a melee enemy is close, it steps in the direction that keeps it furthest from every enemy, away from "
        "the map edge. 3. Otherwise it attacks the nearest enemy.",
    },
    "spread_fire": {
        "name": "Focus fire without overkill",
        "condition": "ranged units fight a similar army, where wasted shots and lost units decide the battle",
        "skeleton": "1. The units nearest the enemy pick first: each shoots the enemy in its range with the least "
        "health left after the shots already planned this step, skipping enemies whose planned shots already "
        "kill them. 2. A wounded ranged unit that is reloading steps away from the nearest enemy. 3. Melee "
        "units fight as in focus fire.",
    },
    "medivac_support": {
        "name": "Focus fire with healing",
        "condition": "our army has a Medivac behind Marines and Marauders",
        "skeleton": "1. Marauders shoot armored enemies first, Marines the weakest enemy in range. 2. The "
        "Medivac heals the soldier that lost the most health, preferring those close to it. 3. With no "
        "wounded soldier the Medivac follows the army's centre.",
    },
}

# Source edits of each family: (original text, alternatives). A variant picks the original or one alternative
# of every edit.
_EDITS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "focus_fire": [
        ("ENGAGED = 2.0", ("ENGAGED = 1.0", "ENGAGED = 1.5", "ENGAGED = 3.0", "ENGAGED = 4.0")),
        (
            "key=lambda e: (e.health + e.shield, e.distance_to(centre))",
            (
                "key=lambda e: (e.health, e.distance_to(centre))",
                "key=lambda e: (e.distance_to(unit), e.health)",
                "key=lambda e: (e.health + e.shield, e.distance_to(unit))",
            ),
        ),
        (
            "    return view.enemies.closest_to(view.units.center)\n",
            ("    return view.enemies.closest_to(unit)\n", "    return view.enemies.weakest()\n"),
        ),
        (
            "            if near.distance_to(unit) > ENGAGED:\n"
            "                near = view.enemies.closest_to(view.units.center)\n",
            ("",),
        ),
    ],
    "kiting": [
        ("FLEE = 5.5", ("FLEE = 4.0", "FLEE = 5.0", "FLEE = 6.0", "FLEE = 7.0")),
        ("WALL = 2.0", ("WALL = 1.0", "WALL = 3.0")),
        ("unit.weapon_cooldown > 0.05", ("unit.weapon_cooldown > 0.0", "unit.weapon_cooldown > 0.25")),
        ("unit.attack(in_range.weakest())", ("unit.attack(in_range.closest_to(unit))",)),
    ],
    "spread_fire": [
        ("WOUNDED = 0.7", ("WOUNDED = 0.5", "WOUNDED = 0.6", "WOUNDED = 0.8")),
        ("CLOSE = 5.5", ("CLOSE = 4.5", "CLOSE = 6.5")),
        ("SHOT = 6.0", ("SHOT = 9.0", "SHOT = 12.0")),
        (
            "key=lambda e: (e.health + e.shield - planned.get(e.tag, 0.0), e.distance_to(centre))",
            ("key=lambda e: (e.distance_to(unit), e.health + e.shield)",),
        ),
    ],
    "medivac_support": [
        (
            "(s.health_max - s.health) - 2 * s.distance_to(unit)",
            ("(s.health_max - s.health) - 0.5 * s.distance_to(unit)", "(s.health_max - s.health)"),
        ),
        ('in_range.of_type("marauder", "medivac")', ('in_range.of_type("marauder")',)),
        (
            "key=lambda e: (e.health + e.shield, e.distance_to(view.units.center))",
            ("key=lambda e: (e.distance_to(unit), e.health)",),
        ),
    ],
}


@dataclass(frozen=True)
class Variant:
    """A program of a family: ``index`` 0 is the hand-written program."""

    family: str
    index: int
    source: str

    @property
    def name(self) -> str:
        return f"{self.family}#{self.index}"


def _strip_docstring(source: str) -> str:
    """The program without its module docstring (the answer a coder gives is the code)."""
    match = re.match(r'\s*"""(?:.|\n)*?"""\s*\n', source)
    return source[match.end() :].lstrip("\n") if match else source


@functools.cache
def program_variants(family: str, count: int = VARIANTS_PER_FAMILY, seed: int = 0) -> tuple[Variant, ...]:
    """The hand-written program of ``family`` and ``count - 1`` distinct seeded variations of it."""
    from importlib import resources

    if family not in _EDITS:
        raise ValueError(f"unknown program family {family!r}; families: {', '.join(_EDITS)}")
    source = resources.files("tactica.baselines.smac").joinpath(f"{family}.py").read_text(encoding="utf-8")
    original = _strip_docstring(source)
    for old, _ in _EDITS[family]:
        if old not in original:  # the hand-written program changed: the edits must follow it
            raise RuntimeError(f"{family}: the edit anchor {old!r} is not in the hand-written program")
    rng = np.random.default_rng(seed)
    sources = [original]
    tries = 0
    while len(sources) < count and tries < 1000:
        tries += 1
        text = original
        for old, alternatives in _EDITS[family]:
            pick = int(rng.integers(len(alternatives) + 1))
            if pick:
                text = text.replace(old, alternatives[pick - 1])
        if "ENGAGED" in text and "> ENGAGED" not in text:  # the rule that read the constant was dropped
            text = re.sub(r"ENGAGED = [\d.]+[^\n]*\n\n?", "", text)
        if text not in sources:
            sources.append(text)
    return tuple(Variant(family, i, s) for i, s in enumerate(sources))


def all_variants() -> list[Variant]:
    return [v for family in _EDITS for v in program_variants(family)]


@functools.cache
def measure(
    source: str, map_name: str, battles: int = LABEL_BATTLES, seed: int = LABEL_SEED
) -> dict[str, Any]:
    """What ``source`` does on ``map_name`` over ``battles`` seeded battles (SMACProgram-v3's own measurement)."""
    from tactica.envs.smac.program_env import SMACProgramEnv

    env = SMACProgramEnv(map_name=map_name, episodes_per_step=battles, max_attempts=1)
    env.reset(seed=seed)
    _, win_rate, _, _, info = env.step(source)
    episodes = info["episodes"] or [{}]

    def mean(key: str) -> float:
        return round(float(np.mean([e.get(key, 0.0) for e in episodes])), 2)

    return {
        "win_rate": win_rate,
        "battles": battles,
        "damage_dealt": mean("damage_dealt"),
        "damage_taken": mean("damage_taken"),
        "allies_left": mean("allies_left"),
        "enemies_left": mean("enemies_left"),
        "error": info["error"],
    }


def outcome_key(stats: dict[str, Any]) -> tuple[float, float, float]:
    """How programs are ranked by what happened: win rate, then damage dealt minus taken, then units left."""
    return (stats["win_rate"], stats["damage_dealt"] - stats["damage_taken"], stats["allies_left"])


def ranked_variants(map_name: str, home_first: bool = False) -> list[tuple[Variant, dict[str, Any]]]:
    """Every variant of every family with its measured stats on ``map_name``, best first.

    Programs are ranked by :func:`outcome_key`, the family written by hand for the map first among equals.
    With ``home_first`` the map's own family comes first among programs that merely win equally often (on
    3m Kiting and Focus fire both win every labelling battle, and Kiting's condition, melee enemies, does
    not hold there); damage dealt minus taken and units left decide after it.
    """
    from tactica.baselines.smac import PROGRAMS

    home = PROGRAMS.get(map_name)
    rows = [(v, measure(v.source, map_name)) for v in all_variants()]
    # outcome_key starts with the win rate, so without home_first this is (outcome_key, own family).
    rows.sort(
        key=lambda row: (
            row[1]["win_rate"],
            home_first and row[0].family == home,
            outcome_key(row[1]),
            row[0].family == home,
        ),
        reverse=True,
    )
    return rows


def _best_of_each_family(
    ranked: list[tuple[Variant, dict[str, Any]]], count: int | None
) -> list[tuple[Variant, dict[str, Any]]]:
    """``ranked`` keeping only the first ``count`` variants of each family (all with ``count=None``)."""
    if count is None:
        return ranked
    seen: dict[str, int] = {}
    kept = []
    for variant, stats in ranked:
        seen[variant.family] = seen.get(variant.family, 0) + 1
        if seen[variant.family] <= count:
            kept.append((variant, stats))
    return kept


def plan_text(family: str, rank: int = 1) -> str:
    tactic = FAMILIES[family]
    return (
        f"### Tactic {rank}: {tactic['name']}\n**Condition to use:** {tactic['condition']}\n"
        f"**Tactic Skeleton:** {tactic['skeleton']}"
    )


def _code(source: str) -> str:
    return f"```python\n{source.rstrip()}\n```"


_PLANNED = re.compile(r"^### Tactic \d+: (.+)$", re.MULTILINE)
_FAMILY_OF_TACTIC = {tactic["name"]: family for family, tactic in FAMILIES.items()}


def _planned_family(prompt: str) -> str | None:
    """The family whose tactic the coder prompt's plan names, or None for a tactic of no family."""
    match = _PLANNED.search(prompt)
    return _FAMILY_OF_TACTIC.get(match.group(1).strip()) if match else None


_PREVIOUS = re.compile(r"Your previous program:\n```python\n(.*?)```\nCritic's advice", re.DOTALL)
_FEEDBACK = re.compile(r"You win (\d+) times, tie (\d+) times, and lose (\d+) times out of (\d+) combats")


class _SMACExpert:
    """The expert's side of one episode: which program it has written, what it plans and criticises."""

    def __init__(
        self,
        map_name: str,
        rng: np.random.Generator,
        explore: float,
        coder: str = "best",
        family_variants: int | None = None,
    ):
        if coder not in CODER_RULES:
            raise ValueError(f"coder must be one of {', '.join(CODER_RULES)}, got {coder!r}")
        if family_variants is not None and (
            isinstance(family_variants, bool)
            or not isinstance(family_variants, int)
            or not 1 <= family_variants <= VARIANTS_PER_FAMILY
        ):
            raise ValueError(
                f"family_variants must be an integer from 1 to {VARIANTS_PER_FAMILY} (or unset for all), "
                f"got {family_variants!r}"
            )
        self.map_name = map_name
        self.rng = rng
        self.coder = coder
        every = ranked_variants(map_name, home_first=coder == "plan")
        self.ranked = _best_of_each_family(every, family_variants)
        best = self.ranked[0]
        top = [
            v for v, s in self.ranked if outcome_key(s) == outcome_key(best[1]) and v.family == best[0].family
        ]
        self.order = [top[int(i)] for i in rng.permutation(len(top))] + [
            v for v, _ in self.ranked[len(top) :]
        ]
        self.stats = {v.name: s for v, s in every}
        self.family = self.order[0].family
        self.tried: list[Variant] = []
        self.explore_first = bool(rng.random() < explore)
        self.written: list[tuple[Variant, bool]] = []

    def answer(self, messages, call: str = "chat") -> tuple[str, bool]:
        if call == "planner":
            return plan_text(self.family), True
        if call == "coder":
            return self._program(messages)
        if call == "critic":
            return self._critic(messages[-1]["content"]), True
        raise ValueError(f"unexpected LLM-SMAC call {call!r}")

    def _program(self, messages) -> tuple[str, bool]:
        if self.explore_first and not self.tried:
            pool = [v for v, _ in self.ranked if v is not self.order[0]]
            variant, expert = pool[int(self.rng.integers(len(pool)))], False
        else:
            expert = True
            if self.coder == "plan":
                variant = self._next_of_plan(messages[-1]["content"])
            else:
                variant = next((v for v in self.order if v not in self.tried), self.order[0])
        self.tried.append(variant)
        self.written.append((variant, expert))
        return _code(variant.source), expert

    def _next_of_plan(self, prompt: str) -> Variant:
        """The program a coder prompt asks for, decided by the prompt alone.

        The program implements the plan in the prompt (a program of another family under that plan would teach
        a model to ignore the plan): the family's best variant, or after a previous program of the family the
        next one in the family's ranking (after its last, its best again).  Equal prompts get equal answers, so
        a corpus never teaches two programs for one prompt.
        """
        family = _planned_family(prompt) or self.family
        ranked = [v for v in self.order if v.family == family]
        previous = _PREVIOUS.search(prompt)
        source = previous.group(1).strip() if previous else None
        index = next((i for i, v in enumerate(ranked) if v.source.strip() == source), None)
        return ranked[0] if index is None else ranked[(index + 1) % len(ranked)]

    def _critic(self, prompt: str) -> str:
        match = _FEEDBACK.search(prompt)
        wins, _, _, battles = (int(g) for g in match.groups()) if match else (0, 0, 0, 1)
        last = self.tried[-1] if self.tried else self.order[0]
        rate = wins / max(battles, 1)
        if "failed before any battle" in prompt or "raised an error" in prompt:
            why = "The program raised an error, so the remaining battles were lost."
        elif rate == 1.0:
            why = f"The program won all {battles} battles: the tactic works."
        else:
            why = f"The program won {wins} of {battles} battles."
        best = self.order[0]
        if last.family != best.family:
            advice = f"Refinement: use {FAMILIES[best.family]['name'].lower()} instead. {FAMILIES[best.family]['skeleton']}"
            tag = "[Change Tactic]"
        else:
            advice = f"Refinement: keep the tactic and follow it exactly. {FAMILIES[best.family]['skeleton']}"
            tag = "[Improve Tactic]"
        return f"{why}\n{advice}\n{tag}"


def record_episode(
    agent: str,
    seed: int,
    episode: int,
    map_name: str = "3m",
    explore: float = 0.5,
    episodes_per_step: int = 10,
    coder: str = "best",
    family_variants: int | None = None,
) -> list[Example]:
    """One run of LLM-SMAC's loop on ``map_name`` with the expert answering every call; its examples.

    An exploration program that did as well as the best one counts as an expert answer.
    """
    if agent != "llm-smac":
        raise ValueError(f"SMACProgram transcripts record the llm-smac agent, got {agent!r}")
    from tactica.agents.code_policy.agent import LLMSMACAgent
    from tactica.envs.smac.program_env import SMACProgramEnv

    rng = np.random.default_rng(seed)
    expert_state = _SMACExpert(map_name, rng, explore, coder, family_variants)
    model = ExpertModel(lambda messages, call="chat": expert_state.answer(messages, call))
    model.episode, model.seed = episode, seed

    class RecordingAgent(LLMSMACAgent):
        def _chat(self, role: str, content: str) -> str:
            model.context = {"call": role}
            return super()._chat(role, content)

    env = SMACProgramEnv(map_name=map_name, episodes_per_step=episodes_per_step)
    agent = RecordingAgent(model)
    result = agent.solve(env, seed=seed)
    tested = iter(result["programs"])
    for example in model.examples:
        if example.call == "coder":
            written = next((v for v in all_variants() if _code(v.source) == example.answer), None)
            attempt = next(tested, None)
            example.label = {"map_name": map_name}
            if written is not None:
                example.label.update(program=written.name, **expert_state.stats[written.name])
                best = expert_state.stats[expert_state.order[0].name]
                example.expert = example.expert or outcome_key(best) == outcome_key(example.label)
            if attempt is not None:
                example.label["attempt_win_rate"] = attempt["win_rate"]
        else:
            example.label = {"map_name": map_name}
    return model.examples
