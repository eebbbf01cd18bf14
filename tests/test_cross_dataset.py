"""Values from several datasets in one panel (bridge/data/rows.py, bridge/data/tables.py): another
dataset's values join a panel's as one number (an aggregate, or a one-row table's column) or row by
row when joined; two unjoined tables paired row by row are refused with what would work."""

import math

import pandas as pd
import pytest

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from tests.conftest import write_scene

HEAD = """
title: Several datasets
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  england: {path: data/england.csv, join: false, counts: [households]}
  falls: {path: data/admissions_falls_shropshire.csv, join: false}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
"""

OLDER_SHARE = '100 * sum(people["Aged 65 years and over"]) / sum(people.total)'


def _briefing(workdir, panels: str, derive: str = ""):
    """A briefing with `panels` (all shown by one step) and `england`: one row, not joined to the areas."""
    (workdir / "data" / "england.csv").write_text("area,older_share,households\nEngland,18.4,3\n")
    ids = [line.split("id: ")[1].split(",")[0] for line in panels.splitlines() if "id: " in line]
    text = HEAD + derive + "panels:\n" + panels + f"steps:\n  - {{title: One, show: [{', '.join(ids)}]}}\n"
    return load_briefing(write_scene(workdir, text))


def _refused(workdir, panels: str) -> str:
    with pytest.raises(BridgeError) as info:
        _briefing(workdir, panels)
    return "\n".join(map(str, info.value.problems))


def _people(workdir) -> pd.DataFrame:
    return pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")


def test_a_kpi_on_the_areas_reads_an_unjoined_datasets_aggregate_and_a_one_row_tables_value(workdir):
    b = _briefing(workdir, f"  - {{id: p, type: kpi, value: '{OLDER_SHARE} - england.older_share', width: 30, height: 10}}\n"
                           "  - {id: q, type: kpi, value: 'first(falls.value, where=falls.area_name == \"England\" "
                           "and falls.period == \"2017/18\") / mean(england.older_share)', width: 30, height: 10, yaw: 40}\n")
    people = _people(workdir)
    local = 100 * people["Aged 65 years and over"].sum() / people["total"].sum()
    assert b.contents[0].value == pytest.approx(local - 18.4)
    assert b.contents[1].value == pytest.approx(2170 / 18.4)  # England's 2017/18 falls rate, over England's one row


def test_englands_value_beside_each_area_in_a_chart_and_a_measure(workdir):
    b = _briefing(workdir, "  - {id: p, type: bar, value: older - england.older_share, label: areas.lsoa21_name, top: 3, "
                           "width: 40, height: 20}\n",
                  derive="  gap: older - mean(england.older_share)\n")
    people = _people(workdir)
    older = (100 * people["Aged 65 years and over"] / people["total"]).sort_values(ascending=False)
    assert list(b.contents[0].values) == pytest.approx(list(older.iloc[:3] - 18.4))
    assert b.data.derived["gap"].max() == pytest.approx(older.iloc[0] - 18.4)


def test_a_panel_on_an_unjoined_table_reads_the_areas_total(workdir):
    b = _briefing(workdir, "  - {id: p, type: kpi, data: falls, value: 'last(value, where=area_name == \"Shropshire\")', "
                           "compare: 'sum(people.total) / 1000 + 0 * max(older)', width: 30, height: 10}\n")
    assert b.contents[0].value == 1498
    assert b.contents[0].compare == pytest.approx(_people(workdir)["total"].sum() / 1000)


def test_a_where_on_a_one_row_table_picks_its_row_or_none(workdir):
    b = _briefing(workdir, "  - {id: p, type: kpi, value: 'first(england.older_share, where=england.area == \"Wales\")', "
                           "compare: 'max(england.older_share, where=england.area == \"England\")', width: 30, height: 10}\n")
    assert math.isnan(b.contents[0].value) and b.contents[0].compare == 18.4


def test_a_one_row_tables_count_of_people_is_still_guarded(workdir):
    b = _briefing(workdir, "  - {id: p, type: kpi, value: england.households, width: 30, height: 10}\n")
    assert b.contents[0].value == 3 and b.contents[0].suppressed  # 3 households: a small count, from another table


def test_an_unjoined_tables_rows_beside_the_areas_are_refused_with_what_would_work(workdir):
    message = _refused(workdir, "  - {id: p, type: bar, value: falls.value, label: areas.lsoa21_name, width: 40, height: 20}\n")
    assert "scene.yaml:" in message and "panels[0].value: 'falls.value' is a value per row of 'falls' (32 rows)" in message
    assert "which is not joined to 'areas'" in message and "cannot be set side by side" in message
    assert "mean(falls.value)" in message and "give 'falls' a where: that leaves one row" in message
    assert "join it to 'areas'" in message, message


def test_one_aggregate_over_two_unjoined_tables_is_refused(workdir):
    message = _refused(workdir, "  - {id: p, type: kpi, value: 'sum(falls.value * people.total)', width: 30, height: 10}\n")
    assert ("'sum(falls.value * people.total)' takes rows from 'falls' (32 rows) and 'areas' (198 rows, with the datasets "
            "joined to it), which are not joined, so they cannot be paired row by row") in message
    assert "sum(falls.value) and sum(people.total)" in message, message


def test_a_condition_on_another_tables_rows_is_refused(workdir):
    message = _refused(workdir, "  - {id: p, type: kpi, value: 'sum(people.total, where=falls.value > 1500)', "
                                "width: 30, height: 10}\n")
    assert "takes rows from 'areas'" in message and "'falls' (32 rows)" in message, message


def test_the_areas_rows_in_a_chart_of_an_unjoined_table_are_refused(workdir):
    message = _refused(workdir, "  - {id: p, type: line, data: falls, x: period, y: value + older, series: area_name, "
                                "width: 40, height: 20}\n")
    assert "panels[0].y: 'older' is a value per row of 'areas'" in message
    assert "not joined to 'falls'" in message and "show it in a panel on the areas" in message, message
