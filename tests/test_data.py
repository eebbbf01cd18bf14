"""Joining data (bridge/data/tables.py): datasets aligned to the base's areas, derived measures, points per area."""

import pandas as pd
import pytest

from bridge.data.tables import load_data
from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from bridge.scene.model import load_scene
from tests.conftest import MINIMAL, ROOT, SAMPLE, brief, write_scene


def data_of(path):
    scene, doc = load_scene(path)
    return load_data(scene, doc)


def messages(exc_info):
    return [str(p) for p in exc_info.value.problems]


def test_sample_joins_every_area():
    briefing = load_briefing(ROOT / "scenes" / "finding-dave.yaml")
    joined = {j.dataset: (j.matched, j.base_rows) for j in briefing.data.joins}
    assert joined["people"] == joined["homes"] == joined["wards"] == (198, 198)


def test_derived_measure_matches_pandas(workdir):
    text = MINIMAL.replace("panels:", 'derive:\n  older: 100 * people["Aged 65 years and over"] / people.total\npanels:')
    data = data_of(write_scene(workdir, text))
    people = pd.read_csv(SAMPLE / "census21_age_shropshire.csv").set_index("lsoa21_code")
    codes = data.base.frame["lsoa21_code"]
    expected = 100 * people.loc[codes, "Aged 65 years and over"].to_numpy() / people.loc[codes, "total"].to_numpy()
    assert data.derived["older"].to_numpy() == pytest.approx(expected)


def test_join_matching_nothing_is_refused(workdir):
    frame = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
    frame["lsoa21_code"] = "X" + frame["lsoa21_code"]
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    with pytest.raises(BridgeError) as info:
        data_of(write_scene(workdir, MINIMAL))
    assert any("datasets.people.key: no key in 'lsoa21_code' matches" in m for m in messages(info)), messages(info)


def test_many_to_one_join_after_where(workdir):
    datasets = (
        "  homes: {path: data/fuel_poverty_2022_shropshire.csv, key: LSOA Code}\n"
        "  falls:\n    path: data/admissions_falls_shropshire.csv\n    key: area_code\n"
        "    where: period == \"2017/18\"\n    join: {on: 'homes[\"LA Code\"]'}\n"
    )
    b = brief(workdir, datasets)
    falls = b.data.aligned["falls"]["value"]
    assert falls.nunique() == 1 and len(falls) == 198  # every LSOA gets Shropshire's rate


def test_points_counted_per_area(workdir):
    frame = pd.read_csv(SAMPLE / "lsoa21_centroids_shropshire.csv")
    datasets = (
        "  visits: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700},"
        " aggregate: {count: n, sum: [aged_65_plus]}, counts: [aged_65_plus]}\n"
    )
    b = brief(workdir, datasets)
    counts = b.data.aligned["visits"]["n"]
    assert counts.sum() >= 190 and (counts == 1).mean() > 0.95  # centroids fall in their own areas
    assert b.data.aligned["visits"]["aged_65_plus"].sum() == pytest.approx(frame["aged_65_plus"][counts.to_numpy() > 0].sum(), rel=0.05)


def test_pivoted_counts_survive_a_many_to_one_join(workdir):
    """Counts declared on a long table's value column belong to every pivoted column, which joins keep by name."""
    datasets = (
        "  homes: {path: data/fuel_poverty_2022_shropshire.csv, key: LSOA Code}\n"
        "  falls:\n    path: data/admissions_falls_shropshire.csv\n    key: area_code\n    where: period == \"2017/18\"\n"
        "    pivot: {columns: indicator, values: value}\n    counts: [value]\n    join: {on: 'homes[\"LA Code\"]'}\n"
    )
    b = brief(workdir, datasets)
    indicator = "Emergency hospital admissions due to falls in people aged 65 and over"
    assert indicator in b.data.aligned["falls"].columns and len(b.data.aligned["falls"]) == 198
    assert ("falls", indicator) in b.data.counts and ("falls", "area_code") not in b.data.counts


def test_an_unquoted_word_in_a_comparison_gets_a_quoting_hint(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: 'count(people.lsoa21_name == Shropshire)', width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match=r"no column or measure 'Shropshire'.*If you meant the text Shropshire, quote it: \"Shropshire\""):
        load_briefing(write_scene(workdir, text))


def test_a_column_pattern_totals_a_datasets_columns(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: 'sum(total(people, \"Aged *\"))', width: 20, height: 10}\nsteps:")
    b = load_briefing(write_scene(workdir, text))
    frame = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
    assert b.contents[1].value == frame[[c for c in frame.columns if c.startswith("Aged ")]].to_numpy().sum()
