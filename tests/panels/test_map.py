"""Map panels (bridge/panels/map.py): classes, legend, labels, raster underlay, located refusals."""

import re

import pytest

from bridge.errors import BridgeError
from bridge.panels.canvas import palette
from bridge.pipeline import load_briefing
from tests.conftest import MINIMAL, write_scene
from tests.panels.helpers import assert_error_located, draw, scene_with, share_of


def test_map_colours_every_class_and_has_a_legend(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', outline: county, labels: 3, width: 50, height: 30}\n")
    drawn = draw(b)
    for colour in palette("viridis", 5):
        assert share_of(drawn.image, colour) > 0.002, "a class colour is missing from the map"
    assert "% aged 65+" in drawn.texts
    assert sum(bool(re.match(r"[\d.]+ – [\d.]+", t)) for t in drawn.texts) == 5  # five class labels
    assert drawn.smallest_text_deg >= 0.6


def test_map_labels_do_not_cover_each_other(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, labels: 12, label: areas.lsoa21_name, width: 40, height: 26}\n")
    drawn = draw(b, size=(800, 520))
    names = set(b.contents[0].labels)
    boxes = [box for text, box in drawn.text_boxes if text in names]
    assert 4 <= len(boxes) <= 12
    for i, (ax0, ay0, ax1, ay1) in enumerate(boxes):
        for bx0, by0, bx1, by1 in boxes[i + 1:]:
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, "two labels overlap"


def test_map_raster_underlay(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, raster: {path: data/indoors_shropshire.tif, opacity: 1}, width: 50, height: 30}\n")
    assert b.contents[0].raster[0].shape[2] == 3
    x0, y0, x1, y1 = b.contents[0].raster[1]
    assert 300000 < x0 < x1 < 400000 and 250000 < y0 < y1 < 350000  # GeoTIFF bounds in BNG metres
    drawn = draw(b)
    assert share_of(drawn.image, "#000004", tol=40) + share_of(drawn.image, palette("inferno", 5)[2], tol=40) > 0.01


def test_map_needs_polygons(workdir):
    text = MINIMAL.replace("steps:", "  - {id: m, type: map, data: people, colour: total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="a map needs polygons"):
        load_briefing(write_scene(workdir, text))


@pytest.mark.parametrize("panel,fragment", [
    ("{id: p, type: map, colour: older, palette: viridos, width: 50, height: 30}", "unknown palette 'viridos' (did you mean 'viridis'?)"),
    ("{id: p, type: map, colour: older, width: 1, height: 30}", "the panel is too small for its content"),
    ("{id: p, type: map, data: people, colour: older, width: 50, height: 30}", "a map needs polygons"),
])
def test_map_errors_are_located(workdir, panel, fragment):
    assert_error_located(workdir, panel, fragment)
