"""A Power BI model in a scene: a model's table as a dataset, measure queries under models:, parameters as
slicers, a measure that cannot be evaluated reported (not fatal), and the report's theme.

The DAX evaluator (bridge/data/dax) is another module's work; these tests check the scene's plumbing
around it with `fake_dax`, a stand-in that evaluates only SUM measures with pandas, so they hold
whatever the evaluator's state.  The numbers are checked against an independent pandas merge+groupby.
"""

from __future__ import annotations

import itertools
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bridge import cli
from bridge.data import dax
from bridge.data.powerbi.model import PowerBIModel
from bridge.data.powerbi.reader import load_model
from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PBIX = ROOT / "data" / "sample" / "adventure-works-internet-sales.pbix"
_numbers = itertools.count()
SUM = re.compile(r"^\s*SUM\s*\(\s*'?([^'\[]+?)'?\s*\[([^\]]+)\]\s*\)\s*$", re.I)


class FakeDaxError(BridgeError):
    def __init__(self, message: str, measure: str | None = None):
        super().__init__(message)
        self.measure = measure


def _parts(text: str) -> tuple[str, str]:
    table, column = text.split("[", 1)
    return table.strip().strip("'"), column.rstrip("]")


def _joined(model: PowerBIModel, fact: str, wanted: set[str]) -> pd.DataFrame:
    """The fact table with the columns of the tables it reaches many-to-one (active relationships) as 'T[C]'."""
    frame = model.tables[fact].rename(columns=lambda c: f"{fact}[{c}]")
    reached, frontier = {fact}, [fact]
    while frontier:
        table = frontier.pop()
        for r in model.relationships:
            if r.active and r.from_table == table and r.to_table not in reached and _leads_to(model, r.to_table, wanted):
                one = model.tables[r.to_table].rename(columns=lambda c, t=r.to_table: f"{t}[{c}]")
                frame = frame.merge(one, how="left", left_on=f"{table}[{r.from_column}]", right_on=f"{r.to_table}[{r.to_column}]")
                reached.add(r.to_table)
                frontier.append(r.to_table)
    return frame


def _leads_to(model: PowerBIModel, table: str, wanted: set[str]) -> bool:
    """`table` is wanted, or reaches a wanted table many-to-one."""
    return table in wanted or any(r.active and r.from_table == table and _leads_to(model, r.to_table, wanted)
                                  for r in model.relationships)


def fake_support(model: PowerBIModel) -> dict[str, str | None]:
    return {name: None if SUM.match(m.expression) else "uses CALCULATE, which this stand-in does not evaluate"
            for name, m in model.measures.items()}


def fake_evaluate(model, measures, by=(), filters=None, today=None) -> pd.DataFrame:
    """SUM measures by `by` under `filters`, through the model's many-to-one relationships."""
    filters = filters or {}
    out = None
    for name in measures:
        match = SUM.match(model.measures[name].expression)
        if not match:
            raise FakeDaxError(f"measure '{name}' uses CALCULATE", name)
        fact, column = match.group(1), match.group(2)
        frame = _joined(model, fact, {_parts(c)[0] for c in [*by, *filters]})
        for key, values in filters.items():
            frame = frame[frame[key].isin(values)]
        if by:
            part = frame.groupby(list(by), dropna=False)[f"{fact}[{column}]"].sum().rename(name).reset_index()
        else:
            part = pd.DataFrame({name: [frame[f"{fact}[{column}]"].sum()]})
        out = part if out is None else out.merge(part, on=list(by)) if by else out.join(part)
    return out


