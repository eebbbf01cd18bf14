"""`bridge new`: a briefing started from data files — formats and area-code columns detected by
their values, files joined on matching codes, a commented scene that validates (and renders) as
written, in a new folder; bad input refused with exit 2 and nothing written or overwritten."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.render.briefing import load_briefing
from bridge.render.checks import lit_warnings, overlap_warnings, seam_warnings
from bridge.room.load import load_room
from bridge.scaffold.detect import read_file
from bridge.scaffold.write import new_briefing
from tests.conftest import ROOT, SAMPLE

TELFORD = ROOT / "tests" / "data" / "telford"
TELFORD_FILES = sorted(p for p in TELFORD.iterdir() if p.suffix in (".csv", ".geojson", ".xlsx"))
SAMPLE_FILES = sorted(p for p in SAMPLE.iterdir() if p.suffix in (".csv", ".geojson"))


def _clean(scene_path: Path) -> None:
    """The scene loads with no problem, every joined file matches every area, and nothing a step
    shows is hidden by another panel, cut by a seam or outside the light."""
    briefing = load_briefing(scene_path)
    assert briefing.data.problems == []
    assert all(j.matched == j.base_rows for j in briefing.data.joins), briefing.data.summary()
    room = load_room(None)
    doc = briefing.data.doc
    assert overlap_warnings(briefing.scene, doc) == []
    assert seam_warnings(briefing.scene, doc, room, briefing.theme) == []
    assert lit_warnings(briefing.scene, doc, room) == []


def test_telford_files_become_a_scene_that_validates(tmp_path):
    scene, sources = new_briefing(tmp_path / "telford", TELFORD_FILES)
    assert scene == tmp_path / "telford" / "telford.yaml"
    for f in TELFORD_FILES:  # copied in unchanged
        assert filecmp.cmp(f, tmp_path / "telford" / "data" / f.name, shallow=False)
    _clean(scene)
    text = scene.read_text()
    assert "areas:   # telford_lsoa21.geojson: 115 rows of LSOA codes in 'lsoa21_code'" in text
    assert "joins areas on matching codes (115 of 115 areas match)" in text
    assert "key: LSOA Code" in text  # found by its values, though named unlike the others
    assert "colour: 'fuel_poverty_2022_telford[\"Proportion of households fuel poor (%)\"]'\n    legend: '%'" in text
    assert "colour: '100 * census21_age_telford[\"Aged 65 years and over\"] / census21_age_telford.total'" in text
    assert "type: kpi\n    value: sum(census21_age_telford.total)" in text and "format: '{:,.0f}'" in text
    assert "colour: imd2025_telford.IMD_score" in text  # the Excel workbook joined too
    assert not list(tmp_path.glob(".telford-*"))  # no working folder left behind


@pytest.mark.slow  # reads twelve files, the UK's authorities among them
def test_the_samples_data_files_become_a_scene_that_validates(tmp_path):
    scene, sources = new_briefing(tmp_path / "shropshire", SAMPLE_FILES, title="Shropshire from its data")
    _clean(scene)
    names = {s.file.path.name: s for s in sources}
    assert sources[0].file.path.name == "shropshire_lsoa21.geojson"  # the boundaries are the base
    assert not names["ltla24_uk.geojson"].joined and "none match the LSOA codes" in names["ltla24_uk.geojson"].note
    assert not names["admissions_falls_shropshire.csv"].joined  # a row per area per year
    assert names["admissions_falls_shropshire.csv"].panels[0].lines[0] == "type: line"
    assert scene.read_text().startswith("# A starting briefing written by `bridge new`")
    assert "title: Shropshire from its data" in scene.read_text()


def test_without_boundaries_measures_become_bar_charts_labelled_by_name(tmp_path):
    files = [SAMPLE / "census21_age_shropshire.csv", SAMPLE / "fuel_poverty_2022_shropshire.csv"]
    scene, _ = new_briefing(tmp_path / "no-map", files)
    _clean(scene)
    text = scene.read_text()
    assert "type: map" not in text
    assert "type: bar" in text and "label: census21_age_shropshire.lsoa21_name" in text  # the base's names
    assert "unit: '%'" in text


def test_a_geopackage_and_a_parquet_file_are_read_by_their_format(tmp_path):
    import json

    import numpy as np
    import pandas as pd
    import shapely
    from pyogrio.raw import write

    features = json.loads((TELFORD / "telford_lsoa21.geojson").read_text())["features"]
    codes = np.array([f["properties"]["lsoa21_code"] for f in features], dtype=object)
    shapes = np.array(shapely.to_wkb([shapely.geometry.shape(f["geometry"]) for f in features]), dtype=object)
    write(tmp_path / "wards and areas.gpkg", shapes, [codes], fields=["AREA_CD"], geometry_type="MultiPolygon",
          crs="EPSG:4326", driver="GPKG")
    pd.read_csv(TELFORD / "fuel_poverty_2022_telford.csv").to_parquet(tmp_path / "fuel.parquet")
    scene, sources = new_briefing(tmp_path / "gp", [tmp_path / "wards and areas.gpkg", tmp_path / "fuel.parquet"])
    assert [(s.file.format, s.file.boundaries, s.file.key, s.joined) for s in sources] == [
        ("vector", True, "AREA_CD", True), ("parquet", False, "LSOA Code", True)]
    assert "type: map" in scene.read_text()
    _clean(scene)


def test_the_code_column_is_found_by_its_values_not_its_name(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("code,Geog,LA,residents\n" + "".join(f"X{i},W01000{i:03d},W06000015,{100 + i}\n" for i in range(40)))
    found = read_file(table)
    assert (found.key, found.geography, found.repeats) == ("Geog", "LSOA", False)  # not the constant LA column
    authorities = tmp_path / "la.csv"
    authorities.write_text("area,value\nE06000051,1.5\nE08000003,2.5\nE09000001,3.5\n")
    assert read_file(authorities).geography == "local authority"


def test_an_existing_folder_or_file_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    (tmp_path / "taken").write_text("a file")
    for name in ("mine", "taken"):
        assert main(["new", str(tmp_path / name), "--data", str(TELFORD_FILES[0])]) == 2
        assert "already exists; nothing was written" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me" and (tmp_path / "taken").read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "taken"]


@pytest.mark.parametrize("files, expected", [
    (["notes.md"], "notes.md: Bridge reads CSV, Excel (.xlsx), Parquet, GeoJSON"),
    (["missing.csv"], "missing.csv: file not found"),
    (["plain.csv"], "no file has a column of area codes (ONS codes such as E01012345"),
    (["broken.geojson"], "broken.geojson is not valid JSON at line 1"),
])
def test_bad_input_is_refused_with_exit_2_and_nothing_written(tmp_path, capsys, files, expected):
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / "plain.csv").write_text("name,value\na,1\nb,2\n")
    (tmp_path / "broken.geojson").write_text("{not json")
    assert main(["new", str(tmp_path / "out"), "--data", *(str(tmp_path / f) for f in files)]) == 2
    err = capsys.readouterr().err
    assert expected in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out-*"))


def test_two_files_of_one_name_are_refused(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "census21_age_shropshire.csv").write_bytes((SAMPLE / "census21_age_shropshire.csv").read_bytes())
    assert main(["new", str(tmp_path / "out"), "--data", str(SAMPLE / "census21_age_shropshire.csv"),
                 str(tmp_path / "a" / "census21_age_shropshire.csv")]) == 2
    assert "two files are called census21_age_shropshire.csv" in capsys.readouterr().err


@pytest.mark.slow
def test_bridge_validate_finds_nothing_to_warn_of_and_the_scene_renders(tmp_path):
    def bridge(*args):
        return subprocess.run([sys.executable, "-m", "bridge", *map(str, args)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=600)

    made = bridge("new", "telford", "--data", *TELFORD_FILES)
    assert made.returncode == 0, made.stderr
    assert "wrote telford/telford.yaml" in made.stdout
    checked = bridge("validate", "telford/telford.yaml")
    assert checked.returncode == 0 and checked.stdout.startswith("ok telford/telford.yaml"), checked.stderr
    assert "warning:" not in checked.stderr and "hint:" not in checked.stderr, checked.stderr  # the layout pass is clean
    drawn = bridge("render", "telford/telford.yaml", "--size", "1024x512", "--out", "out")
    assert drawn.returncode == 0, drawn.stderr
    steps = sorted(p.name for p in (tmp_path / "out").glob("step-*"))
    assert steps == [f"step-{n:02d}" for n in range(1, 6)]
    assert (tmp_path / "out" / "step-05" / "projector-5.png").stat().st_size > 1000


def test_awkward_column_names_are_quoted_and_never_read_as_fields(tmp_path):
    table = tmp_path / "rates.csv"
    rows = "".join(f"E0101{i:04d},Area {i},{i % 7 + 0.5},{i * 3}\n" for i in range(30))
    table.write_text('code,name,"Rate {per 1,000}: all ages",yes\n' + rows)
    scene, _ = new_briefing(tmp_path / "rates", [table])
    text = scene.read_text()
    assert "title: 'Rate {{per 1,000}}: all ages'" in text  # braces doubled: words, not an {expression}
    assert "value: 'rates[\"Rate {per 1,000}: all ages\"]'" in text
    assert "value: sum(rates.yes)" in text  # a column named like a YAML boolean, as an expression
    _clean(scene)
