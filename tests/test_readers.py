"""Reading dataset files (bridge/data/readers.py): formats, where, pivot, coordinates and geometry; clear refusals."""

import json

import numpy as np
import pandas as pd
import pytest

from bridge.data.formats import read_geojson
from bridge.data.readers import missing_column
from bridge.data.tables import load_data
from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from bridge.scene.model import load_scene
from tests.conftest import BASE, MINIMAL, SAMPLE, brief, write_scene


def data_of(path):
    scene, doc = load_scene(path)
    return load_data(scene, doc)


def messages(exc_info):
    return [str(p) for p in exc_info.value.problems]


def test_missing_file_is_named(workdir):
    path = write_scene(workdir, MINIMAL.replace("data/census21_age_shropshire.csv", "data/nope.csv"))
    with pytest.raises(BridgeError) as info:
        data_of(path)
    assert any(f"{path}:4: datasets.people.path: file not found" in m for m in messages(info)), messages(info)


def test_missing_key_column_suggests(workdir):
    path = write_scene(workdir, MINIMAL.replace("key: lsoa21_code}\n", "key: lsoa21_cod}\n", 1).replace(
        "people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}",
        "people: {path: data/census21_age_shropshire.csv, key: lsoa_code}"))
    with pytest.raises(BridgeError) as info:
        data_of(path)
    text = "\n".join(messages(info))
    assert "datasets.areas.key: no column 'lsoa21_cod'" in text and "did you mean 'lsoa21_code'" in text
    assert "datasets.people.key: no column 'lsoa_code'" in text


def test_parquet_loads(workdir):
    pd.read_csv(SAMPLE / "census21_age_shropshire.csv").to_parquet(workdir / "data" / "people.parquet")
    data = data_of(write_scene(workdir, MINIMAL.replace("census21_age_shropshire.csv", "people.parquet")))
    assert data.joins[0].matched == 198


def test_suggestion_found_among_columns_folded_into_more(workdir):
    # 16 columns: the listing shows the 12 likeliest and "… (4 more)"; the misspelt one is the 14th in the file.
    columns = ["lsoa21_code", "apples", "bananas", "cherries", "dates", "elderberries", "figs", "grapes",
               "hazelnuts", "kiwis", "lemons", "mangoes", "nectarines", "pensioners", "quinces", "raisins"]
    pd.DataFrame([[f"E0100000{i}"] + list(range(1, 16)) for i in range(3)], columns=columns).to_csv(
        workdir / "data" / "wide.csv", index=False)
    text = MINIMAL.replace("panels:", "  wide: {path: data/wide.csv, key: lsoa21_code, counts: [pensionrs]}\npanels:")
    with pytest.raises(BridgeError) as info:
        data_of(write_scene(workdir, text))
    msg = "\n".join(messages(info))
    assert "datasets.wide.counts[0]: no column 'pensionrs' in wide.csv (did you mean 'pensioners'?)" in msg, msg
    assert "closest of its columns: pensioners, " in msg and "… (4 more)" in msg, msg


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


def test_where_and_pivot(workdir):
    datasets = "  wide: {path: data/admissions_falls_shropshire.csv, key: period, pivot: {columns: area_name, values: value}, join: false}\n"
    b = brief(workdir, datasets)
    wide = b.data.tables["wide"].frame
    assert {"Shropshire", "England"} <= set(wide.columns) and len(wide) == 8
    with pytest.raises(BridgeError, match="no rows of admissions_falls_shropshire.csv are left"):
        brief(workdir, "  f: {path: data/admissions_falls_shropshire.csv, where: period == \"1999\", join: false}\n")
    with pytest.raises(BridgeError, match="several rows for"):
        brief(workdir, "  f: {path: data/admissions_falls_shropshire.csv, key: area_code, pivot: {columns: indicator, values: value}, join: false}\n")


def test_points_reprojected_to_bng(workdir):
    frame = pd.read_csv(SAMPLE / "lsoa21_centroids_shropshire.csv")
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(frame["easting"], frame["northing"])
    frame.assign(lon=lon, lat=lat).to_csv(workdir / "data" / "wgs.csv", index=False)
    b = brief(workdir, "  wgs: {path: data/wgs.csv, points: {x: lon, y: lat}, join: false}\n")
    assert np.allclose(b.data.tables["wgs"].points, frame[["easting", "northing"]].to_numpy(), atol=0.5)


