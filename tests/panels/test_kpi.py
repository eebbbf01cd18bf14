"""KPI panels (bridge/panels/kpi.py): one number with a comparison and a sparkline; one number only."""

import pytest

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from tests.conftest import MINIMAL, write_scene
from tests.panels.helpers import HEAD, assert_error_located, draw, scene_with


def test_kpi_with_comparison_and_spark(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, data: falls, value: max(value), compare: min(value), compare_label: vs lowest, spark: value, width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert any("vs lowest" in t for t in drawn.texts) and any(t.startswith("▲") for t in drawn.texts)


def test_kpi_bad_format_is_located(workdir):
    assert_error_located(workdir, "{id: p, type: kpi, value: sum(people.total), format: '{:q}', width: 40, height: 10}", "'q' in number format '{:q}' is not a number spec")


def test_unknown_column_in_panel_is_located(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.totl), width: 20, height: 10}\nsteps:")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    msg = str(info.value.problems[0])
    assert msg.startswith(f"{path}:7: panels[1].value: dataset 'people' has no column 'totl' (did you mean 'total'?)"), msg


def test_kpi_needs_one_number(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: people.total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match=r"a single number is needed: wrap it, e.g. sum\(people.total\)"):
        load_briefing(write_scene(workdir, text))


def test_non_numeric_column(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.lsoa21_name), width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="is not numeric"):
        load_briefing(write_scene(workdir, text))


def test_kpi_of_a_division_by_zero_shows_no_data_and_warns(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, value: sum(people.total) / 0, compare: '1', spark: 1 / (people.total > 1600), width: 40, height: 10}\n")
    texts = draw(b, size=(800, 200)).texts
    assert "no data" in texts and not any("nan" in t or "inf" in t for t in texts)
    assert not any(t.startswith(("▲", "▼", "■")) for t in texts)  # no change against a missing number
    messages = [str(w) for w in b.data.warnings]
    assert any("panels[0].value: 'sum(people.total) / 0' is not finite (a division by zero, or a number too large?) "
               "and is drawn as no data" in m for m in messages), messages
    assert any(m.endswith("values are not finite (a division by zero, or a number too large?) and are drawn as no data")
               and "panels[0].spark" in m for m in messages), messages


def test_kpi_with_a_missing_comparison_draws_no_change(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, value: sum(people.total), compare: max(people.total) ** 400, compare_label: vs x, width: 40, height: 10}\n")
    texts = draw(b, size=(800, 200)).texts
    assert not any("vs x" in t or "nan" in t for t in texts)


def test_kpi_number_format(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, value: '1234.56', format: '£{:,.1f}m', width: 40, height: 10}\n")
    assert "£1,234.6m" in draw(b, size=(800, 200)).texts


@pytest.mark.parametrize("fmt, fragment", [
    ("{0.__class__}", "names a field ('0.__class__')"),
    ("{:>1500000000}", "asks for a width of 1500000000; at most 40 is allowed"),
])
def test_kpi_unsafe_format_is_refused_where_it_is_written(workdir, fmt, fragment):
    assert_error_located(workdir, f"{{id: p, type: kpi, value: sum(people.total), format: '{fmt}', width: 40, height: 10}}", fragment)


def test_a_small_comparison_count_or_spark_point_is_never_shown(workdir):
    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene

    (workdir / "data" / "visits.csv").write_text("year,visits\n2019,12\n2020,3\n2021,9\n")
    text = ("title: T\ndatasets:\n  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
            "  visits: {path: data/visits.csv, join: false, counts: [visits]}\npanels:\n"
            "  - {id: p, type: kpi, data: visits, value: max(visits.visits), compare: min(visits.visits), spark: visits.visits,"
            " width: 30, height: 10}\nsteps:\n  - {title: One, show: [p]}\n")
    content = load_briefing(write_scene(workdir, text)).contents[0]
    assert content.value == 12 and content.compare is None  # 12 vs 3 (+300%) would reveal the 3
    assert list(content.spark) == [12, 9]


@pytest.mark.parametrize("value, unit, expected", [
    ("4.65", "%", "4.7%"),  # 2 significant figures below 10, the unit glued to the number
    ("27.84", "%", "27.8%"),  # 3 from 10 up
    ("3.214", "£m", "£3.2m"),  # a currency before the number, the rest after
    ("12", "homes", "12 homes"),  # a word after a space
    ("156.2", None, "156"),
    ("1234567.8", None, "1,234,568"),
])
def test_kpi_number_has_meaningful_digits_and_its_unit_beside_it(workdir, value, unit, expected):
    unit_yaml = f", unit: '{unit}'" if unit else ""
    b = scene_with(workdir, f"  - {{id: p, type: kpi, value: '{value}'{unit_yaml}, label: of homes, width: 40, height: 10}}\n")
    texts = draw(b, size=(800, 200)).texts
    assert expected in texts and "of homes" in texts, texts  # the label alone underneath
    assert not any(unit and t.startswith(unit) and t != expected for t in texts), texts  # the unit is not before the label


def test_kpi_count_of_people_is_an_integer(workdir):
    text = (HEAD.replace("derive:\n", "derive:\n  est: {expr: 'people.total * 0.3713', count: true}\n")
            + "  - {id: p, type: kpi, value: sum(est), label: people, width: 40, height: 10}\nsteps:\n  - {title: One, show: [p]}\n")
    b = load_briefing(write_scene(workdir, text))
    value = b.contents[0].value
    assert b.contents[0].count and value != round(value)  # an estimated count of people, not whole …
    assert f"{round(value):,}" in draw(b, size=(800, 200)).texts  # … is written as an integer, thousands separated


