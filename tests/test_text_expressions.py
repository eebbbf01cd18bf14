"""Numbers from the data in text: `{expression}` in any title, label, note, legend heading,
text panel and step title is filled from the panel's data (never drawn as written), joins of
text build labels, and disclosure control holds for numbers placed in text (issue 26)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bridge import panels
from bridge.data.disclosure import SUPPRESSED
from bridge.data.expressions import ExpressionError, evaluate, parse, template
from bridge.errors import BridgeError
from bridge.export.accessible import step_lines, step_texts
from bridge.render.briefing import load_briefing
from bridge.scene import params
from tests.conftest import SAMPLE, write_scene
from tests.panels.helpers import HEAD, draw

PEOPLE = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
OLDER = 'people["Aged 65 years and over"]'


def scene(workdir, panels_yaml: str, steps: str = "  - {title: One, show: [p]}\n", head: str = HEAD, name: str = "scene"):
    return write_scene(workdir, head + panels_yaml + "steps:\n" + steps, name=f"{name}.yaml")


def problems(path) -> str:
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    return "\n".join(map(str, info.value.problems))


def line_of(path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


# ---- splitting text into literal parts and fields ---------------------------------------------

def test_text_splits_into_literal_parts_and_fields_with_specs():
    parts = template.split('{sum(a, where=b == "x:}"):,.0f} people, {{not a field}} {100 * c:.1f}%')
    assert parts[0] == template.Field('sum(a, where=b == "x:}")', ",.0f", '{sum(a, where=b == "x:}"):,.0f}')
    assert parts[1] == " people, {not a field} "
    assert parts[2] == template.Field("100 * c", ".1f", "{100 * c:.1f}") and parts[3] == "%"
    assert template.split("{params.ward}")[0].parameter == "ward"
    assert template.split("{params.age:.0f}")[0].parameter is None  # a spec asks for the number
    assert template.split("no fields") == ["no fields"]


@pytest.mark.parametrize("text, message", [
    ("Homes {sum(a)", "a '{' at character 7 of 'Homes {sum(a)' is never closed"),
    ("Homes } here", "a '}' at character 7 of 'Homes } here' closes no field; write }} for a literal brace"),
    ("Homes { } here", "'{ }' has no expression"),
    ("{a:{b}}", "has a brace in its number spec"),
])
def test_a_brace_that_opens_or_closes_nothing_is_refused(text, message):
    with pytest.raises(ExpressionError, match=None) as info:
        template.split(text)
    assert message in str(info.value)


# ---- joining text ------------------------------------------------------------------------------

def run(text, columns):
    return evaluate(parse(text), lambda ref: columns[ref.column])


def test_plus_and_concat_join_text_row_by_row():
    cols = {"ward": pd.Series(["Abbey ", "Castle", None]), "name": pd.Series(["Shropshire 027A", "Shropshire 027B", "X 1"]),
            "total": pd.Series([1801.0, 1513.5, 3.0])}
    assert run('ward + " " + right(name, 4)', cols).tolist()[:2] == ["Abbey 027A", "Castle 027B"]
    assert np.isnan(run('ward + " " + right(name, 4)', cols).iloc[2])  # a missing piece: the label is missing
    assert run('concat(ward, ": ", total, " people")', cols).tolist()[:2] == ["Abbey: 1801 people", "Castle: 1513.5 people"]
    assert run('"a" + "b"', cols) == "ab"
    assert run("total + 1", cols).tolist() == [1802.0, 1514.5, 4.0]  # numbers still add


@pytest.mark.parametrize("text, message", [
    ('"x" * 2', "does arithmetic with quoted text; only + joins text"),
    ('sum("Aged 65")', 'quoted text "Aged 65" cannot stand here'),
    ('sum("Aged 65")', 'to name a column, write dataset["Aged 65"]'),
    ('"all areas"', "text is joined with + or concat()"),
    ("concat(a)", "concat() joins two or more pieces of text, got 1"),
    ("True", "'True' is not allowed in an expression"),
])
def test_text_in_the_wrong_place_says_what_is_wrong(text, message):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert message in str(info.value) and "only numbers can stand alone" not in str(info.value)


def test_a_label_built_in_the_scene_from_two_tables(workdir):
    wards = "  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}\n"
    path = write_scene(workdir, HEAD.replace("derive:", wards + "derive:") +
                       "  - {id: p, type: bar, value: people.total, label: 'wards.ward24_name + \" \" + right(areas.lsoa21_name, 4)',"
                       " top: 3, width: 50, height: 30}\nsteps:\n  - {title: One, show: [p]}\n")
    b = load_briefing(path)
    frame = PEOPLE.merge(pd.read_csv(SAMPLE / "lsoa21_ward24_shropshire.csv")[["lsoa21_code", "ward24_name"]], on="lsoa21_code")
    top = frame.sort_values("total", ascending=False, kind="stable").head(3)
    assert b.contents[0].labels == [f"{w} {n[-4:]}" for w, n in zip(top.ward24_name, top.lsoa21_name)]


# ---- numbers from the data in text ----------------------------------------------------------------

def test_numbers_from_the_data_fill_a_text_panel_and_a_kpis_label(workdir):
    older, total = PEOPLE["Aged 65 years and over"].sum(), PEOPLE.total.sum()
    b = load_briefing(scene(workdir,
        f"  - {{id: p, type: text, text: 'There are **{{sum({OLDER}):,.0f}}** older people, "
        f"{{100 * sum({OLDER}) / sum(people.total):.1f}}% of {{sum(people.total)}}; {{{{braces}}}} stay', width: 40, height: 20}}\n"
        f"  - {{id: k, type: kpi, value: sum(people.total), label: '{{100 * sum({OLDER}) / sum(people.total)}}% are older',"
        " width: 30, height: 15}\n", "  - {title: One, show: [p, k]}\n"))
    assert b.scene.panels[0].text == (f"There are **{older:,.0f}** older people, {100 * older / total:.1f}% of {total:,.0f}; "
                                      "{braces} stay")
    assert b.scene.panels[1].label == f"{100 * older / total:.3g}% are older"  # Bridge's own writing: 3 figures from 10 up


def test_a_scene_may_not_hold_more_fields_than_the_limit(workdir, monkeypatch):
    from bridge.render import briefing

    monkeypatch.setattr(briefing, "MAX_TEXT_FIELDS", 5)
    words = " ".join("{sum(people.total)}" for _ in range(6))
    with pytest.raises(BridgeError) as info:
        load_briefing(scene(workdir, f"  - {{id: p, type: text, text: '{words}', width: 40, height: 20}}\n"))
    assert "panels[0].text: more than 5 {…} fields in the scene's texts" in str(info.value), str(info.value)


def test_text_is_evaluated_on_the_panels_own_dataset(workdir):
    falls = pd.read_csv(SAMPLE / "admissions_falls_shropshire.csv")
    b = load_briefing(scene(workdir, "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name,"
                                     " title: '{count(value)} rows, {max(value):,.0f} at most', width: 50, height: 30}\n"))
    assert b.scene.panels[0].title == f"{falls.value.notna().sum():,} rows, {falls.value.max():,.0f} at most"


def test_steps_notes_and_the_briefings_title_and_source_are_filled(workdir):
    total = PEOPLE.total.sum()
    head = HEAD.replace("title: Panels", "title: '{count(people.total)} areas'").replace("source: test data",
                                                                                        "source: 'Census 2021 ({sum(people.total):,} people)'")
    b = load_briefing(scene(workdir, "  - {id: p, type: text, text: hi, width: 30, height: 10}\n",
                            "  - {title: '{sum(people.total):,.0f} residents', show: [p], notes: 'Say {max(people.total)}'}\n", head))
    assert b.scene.title == f"{len(PEOPLE)} areas" and b.scene.source == f"Census 2021 ({total:,.0f} people)"
    assert b.scene.steps[0].title == f"{total:,.0f} residents" and b.scene.steps[0].notes == f"Say {PEOPLE.total.max():,.0f}"


@pytest.mark.parametrize("text, fragment", [
    ("{sum(people.totl)}", "{sum(people.totl)}: dataset 'people' has no column 'totl' (did you mean 'total'?)"),
    ("{sum(people.total))}", "{sum(people.total))}: cannot parse 'sum(people.total))'"),
    ("{sum(people.total):,.0q}", "is not a number spec"),
    ("{people.total}", "'people.total' gives 198 values, one per row; text needs one"),
    ("{sum(people.total) > 1}", "is true or false, not a value to write"),
    ("Homes {sum(people.total)", "is never closed"),
    ("{params.ward}", "no parameter 'ward'"),
])
def test_a_field_that_cannot_be_filled_is_refused_at_its_line_and_key(workdir, text, fragment):
    path = scene(workdir, f"  - {{id: p, type: text, text: 'x', title: '{text}', width: 30, height: 10}}\n")
    message = problems(path)
    assert f"{path}:{line_of(path, 'id: p')}: panels[0].title: " in message and fragment in message, message


@pytest.mark.parametrize("field, fragment", [
    ("{0.__class__}", "cannot parse '0.__class__'"),
    ("{people.total.__class__}", "'people.total.__class__' is not a column"),
    ("{__import__('os').system('x')}", "unknown function '__import__('os').system'"),
    ("{people.total!r}", "cannot parse 'people.total!r'"),
    ("{sum(people.total):999999999}", "asks for a width of 999999999; at most 40 is allowed"),
])
def test_a_field_never_reaches_python_and_its_spec_is_bounded(workdir, field, fragment):
    path = scene(workdir, f"  - {{id: p, type: text, text: \"{field}\", width: 30, height: 10}}\n")
    message = problems(path)
    assert "panels[0].text: " in message and fragment in message, message


def test_every_field_in_a_text_is_reported_at_once(workdir):
    path = scene(workdir, "  - {id: p, type: kpi, value: '1', label: '{sum(a.b)} and {sum(people.x)}', width: 30, height: 10}\n",
                 "  - {title: '{nope}', show: [p]}\n")
    message = problems(path)
    assert "panels[0].label: {sum(a.b)}: no dataset 'a'" in message and "panels[0].label: {sum(people.x)}" in message
    assert f"{path}:{line_of(path, 'nope')}: steps[0].title: {{nope}}: no column or measure 'nope'" in message


# ---- disclosure control in text -------------------------------------------------------------------

def test_a_small_count_of_people_in_text_is_suppressed_as_on_charts(workdir):
    one = 'where=areas.lsoa21_code == "E01028826"'
    older = int(PEOPLE.loc[PEOPLE.lsoa21_code == "E01028826", "Aged 65 years and over"].iloc[0])  # 521
    head = HEAD.replace("derive:", "disclosure: {min_count: 600}\nderive:")
    b = load_briefing(scene(workdir,
        f"  - {{id: p, type: text, text: '{{sum({OLDER}, {one})}} older; {{sum({OLDER}, {one}):,.0f}} again; "
        f"a share: {{sum({OLDER}, {one}) / 10}}; {{sum(areas.lsoa21_code == \"E01028826\")}} area', width: 40, height: 20}}\n",
        f"  - {{title: 'Here: {{sum({OLDER}, {one})}}', show: [p]}}\n", head))
    assert b.scene.panels[0].text == f"{SUPPRESSED} older; {SUPPRESSED} again; a share: {older / 10:.3g}; 1 area"
    assert b.scene.steps[0].title == f"Here: {SUPPRESSED}"
    text = json.dumps(step_texts(b))
    assert str(older) not in text and f"{older:,}" not in text and SUPPRESSED in text


# ---- parameters ------------------------------------------------------------------------------------

WARDS = HEAD.replace("derive:", "  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}\nparams:\n"
                     "  ward: {type: choice, column: wards.ward24_name, all: All wards}\nderive:")
IN_WARD = "sum(people.total, where=wards.ward24_name == params.ward)"


def test_fields_read_parameters_and_the_panel_is_redrawn_when_they_change(workdir):
    path = scene(workdir, f"  - {{id: p, type: text, text: '{{{IN_WARD}:,.0f}} people in {{params.ward}}', width: 40, height: 20}}\n"
                          "  - {id: q, type: text, text: 'Nothing live', width: 40, height: 20}\n",
                 "  - {title: One, show: [p, q]}\n", WARDS)
    b = load_briefing(path)
    wards = pd.read_csv(SAMPLE / "lsoa21_ward24_shropshire.csv").merge(PEOPLE, on="lsoa21_code")
    abbey = wards.loc[wards.ward24_name == "Abbey", "total"].sum()
    assert b.scene.panels[0].text == f"{wards.total.sum():,.0f} people in All wards"
    assert b.view({"ward": "Abbey"}).scene.panels[0].text == f"{abbey:,.0f} people in Abbey"
    assert b.reads("p") == {"ward"} and b.reads("q") == set()  # only the panel whose text reads it is redrawn
    raw = {"datasets": {}, "derive": {}, "panels": []}
    assert params.reads(raw, {"id": "t", "type": "kpi", "value": "1", "label": f"{{{IN_WARD}}}"}) == {"ward"}


# ---- the export's text version ---------------------------------------------------------------------

def test_the_exports_text_and_the_watch_page_say_the_filled_text(workdir):
    older = PEOPLE["Aged 65 years and over"].sum()
    b = load_briefing(scene(workdir, f"  - {{id: p, type: kpi, value: sum(people.total), title: '{{sum({OLDER}):,.0f}} older',"
                                     f" label: 'of {{count(people.total)}} areas', width: 30, height: 15}}\n",
                            f"  - {{title: 'Step of {{sum({OLDER}):,.0f}}', show: [p]}}\n"))
    step = step_texts(b)[0]
    assert step["title"] == f"Step of {older:,.0f}" and step["panels"][0]["title"] == f"{older:,.0f} older"
    assert step["panels"][0]["label"] == f"of {len(PEOPLE)} areas"
    lines = step_lines(b)[0]
    assert f"{older:,.0f} older" in lines and not any("{" in line for line in lines)


# ---- every text field of every panel type -------------------------------------------------------

FALLS = pd.read_csv(SAMPLE / "admissions_falls_shropshire.csv")
CENTRES = pd.read_csv(SAMPLE / "lsoa21_centroids_shropshire.csv")
FIELD = "X {6 * 7} {count(COLUMN)}"
# A labelled reference line on a bar chart (issue 26's other part), walked into where the type has one.
REFERENCE = {"reference": [{"value": 10}]} if "reference" in panels.panel_types()["bar"].model_fields else {}  # a number from nothing and one from the panel's own dataset

# A small panel of each type: (example, a column of its dataset and its count, and what must go in a
# text field whose value has to match the data — a highlighted bar's or series' label — written and filled).
EXAMPLES = {
    "map": ({"colour": "older", "points": {"data": "centres"}, "classes": [{"upto": 30, "name": "x"}, {"name": "y"}], "width": 40, "height": 30}, ("people.total", len(PEOPLE)), {}),
    "points": ({"data": "centres", "width": 40, "height": 30}, ("easting", len(CENTRES)), {}),
    "heatmap": ({"data": "centres", "width": 40, "height": 30}, ("easting", len(CENTRES)), {}),
    "extruded": ({"colour": "older", "pitch": -12, "width": 50, "height": 34}, ("people.total", len(PEOPLE)), {}),
    "bar": ({"value": "older", "label": "areas.lsoa21_name", "top": 5, "width": 50, "height": 30, **REFERENCE},
            ("people.total", len(PEOPLE)),
            {"highlight": ("Shropshire 0{6 * 3 + 9}A", "Shropshire 027A")}),
    "line": ({"data": "falls", "x": "period", "y": "value", "series": "area_name", "width": 50, "height": 30},
             ("value", FALLS.value.notna().sum()), {"highlight": ('{"Shrop" + "shire"}', "Shropshire")}),
    "table": ({"columns": {"Area": "areas.lsoa21_name", "People": "people.total"}, "width": 40, "height": 30},
              ("people.total", len(PEOPLE)), {}),
    "kpi": ({"value": "sum(people.total)", "compare": "sum(people.total) * 0.9", "width": 30, "height": 15},
            ("people.total", len(PEOPLE)), {}),
    "text": ({"text": "hi", "width": 40, "height": 20}, ("people.total", len(PEOPLE)), {}),
    "image": ({"path": "data/room-plan.png", "width": 30, "height": 20}, ("people.total", len(PEOPLE)), {}),
    "column": ({"label": "areas.lsoa21_name", "value": "older", "top": 5, "width": 50, "height": 30},
               ("people.total", len(PEOPLE)), {}),
    "area": ({"data": "falls", "x": "period", "y": "value", "series": "area_name", "width": 50, "height": 30},
             ("value", FALLS.value.notna().sum()), {}),
    "combo": ({"label": "areas.lsoa21_name", "value": "older", "line": "people.total", "top": 5, "width": 50, "height": 30},
              ("people.total", len(PEOPLE)), {}),
    "scatter": ({"x": "older", "y": "people.total", "label": "areas.lsoa21_name", "width": 40, "height": 30},
                ("people.total", len(PEOPLE)), {}),
    "donut": ({"label": "areas.lsoa21_name", "value": "older", "width": 40, "height": 30}, ("people.total", len(PEOPLE)), {}),
    "treemap": ({"label": "areas.lsoa21_name", "value": "older", "width": 40, "height": 30}, ("people.total", len(PEOPLE)), {}),
    "gauge": ({"value": "sum(people.total)", "max": "sum(people.total) * 2", "width": 30, "height": 20},
              ("people.total", len(PEOPLE)), {}),
    "cards": ({"label": "areas.lsoa21_name", "values": {"People": "people.total"}, "top": 3, "width": 40, "height": 30},
              ("people.total", len(PEOPLE)), {}),
    "matrix": ({"group": "areas.lsoa21_name", "label": "areas.lsoa21_name", "values": {"People": "people.total"},
                "where": "people.total > 2400", "width": 40, "height": 30}, ("people.total", len(PEOPLE)), {}),
}


def _takes_text(model, example: dict, keys: tuple) -> bool:
    """Whether the key at `keys` takes any text: the model still validates with FIELD there."""
    trial = json.loads(json.dumps(example))
    owner = trial
    for key in keys[:-1]:
        owner = owner[key]
    owner[keys[-1]] = FIELD
    try:
        model.model_validate({"id": "p", "type": panels.type_name(model), **trial})
    except Exception:  # noqa: BLE001 - refused: an expression, a format, a palette, a number, a choice
        return False
    return True


def _model_of(annotation):
    """The pydantic model a field holds (alone, optional or in a list), or None."""
    if hasattr(annotation, "model_fields"):
        return annotation
    return next((m for a in getattr(annotation, "__args__", ()) if (m := _model_of(a)) is not None), None)


def _text_keys(model, example: dict) -> list[tuple]:
    """Every key of the model, and of the nested mappings (or lists of them) the example gives,
    that takes free text, found from the pydantic fields; datasets and files named by the type's
    keys are not text, and a table's headings are checked on their own."""
    names = {tuple(k) for k in (*model.dataset_keys, *model.file_keys)} | {("id",), ("type",), ("columns",)}
    found = []
    for name, info in model.model_fields.items():
        nested, inner = example.get(name), _model_of(info.annotation)
        if isinstance(nested, list) and nested and isinstance(nested[0], dict) and inner is not None:
            found += [(name, 0, sub) for sub in inner.model_fields if _takes_text(model, example, (name, 0, sub))]
        elif isinstance(nested, dict) and inner is not None:
            found += [(name, sub) for sub in inner.model_fields
                      if (name, sub) not in names and _takes_text(model, example, (name, sub))]
        elif (name,) not in names and _takes_text(model, example, (name,)):
            found.append((name,))
    return found