def test_invalid_geometry_and_bad_crs(workdir):
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}]}
    (workdir / "data" / "bad.geojson").write_text(json.dumps(bad))
    with pytest.raises(BridgeError, match="fewer than 4 points"):
        brief(workdir, "  bad: {path: data/bad.geojson, key: code, join: false}\n")
    with pytest.raises(BridgeError, match="unknown coordinate system 'EPSG:nope'"):
        brief(workdir, "  c: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: 'EPSG:nope'}, join: false}\n")


@pytest.mark.parametrize("suffix", ["gpkg", "shp"])
def test_geopackage_and_shapefile(workdir, suffix):
    """Vector files through GDAL: the Shropshire areas written as GeoPackage/Shapefile in BNG read back the same."""
    import shapely
    from pyogrio.raw import write

    from bridge.data.coordinates import project_to_bng
    from bridge.data.tables import shapely_areas

    frame, geometry, _ = read_geojson(SAMPLE / "shropshire_lsoa21.geojson")
    bng = project_to_bng(geometry, "EPSG:4326", None, ())
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


def test_missing_column_message_has_one_shape():
    columns = [f"c{i}" for i in range(14)] + ["total"]
    message = missing_column("totl", columns, "people.csv")
    assert message.startswith("no column 'totl' in people.csv (did you mean 'total'?); closest of its columns: total, ")
    assert message.endswith(", … (3 more)")
    assert missing_column("x", ["a", "b"], owner="dataset 'people'") == "dataset 'people' has no column 'x'; it has: a, b"
    assert missing_column("Shropshre", ["Shropshire"], what="series") == "no series 'Shropshre' (did you mean 'Shropshire'?); it has: Shropshire"


def test_a_long_listing_starts_with_the_likeliest_names_and_ignores_letter_case():
    census = [f"Aged {a} to {a + 4} years" for a in range(0, 85, 5)] + ["Aged 85 years and over", "Total: All usual residents"]
    message = missing_column("aged 85 years and over", census, "people.csv")
    assert "(did you mean 'Aged 85 years and over'?)" in message
    listed = message.split("closest of its columns: ")[1].split(", ")
    assert listed[0] == "Aged 85 years and over" and "Total: All usual residents" not in listed[:3]


@pytest.mark.parametrize("content,fragment", [
    ("{\n  \"type\": \"FeatureCollection\",\n  \"features\": [,]\n}", "not valid JSON at line 3"),
    ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [0, 0]}}]}',
     "feature 0 has geometry 'Point'; maps need Polygon or MultiPolygon"),
])
def test_bad_geojson_is_explained(tmp_path, content, fragment):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(BridgeError, match=fragment):
        read_geojson(path)


def test_geojson_rings_holes_and_named_crs(tmp_path):
    square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]
    collection = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
                  "features": [{"type": "Feature", "properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [square, hole]}},
                               {"type": "Feature", "properties": {"code": "B"}, "geometry": {"type": "MultiPolygon", "coordinates": [[square], [square]]}}]}
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(collection))
    frame, geometry, crs = read_geojson(path)
    assert list(frame["code"]) == ["A", "B"] and crs == "EPSG:27700"
    assert [len(poly) for poly in geometry[0]] == [2] and len(geometry[1]) == 2  # shell + hole; two polygons
    assert np.array_equal(geometry[0][0][1], np.array(hole, float))


def _full_reading(path, monkeypatch):
    """What the full reader (json, feature by feature) makes of a file, or the message it refuses it with."""
    from bridge.data import formats

    with monkeypatch.context() as patch:
        patch.setattr(formats, "_plain_geojson", lambda text: None)
        try:
            return formats.read_geojson(path)
        except BridgeError as exc:
            return str(exc)


SQUARE = "[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]"


def _collection(*coordinates, kind="Polygon", extra=""):
    features = ", ".join(f'{{"type": "Feature", "properties": {{"code": "A{i}"{extra}}}, '
                         f'"geometry": {{"type": "{kind}", "coordinates": {c}}}}}' for i, c in enumerate(coordinates))
    return f'{{"type": "FeatureCollection", "features": [{features}]}}'


