"""What a presenter with a phone and a councillor on the watch page found (issue 25), one test each:
the status line follows the last answer, titles follow live values, a parameter a step does not
use says so, maps' text versions name areas, each step knows where its content is, and a show
started with port 0 keeps its port.  The browser tests are in tests/test_web.py."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bridge.export.accessible import step_texts
from bridge.render.briefing import load_briefing
from bridge.show.answer import Answer
from bridge.show.live import Live
from tests.conftest import write_scene
from tests.show_helpers import tiny_room
from tests.test_web import FakeAnswerer, prepared_with_views, templated, until

MAP_SCENE = """
title: Names
datasets:
  areas: {path: data/AREAS, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
panels:
  - {id: map, type: map, colour: older, legend: '% aged 65+', title: Older residents, width: 50, height: 30}
steps:
  - {title: One, show: [map], mark: {map: {top: 2}}}
"""


def _map_text(workdir: Path, areas: str) -> dict:
    steps = step_texts(load_briefing(write_scene(workdir, MAP_SCENE.replace("AREAS", areas))))
    return steps[0]["panels"][0]


def test_a_maps_text_names_its_areas_where_the_data_has_names(workdir):
    """"This step in words" listed a map without labels by code (E01029003): names read better."""
    names = dict(pd.read_csv(workdir / "data" / "lsoa21_ward24_shropshire.csv")[["lsoa21_code", "lsoa21_name"]].values)
    text = _map_text(workdir, "shropshire_lsoa21.geojson")
    rows = text["tables"][0]["rows"]
    assert len(rows) == 198 and all(row[0] in names.values() for row in rows), rows[:3]
    assert not any(row[0].startswith("E0") for row in rows)
    outlined = next(t for t in text["text"] if t.startswith("Outlined in this step: "))
    assert rows[0][0] in outlined and rows[1][0] in outlined and "E0" not in outlined
    # Boundaries without names, joined to a lookup that has them: the names come from the join.
    raw = json.loads((workdir / "data" / "shropshire_lsoa21.geojson").read_text())
    for feature in raw["features"]:
        feature["properties"].pop("lsoa21_name")
    (workdir / "data" / "bare.geojson").write_text(json.dumps(raw))
    assert _map_text(workdir, "bare.geojson")["tables"][0]["rows"] == rows


def test_an_extruded_maps_text_names_its_areas_too(workdir):
    names = set(pd.read_csv(workdir / "data" / "lsoa21_ward24_shropshire.csv")["lsoa21_name"])
    scene = MAP_SCENE.replace("AREAS", "shropshire_lsoa21.geojson").replace("type: map,", "type: extruded,")
    scene = scene.replace(", mark: {map: {top: 2}}", "")
    rows = step_texts(load_briefing(write_scene(workdir, scene)))[0]["panels"][0]["tables"][0]["rows"]
    assert len(rows) == 198 and all(row[0] in names for row in rows), rows[:3]


def test_a_name_column_is_found_beside_its_code_column():
    from bridge.panels.common.describe import name_column

    frame = pd.DataFrame(columns=["LSOA21CD", "LSOA21NM", "x"])
    assert name_column(frame, "LSOA21CD") == "LSOA21NM"
    assert name_column(pd.DataFrame(columns=["LSOA Code", "LSOA Name"]), "LSOA Code") == "LSOA Name"
    assert name_column(pd.DataFrame(columns=["code", "Name"]), "code") == "Name"
    assert name_column(pd.DataFrame(columns=["lsoa21_code", "ward"]), "lsoa21_code") is None


# -- the show's side: status, titles, unused parameters, where each step's content is ----------
@pytest.fixture
def show(tmp_path: Path):
    """A show with parameters (tests/test_web.py's PARAMS: ward, top, cold_only), a stand-in for the
    answering worker, and step 2's title a template as the scene writes it (`templated`)."""
    room = tiny_room(tmp_path)
    live = Live(Path("unused.yaml"), room, templated(prepared_with_views(room, tmp_path, params=True)), (256, 128),
                "span", offscreen=True)
    live.answerer = FakeAnswerer()
    live.tick()
    yield live
    live.close()


def test_the_status_follows_the_last_answer_even_one_that_changes_no_picture(show):
    """A value picked and reset within a second: the worker answers only the reset, whose pictures
    are those already on the walls, and the status stuck on "answering: ward: back to …"."""
    show.command("set", "ward", "Oswestry")
    show.command("reset", "ward")
    until(show, lambda: show.answerer.asked == 2)
    assert show.status == "answering: ward: back to All of Shropshire…"
    show.answerer.answers.append(Answer(ask=1, step=0, images={0: show.windows.grab()}))  # overtaken: not the last
    show.tick()
    assert show.status.startswith("answering")
    show.answerer.answers.append(Answer(ask=2, step=0, how="unchanged"))
    until(show, lambda: show.status == "ready", what="the status to follow the last answer")
    assert show.web_state()["status"] == "ready"


def test_a_worker_that_dies_unanswered_does_not_leave_the_status_answering(show):
    show.command("set", "ward", "Oswestry")
    until(show, lambda: show.answerer.asked == 1)
    show.answerer.alive = False  # killed (out of memory, say): no answer will ever come
    until(show, lambda: not show.status.startswith("answering"), what="the show to stop waiting")
    assert show.answerer is None


def test_titles_follow_the_values_picked_live_as_the_panels_do(show):
    """The remote, its jump list and the watch page kept the prepared title ("Visiting a ward:
    Church Stretton…") while the room showed the panels for the ward picked live."""
    state = show.web_state()
    assert state["titles"] == ["Step 1", "Areas to visit in Clun", "Step 3"]
    show.command("set", "ward", "Oswestry")
    until(show, lambda: show.presenter.chosen == {"ward": "Oswestry"})
    assert show.web_state()["titles"][1] == "Areas to visit in Oswestry"  # the jump list
    show.command("go", 2)
    until(show, lambda: show.presenter.step == 1)
    state = show.web_state()
    assert state["current"] == state["shown_title"] == "Areas to visit in Oswestry"
    show.command("reset", "ward")  # back to the value step 2 sets
    until(show, lambda: show.presenter.chosen == {})
    assert show.web_state()["current"] == "Areas to visit in Clun"
    show.command("go", 1)
    until(show, lambda: show.presenter.step == 0)
    assert show.web_state()["next"] == "Areas to visit in Clun"


def test_a_parameter_the_step_does_not_use_says_so_and_where_it_applies(show, caplog):
    """On a step whose panels do not read it, a picked value said "Now: Abbey (picked live)" and
    nothing changed, with no hint why."""
    ward = next(p for p in show.web_state()["params"] if p["name"] == "ward")
    assert (ward["used"], ward["used_on"]) == (True, [1, 2])
    show.command("go", 3)  # step 3's panels read no parameter
    until(show, lambda: show.presenter.step == 2)
    caplog.set_level("INFO", logger="bridge.show")
    show.command("set", "ward", "Ludlow North")
    until(show, lambda: show.presenter.chosen == {"ward": "Ludlow North"})
    ward = next(p for p in show.web_state()["params"] if p["name"] == "ward")
    assert (ward["used"], ward["shown_used"], ward["used_on"]) == (False, False, [1, 2])
    said = "ward: Ludlow North (step 3 does not use ward; it changes steps 1 and 2)"
    assert show.status == f"answering: {said}…" and said in caplog.text


def test_each_step_knows_where_its_content_is(workdir):
    """The watch page faced straight ahead whatever a step showed: each step now says where its
    highlighted panels are, or the middle of all it shows."""
    from bridge.scene.model import load_scene
    from bridge.show.snapshot import step_looks

    scene, _ = load_scene(write_scene(workdir, """
        title: Looks
        datasets:
          areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
        panels:
          - {id: a, type: text, text: A, yaw: 0, pitch: 0, width: 30, height: 10}
          - {id: b, type: text, text: B, yaw: 60, pitch: 20, width: 20, height: 10}
          - {id: c, type: text, text: C, yaw: 170, pitch: 0, width: 20, height: 10}
          - {id: d, type: text, text: D, yaw: -150, pitch: -10, width: 20, height: 10}
        steps:
          - {title: One, show: [a, b], highlight: b}
          - {title: Two, show: [c, d]}
          - {title: Three, show: [a, b]}
          - {title: Four, show: [a, c, d], highlight: [a, c]}
        """))
    looks = step_looks(scene)
    assert looks[0] == [60.0, 20.0]  # the highlighted panel
    assert looks[1] == [-170.0, -5.0]  # across the back, not through the front
    assert looks[2] == [27.5, 10.0]  # from a's left edge (-15) to b's right edge (70), halfway up
    assert looks[3] == [0.0, 0.0]  # highlighted panels 165° apart: the first, not the bare wall between


def test_the_watch_state_says_where_the_shown_steps_content_is(show):
    assert show.web_state()["look"] == [-60.0, 0.0]
    show.key("Right")
    show.tick()
    assert show.web_state()["look"] == [120.0, 10.0]
    show.key("Right")
    show.tick()
    assert show.web_state()["look"] is None


def test_port_0_is_the_scenes_own_port_so_a_restarted_show_is_found_there(show):
    """With --port 0 a restarted show took a new port, and an old page said "Connection lost;
    trying again…" for ever."""
    import socket

    from bridge.web.server import scene_port, start_web

    own = scene_port(show.scene_path)
    web = start_web(show, remote=False, port=0)
    try:
        assert web.port == own
    finally:
        web.close()
    web = start_web(show, remote=False, port=0)  # started again: the same port, new tokens
    try:
        assert web.port == own
    finally:
        web.close()
    with socket.socket() as taken:  # another program holds it: a free port instead
        taken.bind(("127.0.0.1", own))
        taken.listen(1)
        web = start_web(show, remote=False, port=0)
        try:
            assert web.port != own and web.port > 0
        finally:
            web.close()
    assert scene_port("a.yaml") != scene_port("b.yaml") and 20000 <= scene_port("a.yaml") < 30000


def test_a_title_that_reads_the_data_is_not_a_live_template(workdir):
    """A step title with a number from the data cannot be filled from parameter values alone: the
    remote keeps its prepared text (no braces), while a title of parameters only follows the room."""
    from bridge.room.load import load_room
    from bridge.scene.params import fill_labels
    from bridge.show.preparer import _meta

    scene = MAP_SCENE.replace("AREAS", "shropshire_lsoa21.geojson").replace(
        "steps:\n  - {title: One, show: [map], mark: {map: {top: 2}}}",
        "params:\n  area: {type: choice, values: [Shropshire 027A, Shropshire 027B]}\nsteps:\n"
        "  - {title: 'Looking at {params.area}', show: [map]}\n"
        "  - {title: '{sum(people.total):,.0f} people, {params.area}', show: [map]}\n"
        "  - {title: 'Braces {{x}} in {params.area}', show: [map]}\n")
    briefing = load_briefing(write_scene(workdir, scene))
    meta = _meta(briefing, load_room("rehearsal"), (256, 128), {}, ["a", "b", "c"], [0, 1, 2])
    assert meta["templates"] == ["Looking at {params.area}", None, "Braces {{x}} in {params.area}"]
    assert meta["titles"][1].endswith(" people, Shropshire 027A") and "{" not in meta["titles"][1]
    assert fill_labels(meta["templates"][2], lambda name: "Abbey") == "Braces {x} in Abbey"
