"""`bridge pbix`: the model listed, and a measure's values as JSON equal to pandas' own computation from the
model's tables (relative difference ≤ 1e-9), overall, per category of a related table and under a filter."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bridge import cli
from bridge.data.powerbi.reader import load_model

ROOT = Path(__file__).resolve().parents[1]
AW = ROOT / "data" / "sample" / "adventure-works-internet-sales.pbix"
BIG = "Orders with List Price Bigger than or Equal $1,000"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["pbix", str(AW), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def measured(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "--json", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    """Internet Sales with its Date, Product and Sales Territory rows beside it: pandas' own join of the model."""
    model = load_model(AW)
    frame = model.tables["Internet Sales"].merge(model.tables["Date"], left_on="OrderDateKey", right_on="DateKey")
    frame = frame.merge(model.tables["Product"], on="ProductKey")
    return frame.merge(model.tables["Sales Territory"], on="SalesTerritoryKey")


def same(rows: list[dict], key: str, want: pd.Series) -> None:
    got = {row[key]: row["value"] for row in rows}
    assert set(got) == set(want.index), (got, want)
    for name, value in want.items():
        assert got[name] == pytest.approx(float(value), rel=1e-9), name


def test_a_measure_overall_is_one_row_with_no_keys(capsys, sales):
    document = measured(capsys, "--measure", "Internet Sales")
    assert document["measure"] == "Internet Sales"
    assert list(document["rows"][0]) == ["value"] and len(document["rows"]) == 1
    assert document["rows"][0]["value"] == pytest.approx(float(sales["SalesAmount"].sum()), rel=1e-9)


def test_a_measure_by_a_related_tables_column_under_a_filter(capsys, sales):
    document = measured(capsys, "--measure", "Internet Sales", "--by", "Sales Territory[SalesTerritoryCountry]",
                        "--filter", "Date[CalendarYear]=2013")
    want = sales[sales["CalendarYear"] == 2013].groupby("SalesTerritoryCountry")["SalesAmount"].sum()
    same(document["rows"], "Sales Territory[SalesTerritoryCountry]", want)


def test_a_calculate_filter_measure_by_category_and_year(capsys, sales):
    document = measured(capsys, "--measure", BIG, "--by", "Product[EnglishProductCategoryName]",
                        "--by", "Date[CalendarYear]")
    dear = sales[sales["List Price"] >= 1000]
    want = dear.groupby(["EnglishProductCategoryName", "CalendarYear"])["OrderQuantity"].sum()
    got = {(r["Product[EnglishProductCategoryName]"], r["Date[CalendarYear]"]): r["value"] for r in document["rows"]}
    assert set(got) == set(want.index)
    for key, value in want.items():
        assert got[key] == pytest.approx(float(value), rel=1e-9)


def test_the_listing_names_tables_relationships_and_measures_with_their_support(capsys):
    code, out, err = run(capsys)
    assert code == 0, err
    assert "Internet Sales" in out and "60,398" in out  # the fact table's rows
    assert "measures: 5 of 5 evaluated by Bridge" in out
    assert "SUM('Internet Sales'[SalesAmount])" in out
    assert "many-to-one" in out


def test_the_listing_as_json(capsys):
    code, out, err = run(capsys, "--json")
    assert code == 0, err
    document = json.loads(out)
    tables = {t["name"]: t for t in document["tables"]}
    assert tables["Internet Sales"]["rows"] == 60398 and "SalesAmount" in tables["Internet Sales"]["columns"]
    assert not any(name.startswith(("DateTableTemplate_", "LocalDateTable_")) for name in tables)
    assert {m["name"] for m in document["measures"]} >= {"Internet Sales", BIG}
    assert {(r["from_table"], r["to_table"]) for r in document["relationships"]} >= {("Internet Sales", "Product")}


@pytest.mark.parametrize("args, says", [
    (["--measure", "Internet Sale"], "did you mean 'Internet Sales'"),
    (["--measure", "Internet Sales", "--by", "Product[Colour]"], "did you mean 'Color'"),
    (["--measure", "Internet Sales", "--filter", "Date[CalendarYear]"], "write 'Table[Column]=VALUE'"),
    (["--measure", "Internet Sales", "--filter", "Date[CalendarYear]=soon"], "is not a value of Date[CalendarYear]"),
    (["--by", "Product[Color]"], "go with --measure"),
])
def test_wrong_arguments_are_refused_with_the_fix(capsys, tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == 2 and says in err, err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []
