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


def _legend_labels(texts):
    return [t for t in texts if re.fullmatch(r"-?[\d,.]+ – -?[\d,.]+", t)]


def test_map_legend_has_one_number_of_decimals_chosen_from_its_breaks(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', width: 50, height: 30}\n")
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 5
    numbers = [n for label in labels for n in label.split(" – ")]
    assert all(re.fullmatch(r"\d+\.\d", n) for n in numbers), labels  # e.g. 5.6 – 20.1, never 5.62 – 20.1
    assert len(set(numbers)) == 6  # every break distinct


def test_map_legend_of_counts_is_in_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"] * 0.37', width: 50, height: 30}\n")
    assert not b.contents[0].count  # a count times a share is not declared a count …
    b = scene_with(workdir, "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"] + 0.5', width: 50, height: 30}\n")
    assert b.contents[0].count  # … a count plus a constant is one
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 5 and all(re.fullmatch(r"[\d,]+ – [\d,]+", label) for label in labels), labels


def test_map_legend_with_whole_fixed_breaks_is_in_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, classes: {method: fixed, breaks: [20, 25, 30]}, width: 50, height: 30}\n")
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 4 and all(re.fullmatch(r"\d+ – \d+", label) for label in labels), labels
    assert "20 – 25" in labels and "25 – 30" in labels


def test_legend_labels_share_their_decimals():
    from bridge.panels.map import legend_labels

    assert legend_labels([6.41, 10.2, 15.7]) == ["6.4 – 10.2", "10.2 – 15.7"]
    assert legend_labels([8.87, 51.87, 275.69], count=True) == ["9 – 52", "52 – 276"]
    assert legend_labels([1234.5, 5678.9, 12345.6]) == ["1,234 – 5,679", "5,679 – 12,346"]
