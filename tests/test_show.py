"""The show's windows (bridge/show/windows.py) offscreen: layouts, and the prepared frame each window shows;
and the show's own words for how many steps it has ("1 step", never "1 steps")."""

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


def test_the_console_and_the_log_count_one_step_as_one_step(room, monkeypatch, caplog):
    """Preparing and reloading a one-step show say "1 step" on the console and in the log."""
    import io
    import logging
    from contextlib import nullcontext

    from rich.console import Console

    from bridge.show import launch as show_launch
    from bridge.show import preparer
    from bridge.show.launch import LaunchOptions
    from bridge.show.live import Live

    one = synthetic(room, colours=COLOURS[:1])
    monkeypatch.setattr(preparer, "prepare", lambda *args, **kwargs: one)
    out = Console(file=io.StringIO(), width=200)
    caplog.set_level(logging.INFO, logger="bridge")
    show_launch._prepare(LaunchOptions(scene=Path("one.yaml")), room, (256, 128), logging.getLogger("bridge"),
                         Path("show.log"), out, lambda: nullcontext(lambda *a: None))
    assert "1 step prepared in" in out.file.getvalue() and "1 step prepared in" in caplog.text

    live = Live(Path("one.yaml"), room, synthetic(room), (256, 128), "span", offscreen=True)
    try:
        live.console = console = SaidConsole()
        live.reloads._incoming = (one, live.windows.texture_builder(one))
        while not live.reloads.upload():
            pass
        assert console.said == ["reloaded: 1 step"]
    finally:
        live.console = None
        live.close()
    assert "reloaded: 1 step" in caplog.text and "1 steps" not in caplog.text
    started = Live(Path("one.yaml"), room, one, (256, 128), "span", offscreen=True)
    try:
        started.run(until=lambda: True)
    finally:
        started.close()
    assert "show started: 1 step, layout" in caplog.text and "1 steps" not in caplog.text


class SaidConsole:
    """The presenter console's messages, kept (the real one draws in the terminal)."""

    def __init__(self):
        self.said: list[str] = []

    def message(self, text: str) -> None:
        self.said.append(text)

    def update(self, *args) -> None:
        pass
