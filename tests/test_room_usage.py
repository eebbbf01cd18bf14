"""bridge/render/room_usage.py: the share of the room's lit band a frame lights (what
bench/room_usage.py and the sample's test measure)."""

import numpy as np
import pytest

from bridge.render.room_usage import background_rgb, band_mask, band_usage
from bridge.room.load import load_room
from bridge.theme import Theme


def test_the_band_is_the_pitch_the_room_lights_all_round():
    room = load_room("bridge")
    mask = band_mask(room, 720, 360)  # half a degree a pixel
    lo, hi = room.lit_band(0.0)
    assert mask.all(axis=0).sum() == 0 and mask.any(axis=0).all()  # every yaw lit, never the whole column
    assert mask[:, 0].sum() == pytest.approx((hi - lo) * 2, abs=1.5)


def test_the_share_counts_pixels_that_differ_from_the_themes_background():
    room = load_room("bridge")
    background = background_rgb(Theme(background="black"))  # a named colour reads as well as '#rrggbb'
    assert background.tolist() == [0, 0, 0]
    frame = np.full((256, 512, 3), 6, np.uint8)  # within the tolerance of black: not lit
    assert band_usage(frame, room, background) == 0.0
    frame[:, :256] = 200  # the left half of every row: half the band, all round
    assert band_usage(frame, room, background) == pytest.approx(0.5, abs=0.01)
    frame[:] = 200
    assert band_usage(frame, room, background) == 1.0