@pytest.fixture
def fake_dax(monkeypatch):
    """bridge.data.dax's API as agreed, stood in by SUM-only pandas, so the plumbing is tested on its own."""
    monkeypatch.setattr(dax, "evaluate_measures", fake_evaluate, raising=False)
    monkeypatch.setattr(dax, "measure_support", fake_support, raising=False)
    monkeypatch.setattr(dax, "DaxError", FakeDaxError, raising=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for the module's scenes, so the model is decoded once (kept per file in the process)."""
    path = tmp_path_factory.mktemp("pbix")
    shutil.copy(SAMPLE_PBIX, path / "aw.pbix")
    return path


def scene(folder: Path, text: str) -> Path:
    path = folder / f"scene-{next(_numbers)}.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def expected_sales(by: str | None = None, year: int | None = None) -> pd.Series | float:
    """Internet sales amount by a Sales Territory column, computed independently of Bridge."""
    model = load_model(SAMPLE_PBIX)
    sales = model.tables["Internet Sales"].merge(model.tables["Date"], left_on="OrderDateKey", right_on="DateKey")
    if year is not None:
        sales = sales[sales["CalendarYear"] == year]
    if by is None:
        return float(sales["SalesAmount"].sum())
    sales = sales.merge(model.tables["Sales Territory"], on="SalesTerritoryKey")
    return sales.groupby(by)["SalesAmount"].sum()


QUERY_SCENE = """
title: Sales
models:
  aw: {path: aw.pbix, as_of: 2014-01-28}
params:
  year: {type: choice, values: [2011, 2012, 2013], default: 2013, all: All years}
datasets:
  countries:
    model: aw
    measures: [Internet Sales, Product Cost]
    by: ["Sales Territory[SalesTerritoryCountry]"]
    key: "Sales Territory[SalesTerritoryCountry]"
    filters: {"Date[CalendarYear]": "{params.year}"}
  total: {model: aw, measures: [Internet Sales, "Orders with List Price Bigger than or Equal $1,000"],
          filters: {"Date[CalendarYear]": "{params.year}"}}
  customers: {model: aw, table: Customer}
panels:
  - {id: bars, type: bar, value: 'countries["Internet Sales"]', label: 'countries["Sales Territory[SalesTerritoryCountry]"]',
     yaw: 0, pitch: 0, width: 40, height: 20}
  - {id: kpi, type: kpi, value: 'first(total["Internet Sales"])', label: sales, yaw: 60, pitch: 0, width: 30, height: 10}
  - {id: big, type: kpi, value: 'first(total["Orders with List Price Bigger than or Equal $1,000"])', label: big orders,
     yaw: -60, pitch: 0, width: 30, height: 10}
  - {id: people, type: kpi, value: 'count(customers.CustomerKey)', label: customers, yaw: 120, pitch: 0, width: 30, height: 10}
steps:
  - {title: This year, show: [bars, kpi, big, people]}
  - {title: "2012", show: [bars, kpi], params: {year: 2012}}
"""


def test_a_measure_query_gives_one_column_per_by_and_measure_with_the_model_numbers(folder, fake_dax):
    briefing = load_briefing(scene(folder, QUERY_SCENE))
    countries = briefing.data.tables["countries"].frame
    assert list(countries.columns) == ["Sales Territory[SalesTerritoryCountry]", "Internet Sales", "Product Cost"]
    want = expected_sales("SalesTerritoryCountry", 2013)
    got = countries.set_index("Sales Territory[SalesTerritoryCountry]")["Internet Sales"]
    assert len(got) == len(want) > 3
    np.testing.assert_allclose(got.loc[want.index].to_numpy(dtype=float), want.to_numpy(dtype=float), rtol=1e-9)
    total = briefing.data.tables["total"].frame
    assert len(total) == 1 and total["Internet Sales"].iloc[0] == pytest.approx(expected_sales(year=2013), rel=1e-9)


def test_a_parameter_in_filters_acts_as_a_slicer_and_all_removes_it(folder, fake_dax):
    briefing = load_briefing(scene(folder, QUERY_SCENE))
    for year in (2012, 2011):
        view = briefing.view({"year": year})
        value = view.data.tables["total"].frame["Internet Sales"].iloc[0]
        assert value == pytest.approx(expected_sales(year=year), rel=1e-9)
    everything = briefing.view({"year": "all"}).data.tables["total"].frame["Internet Sales"].iloc[0]
    assert everything == pytest.approx(expected_sales(), rel=1e-9)


def test_a_measure_that_cannot_be_evaluated_is_reported_with_its_panel_and_the_rest_renders(folder, fake_dax):
    briefing = load_briefing(scene(folder, QUERY_SCENE))
    total = briefing.data.tables["total"].frame
    assert total["Orders with List Price Bigger than or Equal $1,000"].isna().all()
    warnings = [str(w) for w in briefing.data.warnings]
    said = [w for w in warnings if "Orders with List Price" in w]
    assert len(said) == 1, warnings
    assert "cannot be evaluated: uses CALCULATE" in said[0] and "datasets.total.measures[1]" in said[0], said
    assert said[0].endswith("panel big show it as no data"), said  # the kpi panel shows another measure of total
    kpi = briefing.contents[[p.id for p in briefing.scene.panels].index("kpi")]
    assert kpi is not None  # the rest of the briefing still loads


def test_a_model_table_is_an_ordinary_dataset_with_where_and_counts(folder, fake_dax):
    path = scene(folder, """
        title: T
        datasets:
          territories: {path: aw.pbix, table: Sales Territory, key: SalesTerritoryRegion}
          customers: {path: aw.pbix, table: Customer, where: 'customers.Gender == "F"', join: false, counts: [TotalChildren]}
        panels:
          - {id: n, type: kpi, value: 'count(customers.CustomerKey)', label: women, yaw: 0, pitch: 0, width: 30, height: 10}
        steps:
          - {title: One, show: [n]}
        """)
    briefing = load_briefing(path)
    model = load_model(SAMPLE_PBIX)
    customers = briefing.data.tables["customers"]
    assert len(customers.frame) == int((model.tables["Customer"]["Gender"] == "F").sum()) > 1000
    assert customers.counts == frozenset({"TotalChildren"})
    assert len(briefing.data.tables["territories"].frame) == len(model.tables["Sales Territory"])


def test_counts_marks_a_measure_that_counts_people_and_small_values_are_suppressed(folder, fake_dax):
    path = scene(folder, """
        title: T
        disclosure: {min_count: 15}
        models: {aw: {path: aw.pbix}}
        datasets:
          promotions: {model: aw, measures: [Order Qty], by: ["Promotion[EnglishPromotionName]"],
                       key: "Promotion[EnglishPromotionName]", counts: [Order Qty]}
        panels:
          - {id: t, type: table, columns: {Promotion: 'promotions["Promotion[EnglishPromotionName]"]',
                                           Items: 'promotions["Order Qty"]'}, yaw: 0, pitch: 0, width: 40, height: 20}
        steps:
          - {title: One, show: [t]}
        """)
    briefing = load_briefing(path)
    assert ("promotions", "Order Qty") in briefing.data.counts
    sales = load_model(SAMPLE_PBIX).tables["Internet Sales"].merge(load_model(SAMPLE_PBIX).tables["Promotion"], on="PromotionKey")
    small = int((sales.groupby("EnglishPromotionName")["OrderQuantity"].sum() < 15).sum())
    assert small >= 1 and briefing.contents[0].suppressed_cells == small


@pytest.mark.parametrize("dataset, where, says", [
    ("{path: aw.pbix, table: Sales, join: false}", "datasets.extra", "has no table 'Sales'"),
    ("{model: aw, measures: [Internet Sale]}", "datasets.extra.measures[0]", "did you mean 'Internet Sales'"),
    ("{model: aw, measures: [Internet Sales], by: ['Product[Colour]']}", "datasets.extra.by[0]", "did you mean 'Color'"),
    ("{model: aw, measures: [Internet Sales], by: [Colour]}", "datasets.extra.by[0]", "write Table[Column]"),
    ("{model: sales, measures: [Internet Sales]}", "datasets.extra.model", "no model 'sales'"),
    ("{model: aw, measures: [Internet Sales], table: Customer}", "datasets.extra", "not both"),
    ("{path: aw.pbix, measures: [Internet Sales], join: false}", "datasets.extra", "add model:"),
])
def test_wrong_names_are_located_with_the_fix(folder, fake_dax, capsys, dataset, where, says):
    path = scene(folder, f"""
        title: T
        models: {{aw: {{path: aw.pbix}}}}
        datasets:
          base: {{path: aw.pbix, table: Sales Territory, key: SalesTerritoryRegion}}
          extra: {dataset}
        panels:
          - {{id: n, type: text, text: hi, yaw: 0, pitch: 0, width: 30, height: 10}}
        steps:
          - {{title: One, show: [n]}}
        """)
    assert cli.main(["validate", str(path)]) == 2
    text = capsys.readouterr().err
    assert where in text and says in text, text
    assert "Traceback" not in text


def test_models_path_must_stay_inside_the_briefing(tmp_path, fake_dax, capsys):
    inner = tmp_path / "inner"
    inner.mkdir()
    shutil.copy(SAMPLE_PBIX, tmp_path / "outside.pbix")
    path = scene(inner, """
        title: T
        models: {aw: {path: ../outside.pbix}}
        datasets:
          total: {model: aw, measures: [Internet Sales], key: "Internet Sales"}
        panels:
          - {id: n, type: text, text: hi, yaw: 0, pitch: 0, width: 30, height: 10}
        steps:
          - {title: One, show: [n]}
        """)
    assert cli.main(["validate", str(path)]) == 2
    assert "models.aw.path" in capsys.readouterr().err


def test_the_scene_schema_knows_models_and_measure_queries():
    from bridge.scene.model import json_schema

    schema = json_schema()
    assert "models" in schema["properties"]
    dataset = schema["$defs"]["Dataset"]["properties"]
    assert {"model", "measures", "by", "filters"} <= set(dataset)


@pytest.mark.slow
def test_the_sample_briefing_exports_the_measures_values_as_text(tmp_path, capsys):
    """scenes/adventure-works-sales.yaml renders and its export carries the report's numbers, computed here with pandas."""
    out = tmp_path / "export"
    code = cli.main(["export", str(ROOT / "scenes" / "adventure-works-sales.yaml"), "--size", "1024x512", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    text = (out / "index.html").read_text()
    assert f"${expected_sales(year=2013):,.0f}" in text  # the KPI, with the year slicer on 2013
    assert f"${expected_sales(year=2012):,.0f}" in text  # the step that moves the slicer to 2012
    assert f"{expected_sales('SalesTerritoryCountry', 2013)['United States']:,.0f}" in text  # a bar per related table's value
    assert f"${expected_sales():,.0f}" in text  # all years
