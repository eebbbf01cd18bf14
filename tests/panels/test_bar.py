"""Bar panels (bridge/panels/bar.py): sorted bars, a step's marked rows picked out at the top."""

import re

import numpy as np
from matplotlib.colors import to_rgb

from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import MIN_TEXT_DEG
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_bar_sorted_with_marked_rows(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 5, width: 50, height: 30}\n",
                   "    mark: {p: {top: 2}}\n")
    values = b.contents[0].values
    assert list(values) == sorted(values, reverse=True) and len(values) == 5
    assert b.marks[(0, "p")] == frozenset(b.contents[0].labels[:2])
    drawn = draw(b, marked=b.marks[(0, "p")])
    mark, plain = share_of(drawn.image, THEME.mark), share_of(drawn.image, THEME.muted)
    assert mark > 0.005 and plain > 0.005  # two picked-out bars, three muted ones
    rows = np.flatnonzero(np.all(np.abs(drawn.image.astype(int) - np.array(to_rgb(THEME.mark)) * 255) <= 12, axis=-1).sum(axis=1) > 20)
    assert rows.max() < drawn.image.shape[0] / 2  # the marked (largest) bars are at the top


def _value_labels(texts, values):
    """The drawn texts that are value labels (not axis ticks): one per bar, in the bars' order."""
    return [t for t in texts if t in values]


def test_bar_labels_share_one_number_of_decimals(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 100, order: ascending, width: 60, height: 100}\n")
    values = b.contents[0].values
    assert values.min() < 10 < values.max()  # 5.6 to 26.x: below and above ten
    expected = [f"{v:.1f}" for v in values]
    texts = draw(b, size=(1200, 2000)).texts  # 100 bars at 20 px/°: tall enough for every one
    assert _value_labels(texts, expected) == expected  # e.g. 5.6 and 26.2, never 5.62 beside 26.2
    assert not any(re.fullmatch(r"\d+\.\d\d", t) for t in texts)


def test_bar_labels_of_counts_are_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: 'people[\"Aged 65 years and over\"] - 100.4', label: areas.lsoa21_name, top: 8, order: ascending, width: 50, height: 30}\n")
    assert b.contents[0].count and b.contents[0].values.min() < 100  # 43, not 42.6: a count of people is whole
    expected = [f"{round(v):,}" for v in b.contents[0].values]
    texts = draw(b).texts
    assert set(expected) <= set(texts) and not any(re.fullmatch(r"[\d,]+\.\d+", t) for t in texts), texts


def test_bar_labels_of_whole_numbers_are_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: round(people.total / 100), label: areas.lsoa21_name, top: 8, width: 50, height: 30}\n")
    assert not b.contents[0].count and b.contents[0].values.max() < 100  # 16, not 16.0
    expected = [f"{round(v):,}" for v in b.contents[0].values]
    texts = draw(b).texts
    assert set(expected) <= set(texts) and not any(re.fullmatch(r"[\d,]+\.\d+", t) for t in texts), texts


# --- layout under stress: measured from the drawn text (Canvas.layout_faults and the text boxes) -----

def _places(workdir, rows):
    """A scene whose only panel is a bar chart of `rows` (name, value), from a CSV of its own."""
    import pandas as pd

    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene

    def scene(panel: str):
        pd.DataFrame(rows, columns=["name", "value"]).to_csv(workdir / "data" / "places.csv", index=False)
        text = ("title: T\ndatasets:\n  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
                "  places: {path: data/places.csv, join: false}\npanels:\n"
                f"  - {{id: p, type: bar, data: places, value: value, label: name, {panel}}}\n"
                "steps:\n  - {title: One, show: [p]}\n")
        return load_briefing(write_scene(workdir, text))
    return scene


def _boxes(drawn, texts):
    return [box for text, box in drawn.text_boxes if text in texts]


def test_forty_bars_on_a_short_panel_show_the_top_ones_and_say_so(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, title: Older residents, value: older, label: areas.lsoa21_name, top: 40, "
                            "unit: per cent, width: 40, height: 18}\n")
    drawn = draw(b, size=(800, 360))  # 40°×18° at 20 px/°: no room for 40 legible rows
    notes = [t for t in drawn.texts if t.endswith(" of 40 shown")]
    assert len(notes) == 1, drawn.texts
    shown = int(re.fullmatch(r"top (\d+) of 40 shown", notes[0]).group(1))
    assert 5 < shown < 40
    labels = b.contents[0].labels
    assert [t for t in drawn.texts if t in labels] == labels[:shown]  # the top ones, in order; the rest left out
    assert drawn.smallest_text_deg >= MIN_TEXT_DEG
    assert drawn.faults == []  # no label overlaps another, none runs off the panel


def test_many_bars_shrink_their_labels_before_any_is_left_out(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 30, width: 40, height: 40}\n")
    drawn = draw(b, size=(800, 800))
    labels = b.contents[0].labels
    assert [t for t in drawn.texts if t in labels] == labels and not any("shown" in t for t in drawn.texts)
    assert MIN_TEXT_DEG <= drawn.smallest_text_deg < THEME.body_deg  # smaller than body size, never below the floor
    assert drawn.faults == []


def test_long_labels_wrap_to_two_lines_within_two_fifths_of_the_panel(workdir):
    middling = "Church Stretton, Craven Arms and the villages of the Long Mynd"
    endless = "Much Wenlock " + "and the parish beyond the hill " * 8
    scene = _places(workdir, [(middling, 30.0), (endless, 20.0), ("Clun", 10.0)])
    drawn = draw(scene("width: 50, height: 30"))  # 900×560 px at 20 px/°: 45°×28°
    two = [t for t in drawn.texts if t.replace("\n", " ") == middling]
    assert two and two[0].count("\n") == 1  # wrapped, whole
    cut = [t for t in drawn.texts if t.startswith("Much Wenlock")]
    assert len(cut) == 1 and cut[0].count("\n") == 1 and cut[0].endswith("…")  # two lines, then shortened
    assert "Clun" in drawn.texts
    left = min(box[0] for box in _boxes(drawn, two + cut + ["Clun"]))
    right = max(box[2] for box in _boxes(drawn, two + cut + ["Clun"]))
    assert right <= 0.4 * 900 and left >= 0  # the label column takes at most 40% of the panel's width
    assert drawn.faults == []


def test_a_label_that_fits_is_neither_wrapped_nor_shortened(workdir):
    scene = _places(workdir, [("Ludlow", 3.0), ("Oswestry and Gobowen", 2.0)])
    drawn = draw(scene("width: 50, height: 30"))
    assert {"Ludlow", "Oswestry and Gobowen"} <= set(drawn.texts)
    assert not any("…" in t or (t.replace("\n", " ") != t and "Oswestry" in t) for t in drawn.texts)


def test_huge_values_are_labelled_inside_the_panel(workdir):
    scene = _places(workdir, [("Shrewsbury", 8_959_952_523), ("Ludlow", 4_100_000_000), ("Clun", 12)])
    drawn = draw(scene("width: 50, height: 30, unit: households"))
    boxes = _boxes(drawn, ["8,959,952,523"])
    assert boxes and boxes[0][2] <= drawn.image.shape[1] - 2  # the value at the longest bar's end, inside
    assert not any("e+" in t or t.startswith("1e") for t in drawn.texts)  # axis numbers written out, no "1e9"
    assert drawn.faults == []


def test_negative_bars_go_left_of_zero_with_their_values_clear_of_the_labels(workdir):
    scene = _places(workdir, [("Shrewsbury", 1_250_000.0), ("Ludlow", 400_000.0), ("Clun", -350_000.0),
                              ("Much Wenlock and Barrow", -1_400_000.0)])
    drawn = draw(scene("width: 50, height: 30, unit: pounds"))
    label_right = max(box[2] for box in _boxes(drawn, ["Shrewsbury", "Ludlow", "Clun", "Much Wenlock and Barrow"]))
    negative = _boxes(drawn, ["−1,400,000", "−350,000"])
    positive = _boxes(drawn, ["1,250,000", "400,000"])
    assert len(negative) == 2 and len(positive) == 2
    assert all(box[0] > label_right for box in negative)  # left of their bars, right of the labels
    assert max(box[2] for box in negative) < min(box[0] for box in positive)  # zero lies between
    assert drawn.faults == []


