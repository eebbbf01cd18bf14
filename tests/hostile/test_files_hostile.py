"""Data files and pictures: bounded before they are inflated or decoded, read right, or refused clearly."""

import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.limits import MAX_DATA_FILE_BYTES, MAX_DECOMPRESSED_BYTES
from tests.hostile.harness import SCENE, TEXT_PANEL, accepted, refused, run_bridge, scene

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess


def with_dataset(folder: Path, spec: str, panels: str = TEXT_PANEL) -> Path:
    text = SCENE.replace("PANELS", panels).replace("panels:", f"  extra: {spec}\npanels:", 1)
    return scene(folder, text=text)


def inflating_zeros(stream, total: int) -> None:
    block = bytes(1 << 20)
    for _ in range(total // len(block) + 1):
        stream.write(block)


def test_gz_that_inflates_past_the_limit(briefing):
    with gzip.open(briefing / "data" / "bomb.geojson.gz", "wb", compresslevel=1) as f:
        inflating_zeros(f, MAX_DECOMPRESSED_BYTES)
    assert (briefing / "data" / "bomb.geojson.gz").stat().st_size < 5_000_000  # small on disk
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/bomb.geojson.gz, join: false}")),
            r"scene.yaml:5: datasets.extra.path: bomb.geojson.gz inflates to more than 512 MB")


def test_csv_gz_bomb_too(briefing):
    with gzip.open(briefing / "data" / "bomb.csv.gz", "wb", compresslevel=1) as f:
        inflating_zeros(f, MAX_DECOMPRESSED_BYTES)
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/bomb.csv.gz, join: false}")),
            r"datasets.extra.path: bomb.csv.gz inflates to more than 512 MB")


def test_xlsx_that_inflates_past_the_limit(briefing):
    with zipfile.ZipFile(briefing / "data" / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            inflating_zeros(f, MAX_DECOMPRESSED_BYTES)
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/bomb.xlsx, join: false}")),
            r"datasets.extra.path: bomb.xlsx inflates to \d[\d,]* MB; the limit for a workbook is 512 MB")


def test_junk_xlsx(briefing):
    (briefing / "data" / "junk.xlsx").write_bytes(os.urandom(5000))
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/junk.xlsx, join: false}")),
            r"datasets.extra.path: junk.xlsx is not an Excel workbook \(.xlsx\): it is not a zip archive")


def test_junk_parquet(briefing):
    (briefing / "data" / "junk.parquet").write_bytes(b"PAR1" + os.urandom(3000))
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/junk.parquet, join: false}")),
            r"datasets.extra.path: junk.parquet is not a Parquet file Bridge can read")


def test_not_gzip(briefing):
    (briefing / "data" / "fake.geojson.gz").write_text('{"type": "FeatureCollection"}')
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/fake.geojson.gz, join: false}")),
            r"datasets.extra.path: fake.geojson.gz is not a readable .gz file")


def test_file_over_the_size_limit(briefing):
    # Read by pandas (asked for here), a file this big is refused before a byte is read.
    with open(briefing / "data" / "huge.csv", "wb") as f:  # sparse: costs no disk
        f.truncate(MAX_DATA_FILE_BYTES + 1024**2)
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/huge.csv, engine: pandas, join: false}")),
            r"datasets.extra.path: huge.csv is 513 MB; a dataset file may be at most 512 MB")


def test_a_big_file_of_junk_read_by_duckdb_is_one_located_line(briefing):
    # A big CSV goes to DuckDB, which has no size cap (it streams, within its memory limit);
    # 513 MB of NUL bytes is not a CSV, and says so in one line.
    with open(briefing / "data" / "huge.csv", "wb") as f:
        f.truncate(MAX_DATA_FILE_BYTES + 1024**2)
    outcome = refused(run_bridge("validate", with_dataset(briefing, "{path: data/huge.csv, join: false}")),
                      r"scene.yaml:\d+: datasets.extra.path: cannot read huge.csv with DuckDB: .*; check it is a CSV "
                      r"with a header row \(UTF-8\) or a Parquet file")
    assert outcome.max_rss_mb < 1500, outcome.max_rss_mb


def test_utf16_csv_with_a_byte_order_mark_is_read(briefing):
    text = (briefing / "data" / "census21_age_shropshire.csv").read_text(encoding="utf-8")
    (briefing / "data" / "people16.csv").write_bytes(text.encode("utf-16"))
    panel = "  - {id: p, type: kpi, value: sum(extra.total), width: 30, height: 10}"
    outcome = accepted(run_bridge("validate", with_dataset(briefing, "{path: data/people16.csv, key: lsoa21_code}", panel)))
    assert "extra 198/198" in outcome.stdout


def test_utf16_without_a_byte_order_mark_is_explained(briefing):
    text = (briefing / "data" / "census21_age_shropshire.csv").read_text(encoding="utf-8")
    (briefing / "data" / "people16.csv").write_bytes(text.encode("utf-16-le"))
    outcome = refused(run_bridge("validate", with_dataset(briefing, "{path: data/people16.csv, key: lsoa21_code}")),
                      r"datasets.extra.path: people16.csv holds NUL bytes: it looks like UTF-16 .* add encoding: utf-16-le")
    assert "\x00" not in outcome.stderr


