"""Preference pairs for the game model, ranked by what happened in the game.

Each pair is a line of TRL's explicit-prompt layout that ``tactica train align`` reads: ``prompt`` (the agent's
own messages), ``chosen`` and ``rejected`` (one assistant message each), plus ``meta`` (what each answer did;
the trainer ignores it).

* **SMACProgram** (:func:`smac_pairs`): for a coder prompt of the transcript corpus, the recorded program
  against other decision-tree programs of :mod:`tactica.llm.games.smac` (the exploration answers and the
  seeded variations), every one measured on the prompt's map over the corpus's seeded battles; the chosen side
  is the one that did better by :func:`tactica.llm.games.smac.outcome_key` (win rate, then damage dealt minus
  taken, then units left).  Programs that did equally well make no pair.
* **TextSC2** (:func:`textsc2_pairs`): the ``cos`` agent plays seeded games with the expert answering (as the
  transcript corpus does); at a sampled share of its calls the expert's answer is set against a rival (all
  ``<EMPTY ACTION>``, the waiting answer, or the expert's answer with slots redrawn at random).  Each answer
  is played on an exact copy of the game through the agent's window, then the game is continued by the expert
  through the agent's windows for ``horizon`` more windows; the answers are ranked by what happened over that
  stretch (:func:`textsc2_outcome`: the game's result if it ended, then the supply used).  A full continuation to the game's end is not used: it costs a whole
  game per answer.

Whole episodes (SMAC: corpus episodes; TextSC2: games) go to the held-out split, as in the corpora.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "smac_pairs",
    "textsc2_pairs",
    "textsc2_outcome",
    "perturb_decisions",
    "save_pairs",
    "split_pairs",
]

_RESULT_RANK = {"Victory": 1, "Tie": 0, "": 0, "Defeat": -1}


def _pair(prompt: list[dict], chosen: str, rejected: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt": [dict(m) for m in prompt],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "meta": meta,
    }


def _key(pair: dict[str, Any]) -> str:
    return json.dumps([pair["prompt"], pair["chosen"], pair["rejected"]], sort_keys=True, ensure_ascii=False)


def smac_pairs(
    rows: Iterable[dict[str, Any]], *, rivals: int = 3, seed: int = 0, variants: bool = True
) -> list[dict[str, Any]]:
    """Pairs from the coder calls of a SMACProgram transcript corpus (``read_corpus(..., experts_only=False)``).

    For every coder prompt, the answers recorded for it (expert and exploration) and, with ``variants``, every
    seeded program variation measured on the map are candidates; each recorded answer is paired with up to
    ``rivals`` candidates that did strictly worse (a seeded draw) and with every recorded answer that did
    strictly better.  A program's stats are its corpus label when recorded, otherwise measured here (cached).
    """
    from tactica.llm.games.smac import _code, outcome_key, ranked_variants

    if rivals < 0:
        raise ValueError(f"rivals must be >= 0, got {rivals!r}")
    rng = np.random.default_rng(seed)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        meta = row.get("meta", {})
        label = meta.get("label") or {}
        if meta.get("call") != "coder" or "win_rate" not in label:
            continue
        key = json.dumps(row["messages"][:-1], sort_keys=True, ensure_ascii=False)
        groups.setdefault(key, []).append(row)
    pairs: dict[str, dict[str, Any]] = {}
    for rows_of_prompt in groups.values():
        prompt = rows_of_prompt[0]["messages"][:-1]
        map_name = rows_of_prompt[0]["meta"]["label"]["map_name"]
        recorded = {r["messages"][-1]["content"]: r for r in rows_of_prompt}
        candidates = {answer: r["meta"]["label"] for answer, r in recorded.items()}
        if variants:
            for variant, stats in ranked_variants(map_name):
                candidates.setdefault(_code(variant.source), {"program": variant.name, **stats})
        for answer, row in recorded.items():
            mine = outcome_key(candidates[answer])
            worse = [a for a, s in candidates.items() if outcome_key(s) < mine]
            better = [a for a in recorded if outcome_key(candidates[a]) > mine]
            picked = [worse[int(i)] for i in rng.permutation(len(worse))[:rivals]]
            sides = [(answer, other) for other in picked] + [(other, answer) for other in better]
            for chosen, rejected in sides:
                meta = {
                    "env": "SMACProgram-v3",
                    "call": "coder",
                    "map_name": map_name,
                    "episode": int(row["meta"]["episode"]),
                    "split": row["meta"].get("split", "train"),
                    "chosen": _label_summary(candidates[chosen]),
                    "rejected": _label_summary(candidates[rejected]),
                }
                pair = _pair(prompt, chosen, rejected, meta)
                pairs.setdefault(_key(pair), pair)
    return list(pairs.values())


def _label_summary(stats: dict[str, Any]) -> dict[str, Any]:
    keys = ("program", "win_rate", "damage_dealt", "damage_taken", "allies_left")
    return {k: stats[k] for k in keys if k in stats}


def perturb_decisions(actions: list[int], rng: np.random.Generator, kind: str) -> list[int]:
    """A rival to the expert's ``actions``: ``"wait"`` (every slot empty) or ``"random"`` (each slot redrawn
    with probability one half from all actions, the empty one included)."""
    from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION

    if kind == "wait":
        return [EMPTY_ACTION] * len(actions)
    if kind == "random":
        return [int(rng.integers(len(ACTIONS))) if rng.random() < 0.5 else a for a in actions]
    raise ValueError(f"unknown perturbation {kind!r}; accepted: wait, random")


def textsc2_outcome(observation: dict[str, Any], info: dict[str, Any]) -> tuple[float, float]:
    """How a stretch of TextSC2 play is ranked, from its last observation and info: the game's result if it
    ended (victory > none or tie > defeat), then the supply used (workers and army built and alive).

    The unspent bank is not a tiebreak: on 16 games paired at levels 4-5 it would have decided 215 of 364
    pairs, by a median of 3 minerals of mining timing, which says nothing about the answers."""
    result = _RESULT_RANK.get(str(info.get("result", "")), 0)
    return (float(result), float(observation["resource"]["supply_used"]))


def _play_out(env, expert, observation, info, actions, slots, window, horizon) -> tuple[dict, dict]:
    """Play ``actions`` at ``slots`` of the next window on a copy of the game, then ``horizon`` windows with
    the expert deciding at the same slots; the last observation and info (the running game is untouched)."""
    from tactica.envs.textsc2.actions import EMPTY_ACTION

    game, player = copy.deepcopy(env.unwrapped), copy.deepcopy(expert)
    queue = list(actions)
    for step in range(window * (1 + horizon)):
        action = EMPTY_ACTION
        if step % window in slots:
            expert_action = int(player.act(observation, info))  # keeps the expert's state following the game
            action = queue.pop(0) if queue else expert_action
        observation, _, terminated, truncated, info = game.step(action)
        if terminated or truncated:
            break
    return observation, info


def textsc2_pairs(
    games: int,
    *,
    seed: int = 0,
    difficulties: Iterable[int] = (4, 5),
    call_rate: float = 0.2,
    horizon: int = 5,
    on_game: Callable[[int, list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Pairs from ``games`` seeded games of ``cos`` with the expert answering (levels cycled over
    ``difficulties``); see the module docstring.  About ``call_rate`` of the calls are paired."""
    from tactica.rollout import episode_seeds

    levels = list(difficulties)
    if not levels:
        raise ValueError("difficulties must name at least one level")
    if not 0.0 < call_rate <= 1.0:
        raise ValueError(f"call_rate must be in (0, 1], got {call_rate!r}")
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon!r}")
    pairs: list[dict[str, Any]] = []
    for game_index, game_seed in enumerate(episode_seeds(seed, games)):
        level = levels[game_index % len(levels)]
        found = _pair_game(game_index, game_seed, level, call_rate, horizon)
        pairs += found
        if on_game is not None:
            on_game(game_index, found)
    return pairs


