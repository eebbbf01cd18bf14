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