def test_escape_sequences_in_a_csv_header_never_reach_the_terminal(briefing):
    (briefing / "data" / "evil.csv").write_text("code,\x1b[31mred\x1b[0m,\x07bell\nE01028826,1,2\n")
    # The misspelt key makes Bridge list the file's columns; within_bounds() rejects raw control characters.
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/evil.csv, key: cod, join: false}")),
            r"datasets.extra.key: no column 'cod' in evil.csv \(did you mean 'code'\?\)")


def polygon_collection(rings) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": f"A{i}"}, "geometry": {"type": "Polygon", "coordinates": r}}
        for i, r in enumerate(rings)]}


def test_self_intersecting_polygon_is_refused(briefing):
    bowtie = [[[-2.7, 52.6], [-2.6, 52.7], [-2.6, 52.6], [-2.7, 52.7], [-2.7, 52.6]]]
    square = [[[-2.5, 52.5], [-2.4, 52.5], [-2.4, 52.6], [-2.5, 52.6], [-2.5, 52.5]]]
    (briefing / "data" / "bad.geojson").write_text(json.dumps(polygon_collection([square, bowtie])))
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/bad.geojson, key: code, join: false}")),
            r"datasets.extra.path: bad.geojson has 1 invalid polygon\(s\) \(feature 1: Self-intersection.*Fix geometries")


def test_polygons_with_holes_of_different_sizes_aggregate(briefing):
    """Two holes of 5 and 6 points used to crash point-in-area counting (ragged holes)."""
    shell = [[-3.2, 52.3], [-2.2, 52.3], [-2.2, 53.0], [-3.2, 53.0], [-3.2, 52.3]]
    hole1 = [[-3.0, 52.4], [-2.9, 52.4], [-2.9, 52.5], [-3.0, 52.5], [-3.0, 52.4]]
    hole2 = [[-2.6, 52.8], [-2.5, 52.8], [-2.45, 52.85], [-2.5, 52.9], [-2.6, 52.9], [-2.6, 52.8]]
    (briefing / "data" / "county.geojson").write_text(json.dumps(polygon_collection([[shell, hole1, hole2]])))
    text = """title: Holes
datasets:
  county: {path: data/county.geojson, key: code}
  centres: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700}, aggregate: {count: n}}
panels:
  - {id: p, type: kpi, value: sum(centres.n), width: 30, height: 10}
steps:
  - {title: One, show: [p]}
"""
    accepted(run_bridge("validate", scene(briefing, text=text)))


def test_deeply_nested_json(briefing):
    (briefing / "data" / "deep.geojson").write_text("[" * 200_000 + "]" * 200_000)
    refused(run_bridge("validate", with_dataset(briefing, "{path: data/deep.geojson, join: false}")),
            r"datasets.extra.path: .*(nested too deeply|not a GeoJSON FeatureCollection)")


def picture(path: Path, w: int, h: int) -> None:
    Image.new("L", (w, h)).save(path, optimize=False, compress_level=1)


def test_huge_image_panel_is_refused_before_decoding(briefing):
    picture(briefing / "data" / "huge.png", 9000, 9000)
    panel = "  - {id: p, type: image, path: data/huge.png, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)),
            r"scene.yaml:6: panels\[0\].path: huge.png is 9,000 × 9,000 pixels; a picture may have at most 40,000,000")


def test_huge_raster_is_refused_before_decoding(briefing):
    picture(briefing / "data" / "huge.png", 9000, 9000)
    panel = "  - {id: p, type: map, raster: {path: data/huge.png, bounds: [350000, 260000, 400000, 340000]}, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)), r"panels\[0\].raster.path: huge.png is 9,000 × 9,000 pixels")


def test_a_text_file_as_an_image(briefing):
    (briefing / "data" / "notes.png").write_text("not a picture")
    panel = "  - {id: p, type: image, path: data/notes.png, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)), r"panels\[0\].path: cannot read notes.png as an image")


def test_truncated_png(briefing):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), np.uint8)).save(buffer, "PNG")
    (briefing / "data" / "cut.png").write_bytes(buffer.getvalue()[:5000])
    panel = "  - {id: p, type: image, path: data/cut.png, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)), r"panels\[0\].path: cannot read cut.png as an image")


def test_dollars_in_titles_are_drawn_literally():
    """'$5m … $3m' is money, not matplotlib's maths mode (which drops the dollars and italicises)."""
    from bridge.panels.common.canvas import draw_panel
    from bridge.panels.text import TextPanel

    def width(text: str) -> float:
        panel = TextPanel(id="p", type="text", text="x", title=text, width=60, height=10)
        drawn = draw_panel(panel, None, (1200, 200), 20.0, None)
        return next(box[2] - box[0] for t, box in drawn.text_boxes if t == text)

    money, plain = width("Spend $5m on homes and $3m on visits"), width("Spend S5m on homes and S3m on visits")
    assert abs(money - plain) / plain < 0.05


def test_a_megabyte_of_text_renders_in_seconds(briefing, tmp_path):
    """Lines below a text panel cannot show: they are not laid out (this took over 5 minutes)."""
    text = "word **bold** " * 100_000
    panel = f'  - {{id: p, type: text, text: "{text}", width: 30, height: 10}}'
    accepted(run_bridge("render", scene(briefing, panel), "--out", tmp_path / "out", "--size", "1024x512"))
