"""The running show (bridge/show/live.py) offscreen: keys injected as VTK events swap the prepared frames."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from bridge.show.live import Live
from tests.show_helpers import COLOURS, centre, inject, synthetic, tiny_room


@pytest.fixture
def room(tmp_path: Path):
    return tiny_room(tmp_path)


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


LIVE_SCENE = """
title: Live questions
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
params:
  area: {type: choice, values: [Shropshire 027A], all: The county}
  above: {type: number, min: 0, max: 100000, step: 50000}
panels:
  - {id: k, type: kpi, value: 'sum(people.total, where=areas.lsoa21_name == params.area)', yaw: 0, width: 40, height: 30}
  - {id: m, type: map, colour: 'people.total / (people.total > params.above)', yaw: 72, width: 40, height: 30}
steps:
  - {title: One, show: [k, m]}
"""


def _until(live, done, seconds=90.0):
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        live.tick()
        time.sleep(0.02)
    assert done(), live.status


@pytest.mark.slow
def test_a_parameter_key_re_renders_and_a_value_the_data_cannot_answer_keeps_the_last_picture(workdir, monkeypatch, caplog):
    from bridge.room.load import load_room
    from bridge.show.preparer import prepare

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    scene = workdir / "scene.yaml"
    scene.write_text(LIVE_SCENE)
    room, size = load_room("rehearsal"), (512, 256)
    live = Live(scene, room, prepare(scene, room, size), size, "span", offscreen=True)
    try:
        with caplog.at_level(logging.INFO, logger="bridge.show"):
            live.tick()
            before = live.windows.grab().copy()
            assert live.presenter.values() == {"area": "all", "above": 0.0}
            inject(live.windows, "plus")  # area: all -> Shropshire 027A
            assert live.presenter.values()["area"] == "Shropshire 027A"
            _until(live, lambda: live.answered == {"area": "Shropshire 027A"} and not live.answer_latencies == [])
            live.tick()
            after = live.windows.grab()
            assert not np.array_equal(before, after)  # the KPI now counts one area
            inject(live.windows, "Tab")
            inject(live.windows, "plus")  # above: 50000 leaves the map no value at all
            _until(live, lambda: bool(live.problems))
            assert "every value is missing" in str(live.problems[0])
            assert live.status == "kept the last good picture"
            assert live.presenter.values()["above"] == 0.0  # the console says what the room shows
            live.tick()
            assert np.array_equal(live.windows.grab(), after)
        assert any("parameters: area=Shropshire 027A" in r.getMessage() for r in caplog.records)
    finally:
        live.close()
