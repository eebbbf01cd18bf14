"""Hostile or nonsensical measures end in a value or a DaxError: never a traceback, never unbounded work."""

from __future__ import annotations

import random

import pytest

from bridge.data.dax import DaxError, evaluate_measures, measure_support
from bridge.errors import BridgeError
from tests.test_dax_semantics import model

PIECES = ["SUM(Sales[Qty])", "[Qty]", "BLANK()", "1", '"a"', "Sales[Qty]", "'Product'[Category]", "TODAY()",
          "DATE(2023,1,1)", "VALUES(Customer[City])", "FILTER(Sales, Sales[Qty] > 2)", "ALL('Product')", "Sales",
          "{1,2}", "TRUE()", "Customer[CustomerID]", "'Date'[Date]"]
FUNCTIONS = ["SUM", "IF", "DIVIDE", "CALCULATE", "SUMX", "COUNTROWS", "FORMAT", "SELECTEDVALUE", "MAXX", "YEAR",
             "DATEADD", "TOTALYTD", "SAMEPERIODLASTYEAR", "ISBLANK", "SWITCH", "CONCATENATEX", "DATESBETWEEN",
             "ROUND", "AND", "NOT", "RELATED", "VALUES", "FILTER", "LEFT", "EOMONTH", "KEEPFILTERS", "ALLEXCEPT"]
OPERATORS = ["+", "-", "*", "/", "&", "=", "<", "&&", "||", " IN "]


def _random_measure(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(PIECES)
    if roll < 0.6:
        args = ", ".join(_random_measure(rng, depth + 1) for _ in range(rng.randint(0, 4)))
        return f"{rng.choice(FUNCTIONS)}({args})"
    return f"({_random_measure(rng, depth + 1)}{rng.choice(OPERATORS)}{_random_measure(rng, depth + 1)})"


@pytest.mark.parametrize("seed", range(4))
def test_random_measures_give_a_value_or_a_dax_error(seed):
    rng = random.Random(seed)
    for _ in range(15):
        text = _random_measure(rng)
        try:
            evaluate_measures(model(F=text), ["F"], by=["Product[Category]"])
        except BridgeError as exc:
            assert str(exc).startswith("test.pbix: "), text


def test_measures_referring_to_measures_deeper_than_the_limit_are_refused():
    chain = {f"M{i}": f"[M{i + 1}] + 1" for i in range(150)}
    chain["M150"] = "1"
    with pytest.raises(DaxError, match="MAX_DAX_DEPTH"):
        evaluate_measures(model(**chain), ["M0"])
    assert "MAX_DAX_DEPTH" in measure_support(model(**chain))["M0"]
