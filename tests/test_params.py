"""Scene parameters (bridge/scene/params.py): the models, their checks and labels, and the values at
work through a whole briefing: expressions, `where:`, disclosure control, titles, steps that set
them and the render that re-places only the panels a parameter reaches."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pydantic import ValidationError

from bridge.data import expressions
from bridge.data.disclosure import SUPPRESSED
from bridge.data.expressions import ALL
from bridge.errors import BridgeError
from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.limits import MAX_CHOICES
from bridge.panels.common.base import PanelModel
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import Views, render_briefing
from bridge.room.load import load_room
from bridge.scene import params
from bridge.scene.params import ChoiceParam, NumberParam, ToggleParam
from tests.conftest import MINIMAL, SAMPLE, write_scene
from tests.panels.helpers import draw, scene_with

# ---- the models and their functions ---------------------------------------------------------

def choice(**kw) -> ChoiceParam:
    return ChoiceParam(type="choice", **kw)


def number(**kw) -> NumberParam:
    return NumberParam(type="number", **kw)


def toggle(**kw) -> ToggleParam:
    return ToggleParam(type="toggle", **kw)


def test_choices_step_through_every_value_in_order():
    assert params.choices(toggle()) == [False, True]
    assert params.choices(choice(values=["b", "a", "c"])) == ["b", "a", "c"]  # as listed, not sorted
    with_all = params.choices(choice(values=["b", "a"], all="Everywhere"))
    assert with_all == ["all", "b", "a"] and with_all[0] is ALL
    assert params.choices(choice(column="wards.ward24_name", all="All"), ["Abbey", "Wem"]) == [ALL, "Abbey", "Wem"]
    assert params.choices(choice(column="wards.ward24_name"), None) == []


def test_number_choices_have_no_float_dust_and_stop_at_max():
    tenths = params.choices(number(min=0, max=1, step=0.1))
    assert len(tenths) == 11 and tenths[3] == 0.3 and tenths[-1] == 1.0  # not 0.30000000000000004, 0.9999999
    assert params.choices(number(min=0, max=10, step=3)) == [0, 3, 6, 9]  # 10 is not on a step
    assert params.choices(number(min=5, max=5)) == [5.0]


def test_defaults():
    assert params.default(toggle()) is False and params.default(toggle(default=True)) is True
    assert params.default(number(min=18, max=99)) == 18.0
    assert params.default(number(min=18, max=99, default=65)) == 65.0
    assert params.default(choice(values=["x", "y"])) == "x"
    assert params.default(choice(values=["x", "y"], default="y")) == "y"
    assert params.default(choice(values=["x", "y"], all="All")) is ALL  # the all option first
    assert params.default(choice(values=["x", "y"], all="All", default="all")) is ALL
    assert params.default(choice(column="w.name"), ["Abbey", "Wem"]) == "Abbey"
    # Without all:, 'all' is plain text (which check() then refuses): not the match-everything value.
    assert params.default(choice(values=["x"], default="all")) is not ALL


@pytest.mark.parametrize("kw, message", [
    (dict(min=10, max=0), "must be a number no greater than max"),
    (dict(min=0, max=math.inf), "must be a number no greater than max"),
    (dict(min=0, max=10, default=11), "default 11 is outside 0..10"),
    (dict(min=0, max=10, default=-0.5), "default -0.5 is outside 0..10"),
    (dict(min=0, max=MAX_CHOICES + 1), f"more than {MAX_CHOICES:,} values"),
    (dict(min=0, max=1, step=0), "greater than 0"),
])
def test_a_number_that_cannot_be_stepped_through_is_refused(kw, message):
    with pytest.raises(ValidationError, match=message):
        number(**kw)


def test_a_number_of_exactly_max_choices_steps_is_allowed():
    assert len(params.choices(number(min=0, max=MAX_CHOICES - 1))) == MAX_CHOICES


@pytest.mark.parametrize("kw, message", [
    (dict(), "give either values"),
    (dict(values=["a"], column="wards.ward24_name"), "give either values"),
    (dict(values=[]), "at least one value"),
    (dict(column="ward24_name"), "must be dataset.column"),
    (dict(column="wards."), "must be dataset.column"),
    (dict(values=["a"], colour="red"), "Extra inputs"),
])
def test_a_choice_needs_values_or_a_column(kw, message):
    with pytest.raises(ValidationError, match=message):
        choice(**kw)


def test_check_a_toggle():
    assert params.check("t", toggle(), True) == (True, None)
    for wrong in ("yes", 1, None):
        value, why = params.check("t", toggle(), wrong)
        assert value is None and "params.t is a toggle: give true or false" in why


def test_check_a_number():
    n = number(min=0, max=100, step=5)
    assert params.check("age", n, 65) == (65.0, None)
    assert isinstance(params.check("age", n, 65)[0], float)
    for wrong in (True, "65", math.nan, math.inf, None):  # True is an int in Python: still not a number here
        value, why = params.check("age", n, wrong)
        assert value is None and "params.age is a number from 0 to 100" in why, wrong
    value, why = params.check("age", n, 105)
    assert value is None and why == "105 is outside params.age's range 0..100"


def test_check_a_choice():
    ward = choice(values=["Abbey", "Wem", "Whitchurch North"], all="All wards")
    assert params.check("ward", ward, "Wem") == ("Wem", None)
    value, why = params.check("ward", ward, "all")
    assert value is ALL and why is None
    value, why = params.check("ward", ward, "Abby")
    assert value is None and "'Abby' is not one of params.ward's values (did you mean 'Abbey'?)" in why
    assert "they are: all, Abbey, Wem, Whitchurch North" in why
    # 'all' is only a value when the choice offers it.
    value, why = params.check("ward", choice(values=["Abbey"]), "all")
    assert value is None and "'all' is not one of params.ward's values" in why


def test_check_a_choice_of_a_column_lists_a_few_values_and_counts_the_rest():
    names = [f"Ward {i:02d}" for i in range(20)]
    value, why = params.check("ward", choice(column="wards.ward24_name"), "Ward 99", names)
    assert value is None and "Ward 00, Ward 01" in why and "Ward 07, … (12 more)" in why and "Ward 08" not in why
    assert params.check("ward", choice(column="wards.ward24_name"), "Ward 13", names) == ("Ward 13", None)


def test_check_a_choice_of_numbers_takes_whole_numbers():
    year = choice(values=[2019, 2020])
    assert params.check("year", year, 2020) == (2020.0, None)
    assert params.check("year", year, 2020.0) == (2020.0, None)
    value, why = params.check("year", year, True)  # True == 1, but 1 is not a year listed
    assert value is None


def test_labels():
    ward = choice(values=["E05008136", "E05008137"], labels={"E05008136": "Abbey"}, all="All wards")
    assert params.label(ward, "E05008136") == "Abbey"
    assert params.label(ward, "E05008137") == "E05008137"  # no label: the value itself
    assert params.label(ward, ALL) == "All wards"
    assert params.label(choice(values=["a"]), ALL) == "all"
    assert params.label(choice(values=[2019, 2020], labels={"2020": "the pandemic year"}), 2020.0) == "the pandemic year"
    assert params.label(choice(values=[2019, 2020]), 2019.0) == "2019"
    assert params.label(number(min=0, max=100, unit="years"), 65.0) == "65 years"
    assert params.label(number(min=0, max=1, step=0.1), 0.3) == "0.3"
    assert params.label(toggle(on="heated only", off="every home"), True) == "heated only"
    assert params.label(toggle(on="heated only", off="every home"), False) == "every home"


def test_stepped_stops_at_either_end():
    options = [ALL, "a", "b", "c"]
    assert params.stepped(options, "a", 1) == "b"
    assert params.stepped(options, "c", 1) == "c"
    assert params.stepped(options, ALL, -1) is ALL
    assert params.stepped(options, "b", -5) is ALL
    assert params.stepped(options, "b", 99) == "c"
    assert params.stepped(options, "zzz", 1) == "a"  # an unknown value steps from the first


def test_fill_replaces_each_placeholder_with_its_label_and_names_the_unknown():
    declared = {"ward": choice(values=["Abbey"], all="All wards"), "age": number(min=0, max=100, unit="years")}
    text, unknown = params.fill("People over {params.age} in {params.ward} ({params.ward})", declared,
                                {"ward": ALL, "age": 65.0})
    assert text == "People over 65 years in All wards (All wards)" and unknown == []
    text, unknown = params.fill("{params.wrd}, {params.ward}, {params.sex}", declared, {"ward": "Abbey", "age": 1.0})
    assert text == "{params.wrd}, Abbey, {params.sex}" and unknown == ["wrd", "sex"]
    # Only the braced form is a placeholder; {{ and }} are braces, and a brace that opens nothing is refused.
    assert params.fill("params.ward {{params.ward}}", declared, {"ward": "Abbey"}) == ("params.ward {params.ward}", [])
    with pytest.raises(expressions.ExpressionError, match="never closed; close the field as {expression}, or write {{ for a literal"):
        params.fill("params.ward {params.ward", declared, {"ward": "Abbey"})
    # Other fields are written by the caller (the data's numbers), or left as written without one.
    assert params.fill("{params.ward}: {sum(x):.1f}", declared, {"ward": "Abbey"}) == ("Abbey: {sum(x):.1f}", [])
    assert params.fill("{params.ward}: {sum(x):.1f}", declared, {"ward": "Abbey"},
                       lambda field: f"<{field.expression}|{field.spec}>") == ("Abbey: <sum(x)|.1f>", [])


def test_a_title_is_a_live_template_only_when_every_field_is_a_parameter():
    assert params.is_template("Visiting {params.ward}") and params.is_template("{params.a} and {params.b} {{x}}")
    assert not params.is_template("Visiting a ward") and not params.is_template("{{params.ward}}")
    assert not params.is_template("{sum(people.total, where=wards.name == params.ward)} in {params.ward}")
    assert not params.is_template("{params.age:.0f}")  # a spec asks for the number, not the room's label
    assert not params.is_template("{params.ward")  # refused when loaded; never a template
    # What the live titles fill a template with: the labels picked in the room, braces unescaped.
    labels = {"ward": "Abbey"}.get
    assert params.fill_labels("{params.ward} {{x}} {params.sex}", labels) == "Abbey {x} {params.sex}"


def test_reads_follows_measures_and_datasets_where():
    raw = {
        "datasets": {"areas": {"path": "a", "where": "ltla == params.la"},
                     "people": {"path": "p", "where": "total > params.min_total"},
                     "homes": {"path": "h", "where": "tenure == params.tenure"},
                     "falls": {"path": "f", "where": "period == params.year"}},
        "derive": {"share": "100 * older / people.total", "older": "people.over65 * params.scale",
                   "old": "params.unused"},
        "panels": [],
    }
    assert params.reads(raw, {"id": "m", "type": "map", "colour": "share"}) == {"la", "min_total", "scale"}
    assert params.reads(raw, {"id": "b", "type": "bar", "data": "falls", "value": "value"}) == {"la", "year"}
    assert params.reads(raw, {"id": "t", "type": "text", "text": "In {params.ward}"}) == {"la", "ward"}
    # 'older' is a measure, 'old' is another: the word must match whole.
    assert "unused" not in params.reads(raw, {"id": "m", "type": "map", "colour": "older"})
    raw["base"] = "people"
    assert params.reads(raw, {"id": "t", "type": "text", "text": "hello"}) == {"min_total"}


def test_all_equals_every_value_in_expressions_but_cannot_be_ordered():
    names = pd.Series(["Abbey", "Wem", None])

    def resolve(ref):
        return ALL if ref.dataset == "params" else names

    ev = lambda text: expressions.evaluate(expressions.parse(text), resolve)  # noqa: E731
    assert ev("wards.name == params.ward").tolist() == [True, True, True]
    assert ev("params.ward == wards.name").tolist() == [True, True, True]
    assert ev("wards.name != params.ward").tolist() == [False, False, False]
    assert bool(ev('params.ward == "anything"')) is True
    with pytest.raises(expressions.ExpressionError, match="orders a parameter whose value is 'all'"):
        ev("wards.name < params.ward")
    with pytest.raises(expressions.ExpressionError, match="is text; arithmetic needs numbers"):
        ev("params.ward + 1")


# ---- scenes ----------------------------------------------------------------------------------

WARDS = """
title: Wards
source: test data
disclosure: {min_count: 5}
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}
"""
WARD_PARAM = """
  ward: {type: choice, column: wards.ward24_name, all: All wards, labels: {Porthill: Porthill (Shrewsbury)}}
