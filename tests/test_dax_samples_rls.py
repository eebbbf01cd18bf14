"""The rls sample report's supported measures (sales, reviews, labels and SVG icons) against pandas.

Its date table has no relationship to the sales, so date filters there change only what is read
from the date table itself (as in Power BI); 'Sales Metric' is a disconnected slicer table whose
selection picks the sales or the transaction count.  Each reference below is the measure's DAX
written out by hand with pandas.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from bridge.data.dax import evaluate_measures
from tests.dax_models import RLS_SAMPLE, load
from tests.test_dax_samples import NAN, TODAY, _keep, _on, _total, compare

UP, DOWN = chr(11165), chr(11167)


def _blank(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _text(x: float | str) -> str:
    """A value as DAX's & writes it."""
    if isinstance(x, str):
        return x
    if _blank(x):
        return ""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _pct(x: float, places: int) -> str:
    """FORMAT(x, "#0%") / "#0.0%"."""
    if _blank(x):
        return ""
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(repr(x * 100)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q}%"


def _thousands(x: float) -> str:
    """FORMAT(x, "$#,.00K"): thousands with two decimals, no leading zero."""
    if _blank(x):
        return ""
    text = f"{x / 1000:.2f}"
    return "$" + (text[1:] if text.startswith("0.") else text) + "K"


def _max_date_year(dates) -> float:
    return float(dates.Date.max().year) if len(dates) else NAN


def _minus(a: float, b: float) -> float:
    if _blank(a) and _blank(b):
        return NAN
    return (0.0 if _blank(a) else a) - (0.0 if _blank(b) else b)


def _gt(a: float, b: float) -> bool:
    return (0.0 if _blank(a) else a) > (0.0 if _blank(b) else b)


def _divide(a: float, b: float) -> float:
    if _blank(b) or b == 0:
        return NAN
    return NAN if _blank(a) else a / b