def _with_texts(example: dict, keys: list[tuple], overrides: dict, field: str) -> dict:
    filled = json.loads(json.dumps(example))
    for path in keys:
        owner = filled
        for key in path[:-1]:
            owner = owner[key]
        owner[path[-1]] = overrides.get(path[-1], (field,))[0]
    for headed in ("columns", "values"):  # a table's (cards', a matrix's) headings are text too
        if isinstance(filled.get(headed), dict):
            filled[headed] = {f"{heading} {field}": value for heading, value in filled[headed].items()}
            if ("sort",) in keys or headed == "columns":  # sort: names one of them, as written
                filled["sort"] = f"People {field}"
    return filled


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("type_name", list(panels.panel_types()))
def test_no_field_is_drawn_as_written_in_any_text_of_any_panel_type(workdir, type_name):
    assert type_name in EXAMPLES, f"add a small example of panel type '{type_name}' to EXAMPLES"
    model = panels.panel_types()[type_name]
    example, (column, rows), overrides = EXAMPLES[type_name]
    field, filled = FIELD.replace("COLUMN", column), f"X 42 {rows:,}"
    keys = _text_keys(model, example)
    assert ("title",) in keys and ("source",) in keys
    panel = {"id": "p", "type": type_name, **_with_texts(example, keys, overrides, field)}
    b = load_briefing(scene(workdir, "  - " + json.dumps(panel) + "\n"))
    shown = b.scene.panels[0]
    for path in keys:
        value = shown
        for key in path:
            value = value[key] if isinstance(key, int) else getattr(value, key)
        assert value == overrides.get(path[-1], (field, ("People " if path == ("sort",) else "") + filled))[1], (path, value)
    texts = shown.texts()
    assert len(texts) >= len(keys) and not [t for _, t in texts if "{" in t or "}" in t], texts
    drawn = draw(b).texts
    assert any(filled in t for t in drawn), drawn
    assert not [t for t in drawn if "{" in t or "}" in t], drawn
    described = _strings(step_texts(b)[0]["panels"][0])
    assert not [t for t in described if "{" in t], described