"""
IN_WARD = "sum(people.total, where=wards.ward24_name == params.ward)"


def ward_scene(workdir, panels: str, steps: str, params_yaml: str = WARD_PARAM, datasets: str = "", head: str = WARDS):
    """A scene of areas, people and wards with `params_yaml` under params:; every argument is
    YAML at the indentation it has in the file (two spaces for entries)."""
    text = head + datasets + "params:" + params_yaml + "panels:\n" + panels + "steps:\n" + steps
    return write_scene(workdir, text)


def line_of(path, fragment: str) -> int:
    """The 1-based line of `path` holding `fragment` (the first)."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line)


def problems_of(path) -> str:
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    return "\n".join(map(str, info.value.problems))


def census() -> pd.DataFrame:
    people = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
    wards = pd.read_csv(SAMPLE / "lsoa21_ward24_shropshire.csv")
    return people.merge(wards[["lsoa21_code", "ward24_name"]], on="lsoa21_code", how="left")


# ---- 1. validation -----------------------------------------------------------------------------

def test_data_level_mistakes_are_each_located_and_reported_at_once(workdir):
    path = ward_scene(workdir, (
        "  - {id: k, type: kpi, value: 'sum(people.total, where=wards.ward24_name == params.wrd)', label: People,"
        " yaw: 0, pitch: 0, width: 30, height: 15}\n"
        "  - {id: t, type: text, text: 'Hello {params.wadr}', yaw: 40, pitch: 0, width: 30, height: 10}\n"),
        "  - {title: 'Where: {params.wrd}', show: [k, t]}\n"
        "  - {title: Two, show: [k], params: {ward: Abby}}\n")
    text = problems_of(path)
    expected = [
        f"{path}:{line_of(path, 'id: k,')}: panels[0].value: no parameter 'wrd' (did you mean 'ward'?); parameters: ward",
        f"{path}:{line_of(path, 'id: t,')}: panels[1].text: no parameter 'wadr' (did you mean 'ward'?)",
        f"{path}:{line_of(path, 'Where:')}: steps[0].title: no parameter 'wrd' (did you mean 'ward'?)",
        f"{path}:{line_of(path, 'Abby')}: steps[1].params.ward: 'Abby' is not one of params.ward's values (did you mean 'Abbey'?)",
    ]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in\n{text}"
    assert len(text.splitlines()) == 4, text


