"""`bridge preview` (bridge/preview/): the overlay's geometry against the room's formulas, the
preview's routes and their security, and the warm drawer redrawing only what a save touches."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bridge.preview.app import PreviewPages
from bridge.preview.describe import panel_lines
from bridge.preview.overlay import band, panel_box, projector_outline, room_overlay, seams
from bridge.preview.session import PreviewLink
from bridge.room.load import load_room
from bridge.scene.yaml_source import load_yaml
from bridge.web.app import WebApp
from bridge.web.protocol import Tokens

# -- the overlay, against the analytic formula -------------------------------------------------


def test_the_band_of_a_cylinder_room_is_its_wall_seen_from_the_eye():
    room = load_room("bridge")  # radius 3 m, wall 2.4 m high, eye at 1.6 m
    top, bottom = math.degrees(math.atan(0.8 / 3)), math.degrees(math.atan(-1.6 / 3))
    (polygon,) = band(room)
    ys = sorted({y for _, y in polygon})
    assert ys == pytest.approx([90 - top, 90 - bottom], abs=1e-3)
    xs = [x for x, _ in polygon]
    assert min(xs) == 0 and max(xs) == 360  # all round


def test_each_projector_area_is_its_yaw_span_over_the_band():
    room = load_room("bridge")
    front = room.projectors[0]  # yaw 0, 84° wide
    outline = projector_outline(front)
    xs, ys = [x for x, _ in outline], [y for _, y in outline]
    assert (min(xs), max(xs)) == pytest.approx((180 - 42, 180 + 42), abs=1e-3)
    assert (min(ys), max(ys)) == pytest.approx((90 - math.degrees(math.atan(0.8 / 3)),
                                                90 + math.degrees(math.atan(1.6 / 3))), abs=1e-3)
    back_left = room.projectors[3]  # yaw -144: -186..-102 runs past the left edge, so a copy a turn on shows too
    shapes = room_overlay(room)["projectors"][3]["shapes"]
    assert len(shapes) == 2 and min(x for x, _ in shapes[0]) == pytest.approx(180 - 186, abs=1e-3)
    assert min(x for x, _ in shapes[1]) == pytest.approx(360 + 180 - 186, abs=1e-3)
    assert back_left.span == 84


def test_blend_seams_are_where_neighbours_overlap():
    room = load_room("bridge")
    found = seams(room)
    assert len(found) == 5
    front_and_right = next(s for s in found if s["what"] == "projectors 1 and 2")
    xs = [x for x, _ in front_and_right["shapes"][0]]
    assert (min(xs), max(xs)) == pytest.approx((180 + 30, 180 + 42), abs=1e-3)  # 72 - 42 .. 0 + 42


def test_a_panel_box_is_its_yaw_and_pitch_extent_and_wraps_round():
    (box,) = panel_box(10, 5, 40, 20)
    assert box == [[170, 75], [210, 75], [210, 95], [170, 95]]
    shapes = panel_box(170, 0, 30, 10)  # 155..185: past +180
    assert len(shapes) == 2 and shapes[1][0][0] == pytest.approx(335 - 360)


def test_a_flat_room_band_is_lower_at_a_walls_ends(tmp_path):
    room = load_room("pentagon")
    (polygon,) = band(room)
    tops = {round(x): y for x, y in polygon[:len(polygon) // 2]}
    facing = room.projectors[0].yaw_centre + 180
    assert tops[round(facing)] < tops[round(facing + 30)]  # the top edge is seen lower off the wall's centre


def test_a_panels_yaml_lines_run_to_the_next_key(tmp_path):
    scene = tmp_path / "s.yaml"
    scene.write_text("title: T\npanels:\n  - id: a\n    type: text\n    text: |\n      one\n      two\n\n"
                     "  - {id: b, type: text, text: hi}\nsteps: []\n")
    doc = load_yaml(scene)
    text = scene.read_text().splitlines()
    assert panel_lines(doc, 0, text) == (3, 7)  # its block of text included, the blank line not
    assert panel_lines(doc, 1, text) == (9, 9)


# -- the routes, with a stand-in for the worker --------------------------------------------------


class FakePreview:
    """What the routes read of a preview, with no drawing process."""

    def __init__(self):
        self.room = load_room("bridge")
        self.web = PreviewLink(self)
        self.view = b"\xff\xd8view"
        self.rooms: list[bytes] = []
        self.commands: list[tuple] = []
        self.web.publish({"title": "T", "steps": 2, "titles": ["a", "b"], "shown_step": 1, "frame": 1, "params": [],
                          "preview": {"panels": [], "problems": [], "errors": []}})

    def command(self, action, args):
        self.commands.append((action, args))

    def room_image(self, k):
        return self.rooms[k] if 0 <= k < len(self.rooms) else None


@pytest.fixture
def served():
    preview, tokens = FakePreview(), Tokens.new()
    webapp = WebApp(preview, tokens)
    webapp.app.router.routes[0:0] = PreviewPages(preview, tokens, remote=False).routes()
    with TestClient(webapp.app, base_url="http://127.0.0.1:8123") as client:
        yield client, preview, tokens


def test_the_page_needs_the_token_and_is_served_with_the_shows_security_headers(served):
    client, _, tokens = served
    assert client.get("/").status_code == 403
    assert client.get("/?token=" + tokens.watch).status_code == 403  # the watch token only looks
    page = client.get("/?token=" + tokens.control)
    assert page.status_code == 200 and b"preview.js" in page.content and b"watch.js" in page.content
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"


def test_a_request_for_another_host_name_is_refused(served):
    client, _, tokens = served
    response = client.get("/?token=" + tokens.control, headers={"host": "evil.example:8123"})
    assert response.status_code == 403 and "127.0.0.1" in response.text
    assert client.get("/?token=" + tokens.control, headers={"host": "localhost:8123"}).status_code == 200


def test_static_files_come_from_a_fixed_map(served):
    client, _, _ = served
    assert client.get("/preview/static/preview.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/preview/static/preview.html").status_code == 404
    assert client.get("/preview/static/..%2Fapp.py").status_code == 404
    assert client.get("/static/watch.js").status_code == 200  # the watch page's viewer, reused


def test_overlay_and_projector_images(served):
    client, preview, tokens = served
    assert client.get("/preview/overlay.json").status_code == 403
    overlay = client.get("/preview/overlay.json?token=" + tokens.control).json()
    assert len(overlay["projectors"]) == 5 and len(overlay["seams"]) == 5 and overlay["band"]
    assert client.get(f"/preview/room/0?token={tokens.control}").status_code == 404
    preview.rooms = [b"\xff\xd8one", b"\xff\xd8two"]
    image = client.get(f"/preview/room/1?token={tokens.control}")
    assert image.status_code == 200 and image.content == b"\xff\xd8two" and image.headers["content-type"] == "image/jpeg"
    assert client.get(f"/view.jpg?token={tokens.control}").content == b"\xff\xd8view"


def test_the_websocket_pushes_the_state_and_takes_step_commands(served):
    client, preview, tokens = served
    with client.websocket_connect(f"/ws?token={tokens.control}") as ws:
        message = json.loads(ws.receive_text())
        assert message["type"] == "state" and message["state"]["preview"]["errors"] == []
        ws.send_text(json.dumps({"do": "go", "step": 2}))
        assert json.loads(ws.receive_text()) == {"type": "ok", "do": "go"}
        ws.send_text(json.dumps({"do": "go", "step": 3}))  # checked against the state: there is no step 3
        assert json.loads(ws.receive_text())["type"] == "error"
    assert preview.commands == [("go", (2,))]


# -- the warm drawer -----------------------------------------------------------------------------

SCENE = """
title: Preview
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
panels:
  - {id: left, type: text, title: Left, text: One, yaw: -40, pitch: 0, width: 30, height: 14}
  - {id: right, type: text, title: Right, text: Two, yaw: 40, pitch: 0, width: 30, height: 14}
