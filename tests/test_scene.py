"""The scene model accepts the sample and rejects bad scenes with located, helpful messages."""

import re

import pytest

from bridge.errors import BridgeError
from bridge.scene.model import json_schema, load_scene
from tests.conftest import MINIMAL, ROOT, write_scene


def problems_of(path):
    with pytest.raises(BridgeError) as info:
        load_scene(path)
    return [str(p) for p in info.value.problems]


def test_sample_scene_loads():
    scene, _ = load_scene(ROOT / "scenes" / "finding-dave.yaml")
    assert len(scene.steps) >= 3
    assert {p.type for p in scene.panels} >= {"map", "bar", "kpi", "text"}
    assert scene.base_name == "areas"


def test_minimal_scene_loads(workdir):
    scene, _ = load_scene(write_scene(workdir, MINIMAL))
    assert scene.panels[0].width == 30


BAD = [
    # (replace this, with that, expected line, expected fragment)
    ("yaw: 0,", "yaw: 400,", 6, "panels[0].yaw: 400 is outside -180..180"),
    ("pitch: 0,", "pitch: -95,", 6, "panels[0].pitch: -95 is outside -80..80"),
    ("width: 30,", "width: 0,", 6, "panels[0].width: 0 must be more than 0"),
    ("type: text,", "type: txet,", 6, "panels[0].type: 'txet' is not a valid type (did you mean 'text'?)"),
    ("text: Hello,", "text: Hello, colr: red,", 6, "panels[0].colr: unknown key"),
    ("show: [note]", "show: [nope]", 8, "steps[0].show[0]: no panel 'nope'"),
    ("show: [note]}", "show: [note], highlight: other}", 8, "steps[0].highlight: 'other' is not shown"),
    ("title: Test\n", "titel: Test\n", 1, "titel: unknown key (did you mean 'title'?)"),
    ("key: lsoa21_code}\n  people", "key: lsoa21_code, format: shp}\n  people", 3, "datasets.areas.format: 'shp' is not valid"),
    ("text: Hello,", "text: Hello, style: titel,", 6, "(did you mean 'title'?)"),
    ("show: [note]}", "show: [note], mark: {notes: {top: 3}}}", 8, "steps[0].mark.notes: no panel 'notes' (did you mean 'note'?)"),
    ("type: text, text: Hello,", "type: map, outline: countyy,", 6, "panels[0].outline: no dataset 'countyy'"),
]


@pytest.mark.parametrize("old,new,line,fragment", BAD)
def test_bad_scene_is_located(workdir, old, new, line, fragment):
    assert old in MINIMAL
    path = write_scene(workdir, MINIMAL.replace(old, new, 1))
    problems = problems_of(path)
    match = [p for p in problems if fragment in p]
    assert match, problems
    assert match[0].startswith(f"{path}:{line}: "), match[0]


def test_missing_title_names_the_key(workdir):
    problems = problems_of(write_scene(workdir, MINIMAL.replace("title: Test\n", "")))
    assert any(re.search(r":\d+: title: is required", p) for p in problems), problems


def test_every_error_is_reported_at_once(workdir):
    text = MINIMAL.replace("yaw: 0,", "yaw: 999,").replace("height: 10", "height: -3")
    problems = problems_of(write_scene(workdir, text))
    assert any("yaw" in p for p in problems) and any("height" in p for p in problems)


def test_invalid_yaml_gives_line(workdir):
    path = write_scene(workdir, MINIMAL + "steps: [unclosed\n")
    problems = problems_of(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: invalid YAML", problems[0]), problems


def test_duplicate_keys_are_refused(workdir):
    path = write_scene(workdir, MINIMAL.replace("title: Test\n", "title: Test\ntitle: Again\n"))
    assert any(":2: title: duplicate key (first given on line 1)" in p for p in problems_of(path))


def test_code_in_expressions_is_refused(workdir):
    text = MINIMAL.replace("panels:\n", "derive:\n  evil: __import__('os').system('true')\npanels:\n")
    problems = problems_of(write_scene(workdir, text))
    assert any("derive.evil" in p and "unknown function" in p for p in problems), problems


def test_highlight_may_be_a_list(workdir):
    text = MINIMAL.replace("steps:", "  - {id: b, type: text, text: B, width: 10, height: 10}\nsteps:")
    scene, _ = load_scene(write_scene(workdir, text.replace("show: [note]}", "show: [note, b], highlight: [note, b]}")))
    assert scene.steps[0].highlighted == ["note", "b"]
    bad = text.replace("show: [note]}", "show: [note], highlight: [note, b]}")
    assert any("steps[0].highlight[1]: 'b' is not shown" in p for p in problems_of(write_scene(workdir, bad)))


def test_duplicate_panel_ids(workdir):
    text = MINIMAL.replace("steps:", "  - {id: note, type: text, text: Again, width: 10, height: 10}\nsteps:")
    assert any("panels[1].id: 'note' is already the id of panels[0]" in p for p in problems_of(write_scene(workdir, text)))


def test_missing_file():
    with pytest.raises(BridgeError, match="scene file not found"):
        load_scene("no/such/scene.yaml")


def test_schema_lists_panel_types():
    schema = json_schema()
    text = str(schema)
    for kind in ("map", "bar", "kpi", "text"):
        assert f"'{kind}'" in text
    assert schema["properties"]["panels"]["type"] == "array"
    assert "file" not in schema["properties"]


def test_yes_no_on_off_stay_text(workdir):
    """YAML 1.2 booleans: `on` is a key, not True (the Norway problem)."""
    text = MINIMAL.replace("key: lsoa21_code}\n", "key: lsoa21_code, join: {on: 'areas.lsoa21_code'}}\n", 2)
    scene, _ = load_scene(write_scene(workdir, text))
    assert scene.datasets["people"].join.on == "areas.lsoa21_code"


def test_union_errors_name_the_key_once(workdir):
    text = MINIMAL.replace("panels:", "derive:\n  m: {expr: 'people.total', count: maybe}\npanels:")
    problems = problems_of(write_scene(workdir, text))
    located = [p for p in problems if "derive.m" in p]
    assert len(located) == 1 and "count" in located[0], problems


def test_every_panel_type_is_in_a_sample_scene():
    from bridge.panels import panel_types
    from bridge.render.briefing import load_briefing

    seen = set()
    for path in sorted((ROOT / "scenes").glob("*.yaml")):
        briefing = load_briefing(path)  # validates data, joins, expressions and marks
        seen |= {p.type for p in briefing.scene.panels}
    assert seen == set(panel_types())
