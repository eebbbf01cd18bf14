"""The data layer: formats, filters, pivots, joins, points, disclosure control, themes, seams."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bridge.errors import BridgeError
from bridge.pipeline import load_briefing
from tests.conftest import SAMPLE, write_scene

BASE = """
title: Data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
"""


def brief(workdir, datasets="", panels="  - {id: p, type: text, text: hi, width: 20, height: 10}\n", derive=""):
    text = BASE + datasets + derive + "panels:\n" + panels + "steps:\n  - {title: One, show: [p]}\n"
    return load_briefing(write_scene(workdir, text))


SMALL = re.compile(r"(?<![\d.,])3(?![\d.,%])")


def test_a_count_of_three_never_appears(workdir):
    frame = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    frame.loc[0, "Aged 65 years and over"] = 3
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    code = frame.loc[0, "lsoa21_code"]
    panels = (
        "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"]', width: 50, height: 30}\n"
        "  - {id: b, type: bar, value: 'people[\"Aged 65 years and over\"]', label: areas.lsoa21_name, order: ascending, top: 5, width: 50, height: 30}\n"
        "  - {id: k, type: kpi, value: 'min(people[\"Aged 65 years and over\"])', width: 30, height: 10}\n"
        "  - {id: t, type: table, columns: {Area: areas.lsoa21_code, Older: 'people[\"Aged 65 years and over\"]'}, top: 5, width: 50, height: 30}\n"
    )
    b = brief(workdir, panels=panels)
    assert b.contents[0].suppressed.sum() == 1 and b.contents[1].suppressed[0] and b.contents[2].suppressed
    table_cells = {row[0]: row[1] for row in b.contents[3].rows}
    assert table_cells[code] == "suppressed" and b.contents[3].suppressed_cells == 1
    from bridge.panels.canvas import draw_panel

    for i, panel in enumerate(b.scene.panels):
        drawn = draw_panel(panel, b.contents[i], (1000, 700), 20.0, None)
        shown = [t for t in drawn.texts if SMALL.search(t)]
        assert not shown, f"{panel.id} shows {shown}"
        assert any("suppressed" in t for t in drawn.texts), panel.id


def test_ratios_are_not_suppressed(workdir):
    b = brief(workdir, derive="derive:\n  share: 100 * people[\"Aged 65 years and over\"] / people.total\n",
              panels="  - {id: p, type: map, colour: share, width: 50, height: 30}\n")
    assert not b.contents[0].suppressed.any()
    from bridge.disclosure import is_count

    assert is_count(b.data, 'sum(people["Aged 65 years and over"])') and not is_count(b.data, "share")


def test_excel_with_sheet_and_header_row(workdir):
    frame = pd.read_csv(SAMPLE / "fuel_poverty_2022_shropshire.csv")
    with pd.ExcelWriter(workdir / "data" / "fp.xlsx") as writer:
        pd.DataFrame({"a": ["Table 3: fuel poverty", None]}).to_excel(writer, sheet_name="Notes", index=False)
        frame.to_excel(writer, sheet_name="Table 3", index=False, startrow=2)
    b = brief(workdir, "  homes: {path: data/fp.xlsx, sheet: Table 3, header_row: 3, key: LSOA Code}\n")
    assert [j for j in b.data.joins if j.dataset == "homes"][0].matched == 198
    with pytest.raises(BridgeError, match=r"datasets.homes.sheet: .*Table 9"):
        brief(workdir, "  homes: {path: data/fp.xlsx, sheet: Table 9, header_row: 3, key: LSOA Code}\n")


def test_csv_delimiter_and_encoding_detected(workdir):
    frame = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
    frame["note"] = "café"
    frame.to_csv(workdir / "data" / "semi.csv", sep=";", index=False, encoding="cp1252")
    b = brief(workdir, "  semi: {path: data/semi.csv, key: lsoa21_code}\n")
    assert b.data.aligned["semi"]["note"].iloc[0] == "café"


def test_where_pivot_and_many_to_one_join(workdir):
    datasets = (
        "  homes: {path: data/fuel_poverty_2022_shropshire.csv, key: LSOA Code}\n"
        "  falls:\n    path: data/admissions_falls_shropshire.csv\n    key: area_code\n"
        "    where: period == \"2017/18\"\n    join: {on: 'homes[\"LA Code\"]'}\n"
        "  wide: {path: data/admissions_falls_shropshire.csv, key: period, pivot: {columns: area_name, values: value}, join: false}\n"
    )
    b = brief(workdir, datasets)
    falls = b.data.aligned["falls"]["value"]
    assert falls.nunique() == 1 and len(falls) == 198  # every LSOA gets Shropshire's rate
    wide = b.data.tables["wide"].frame
    assert {"Shropshire", "England"} <= set(wide.columns) and len(wide) == 8
    with pytest.raises(BridgeError, match="no rows of admissions_falls_shropshire.csv are left"):
        brief(workdir, "  f: {path: data/admissions_falls_shropshire.csv, where: period == \"1999\", join: false}\n")
    with pytest.raises(BridgeError, match="several rows for"):
        brief(workdir, "  f: {path: data/admissions_falls_shropshire.csv, key: area_code, pivot: {columns: indicator, values: value}, join: false}\n")


def test_points_counted_per_area_and_reprojected(workdir):
    frame = pd.read_csv(SAMPLE / "lsoa21_centroids_shropshire.csv")
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(frame["easting"], frame["northing"])
    frame.assign(lon=lon, lat=lat).to_csv(workdir / "data" / "wgs.csv", index=False)
    datasets = (
        "  visits: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700},"
        " aggregate: {count: n, sum: [aged_65_plus]}, counts: [aged_65_plus]}\n"
        "  wgs: {path: data/wgs.csv, points: {x: lon, y: lat}, join: false}\n"
    )
    b = brief(workdir, datasets)
    counts = b.data.aligned["visits"]["n"]
    assert counts.sum() >= 190 and (counts == 1).mean() > 0.95  # centroids fall in their own areas
    assert b.data.aligned["visits"]["aged_65_plus"].sum() == pytest.approx(frame["aged_65_plus"][counts.to_numpy() > 0].sum(), rel=0.05)
    assert np.allclose(b.data.tables["wgs"].points, frame[["easting", "northing"]].to_numpy(), atol=0.5)


def test_invalid_geometry_and_bad_crs(workdir):
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}]}
    (workdir / "data" / "bad.geojson").write_text(json.dumps(bad))
    with pytest.raises(BridgeError, match="fewer than 4 points"):
        brief(workdir, "  bad: {path: data/bad.geojson, key: code, join: false}\n")
    with pytest.raises(BridgeError, match="unknown coordinate system 'EPSG:nope'"):
        brief(workdir, "  c: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: 'EPSG:nope'}, join: false}\n")


def test_theme_file(workdir):
    (workdir / "theme.yaml").write_text("accent: '#ff0000'\nbody_deg: 1.5\n")
    text = BASE + "theme: theme.yaml\npanels:\n  - {id: p, type: text, text: hi, width: 20, height: 10}\nsteps:\n  - {title: One, show: [p]}\n"
    b = load_briefing(write_scene(workdir, text))
    assert b.theme.accent == "#ff0000" and b.theme.body_deg == 1.5
    (workdir / "theme.yaml").write_text("acent: red\nsmall_deg: 0.3\n")
    with pytest.raises(BridgeError) as info:
        load_briefing(write_scene(workdir, text))
    text = "\n".join(map(str, info.value.problems))
    assert "did you mean 'accent'" in text and "at least 0.6" in text
    (workdir / "theme.yaml").unlink()
    with pytest.raises(BridgeError, match=r"scene.yaml:\d+: theme: theme file not found"):
        load_briefing(write_scene(workdir, BASE + "theme: theme.yaml\npanels:\n  - {id: p, type: text, text: hi, width: 20, height: 10}\nsteps:\n  - {title: One, show: [p]}\n"))


def test_validate_warns_about_blend_zones(workdir):
    text = BASE + "panels:\n  - {id: k, type: kpi, value: sum(people.total), yaw: 36, width: 20, height: 8}\nsteps:\n  - {title: One, show: [k]}\n"
    path = write_scene(workdir, text)
    result = subprocess.run([sys.executable, "-m", "bridge", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0
    assert "warning:" in result.stderr and "'k': its number" in result.stderr and "projectors 1 and 2" in result.stderr
    moved = subprocess.run([sys.executable, "-m", "bridge", "validate", str(write_scene(workdir, text.replace("yaw: 36", "yaw: 0")))],
                           capture_output=True, text=True)
    assert "warning:" not in moved.stderr


@pytest.mark.parametrize("suffix", ["gpkg", "shp"])
def test_geopackage_and_shapefile(workdir, suffix):
    """Vector files through GDAL: the Shropshire areas written as GeoPackage/Shapefile in BNG read back the same."""
    import shapely
    from pyogrio.raw import write

    from bridge.data import _project, _read_geojson, shapely_areas

    frame, geometry, _ = _read_geojson(SAMPLE / "shropshire_lsoa21.geojson")
    bng = _project(geometry, "EPSG:4326", None, ())
    wkb = shapely.to_wkb(np.array(shapely_areas(bng)))
    path = workdir / "data" / f"areas.{suffix}"
    write(path, wkb, [frame["lsoa21_code"].to_numpy(), frame["lsoa21_name"].to_numpy()], ["code", "name"],
          geometry_type="MultiPolygon", crs="EPSG:27700")
    text = BASE.replace("areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}", f"areas: {{path: data/areas.{suffix}, key: code}}")
    text = text.replace("people: {path: data/census21_age_shropshire.csv, key: lsoa21_code", "people: {path: data/census21_age_shropshire.csv, key: lsoa21_code")
    b = load_briefing(write_scene(workdir, text + "panels:\n  - {id: p, type: map, colour: people.total, width: 50, height: 30}\nsteps:\n  - {title: One, show: [p]}\n"))
    assert b.data.joins[0].matched == 198
    ring, expected = b.data.base.geometry[0][0][0], bng[0][0][0]
    # Read in BNG, not projected twice (Shapefiles may store the ring the other way round).
    assert len(ring) == len(expected) and np.allclose(np.sort(ring, axis=0), np.sort(expected, axis=0), atol=0.01)