steps:
  - {title: Both, show: [left, right]}
"""


@pytest.mark.slow
def test_a_saved_title_redraws_that_panel_only_and_a_broken_file_keeps_the_last_picture(workdir: Path):
    import numpy as np

    from bridge.preview.draft import Draft
    from bridge.preview.worker import _answer
    from bridge.room.compositor import Compositor

    scene = workdir / "scene.yaml"
    scene.write_text(SCENE)
    room = load_room("bridge")
    draft, compositor, errors = Draft(scene, room, (1024, 512)), Compositor(room, 1024, 512), []
    first = _answer(draft, compositor, 1, 0, {}, True, errors)
    assert first["how"] == "rendered" and first["errors"] == [] and first["frame"].shape == (512, 1024, 3)
    before = draft.shots[0].frame.copy()
    scene.write_text(SCENE.replace("title: Right", "title: Changed"))
    second = _answer(draft, compositor, 2, 0, {}, True, errors)
    assert second["how"] == "pasted 1 panel(s)"
    assert [p["id"] for p in second["state"]["preview"]["panels"] if p["redrawn"]] == ["right"]
    after = draft.shots[0].frame.copy()
    changed = np.argwhere((after != before).any(axis=2))
    assert changed.size and changed[:, 1].min() >= 512 + 40 / 360 * 1024 - 15 * 1024 / 360 - 2  # only the right panel
    scene.write_text(SCENE.replace("steps:", "steps: [", 1))
    broken = _answer(draft, compositor, 3, 0, {}, True, errors)
    assert "state" not in broken and broken["errors"][0]["line"] == 9 and broken["errors"][0]["file"] == str(scene)
    scene.write_text(SCENE)
    fixed = _answer(draft, compositor, 4, 0, {}, True, errors)
    assert fixed["errors"] == [] and fixed["how"] == "pasted 1 panel(s)"
    def far(frame):  # pixels that differ from the first picture by more than resampling would
        return int((np.abs(frame.astype(int) - before) > 64).any(axis=2).sum())

    assert far(draft.shots[0].frame) < far(after) / 5  # the first picture back (pasted, not captured)


def test_the_command_refuses_a_missing_scene_and_a_foreign_host(tmp_path, capsys):
    from bridge.cli import main

    assert main(["preview", str(tmp_path / "none.yaml"), "--no-browser"]) == 2
    assert "none.yaml: no such scene file" in capsys.readouterr().err
    scene = tmp_path / "s.yaml"
    scene.write_text("title: T\n")
    assert main(["preview", str(scene), "--no-browser", "--host", "10.1.2.3"]) == 2
    assert "--host" in capsys.readouterr().err
    assert main(["preview", str(scene), "--no-browser", "--size", "1000x300"]) == 2
    assert "--size" in capsys.readouterr().err


QUICK = """
title: Quick
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
panels:
  - {id: bars, type: bar, title: Most people, value: people.total, label: areas.lsoa21_name, top: 5, yaw: 0, width: 40, height: 24}
  - {id: note, type: text, text: Hello, yaw: 60, pitch: 0, width: 30, height: 10}