def test_scene_level_mistakes_are_each_located_and_reported_at_once(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k], params: {wrd: Abbey}}\n", params_yaml="""
  ward: {type: choice, column: wards.ward24_name}
  both: {type: choice, values: [a, b], column: wards.ward24_name}
  neither: {type: choice, labels: {a: A}}
  age: {type: number, min: 0, max: 100, default: 120}
  text_default: {type: number, min: 0, max: 100, default: sixty}
  2nd: {type: toggle}
  wide: {type: number, min: 0, max: 2000, step: 1}
""")
    text = problems_of(path)
    expected = [
        (line_of(path, "both:"), "params.both", "give either values: [...] or column: dataset.column"),
        (line_of(path, "neither:"), "params.neither", "give either values: [...] or column: dataset.column"),
        (line_of(path, "age:"), "params.age", "default 120 is outside 0..100"),
        (line_of(path, "text_default:"), "params.text_default", "'sixty'"),
        (line_of(path, "2nd:"), "params.2nd", "'2nd' cannot be a parameter's name"),
        (line_of(path, "wide:"), "params.wide", f"more than {MAX_CHOICES:,} values; use a larger step"),
        (line_of(path, "wrd:"), "steps[0].params.wrd", "no parameter 'wrd' (did you mean 'ward'?)"),
    ]
    lines = text.splitlines()
    for line, key, message in expected:
        assert any(entry.startswith(f"{path}:{line}: {key}") and message in entry for entry in lines), f"{key} at {line}: {message!r} not in\n{text}"
    assert not any("params.ward" in entry and "steps" not in entry for entry in lines), text  # the good one is not blamed
    assert len(lines) == len(expected), text


def test_a_text_default_of_a_number_names_the_key_default(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml="\n  age: {type: number, min: 0, max: 100, default: sixty}\n")
    text = problems_of(path)
    assert f"{path}:{line_of(path, 'age:')}: params.age" in text and "default" in text and "valid number" in text


def test_a_default_that_is_not_a_value_is_located_at_the_default(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml="""
  ward:
    type: choice
    column: wards.ward24_name
    default: Abby
  sex: {type: choice, values: [female, male], default: both}
""")
    text = problems_of(path)
    assert f"{path}:{line_of(path, 'default: Abby')}: params.ward.default: 'Abby' is not one of params.ward's values (did you mean 'Abbey'?)" in text
    assert f"{path}:{line_of(path, 'sex:')}: params.sex.default: 'both' is not one of params.sex's values" in text


def test_a_step_value_of_the_wrong_kind_is_located_at_the_step(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k], params: {age: 120, older: 'yes', ward: 3}}\n", params_yaml="""
  ward: {type: choice, column: wards.ward24_name}
  age: {type: number, min: 0, max: 100}
  older: {type: toggle}
""")
    text = problems_of(path)
    here = f"{path}:{line_of(path, 'title: One')}: steps[0].params"
    assert f"{here}.age: 120 is outside params.age's range 0..100" in text
    assert f"{here}.older: params.older is a toggle: give true or false, not 'yes'" in text
    assert f"{here}.ward: " in text and "is not one of params.ward's values" in text
    assert len(text.splitlines()) == 3, text


def test_a_column_of_a_missing_dataset_or_column_is_located(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml="""
  ward: {type: choice, column: ward.ward24_name}
  code: {type: choice, column: wards.ward_code}
""")
    text = problems_of(path)
    assert f"{path}:{line_of(path, 'ward:')}: params.ward.column: no dataset 'ward' (did you mean 'wards'?)" in text
    assert f"{path}:{line_of(path, 'code:')}: params.code.column: " in text and "ward24_code" in text


def test_a_column_with_more_than_max_choices_values_is_refused(workdir):
    rows = "\n".join(f"{i},{i % 7}" for i in range(MAX_CHOICES + 1))
    (workdir / "data" / "many.csv").write_text("id,group\n" + rows + "\n")
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", datasets="  many: {path: data/many.csv, join: false}\n",
                      params_yaml="""
  id: {type: choice, column: many.id}
  group: {type: choice, column: many.group}
""")
    text = problems_of(path)
    assert f"{path}:{line_of(path, 'id: {type')}: params.id.column: {MAX_CHOICES + 1:,} distinct values is more than" in text
    assert "params.group" not in text  # seven values: fine


def test_params_in_an_expression_without_any_declared(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: 'params.ward', width: 20, height: 10}\nsteps:")
    path = write_scene(workdir, text)
    message = problems_of(path)
    assert f"{path}:{line_of(path, 'id: k')}: panels[1].value: no parameter 'ward'; parameters: none (declare them under params:)" in message


def test_a_where_cannot_read_a_column_choice_without_a_default(workdir):
    """While datasets are read a column's values are not known: the where: says so."""
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: sum(people.total), yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n",
                      params_yaml="\n  ward: {type: choice, column: wards.ward24_name}\n",
                      head=WARDS.replace("lsoa21_ward24_shropshire.csv, key: lsoa21_code}",
                                         "lsoa21_ward24_shropshire.csv, key: lsoa21_code, where: ward24_name == params.ward}"))
    text = problems_of(path)
    assert f"{path}:{line_of(path, 'wards: {')}: datasets.wards.where: " in text
    assert "takes its values from a column" in text and "default:" in text


