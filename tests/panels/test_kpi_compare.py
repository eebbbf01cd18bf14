"""A KPI's comparison states its kind (bridge/panels/kpi.py `Comparison`): a difference in the
value's unit, percentage points, a relative change or a ratio, each with its arrow and words, on
the wall and in the export's text alike; what does not fit the value is refused where it is written."""

import numpy as np
import pytest

from bridge.errors import BridgeError
from bridge.export.accessible import step_texts
from bridge.render.briefing import load_briefing
from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import MIN_TEXT_DEG
from tests.conftest import write_scene
from tests.panels.helpers import draw, share_of

HEAD = """
title: Cold homes
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  homes: {path: data/fuel_poverty_2022_shropshire.csv, key: LSOA Code,
          counts: [Number of households, Number of households in fuel poverty]}
  england: {path: data/england.csv, join: false}
panels:
"""
SHARE = '100 * sum(homes["Number of households in fuel poverty"]) / sum(homes["Number of households"])'
POOR = 'sum(homes["Number of households in fuel poverty"])'


def _scene(workdir, panel: str):
    """A briefing whose only panel is `panel`, with England's fuel-poverty rate, 13.1%, in a one-row
    table that is not joined to the areas (a figure for the test, in the test's folder)."""
    (workdir / "data" / "england.csv").write_text("area,fuel_poor_share\nEngland,13.1\n")
    return load_briefing(write_scene(workdir, HEAD + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"))


def _local_share(workdir) -> float:
    import pandas as pd

    homes = pd.read_csv(workdir / "data" / "fuel_poverty_2022_shropshire.csv")
    return 100 * homes["Number of households in fuel poverty"].sum() / homes["Number of households"].sum()


def _said(b) -> dict:
    return step_texts(b)[0]["panels"][0]


def test_one_kpi_shows_the_local_rate_englands_rate_and_the_difference_in_points(workdir):
    b = _scene(workdir, f"{{id: p, type: kpi, value: '{SHARE}', unit: '%', label: households in fuel poverty, "
                        "compare: {value: mean(england.fuel_poor_share), kind: points, label: England}, width: 40, height: 12}")
    local = _local_share(workdir)
    points = f"{local - 13.1:.1f}"
    expected = f"▲ {points} points above England's 13.1%"
    drawn = draw(b, size=(800, 240))
    number = next(box for text, box in drawn.text_boxes if text == f"{local:.1f}%")
    compare = next(box for text, box in drawn.text_boxes if text.replace("\n", " ") == expected)
    assert number[2] <= compare[0]  # the local rate, then beside it the comparison with England's
    h = drawn.image.shape[0]

    def inside(box):
        return drawn.image[h - int(box[3]):h - int(box[1]), int(box[0]):int(box[2])]

    assert share_of(inside(compare), THEME.mark, tol=40) > 0.02  # drawn, in the comparison's colour
    assert share_of(inside(number), THEME.text, tol=40) > 0.05 and share_of(inside(number), THEME.mark, tol=40) < 0.005
    assert drawn.faults == [] and drawn.smallest_text_deg >= MIN_TEXT_DEG
    said = _said(b)
    assert said["comparison"] == f"{points} points above England's 13.1%"
    assert said["text"][0] == f"{local:.1f}% households in fuel poverty ({points} points above England's 13.1%)."


@pytest.mark.parametrize("value, keys, expected", [
    (SHARE, "unit: '%', compare: {value: '20', kind: points, label: the target}", "▼ {d} points below the target's 20%"),
    (f"{SHARE} / 100", "format: '{:.1%}', compare: {value: '0.131', kind: points, label: England}",
     "▲ {p} points above England's 13.1%"),  # a share as a fraction: points are its hundredths
    ("14.1", "unit: '%', compare: {value: '13.1', kind: points, label: England}", "▲ 1.0 points above England's 13.1%"),
    ("14", "unit: '%', compare: {value: '13', kind: points, label: England}", "▲ 1 point above England's 13%"),
    (SHARE, "unit: '%', compare: {value: mean(england.fuel_poor_share), kind: change, label: England}",
     "▲ {c}% higher than England's 13.1%"),
    (SHARE, "unit: '%', compare: {value: mean(england.fuel_poor_share), kind: ratio, label: England}", "{r}× England's 13.1%"),
    ("1498", "compare: {value: '2170', kind: difference, label: England}", "▼ 672 below England's 2,170"),
    (POOR, "compare: {value: '" + POOR.replace(")", ', where=homes["Number of households"] > 700)') + "', kind: difference, "
     "label: larger areas}", "▲ {n} more than larger areas' {m}"),
    ("3.5", "unit: £m, compare: {value: '3.5', kind: difference, label: last year}", "■ level with last year's £3.5m"),
])
def test_each_kind_has_its_arrow_and_words(workdir, value, keys, expected):
    import pandas as pd

    b = _scene(workdir, f"{{id: p, type: kpi, value: '{value}', {keys}, width: 44, height: 12}}")
    local = _local_share(workdir)
    homes = pd.read_csv(workdir / "data" / "fuel_poverty_2022_shropshire.csv")
    poor = homes["Number of households in fuel poverty"]
    larger = poor[homes["Number of households"] > 700].sum()
    expected = expected.format(d=f"{20 - local:.1f}", p=f"{local - 13.1:.1f}", c=f"{100 * (local / 13.1 - 1):.1f}",
                               r=f"{local / 13.1:.2f}", n=f"{poor.sum() - larger:,}", m=f"{larger:,}")
    assert any(t.replace("\n", " ") == expected for t in draw(b, size=(880, 240)).texts), draw(b, size=(880, 240)).texts
    assert _said(b)["comparison"] == expected.lstrip("▲▼■ ")


def test_a_plain_compare_is_still_a_relative_change_with_its_label(workdir):
    b = _scene(workdir, "{id: p, type: kpi, value: '3', compare: '4', compare_label: vs last year, width: 40, height: 10}")
    assert "▼ 25% vs last year" in draw(b, size=(800, 200)).texts
    assert _said(b)["comparison"] == "down 25% vs last year"


@pytest.mark.parametrize("keys, where, fragment", [
    ("compare: {value: '2170', kind: points, label: England}", "panels[0].compare.kind",
     "points are for percentages: give the KPI unit: '%'"),
    ("unit: '%', compare: {value: '13.1', kind: difference, label: England}", "panels[0].compare.kind",
     "a difference between percentages is in percentage points: write kind: points"),
    ("compare: {value: '2170', kind: ratio}, compare_label: vs England", "panels[0].compare_label",
     "write the label inside it: compare: {…, label: England}"),
    ("compare: {value: '2170', label: England}", "panels[0].compare", "kind: is required"),
    ("compare: {value: '2170', kind: percent}", "panels[0].compare", "kind: 'percent' is not valid"),
])
def test_a_comparison_that_does_not_fit_the_value_is_refused_where_it_is_written(workdir, keys, where, fragment):
    with pytest.raises(BridgeError) as info:
        _scene(workdir, f"{{id: p, type: kpi, value: '1498', {keys}, width: 40, height: 10}}")
    message = "\n".join(map(str, info.value.problems))
    assert f"scene.yaml:{HEAD.count(chr(10))}: {where}: " in message and fragment in message, message


def test_a_small_count_compared_with_is_suppressed_and_not_said(workdir):
    three = 'sum(homes["Number of households"], where=homes["Number of households"] < 0) + 3'  # 3 households
    b = _scene(workdir, f"{{id: p, type: kpi, value: '{POOR}', compare: {{value: '{three}', kind: difference, label: last year}}, "
                        "width: 40, height: 10}")
    assert b.contents[0].compare is None  # 3 households: "more than last year (3)" would show them
    assert not any(t.startswith(("▲", "▼", "■")) for t in draw(b, size=(800, 200)).texts)
    assert _said(b)["comparison"] is None


def test_the_comparisons_label_takes_numbers_from_the_data_and_its_value_is_checked(workdir):
    b = _scene(workdir, f"{{id: p, type: kpi, value: '{SHARE}', unit: '%', compare: {{value: mean(england.fuel_poor_share), "
                        "kind: points, label: 'England ({count(england.fuel_poor_share)} figure)'}, width: 44, height: 12}")
    assert _said(b)["comparison"].endswith("England (1 figure)'s 13.1%")
    assert (("compare", "value"), "mean(england.fuel_poor_share)") in b.scene.panels[0].expressions()
    with pytest.raises(BridgeError, match=r"panels\[0\]\.compare\.value: dataset 'england' has no column 'rate'"):
        _scene(workdir, "{id: p, type: kpi, value: '3', unit: '%', compare: {value: mean(england.rate), kind: points}, "
                        "width: 40, height: 10}")


def test_no_comparison_against_zero_for_a_change_or_a_ratio_but_points_from_zero(workdir):
    ratio = _scene(workdir, "{id: p, type: kpi, value: '3', compare: {value: '0', kind: ratio, label: x}, width: 40, height: 10}")
    assert _said(ratio)["comparison"] is None
    points = _scene(workdir, "{id: p, type: kpi, value: '3', unit: '%', compare: {value: '0', kind: points, label: x}, "
                             "width: 40, height: 10}")
    assert _said(points)["comparison"] == "3 points above x's 0%"
    assert np.isfinite(points.contents[0].compare)


def test_a_comparison_too_long_for_the_narrow_column_takes_the_wide_one_rather_than_shrinking(workdir):
    from bridge.panels.kpi import COMPARE_SHRINK

    spark = 'homes["Number of households"]'
    b = _scene(workdir, "{id: p, type: kpi, title: 'Falls admissions, Shropshire, 2017/18', value: '1498', label: 'per 100,000 "
                        f"aged 65+', compare: {{value: '2170', kind: difference, label: England}}, spark: '{spark}', "
                        "width: 40, height: 8}")
    drawn = draw(b, size=(800, 160), ppd=20.0)
    x0, _, x1, _ = next(box for text, box in drawn.text_boxes if text == "▼ 672 below England's 2,170")  # on one line
    assert x1 - x0 > 0.30 * 800  # wider than the narrow column …
    assert drawn.smallest_text_deg >= COMPARE_SHRINK * THEME.body_deg  # … so that it is not shrunk to the floor
    assert drawn.faults == []
