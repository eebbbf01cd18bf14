"""Loading and joining data: right numbers, clear refusals."""

import pandas as pd
import pytest

from bridge.data import load_data
from bridge.errors import BridgeError
from bridge.pipeline import load_briefing
from bridge.scene import load_scene
from tests.conftest import MINIMAL, ROOT, SAMPLE, write_scene


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


def test_join_matching_nothing_is_refused(workdir):
    frame = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")
    frame["lsoa21_code"] = "X" + frame["lsoa21_code"]
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    with pytest.raises(BridgeError) as info:
        data_of(write_scene(workdir, MINIMAL))
    assert any("datasets.people.key: no key in 'lsoa21_code' matches" in m for m in messages(info)), messages(info)


def test_parquet_loads(workdir):
    pd.read_csv(SAMPLE / "census21_age_shropshire.csv").to_parquet(workdir / "data" / "people.parquet")
    data = data_of(write_scene(workdir, MINIMAL.replace("census21_age_shropshire.csv", "people.parquet")))
    assert data.joins[0].matched == 198


def test_unknown_column_in_panel_is_located(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.totl), width: 20, height: 10}\nsteps:")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    msg = messages(info)[0]
    assert msg.startswith(f"{path}:7: panels[1].value: dataset 'people' has no column 'totl' (did you mean 'total'?)"), msg


def test_kpi_needs_one_number(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: people.total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match=r"a single number is needed: wrap it, e.g. sum\(people.total\)"):
        load_briefing(write_scene(workdir, text))


def test_non_numeric_column(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.lsoa21_name), width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="is not numeric"):
        load_briefing(write_scene(workdir, text))


def test_map_needs_polygons(workdir):
    text = MINIMAL.replace("steps:", "  - {id: m, type: map, data: people, colour: total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="a map needs polygons"):
        load_briefing(write_scene(workdir, text))


def test_every_panel_type_is_in_a_sample_scene():
    from bridge.panels import panel_types

    seen = set()
    for path in sorted((ROOT / "scenes").glob("*.yaml")):
        briefing = load_briefing(path)  # validates data, joins, expressions and marks
        seen |= {p.type for p in briefing.scene.panels}
    assert seen == set(panel_types())


def test_suggestion_found_among_columns_folded_into_more(workdir):
    # 16 columns: the listing shows 12 and "… (4 more)"; the misspelt one is the 14th.
    columns = ["lsoa21_code", "apples", "bananas", "cherries", "dates", "elderberries", "figs", "grapes",
               "hazelnuts", "kiwis", "lemons", "mangoes", "nectarines", "pensioners", "quinces", "raisins"]
    pd.DataFrame([[f"E0100000{i}"] + list(range(1, 16)) for i in range(3)], columns=columns).to_csv(
        workdir / "data" / "wide.csv", index=False)
    text = MINIMAL.replace("panels:", "  wide: {path: data/wide.csv, key: lsoa21_code, counts: [pensionrs]}\npanels:")
    with pytest.raises(BridgeError) as info:
        data_of(write_scene(workdir, text))
    msg = "\n".join(messages(info))
    assert "datasets.wide.counts: no column 'pensionrs' in wide.csv (did you mean 'pensioners'?)" in msg, msg
    assert "mangoes, … (4 more)" in msg and "pensioners," not in msg, msg