# ---- 2. values at work -------------------------------------------------------------------------

def test_a_ward_kpi_is_the_wards_sum_and_the_county_total_for_all(workdir):
    path = ward_scene(workdir, f"  - {{id: k, type: kpi, value: '{IN_WARD}', yaw: 0, pitch: 0, width: 30, height: 15}}\n",
                      "  - {title: All, show: [k]}\n  - {title: Porthill, show: [k], params: {ward: Porthill}}\n"
                      "  - {title: Abbey, show: [k], params: {ward: Abbey}}\n  - {title: All again, show: [k], params: {ward: all}}\n")
    b = load_briefing(path)
    frame = census()
    county = frame.total.sum()
    assert b.data.params == {"ward": ALL} and b.data.params["ward"] is ALL
    assert b.contents[0].value == pytest.approx(county) and b.contents[0].count
    for step, ward in ((1, "Porthill"), (2, "Abbey")):
        view = b.step_view(step)
        expected = frame.loc[frame.ward24_name == ward, "total"].sum()
        assert 0 < expected < county
        assert view.data.params["ward"] == ward
        assert view.contents[0].value == pytest.approx(expected)
    assert b.step_view(3).contents[0].value == pytest.approx(county)
    # The options: all, then the column's distinct values, sorted.
    assert b.data.param_options["ward"] == [ALL] + sorted(frame.ward24_name.unique())
    # A view is loaded once and kept; one that changes nothing is the briefing itself.
    assert b.step_view(1) is b.step_view(1) and b.step_view(0) is b
    assert b.view({"ward": "Abbey"}) is b.step_view(2)


def test_other_values_through_view(workdir):
    path = ward_scene(workdir, f"  - {{id: k, type: kpi, value: '{IN_WARD}', yaw: 0, pitch: 0, width: 30, height: 15}}\n",
                      "  - {title: All, show: [k]}\n")
    b = load_briefing(path)
    frame = census()
    assert b.view({"ward": "Wem"}).contents[0].value == pytest.approx(frame.loc[frame.ward24_name == "Wem", "total"].sum())
    with pytest.raises(BridgeError, match="'Wemm' is not one of params.ward's values \\(did you mean 'Wem'\\?\\)"):
        b.view({"ward": "Wemm"})


def test_a_number_as_a_threshold_in_a_datasets_where(workdir):
    head = WARDS.replace("counts: [Aged 65 years and over, total]}",
                         "counts: [Aged 65 years and over, total], where: total > params.over}")
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: sum(people.total), label: 'areas over {params.over}',"
                               " yaw: 0, pitch: 0, width: 30, height: 15}\n"
                               "  - {id: n, type: kpi, value: count(people.total), yaw: 40, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k, n]}\n  - {title: Two, show: [k, n], params: {over: 2000}}\n",
                      params_yaml="\n  over: {type: number, min: 0, max: 3000, step: 100, default: 1500, unit: people}\n",
                      head=head)
    b = load_briefing(path)
    total = census().total
    assert b.contents[0].value == pytest.approx(total[total > 1500].sum())
    assert b.contents[1].value == (total > 1500).sum()
    assert b.scene.panels[0].label == "areas over 1500 people"
    two = b.step_view(1)
    assert two.contents[0].value == pytest.approx(total[total > 2000].sum())
    assert two.contents[1].value == (total > 2000).sum() < (total > 1500).sum()
    assert two.scene.panels[0].label == "areas over 2000 people"
    assert b.reads("k") == b.reads("n") == {"over"}


def test_a_toggle_in_a_condition(workdir):
    older = 'people["Aged 65 years and over"]'
    path = ward_scene(workdir, f"  - {{id: k, type: kpi, value: 'sum(people.total, where=not params.busy or {older} > 500)',"
                               " yaw: 0, pitch: 0, width: 30, height: 15}\n"
                               "  - {id: s, type: kpi, value: 'sum(people.total, where=params.busy)', yaw: 40, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: Off, show: [k, s]}\n  - {title: On, show: [k, s], params: {busy: true}}\n",
                      params_yaml="\n  busy: {type: toggle, on: busy areas, off: every area}\n")
    b = load_briefing(path)
    frame = census()
    assert b.data.params["busy"] is False
    assert [c.value for c in b.contents] == [pytest.approx(frame.total.sum()), 0.0]
    on = b.step_view(1)
    busy = frame.loc[frame["Aged 65 years and over"] > 500, "total"].sum()
    assert 0 < busy < frame.total.sum()
    assert [c.value for c in on.contents] == [pytest.approx(busy), pytest.approx(frame.total.sum())]


def test_a_number_parameter_in_arithmetic_and_a_measure(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'sum(scaled)', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n  - {title: Two, show: [k], params: {share: 0.3}}\n",
                      params_yaml="\n  share: {type: number, min: 0, max: 1, step: 0.1, default: 0.5}\n",
                      head=WARDS + "derive:\n  scaled: people.total * params.share\n")
    b = load_briefing(path)
    total = census().total.sum()
    assert b.contents[0].value == pytest.approx(total * 0.5)
    assert b.step_view(1).contents[0].value == pytest.approx(total * 0.3)
    assert b.reads("k") == {"share"}  # through the measure


def test_a_choice_of_listed_numbers_compares_with_a_numeric_column(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'count(people.total, where=people.total > params.at)',"
                               " yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n  - {title: Two, show: [k], params: {at: 2000}}\n",
                      params_yaml="\n  at: {type: choice, values: [1000, 2000]}\n")
    b = load_briefing(path)
    total = census().total
    assert b.contents[0].value == (total > 1000).sum()
    assert b.step_view(1).contents[0].value == (total > 2000).sum()


# ---- 3. disclosure control on a filtered view ------------------------------------------------

def write_counts(workdir) -> None:
    """cases.csv: 1 case in each of Porthill's areas (2 in the ward), 10 in every other area;
    rare.csv: 2 cases in the whole county."""
    frame = census()
    porthill = frame.ward24_name == "Porthill"
    assert porthill.sum() == 2
    pd.DataFrame({"lsoa21_code": frame.lsoa21_code, "n": np.where(porthill, 1, 10)}).to_csv(workdir / "data" / "cases.csv", index=False)
    pd.DataFrame({"lsoa21_code": frame.lsoa21_code, "n": [2] + [0] * (len(frame) - 1)}).to_csv(workdir / "data" / "rare.csv", index=False)


CASES = ("  cases: {path: data/cases.csv, key: lsoa21_code, counts: [n]}\n"
         "  rare: {path: data/rare.csv, key: lsoa21_code, counts: [n]}\n"
         "  plain: {path: data/cases.csv, key: lsoa21_code}\n")


