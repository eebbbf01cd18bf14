"""Data that refreshes during a show (bridge/show/refresh.py, bridge/show/reloads.py): a dataset's
`refresh:` re-read on a timer or when its file changes, only the steps that read it prepared again,
a failed re-read keeping the last good picture, and "data as of" on the console and the watch page."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from bridge.errors import BridgeError
from bridge.scene.model import load_scene
from bridge.show.refresh import datasets_read, reread, step_datasets
from tests.conftest import write_scene
from tests.show_helpers import synthetic, tiny_room

SCENE = """
title: Refreshing
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  tally: {path: data/tally.csv, join: false, refresh: 1s}
panels:
  - {id: total, type: kpi, data: tally, value: 'sum(n)', label: calls today, yaw: 0, width: 40, height: 14}
  - {id: note, type: text, text: Hello, yaw: 120, width: 30, height: 10}
  - {id: people, type: text, text: Areas, yaw: -120, width: 30, height: 10}
steps:
  - {title: Calls, show: [total]}
  - {title: Note, show: [note]}
  - {title: Areas, show: [people]}
"""


def _scene(workdir: Path, n: int = 111) -> Path:
    (workdir / "data" / "tally.csv").write_text(f"team,n\nnorth,{n}\nsouth,0\n")
    return write_scene(workdir, SCENE)


def _rewrite_keeping_mtime(path: Path, text: str) -> None:
    """A change the file watcher cannot see (same size, same time): only the timer finds it."""
    before = path.stat()
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_refresh_takes_seconds_minutes_hours_or_minutes_as_a_number(workdir):
    for written, seconds in [("30s", 30), ("5m", 300), ("1h", 3600), ("2", 120), ("1.5 min", 90)]:
        scene = write_scene(workdir, SCENE.replace("refresh: 1s", f"refresh: {written}"))
        assert load_scene(scene)[0].datasets["tally"].refresh == seconds, written
    for bad, says in [("0.5s", "outside 1 s to 24 h"), ("soon", "is not a duration"), ("2d", "is not a duration")]:
        scene = write_scene(workdir, SCENE.replace("refresh: 1s", f"refresh: {bad}"))
        with pytest.raises(BridgeError) as info:
            load_scene(scene)
        assert "scene.yaml:4" in str(info.value) and "refresh" in str(info.value) and says in str(info.value)


def test_each_step_reads_the_datasets_its_panels_name(workdir):
    """The kpi on `tally` reads tally (and the base); the text panels read no refreshing dataset."""
    _, doc = load_scene(_scene(workdir))
    steps = step_datasets(doc.data)
    assert ["tally" in s for s in steps] == [True, False, False]
    assert all("areas" in s for s in steps)  # every table is aligned to the base's rows


def test_a_dataset_read_through_a_measure_brackets_or_a_parameter_counts():
    raw = {"datasets": {"areas": {}, "homes": {}, "wards": {}, "other": {}},
           "derive": {"cold": 'homes["Fuel poor (%)"] * 1', "colder": "cold * 2"},
           "params": {"ward": {"type": "choice", "column": "wards.name"}}}
    assert datasets_read(raw, {"id": "m", "type": "map", "colour": "colder"}) == {"areas", "homes"}
    assert datasets_read(raw, {"id": "k", "type": "kpi", "value": "count(where=areas.ward == params.ward)"}) \
        == {"areas", "wards"}  # the parameter's values come from wards
    assert datasets_read(raw, {"id": "t", "type": "text", "text": "other people"}) == {"areas"}  # a word, not a read


def test_reread_uses_the_normal_data_load_and_reports_a_broken_file(workdir):
    scene = _scene(workdir)
    first = reread(scene, ["tally"])
    _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\nnorth,222\nsouth,0\n")
    assert reread(scene, ["tally"])["tally"] != first["tally"]
    (workdir / "data" / "tally.csv").write_bytes(b"\x00\xff\x00garbage")
    with pytest.raises(BridgeError) as info:
        reread(scene, ["tally"])
    assert "tally.csv" in str(info.value)


class _Worker:
    """Stands in for the answering worker (bridge/show/answer.py): records refreshes, hands back answers."""

    def __init__(self, alive: bool):
        self.alive, self.asked = alive, 0
        self.refreshes: list[tuple[list[int], list[str]]] = []
        self.answers: list = []

    def warm(self, steps):
        pass

    def refresh(self, chosen, steps, datasets):
        self.asked += 1
        self.refreshes.append((list(steps), list(datasets)))
        return self.asked

    def poll(self):
        found, self.answers = self.answers, []
        return found

    def close(self):
        pass


def _live(workdir, room, scene, digests, read_at, worker=None):
    """An offscreen show of synthetic frames whose entry says which data they were drawn from; its
    answering worker a stand-in (none alive unless given)."""
    from bridge.show import answer
    from bridge.show.live import Live

    folder = workdir / "entry"
    folder.mkdir(exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"read_at": read_at, "data": digests}))
    prepared = synthetic(room, watched=[scene.resolve(), (workdir / "data" / "tally.csv").resolve()])
    prepared.folder = folder
    real, answer.Answerer = answer.Answerer, lambda *args: worker or _Worker(alive=False)
    try:
        return Live(scene, room, prepared, (256, 128), "span", offscreen=True, poll_interval=0.05)
    finally:
        answer.Answerer = real


def _tick_until(live, done, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < end, "timed out"
        live.tick()
        time.sleep(0.01)


def test_a_failed_refresh_keeps_the_last_good_picture_and_says_why(workdir, tmp_path):
    from bridge.show.console import render
    from bridge.web.protocol import role_state

    scene = _scene(workdir)
    room = tiny_room(tmp_path)
    read_at = time.mktime((2026, 1, 5, 9, 41, 0, 0, 0, -1))
    live = _live(workdir, room, scene, reread(scene, ["tally", "areas"]), read_at)
    try:
        live.tick()
        before = live.windows.grab().copy()
        asked = []
        live.reloads.preparer.request = lambda reason, chosen=None, fresh=False: asked.append(reason)
        assert live.web_state()["data_as_of"] == "09:41"
        assert role_state(live.web_state(), "watch")["data_as_of"] == "09:41"  # the watch page is told
        assert "data as of 09:41" in _text(render(live))
        _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\n\"north,1\n")  # an unclosed quote
        live.reloads.refresh.due_at["tally"] = 0
        _tick_until(live, lambda: live.reloads.refresh.rereads == 1)
        assert asked == []  # nothing prepared: the picture stays
        assert live.status.startswith("refresh failed") and "kept the last good picture" in live.status
        assert any("tally.csv" in str(p) for p in live.problems)
        shown = _text(render(live))
        assert "tally.csv" in shown and "data as of 09:41" in shown  # the console says why, and how old the data is
        live.tick()
        assert np.array_equal(live.windows.grab(), before)
    finally:
        live.close()


def test_a_refresh_timer_reads_a_file_whose_change_no_watcher_could_see(workdir, tmp_path):
    """The timer re-reads regardless of the file's time; a change asks for fresh frames, no change moves "as of" on."""
    scene = _scene(workdir)
    room = tiny_room(tmp_path)
    live = _live(workdir, room, scene, reread(scene, ["tally", "areas"]), time.time() - 3600)
    try:
        asked = []
        live.reloads.preparer.request = lambda reason, chosen=None, fresh=False: asked.append((reason, fresh))
        old = live.reloads.data_as_of()
        live.reloads.refresh.due_at["tally"] = 0
        _tick_until(live, lambda: live.reloads.refresh.rereads == 1)
        assert asked == [] and live.reloads.data_as_of() == time.strftime("%H:%M") != old  # unchanged: as of now
        _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\nnorth,999\nsouth,0\n")
        live.reloads.refresh.due_at["tally"] = 0
        _tick_until(live, lambda: live.reloads.refresh.rereads == 2)
        assert asked == [("new data in tally (refresh: tally)", False)]  # a file's bytes are in the cache's key
    finally:
        live.close()


