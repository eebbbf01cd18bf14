"""Projector images are the matching regions of the equirectangular frame."""

import numpy as np
import pytest

from bridge.compositor import Compositor, projector_pitches, projector_yaws
from bridge.layout import pitch_to_y, yaw_to_x
from bridge.room import load_room

W, H = 2048, 1024


def test_projector_pixels_decode_to_analytic_directions():
    room = load_room()
    comp = Compositor(room, W, H)
    for p, (cols, rows) in zip(room.projectors, comp.maps):
        # Bilinear source coordinate the compositor samples for each column / row:
        sx = (cols.lo + cols.frac) % W
        sy = rows.lo + rows.frac
        want_x = (yaw_to_x((projector_yaws(p) + 180) % 360 - 180, W) - 0.5) % W
        want_y = pitch_to_y(projector_pitches(p), H) - 0.5
        assert np.abs((sx - want_x + W / 2) % W - W / 2).max() < 1e-3
        assert np.abs(sy - want_y).max() < 1e-3


def test_each_projector_image_equals_its_region():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    room = load_room()
    images = Compositor(room, W, H).split(frame)
    assert [img.shape for img in images] == [(p.height, p.width, 3) for p in room.projectors]
    for p, img in zip(room.projectors, images):
        # Check a grid of projector pixels against bilinear sampling of the frame at the analytic point.
        for j in np.linspace(0, p.width - 1, 9).astype(int):
            for i in np.linspace(0, p.height - 1, 7).astype(int):
                x = (yaw_to_x(((projector_yaws(p)[j] + 180) % 360) - 180, W) - 0.5) % W
                y = np.clip(pitch_to_y(projector_pitches(p)[i], H) - 0.5, 0, H - 1)
                expect = bilinear(frame, x, y)
                assert np.abs(img[i, j].astype(float) - expect).max() <= 1.0


def bilinear(frame, x, y):
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    fx, fy = x - x0, y - y0
    x1, y1 = (x0 + 1) % frame.shape[1], min(y0 + 1, frame.shape[0] - 1)
    f = frame.astype(float)
    top = f[y0, x0] * (1 - fx) + f[y0, x1] * fx
    bottom = f[y1, x0] * (1 - fx) + f[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def test_uniform_regions_copy_exactly():
    """A frame painted by yaw sector shows each projector its own sector's colour at its centre."""
    frame = np.zeros((H, W, 3), np.uint8)
    room = load_room()
    for k, p in enumerate(room.projectors):
        x = int(yaw_to_x(p.yaw_centre, W))
        frame[:, x - 20:x + 20] = (40 * k + 20, 255 - 40 * k, 7)
    for k, img in enumerate(Compositor(room, W, H).split(frame)):
        assert tuple(img[img.shape[0] // 2, img.shape[1] // 2]) == (40 * k + 20, 255 - 40 * k, 7)


def test_wrong_frame_size_is_refused():
    with pytest.raises(ValueError, match="built for 2048×1024"):
        Compositor(load_room(), W, H).split(np.zeros((10, 20, 3), np.uint8))