def test_a_small_count_in_a_chosen_ward_is_suppressed_as_a_small_county_count_is(workdir):
    write_counts(workdir)
    panel = "  - {{id: {id}, type: kpi, value: '{value}', yaw: {yaw}, pitch: 0, width: 30, height: 15}}\n"
    path = ward_scene(workdir,
                      panel.format(id="ward", value="sum(cases.n, where=wards.ward24_name == params.ward)", yaw=0)
                      + panel.format(id="county", value="sum(rare.n)", yaw=40)
                      + panel.format(id="undeclared", value="sum(plain.n, where=wards.ward24_name == params.ward)", yaw=80),
                      "  - {title: All, show: [ward, county, undeclared]}\n"
                      "  - {title: Porthill, show: [ward, county, undeclared], params: {ward: Porthill}}\n"
                      "  - {title: Abbey, show: [ward], params: {ward: Abbey}}\n",
                      datasets=CASES)
    b = load_briefing(path)
    everywhere, county, undeclared = b.contents
    assert everywhere.value == 10 * (len(census()) - 2) + 2 and not everywhere.suppressed
    assert county.value == 2 and county.suppressed  # the whole county's small count
    porthill = b.step_view(1)
    ward, _, plain = porthill.contents
    assert ward.value == 2 and ward.suppressed and ward.count
    assert ward == county  # the same content, so drawn the same
    assert plain.value == 2 and not plain.suppressed  # not declared a count: shown
    assert not b.step_view(2).contents[0].suppressed  # Abbey: 30 cases
    # Drawn: the ward's number is the county's 'suppressed', not a 2.
    ward_image = draw(_only(porthill, 0)).image
    county_image = draw(_only(porthill, 1)).image
    plain_image = draw(_only(porthill, 2)).image
    assert np.array_equal(ward_image, county_image)
    assert not np.array_equal(ward_image, plain_image)


def _only(briefing, i):
    """A stand-in briefing whose first panel and content are panel i's (for helpers.draw)."""
    scene = SimpleNamespace(panels=[briefing.scene.panels[i]], source=briefing.scene.source)
    return SimpleNamespace(scene=scene, contents=[briefing.contents[i]])


def test_suppressed_is_what_the_kpi_says(workdir):
    """The word drawn for a suppressed KPI is SUPPRESSED: the ward KPI at Porthill draws it."""
    write_counts(workdir)
    from bridge.panels.common.canvas import draw_panel
    from bridge.theme import DEFAULT_THEME

    path = ward_scene(workdir, "  - {id: ward, type: kpi, value: 'sum(cases.n, where=wards.ward24_name == params.ward)',"
                               " yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: Porthill, show: [ward], params: {ward: Porthill}}\n", datasets=CASES)
    view = load_briefing(path).step_view(0)
    drawn = draw_panel(view.scene.panels[0], view.contents[0], (600, 300), 20.0, None, DEFAULT_THEME)
    texts = drawn.texts
    assert SUPPRESSED in texts and "2" not in texts


# ---- 4. a step that sets a parameter, rendered ----------------------------------------------

RENDERED = (
    f"  - {{id: k, type: kpi, value: '{IN_WARD}', label: 'People in {{params.ward}}', yaw: 0, pitch: 0, width: 40, height: 20}}\n"
    "  - {id: t, type: text, text: Nothing here reads a parameter, yaw: 60, pitch: 0, width: 40, height: 20}\n"
    "  - {id: m, type: map, colour: people.total, yaw: -60, pitch: 0, width: 40, height: 20}\n"
)


def box(yaw, pitch, width, height, size=(1024, 512), margin=3):
    """The slices of an equirect frame `size` covering a panel, grown by `margin` pixels."""
    w, h = size
    x0, x1 = yaw_to_x(yaw - width / 2, w), yaw_to_x(yaw + width / 2, w)
    y0, y1 = pitch_to_y(pitch + height / 2, h), pitch_to_y(pitch - height / 2, h)
    return slice(max(0, int(y0) - margin), int(y1) + margin + 1), slice(max(0, int(x0) - margin), int(x1) + margin + 1)


def frame_of(out, n):
    return np.asarray(Image.open(out / f"step-{n:02d}" / "equirect.png").convert("RGB")).astype(int)


@pytest.mark.slow
def test_a_step_that_sets_a_parameter_redraws_only_the_panel_that_reads_it(workdir, tmp_path, monkeypatch):
    path = ward_scene(workdir, RENDERED,
                      "  - {title: All, show: [k, t, m]}\n"
                      "  - {title: Porthill, show: [k, t, m], params: {ward: Porthill}}\n"
                      "  - {title: Back, show: [k, t, m]}\n")
    b = load_briefing(path)
    assert b.reads("k") == {"ward"} and b.reads("t") == set() and b.reads("m") == set()
    placed = []
    original = PanelModel.place

    def counted(self, renderer, image, content):
        placed.append(self.id)
        return original(self, renderer, image, content)

    monkeypatch.setattr(PanelModel, "place", counted)
    out = tmp_path / "out"
    render_briefing(b, load_room("bridge"), out, (1024, 512))
    # All three once at the start; the Porthill step re-places k alone, and going back, k again.
    assert sorted(placed[:3]) == ["k", "m", "t"] and placed[3:] == ["k", "k"]

    one, two, three = frame_of(out, 1), frame_of(out, 2), frame_of(out, 3)
    rows, cols = box(0, 0, 40, 20)
    inside = np.zeros(one.shape[:2], bool)
    inside[rows, cols] = True
    changed = np.abs(one - two).max(axis=-1) > 0
    assert changed[inside].sum() > 200, "the KPI's number and label should change"
    assert not changed[~inside].any(), f"{changed[~inside].sum()} pixels outside the KPI changed"
    assert np.array_equal(one, three)  # back to the default: the same picture
    # The panels that read nothing are the same pixels in both steps, and are drawn (not empty).
    for yaw in (60, -60):
        rows, cols = box(yaw, 0, 40, 20, margin=0)
        assert np.array_equal(one[rows, cols], two[rows, cols])
        assert one[rows, cols].std() > 5


def test_views_places_only_shown_panels_that_read_a_parameter(workdir, monkeypatch):
    path = ward_scene(workdir, RENDERED, "  - {title: All, show: [k, t, m]}\n"
                                         "  - {title: Wem, show: [t, m], params: {ward: Wem}}\n"
                                         "  - {title: Abbey, show: [k, t], params: {ward: Abbey}}\n")
    b = load_briefing(path)
    placed = []
    monkeypatch.setattr(PanelModel, "place", lambda self, renderer, image, content: placed.append((self.id, content)))

    class Art:
        def image(self, panel_id, marked=frozenset()):
            return np.zeros((2, 2, 3), np.uint8)

    views = Views(b, Art())
    views.arts = {id(b): Art()}
    monkeypatch.setattr(Views, "art", lambda self, view: Art())
    assert views.place(None, b.step_view(0), ["k", "t", "m"]) is b and placed == []
    wem = views.place(None, b.step_view(1), ["t", "m"])
    assert wem is b.step_view(1) and placed == []  # k is not shown; t and m read nothing
    abbey = views.place(None, b.step_view(2), ["k", "t"])
    assert [p for p, _ in placed] == ["k"] and abbey.data.params["ward"] == "Abbey"
    frame = census()
    assert placed[0][1].value == pytest.approx(frame.loc[frame.ward24_name == "Abbey", "total"].sum())
    assert views.place(None, abbey, ["k"]) is abbey and len(placed) == 1  # already there


