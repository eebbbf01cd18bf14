"""Live answers (bridge/show/answer.py): a redrawn flat panel pasted into the frame lands where the
3D renderer puts it, and the warm worker redraws only the panels a parameter reaches."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.backend import use_offscreen
from bridge.geometry import panel_extent
from bridge.render.briefing import load_briefing
from bridge.show.answer import _Worker, is_flat, paste_panel
from tests.conftest import write_scene


def _card(h=300, w=400):
    """A picture with structure in both directions: coloured quadrants and a white frame."""
    image = np.zeros((h, w, 3), np.uint8)
    image[: h // 2, : w // 2] = (200, 40, 40)
    image[: h // 2, w // 2:] = (40, 200, 40)
    image[h // 2:, : w // 2] = (40, 40, 200)
    image[h // 2:, w // 2:] = (220, 220, 60)
    image[:12], image[-12:], image[:, :12], image[:, -12:] = 255, 255, 255, 255
    return image


@pytest.mark.parametrize("yaw, pitch", [(30, 25), (178, -20)], ids=["high-up", "across-the-back-seam"])
def test_a_pasted_panel_matches_the_3d_render(yaw, pitch):
    from bridge.render.panorama import EquirectRenderer

    use_offscreen()
    width, height = 2048, 1024
    card = _card()
    with EquirectRenderer(width, height) as renderer:
        renderer.add_panel("p", yaw, pitch, 40, 30, card)
        rendered = renderer.render(["p"])
        empty = renderer.render([])
    pasted = empty.copy()
    paste_panel(pasted, card, panel_extent(yaw, pitch, 40, 30))
    diff = np.abs(pasted.astype(int) - rendered.astype(int)).max(axis=-1)
    covered = (rendered.astype(int) - empty.astype(int)).any(axis=-1)
    assert covered.sum() > 30_000  # the panel is there
    assert (diff > 40).mean() < 0.0006, (diff > 40).sum()  # only edge pixels differ by much (2 rows off: 0.0015)
    assert diff[covered].mean() < 4


SCENE = """
title: Answers
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
params:
  area: {type: choice, values: [Shropshire 027A, Shropshire 027B], all: The county}
panels:
  - {id: k, type: kpi, value: 'sum(people.total, where=areas.lsoa21_name == params.area)', label: '{params.area}', yaw: 0, width: 30, height: 14}
  - {id: m, type: map, colour: people.total, yaw: 72, width: 40, height: 30}
  - {id: x, type: extruded, colour: 'people.total * (areas.lsoa21_name != params.area)', yaw: -72, width: 40, height: 30}
steps:
  - {title: One, show: [k, m], highlight: [m]}
  - {title: Two, show: [x, k]}
"""


@pytest.mark.slow
def test_the_worker_pastes_flat_panels_renders_3d_ones_and_leaves_the_rest(workdir, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    use_offscreen()
    worker = _Worker(write_scene(workdir, SCENE), "rehearsal", (1024, 512))
    worker.warm(0)
    before = worker.frames[0].copy()
    answer = worker.answer(1, {"area": "Shropshire 027A"}, 0)
    assert answer.how == "pasted 1 panel(s)" and answer.step == 0
    assert "1,801 Shropshire 027A." in answer.text  # the watch page's text reads the new value (the KPI's label)
    after = worker.frames[0]
    moved = (before != after).any(axis=-1)
    cols = np.flatnonzero(moved.any(axis=0))
    assert cols.min() >= 1024 * (180 - 16) / 360 and cols.max() <= 1024 * (180 + 16) / 360  # only the KPI's rectangle
    # The KPI is dimmed (the step highlights the map), as the renderer dims it.
    full = worker._render(0, worker._view(worker._values(0, {"area": "Shropshire 027A"})))
    assert np.abs(full.astype(int) - after.astype(int)).max(axis=-1).mean() < 1.5
    assert 0 < len(answer.images) < len(worker.compositor.lookups) + 1
    again = worker.answer(2, {"area": "Shropshire 027A"}, 0)
    assert again.how == "unchanged" and again.images == {}  # nothing changed: no pictures sent
    three_d = worker.answer(3, {"area": "Shropshire 027B"}, 1)
    assert three_d.how == "rendered"
    assert is_flat(load_briefing(write_scene(workdir, SCENE)).scene.panels[0])


KILLED_SHOW = """
import sys, time
from pathlib import Path
from bridge.show.answer import Answerer
from bridge.room.load import load_room

if __name__ == "__main__":
    worker = Answerer(Path(sys.argv[1]), load_room("rehearsal"), (512, 256))
    print(worker.process.pid, flush=True)
    time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")  # a zombie has let go of everything
    except OSError:
        return True


@pytest.mark.slow
def test_a_killed_show_leaves_no_answering_worker_behind(workdir):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    (workdir / "show.py").write_text(KILLED_SHOW)
    show = subprocess.Popen([sys.executable, str(workdir / "show.py"), str(write_scene(workdir, SCENE))],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(show.stdout.readline())
        time.sleep(4)  # the worker has started and asked to die with the show
        assert not _gone(pid)
        show.send_signal(signal.SIGKILL)  # no clean-up code runs in the show
        show.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(pid), "the answering worker outlived the killed show"
    finally:
        show.kill()