def rls_reference(sel: dict) -> dict:
    m = load(RLS_SAMPLE)
    all_sales = m.tables["Sales"]
    any_product = _keep(all_sales, "RegionID", m.tables["Regions"], "RegionID", _on(sel, "Regions"))
    sales = _keep(any_product, "ProductID", m.tables["Products"], "ProductID", _on(sel, "Products"))
    reviews = m.tables["Reviews"]
    if _on(sel, "Products") or _on(sel, "Regions"):
        reviews = reviews[reviews.SalesID.isin(sales.SalesID)]
    dates = m.tables["DateTable"]
    for col, values in _on(sel, "DateTable").items():
        dates = dates[dates[col].isin(values)]
    metric_rows = m.tables["Sales Metric"]
    for col, values in _on(sel, "Sales Metric").items():
        metric_rows = metric_rows[metric_rows[col].isin(values)]
    chosen = metric_rows["Sales Metric Fields"].iloc[0] if len(metric_rows) == 1 else None
    selected_metric = "Total Sales" if chosen == "'_Measures'[Total Sales]" else "Transactions"
    categories = dates["Year Category"].unique()
    year_cat = categories[0] if len(categories) == 1 else None

    def metric(frame) -> float:
        if selected_metric == "Total Sales":
            return _total(frame.Amount)
        return float(len(frame)) if len(frame) else NAN

    def product_sales(name: str) -> object:
        return any_product[any_product.ProductID.isin(m.tables["Products"].query("Product == @name").ProductID)]

    total = _total(sales.Amount)
    count = float(len(sales)) if len(sales) else NAN
    cy = metric(sales)
    ly = cy  # every branch of [Sales Metric (LY)] lands on the same sales: the date table filters nothing
    yoy = NAN if _blank(cy) or _blank(ly) else _divide(cy - ly, ly)
    yoy_label = (UP if _gt(yoy, 0) else DOWN) + " " + _pct(yoy, 1)
    annual = metric(any_product)
    score = float(reviews.SatisfactionScore.astype(float).mean()) if len(reviews) else NAN
    score_yoy = NAN if _blank(score) else _divide(score - score, score)
    score_yoy_label = (UP + " " if _gt(score_yoy, 0) else DOWN + " " if _gt(0, score_yoy) else "-- ") + _pct(score_yoy, 1)
    all_products_reviews = m.tables["Reviews"]
    if _on(sel, "Regions"):
        all_products_reviews = all_products_reviews[all_products_reviews.SalesID.isin(any_product.SalesID)]
    avg_all = float(all_products_reviews.SatisfactionScore.astype(float).mean())
    review_count = float(len(reviews))
    year = _max_date_year(dates)
    out = {
        "Total Sales": total, "Total Sales (-1 years)": total, "Total Sales (-2 years)": total, "Bar Spacer": 0.0,
        "Total Sales CY": total, "Total Sales Target": NAN if _blank(total) else total * 1.25,
        "Number of Sales": count, "Transaction Count": count, "Transaction Count CY": count,
        "Product Number of Sales Label": _selected_product(m, sel) + " (" + _text(count) + ")",
        "Totals Sales Title": "Breaking down the " + _text(total) + " in total sales",
        "Sales Metric (CY)": cy, "Sales Metric (LY)": ly, "Sales Metric YOY": yoy,
        "Sales Metric YOY Label": yoy_label, "Selected Sales Metric": selected_metric,
        "Annual Sales Performance Label": yoy_label + (
            " compared to this time last year." if year_cat == "This Year"
            else " compared to " + _text(year - 1 if not _blank(year) else -1.0) + " sales."),
        "Current to Last Delta": _minus(cy, ly),
        "Annual Sales Title": "Breaking down the " + _thousands(cy) + (
            " in annual sales" if year_cat == "This Year" else " of annual sales in " + _text(year)),
        "Sales Metric Annual Total": annual,
        "Product Category Totals Sales Label": _pct(_divide(cy, annual), 0) + " of annual sales",
        "Annual Sales LY Label Color": "#e5e5e5" if _gt(cy, ly) else "#0b4d78",
        "Sales Metric YOY Label No Format": (UP if _gt(yoy, 0) else DOWN) + " " + _text(yoy),
        "Sales Metric YOY Label Manual": (UP if _gt(yoy, 0) else DOWN) + " " + _text(
            NAN if _blank(yoy) else round(yoy * 100, 1)) + "%",
        "Sales 3 Month Rolling Average": float(sales.Amount.astype(float).mean()) if len(sales) else NAN,
        "Average Score": score, "Average Score (CY)": score, "Average Score (LY)": score,
        "Average Score YOY": score_yoy, "Average Score YOY Label": score_yoy_label,
        "Annual Average Score Label": score_yoy_label + (
            " compared to last year." if year_cat == "This Year"
            else " compared to " + _text(year - 1 if not _blank(year) else -1.0) + " ratings."),
        "Current to Last Delta Score": _minus(score, score),
        "Review Count": review_count,
        "Sales CY Label": _text(year) + " Sales",
        "Sales LY Label": "Previous year unavailable" if year == 2022 else _text(year - 1) + " Sales",
        "Average Score Helper": score, "Average Score CY Helper": score, "Average Score LY Helper": score,
        "Rating By Age Label": _text(_max_text(reviews.AgeBin)) + " (" + _text(review_count) + ")",
        "Rating By Shipping Label": _text(_max_text(reviews.Shipping)) + " (" + _text(review_count) + ")",
        "Product Average Score Color": "#0e67a0" if _gt(score, avg_all) else "#478bb8",
        "Average Score Target": NAN if _blank(score) else score * 0.25 + score,
        "DotPlot X Min": _minus(score, 1.0), "DotPlot X Max": NAN if _blank(score) else score + 0.4,
        "Dot Plot CY > LY Label": NAN, "Dot Plot CY < LY Label": NAN,
        "Dot Plot LY < CY Label": NAN, "Dot Plot LY > CY Label": NAN,
        "Dot Plot Legend Label LY": _text(year - 1) + " average rating",
        "Dot Plot Legend Label CY": _text(year) + " average rating",
        "Score Visual Table": _svg(m, score, prefixed=True), "Score SVG": _svg(m, score, prefixed=False),
    }
    out.update(_subtitles(m, sales, any_product, metric, selected_metric, year_cat, year))
    for name in ("Smartphone", "Headphones", "Tablet", "Laptop", "TV"):
        out[f"{name} Sales Metric (CY)"] = metric(product_sales(name))
        everywhere = all_sales[all_sales.ProductID.isin(m.tables["Products"].query("Product == @name").ProductID)]
        out[f"{name} Sales Metric (Total)"] = (_total(everywhere.Amount) if selected_metric == "Total Sales"
                                              else float(len(all_sales)))
    return out


def _subtitles(m, sales, any_product, metric, selected_metric: str, year_cat, year: float) -> dict:
    """[Annual Sales SubTitle] and [Product Contributions Subtitle]: the leading product of the sales in context."""
    names = m.tables["Products"].set_index("ProductID").Product
    per_product = {name: metric(group) for name, group in sales.groupby(sales.ProductID.map(names))}
    annual = metric(any_product)
    if per_product:
        best = max(per_product.values())
        leader = max((p for p, v in per_product.items() if v == best), key=str.lower)
        # Every product's YOY is 0 (this year's and last year's sales are the same rows): all tie.
        growth_leader, growth = max(per_product, key=str.lower), 0.0
        share = max(_divide(v, annual) for v in per_product.values())
    else:
        best, leader, growth_leader, growth, share = NAN, "", "", NAN, NAN
    joiner = " and " if leader == growth_leader else ", while "
    tail = " in sales" + joiner + growth_leader + " has the highest YoY growth of " + _pct(growth, 0)
    if year_cat == "This Year":
        subtitle = leader + " leads the way with " + _thousands(best) + tail
    else:
        subtitle = leader + " led " + _text(year) + " with " + _thousands(best) + tail
    contributions = ("Explore product sales, where " + leader + " stand out with " + _thousands(best) + " and "
                     + _pct(share, 0) + " of annual sales") if selected_metric == "Total Sales" else NAN
    return {"Annual Sales SubTitle": subtitle, "Product Contributions Subtitle": contributions}