# ---- 5. placeholders show labels -----------------------------------------------------------

def test_titles_and_labels_show_the_choices_label(workdir):
    path = ward_scene(workdir, f"  - {{id: k, type: kpi, value: '{IN_WARD}', label: 'People in {{params.ward}}', "
                               "title: '{params.ward} ({params.ward})', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: 'Everyone in {params.ward}', show: [k], notes: 'Say {params.ward}'}\n"
                      "  - {title: 'Residents of {params.ward}', show: [k], params: {ward: Porthill}}\n"
                      "  - {title: 'Residents of {params.ward}', show: [k], params: {ward: Abbey}}\n")
    b = load_briefing(path)
    assert b.scene.steps[0].title == "Everyone in All wards"
    assert b.scene.steps[0].notes == "Say All wards"
    assert b.scene.panels[0].label == "People in All wards"
    assert b.scene.panels[0].title == "All wards (All wards)"
    porthill = b.step_view(1)
    assert porthill.scene.steps[1].title == "Residents of Porthill (Shrewsbury)"  # the labels: mapping
    assert porthill.scene.panels[0].label == "People in Porthill (Shrewsbury)"
    abbey = b.step_view(2)
    assert abbey.scene.steps[2].title == "Residents of Abbey"  # no label: the value
    assert abbey.scene.panels[0].label == "People in Abbey"
    # The default briefing's text is untouched by loading the views.
    assert b.scene.panels[0].label == "People in All wards"


def test_labels_of_numbers_and_toggles_in_text(workdir):
    path = ward_scene(workdir, "  - {id: t, type: text, text: 'Over {params.age}, {params.heated}', yaw: 0, pitch: 0, width: 30, height: 10}\n",
                      "  - {title: 'A {params.age}', show: [t]}\n  - {title: 'B {params.age}', show: [t], params: {age: 85, heated: true}}\n",
                      params_yaml="\n  age: {type: number, min: 0, max: 100, step: 5, default: 65, unit: years}\n"
                                  "  heated: {type: toggle, on: heated homes, off: all homes}\n")
    b = load_briefing(path)
    assert b.scene.panels[0].text == "Over 65 years, all homes" and b.scene.steps[0].title == "A 65 years"
    two = b.step_view(1)
    assert two.scene.panels[0].text == "Over 85 years, heated homes" and two.scene.steps[1].title == "B 85 years"
    assert b.reads("t") == {"age", "heated"}


def test_panel_helpers_scene_with_params(workdir):
    """The panel tests' HEAD takes params: after the steps, like any other top-level key."""
    b = scene_with(workdir, "  - {id: p, type: kpi, value: 'sum(people.total, where=people.total > params.over)', "
                            "label: 'over {params.over}', width: 30, height: 15}\n",
                   extra="params:\n  over: {type: number, min: 0, max: 3000, step: 500, default: 2000}\n")
    total = census().total
    assert b.contents[0].value == pytest.approx(total[total > 2000].sum())
    assert b.scene.panels[0].label == "over 2000"
    assert "over 2000" in draw(b).texts


def test_a_listed_choice_of_more_than_max_choices_values_is_refused(workdir):
    """MAX_CHOICES bounds a column's values and a number's steps; a written list was not bounded."""
    with pytest.raises(ValidationError, match=f"lists {MAX_CHOICES + 1:,} values, more than a room can step through"):
        choice(values=[f"v{i}" for i in range(MAX_CHOICES + 1)])
    assert len(params.choices(choice(values=[f"v{i}" for i in range(MAX_CHOICES)], all="All"))) == MAX_CHOICES + 1
    values = "[" + ", ".join(f"v{i}" for i in range(MAX_CHOICES + 1)) + "]"
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml=f"\n  many: {{type: choice, values: {values}}}\n")
    assert f"{path}:{line_of(path, 'many:')}: params.many" in problems_of(path)


def test_a_value_listed_twice_is_refused():
    """Stepping finds a value's first place: after a repeated value it would never move on."""
    with pytest.raises(ValidationError, match="values: lists 'Wem' more than once"):
        choice(values=["Abbey", "Wem", "Wem", "Whitchurch North"])
    with pytest.raises(ValidationError, match="lists 2020.0 more than once"):
        choice(values=[2019, 2020, 2020.0])


def test_a_number_off_its_steps_is_refused():
    """Between two steps a value is not one the keys can step from (they would jump to the start)."""
    n = number(min=0, max=100, step=5)
    value, why = params.check("age", n, 67)
    assert value is None and why == "67 is not one of params.age's values: 0 to 100 in steps of 5 (the nearest: 65 or 70)"
    assert params.check("age", number(min=0, max=10, step=3), 10)[1].endswith("(the nearest: 9)")  # 12 is past max
    tenths = number(min=0, max=1, step=0.1)
    assert params.check("x", tenths, 0.3) == (0.3, None) and params.check("x", tenths, 0.1 * 3) == (0.3, None)
    assert params.check("x", tenths, 0.7)[0] in params.choices(tenths)
    assert params.check("x", tenths, 0.35)[0] is None
    assert params.check("x", number(min=0.5, max=2.5, step=0.5), 2.5) == (2.5, None)


def test_a_number_default_or_step_value_off_its_steps_is_located(workdir):
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'params.age', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n",
                      params_yaml="\n  age: {type: number, min: 0, max: 100, step: 5, default: 62}\n")
    assert (f"{path}:{line_of(path, 'age:')}: params.age.default: 62 is not one of params.age's values: "
            "0 to 100 in steps of 5 (the nearest: 60 or 65)") in problems_of(path)
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'params.age', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k], params: {age: 67}}\n",
                      params_yaml="\n  age: {type: number, min: 0, max: 100, step: 5, default: 65}\n")
    assert f"{path}:{line_of(path, 'title: One')}: steps[0].params.age: 67 is not one of params.age's values" in problems_of(path)


