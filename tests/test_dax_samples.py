"""Every supported measure of the sample models, in several filter contexts, against pandas.

The reference numbers are computed here from the models' tables with pandas and the standard
library (merges, filters, dateutil for the year shift), written from each measure's DAX by
hand, not with Bridge's evaluator.  Contexts: overall, per category of a related table, under a
filter, and per year for the time-intelligence measures.  Numbers agree to a relative 1e-9.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

from bridge.data.dax import evaluate_measures, measure_support
from tests.dax_models import ADVENTURE_WORKS, IMPORTED, SUPPLIER_QUALITY, load

TODAY = dt.date(2024, 6, 15)
NAN = float("nan")


def _total(series: pd.Series) -> float:
    """SUM as DAX: BLANK (NaN) when there is nothing to add."""
    values = series.dropna().astype(float)
    return float(values.sum()) if len(values) else NAN


def _keep(frame: pd.DataFrame, key: str, dim: pd.DataFrame, dim_key: str, where: dict) -> pd.DataFrame:
    """The rows of `frame` whose `key` is among the keys of the `dim` rows that `where` selects."""
    if not where:
        return frame
    chosen = dim
    for col, values in where.items():
        chosen = chosen[chosen[col].isin(values)]
    return frame[frame[key].isin(chosen[dim_key])]


def _on(sel: dict, table: str) -> dict:
    return {col: values for (t, col), values in sel.items() if t == table}


# -- Adventure Works ------------------------------------------------------------------------------
def aw_reference(sel: dict) -> dict:
    m = load(ADVENTURE_WORKS)
    s = m.tables["Internet Sales"]
    s = _keep(s, "ProductKey", m.tables["Product"], "ProductKey", _on(sel, "Product"))
    s = _keep(s, "CustomerKey", m.tables["Customer"], "CustomerKey", _on(sel, "Customer"))
    s = _keep(s, "SalesTerritoryKey", m.tables["Sales Territory"], "SalesTerritoryKey", _on(sel, "Sales Territory"))
    s = _keep(s, "OrderDateKey", m.tables["Date"], "DateKey", _on(sel, "Date"))
    product = m.tables["Product"]
    big = s[s.ProductKey.isin(product[product["List Price"] >= 1000].ProductKey)]
    per_customer = big.groupby("CustomerKey").OrderQuantity.sum().astype(float)
    return {
        "Internet Sales": _total(s.SalesAmount),
        "Product Cost": _total(s.TotalProductCost),
        "Order Qty": _total(s.OrderQuantity),
        "Orders with List Price Bigger than or Equal $1,000": _total(big.OrderQuantity),
        "Order Qty for Customers Buying More than 4 Product with List Price Bigger Than $1,000":
            _total(per_customer[per_customer > 4]),
    }


# -- Supplier Quality -----------------------------------------------------------------------------
SQ_DIMS = {"Category": "Sub Category ID", "Plant": "Plant ID", "Vendor": "Vendor ID", "Defect Type": "Defect Type ID",
           "Material Type": "Material Type ID", "Defect": "Defect ID"}


def _last_year(dates: set) -> set:
    """SAMEPERIODLASTYEAR's dates: a year back, a month's last day taking the rest of its target month."""
    out = set()
    for d in dates:
        back = d - relativedelta(years=1)
        out.add(back)
        if d.day == calendar.monthrange(d.year, d.month)[1]:
            last = calendar.monthrange(back.year, back.month)[1]
            out.update(back.replace(day=day) for day in range(back.day, last + 1))
    return out


def sq_reference(sel: dict) -> dict:
    m = load(SUPPLIER_QUALITY)
    metrics = m.tables["Metrics"]
    for table, key in SQ_DIMS.items():
        metrics = _keep(metrics, key, m.tables[table], key, _on(sel, table))
    dates = m.tables["Date"]
    for col, values in _on(sel, "Date").items():
        dates = dates[dates[col].isin(values)]
    in_context = metrics[metrics.Date.isin(dates.Date)]
    every_day = {d.date() for d in m.tables["Date"].Date}
    shifted = {pd.Timestamp(d) for d in _last_year({d.date() for d in dates.Date}) & every_day}
    last_year = metrics[metrics.Date.isin(shifted)]
    qty, downtime = _total(in_context["Defect Qty"]), _total(in_context["Downtime min"])
    return {
        "Total Defect Reports": float(len(in_context)) if len(in_context) else NAN,
        "Total Defect Qty": qty,
        "Total Downtime Minutes": downtime,
        "Total Defect Qty Max": qty * 1.25,
        "Total Downtime Minutes Max": downtime * 1.15,
        "Defect Qty SPLY": _total(last_year["Defect Qty"]),
        "Total Downtime Minutes SPLY": _total(last_year["Downtime min"]),
    }


# -- the comparison ---------------------------------------------------------------------------------
def _same(got: object, want: object) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, float):
        return isinstance(got, float | int) and abs(got - want) <= 1e-9 * max(abs(want), 1e-300)
    return got == want


def compare(model_name: str, reference, by: list[str], filters: dict, apart: tuple[str, ...] = ()) -> int:
    """Bridge's table against the reference, row by row and measure by measure; returns rows compared.

    `apart`: measures checked by a test of their own instead."""
    m = load(model_name)
    names = [n for n, why in measure_support(m).items() if why is None and n not in apart]
    frame = evaluate_measures(m, names, by=by, filters=filters, today=TODAY)
    base = {_key(k): v for k, v in filters.items()}
    if by:
        table, col = _key(by[0])
        candidates = sorted(m.tables[table][col].dropna().unique())
        expected_rows = []
        for value in candidates:
            ref = reference({**base, (table, col): [value]})
            if any(not (isinstance(v, float) and math.isnan(v)) for v in ref.values()):
                expected_rows.append((value, ref))
        assert [v for v, _ in expected_rows] == list(frame[by[0]]), "the grouping's rows differ"
    else:
        expected_rows = [(None, reference(base))]
    wrong = []
    for (value, ref), (_, row) in zip(expected_rows, frame.iterrows(), strict=True):
        for name in names:
            if not _same(row[name], ref[name]):
                wrong.append(f"{value} [{name}]: Bridge {row[name]!r}, pandas {ref[name]!r}")
    assert not wrong, "\n".join(wrong[:20])
    return len(expected_rows)


def _key(text: str) -> tuple[str, str]:
    table, col = text.split("[", 1)
    return table.strip("'"), col[:-1]


CASES = [
    (ADVENTURE_WORKS, aw_reference, [], {}),
    (ADVENTURE_WORKS, aw_reference, ["Product[Color]"], {}),
    (ADVENTURE_WORKS, aw_reference, ["Customer[Gender]"], {"'Sales Territory'[SalesTerritoryCountry]": ["France"]}),
    (ADVENTURE_WORKS, aw_reference, ["Date[CalendarYear]"], {}),
    (SUPPLIER_QUALITY, sq_reference, [], {}),
    (SUPPLIER_QUALITY, sq_reference, ["Category[Category]"], {}),
    (SUPPLIER_QUALITY, sq_reference, ["'Date'[Year]"], {}),
    (SUPPLIER_QUALITY, sq_reference, ["'Date'[Month]"], {"Plant[Plant]": ["Chicago, IL"], "'Date'[Year]": ["2014"]}),
]


@pytest.mark.parametrize("model_name, reference, by, filters", CASES,
                         ids=[f"{c[0][:12]}-{'-'.join(c[2]) or 'overall'}{'-filtered' if c[3] else ''}" for c in CASES])
def test_supported_measures_match_pandas(model_name, reference, by, filters):
    assert compare(model_name, reference, by, filters) >= 1


def test_at_least_nine_in_ten_sample_measures_are_supported_and_the_rest_say_why():
    support = {(f, n): why for f in IMPORTED for n, why in measure_support(load(f)).items()}
    supported = sum(why is None for why in support.values())
    assert supported >= 0.9 * len(support)
    unsupported = {why for why in support.values() if why is not None}
    assert all("which Bridge does not evaluate" in why for why in unsupported)


def test_the_filtered_case_selects_rows():
    # The filtered case above must select something, or it would compare nothing.
    m = load(SUPPLIER_QUALITY)
    assert "Chicago, IL" in set(m.tables["Plant"]["Plant"])
    assert np.isfinite(sq_reference({("Plant", "Plant"): ["Chicago, IL"], ("Date", "Year"): ["2014"]})["Total Defect Qty"])