@pytest.mark.parametrize("content,fast", [
    (_collection(f"[{SQUARE}, [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]]", f"[{SQUARE}]"), True),  # a hole
    (_collection(f"[[{SQUARE}], [{SQUARE}]]", kind="MultiPolygon"), True),
    (_collection("[[[-1.5e-3, 52.25], [1E+2, -0.0], [0.5e1, 3e+00], [-12 , 7.125], [-1.5e-3,52.25]]]"), True),
    (json.dumps(json.loads(_collection(f"[{SQUARE}]", f"[{SQUARE}]")), indent=2), True),  # pretty-printed
    (_collection(f"[{SQUARE}]", extra=', "coordinates": [1, 2]'), False),  # a property named coordinates
    (_collection("[[[0, 0, 9], [4, 0, 9], [4, 4, 9], [0, 0, 9]]]"), False),  # 3D points
    (_collection(f"[[{SQUARE}]]"), False),  # a MultiPolygon's nesting in a Polygon: refused, by the full reader
])
def test_plain_geojson_reads_as_the_full_reader_does(tmp_path, monkeypatch, content, fast):
    """The fast reading of a plain GeoJSON (its coordinates parsed in numpy) gives what the full reader
    gives, to the bit; anything else is left to the full reader, refusals and all."""
    from bridge.data import formats

    path = tmp_path / "areas.geojson"
    path.write_text(content)
    assert (formats._plain_geojson(content) is not None) == fast
    full = _full_reading(path, monkeypatch)
    try:
        fast = read_geojson(path)
    except BridgeError as exc:
        fast = str(exc)
    if isinstance(full, str):
        assert fast == full
        return
    assert fast[0].equals(full[0]) and fast[2] == full[2]
    assert len(fast[1]) == len(full[1])
    for mine, theirs in zip(fast[1], full[1]):
        assert [len(p) for p in mine] == [len(p) for p in theirs]
        for a, b in zip([r for p in mine for r in p], [r for p in theirs for r in p]):
            assert a.dtype == b.dtype and np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("number", ["01", "-01", ".5", "1.", "+1", "1e", "1e+", "1.2.3", "1e2e3", "1e2.5", "--1", "1-2",
                                    "0 1", "1.e5", "-", "[1", "[]"])
def test_plain_geojson_is_as_strict_as_json(tmp_path, monkeypatch, number):
    """A number JSON does not allow, inside the coordinates, is refused with json's own message."""
    from bridge.data import formats

    path = tmp_path / "areas.geojson"
    path.write_text(_collection(f"[[[{number}, 0], [4, 0], [4, 4], [0, 4], [0, 0]]]"))
    assert formats._plain_geojson(path.read_text()) is None
    full = _full_reading(path, monkeypatch)
    with pytest.raises(BridgeError) as info:
        read_geojson(path)
    assert str(info.value) == full


def test_plain_geojson_refuses_short_rings_as_the_full_reader(tmp_path, monkeypatch):
    path = tmp_path / "areas.geojson"
    path.write_text(_collection(f"[{SQUARE}]", "[[[0, 0], [1, 0], [0, 0]]]"))
    with pytest.raises(BridgeError, match="feature 1 has a ring of fewer than 4 points") as info:
        read_geojson(path)
    assert str(info.value) == _full_reading(path, monkeypatch)


def test_counts_name_the_table_after_where_and_pivot(workdir):
    """`counts:` is checked once `where:` and `pivot:` have run: the long table's value column is a count
    after a filter; after a pivot it stands for every pivoted column; unknown names are all refused at once."""
    long = "  falls: {path: data/admissions_falls_shropshire.csv, key: area_code, where: period == \"2017/18\", join: false, counts: [value]}\n"
    assert ("falls", "value") in brief(workdir, long).data.counts
    wide = "  wide: {path: data/admissions_falls_shropshire.csv, key: period, pivot: {columns: area_name, values: value}, join: false, counts: [value]}\n"
    data = brief(workdir, wide).data
    assert {("wide", "Shropshire"), ("wide", "England")} <= data.counts and ("wide", "period") not in data.counts
    with pytest.raises(BridgeError) as info:
        brief(workdir, wide.replace("counts: [value]", "counts: [Shropshre, value, unit]"))
    misspelt, gone = messages(info)
    assert "datasets.wide.counts[0]: no column 'Shropshre' in admissions_falls_shropshire.csv once pivoted (did you mean 'Shropshire'?)" in misspelt
    assert "datasets.wide.counts[2]: no column 'unit'" in gone  # a column of the long table, gone once pivoted


def test_an_aggregated_dataset_may_name_its_count_column(workdir):
    visits = ("  visits: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700},"
              " aggregate: {count: n}, counts: [n]}\n")
    assert ("visits", "n") in brief(workdir, visits).data.counts


def test_the_collector_is_paused_while_a_file_is_read_and_no_longer():
    import gc

    from bridge.data.readers import collector_paused

    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # held off by someone else: left so
    finally:
        gc.enable()