def test_a_wrong_default_does_not_hide_the_other_mistakes(workdir):
    """A default that is not a value used to stop the load before steps and panels were checked."""
    path = ward_scene(workdir, (
        "  - {id: k, type: kpi, value: 'sum(people.totl, where=wards.ward24_name == params.ward)', label: 'In {params.ward}',"
        " yaw: 0, pitch: 0, width: 30, height: 15}\n"
        "  - {id: a, type: kpi, value: 'count(people.total, where=people.total > params.age)', yaw: 40, pitch: 0, width: 30, height: 15}\n"),
        "  - {title: 'One {params.wrd}', show: [k, a], params: {ward: Abby}}\n", params_yaml="""
  ward: {type: choice, column: wards.ward24_name, default: Abbbey}
  age: {type: number, min: 0, max: 3000, step: 100, default: 1550}
""")
    lines = problems_of(path).splitlines()
    expected = [
        (line_of(path, "ward: {"), "params.ward.default: 'Abbbey' is not one of params.ward's values (did you mean 'Abbey'?)"),
        (line_of(path, "age: {"), "params.age.default: 1550 is not one of params.age's values"),
        (line_of(path, "title: 'One"), "steps[0].params.ward: 'Abby' is not one of params.ward's values"),
        (line_of(path, "title: 'One"), "steps[0].title: no parameter 'wrd'"),
        (line_of(path, "id: k"), "panels[0].value: dataset 'people' has no column 'totl'"),
    ]
    for line, fragment in expected:
        assert any(entry.startswith(f"{path}:{line}: {fragment}") for entry in lines), f"{line}: {fragment!r} not in\n" + "\n".join(lines)
    assert len(lines) == len(expected), "\n".join(lines)  # panel a is fine with the age's first value


def test_numbers_are_written_as_the_room_reads_them():
    """Labels used '{:g}': 1500000 was shown as 1.5e+06 and a code 1234567 missed its label."""
    assert params.label(number(min=0, max=5_000_000, step=5000), 1_500_000.0) == "1500000"
    assert params.label(number(min=0, max=1, step=0.05), 0.35) == "0.35"
    codes = choice(values=[1234567, 1234568], labels={"1234567": "Abbey"})
    assert params.label(codes, 1234567.0) == "Abbey" and params.label(codes, 1234568.0) == "1234568"


def test_a_number_for_a_text_value_and_text_for_a_number_are_the_same_value():
    """A column's values are text: `grp: 10` meant "10"; a listed 2020 written '2020' is 2020.
    The message lists numbers as written (it said 2019.0 and suggested '2021.0' for '2020')."""
    grp = choice(column="g.grp")
    assert params.check("grp", grp, 10.0, ["1", "10", "2"]) == ("10", None)
    year = choice(values=[2019, 2020, 2021])
    assert params.check("year", year, "2020") == (2020.0, None)
    value, why = params.check("year", year, 2022)
    assert value is None and why.startswith("2022 is not one of params.year's values") and why.endswith("they are: 2019, 2020, 2021")
    value, why = params.check("level", choice(values=[0, 1]), True)  # True == 1 in Python
    assert value is None and why.startswith("True is not one of params.level's values")


def test_a_numeric_column_choice_set_by_a_step(workdir):
    frame = census()
    groups = pd.DataFrame({"lsoa21_code": frame.lsoa21_code, "grp": np.arange(len(frame)) % 12})
    groups.to_csv(workdir / "data" / "groups.csv", index=False)
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'sum(people.total, where=groups.grp == params.grp)', "
                               "label: 'group {params.grp}', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k], params: {grp: 10}}\n",
                      params_yaml="\n  grp: {type: choice, column: groups.grp, all: every group}\n",
                      datasets="  groups: {path: data/groups.csv, key: lsoa21_code}\n")
    view = load_briefing(path).step_view(0)
    assert view.data.params["grp"] == "10" and view.scene.panels[0].label == "group 10"
    assert view.contents[0].value == pytest.approx(frame.total[groups.grp == 10].sum())