def test_kpi_explicit_format_wins_and_keeps_the_unit_beside_it(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, value: '4.65', format: '{:.2f}', unit: '%', width: 40, height: 10}\n")
    assert "4.65%" in draw(b, size=(800, 200)).texts


def test_kpi_missing_number_has_no_unit(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, value: sum(people.total) / 0, unit: '%', label: x, width: 40, height: 10}\n")
    texts = draw(b, size=(800, 200)).texts
    assert "no data" in texts and not any("%" in t for t in texts)


def test_a_long_label_is_shrunk_and_wrapped_never_cut(workdir):
    label = "Residents aged 85 and over who live alone in a home rated below band C"
    b = scene_with(workdir, f"  - {{id: p, type: kpi, value: sum(people.total), label: '{label}', width: 16, height: 10}}\n")
    drawn = draw(b, size=(320, 200), ppd=20.0)
    (text, (x0, y0, x1, y1)), = [(t, box) for t, box in drawn.text_boxes if t.replace("\n", " ") == label]
    assert x0 >= 0 and x1 <= 320 and y0 >= 0  # inside the panel, whole
    assert "\n" in text and drawn.smallest_text_deg >= 0.6


def _box(drawn, predicate):
    (box,) = [box for text, box in drawn.text_boxes if predicate(text)]
    return box


def test_a_long_title_is_fitted_to_the_panel_and_the_number_sits_below_it(workdir):
    title = "Falls admissions in Shropshire among people aged 65 and over, directly age-standardised, 2017/18"
    b = scene_with(workdir, f"  - {{id: p, type: kpi, title: '{title}', value: '1498', label: per 100k, width: 20, height: 12}}\n")
    drawn = draw(b, size=(400, 240), ppd=20.0)
    text, (x0, y0, x1, y1) = next((t, box) for t, box in drawn.text_boxes if t.replace("\n", " ") == title)
    assert "\n" in text and x0 >= 0 and x1 <= 400  # wrapped, inside the panel
    assert _box(drawn, lambda t: t == "1,498")[3] < y0  # the number is wholly below the title's last line
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_a_compare_label_of_80_characters_is_wrapped_within_its_column_and_overlaps_nothing(workdir):
    label = "vs the England average for people aged sixty-five and over in the same financial year"
    assert len(label) >= 80
    b = scene_with(workdir, f"  - {{id: p, type: kpi, value: '3', compare: '4', compare_label: '{label}', width: 40, height: 16}}\n")
    drawn = draw(b, size=(800, 320), ppd=20.0)
    text, (x0, _, x1, _) = next((t, box) for t, box in drawn.text_boxes if t.startswith("▼ 25%"))
    assert "\n" in text and text.replace("\n", " ") == f"▼ 25% {label}"  # wrapped at spaces, nothing left out
    assert 0.66 * 800 - 2 <= x0 and x1 <= 0.96 * 800 + 2  # within the column right of the number
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_a_long_comparison_leaves_the_spark_line_uncovered(workdir):
    label = "vs the England average for people aged sixty-five and over in the same financial year"
    b = scene_with(workdir, f"  - {{id: p, type: kpi, data: falls, value: max(value), compare: min(value), compare_label: '{label}', "
                            f"spark: value, label: per 100k aged 65+, width: 40, height: 10}}\n")
    from bridge.panels.common.canvas import Canvas

    c = Canvas((800, 200), 20.0)
    b.scene.panels[0].draw(c, b.contents[0], None, frozenset())
    (spark,) = c.fig.axes
    compare = next(t for t in c.draw() if t.get_text().startswith("▲"))
    renderer = c.canvas.get_renderer()
    assert compare.get_window_extent(renderer).y0 > spark.get_window_extent(renderer).y1  # the line is below the text
    assert c.layout_faults() == []


def test_the_number_is_sized_by_its_width_as_drawn(workdir):
    # Bold digits, M and W are wider than the theme's average glyph: sized by that estimate, this ran past its column.
    b = scene_with(workdir, "  - {id: p, type: kpi, value: '8888888888', format: '{:.0f}', unit: MW, compare: '8888888888', "
                            "width: 40, height: 20}\n")
    drawn = draw(b, size=(800, 400), ppd=20.0)
    x0, _, x1, _ = _box(drawn, lambda t: t == "8888888888 MW")
    column = 0.62 * 800
    assert x0 >= 0 and x1 <= column  # inside the number's column, clear of the comparison's
    assert x1 - x0 >= 0.85 * 0.9 * column  # and as large as its column allows
    assert drawn.faults == []


def test_a_comparison_too_long_for_a_tiny_panel_is_shortened_as_a_last_resort(workdir):
    label = "vs the England average for people aged sixty-five and over in the same financial year"
    b = scene_with(workdir, f"  - {{id: p, type: kpi, title: A title that will not fit on one line here, value: '3', compare: '4', "
                            f"compare_label: '{label}', label: per 100k aged 65+, width: 16, height: 8}}\n")
    drawn = draw(b, size=(320, 160), ppd=20.0)
    (text,) = [t for t in drawn.texts if t.startswith("▼")]
    assert text.endswith("…") and drawn.faults == [] and drawn.smallest_text_deg >= 0.6
