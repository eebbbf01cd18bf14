"""The expression language computes what analysts write and refuses anything else."""

import pandas as pd
import pytest

from bridge import expressions
from bridge.expressions import ExpressionError, evaluate, parse


def run(text, columns):
    def resolve(ref):
        return columns[ref.column]

    return evaluate(parse(text), resolve)


def test_arithmetic_over_columns():
    cols = {"a": pd.Series([1.0, 2.0, 4.0]), "b": pd.Series([2.0, 2.0, 0.0])}
    result = run("100 * a / b", cols)
    assert result.iloc[0] == 50 and result.iloc[1] == 100
    assert pd.isna(result.iloc[2])  # division by zero is a gap, not infinity


def test_aggregates_give_one_number():
    cols = {"a": pd.Series([1.0, 2.0, 4.0])}
    assert run("sum(a)", cols) == 7
    assert run("max(a) - min(a)", cols) == 3


def test_text_numbers_convert_and_text_fails():
    assert run("a * 2", {"a": pd.Series(["1", "2"])}).tolist() == [2, 4]
    with pytest.raises(ExpressionError, match="not numeric"):
        run("a * 2", {"a": pd.Series(["1", "n/a"])})


def test_references():
    refs = parse('people["Aged 65"] / people.total + share').references()
    assert refs == [expressions.ColumnRef("people", "Aged 65"), expressions.ColumnRef("people", "total"),
                    expressions.ColumnRef(None, "share")]


@pytest.mark.parametrize("text", [
    "__import__('os')", "a.__class__.__bases__", "(lambda: 1)()", "[x for x in a]",
    "open('f')", "a if b else c", "'text'", "a[0]", "a @ b",
])
def test_unsafe_or_unknown_is_refused(text):
    with pytest.raises(ExpressionError):
        parse(text)
