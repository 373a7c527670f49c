"""Pictures of SMAC battles for ``render_mode="rgb_array"`` (``SMAC-v2`` and ``SMACProgram-v3``).

The battle is drawn from the simulator's state, the same fields the ansi render prints: terrain (pathable
ground light, cliffs and walls dark), every living unit as a disc of its radius (allies blue, enemies red,
flying units as rings) with a health bar (and a shield bar for Protoss) above it, a line from each attacker to
its target, and beside the map each side's units alive and its total health and shields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.canvas import COLORS, HEIGHT, WIDTH, Box, Canvas, bar_rows

__all__ = ["battle_frame", "draw_battle", "program_frame"]

_MAP = Box(0, 0, HEIGHT, HEIGHT)  # the square map on the left
_SIDE = Box(HEIGHT + 6, 4, WIDTH - 4, HEIGHT - 4)
_ATTACK = 2  # engine order kind of an attack (tactica.envs.smac.engine.ATTACK)


def draw_battle(canvas: Canvas, sim: Any, env: int, box: Box) -> None:
    """The terrain and units of battle ``env`` of ``sim`` (a :class:`~tactica.envs.smac.engine.BattleSim`)."""
    columns, rows = sim.grid.shape  # indexed [x, y], y pointing up as in SC2
    scale = min(box.width / columns, box.height / rows)
    terrain = np.where(sim.grid.T[::-1], 1.0, 0.0)  # rows from the top of the map down
    canvas.fill(box, COLORS["wall"])
    for row, line in enumerate(terrain):
        # runs of ground per row: far fewer rectangles than cells
        edges = np.flatnonzero(np.diff(np.concatenate([[0.0], line, [0.0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            canvas.fill(
                Box(
                    box.x0 + start * scale,
                    box.y0 + row * scale,
                    box.x0 + stop * scale,
                    box.y0 + (row + 1) * scale,
                ),
                COLORS["ground"],
            )

    def to_pixel(x: float, y: float) -> tuple[float, float]:
        return box.x0 + x * scale, box.y0 + (rows - y) * scale

    alive = sim.alive[env]
    positions = sim.pos[env]
    order = getattr(sim, "order", None)
    target = getattr(sim, "target", None)
    if order is not None and target is not None:
        for i in np.flatnonzero(alive):
            t = int(target[env, i])
            if int(order[env, i]) == _ATTACK and 0 <= t < len(alive) and alive[t]:
                color = COLORS["ally"] if sim.team[i] == 0 else COLORS["enemy"]
                canvas.line(*to_pixel(*positions[i]), *to_pixel(*positions[t]), color)
    living = []
    for i, kind in enumerate(sim.types):
        x, y = to_pixel(*positions[i])
        if not alive[i]:
            canvas.line(x - 3, y - 3, x + 3, y + 3, COLORS["muted"])
            canvas.line(x - 3, y + 3, x + 3, y - 3, COLORS["muted"])
            continue
        radius = max(kind.radius * scale, 3.0)
        living.append((i, kind, x, y, radius))
        top = y - radius - 4
        _health_bar(canvas, x - radius, top, 2 * radius, sim.hp[env, i] / sim.hp_max[i], COLORS["good"])
        if sim.sh_max[i] > 0:
            _health_bar(
                canvas, x - radius, top - 3, 2 * radius, sim.sh[env, i] / sim.sh_max[i], COLORS["shield"]
            )
    # bodies after every bar: in a tight formation a neighbour's bar must not cover where a unit stands
    for i, kind, x, y, radius in living:
        color = COLORS["ally"] if sim.team[i] == 0 else COLORS["enemy"]
        canvas.disc(x, y, radius, color, ring=2.0 if kind.flying else None)


def _health_bar(canvas: Canvas, x: float, y: float, width: float, fraction: float, color) -> None:
    width = max(width, 6.0)
    canvas.fill(Box(x, y, x + width, y + 2), COLORS["bad"])
    canvas.fill(Box(x, y, x + width * min(max(float(fraction), 0.0), 1.0), y + 2), color)


def _team_rows(sim: Any, env: int) -> list[tuple[str, float, tuple[int, int, int]]]:
    rows = []
    for team, name, color in ((0, "allies", COLORS["ally"]), (1, "enemies", COLORS["enemy"])):
        members = sim.team == team
        total = float((sim.hp_max + sim.sh_max)[members].sum()) or 1.0
        left = float((sim.hp[env] + sim.sh[env])[members & sim.alive[env]].sum())
        rows.append((f"{name} hp", 100.0 * left / total, color))
    return rows


def battle_frame(sim: Any, env: int = 0, step: int = 0, limit: int | None = None) -> np.ndarray:
    """One frame of a SMAC battle: the map on the left, each side's strength on the right."""
    canvas = Canvas()
    draw_battle(canvas, sim, env, _MAP)
    side = _SIDE
    canvas.text(side.x0, side.y0, sim.spec.name, size=13)
    limit_text = f"/{limit}" if limit else ""
    canvas.text(side.x0, side.y0 + 18, f"step {step}{limit_text}  loop {int(sim.loop[env])}", COLORS["muted"])
    y = side.y0 + 38
    for team, name, color in ((0, "allies", COLORS["ally"]), (1, "enemies", COLORS["enemy"])):
        members = np.flatnonzero(sim.team == team)
        alive = int(sim.alive[env, members].sum())
        canvas.text(side.x0, y, f"{name}: {alive}/{len(members)} alive", color)
        y += 14
    bar_rows(
        canvas,
        Box(side.x0, y + 4, side.x1, y + 52),
        "health + shields %",
        _team_rows(sim, env),
        100.0,
        "{:.0f}",
    )
    y += 60
    kinds: dict[str, list[int]] = {}
    for i, kind in enumerate(sim.types):
        counts = kinds.setdefault(f"{'ally' if sim.team[i] == 0 else 'enemy'} {kind.name}", [0, 0])
        counts[0] += bool(sim.alive[env, i])
        counts[1] += 1
    for label, (alive, total) in list(kinds.items())[: max(int((side.y1 - y) // 12), 0)]:
        color = COLORS["ally"] if label.startswith("ally") else COLORS["enemy"]
        canvas.text(side.x0, y, f"{label} {alive}/{total}", color, size=9, max_width=side.width)
        y += 12
    return canvas.to_array()


def program_frame(program_env: Any) -> np.ndarray:
    """``SMACProgram-v3``: the battle the programs play (the map with both armies at their spawns) and the
    results so far: each submitted program's win rate and, for the last one, how each battle ended."""
    pictures = program_env.__dict__.setdefault("_picture_cache", {})
    sim = pictures.get("sim")
    if sim is None:
        from tactica.envs.smac.api import SMACEnv

        battle = SMACEnv(program_env.map_name, **program_env.env_kwargs)
        battle.reset()
        sim = pictures["sim"] = battle.core.sim
    canvas = Canvas()
    draw_battle(canvas, sim, 0, _MAP)
    side = _SIDE
    canvas.text(side.x0, side.y0, f"{program_env.map_name}: program", size=13, max_width=side.width)
    history = getattr(program_env, "results", [])
    canvas.text(side.x0, side.y0 + 18, f"attempt {len(history)}/{program_env.max_attempts}", COLORS["muted"])
    rows = [
        (f"#{k + 1}", 100.0 * rate, COLORS["good"] if rate else COLORS["bad"])
        for k, (rate, _) in enumerate(history)
    ]
    bar_rows(
        canvas,
        Box(side.x0, side.y0 + 36, side.x1, side.y0 + 178),
        "win rate % by program",
        rows[-11:],
        100.0,
        "{:.0f}",
    )
    y = side.y0 + 186
    canvas.text(side.x0, y, "last program's battles:", size=9)
    y += 14
    battles = history[-1][1] if history else []
    if not battles:
        canvas.text(side.x0, y, "none yet" if not history else "none (rejected)", COLORS["muted"], size=9)
    colors = {"win": COLORS["good"], "loss": COLORS["bad"], "tie": COLORS["warn"]}
    cell = 14
    per_row = max(int(side.width // cell), 1)
    for k, battle in enumerate(battles):
        x = side.x0 + (k % per_row) * cell
        top = y + (k // per_row) * cell
        if top + cell > side.y1:
            break
        canvas.fill(
            Box(x, top, x + cell - 2, top + cell - 2), colors.get(battle.get("result"), COLORS["muted"])
        )
        canvas.text(
            x + (cell - 2) / 2,
            top + 1,
            str(battle.get("result", "?"))[:1].upper(),
            COLORS["white"],
            9,
            "center",
        )
    return canvas.to_array()