steps:
  - {title: One, show: [bars, note]}
"""


def test_a_save_that_changes_one_panel_is_taken_in_on_the_loaded_data(workdir: Path):
    import pickle

    from bridge.preview.quick_load import one_panel_reload
    from bridge.render.briefing import load_briefing

    scene = workdir / "scene.yaml"
    scene.write_text(QUICK)
    old = load_briefing(scene)
    scene.write_text(QUICK.replace("title: Most people, value: people.total, label: areas.lsoa21_name, top: 5",
                                   "title: Fewest people, value: people.total, label: areas.lsoa21_name, top: 3"))
    quick, full = one_panel_reload(old, scene), load_briefing(scene)
    assert quick is not None and quick.scene.panels[0].title == "Fewest people"
    assert [p.model_dump() for p in quick.scene.panels] == [p.model_dump() for p in full.scene.panels]
    assert pickle.dumps(quick.contents) == pickle.dumps(full.contents)  # the top 3, as a full load finds them
    assert quick.data.tables is old.data.tables  # no file read again
    for edit in (QUICK.replace("title: Most people", "title: A").replace("text: Hello", "text: B"),  # two panels
                 QUICK.replace("title: Quick", "title: Other"),  # not a panel
                 QUICK.replace("  - {id: note", "\n  - {id: note"),  # a key below moved to another line
                 QUICK.replace("value: people.total", "value: people.nope")):  # a mistake: the full load reports it
        scene.write_text(edit)
        assert one_panel_reload(old, scene) is None, edit