def _refresh_through(live, workdir, worker) -> list:
    """Change tally behind the watcher's back and let the timer find it; the preparations asked for."""
    asked = []
    live.reloads.preparer.request = lambda reason, chosen=None, fresh=False: asked.append((reason, fresh))
    live.tick()
    _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\nnorth,999\nsouth,0\n")
    live.reloads.refresh.due_at["tally"] = 0
    _tick_until(live, lambda: live.reloads.refresh.rereads == 1)
    assert worker.refreshes == [([0], ["tally"])]  # only the step reading tally, to the warm worker
    assert asked == [] and live.status.startswith("drawing new data in tally")  # nothing prepared yet
    return asked


def test_new_data_goes_to_the_answering_worker_and_its_picture_replaces_the_step(workdir, tmp_path):
    """The worker's answer for the refreshed step is on the walls at once, "as of" moves on, and the
    preparer then writes the steps' frames to the cache in the background."""
    from bridge.show.answer import Answer

    scene = _scene(workdir)
    room = tiny_room(tmp_path)
    worker = _Worker(alive=True)
    live = _live(workdir, room, scene, reread(scene, ["tally", "areas"]), time.time() - 3600, worker)
    try:
        old_digest = live.reloads.refresh.digests["tally"]
        asked = _refresh_through(live, workdir, worker)
        before = live.windows.grab().copy()
        image = np.full((room.projectors[0].height, room.projectors[0].width, 3), 77, np.uint8)
        worker.answers.append(Answer(ask=1, step=0, images={0: image}, how="pasted 1 panel(s)"))
        live.tick()
        assert live.reloads.refreshes_shown == 1 and live.status == "ready"
        assert not np.array_equal(live.windows.grab(), before) and (live.windows.grab() == 77).all(axis=-1).any()
        assert live.reloads.data_as_of() == time.strftime("%H:%M")
        assert live.reloads.refresh.digests["tally"] != old_digest  # the next re-read compares with the new data
        assert asked == [("new data in tally (refresh: tally)", False)]  # the cache, in the background
        assert live.reloads.count == 0  # nothing swapped: the worker's picture is what the room shows
    finally:
        live.close()


