"""Line panels (bridge/panels/line.py): one line per series, the highlighted one in the mark colour."""

import numpy as np

from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import MIN_TEXT_DEG
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_line_draws_every_series_and_highlights_one(workdir):
    b = scene_with(workdir, "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name, highlight: Shropshire, width: 50, height: 30}\n")
    assert set(b.contents[0].series) == {"Shropshire", "England", "Herefordshire", "Telford and Wrekin"}
    drawn = draw(b)
    assert "Shropshire" in drawn.texts and share_of(drawn.image, THEME.mark) > 0.002


def test_line_without_series_refuses_several_values_per_x(workdir):
    assert_error_located(workdir, "{id: p, type: line, data: falls, x: period, y: value, width: 50, height: 30}", "has several values")


def test_small_counts_are_never_points_on_a_line(workdir):
    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene

    (workdir / "data" / "visits.csv").write_text("year,visits\n2019,12\n2020,3\n2021,9\n2022,2\n2023,15\n")
    text = ("title: T\ndatasets:\n  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
            "  visits: {path: data/visits.csv, join: false, counts: [visits]}\npanels:\n"
            "  - {id: p, type: line, data: visits, x: year, y: visits, width: 50, height: 30}\n"
            "steps:\n  - {title: One, show: [p]}\n")
    b = load_briefing(write_scene(workdir, text))
    content = b.contents[0]
    assert content.suppressed == 2
    assert content.x == ["2019", "2020", "2021", "2022", "2023"]  # the years stay: gaps, not a shorter line
    assert np.isnan(content.series["value"][[1, 3]]).all()
    assert list(content.series["value"][[0, 2, 4]]) == [12, 9, 15]
    drawn = draw(b)
    assert "2 small count(s) suppressed" in drawn.texts
    numbers = [t for t in drawn.texts if t.replace("−", "-").lstrip("-").replace(".", "").isdigit()]
    assert set(numbers) <= set(content.x), numbers  # only the years: no y-axis numbers to bracket a count


# --- layout under stress: measured from the drawn text (Canvas.layout_faults and the text boxes) -----

def _series(workdir, rows, panel: str, size=(900, 560)):
    """Drawn: a line chart of `rows` (period, series, value) from a CSV of its own, at 20 px/°."""
    import pandas as pd

    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene

    pd.DataFrame(rows, columns=["period", "name", "value"]).to_csv(workdir / "data" / "series.csv", index=False)
    text = ("title: T\ndatasets:\n  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
            "  series: {path: data/series.csv, join: false}\npanels:\n"
            f"  - {{id: p, type: line, data: series, x: period, y: value, series: name, {panel}}}\n"
            "steps:\n  - {title: One, show: [p]}\n")
    return draw(load_briefing(write_scene(workdir, text)), size=size)


PERIODS = [f"{2000 + k}/{(k + 1) % 100:02d}" for k in range(24)]


def _box(drawn, text):
    return next(box for t, box in drawn.text_boxes if t == text)


def test_long_series_names_are_wrapped_beside_the_chart_and_kept_apart(workdir):
    names = [f"Series {s}: the neighbourhoods of the {s}th district with their parishes" for s in range(6)]
    rows = [(p, name, 100 + (s % 2) * 0.5 + k) for s, name in enumerate(names) for k, p in enumerate(PERIODS)]
    drawn = _series(workdir, rows, "width: 50, height: 30")  # six lines ending within a whisker of each other
    shown = [t for t in drawn.texts if t.replace("\n", " ").startswith("Series ")]
    assert len(shown) == 6 and any("\n" in t for t in shown)  # every series named, the long names wrapped
    boxes = [_box(drawn, t) for t in shown]
    assert all(box[2] <= 900 and box[0] >= 0.6 * 900 for box in boxes)  # in a column at the right, inside the panel
    tops = sorted((box[1], box[3]) for box in boxes)
    assert all(upper[0] >= lower[1] for lower, upper in zip(tops, tops[1:]))  # stacked, none on another
    assert drawn.faults == []


def test_too_many_names_for_a_small_panel_name_the_highlighted_one_and_say_how_many(workdir):
    names = [f"Area {s} with a long and winding name that goes on" for s in range(12)]
    rows = [(p, name, s * 10 + k) for s, name in enumerate(names) for k, p in enumerate(PERIODS[:6])]
    drawn = _series(workdir, rows, "title: Twelve areas, width: 24, height: 12, highlight: 'Area 7 with a long and winding name that goes on'",
                    size=(480, 240))
    notes = [t for t in drawn.texts if t.endswith("series named")]
    assert len(notes) == 1
    named = int(notes[0].split()[0])
    assert 0 < named < 12 and notes[0] == f"{named} of 12 series named"
    shown = [t for t in drawn.texts if t.startswith("Area ")]
    assert len(shown) == named and any(t.startswith("Area 7 ") for t in shown)  # the highlighted series keeps its name
    assert drawn.smallest_text_deg >= MIN_TEXT_DEG and drawn.faults == []


def test_many_periods_are_labelled_every_kth_and_never_overlap(workdir):
    rows = [(p, "Shropshire", 50 + k) for k, p in enumerate(PERIODS)]
    drawn = _series(workdir, rows, "width: 30, height: 20", size=(600, 400))
    periods = [t for t in drawn.texts if t in PERIODS]
    assert 2 <= len(periods) < len(PERIODS) and periods[-1] == PERIODS[-1]  # thinned; the latest always shown
    steps = {PERIODS.index(b) - PERIODS.index(a) for a, b in zip(periods, periods[1:])}
    assert len(steps) == 1  # every k-th, evenly
    boxes = sorted(_box(drawn, t) for t in periods)
    assert all(b[0] - a[2] > 0 for a, b in zip(boxes, boxes[1:]))  # a gap between neighbours
    assert drawn.faults == []


