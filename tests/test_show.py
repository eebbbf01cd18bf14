"""The show's windows offscreen: keys injected as VTK events swap the prepared frames."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from bridge.prepare import Prepared
from bridge.room import load_room
from bridge.show import Live, ShowWindows, window_plan

TINY_ROOM = """
name: Tiny
screen: {shape: cylinder, radius_m: 2, height_m: 1.6, eye_height_m: 1.0}
projectors:
  - {yaw: 0,    span_deg: 135, resolution: [64, 40]}
  - {yaw: 120,  span_deg: 135, resolution: [64, 40]}
  - {yaw: -120, span_deg: 135, resolution: [64, 40]}
"""

# Step s, projector i is a flat colour: easy to recognise in a grab.
COLOURS = [[(200, 30, 30), (30, 200, 30), (30, 30, 200)],
           [(250, 250, 0), (0, 250, 250), (250, 0, 250)],
           [(90, 90, 90), (160, 160, 160), (10, 120, 60)]]


@pytest.fixture
def room(tmp_path: Path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_ROOM)
    return load_room(path)


def synthetic(room, colours=COLOURS, transition_ms=0, watched=()) -> Prepared:
    frames = []
    for i, p in enumerate(room.projectors):
        f = np.zeros((len(colours), p.height, p.width, 3), np.uint8)
        for s, row in enumerate(colours):
            f[s] = row[i]
        f[:, :4, :4] = 255  # a white top-left corner: catches a flipped image
        frames.append(f)
    titles = [f"Step {s + 1}" for s in range(len(colours))]
    return Prepared("test", "Test", titles, [""] * len(colours), transition_ms, frames, list(watched))


def inject(windows: ShowWindows, keysym: str, window: int = 0) -> None:
    iren = windows.windows[window].interactor
    iren.SetKeySym(keysym)
    iren.InvokeEvent("KeyPressEvent")


def centre(image: np.ndarray, x: int, y: int) -> tuple:
    return tuple(int(v) for v in image[y, x])


def test_window_plan_layouts(room):
    span = window_plan(room, "span")
    assert len(span) == 1 and span[0][0] == (0, 0, 192, 40)
    assert [vp for _, vp in span[0][1]][1] == pytest.approx((1 / 3, 0, 2 / 3, 1))
    per = window_plan(room, "per-projector")
    assert [w[0] for w in per] == [(0, 0, 64, 40), (64, 0, 64, 40), (128, 0, 64, 40)]
    windowed = window_plan(room, "windowed", fit=(96, 96))
    assert windowed[0][0] == (0, 0, 96, 20)  # scaled to fit, aspect kept


def test_keys_on_an_offscreen_window_swap_frames_pixel_exact(room):
    live = Live(Path("unused.yaml"), room, synthetic(room), (256, 128), "span", offscreen=True)
    try:
        live.tick()
        image = live.windows.grab()
        assert image.shape == (40, 192, 3)
        assert centre(image, 32, 20) == COLOURS[0][0]
        assert centre(image, 96, 20) == COLOURS[0][1]
        assert centre(image, 160, 20) == COLOURS[0][2]
        assert centre(image, 1, 1) == (255, 255, 255) and centre(image, 1, 38) == COLOURS[0][0]  # not flipped
        inject(live.windows, "Right")
        live.tick()
        image = live.windows.grab()
        assert [centre(image, x, 20) for x in (32, 96, 160)] == COLOURS[1]
        inject(live.windows, "b")
        live.tick()
        assert live.windows.grab().max() == 0  # blackout: every pixel black
        inject(live.windows, "period")
        live.tick()
        assert centre(live.windows.grab(), 96, 20) == COLOURS[1][1]  # came back to the same step
        inject(live.windows, "w")
        live.tick()
        assert live.windows.grab().min() == 255
        inject(live.windows, "w")
        for key in ("3", "Return"):
            inject(live.windows, key)
        live.tick()
        assert centre(live.windows.grab(), 32, 20) == COLOURS[2][0]
        inject(live.windows, "Prior")
        live.tick()
        assert centre(live.windows.grab(), 32, 20) == COLOURS[1][0]
        assert len(live.latencies) >= 5
        for key in ("Escape", "q"):
            inject(live.windows, key)
        assert live.presenter.quit
    finally:
        live.close()


def test_per_projector_windows_each_get_their_projector(room):
    live = Live(Path("unused.yaml"), room, synthetic(room), (256, 128), "per-projector", offscreen=True)
    try:
        live.tick()
        assert len(live.windows.windows) == 3
        for i in range(3):
            assert centre(live.windows.grab(i), 32, 20) == COLOURS[0][i]
        inject(live.windows, "space", window=2)  # a key in any window drives them all
        live.tick()
        for i in range(3):
            assert centre(live.windows.grab(i), 32, 20) == COLOURS[1][i]
    finally:
        live.close()


def test_crossfade_passes_through_a_mix(room):
    live = Live(Path("unused.yaml"), room, synthetic(room, transition_ms=200), (256, 128), "span", offscreen=True)
    try:
        t0 = time.perf_counter()
        live.tick(t0)
        inject(live.windows, "Right")
        live.tick(t0 + 0.001)  # fade starts
        live.tick(t0 + 0.100)  # half way
        r, g, b = centre(live.windows.grab(), 32, 20)
        assert 200 < r < 250 and 60 < g < 200 and b < 30  # between (200,30,30) and (250,250,0)
        live.tick(t0 + 0.300)  # done
        assert centre(live.windows.grab(), 32, 20) == COLOURS[1][0]
    finally:
        live.close()


def test_key_presses_are_logged(room, caplog):
    live = Live(Path("unused.yaml"), room, synthetic(room), (256, 128), "span", offscreen=True)
    try:
        with caplog.at_level(logging.INFO, logger="bridge.show"):
            inject(live.windows, "Next")
            inject(live.windows, "f")
        assert "key Next: step 2" in caplog.text and "step 2: Step 2" in caplog.text and "key f: frozen" in caplog.text
    finally:
        live.close()


def test_patterns_as_show_steps(tmp_path, monkeypatch):
    """`bridge launch --patterns`: the four calibration patterns as steps of a show."""
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    from bridge.calibration import PATTERNS
    from bridge.prepare import prepare_patterns
    from bridge.room import load_room

    room = load_room("rehearsal")
    prepared = prepare_patterns(room, (1024, 512))
    assert prepared.step_count == len(PATTERNS) and prepared.watched == []
    blend = prepared.frames[0][PATTERNS.index("blend")]
    assert blend.shape == (800, 1280, 3) and blend[400, 640].min() == 255 and blend[400, 0].max() < 40
    ids = prepared.frames[1][PATTERNS.index("ids")]
    assert (ids[250:450, 540:740].max(axis=-1) > 100).sum() > 300  # projector 2's number at its centre


def test_launch_needs_a_scene_or_patterns():
    import os
    import subprocess
    import sys

    env = dict(os.environ, DISPLAY=":987")
    for args in ([], ["scenes/finding-dave.yaml", "--patterns"]):
        result = subprocess.run([sys.executable, "-m", "bridge", "launch", *args], capture_output=True, text=True, env=env)
        assert result.returncode == 2 and "--patterns" in result.stderr and "Traceback" not in result.stderr


def test_an_edit_re_renders_only_the_steps_it_touches(workdir, monkeypatch):
    import json

    import numpy as np

    from bridge.prepare import cache_root, content_key, load_cached, render_to_cache
    from bridge.room import load_room
    from tests.conftest import write_scene

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    text = """
title: Edits
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
panels:
  - {id: a, type: text, text: Alpha, yaw: 0, width: 30, height: 10}
  - {id: b, type: text, text: Beta, yaw: 72, width: 30, height: 10}
steps:
  - {title: One, show: [a], notes: first}
  - {title: Two, show: [b]}
  - {title: Three, show: [a, b]}
"""
    room, size = load_room("rehearsal"), (1024, 512)
    scene = write_scene(workdir, text)

    def prepare_now():
        key, watched = content_key(scene, room, size)
        key = render_to_cache(scene, room, size, key)
        meta = json.loads((cache_root() / key / "meta.json").read_text())
        return load_cached(key, watched), meta["rendered"]

    first, rendered = prepare_now()
    assert rendered == [0, 1, 2]
    scene.write_text(scene.read_text().replace("text: Beta", "text: Gamma"))
    second, rendered = prepare_now()
    assert rendered == [1, 2]  # step 1 shows only panel a: copied, not rendered
    assert np.array_equal(first.frames[0][0], second.frames[0][0])
    assert not np.array_equal(first.frames[1][1], second.frames[1][1])
    scene.write_text(scene.read_text().replace("notes: first", "notes: changed"))
    third, rendered = prepare_now()
    assert rendered == [] and third.notes[0] == "changed"