def test_axis_numbers_clear_a_long_unit_wrapped_to_the_chart(workdir):
    unit = "residents aged 65 and over living in homes that the fuel poverty statistics count as fuel poor (estimated)"
    scene = _places(workdir, [("Shrewsbury", 300.0), ("Ludlow", 120.0), ("Clun", 45.0)])
    drawn = draw(scene(f"width: 30, height: 20, unit: '{unit}'"), size=(600, 400))
    lines = [t for t in drawn.texts if t.replace("\n", " ") == unit]
    assert lines and lines[0].count("\n") >= 1  # wrapped to the chart's width
    unit_box = _boxes(drawn, lines)[0]
    numbers = _boxes(drawn, [t for t in drawn.texts if re.fullmatch(r"\d+", t) and t not in ("300", "120", "45")])
    assert numbers and all(box[1] > unit_box[3] for box in numbers)  # the axis numbers sit above the unit
    assert unit_box[2] <= 600 and drawn.faults == []


def test_where_keeps_only_the_rows_it_picks(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: people.total, label: areas.lsoa21_name, width: 40, height: 30,"
                            " where: 'left(areas.lsoa21_name, 13) == \"Shropshire 02\"'}\n")
    labels = b.contents[0].labels
    assert labels and all(label.startswith("Shropshire 02") for label in labels)
    assert_error_located(workdir, "{id: p, type: bar, value: people.total, label: areas.lsoa21_name, width: 40, height: 30,"
                                  " where: people.total < 0}", "no rows with a value to draw")


# --- several bars picked out, and the axis from zero ----------------------------------------------

def _wards(workdir, panel: str):
    """A briefing whose only panel is `panel`, with `wards`: each area's ward."""
    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene
    from tests.panels.helpers import HEAD

    head = HEAD.replace("derive:\n", "  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}\nderive:\n")
    return load_briefing(write_scene(workdir, head + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"))


def _marked_rows(image):
    """Rows of the picture with a run of the mark colour: one band per picked-out bar."""
    marked = np.all(np.abs(image.astype(int) - np.array(to_rgb(THEME.mark)) * 255) <= 12, axis=-1).sum(axis=1) > 20
    return int(np.sum(np.diff(marked.astype(int)) == 1))


def test_several_bars_are_highlighted_by_label_and_said_in_the_text(workdir):
    from bridge.export.accessible import step_texts

    b = _wards(workdir, "{id: p, type: bar, value: older, label: wards.ward24_name, group: mean, top: 8, "
                        "highlight: [Clun, Much Wenlock], width: 50, height: 30}")
    content = b.contents[0]
    picked = [label for label in content.labels if label in {"Clun", "Much Wenlock"}]
    assert content.highlighted == frozenset({"Clun", "Much Wenlock"}) and len(picked) == 2, content.labels
    drawn = draw(b)
    assert _marked_rows(drawn.image) == 2  # two bars in the mark colour, the others muted
    assert share_of(drawn.image, THEME.muted) > 0.005
    text = step_texts(b)[0]["panels"][0]["text"]
    assert "Picked out: " + "; ".join(picked) + "." in text


def test_bars_are_highlighted_by_a_condition_or_by_rank(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 8, "
                            "highlight: {where: older > 40}, width: 50, height: 30}\n")
    content = b.contents[0]
    expected = {label for label, v in zip(content.labels, content.values) if v > 40}
    assert 0 < len(expected) < 8 and content.highlighted & set(content.labels) == expected
    assert _marked_rows(draw(b).image) == len(expected)
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 8, highlight: {top: 3}, "
                            "width: 50, height: 30}\n")
    assert b.contents[0].highlighted == frozenset(b.contents[0].labels[:3])
    assert _marked_rows(draw(b).image) == 3


def test_a_highlighted_label_no_bar_has_is_a_warning_naming_the_nearest(workdir):
    b = _wards(workdir, "{id: p, type: bar, value: older, label: wards.ward24_name, group: mean, "
                        "highlight: [Clun, Highly], width: 50, height: 30}")
    (warning,) = [w for w in b.data.warnings if "highlight" in str(w)]
    assert "panels[0].highlight[1]" in str(warning) and "no bar is labelled 'Highly' (did you mean 'Highley'?)" in str(warning)


def test_a_bar_chart_refuses_an_axis_that_does_not_start_at_zero(workdir):
    assert_error_located(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, axis: {from_zero: false}, "
                                  "width: 50, height: 30}", "a bar chart's axis always starts at zero")


def test_on_a_grouped_chart_bars_are_picked_by_rank_not_by_a_condition_on_rows(workdir):
    assert_error_located(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, group: mean, "
                                  "highlight: {where: older > 30}, width: 50, height: 30}", "pick bars with top: N")
