"""Calibration patterns (bridge/room/patterns.py) drawn directly: lines and regions where layout predicts."""

import numpy as np
import pytest

from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.room.load import load_room
from bridge.room.patterns import _COLOURS, PATTERNS, pattern_frame

W, H = 2048, 1024


@pytest.fixture(scope="module")
def room():
    return load_room("rehearsal")


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    return [(a, b - 1) for a, b in zip(edges[::2], edges[1::2])]


def test_grid_has_a_line_at_every_ten_degrees_of_yaw_where_yaw_to_x_puts_it(room):
    frame = pattern_frame("grid", room, W, H)
    assert frame.shape == (H, W, 3) and frame.dtype == np.uint8
    row = frame[int(pitch_to_y(5, H))].astype(int)  # between the 0° and 10° pitch lines, clear of labels
    cyan = (row[:, 0] < 40) & (row[:, 1] > 100) & (row[:, 2] > 100)
    lines = runs(cyan)
    assert len(lines) == 36, lines
    for yaw, (first, last) in zip(range(-180, 180, 10), lines):
        x = float(yaw_to_x(yaw, W))
        assert first - 1 <= x <= last + 2, (yaw, x, first, last)
        assert last - first <= 2  # a line, not a band
        major = yaw % 30 == 0
        assert (row[first:last + 1, 1].max() == 255) == major  # bright every 30°, dim between
    assert not (row.max(axis=-1) > 0)[[int(yaw_to_x(yaw + 5, W)) for yaw in range(-180, 180, 10)]].any()


def test_grid_horizon_is_bright_yellow_at_pitch_zero(room):
    frame = pattern_frame("grid", room, W, H)
    column = frame[:, int(yaw_to_x(5, W))].astype(int)  # between yaw lines
    yellow = (column[:, 0] == 255) & (column[:, 1] == 255) & (column[:, 2] < 40)
    (first, last), = runs(yellow)
    assert first - 1 <= pitch_to_y(0, H) <= last + 2


def test_blend_is_flat_white_and_ids_mark_each_projector_edge(room):
    assert pattern_frame("blend", room, 256, 128).min() == 255
    frame = pattern_frame("ids", room, W, H)
    row = frame[int(pitch_to_y(sum(room.pitch_range) / 2 + 3, H))]  # above the centred numbers
    for p in room.projectors:
        colour = _COLOURS[p.number - 1]
        x = int(yaw_to_x(((p.yaw_min + 180) % 360) - 180, W))
        near = row[max(0, x - 2):x + 3].astype(int)
        assert (np.abs(near - colour).max(axis=-1) <= 2).any(), (p.number, x)


def test_unknown_pattern_names_the_known_ones(room):
    with pytest.raises(ValueError, match="unknown pattern 'grd'; use one of " + ", ".join(PATTERNS)):
        pattern_frame("grd", room, 256, 128)


# Rooms that cover part of the circle and stacked displays (issue 24): each projector's marks on
# its own picture, labels only where the room lights.

def test_ids_of_a_video_wall_sit_on_their_own_displays():
    wall = load_room("video-wall")
    frame = pattern_frame("ids", wall, W, H).astype(int)
    for p in wall.projectors:
        lo, hi = p.inner_band()
        x, y = int(yaw_to_x(p.yaw_centre, W)), int(pitch_to_y((lo + hi) / 2, H))
        near = frame[y - 12:y + 13, x - 12:x + 13]
        assert (np.abs(near - _COLOURS[p.number - 1]).max(axis=-1) <= 2).any(), p.name


def test_colour_bars_of_stacked_displays_stay_on_each_display():
    wall = load_room("video-wall")
    frame = pattern_frame("colour", wall, W, H)
    for p in wall.projectors:
        lo, hi = p.inner_band()
        yaw = p.yaw_centre - 0.15 * p.span  # the magenta bar, left of the centred number
        assert frame[int(pitch_to_y(lo + 0.7 * (hi - lo), H)), int(yaw_to_x(yaw, W))].max() > 200, p.name  # its bars
        assert frame[int(pitch_to_y(lo + 0.3 * (hi - lo), H)), int(yaw_to_x(yaw, W))].max() > 0, p.name  # its grey ramp


def test_a_partial_room_is_labelled_and_boxed_only_where_it_is_lit():
    front = load_room("front-wall")  # yaw -90..90
    grid = pattern_frame("grid", front, W, H)
    rows = grid[int(pitch_to_y(-0.3, H)):int(pitch_to_y(-1.5, H))]  # just under the horizon, where the yaw labels are
    white = (rows.min(axis=-1) > 200).any(axis=0)
    assert white[int(yaw_to_x(-60, W)):int(yaw_to_x(-50, W))].any()  # '-60°' in front
    assert not white[int(yaw_to_x(100, W)):].any() and not white[:int(yaw_to_x(-100, W))].any()  # none behind
    colour = pattern_frame("colour", front, W, H)
    band = colour[int(pitch_to_y(5, H))]
    # The room's two ends are not blended, so the outer projectors' bars reach them.
    assert band[int(yaw_to_x(-89.5, W))].max() > 200 and band[int(yaw_to_x(89.5, W))].max() > 0
    assert band[int(yaw_to_x(-90.5, W))].max() == 0 and band[int(yaw_to_x(90.5, W))].max() == 0