def _selected_product(m, sel: dict) -> str:
    chosen = sel.get(("Products", "Product"))
    values = set(chosen) if chosen else set(m.tables["Products"].Product)
    return next(iter(values)) if len(values) == 1 else ""


def _max_text(series) -> float | str:
    values = series.dropna()
    return max(values, key=str.lower) if len(values) else NAN


def _svg(m, score: float, prefixed: bool) -> float | str:
    """[Score Visual Table] / [Score SVG]: the star picture for the average score's half-point band."""
    icons = dict(zip(m.tables["Icons"].Name, m.tables["Icons"].SVGIcon, strict=True))
    s = 0.0 if _blank(score) else score
    if s < 0.5:
        return icons["prefix"] + icons["Satisfaction0.0"]
    bands = [(low / 2, low / 2 + 0.5, f"Satisfaction{low / 2:.1f}") for low in range(1, 9)]
    for low, high, name in bands:
        if low <= s < high:
            return (icons["prefix"] if prefixed else "") + icons[name]
    if 4.5 <= s and (s <= 5.0 if prefixed else s < 5.0):
        return (icons["prefix"] if prefixed else "") + icons["Satisfaction5.0"]
    return NAN


CASES = [
    ([], {}),
    (["Products[Product]"], {}),
    (["Regions[Region]"], {"'Sales Metric'[Sales Metric]": ["Total Sales"]}),
    (["DateTable[Year]"], {"'Sales Metric'[Sales Metric]": ["Total Sales"]}),
    (["'DateTable'[Year Category]"], {}),
]


@pytest.mark.parametrize("by, filters", CASES, ids=["overall", "product", "region-total-sales", "year", "year-category"])
def test_rls_sample_measures_match_pandas(by, filters):
    assert TODAY.year == 2024
    assert compare(RLS_SAMPLE, rls_reference, by, filters, apart=("Top Performers", "Top Ratings")) >= 1


BADGE = re.compile(r"font-size:9px;'>\s*(.*?)\s*</div>", re.S)
IMAGE = re.compile(r"<img src='(.*?)'")


def _top(groups: pd.DataFrame, value: str, key: str) -> pd.DataFrame:
    """TOPN(3, groups, value, DESC, key, ASC), with the rows tied with the third."""
    ranked = groups.sort_values([value, key], ascending=[False, True], kind="stable").reset_index(drop=True)
    if len(ranked) <= 3:
        return ranked
    third = ranked.iloc[2]
    return ranked[(ranked.index < 3) | ((ranked[value] == third[value]) & (ranked[key] == third[key]))]


@pytest.mark.parametrize("metric", ["Transactions", "Total Sales"])
def test_top_performers_html_shows_the_three_best_region_employees(metric):
    m = load(RLS_SAMPLE)
    sales = m.tables["Sales"]
    groups = sales.groupby(["RegionID", "EmployeeID"]).Amount
    groups = (groups.sum() if metric == "Total Sales" else groups.size()).astype(float).rename("v").reset_index()
    top = _top(groups, "v", "EmployeeID")
    html = evaluate_measures(m, ["Top Performers"], filters={"'Sales Metric'[Sales Metric]": [metric]},
                             today=TODAY).iloc[0]["Top Performers"]
    badge = (lambda v: "$" + f"{v / 1000:,.1f}" + "K") if metric == "Total Sales" else (lambda v: str(int(v)))
    assert BADGE.findall(html) == [badge(v) for v in sorted(top.v, reverse=True)]
    images = m.tables["Employee"].set_index("EmployeeID").Image
    assert sorted(IMAGE.findall(html)) == sorted(images[e] for e in top.EmployeeID)
    assert f"+{len(groups) - len(top)}" in html


def test_top_ratings_html_shows_the_three_best_rated_region_products():
    m = load(RLS_SAMPLE)
    reviews = m.tables["Reviews"].merge(m.tables["Sales"][["SalesID", "RegionID", "ProductID"]], on="SalesID",
                                        suffixes=("_review", ""))
    reviews = reviews.merge(m.tables["Products"], on="ProductID")
    groups = reviews.groupby(["RegionID", "Product Code"]).SatisfactionScore.mean().astype(float).rename("v")
    top = _top(groups.reset_index(), "v", "Product Code")
    html = evaluate_measures(m, ["Top Ratings"], today=TODAY).iloc[0]["Top Ratings"]
    shown = BADGE.findall(html)
    assert shown == [f"{Decimal(repr(v)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}" for v in sorted(top.v, reverse=True)]
    assert f"+{len(groups) - len(top)}" in html
    for code in top["Product Code"]:
        assert f"\n                {code[:2]}\n" in html
