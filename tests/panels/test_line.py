"""Line panels (bridge/panels/line.py): one line per series, the highlighted one in the mark colour."""

from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_line_draws_every_series_and_highlights_one(workdir):
    b = scene_with(workdir, "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name, highlight: Shropshire, width: 50, height: 30}\n")
    assert set(b.contents[0].series) == {"Shropshire", "England", "Herefordshire", "Telford and Wrekin"}
    drawn = draw(b)
    assert "Shropshire" in drawn.texts and share_of(drawn.image, THEME.mark) > 0.002


def test_line_without_series_refuses_several_values_per_x(workdir):
    assert_error_located(workdir, "{id: p, type: line, data: falls, x: period, y: value, width: 50, height: 30}", "has several values")