# ---- pixels: the number is drawn, never the field ---------------------------------------------------

def _sentence(older: str) -> str:
    return f"  - {{id: p, type: text, text: 'There are **{older}** older people in Shropshire.', width: 40, height: 20}}\n"


def test_a_text_panel_draws_the_number_exactly_as_if_it_were_typed(workdir):
    typed = f"{PEOPLE['Aged 65 years and over'].sum():,.0f}"
    field = draw(load_briefing(scene(workdir, _sentence(f"{{sum({OLDER}):,.0f}}")))).image
    number = draw(load_briefing(scene(workdir, _sentence(typed)))).image
    written = draw(load_briefing(scene(workdir, _sentence(f"{{{{sum({OLDER}):,.0f}}}}")))).image  # the field drawn as text
    assert np.array_equal(field, number)
    assert np.abs(field.astype(int) - written.astype(int)).max() > 100  # the literal would be visibly different


@pytest.mark.slow
def test_a_rendered_frame_shows_the_number_from_the_data_not_the_field(tmp_path, workdir):
    """The whole render (panorama and projectors) of a step whose title and text panel take numbers
    from the data is the render of the same step with those numbers typed in."""
    from PIL import Image

    from bridge.render.pipeline import render_briefing
    from bridge.room.load import load_room

    older, total = PEOPLE["Aged 65 years and over"].sum(), PEOPLE.total.sum()
    fields = (f"{{sum({OLDER}):,.0f}}", "{100 * sum(" + OLDER + ") / sum(people.total):.1f}")
    frames = []
    for name, numbers in (("field", fields), ("typed", (f"{older:,.0f}", f"{100 * older / total:.1f}")),
                          ("written", tuple("{" + f + "}" for f in fields))):  # {{…}}: the fields drawn as text
        path = scene(workdir, f"  - {{id: p, type: text, title: '{numbers[1]}% are older', text: 'There are **{numbers[0]}** "
                              "older people.', yaw: 0, pitch: 0, width: 50, height: 24}\n", name=name)
        render_briefing(load_briefing(path), load_room("bridge"), tmp_path / name, (1024, 512))
        frames.append(np.asarray(Image.open(tmp_path / name / "step-01" / "equirect.png")).astype(int))
    assert np.array_equal(frames[0], frames[1])
    assert (np.abs(frames[0] - frames[2]).max(axis=-1) > 60).sum() > 100  # the fields as written would show
