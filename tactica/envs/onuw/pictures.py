"""Pictures of a One Night Ultimate Werewolf game for ``render_mode="rgb_array"`` (``ONUW-v1``).

The whole table, as the ansi render's god view: the players in a circle, each coloured by the team of the
card it holds now (Village blue, Werewolf red, Tanner brown), its current card above and its dealt card below,
the three centre cards in the middle.  After the night the card moves are drawn as lines (Robber orange,
Troublemaker purple, Drunk grey; looks as dotted grey).  After the vote each ballot is an arrow to the player
voted for and the dead are crossed out.  On the right: the phase, the last speeches and the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tactica.envs.canvas import COLORS, HEIGHT, WIDTH, Box, Canvas, not_reset_frame
from tactica.envs.onuw.rules import TEAM_OF, Phase, Team
from tactica.envs.onuw.view import speech_sentence

__all__ = ["table_frame"]

TEAM_COLORS = {Team.VILLAGE: COLORS["ally"], Team.WEREWOLF: COLORS["enemy"], Team.TANNER: (140, 86, 75)}
MOVE_COLORS = {"rob": (255, 127, 14), "swap": (148, 103, 189), "take": (127, 127, 127)}
_CENTRE = (152.0, 172.0)
_RADIUS = 118.0
_SEAT = 17.0
_SIDE = Box(312, 24, WIDTH - 4, HEIGHT - 4)


def _positions(num_players: int, num_center: int) -> list[tuple[float, float]]:
    """Pixel centres of every card position: the seats around the circle, then the centre cards."""
    cx, cy = _CENTRE
    seats = [
        (
            cx + _RADIUS * math.cos(-math.pi / 2 + 2 * math.pi * k / num_players),
            cy + _RADIUS * math.sin(-math.pi / 2 + 2 * math.pi * k / num_players),
        )
        for k in range(num_players)
    ]
    centre = [(cx + (k - (num_center - 1) / 2) * 58, cy) for k in range(num_center)]
    return seats + centre


def _dotted(canvas: Canvas, a: tuple[float, float], b: tuple[float, float], color) -> None:
    steps = max(int(math.dist(a, b) // 6), 1)
    for k in range(0, steps, 2):
        t0, t1 = k / steps, min((k + 1) / steps, 1.0)
        canvas.line(
            a[0] + (b[0] - a[0]) * t0,
            a[1] + (b[1] - a[1]) * t0,
            a[0] + (b[0] - a[0]) * t1,
            a[1] + (b[1] - a[1]) * t1,
            color,
        )


def _arrow(canvas: Canvas, a: tuple[float, float], b: tuple[float, float], color) -> None:
    """A line from ``a`` to the edge of the seat at ``b`` with a small head."""
    length = math.dist(a, b) or 1.0
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    start = (a[0] + ux * _SEAT, a[1] + uy * _SEAT)
    tip = (b[0] - ux * (_SEAT + 2), b[1] - uy * (_SEAT + 2))
    canvas.line(*start, *tip, color, 2)
    for side in (1, -1):
        canvas.line(*tip, tip[0] - 7 * ux + side * 4 * uy, tip[1] - 7 * uy - side * 4 * ux, color, 2)


def table_frame(env: Any) -> np.ndarray:
    """The picture of an ONUW environment (AEC or Parallel): the god view of its game."""
    canvas = Canvas()
    game = env.game
    if game is None:
        return not_reset_frame("ONUW-v1")
    n = game.num_players
    places = _positions(n, game.num_center)
    night_over = game.phase != Phase.NIGHT
    canvas.disc(*_CENTRE, _RADIUS - 34, COLORS["panel"])
    if night_over:
        for seat, action in sorted(game.night_actions.items()):
            if action.kind in MOVE_COLORS:
                ends = [seat, *action.targets] if action.kind in ("rob", "take") else list(action.targets)
                canvas.line(*places[ends[0]], *places[ends[1]], MOVE_COLORS[action.kind], 2)
            elif action.kind == "view":
                for target in action.targets:
                    _dotted(canvas, places[seat], places[target], COLORS["muted"])
    outcome = game.outcome
    if outcome is not None:
        for voter, target in enumerate(outcome.votes):
            if target is not None:
                _arrow(canvas, places[voter], places[target], (90, 90, 90))
    current = game.final_roles
    for k in range(game.num_center):
        x, y = places[n + k]
        box = Box(x - 27, y - 10, x + 27, y + 10)
        canvas.fill(box, COLORS["white"])
        canvas.rect(box, COLORS["muted"])
        role = game.center[k]
        canvas.text(x, y - 6, role.title, TEAM_COLORS[TEAM_OF[role]], 9, "center", 52)
    for seat in range(n):
        x, y = places[seat]
        role = current[seat]
        canvas.disc(x, y, _SEAT, TEAM_COLORS[TEAM_OF[role]])
        canvas.text(x, y - 6, f"P{seat + 1}", COLORS["white"], 10, "center")
        canvas.text(x, y - _SEAT - 13, role.title, TEAM_COLORS[TEAM_OF[role]], 9, "center")
        dealt = game.initial[seat]
        if dealt != role:
            canvas.text(x, y + _SEAT + 1, f"was {dealt.title}", COLORS["muted"], 9, "center")
        if outcome is not None and seat in outcome.dead:
            canvas.line(x - _SEAT, y - _SEAT, x + _SEAT, y + _SEAT, COLORS["ink"], 3)
            canvas.line(x - _SEAT, y + _SEAT, x + _SEAT, y - _SEAT, COLORS["ink"], 3)
        if outcome is not None and outcome.tally[seat]:
            canvas.text(x + _SEAT + 2, y + 4, f"{outcome.tally[seat]}v", COLORS["ink"], 9)

    canvas.text(6, 4, f"ONUW  {n} players", size=13)
    phase = game.phase.name.lower()
    if game.phase == Phase.DAY:
        phase += f", speech {game.speech_index + 1}/{game.num_speeches}"
    side = _SIDE
    canvas.text(side.x0, 4, phase, COLORS["muted"], 10, max_width=side.width)
    y = side.y0
    speeches = game.speeches[-13:]
    for speech in speeches:
        canvas.text(
            side.x0,
            y,
            f"P{speech.speaker + 1}: {speech_sentence(speech)}",
            COLORS["ink"],
            9,
            max_width=side.width,
        )
        y += 12
    if not speeches:
        canvas.text(side.x0, y, "no speech yet", COLORS["muted"], 9)
    forfeit = getattr(env, "forfeit", None)
    if outcome is not None or forfeit is not None:
        y = side.y1 - 40
        if forfeit is not None:
            canvas.text(
                side.x0,
                y,
                f"ended: illegal move by {forfeit.get('agent')}",
                COLORS["bad"],
                9,
                max_width=side.width,
            )
        else:
            teams = ", ".join(t.name.lower() for t in sorted(outcome.winning_teams)) or "nobody"
            dead = ", ".join(f"P{d + 1}" for d in sorted(outcome.dead)) or "nobody"
            canvas.text(side.x0, y, f"dead: {dead}", COLORS["ink"], 10, max_width=side.width)
            canvas.text(side.x0, y + 14, f"winners: {teams}", COLORS["ink"], 10, max_width=side.width)
            canvas.text(side.x0, y + 28, outcome.reason, COLORS["muted"], 9, max_width=side.width)
    return canvas.to_array()
