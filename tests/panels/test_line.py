"""Line panels (bridge/panels/line.py): one line per series, the highlighted one in the mark colour."""

import numpy as np

from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_line_draws_every_series_and_highlights_one(workdir):
    b = scene_with(workdir, "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name, highlight: Shropshire, width: 50, height: 30}\n")
    assert set(b.contents[0].series) == {"Shropshire", "England", "Herefordshire", "Telford and Wrekin"}
    drawn = draw(b)
    assert "Shropshire" in drawn.texts and share_of(drawn.image, THEME.mark) > 0.002


def test_line_without_series_refuses_several_values_per_x(workdir):
    assert_error_located(workdir, "{id: p, type: line, data: falls, x: period, y: value, width: 50, height: 30}", "has several values")


def test_small_counts_are_never_points_on_a_line(workdir):
    from tests.conftest import write_scene
    from bridge.pipeline import load_briefing

    (workdir / "data" / "visits.csv").write_text("year,visits\n2019,12\n2020,3\n2021,9\n2022,2\n2023,15\n")
    text = (f"title: T\ndatasets:\n  areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}\n"
            f"  visits: {{path: data/visits.csv, join: false, counts: [visits]}}\npanels:\n"
            f"  - {{id: p, type: line, data: visits, x: year, y: visits, width: 50, height: 30}}\n"
            f"steps:\n  - {{title: One, show: [p]}}\n")
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
