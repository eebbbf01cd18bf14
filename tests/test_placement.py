"""Panels Bridge places (bridge/render/placement.py): on the walls, off the blend zones, in the lit
band, never over each other, in every shipped room."""

from __future__ import annotations

import textwrap

import pytest

from bridge.errors import BridgeError
from bridge.render.checks import lit_warnings, seam_warnings
from bridge.render.placement import place_panels, walls
from bridge.room.load import load_room
from bridge.scene.model import load_scene

SCENE = """\
title: Placed by Bridge
datasets:
  areas: {path: areas.csv, key: code}
panels:
  - {id: headline, type: kpi, value: sum(areas.people), title: Residents}
  - {id: chart, type: bar, value: areas.people, label: areas.code, title: People per area}
  - {id: note, type: text, text: "Three areas, one county."}
  - {id: by-hand, type: text, text: Placed by hand, yaw: 180, width: 30, height: 15}
  - {id: extra, type: bar, value: areas.people, label: areas.code, title: Again}
  - {id: more, type: kpi, value: max(areas.people), title: Largest}
steps:
  - {title: One, show: [headline]}
  - {title: Three, show: [headline, chart, note]}
  - {title: All, show: [headline, chart, note, by-hand, extra, more]}
"""


def _scene(tmp_path, text=SCENE):
    (tmp_path / "areas.csv").write_text("code,people\nE01000001,120\nE01000002,90\nE01000003,150\n")
    (tmp_path / "s.yaml").write_text(textwrap.dedent(text))
    return load_scene(tmp_path / "s.yaml")


def _overlap(a, b) -> bool:
    (ay, ap, aw, ah), (by, bp, bw, bh) = a, b
    dy = abs((ay - by + 180) % 360 - 180)
    return dy < (aw + bw) / 2 - 1e-6 and abs(ap - bp) < (ah + bh) / 2 - 1e-6


@pytest.mark.parametrize("room_name", ["bridge", "pentagon", "front-wall", "video-wall", "rehearsal"])
def test_placed_panels_are_lit_off_the_seams_and_apart(tmp_path, room_name):
    scene, doc = _scene(tmp_path)
    room = load_room(room_name)
    placed = place_panels(scene, room, doc)
    assert not any(p.auto_placed for p in placed.panels)  # every panel has its place now
    assert placed.panel("by-hand").yaw == 180  # a panel placed by hand stays where it was put
    assert seam_warnings(placed, doc, room) == []
    lit = [w for w in lit_warnings(placed, doc, room) if "by-hand" not in w.message]
    assert lit == []
    for step in placed.steps:
        boxes = {pid: (p.yaw, p.pitch, p.width, p.height) for pid in step.show if (p := placed.panel(pid)).id != "by-hand"}
        for a in boxes:
            for b in boxes:
                assert a == b or not _overlap(boxes[a], boxes[b]), (room_name, step.title, a, b)


def test_a_panel_keeps_its_first_place_and_the_first_step_fills_the_front(tmp_path):
    scene, doc = _scene(tmp_path)
    placed = place_panels(scene, load_room("bridge"), doc)
    headline = placed.panel("headline")
    assert abs(headline.yaw) < 36  # alone in the first step: on the wall straight ahead
    assert headline.height <= 20  # a single number is not stretched over a whole wall
    chart = placed.panel("chart")
    assert chart.width > 30 and chart.height > 25  # a chart gets a wall of its own to use


def test_a_panel_goes_on_the_wall_it_asks_for(tmp_path):
    text = SCENE.replace("{id: chart, type: bar,", "{id: chart, wall: 3, type: bar,")
    scene, doc = _scene(tmp_path, text)
    room = load_room("bridge")
    placed = place_panels(scene, room, doc)
    third = room.projectors[2]
    chart = placed.panel("chart")
    assert third.yaw_min < chart.yaw - chart.width / 2 and chart.yaw + chart.width / 2 < third.yaw_max + 360 * (chart.yaw < 0)


def test_a_step_on_the_front_walls_stays_in_front(tmp_path):
    text = SCENE.replace("{title: All, show:", "{title: All, layout: front, show:")
    scene, doc = _scene(tmp_path, text)
    placed = place_panels(scene, load_room("bridge"), doc)
    for pid in ("extra", "more"):
        assert abs(placed.panel(pid).yaw) <= 90 + 36, pid


def test_a_wall_the_room_lacks_is_a_located_error(tmp_path):
    text = SCENE.replace("{id: chart, type: bar,", "{id: chart, wall: 5, type: bar,")
    scene, doc = _scene(tmp_path, text)
    with pytest.raises(BridgeError) as caught:
        place_panels(scene, load_room("front-wall"), doc)
    message = str(caught.value.problems[0])
    assert "wall 5 is not a wall of this room" in message and "1, 2, 3" in message and "s.yaml:6: panels[1].wall" in message


@pytest.mark.parametrize("panel, why", [
    ("{id: a, type: text, text: x, yaw: 10}", "give both width: and height:"),
    ("{id: a, type: text, text: x, width: 10, height: 10, wall: 1}", "wall: and span: are for panels Bridge places"),
    ("{id: a, type: text, text: x, wall: 1, span: [1, 2]}", "not both"),
])
def test_half_placed_panels_are_refused(tmp_path, panel, why):
    text = f"""\
title: t
datasets: {{areas: {{path: areas.csv, key: code}}}}
panels:
  - {panel}
steps: [{{title: s, show: [a]}}]
"""
    with pytest.raises(BridgeError) as caught:
        _scene(tmp_path, text)
    assert why in str(caught.value)


def test_walls_follow_the_projectors_and_leave_the_blend_zones_out():
    room = load_room("bridge")
    found = walls(room)
    assert [w.number for w in found] == sorted(w.number for w in found) or len(found) == len(room.projectors)
    assert len(found) == 5
    for wall in found:
        assert 50 < wall.hi - wall.lo < 72  # a projector's 84°, less its two blend zones
        assert wall.bottom > room.pitch_range[0] and wall.top < room.pitch_range[1]
