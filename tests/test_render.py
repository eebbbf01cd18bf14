"""Offscreen rendering puts each panel where its yaw and pitch say, in the equirectangular frame."""

import numpy as np
import pytest

from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.render.panorama import EquirectRenderer

W, H = 1024, 512
RED, GREEN, BLUE = (230, 30, 40), (20, 200, 60), (40, 60, 220)


def solid(colour, size=(32, 32)):
    img = np.zeros((*size, 3), np.uint8)
    img[:] = colour
    return img


def mask_of(frame, colour, tol=3):
    return np.all(np.abs(frame.astype(int) - colour) <= tol, axis=-1)


@pytest.fixture(scope="module")
def renderer():
    with EquirectRenderer(W, H) as r:
        r.add_panel("red", 60, 20, 30, 16, solid(RED))
        r.add_panel("green", 180, -10, 20, 10, solid(GREEN))  # straddles the ±180° seam
        r.add_panel("blue", -100, 0, 40, 30, solid(BLUE))
        yield r


@pytest.mark.parametrize("yaw,pitch,width,height,colour,name", [
    (60, 20, 30, 16, RED, "red"),
    (-100, 0, 40, 30, BLUE, "blue"),
])
def test_panel_lands_where_yaw_and_pitch_predict(renderer, yaw, pitch, width, height, colour, name):
    frame = renderer.render([name])
    assert frame.shape == (H, W, 3)
    ys, xs = np.nonzero(mask_of(frame, colour))
    assert len(xs) > 0, "panel colour not found"
    # Its extent matches the analytic column/row of its edges to within 1.5 px.
    x0, x1 = yaw_to_x([yaw - width / 2, yaw + width / 2], W)
    y0, y1 = pitch_to_y([pitch + height / 2, pitch - height / 2], H)
    assert xs.min() == pytest.approx(x0, abs=1.5) and xs.max() + 1 == pytest.approx(x1, abs=1.5)
    assert ys.min() == pytest.approx(y0, abs=1.5) and ys.max() + 1 == pytest.approx(y1, abs=1.5)
    # And its centre pixel is exactly the colour.
    cx, cy = int(yaw_to_x(yaw, W)), int(pitch_to_y(pitch, H))
    assert tuple(frame[cy, cx]) == colour
    # Nothing else in the frame is that colour.
    assert mask_of(frame, colour).sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=0.05)


def test_panel_across_the_seam_is_whole(renderer):
    frame = renderer.render(["green"])
    mask = mask_of(frame, GREEN)
    left = mask[:, : W // 2].sum()
    right = mask[:, W // 2:].sum()
    assert left > 0 and right > 0 and left == pytest.approx(right, rel=0.1)
    assert mask[:, 0].any() and mask[:, -1].any()
    expected_cols = 20 / 360 * W
    assert mask.any(axis=0).sum() == pytest.approx(expected_cols, abs=2)


def test_steps_toggle_and_highlight(renderer):
    frame = renderer.render(["red", "blue"], highlight=["red"])
    assert mask_of(frame, RED).any()
    assert not mask_of(frame, BLUE).any(), "blue should be dimmed"
    cx, cy = int(yaw_to_x(-100, W)), int(pitch_to_y(0, H))
    assert np.allclose(frame[cy, cx], np.array(BLUE) * 0.35, atol=2)  # dimmed, not hidden
    frame = renderer.render([])
    assert not mask_of(frame, RED).any() and not mask_of(frame, BLUE).any()


def test_texture_is_upright(renderer):
    """Row 0 of a panel image is its top: a top-red/bottom-blue image stays that way round."""
    img = np.zeros((32, 32, 3), np.uint8)
    img[:16] = RED
    img[16:] = BLUE
    renderer.add_panel("split", 0, 0, 20, 20, img)
    frame = renderer.render(["split"])
    cx = int(yaw_to_x(0, W))
    assert tuple(frame[int(pitch_to_y(5, H)), cx]) == RED
    assert tuple(frame[int(pitch_to_y(-5, H)), cx]) == BLUE
