"""Every panel type draws what it should (pixels and text) and refuses bad input clearly."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from bridge.errors import BridgeError
from bridge.panels.canvas import draw_panel, palette
from bridge.theme import DEFAULT_THEME as THEME
from bridge.pipeline import load_briefing
from tests.conftest import write_scene

HEAD = """
title: Panels
source: test data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  centres: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700}, join: false}
  falls: {path: data/admissions_falls_shropshire.csv, join: false}
  county: {path: data/ltla24_uk.geojson, key: ltla24_code, where: ltla24_code == "E06000051", join: false}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
panels:
"""


def scene_with(workdir, panel_yaml: str, extra: str = ""):
    text = HEAD + panel_yaml + "steps:\n  - title: One\n    show: [p]\n" + extra
    return load_briefing(write_scene(workdir, text))


def draw(briefing, size=(900, 560), ppd=20.0, marked=frozenset()):
    panel = briefing.scene.panels[0]
    return draw_panel(panel, briefing.contents[0], size, ppd, panel.source or briefing.scene.source, THEME, marked)


def share_of(image, colour, tol=12):
    rgb = np.array(to_rgb(colour)) * 255 if isinstance(colour, str) else np.array(colour[:3]) * 255
    return np.mean(np.all(np.abs(image.astype(int) - rgb) <= tol, axis=-1))


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


def test_points_and_heatmap(workdir):
    b = scene_with(workdir, "  - {id: p, type: points, data: centres, colour: aged_65_plus, palette: viridis, legend: aged 65+, width: 50, height: 30}\n")
    assert b.contents[0].xy.shape == (198, 2)
    drawn = draw(b)
    assert "aged 65+" in drawn.texts
    b = scene_with(workdir, "  - {id: p, type: heatmap, data: centres, weight: aged_65_plus, radius_km: 3, width: 50, height: 30}\n")
    drawn = draw(b)
    assert "low" in drawn.texts and "high" in drawn.texts
    hot = palette("inferno", 8)[-2]
    assert share_of(drawn.image, hot, tol=40) > 0.0005


def test_personal_points_are_refused_unless_allowed(workdir):
    head = HEAD.replace("join: false}\n  falls", "join: false, personal: true}\n  falls", 1)
    text = head + "  - {id: p, type: points, data: centres, width: 50, height: 30}\nsteps:\n  - {title: One, show: [p]}\n"
    with pytest.raises(BridgeError, match="marked personal"):
        load_briefing(write_scene(workdir, text))
    allowed = text.replace("title: Panels\n", "title: Panels\ndisclosure: {allow_personal_points: true}\n")
    assert load_briefing(write_scene(workdir, allowed)).contents[0].xy.shape == (198, 2)


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


def test_line_table_kpi_text_image(workdir):
    b = scene_with(workdir, "  - {id: p, type: line, data: falls, x: period, y: value, series: area_name, highlight: Shropshire, width: 50, height: 30}\n")
    assert set(b.contents[0].series) == {"Shropshire", "England", "Herefordshire", "Telford and Wrekin"}
    drawn = draw(b)
    assert "Shropshire" in drawn.texts and share_of(drawn.image, THEME.mark) > 0.002

    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, Share: older}, sort: Share, top: 4, width: 50, height: 30}\n")
    rows = b.contents[0].rows
    assert len(rows) == 4 and float(rows[0][1]) >= float(rows[-1][1])
    assert {"Area", "Share", rows[0][0]} <= set(draw(b).texts)

    b = scene_with(workdir, "  - {id: p, type: kpi, data: falls, value: max(value), compare: min(value), compare_label: vs lowest, spark: value, width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert any("vs lowest" in t for t in drawn.texts) and any(t.startswith("▲") for t in drawn.texts)

    b = scene_with(workdir, "  - {id: p, type: text, text: 'Plain and **emphasised** words', width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert share_of(drawn.image, THEME.mark) > 0.001 and "emphasised" in " ".join(drawn.texts)
    assert not any("**" in t for t in drawn.texts)

    b = scene_with(workdir, "  - {id: p, type: image, path: data/room-plan.png, width: 30, height: 20}\n")
    image = draw(b).image.astype(int)
    saturated = (image.max(axis=-1) - image.min(axis=-1)) > 80  # the plan's coloured arcs; the card is grey-blue
    assert saturated.mean() > 0.002


def test_extruded_map_renders_in_3d(workdir):
    from bridge.layout import pitch_to_y, yaw_to_x
    from bridge.pipeline import PanelArt, add_panels, render_step
    from bridge.render import EquirectRenderer

    b = scene_with(workdir, "  - {id: p, type: extruded, colour: older, legend: share, yaw: 0, pitch: -12, width: 50, height: 34}\n")
    with EquirectRenderer(1024, 512) as renderer:
        art = PanelArt(b, 1024)
        add_panels(renderer, b, art)
        frame = render_step(renderer, b, art, 0)
    # Prisms stand below the caption: coloured (not background) pixels in the lower part of the box.
    x0, x1 = int(yaw_to_x(-20, 1024)), int(yaw_to_x(20, 1024))
    y0, y1 = int(pitch_to_y(-8, 512)), int(pitch_to_y(-29, 512))
    region = frame[y0:y1, x0:x1].astype(int)
    assert (region.max(axis=-1) > 60).mean() > 0.15
    assert len(np.unique(region.reshape(-1, 3) // 32, axis=0)) > 5  # several colours: shaded prisms


@pytest.mark.parametrize("panel,fragment", [
    ("{id: p, type: map, colour: older, palette: viridos, width: 50, height: 30}", "unknown palette 'viridos' (did you mean 'viridis'?)"),
    ("{id: p, type: map, colour: older, width: 1, height: 30}", "the panel is too small for its content"),
    ("{id: p, type: map, data: people, colour: older, width: 50, height: 30}", "a map needs polygons"),
    ("{id: p, type: heatmap, data: people, width: 50, height: 30}", "has no points"),
    ("{id: p, type: image, path: data/nope.png, width: 30, height: 20}", "image not found"),
    ("{id: p, type: line, data: falls, x: period, y: value, width: 50, height: 30}", "has several values"),
    ("{id: p, type: table, columns: {A: older}, sort: B, width: 50, height: 30}", "no column 'B'"),
    ("{id: p, type: kpi, value: sum(people.total), format: '{:q}', width: 40, height: 10}", "cannot format"),
    ("{id: p, type: extruded, colour: older, width: 50, height: 8}", "caption of an extruded map needs"),
])
def test_panel_errors_are_located(workdir, panel, fragment):
    text = HEAD + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        b = load_briefing(path)
        from bridge.pipeline import PanelArt

        PanelArt(b, 2048).image("p")
    message = "\n".join(map(str, info.value.problems))
    assert fragment in message and f"{path}:" in message and "panels[0]" in message, message
