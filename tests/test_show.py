"""The show's windows (bridge/show/windows.py) offscreen: layouts, and the prepared frame each window shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.show.presenter import View
from bridge.show.windows import ShowWindows, window_plan
from tests.show_helpers import COLOURS, centre, inject, synthetic, tiny_room


@pytest.fixture
def room(tmp_path: Path):
    return tiny_room(tmp_path)


def test_window_plan_layouts(room):
    span = window_plan(room, "span")
    assert len(span) == 1 and span[0][0] == (0, 0, 192, 40)
    assert [vp for _, vp in span[0][1]][1] == pytest.approx((1 / 3, 0, 2 / 3, 1))
    per = window_plan(room, "per-projector")
    assert [w[0] for w in per] == [(0, 0, 64, 40), (64, 0, 64, 40), (128, 0, 64, 40)]
    windowed = window_plan(room, "windowed", fit=(96, 96))
    assert windowed[0][0] == (0, 0, 96, 20)  # scaled to fit, aspect kept


def test_windows_show_a_step_black_and_white_pixel_exact(room):
    windows = ShowWindows(room, synthetic(room), "span", offscreen=True)
    try:
        assert windows.show(View("step", 1))
        windows.render()
        image = windows.grab()
        assert image.shape == (40, 192, 3)
        assert [centre(image, x, 20) for x in (32, 96, 160)] == COLOURS[1]
        assert centre(image, 1, 1) == (255, 255, 255)  # the white corner at the top: not flipped
        assert not windows.show(View("step", 1))  # already shown: nothing to redraw
        assert windows.show(View("step", 9))  # past the end: the last step
        windows.render()
        assert centre(windows.grab(), 96, 20) == COLOURS[2][1]
        windows.show(View("black"))
        windows.render()
        assert windows.grab().max() == 0
        windows.show(View("white"))
        windows.render()
        assert windows.grab().min() == 255
    finally:
        windows.close()


def test_keys_in_any_window_reach_the_callback(room):
    windows = ShowWindows(room, synthetic(room), "per-projector", offscreen=True)
    try:
        pressed = []
        windows.on_key(pressed.append)
        inject(windows, "Right", window=0)
        inject(windows, "b", window=2)
        assert pressed == ["Right", "b"]
    finally:
        windows.close()


def test_new_frames_replace_the_old(room):
    windows = ShowWindows(room, synthetic(room), "span", offscreen=True)
    try:
        swapped = [row[::-1] for row in COLOURS]
        windows.set_frames(synthetic(room, colours=swapped))
        windows.show(View("step", 0))
        windows.render()
        assert [centre(windows.grab(), x, 20) for x in (32, 96, 160)] == swapped[0]
    finally:
        windows.close()