def test_a_refresh_the_worker_cannot_draw_is_prepared_again_in_a_child(workdir, tmp_path):
    """A worker that fails (or meets a 3D panel) hands the refresh back: the steps are prepared instead,
    and the walls keep their picture until then."""
    from bridge.show.answer import Answer

    scene = _scene(workdir)
    room = tiny_room(tmp_path)
    worker = _Worker(alive=True)
    live = _live(workdir, room, scene, reread(scene, ["tally", "areas"]), time.time() - 3600, worker)
    try:
        asked = _refresh_through(live, workdir, worker)
        before = live.windows.grab().copy()
        worker.answers.append(Answer(ask=1, crash="Traceback: boom", fallback="redrawing the new data failed"))
        live.tick()
        assert asked == [("new data in tally (refresh: tally)", False)]
        assert live.reloads.refreshes_shown == 0 and live.answers.refreshing is None
        assert np.array_equal(live.windows.grab(), before)
    finally:
        live.close()


def test_a_worker_that_dies_while_drawing_new_data_hands_it_to_the_preparation(workdir, tmp_path):
    scene = _scene(workdir)
    room = tiny_room(tmp_path)
    worker = _Worker(alive=True)
    live = _live(workdir, room, scene, reread(scene, ["tally", "areas"]), time.time() - 3600, worker)
    try:
        asked = _refresh_through(live, workdir, worker)
        worker.alive = False  # killed (out of memory?) before answering
        live.tick()
        assert ("new data in tally (refresh: tally)", False) in asked
        assert live.answers.answerer is None and live.answers.refreshing is None
    finally:
        live.close()


REFRESH_TWO = SCENE.replace("  - {title: Calls, show: [total]}", "  - {title: Calls, show: [total, note]}")


@pytest.mark.slow
def test_the_worker_redraws_only_the_panels_reading_the_refreshed_dataset(workdir, monkeypatch):
    """In the real worker: after new data in tally, the step's KPI (reading tally) is drawn again and
    pasted; the text beside it is not drawn, and its part of the frame does not change."""
    from bridge.backend import use_offscreen
    from bridge.data import tables
    from bridge.render.pipeline import PanelArt
    from bridge.show.answer import _Worker as Worker

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    monkeypatch.setattr(tables, "_kept_tables", None)  # the worker keeps tables in this process: not after the test
    use_offscreen()
    _scene(workdir)
    worker = Worker(write_scene(workdir, REFRESH_TWO), "rehearsal", (1024, 512))
    worker.warm(0)
    before = worker.frames[0].copy()
    drawn: list[str] = []
    image = PanelArt.image
    monkeypatch.setattr(PanelArt, "image", lambda self, pid, *a, **k: (drawn.append(pid), image(self, pid, *a, **k))[1])
    _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\nnorth,987\nsouth,0\n")
    assert worker.answer(1, {}, 0).how == "unchanged"  # the kept table: no re-read, nothing drawn
    worker.reload({"tally"})
    assert [worker.cannot_paste(s) for s in (0, 1, 2)] == [None] * 3
    answer = worker.answer(2, {}, 0)
    assert drawn == ["total"] and answer.how == "pasted 1 panel(s)" and answer.images
    assert any("987" in line for line in answer.text) and not any("111" in line for line in answer.text)
    moved = (before != worker.frames[0]).any(axis=-1)
    cols = np.flatnonzero(moved.any(axis=0))
    assert len(cols) and cols.min() >= 1024 * (180 - 21) / 360 and cols.max() <= 1024 * (180 + 21) / 360  # the KPI only
    assert worker.answer(3, {}, 0).how == "unchanged"  # drawn once


def _text(renderable) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(renderable)
    return console.export_text()


