"""The equirectangular conventions (bridge/geometry.py) against their definitions: round trips,
the frame's edges and centre, directions on the axes, wrapping and the circular mean."""

from __future__ import annotations

import numpy as np
import pytest

from bridge import geometry as g


def test_frame_edges_and_centre():
    assert g.yaw_to_x(-180, 4096) == 0 and g.yaw_to_x(180, 4096) == 4096 and g.yaw_to_x(0, 4096) == 2048
    assert g.pitch_to_y(90, 2048) == 0 and g.pitch_to_y(-90, 2048) == 2048 and g.pitch_to_y(0, 2048) == 1024
    # column c's centre is at c + 0.5: the first column's centre lies half a pixel right of yaw -180
    assert g.x_to_yaw(0.5, 360) == pytest.approx(-179.5)


def test_pixel_and_angle_round_trip():
    rng = np.random.default_rng(1)
    yaw, pitch = rng.uniform(-180, 180, 1000), rng.uniform(-90, 90, 1000)
    np.testing.assert_allclose(g.x_to_yaw(g.yaw_to_x(yaw, 8192), 8192), yaw, atol=1e-9)
    np.testing.assert_allclose(g.y_to_pitch(g.pitch_to_y(pitch, 4096), 4096), pitch, atol=1e-9)


def test_directions_on_the_axes_and_back():
    np.testing.assert_allclose(g.direction(0, 0), [0, 1, 0], atol=1e-12)  # ahead is +y
    np.testing.assert_allclose(g.direction(90, 0), [1, 0, 0], atol=1e-12)  # yaw grows to the right
    np.testing.assert_allclose(g.direction(0, 90), [0, 0, 1], atol=1e-12)  # pitch grows upwards
    rng = np.random.default_rng(2)
    yaw, pitch = rng.uniform(-179, 179, 500), rng.uniform(-89, 89, 500)
    v = g.direction(yaw, pitch) * rng.uniform(0.1, 10, (500, 1))  # any length
    back_yaw, back_pitch = g.direction_to_yaw_pitch(v[:, 0], v[:, 1], v[:, 2])
    np.testing.assert_allclose(back_yaw, yaw, atol=1e-9)
    np.testing.assert_allclose(back_pitch, pitch, atol=1e-9)


def test_texture_v_runs_from_the_bottom():
    u, v = g.equirect_texture_uv([-180, 0, 180], [-90, 0, 90])
    np.testing.assert_allclose(u, [0, 0.5, 1])
    np.testing.assert_allclose(v, [0, 0.5, 1])


def test_wrap_and_circular_mean():
    np.testing.assert_allclose(g.wrap_yaw(np.array([180, -180, 190, -190, 540, 0])), [-180, -180, -170, 170, -180, 0])
    assert g.mean_yaw(np.array([170.0, -170.0])) == pytest.approx(180, abs=1e-9) or \
        g.mean_yaw(np.array([170.0, -170.0])) == pytest.approx(-180, abs=1e-9)
    assert g.mean_yaw(np.array([10.0, 30.0, np.nan])) == pytest.approx(20)
    assert g.mean_yaw(np.array([np.nan])) == 0.0


def test_panel_on_the_wall_keeps_its_aspect():
    # a panel 60° wide between pitch -15° and +15° on the cylinder: arc / wall height
    aspect = g.panel_aspect(60, -15, 15)
    assert aspect == pytest.approx(np.radians(60) / (2 * np.tan(np.radians(15))))
    w, h = g.panel_texture_size(60, -15, 15, px_per_degree=20)
    assert w == 1200 and h == round(1200 / aspect)
    assert max(g.panel_texture_size(300, -80, 80, px_per_degree=40)) <= 4096  # capped
