"""Heat-map panels (bridge/panels/heatmap.py): weighted point density, 'low' to 'high'."""

from bridge.panels.common.canvas import palette
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_heatmap_shows_hot_spots_and_a_low_high_scale(workdir):
    b = scene_with(workdir, "  - {id: p, type: heatmap, data: centres, weight: aged_65_plus, radius_km: 3, width: 50, height: 30}\n")
    drawn = draw(b)
    assert "low" in drawn.texts and "high" in drawn.texts
    hot = palette("inferno", 8)[-2]
    assert share_of(drawn.image, hot, tol=40) > 0.0005


def test_heatmap_needs_points(workdir):
    assert_error_located(workdir, "{id: p, type: heatmap, data: people, width: 50, height: 30}", "has no points")
