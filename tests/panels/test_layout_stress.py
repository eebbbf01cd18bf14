"""Every panel type drawn with long labels, many bars and extreme values: no text is cut by a
panel's edge, none overlaps another, none covers another chart's marks (measured from the
drawn artists' extents by Canvas.layout_faults)."""

import numpy as np
import pandas as pd
import pytest

from bridge.geometry import panel_texture_size
from bridge.panels.common.canvas import draw_panel
from bridge.render.briefing import load_briefing
from tests.conftest import write_scene

pytestmark = pytest.mark.slow  # renders every panel type at stress sizes; the panels' own tests stay fast

LONG = "a neighbourhood name far longer than any ward name, with its parish and district"
TITLE = "A title an analyst wrote without thinking of the wall: the share of households in fuel poverty by area"
SOURCE = "ONS Census 2021 table TS044 and DESNZ sub-regional fuel poverty statistics 2022 (LILEE), Crown copyright"


def _stress_data(folder):
    """A wide table keyed by area with long names and values from tiny to huge, and a long
    table of many series over many periods."""
    areas = pd.read_csv(folder / "data" / "census21_age_shropshire.csv")
    rng = np.random.default_rng(7)
    n = len(areas)
    wide = pd.DataFrame({
        "lsoa21_code": areas["lsoa21_code"],
        "long_name": [f"{name}, {LONG}" for name in areas["lsoa21_name"]],
        "huge": rng.uniform(1e8, 9e9, n).round(),
        "tiny": rng.uniform(1e-4, 9e-3, n),
        "signed": rng.normal(0, 5e5, n),
        "people": rng.integers(0, 40000, n),
    })
    wide.to_csv(folder / "data" / "stress.csv", index=False)
    periods = [f"{2000 + k}/{(k + 1) % 100:02d}" for k in range(24)]
    rows = [{"period": p, "series": f"Series {s}: {LONG[: 20 + 3 * s]}", "value": 10 ** (s % 7) * (1 + k)}
            for s in range(9) for k, p in enumerate(periods)]
    pd.DataFrame(rows).to_csv(folder / "data" / "stress_long.csv", index=False)


HEAD = f"""
title: Stress
source: {SOURCE}
datasets:
  areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}
  stress: {{path: data/stress.csv, key: lsoa21_code, counts: [people]}}
  centres: {{path: data/lsoa21_centroids_shropshire.csv, points: {{x: easting, y: northing, crs: EPSG:27700}}, join: false}}
  series: {{path: data/stress_long.csv, join: false}}
  county: {{path: data/ltla24_uk.geojson, key: ltla24_code, where: ltla24_code == "E06000051", join: false}}
panels:
"""

PANELS = {
    "map": f"{{type: map, title: '{TITLE}', colour: stress.huge, legend: '{LONG}', labels: 12, label: stress.long_name, outline: county}}",
    "map-tiny": f"{{type: map, title: '{TITLE}', colour: stress.tiny, legend: per cent of households, classes: {{count: 9}}}}",
    "points": f"{{type: points, title: '{TITLE}', data: centres, colour: aged_65_plus, legend: '{LONG}'}}",
    "heatmap": f"{{type: heatmap, title: '{TITLE}', data: centres, weight: aged_65_plus, legend: '{LONG}'}}",
    "extruded": f"{{type: extruded, title: '{TITLE}', colour: stress.huge, legend: '{LONG}'}}",
    "bar": f"{{type: bar, title: '{TITLE}', value: stress.huge, label: stress.long_name, top: 40, unit: '{LONG}'}}",
    "bar-signed": f"{{type: bar, title: '{TITLE}', value: stress.signed, label: stress.long_name, top: 25, unit: pounds}}",
    "line": f"{{type: line, title: '{TITLE}', data: series, x: period, y: value, series: series, unit: '{LONG}'}}",
    "table": f"{{type: table, title: '{TITLE}', columns: {{'{LONG}': stress.long_name, Huge: stress.huge, Tiny: stress.tiny, People: stress.people}}, top: 30}}",
    "kpi": f"{{type: kpi, title: '{TITLE}', value: sum(stress.huge), label: '{LONG} and more words besides', unit: households}}",
    "kpi-compare": f"{{type: kpi, value: sum(stress.tiny), compare: sum(stress.huge), compare_label: '{LONG}', label: '{LONG}'}}",
    "text": f"{{type: text, text: '{LONG} ' , style: title}}",
    "image": f"{{type: image, title: '{TITLE}', path: data/room-plan.png}}",
    # the analysts' visuals (issue 21): long names, many categories and series, huge and tiny values
    "column": f"{{type: column, title: '{TITLE}', data: series, label: period, series: series, value: value, order: period, top: 24, unit: '{LONG}'}}",
    "column-bars": f"{{type: column, title: '{TITLE}', label: stress.long_name, value: stress.huge, stack: clustered, orientation: horizontal, top: 40, unit: '{LONG}'}}",
    "area": f"{{type: area, title: '{TITLE}', data: series, x: period, y: value, series: series, stack: stacked, unit: '{LONG}'}}",
    "combo": f"{{type: combo, title: '{TITLE}', data: series, label: period, value: value, series: series, line: value, line_label: '{LONG}', unit: '{LONG}', line_unit: '{LONG}'}}",
    "scatter": f"{{type: scatter, title: '{TITLE}', x: stress.huge, y: stress.tiny, size: stress.people, x_unit: '{LONG}', y_unit: '{LONG}'}}",
    "treemap": f"{{type: treemap, title: '{TITLE}', label: stress.long_name, value: stress.huge, top: 60, unit: '{LONG}'}}",
    "donut": f"{{type: donut, title: '{TITLE}', label: stress.long_name, value: stress.huge, top: 12, unit: households}}",
    "gauge": f"{{type: gauge, title: '{TITLE}', value: sum(stress.huge), max: 2000000000000, target: 900000000000, target_label: '{LONG}', label: '{LONG}'}}",
    "cards": f"{{type: cards, title: '{TITLE}', label: stress.long_name, values: {{'{LONG}': stress.huge, Tiny: stress.tiny, People: stress.people}}, top: 20}}",
    "matrix": f"{{type: matrix, title: '{TITLE}', data: series, group: series, label: period, values: {{'{LONG}': value}}}}",
}
SIZES = [(56, 36), (30, 20)]  # a wall panel and a small one, degrees


@pytest.mark.parametrize("kind", sorted(PANELS))
@pytest.mark.parametrize("size", SIZES, ids=["wide", "small"])
def test_no_text_clipped_or_overlapping(workdir, kind, size):
    _stress_data(workdir)
    width, height = size
    panel = PANELS[kind][:-1] + f", id: p, width: {width}, height: {height}}}"
    path = write_scene(workdir, HEAD + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n")
    briefing = load_briefing(path)
    p = briefing.scene.panels[0]
    y0, y1, p0, p1 = p.texture_extent()
    for ppd in (20.0, 30.7):
        drawn = draw_panel(p, briefing.contents[0], panel_texture_size(y1 - y0, p0, p1, ppd), ppd,
                           p.source or briefing.scene.source, briefing.theme)
        assert drawn.texts, "the panel drew text"
        assert drawn.faults == [], f"{kind} {width}°×{height}° at {ppd} px/°: {drawn.faults}"