def test_a_numeric_columns_values_are_stepped_through_by_size(workdir):
    """They were sorted as text: 0, 1, 10, 11, 2, … so + went from 1 to 10."""
    frame = census()
    pd.DataFrame({"lsoa21_code": frame.lsoa21_code, "grp": np.arange(len(frame)) % 12,
                  "mixed": ["2.5", "10", "x", "1"] * (len(frame) // 4) + ["1"] * (len(frame) % 4)}
                 ).to_csv(workdir / "data" / "groups.csv", index=False)
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: '1', yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n",
                      params_yaml="\n  grp: {type: choice, column: groups.grp, all: every group}\n"
                                  "  mixed: {type: choice, column: groups.mixed}\n",
                      datasets="  groups: {path: data/groups.csv, key: lsoa21_code}\n")
    b = load_briefing(path)
    assert b.data.param_options["grp"] == [ALL] + [str(i) for i in range(12)]
    assert b.data.param_options["mixed"] == ["1", "2.5", "10", "x"] and b.data.params["mixed"] == "1"
    assert params.stepped(b.data.param_options["grp"], "1", 1) == "2"


def test_views_leaves_a_panel_whose_parameters_keep_their_values(workdir, monkeypatch):
    """A panel reading params.over was re-placed by a step that set only params.ward."""
    path = ward_scene(workdir, RENDERED + "  - {id: a, type: kpi, value: 'count(people.total, where=people.total > params.over)',"
                                          " yaw: 120, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: All, show: [k, a]}\n"
                      "  - {title: Wem, show: [k, a], params: {ward: Wem}}\n"
                      "  - {title: Wem over 2000, show: [k, a], params: {ward: Wem, over: 2000}}\n"
                      "  - {title: Over 1000 again, show: [k, a], params: {ward: all}}\n",
                      params_yaml=WARD_PARAM + "  over: {type: number, min: 0, max: 3000, step: 100, default: 1000}\n")
    b = load_briefing(path)
    assert b.reads("a") == {"over"} and b.reads("k") == {"ward"}
    placed = []
    monkeypatch.setattr(PanelModel, "place", lambda self, renderer, image, content: placed.append(self.id))
    monkeypatch.setattr(Views, "art", lambda self, view: SimpleNamespace(image=lambda panel_id: None))
    views = Views(b, None)
    views.place(None, b.step_view(1), ["k", "a"])
    assert placed == ["k"]  # over is 1000 in both
    views.place(None, b.step_view(2), ["k", "a"])
    assert placed == ["k", "a"]  # Wem in both; over changed
    views.place(None, b.step_view(3), ["k", "a"])
    assert placed == ["k", "a", "k", "a"]  # both back
    assert b.step_view(3) is b  # ward: all is the default: no second, identical briefing is loaded
    views.place(None, b, ["k", "a"])  # the default again: nothing to re-place
    assert placed == ["k", "a", "k", "a"]


@pytest.mark.slow
def test_the_contact_sheet_titles_are_the_steps_own(workdir, tmp_path, monkeypatch):
    """Titles on the contact sheet were the default view's: 'Residents of All wards' for Porthill's step."""
    import bridge.render.output

    titles = []
    real = bridge.render.output.contact_sheet

    def capture(rows, row_titles, *args, **kw):
        titles.extend(row_titles)
        return real(rows, row_titles, *args, **kw)

    monkeypatch.setattr(bridge.render.output, "contact_sheet", capture)
    path = ward_scene(workdir, f"  - {{id: k, type: kpi, value: '{IN_WARD}', yaw: 0, pitch: 0, width: 30, height: 15}}\n",
                      "  - {title: 'Residents of {params.ward}', show: [k]}\n"
                      "  - {title: 'Residents of {params.ward}', show: [k], params: {ward: Porthill}}\n")
    render_briefing(load_briefing(path), load_room("bridge"), tmp_path / "out", (1024, 512))
    assert titles == ["Step 1: Residents of All wards", "Step 2: Residents of Porthill (Shrewsbury)"]


def test_reads_counts_the_rows_steps_mark_in_a_panel():
    """A step's mark: where: reading a parameter changes the panel's picture: a live answer
    (bridge/show/answer.py redraws the panels whose reads meet the change) left its marks stale."""
    raw = {"datasets": {"areas": {"path": "a"}, "wards": {"path": "w", "where": "ltla == params.la"}},
           "derive": {"mine": "wards.name == params.ward"},
           "steps": [{"title": "One", "show": ["b"], "mark": {"b": {"where": "mine"}}},
                     {"title": "Two", "show": ["c"], "mark": {"c": {"where": "areas.x > params.over"}}}, "junk"],
           "panels": []}
    assert params.reads(raw, {"id": "b", "type": "bar", "value": "areas.x"}) == {"ward", "la"}
    assert params.reads(raw, {"id": "c", "type": "bar", "value": "areas.x"}) == {"over"}
    assert params.reads(raw, {"id": "d", "type": "bar", "value": "areas.x"}) == set()


def test_a_mark_that_reads_a_parameter(workdir):
    path = ward_scene(workdir, "  - {id: b, type: bar, value: people.total, label: people.lsoa21_code, yaw: 0, pitch: 0, width: 40, height: 30}\n",
                      "  - {title: One, show: [b], mark: {b: {where: wards.ward24_name == params.ward}}}\n"
                      "  - {title: Two, show: [b], mark: {b: {where: wards.ward24_name == params.ward}}, params: {ward: Porthill}}\n",
                      params_yaml="\n  ward: {type: choice, column: wards.ward24_name, default: Abbey}\n")
    b = load_briefing(path)
    assert b.reads("b") == {"ward"}
    frame = census()
    assert len(b.marks[(0, "b")]) == (frame.ward24_name == "Abbey").sum() == 3
    assert len(b.step_view(1).marks[(1, "b")]) == (frame.ward24_name == "Porthill").sum() == 2


def test_a_column_choice_with_no_values_is_refused_not_all(workdir):
    """An empty column gave the choice no values, and its value became 'all', which it does not offer:
    every row summed, the room told 'in all'."""
    (workdir / "data" / "empty.csv").write_text("lsoa21_code,grp\nE01028826,\nE01028827,\n")
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'sum(people.total, where=empty.grp == params.grp)', "
                               "yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml="\n  grp: {type: choice, column: empty.grp}\n",
                      datasets="  empty: {path: data/empty.csv, key: lsoa21_code}\n")
    assert f"{path}:{line_of(path, 'grp: {')}: params.grp.column: column 'grp' of 'empty' has no values to choose from" in problems_of(path)
    # With an all option there is something to choose: all.
    path = ward_scene(workdir, "  - {id: k, type: kpi, value: 'sum(people.total, where=empty.grp == params.grp)', "
                               "yaw: 0, pitch: 0, width: 30, height: 15}\n",
                      "  - {title: One, show: [k]}\n", params_yaml="\n  grp: {type: choice, column: empty.grp, all: everyone}\n",
                      datasets="  empty: {path: data/empty.csv, key: lsoa21_code}\n")
    assert load_briefing(path).data.params["grp"] is ALL


def test_labels_keyed_by_numbers_as_yaml_writes_them(workdir):
    """labels: {2020: …} (an unquoted number, as YAML reads it) was refused: 'input should be a valid string'."""
    year = choice(values=[2019, 2020, 2021.5], labels={2020: "the pandemic year", 2021.5: "half", "2019": "before"})
    assert [params.label(year, v) for v in params.choices(year)] == ["before", "the pandemic year", "half"]
    path = ward_scene(workdir, "  - {id: t, type: text, text: 'In {params.yr}', yaw: 0, pitch: 0, width: 30, height: 10}\n",
                      "  - {title: One, show: [t], params: {yr: 2020}}\n",
                      params_yaml="\n  yr: {type: choice, values: [2019, 2020], labels: {2020: Covid year}}\n")
    assert load_briefing(path).step_view(0).scene.panels[0].text == "In Covid year"
    with pytest.raises(ValidationError):
        choice(values=["a"], labels={True: "yes"})  # not a number: still refused


def test_placeholders_in_table_headings_and_the_scenes_source_are_filled(workdir):
    from bridge.render.briefing import load_briefing

    text = (MINIMAL.replace("title: Test", "title: Test\nsource: 'Census 2021, {params.area}'\nparams:\n"
                            "  area: {type: choice, values: [Shropshire 027A], all: the county}")
            .replace("  - {id: note, type: text, text: Hello, yaw: 0, pitch: 0, width: 30, height: 10}",
                     "  - {id: note, type: table, columns: {'Area in {params.area}': areas.lsoa21_name}, width: 30, height: 20}"))
    b = load_briefing(write_scene(workdir, text))
    assert b.scene.source == "Census 2021, the county"
    assert list(b.scene.panels[0].columns) == ["Area in the county"]
    bad = write_scene(workdir, text.replace("{params.area}': areas", "{params.aera}': areas"))
    with pytest.raises(BridgeError, match=r"panels\[0\]\.columns\.Area in \{params\.aera\}: no parameter 'aera' \(did you mean 'area'\?\)"):
        load_briefing(bad)


def test_a_parameters_mistakes_are_located_without_pydantics_type_tags(workdir):
    from bridge.scene.model import load_scene

    text = MINIMAL.replace("title: Test", "title: Test\nparams:\n  n: {type: numbr, min: 1}\n  m: {type: number, min: 1, max: 5, stp: 1}")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_scene(path)
    message = str(info.value)
    assert "params.n.type: 'numbr' is not a valid type (did you mean 'number'?); use one of choice, number, toggle" in message
    assert "params.m.stp: unknown key (did you mean 'step'?)" in message and ".number." not in message