def _pair_game(game_index: int, game_seed: int, level: int, call_rate: float, horizon: int) -> list[dict]:
    """The pairs of one game of ``cos`` with the expert answering (see :func:`textsc2_pairs`)."""
    from tactica.llm.games.textsc2 import decisions_text, play_episode

    rng = np.random.default_rng(game_seed)
    found: list[dict[str, Any]] = []

    def answer(lookahead, env, messages, call="decisions"):
        before = copy.deepcopy(lookahead.expert)  # the look-ahead moves the expert's state on
        text = lookahead(messages, call)
        if rng.random() >= call_rate:
            return text
        mine = _actions_of(text)
        kind = "wait" if rng.random() < 0.5 else "random"
        rival = perturb_decisions(mine, rng, kind)
        if rival == mine:
            return text
        where = (lookahead.observation, lookahead.info)
        outcomes = {
            name: textsc2_outcome(
                *_play_out(env, before, *where, acts, lookahead.slots, lookahead.window, horizon)
            )
            for name, acts in (("expert", mine), ("rival", rival))
        }
        if outcomes["expert"] == outcomes["rival"]:
            return text
        expert_won = outcomes["expert"] > outcomes["rival"]
        texts = (text, decisions_text(rival)) if expert_won else (decisions_text(rival), text)
        meta = {"env": "TextSC2-v1", "call": "decisions", "difficulty": level, "game": game_index, "rival": kind,
                "chosen_is_expert": expert_won, "horizon_windows": horizon,
                "outcome": {k: list(v) for k, v in outcomes.items()}}  # fmt: skip
        found.append(_pair(list(messages), *texts, meta))
        return text

    _, info = play_episode(game_seed, difficulty=level, answer=answer)
    for pair in found:
        pair["meta"]["game_result"] = str(info.get("result", ""))
    return found


def _actions_of(text: str) -> list[int]:
    from tactica.envs.textsc2.actions import ACTIONS

    index = {name: i for i, name in enumerate(ACTIONS)}
    return [index[line.split("<", 1)[1].rstrip(">")] for line in text.splitlines()[1:] if "<" in line]


def split_pairs(
    pairs: list[dict[str, Any]], heldout_fraction: float, seed: int, group: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Training and held-out pairs: a seeded ``round(F * groups)`` of the whole groups (``meta[group]``:
    episodes or games) are held out, at least one when ``F > 0``; duplicates are written once."""
    if not 0.0 <= heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must be in [0, 1), got {heldout_fraction!r}")
    unique: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        unique.setdefault(_key(pair), pair)
    names = sorted({str(p["meta"][group]) for p in unique.values()})
    count = min(len(names) - 1, max(1, round(heldout_fraction * len(names)))) if heldout_fraction else 0
    rng = np.random.default_rng(seed)
    held = {names[int(i)] for i in rng.permutation(len(names))[: max(count, 0)]}
    train = [p for p in unique.values() if str(p["meta"][group]) not in held]
    heldout = [p for p in unique.values() if str(p["meta"][group]) in held]
    return train, heldout


def save_pairs(pairs: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write ``pairs`` as JSON lines, ``meta`` kept (``tactica.llm.alignment.data.write_pairs`` drops it); the
    number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for pair in pairs:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
            count += 1
    return count
