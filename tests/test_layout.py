"""Angles round the viewer (bridge/geometry.py): equirect pixel coordinates, directions, panel texture sizes."""

import math

import numpy as np
import pytest

from bridge.geometry import direction, panel_aspect, panel_extent, panel_texture_size, pitch_to_y, x_to_yaw, y_to_pitch, yaw_to_x


def test_yaw_and_pitch_to_pixels_follow_the_equirect_formula():
    assert yaw_to_x(-180, 4096) == 0 and yaw_to_x(0, 4096) == 2048 and yaw_to_x(180, 4096) == 4096
    assert pitch_to_y(90, 2048) == 0 and pitch_to_y(0, 2048) == 1024 and pitch_to_y(-90, 2048) == 2048
    rng = np.random.default_rng(1)
    yaw, pitch = rng.uniform(-180, 180, 50), rng.uniform(-90, 90, 50)
    assert yaw_to_x(yaw, 1000) == pytest.approx((yaw + 180) / 360 * 1000)
    assert pitch_to_y(pitch, 500) == pytest.approx((90 - pitch) / 180 * 500)
    assert x_to_yaw(yaw_to_x(yaw, 1000), 1000) == pytest.approx(yaw)
    assert y_to_pitch(pitch_to_y(pitch, 500), 500) == pytest.approx(pitch)
    assert yaw_to_x(90, 360) == 270  # yaw grows to the right


def test_directions_ahead_right_and_up():
    assert direction(0, 0) == pytest.approx([0, 1, 0])  # +y ahead
    assert direction(90, 0) == pytest.approx([1, 0, 0])  # +x right
    assert direction(-90, 0) == pytest.approx([-1, 0, 0])
    assert direction(0, 90) == pytest.approx([0, 0, 1])  # +z up
    many = direction(np.linspace(-180, 180, 7), np.linspace(-60, 60, 7))
    assert many.shape == (7, 3) and np.linalg.norm(many, axis=-1) == pytest.approx(np.ones(7))


def test_panel_extent_is_centred():
    assert panel_extent(30, -5, 40, 20) == (10, 50, -15, 5)


def test_panel_aspect_is_arc_over_wall_height():
    assert panel_aspect(60, -10, 10) == pytest.approx(math.radians(60) / (2 * math.tan(math.radians(10))))
    # Low, small panels are almost flat: aspect close to width/height in degrees.
    assert panel_aspect(10, -2.5, 2.5) == pytest.approx(2.0, rel=0.01)
    # The same angular height higher up covers more wall: a squatter texture.
    assert panel_aspect(40, 30, 50) < panel_aspect(40, -10, 10)


def test_panel_texture_size_keeps_the_aspect_and_the_limits():
    w, h = panel_texture_size(60, -10, 10, 20.0)
    assert w == 1200 and w / h == pytest.approx(panel_aspect(60, -10, 10), rel=0.01)
    w, h = panel_texture_size(300, -40, 40, 50.0)  # 15 000 px wide: scaled down to the longest side
    assert w == 4096 and w / h == pytest.approx(panel_aspect(300, -40, 40), rel=0.01)
    assert max(panel_texture_size(60, -10, 10, 20.0, max_side=512)) == 512
    assert panel_texture_size(0.1, -0.05, 0.05, 1.0) == (8, 8)  # never below 8 px a side
