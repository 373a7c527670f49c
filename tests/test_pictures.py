"""The drawing primitives behind every ``rgb_array`` frame, and pictures whose content can be checked by pixel."""

from __future__ import annotations

import pickle
import types

import numpy as np
import pytest

import tactica
from tactica.envs.canvas import COLORS, Box, Canvas, timeline


def test_fill_is_clipped_to_the_canvas():
    canvas = Canvas(40, 20, background=(0, 0, 0))
    canvas.fill(Box(-10, -10, 5, 5), (255, 0, 0))
    canvas.fill(Box(100, 100, 120, 120), (0, 255, 0))  # wholly outside: nothing happens
    frame = canvas.to_array()
    assert frame.shape == (20, 40, 3) and frame.dtype == np.uint8
    assert (frame[:5, :5] == (255, 0, 0)).all()
    assert (frame[5:, :] == 0).all() and (frame[:, 5:] == 0).all()


def test_text_is_monospace_and_inked_where_drawn():
    canvas = Canvas(200, 40, background=(255, 255, 255))
    width = canvas.text(10, 5, "Gini 0.53", (0, 0, 0), size=10)
    assert width == Canvas.text_width("Gini 0.53", 10) == 9 * Canvas.text_width("M", 10)
    frame = canvas.to_array().astype(int)
    inked = np.argwhere(frame.sum(axis=2) < 3 * 128)
    assert inked.size, "no ink"
    rows, cols = inked[:, 0], inked[:, 1]
    assert 10 <= cols.min() and cols.max() < 10 + width
    assert 5 <= rows.min() and rows.max() < 5 + Canvas.line_height(10)
    # centred and right-aligned text end where they say; non-ASCII falls back to "?"
    assert canvas.text(100, 20, "abc", align="center") == canvas.text(100, 20, "é€c", align="right")


def test_text_is_cut_to_its_width():
    canvas = Canvas(100, 20)
    assert canvas.text(0, 0, "x" * 50, max_width=60) <= 60


def test_disc_covers_its_centre_and_not_its_corners():
    canvas = Canvas(40, 40, background=(255, 255, 255))
    canvas.disc(20, 20, 8, (0, 0, 255))
    frame = canvas.to_array()
    assert tuple(frame[20, 20]) == (0, 0, 255)
    assert tuple(frame[20 - 8 + 1, 20 - 8 + 1]) == (255, 255, 255)  # a corner of the bounding square
    ring = Canvas(40, 40, background=(255, 255, 255))
    ring.disc(20, 20, 8, (0, 0, 255), ring=2)
    assert tuple(ring.to_array()[20, 20]) == (255, 255, 255)


def test_polyline_passes_through_its_points():
    canvas = Canvas(50, 50, background=(255, 255, 255))
    canvas.polyline([(5, 5), (45, 5), (45, 45)], (0, 0, 0))
    frame = canvas.to_array()
    for x, y in ((5, 5), (25, 5), (45, 5), (45, 25), (45, 45)):
        assert tuple(frame[y, x]) == (0, 0, 0)


def test_timeline_restarts_with_a_new_episode_and_replaces_same_time_samples():
    owner = types.SimpleNamespace()
    assert timeline(owner, "k", (0.0, 1.0)) == [(0.0, 1.0)]
    assert timeline(owner, "k", (1.0, 2.0)) == [(0.0, 1.0), (1.0, 2.0)]
    assert timeline(owner, "k", (1.0, 3.0)) == [(0.0, 1.0), (1.0, 3.0)]  # rendered twice in one step
    assert timeline(owner, "k", (0.0, 9.0)) == [(0.0, 9.0)]  # time went back: a new episode
    many = [timeline(owner, "thin", (float(t),), limit=10) for t in range(25)][-1]
    assert len(many) <= 10 and many[0] == (0.0,) and many[-1] == (24.0,)
    clone = pickle.loads(pickle.dumps(owner))
    assert timeline(clone, "k", (1.0, 4.0)) == [(0.0, 9.0), (1.0, 4.0)]


def test_smac_picture_puts_each_unit_where_the_simulator_has_it():
    env = tactica.make_parallel("SMAC-v2", map_name="3m", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    sim = env.env.core.sim
    columns, rows = sim.grid.shape
    scale = frame.shape[0] / rows  # the map is the square on the left
    for i in range(len(sim.types)):
        x, y = sim.pos[0, i]
        pixel = frame[int((rows - y) * scale), int(x * scale)]
        expected = COLORS["ally"] if sim.team[i] == 0 else COLORS["enemy"]
        assert tuple(pixel) == expected


def test_frozen_lake_picture():
    from tactica.envs.frozenlake.pictures import CELL_COLORS, lake_frame

    desc = ("SFFF", "FHFH", "FFFH", "HFFG")
    frame = lake_frame(desc, (1, 2), steps=3, max_steps=20)
    assert frame.shape == (320, 480, 3) and frame.dtype == np.uint8
    cell = (320 - 30) / 4
    left = 6 + (480 - 12 - cell * 4) / 2

    def centre(r, c):
        return tuple(frame[int(24 + (r + 0.5) * cell), int(left + (c + 0.5) * cell)])

    assert centre(1, 2) == COLORS["enemy"]  # the player
    assert (
        centre(1, 1) == CELL_COLORS["H"]
        and centre(3, 3) == CELL_COLORS["G"]
        and centre(2, 0) == CELL_COLORS["F"]
    )


@pytest.mark.parametrize("env_id", ["TextSC2-v1", "FiberStream-v1", "MacroLeader-v1", "SMACProgram-v3"])
def test_a_frame_before_reset_is_a_placeholder_of_the_same_size(env_id):
    import gymnasium as gym

    options = tactica.spec(env_id).conformance_kwargs[0]
    env = gym.make(env_id, render_mode="rgb_array", disable_env_checker=True, **options).unwrapped
    before = env.render()
    env.reset(seed=0)
    assert before.shape == env.render().shape == (320, 480, 3)