def _rendered(prepared) -> list[int]:
    return json.loads((prepared.folder / "meta.json").read_text())["rendered"]


@pytest.mark.slow
def test_a_refreshed_dataset_is_shown_by_the_steps_that_read_it_and_only_they_are_prepared(workdir, tmp_path, monkeypatch):
    """The whole path in an offscreen show: the timer re-reads a file changed behind the watcher's
    back, the answering worker redraws the step reading it (its picture on the walls before any
    preparation), then that step only is rendered again for the cache and swapped in."""
    from bridge.show.live import Live
    from bridge.show.preparer import prepare

    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    scene = _scene(workdir, n=111)
    room = tiny_room(tmp_path)
    size = (512, 256)
    prepared = prepare(scene, room, size)
    assert any("111" in line for line in prepared.texts[0])
    live = Live(scene, room, prepared, size, "span", offscreen=True, poll_interval=0.05)
    try:
        live.tick()
        before = [np.array(f) for f in prepared.frames]
        shown_before = live.windows.grab().copy()
        _rewrite_keeping_mtime(workdir / "data" / "tally.csv", "team,n\nnorth,987\nsouth,0\n")
        _tick_until(live, lambda: live.reloads.refreshes_shown == 1, seconds=120)
        assert live.reloads.count == 0 and live.answers.step_pictures == {0: 1}  # the worker's picture, nothing swapped
        live.tick()
        assert not np.array_equal(live.windows.grab(), shown_before)
        assert any("987" in line for line in live.answers.texts[0])  # the watch page reads the new value
        _tick_until(live, lambda: live.reloads.count == 1, seconds=120)
        after = live.prepared
        assert any("987" in line for line in after.texts[0]) and not any("111" in line for line in after.texts[0])
        assert _rendered(after) == [0]  # the steps not reading tally were copied, not rendered
        assert not np.array_equal(before[0][0], after.frames[0][0])
        assert all(np.array_equal(before[i][s], after.frames[i][s]) for i in range(3) for s in (1, 2))
        live.tick()
        assert not np.array_equal(live.windows.grab(), shown_before)  # the room shows the new value
        assert live.reloads.data_as_of() == time.strftime("%H:%M")
    finally:
        live.close()


def test_new_frames_of_the_step_on_the_walls_cross_fade_in_never_through_black(tmp_path):
    """The swap after a refresh (or an edit) fades from the picture on the walls to the new one
    when the scene cross-fades; the room is never dark on the way."""
    from bridge.show.live import Live
    from tests.show_helpers import COLOURS, centre

    room = tiny_room(tmp_path)
    old = synthetic(room, transition_ms=400)
    swapped = [row[::-1] for row in COLOURS]
    new = synthetic(room, colours=swapped, transition_ms=400)
    live = Live(Path("fade.yaml"), room, old, (256, 128), "span", offscreen=True)
    try:
        live.tick()
        live.reloads._incoming = (new, live.windows.texture_builder(new))
        while live.reloads.count == 0:
            assert not live.reloads.upload()  # a fade started: it draws itself
        assert live.windows.fade is not None
        start = live.windows.fade[0]
        seen = []
        for t in (0.1, 0.2, 0.3):
            live.windows.advance_fade(start + t)
            live.windows.render()
            seen.append(centre(live.windows.grab(), 32, 20))
        assert all(min(p) > 0 and sum(p) > 150 for p in seen), seen  # never black
        assert seen[0][0] > seen[-1][0] and seen[0][2] < seen[-1][2]  # red fading to blue on projector 1
        live.windows.advance_fade(start + 1.0)
        live.windows.render()
        assert centre(live.windows.grab(), 32, 20) == swapped[0][0]
    finally:
        live.close()


def test_the_worker_leaves_a_step_drawing_new_data_in_3d_to_the_preparation(workdir, monkeypatch):
    """A refreshed dataset read by an extruded map cannot be pasted: the worker says so for that step
    (the show's preparation draws it), and pastes the step of flat panels."""
    from bridge.data import tables
    from bridge.show.answer import _Worker as Worker
    from tests.test_answer import SCENE as ASKING

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    monkeypatch.setattr(tables, "_kept_tables", None)  # the worker keeps tables in this process: not after the test
    worker = Worker(write_scene(workdir, ASKING), "rehearsal", (1024, 512))
    assert [worker.cannot_paste(s) for s in (0, 1)] == [None, None]  # nothing refreshed yet
    worker.reload({"people"})
    assert worker.cannot_paste(0) is None  # a KPI and a map: pasted
    assert worker.cannot_paste(1) == "step 2's panel x is drawn in 3D"
