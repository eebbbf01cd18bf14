"""DAX semantics on a small hand-built model: relationships, blanks, context transition, CALCULATE, ALL, dates.

Every expected number is computed here with pandas from the same tables, not copied from Bridge.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bridge.data.dax import DaxError, evaluate_measures, measure_support
from bridge.data.powerbi.model import MeasureDef, PowerBIModel, Relationship

DATES = pd.date_range("2022-01-01", "2023-12-31")
SALES = pd.DataFrame({
    "SaleID": range(1, 13),
    "ProductID": [1, 1, 2, 3, 3, 4, 1, 2, 2, 3, 4, 9],  # 9 matches no product
    "CustomerID": [10, 11, 10, 12, 11, 12, 10, 13, 11, 12, 13, 10],
    "Date": pd.to_datetime(["2022-01-05", "2022-02-10", "2022-03-15", "2022-06-30", "2022-12-31", "2023-01-05",
                            "2023-02-10", "2023-02-28", "2023-03-15", "2023-06-30", "2023-07-01", "2023-12-31"]),
    "ShipDate": pd.to_datetime(["2022-01-07", "2022-02-12", "2022-04-01", "2022-07-02", "2023-01-02", "2023-01-07",
                                "2023-02-12", "2023-03-02", "2023-03-17", "2023-07-02", "2023-07-03", "2024-01-02"]),
    "Qty": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    "Amount": [10.0, 20.0, np.nan, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0],
})
PRODUCT = pd.DataFrame({"ProductID": [1, 2, 3, 4, 5], "Name": ["p1", "p2", "p3", "p4", "p5"],
                        "Category": ["A", "A", "B", "B", "C"], "ListPrice": [5.0, 15.0, 25.0, 35.0, 45.0]})
CUSTOMER = pd.DataFrame({"CustomerID": [10, 11, 12, 13, 14], "City": ["York", "Leeds", "York", "Hull", "Hull"]})
DATE = pd.DataFrame({"Date": DATES, "Year": DATES.year, "Month": DATES.month})

MEASURES = {
    "Qty": "SUM(Sales[Qty])",
    "Amount": "SUM(Sales[Amount])",
    "Rows": "COUNTROWS(Sales)",
    "Customers": "COUNTROWS(Customer)",
    "Products": "COUNTROWS('Product')",
    "Avg Amount": "AVERAGE(Sales[Amount])",
    "Blank plus one": "BLANK() + 1",
    "Blank times two": "BLANK() * 2",
    "Blank equals zero": "IF(BLANK() = 0, 1, 0)",
    "Blank strictly zero": "IF(BLANK() == 0, 1, 0)",
    "Divide by zero": "DIVIDE(1, 0)",
    "Divide alternate": "DIVIDE(1, 0, -1)",
    "Share of all products": "DIVIDE([Qty], CALCULATE([Qty], ALL('Product')))",
    "Category total": "CALCULATE([Qty], ALLEXCEPT('Product', 'Product'[Category]))",
    "Qty in A": "CALCULATE([Qty], 'Product'[Category] = \"A\")",
    "Qty in A kept": "CALCULATE([Qty], KEEPFILTERS('Product'[Category] = \"A\"))",
    "Qty A or B big": "CALCULATE([Qty], 'Product'[Category] IN {\"A\", \"B\"} && 'Product'[ListPrice] > 10)",
    "Qty all sales": "CALCULATE([Qty], ALL(Sales))",
    "Qty via filter": "CALCULATE([Qty], FILTER('Product', 'Product'[ListPrice] >= 25))",
    "Sum per customer": "SUMX(Customer, [Qty])",
    "Average per city": "AVERAGEX(VALUES(Customer[City]), [Qty])",
    "Big customers": "COUNTROWS(FILTER(VALUES(Customer[CustomerID]), [Qty] > 15))",
    "Line value": "SUMX(Sales, Sales[Qty] * RELATED('Product'[ListPrice]))",
    "Max line": "MAXX(Sales, Sales[Qty] * 2)",
    "YTD": "TOTALYTD([Qty], 'Date'[Date])",
    "Last year": "CALCULATE([Qty], SAMEPERIODLASTYEAR('Date'[Date]))",
    "Previous month": "CALCULATE([Qty], DATEADD('Date'[Date], -1, MONTH))",
    "First half 2023": "CALCULATE([Qty], DATESBETWEEN('Date'[Date], DATE(2023, 1, 1), DATE(2023, 6, 30)))",
    "By ship date": "CALCULATE([Qty], USERELATIONSHIP(Sales[ShipDate], 'Date'[Date]))",
    "This year": "CALCULATE([Qty], 'Date'[Year] = YEAR(TODAY()))",
    "Size": "SWITCH(TRUE(), [Qty] >= 30, \"big\", [Qty] >= 10, \"medium\", \"small\")",
    "Selected": "SELECTEDVALUE('Product'[Category], \"many\")",
    "One category": "IF(HASONEVALUE('Product'[Category]), 1, 0)",
    "Filtered": "IF(ISFILTERED('Product'[Category]), \"yes\", \"no\")",
    "Label": "VAR q = [Qty] VAR t = \"Qty \" RETURN t & q & \" (\" & FORMAT(DIVIDE(q, 78), \"0.0%\") & \")\"",
}


def model(**extra: str) -> PowerBIModel:
    measures = {**MEASURES, **extra}
    return PowerBIModel(
        "test.pbix",
        {"Sales": SALES, "Product": PRODUCT, "Customer": CUSTOMER, "Date": DATE},
        [Relationship("Sales", "ProductID", "Product", "ProductID"),
         Relationship("Sales", "CustomerID", "Customer", "CustomerID", both_directions=True),
         Relationship("Sales", "Date", "Date", "Date"),
         Relationship("Sales", "ShipDate", "Date", "Date", active=False)],
        {name: MeasureDef("Sales", name, text) for name, text in measures.items()},
        date_tables={"Date"},
    )


def one(name: str, **kw) -> object:
    return evaluate_measures(model(), [name], **kw).iloc[0][name]


def by(name: str, column: str, **kw) -> dict:
    frame = evaluate_measures(model(), [name], by=[column], **kw)
    return dict(zip(frame[column], frame[name], strict=True))


def test_sum_overall_and_by_a_related_table_follow_the_relationship():
    assert one("Qty") == SALES.Qty.sum()
    joined = SALES.merge(PRODUCT, on="ProductID")
    assert by("Qty", "Product[Category]") == joined.groupby("Category").Qty.sum().to_dict()


def test_filters_flow_one_to_many_and_both_ways_only_where_the_relationship_says_both():
    joined = SALES.merge(PRODUCT, on="ProductID")
    # Customer is both-directional: a product category filters the customers who bought it.
    assert by("Customers", "Product[Category]") == joined.groupby("Category").CustomerID.nunique().astype(float).to_dict()
    # Product is single-direction: a city does not filter products.
    assert set(by("Products", "Customer[City]").values()) == {float(len(PRODUCT))}


def test_blank_arithmetic_follows_dax():
    assert one("Blank plus one") == 1
    assert np.isnan(one("Blank times two"))
    assert one("Blank equals zero") == 1 and one("Blank strictly zero") == 0
    assert np.isnan(one("Divide by zero")) and one("Divide alternate") == -1
    assert one("Amount") == SALES.Amount.sum()  # a blank amount is left out, not counted as NaN
    assert one("Avg Amount") == pytest.approx(SALES.Amount.mean(), rel=1e-12)


def test_grouping_keeps_only_rows_where_some_measure_is_not_blank():
    # Category C's only product has no sales; the unmatched product 9 gets no row of its own.
    assert set(by("Qty", "Product[Category]")) == {"A", "B"}
    frame = evaluate_measures(model(), ["Qty", "Products"], by=["Product[Category]"])
    assert list(frame["Product[Category]"]) == ["A", "B", "C"]
    assert np.isnan(frame.set_index("Product[Category]").loc["C", "Qty"])


def test_calculate_boolean_filter_replaces_the_column_filter_and_keepfilters_intersects():
    in_a = SALES.merge(PRODUCT, on="ProductID").query("Category == 'A'").Qty.sum()
    assert by("Qty in A", "Product[Category]") == {"A": in_a, "B": in_a, "C": in_a}
    assert by("Qty in A kept", "Product[Category]") == {"A": in_a}
    big = SALES.merge(PRODUCT, on="ProductID").query("Category in ['A', 'B'] and ListPrice > 10").Qty.sum()
    assert one("Qty A or B big") == big


def test_all_and_allexcept_remove_filters_and_all_of_the_fact_table_clears_its_dimensions():
    joined = SALES.merge(PRODUCT, on="ProductID")
    # ALL('Product') leaves Sales unfiltered: the sale of the unmatched product counts in the whole.
    shares = by("Share of all products", "Product[Name]")
    expected = (joined.groupby("Name").Qty.sum() / SALES.Qty.sum()).to_dict()
    assert shares == pytest.approx(expected, rel=1e-12)
    # Grouped by category and name, ALLEXCEPT keeps the category's filter and drops the name's;
    # grouped by name alone there is no category filter to keep, so every name shows the whole.
    frame = evaluate_measures(model(), ["Category total"], by=["Product[Category]", "Product[Name]"])
    per_cat = joined.groupby("Category").Qty.sum()
    assert dict(zip(frame["Product[Name]"], frame["Category total"], strict=True)) == {
        n: per_cat[c] for n, c in zip(PRODUCT.Name, PRODUCT.Category, strict=True) if c in per_cat}
    assert set(by("Category total", "Product[Name]").values()) == {SALES.Qty.sum()}
    assert set(by("Qty all sales", "Product[Category]").values()) == {SALES.Qty.sum()}


def test_table_filter_from_filter_over_a_dimension():
    expected = SALES.merge(PRODUCT, on="ProductID").query("ListPrice >= 25").Qty.sum()
    assert one("Qty via filter") == expected


def test_context_transition_in_iterators():
    assert one("Sum per customer") == SALES[SALES.CustomerID.isin(CUSTOMER.CustomerID)].Qty.sum()
    per_city = SALES.merge(CUSTOMER, on="CustomerID").groupby("City").Qty.sum()
    assert one("Average per city") == pytest.approx(per_city.mean(), rel=1e-12)
    per_customer = SALES.groupby("CustomerID").Qty.sum()
    assert one("Big customers") == (per_customer > 15).sum()
    # The same, per product category: transition inside a grouped evaluation.
    joined = SALES.merge(PRODUCT, on="ProductID")
    expected = {c: float((g.groupby("CustomerID").Qty.sum() > 15).sum()) for c, g in joined.groupby("Category")}
    got = by("Big customers", "Product[Category]")
    assert got == {c: v for c, v in expected.items() if v}


def test_row_iterators_with_related():
    joined = SALES.merge(PRODUCT, on="ProductID")
    assert one("Line value") == pytest.approx((joined.Qty * joined.ListPrice).sum(), rel=1e-12)
    per_cat = (joined.Qty * joined.ListPrice).groupby(joined.Category).sum().to_dict()
    assert by("Line value", "Product[Category]") == pytest.approx(per_cat, rel=1e-12)
    assert one("Max line") == SALES.Qty.max() * 2


def test_time_intelligence_over_the_date_table():
    s = SALES.assign(Year=SALES.Date.dt.year, Month=SALES.Date.dt.month)
    ytd = by("YTD", "Date[Month]", filters={"Date[Year]": [2023]})
    monthly = s[s.Year == 2023].groupby("Month").Qty.sum().reindex(range(1, 13), fill_value=0).cumsum()
    assert ytd == {m: v for m, v in monthly.items() if v}
    assert by("Last year", "Date[Year]") == {2023: s[s.Year == 2022].Qty.sum()}
    prev = by("Previous month", "Date[Month]", filters={"Date[Year]": [2023]})
    per_month = s.groupby(["Year", "Month"]).Qty.sum()
    expected = {m: per_month.get((2023, m - 1) if m > 1 else (2022, 12), 0) for m in range(1, 13)}
    assert prev == {m: v for m, v in expected.items() if v}
    assert one("First half 2023") == s[(s.Date >= "2023-01-01") & (s.Date <= "2023-06-30")].Qty.sum()


def test_userelationship_switches_to_the_inactive_relationship():
    shipped = SALES.assign(Year=SALES.ShipDate.dt.year).groupby("Year").Qty.sum()
    assert by("By ship date", "Date[Year]") == {y: v for y, v in shipped.items() if y in (2022, 2023)}


def test_today_comes_from_the_as_of_date():
    by_year = SALES.groupby(SALES.Date.dt.year).Qty.sum()
    assert one("This year", today=dt.date(2022, 5, 1)) == by_year[2022]
    assert one("This year", today=dt.date(2023, 5, 1)) == by_year[2023]


def test_switch_true_selectedvalue_hasonevalue_isfiltered_and_text():
    sizes = by("Size", "Customer[City]")
    per_city = SALES.merge(CUSTOMER, on="CustomerID").groupby("City").Qty.sum()
    assert sizes == {c: "big" if q >= 30 else "medium" if q >= 10 else "small" for c, q in per_city.items()}
    assert by("Selected", "Product[Category]") == {"A": "A", "B": "B", "C": "C"}
    assert one("Selected") == "many"
    assert one("Selected", filters={"Product[Category]": ["B"]}) == "B"
    assert one("One category") == 0 and one("One category", filters={"Product[Category]": ["A"]}) == 1
    assert one("Filtered") == "no" and set(by("Filtered", "Product[Category]").values()) == {"yes"}
    assert one("Label") == "Qty 78 (100.0%)"


def test_filters_act_as_slicers_on_related_tables():
    york = SALES.merge(CUSTOMER, on="CustomerID").query("City == 'York'")
    assert one("Qty", filters={"Customer[City]": ["York"]}) == york.Qty.sum()
    got = by("Qty", "Product[Category]", filters={"Customer[City]": ["York", "Hull"]})
    joined = SALES.merge(CUSTOMER, on="CustomerID").merge(PRODUCT, on="ProductID").query("City in ['York', 'Hull']")
    assert got == joined.groupby("Category").Qty.sum().to_dict()


def test_unsupported_function_missing_column_and_cycle_are_reported_and_raise():
    m = model(**{"Path": "PATHITEM(\"a|b\", 1)", "Missing": "SUM('Sales'[Nope])",
                 "A": "[B] + 1", "B": "[A] * 2", "Uses path": "[Path] + 1"})
    support = measure_support(m)
    assert support["Qty"] is None
    assert support["Path"] == "uses PATHITEM, which Bridge does not evaluate"
    assert support["Missing"] == "refers to 'Sales'[Nope], which is not a column of the model"
    assert support["A"] == "refers to itself through [A] → [B] → [A]"
    assert "PATHITEM" in support["Uses path"]
    for name, culprit in [("Path", "PATHITEM"), ("Missing", "'Sales'[Nope]"), ("A", "[A]")]:
        with pytest.raises(DaxError) as err:
            evaluate_measures(m, [name])
        assert err.value.measure == name and err.value.culprit == culprit


def test_malformed_measure_is_unsupported_with_its_position():
    support = measure_support(model(Broken="SUM(Sales[Qty]"))
    assert support["Broken"].startswith("does not parse: line 1, column 15")


def test_work_limit_stops_a_runaway_iteration(monkeypatch):
    import bridge.data.dax.engine as engine

    monkeypatch.setattr(engine, "MAX_DAX_WORK", 200)
    m = model(Cross="SUMX(Sales, SUMX(Sales, SUMX(Sales, Sales[Qty])))")
    with pytest.raises(DaxError, match="MAX_DAX_WORK"):
        evaluate_measures(m, ["Cross"])


def test_tables_made_in_a_measure_summarize_addcolumns_topn_lookupvalue_rankx():
    m = model(**{
        "Best category": "MAXX(TOPN(1, SUMMARIZE(Sales, 'Product'[Category], \"q\", [Qty]), [q], DESC), 'Product'[Category])",
        "Top two qty": "SUMX(TOPN(2, ADDCOLUMNS(VALUES(Customer[CustomerID]), \"q\", [Qty]), [q]), [q])",
        "City of 12": "LOOKUPVALUE(Customer[City], Customer[CustomerID], 12)",
        "Rank of city": "RANKX(ALL(Customer[City]), [Qty])",
    })
    joined = SALES.merge(PRODUCT, on="ProductID")
    per_cat = joined.groupby("Category").Qty.sum()
    per_customer = SALES.groupby("CustomerID").Qty.sum().sort_values(ascending=False)
    frame = evaluate_measures(m, ["Best category", "Top two qty", "City of 12"])
    assert frame.iloc[0]["Best category"] == per_cat.idxmax()
    assert frame.iloc[0]["Top two qty"] == per_customer.iloc[:2].sum()
    assert frame.iloc[0]["City of 12"] == "York"
    per_city = SALES.merge(CUSTOMER, on="CustomerID").groupby("City").Qty.sum()
    ranks = per_city.rank(ascending=False, method="min").to_dict()
    got = evaluate_measures(m, ["Rank of city"], by=["Customer[City]"]).set_index("Customer[City]")["Rank of city"]
    assert got.to_dict() == ranks
