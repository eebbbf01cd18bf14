"""Damaged data files: the right container with junk inside is refused where the scene names it, never a crash.

Each case writes a file that passes a first glance (a zip named .xlsx, a gzip named .geojson.gz, a
file between Parquet's PAR1 markers, an SQLite file named .gpkg, a truncated file) and runs
`bridge validate` in-process: exit 2, one located line naming the file, what is wrong with it and
how to fix it, with no internal error, no traceback and no absolute path or errno from a library.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from bridge import cli
from tests.conftest import write_scene

SCENE = """
title: Damaged
datasets:
  areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}
  extra: {{path: data/{name}, join: false{more}}}
panels:
  - {{id: p, type: text, text: hi, width: 20, height: 10}}
steps:
  - {{title: One, show: [p]}}
"""

WORKBOOK_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  'spreadsheetml.sheet.main+xml"/></Types>')
WORKBOOK_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'officeDocument" Target="xl/workbook.xml"/></Relationships>')


def refused(workdir: Path, capsys, name: str, more: str = "") -> str:
    """`bridge validate` on a scene whose dataset `extra` is data/NAME: exit 2, one clean located line."""
    scene = write_scene(workdir, SCENE.format(name=name, more=more))
    code = cli.main(["validate", str(scene)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 2, text
    assert "internal error" not in text and "Traceback" not in text, text
    assert str(workdir / "data") not in text, text  # a library's absolute path is not shown
    assert "[Errno" not in text, text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and ":4: datasets.extra." in errors[0], text
    return errors[0]


def zipped(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buffer.getvalue()


def workbook(folder: Path, name: str = "good.xlsx") -> Path:
    frame = pd.DataFrame({"lsoa21_code": ["E01", "E02"], "value": [1, 2]})
    path = folder / "data" / name
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Alpha", index=False)
        frame.to_excel(writer, sheet_name="Beta", index=False)
    return path


# Excel -------------------------------------------------------------------------------------------------


def test_a_zip_of_random_members_named_xlsx(workdir, capsys):
    (workdir / "data" / "junk.xlsx").write_bytes(zipped({"random.bin": os.urandom(200), "notes/readme.txt": "hello"}))
    line = refused(workdir, capsys, "junk.xlsx")
    assert "datasets.extra.path: junk.xlsx is not an Excel workbook Bridge can read (" in line, line
    assert "[Content_Types].xml" in line and "save it again" in line, line


def test_a_workbook_whose_xml_is_broken(workdir, capsys):
    members = {"[Content_Types].xml": WORKBOOK_TYPES, "_rels/.rels": WORKBOOK_RELS, "xl/workbook.xml": "<<<not xml"}
    (workdir / "data" / "broken.xlsx").write_bytes(zipped(members))
    line = refused(workdir, capsys, "broken.xlsx")
    assert "broken.xlsx is not an Excel workbook Bridge can read (damaged XML" in line and "save it again" in line, line


def test_a_workbook_with_a_damaged_sheet(workdir, capsys):
    good = workbook(workdir)
    with zipfile.ZipFile(good) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = b"\x00junk<<"
    (workdir / "data" / "sheet.xlsx").write_bytes(zipped(members))
    line = refused(workdir, capsys, "sheet.xlsx")
    assert "sheet.xlsx is not an Excel workbook Bridge can read" in line and "save it again" in line, line


def test_a_workbook_with_a_corrupt_deflate_stream(workdir, capsys):
    data = bytearray(workbook(workdir).read_bytes())
    start = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")  # the member's compressed bytes
    random.seed(5)
    for i in range(start, start + 40):
        data[i] = random.randrange(256)
    (workdir / "data" / "bits.xlsx").write_bytes(bytes(data))
    line = refused(workdir, capsys, "bits.xlsx")
    assert "bits.xlsx is not an Excel workbook Bridge can read" in line, line


def test_a_workbook_whose_zip_directory_asks_for_an_unknown_zip_version(workdir, capsys):
    data = bytearray(workbook(workdir).read_bytes())
    entry = data.find(b"PK\x01\x02")  # the first central-directory entry: "version needed to extract" at +6
    data[entry + 6:entry + 8] = bytes([250, 0])
    (workdir / "data" / "version.xlsx").write_bytes(bytes(data))
    line = refused(workdir, capsys, "version.xlsx")
    assert "version.xlsx is not an Excel workbook (.xlsx) Bridge can read (zip file version 25.0)" in line, line


def test_a_wrong_sheet_name_lists_the_sheets(workdir, capsys):
    workbook(workdir)
    line = refused(workdir, capsys, "good.xlsx", ", sheet: Alpah")
    assert "datasets.extra.sheet: no sheet 'Alpah' in good.xlsx (did you mean 'Alpha'?); its sheets: Alpha, Beta" in line, line


def test_a_sheet_number_past_the_last_lists_the_sheets(workdir, capsys):
    workbook(workdir)
    line = refused(workdir, capsys, "good.xlsx", ", sheet: 5")
    assert "datasets.extra.sheet: no sheet 5: good.xlsx has 2 sheets, numbered from 0; its sheets: Alpha, Beta" in line, line


def test_a_header_row_past_the_end_of_the_sheet_is_located_at_header_row(workdir, capsys):
    workbook(workdir)
    line = refused(workdir, capsys, "good.xlsx", ", sheet: Beta, header_row: 40")
    assert "datasets.extra.header_row: sheet 'Beta' of good.xlsx ends before row 40; header_row is the 1-based row" in line, line


# Parquet -----------------------------------------------------------------------------------------------


def test_garbage_between_parquet_markers(workdir, capsys):
    (workdir / "data" / "junk.parquet").write_bytes(b"PAR1" + os.urandom(3000) + b"PAR1")
    line = refused(workdir, capsys, "junk.parquet")
    assert "datasets.extra.path: junk.parquet is not a Parquet file Bridge can read (" in line, line
    assert "write it again" in line, line


def test_a_truncated_parquet_file(workdir, capsys):
    frame = pd.DataFrame({"lsoa21_code": [f"E{i}" for i in range(300)], "value": np.arange(300)})
    frame.to_parquet(workdir / "data" / "whole.parquet")
    data = (workdir / "data" / "whole.parquet").read_bytes()
    (workdir / "data" / "cut.parquet").write_bytes(data[: len(data) // 2])
    line = refused(workdir, capsys, "cut.parquet")
    assert "cut.parquet is not a Parquet file Bridge can read (" in line, line


# GeoJSON -----------------------------------------------------------------------------------------------


def test_a_gzip_of_text_that_is_not_json(workdir, capsys):
    (workdir / "data" / "words.geojson.gz").write_bytes(gzip.compress(b"these are words, not JSON"))
    line = refused(workdir, capsys, "words.geojson.gz")
    assert "datasets.extra.path: words.geojson.gz is not valid JSON at line 1" in line, line


def test_a_gzip_of_random_bytes_named_geojson(workdir, capsys):
    random.seed(7)
    (workdir / "data" / "noise.geojson.gz").write_bytes(gzip.compress(bytes(random.randrange(128, 256) for _ in range(500))))
    line = refused(workdir, capsys, "noise.geojson.gz")
    assert "noise.geojson.gz is not UTF-8 text, so not GeoJSON" in line, line


def test_features_that_are_not_objects(workdir, capsys):
    (workdir / "data" / "numbers.geojson").write_text('{"type": "FeatureCollection", "features": [1, 2]}')
    line = refused(workdir, capsys, "numbers.geojson")
    assert "numbers.geojson: feature 0 is not a GeoJSON Feature (an object with geometry and properties)" in line, line


def test_a_geometry_that_is_not_an_object(workdir, capsys):
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": 5, "properties": {}}]}
    (workdir / "data" / "five.geojson").write_text(json.dumps(collection))
    line = refused(workdir, capsys, "five.geojson")
    assert "five.geojson: feature 0 has no geometry object" in line, line


def test_a_crs_whose_properties_are_not_an_object(workdir, capsys):
    (workdir / "data" / "crs.geojson").write_text('{"type": "FeatureCollection", "crs": {"properties": 5}, "features": []}')
    line = refused(workdir, capsys, "crs.geojson")
    assert "crs.geojson: its crs is not a named coordinate system" in line, line


# GeoPackage, Shapefile, FlatGeobuf ---------------------------------------------------------------------


def test_random_bytes_named_gpkg(workdir, capsys):
    (workdir / "data" / "noise.gpkg").write_bytes(os.urandom(5000))
    line = refused(workdir, capsys, "noise.gpkg")
    assert "datasets.extra.path: noise.gpkg is not a GeoPackage Bridge can read (" in line, line
    assert "It might help" not in line and "export it again" in line, line


def test_an_sqlite_file_with_no_geopackage_tables(workdir, capsys):
    connection = sqlite3.connect(workdir / "data" / "plain.gpkg")
    connection.execute("create table things (a)")
    connection.commit()
    connection.close()
    line = refused(workdir, capsys, "plain.gpkg")
    assert "plain.gpkg is not a GeoPackage Bridge can read (" in line and "gpkg_contents" in line, line


def test_flatgeobuf_magic_with_junk_after_it(workdir, capsys):
    (workdir / "data" / "junk.fgb").write_bytes(b"fgb\x03fgb\x00" + os.urandom(2000))
    line = refused(workdir, capsys, "junk.fgb")
    assert "junk.fgb is not a FlatGeobuf file Bridge can read (it holds no layers); export it again" in line, line


def test_random_bytes_named_shp(workdir, capsys):
    (workdir / "data" / "noise.shp").write_bytes(os.urandom(5000))
    line = refused(workdir, capsys, "noise.shp")
    assert "noise.shp is not a Shapefile Bridge can read (" in line and ".shx and .dbf" in line, line


def test_a_wrong_layer_name_lists_the_layers(workdir, capsys):
    import shapely
    from pyogrio.raw import write

    wkb = shapely.to_wkb(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]))
    write(workdir / "data" / "two.gpkg", wkb, [np.array(["A", "B"], dtype=object)], ["code"], layer="wards",
          geometry_type="Polygon", crs="EPSG:27700")
    line = refused(workdir, capsys, "two.gpkg", ", layer: ward")
    assert "datasets.extra.layer: no layer 'ward' in two.gpkg (did you mean 'wards'?); its layers: wards" in line, line


# CSV ---------------------------------------------------------------------------------------------------


def test_random_bytes_named_csv_are_not_called_utf16(workdir, capsys):
    random.seed(11)
    (workdir / "data" / "noise.csv").write_bytes(bytes(random.randrange(256) for _ in range(5000)))
    line = refused(workdir, capsys, "noise.csv")
    assert "noise.csv is not a CSV text file: it holds binary data" in line and "UTF-16" not in line, line