def test_a_long_unit_runs_across_above_the_chart_and_a_short_one_up_its_side(workdir):
    rows = [(p, "Shropshire", 10 ** 7 * (1 + k)) for k, p in enumerate(PERIODS[:8])]
    unit = "emergency admissions for falls per 100,000 people aged 65 and over, age-standardised to the 2013 European population"
    long = _series(workdir, rows, f"title: Falls, unit: '{unit}', width: 40, height: 24", size=(800, 480))
    drawn_unit = [t for t in long.texts if t.replace("\n", " ") == unit]
    assert drawn_unit, long.texts
    x0, y0, x1, y1 = _box(long, drawn_unit[0])
    assert x1 - x0 > y1 - y0 and y1 <= 480 and x1 <= 800  # across, not up the side; inside the panel
    assert not any("e+" in t or t.startswith("1e") for t in long.texts)  # axis numbers written out: no "1e7" above the axis
    assert "50m" in long.texts  # millions written short
    assert long.faults == []
    short = _series(workdir, rows, "title: Falls, unit: 'per 100,000', width: 40, height: 24", size=(800, 480))
    x0, y0, x1, y1 = _box(short, "per 100,000")
    assert y1 - y0 > x1 - x0  # up the side of the chart
    assert short.faults == []


def test_a_series_that_ends_early_is_named_in_the_column_beside_the_chart(workdir):
    rows = [(p, "England", 20 + k) for k, p in enumerate(PERIODS[:10])]
    rows += [(p, "Shropshire", 10 + k) for k, p in enumerate(PERIODS[:6])]
    drawn = _series(workdir, rows, "width: 50, height: 30")
    england, shropshire = _box(drawn, "England"), _box(drawn, "Shropshire")
    latest = _box(drawn, PERIODS[9])
    assert abs(england[0] - shropshire[0]) < 1  # one column of names (Shropshire's joined to its line by a leader)
    assert shropshire[0] > (latest[0] + latest[2]) / 2  # right of the chart's last period, not over the lines
    assert drawn.faults == []


def test_periods_run_in_time_order_not_alphabetical(workdir):
    from bridge.panels.line import period_key
    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene

    rows = ["Jan 2024", "Apr 2023", "Dec 2023", "Feb 2024", "Aug 2023"]
    (workdir / "data" / "monthly.csv").write_text("month,rate\n" + "".join(f"{m},{i + 1}\n" for i, m in enumerate(rows)))
    text = ("title: T\ndatasets:\n  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
            "  monthly: {path: data/monthly.csv, join: false}\npanels:\n"
            "  - {id: p, type: line, data: monthly, x: month, y: rate, width: 50, height: 30}\n"
            "steps:\n  - {title: One, show: [p]}\n")
    content = load_briefing(write_scene(workdir, text)).contents[0]
    assert list(content.x) == ["Apr 2023", "Aug 2023", "Dec 2023", "Jan 2024", "Feb 2024"]
    assert list(content.series["value"]) == [2, 5, 3, 1, 4]  # each value stays with its month
    assert sorted(["2023 Q10", "2023 Q2", "2022 Q4"], key=period_key) == ["2022 Q4", "2023 Q2", "2023 Q10"]
    assert sorted(["2020/21", "2019/20"], key=period_key) == ["2019/20", "2020/21"]
    assert sorted(["2023-10", "2023-2"], key=period_key) == ["2023-2", "2023-10"]


# --- the value axis: from zero when asked -------------------------------------------------------

def test_a_line_chart_axis_starts_at_zero_when_asked_and_says_when_it_does_not(workdir):
    from bridge.export.accessible import step_texts

    panel = "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name, where: area_name != \"England\", " \
            "width: 50, height: 30%s}\n"
    b = scene_with(workdir, panel % "")  # values from about 1,300 to 1,800: the axis spans them
    drawn = draw(b)
    numbers = [float(t) for t in drawn.texts if t.isdigit() and not t.startswith("20")]
    assert min(numbers) >= 1000 and "0" not in drawn.texts
    assert any("does not start at zero" in line for line in step_texts(b)[0]["panels"][0]["text"])
    b = scene_with(workdir, panel % ", axis: {from_zero: true}")
    drawn = draw(b)
    assert "0" in drawn.texts and drawn.faults == []
    boxes = {t: box for t, box in drawn.text_boxes if t.isdigit() and not t.startswith("20")}
    zero = (boxes["0"][1] + boxes["0"][3]) / 2
    top = max((box[1] + box[3]) / 2 for box in boxes.values())
    highest = max(float(t) for t in boxes)
    row = int(round(drawn.image.shape[0] - zero))  # the "0" on the axis, as a row from the top
    near = share_rows(drawn.image[row - 4:row + 5], THEME.muted, tol=40)
    assert near.max() > 0.4, "no zero line, in the muted colour, across the chart at the 0"
    assert (top - zero) / highest * 1300 < (top - zero) * 0.9  # 1,300 is well up the axis, not at its foot
    assert "The value axis starts at zero." in step_texts(b)[0]["panels"][0]["text"]


def share_rows(image, colour, tol=14):
    """Per row of the picture, the share of its pixels within `tol` of `colour`."""
    from matplotlib.colors import to_rgb

    return np.mean(np.all(np.abs(image.astype(int) - np.array(to_rgb(colour)) * 255) <= tol, axis=-1), axis=1)
