"""Evaluating a parsed expression over columns: one small function per kind of syntax node.

Arithmetic is done in float64, so a division by zero or an overflow gives ±inf (which panels
treat as missing and report), never an exception; comparisons, aggregates and ranks treat ±inf
as missing.  Columns come from the caller's `resolve` callback, so this module knows nothing of
datasets or joins (bridge/data/tables.py resolves them).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from bridge.data.expressions.check import is_pattern_total
from bridge.data.expressions.parse import Expression, column_references, matching_columns
from bridge.data.expressions.text import column_text, is_text, join, part, per_row
from bridge.data.expressions.vocabulary import (
    AGGREGATES,
    BINOPS,
    COLUMNWISE,
    COMPARE,
    ELEMENTWISE,
    USAGE,
    ColumnRef,
    ColumnsOf,
    Everything,
    ExpressionError,
    function_of,
    name_of,
    text_of,
)
from bridge.errors import shown


def evaluate(expr: Expression, resolve: Callable[[ColumnRef], pd.Series],
             notes: Callable[[str], None] | None = None,
             columns: ColumnsOf | None = None) -> pd.Series | float:
    """Evaluate `expr`; `resolve` turns each column reference into a numeric-or-text Series.

    Arithmetic is done in float64, so a division by zero or an overflow gives ±inf (which
    panels treat as missing and report), never an exception; aggregates, ranks and
    comparisons treat ±inf as missing, like NaN (`notes`, if given, is told when an
    aggregate or rank leaves such values out).  `columns`, if given, names a dataset's
    columns in order (raising ExpressionError, or KeyError, for a dataset that is not
    there), for total(dataset, "pattern"); each match is then resolved through `resolve`
    as ColumnRef(dataset, name).  Anything else that goes wrong is an ExpressionError.
    """
    source = expr.text.strip()  # what parse() read, so node positions point into it
    evaluation = _Evaluation(source, resolve, notes, columns)
    try:
        return evaluation.ev(expr.tree)
    except ExpressionError:
        raise
    except (TypeError, ValueError, ArithmeticError, IndexError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot evaluate '{shown(expr.text)}': {shown(str(exc) or type(exc).__name__)}") from None


class _Evaluation:
    """One evaluation: the caller's callbacks, and a method per kind of node (`_BY_NODE`)."""

    def __init__(self, source: str, resolve: Callable[[ColumnRef], pd.Series],
                 notes: Callable[[str], None] | None, columns: ColumnsOf | None):
        self.source = source
        self.resolve = resolve
        self.notes = notes
        self.columns = columns

    def ev(self, node: ast.AST):
        """The value of a node: a Series, a float64, a bool, text or the all option."""
        handler = _BY_NODE.get(type(node))
        if handler is None:
            raise ExpressionError(f"cannot evaluate '{shown(ast.unparse(node))}'")  # guarded by check_tree
        return handler(self, node)

    def said(self, node: ast.AST, limit: int = 80) -> str:
        """A part of the expression as the analyst wrote it, for messages."""
        return shown(ast.get_source_segment(self.source, node) or ast.unparse(node), limit)

    def constant(self, node: ast.Constant):
        return node.value if isinstance(node.value, str) else np.float64(cast(float, node.value))  # checked: a number

    def column(self, node: ast.Name | ast.Attribute | ast.Subscript):
        return self.resolve(column_references(node)[0])

    def unary(self, node: ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            value = _boolean(self.ev(node.operand), node.operand)
            return ~value if isinstance(value, pd.Series) else np.bool_(not value)
        value = _numeric(self.ev(node.operand), node.operand)
        return -value if isinstance(node.op, ast.USub) else value

    def compare(self, node: ast.Compare):
        result, left, left_node = None, self.ev(node.left), node.left
        for op, right_node in zip(node.ops, node.comparators):
            right = self.ev(right_node)
            if isinstance(left, Everything) or isinstance(right, Everything):
                part = _everything(left, right, op, node)
                result = part if result is None else result & part
                left, left_node = right, right_node
                continue
            if not (isinstance(left, str) or isinstance(right, str)):
                left, right = _finite(_numeric(left, left_node)), _finite(_numeric(right, right_node))
            elif isinstance(left, pd.Series) and isinstance(right, str):
                left = left.astype(str).str.strip()
            elif isinstance(right, pd.Series) and isinstance(left, str):
                right = right.astype(str).str.strip()
            elif not (isinstance(left, str) and isinstance(right, str)):
                raise ExpressionError(f"'{shown(ast.unparse(node))}' compares a number with text; "
                                      "compare a column with text, e.g. indicator == \"Falls\"")
            try:
                part = COMPARE[type(op)](left, right)
            except TypeError:
                raise ExpressionError(f"'{shown(ast.unparse(node))}' compares values that cannot be ordered "
                                      "(text with numbers?); use == or != with text") from None
            if isinstance(part, (bool, np.bool_)):
                part = np.bool_(part)
            result = part if result is None else result & part
            left, left_node = right, right_node
        return result

    def logic(self, node: ast.BoolOp):
        values = [_boolean(self.ev(v), v) for v in node.values]
        result = values[0]
        for v in values[1:]:
            result = (result & v) if isinstance(node.op, ast.And) else (result | v)
        return result

    def arithmetic(self, node: ast.BinOp):
        left, right = self.ev(node.left), self.ev(node.right)
        if isinstance(node.op, ast.Add) and (is_text(left) or is_text(right)):
            return join([left, right], self.said(node))  # text + text: one label per row
        left, right = _numeric(left, node.left), _numeric(right, node.right)
        with np.errstate(all="ignore"):
            try:
                return BINOPS[type(node.op)](left, right)
            except (ZeroDivisionError, OverflowError):  # float64 gives inf instead; kept for safety
                return np.float64("nan")

    def call(self, node: ast.Call):
        name, args = function_of(node), node.args
        if name == "total":
            return self.total(node) if is_pattern_total(node) else self.total_of(args)
        if name in AGGREGATES:
            value = _one_row(self.ev(args[0]), args[0])
            if node.keywords:  # where=condition: only the rows where it holds
                condition = node.keywords[0].value
                value = _rows_where(value, _boolean(self.ev(condition), condition), self.said(node))
            with np.errstate(all="ignore"):
                return np.float64(AGGREGATES[name](self.column_values(node, value)))
        if name in COLUMNWISE:
            with np.errstate(all="ignore"):
                return COLUMNWISE[name](self.column_values(node, _one_row(self.ev(args[0]), args[0])))
        if name in ELEMENTWISE:
            with np.errstate(all="ignore"):
                return ELEMENTWISE[name](_numeric(self.ev(args[0]), args[0]))
        if name == "concat":
            return join([self.ev(arg) for arg in args], self.said(node))
        return self.text_call(node)

    def text_call(self, node: ast.Call):
        """left, right, contains and split: per row, on a column of text."""
        name, args = function_of(node), node.args
        text = column_text(self.ev(args[0]), name, self.said(node))
        if name == "contains":
            needle = text_of(args[1])
            return pd.Series([t is not None and needle in t for t in text], index=text.index, dtype=bool)
        if name == "split":
            separator = text_of(args[1])
            index = _whole(self.ev(args[2]), args[2], self.said(node), "part number (0 for the first, -1 for the last)", True)
            return per_row(text, index, self.said(node), lambda t, i: part(t.split(separator), i))
        count = _whole(self.ev(args[1]), args[1], self.said(node), "number of characters", False)
        if name == "left":
            return per_row(text, count, self.said(node), lambda t, k: t[:k])
        return per_row(text, count, self.said(node), lambda t, k: t[len(t) - k:] if k < len(t) else t)

    def column_values(self, call: ast.Call, value) -> pd.Series:
        """A function's column argument as float64 with ±inf as missing (and a note when any was)."""
        name, node = function_of(call), call.args[0]
        if not isinstance(value, pd.Series):
            raise ExpressionError(f"{name}() needs a column, got a single number in '{self.said(call)}'; "
                                  f"write {USAGE[name]}")
        values = _numeric(value, node)
        infinite = int(np.isinf(values).sum())
        if infinite and self.notes is not None:
            self.notes(f"{infinite:,} value{'s' if infinite > 1 else ''} of '{shown(ast.unparse(node), 60)}' "
                       f"{'are' if infinite > 1 else 'is'} not finite and left out of {name}()")
        return _finite(values)

    def total_of(self, args: list[ast.expr]):
        """total(a, b, …): row by row, as a + b + … would be (missing where any part is)."""
        result = None
        for arg in args:
            try:
                value = self.ev(arg)
            except ExpressionError as exc:
                if arg is args[0] and isinstance(arg, ast.Name):  # total(people, Aged) for total(people, "Aged *")?
                    raise ExpressionError(f"{exc}; to add up the columns of a dataset by name, quote a pattern: "
                                          f"total({arg.id}, \"Aged *\")") from None
                raise
            value = _numeric(value, arg)
            with np.errstate(all="ignore"):
                result = value if result is None else result + value
        return result

    def total(self, node: ast.Call):
        """total(dataset, "pattern", …): the dataset's columns whose names match, added row by row."""
        dataset, patterns = name_of(node.args[0]), [text_of(arg) for arg in node.args[1:]]
        result = None
        for name in matching_columns(dataset, patterns, self.columns, self.said(node)):
            value = self.resolve(ColumnRef(dataset, name))
            if not isinstance(value, pd.Series):
                numbers = _numeric(value, node)
            else:
                numbers = to_float(value)
                bad = value[numbers.isna() & value.notna()]
                if len(bad):
                    raise ExpressionError(f"'{self.said(node)}' takes in column '{shown(name, 60)}', which is not numeric "
                                          f"(e.g. {shown(repr(bad.iloc[0]), 40)}); make the pattern narrower")
            with np.errstate(all="ignore"):
                result = numbers if result is None else result + numbers
        return result


# How each kind of node the whitelist allows (bridge/data/expressions/check.py) is evaluated.
_BY_NODE: dict[type[ast.AST], Callable[[_Evaluation, Any], object]] = {
    ast.Constant: _Evaluation.constant,
    ast.Name: _Evaluation.column,
    ast.Attribute: _Evaluation.column,
    ast.Subscript: _Evaluation.column,
    ast.UnaryOp: _Evaluation.unary,
    ast.Compare: _Evaluation.compare,
    ast.BoolOp: _Evaluation.logic,
    ast.BinOp: _Evaluation.arithmetic,
    ast.Call: _Evaluation.call,
}


def _everything(left, right, op: ast.cmpop, node: ast.AST):
    """A comparison with a parameter's "all" option: == holds for every row, != for none."""
    if not isinstance(op, (ast.Eq, ast.NotEq)):
        raise ExpressionError(f"'{shown(ast.unparse(node))}' orders a parameter whose value is 'all'; compare it with == or !=")
    other = right if isinstance(left, Everything) else left
    same = isinstance(op, ast.Eq)
    return pd.Series(same, index=other.index, dtype=bool) if isinstance(other, pd.Series) else np.bool_(same)


def _one_row(value, node: ast.AST):
    """A column that `resolve` gave as one value (a one-row table's, read beside other rows) as the
    column of one row it is, for an aggregate or a rank; anything else as it is."""
    if isinstance(value, pd.Series) or not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        return value
    if column_references(node)[0].dataset == "params":
        return value  # a parameter is one value, not a column
    return pd.Series([value])


def _rows_where(value, condition, call: str):
    """The rows of `value` where `condition` holds (an aggregate's where=); a single number stays
    as it is, for the aggregate to refuse."""
    if not isinstance(value, pd.Series):
        return value
    if not isinstance(condition, pd.Series):
        return value if condition else value.iloc[:0]
    if len(condition) != len(value):
        raise ExpressionError(f"the where= condition of '{call}' has {len(condition):,} rows but the column has "
                              f"{len(value):,}; use columns of one table (or of tables joined to it)")
    return value[condition.to_numpy(dtype=bool)]


def _whole(value, node: ast.AST, call: str, what: str, negative: bool):
    """A whole number for left/right/split, or a list of them (None where missing) for a column."""
    numbers = _numeric(value, node)
    items = numbers.tolist() if isinstance(numbers, pd.Series) else [float(numbers)]
    out: list[int | None] = []
    for x in items:
        if math.isnan(x):
            out.append(None)
        elif not math.isfinite(x) or x != int(x) or (x < 0 and not negative):
            raise ExpressionError(f"the {what} in '{call}' must be a whole number"
                                  f"{'' if negative else ' of 0 or more'}, got {x:g}")
        else:
            out.append(int(x))
    return out if isinstance(numbers, pd.Series) else out[0]


def _boolean(value, node: ast.AST):
    if isinstance(value, pd.Series) and value.dtype == bool:
        return value
    if isinstance(value, (bool, np.bool_)):
        return value
    part = shown(ast.unparse(node), 60)
    raise ExpressionError(f"'{part}' is not a condition; compare it, e.g. {part} > 0")


def to_float(values: pd.Series) -> pd.Series:
    """A Series as float64: text that is not a number becomes NaN, a number too large for a
    float becomes ±inf (never an OverflowError)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        try:
            return values.astype("float64")
        except (TypeError, ValueError, OverflowError):
            pass
    try:
        return pd.to_numeric(values, errors="coerce").astype("float64")
    except (TypeError, ValueError, OverflowError):
        return values.map(_one_float).astype("float64")


def _one_float(value) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer with hundreds of digits
        return (math.inf if value > 0 else -math.inf) if isinstance(value, int) else math.nan
    except (TypeError, ValueError):
        return math.nan


def _numeric(value, node: ast.AST):
    """Arithmetic needs numbers in float64: convert a text column, or say which column is not numeric."""
    if isinstance(value, pd.Series):
        converted = to_float(value)
        bad = value[converted.isna() & value.notna()]
        if len(bad):
            raise ExpressionError(
                f"'{shown(ast.unparse(node))}' is not numeric (e.g. {shown(repr(bad.iloc[0]), 60)}); use a column of numbers"
            )
        return converted
    if isinstance(value, str):
        raise ExpressionError(f"'{shown(ast.unparse(node))}' is text; arithmetic needs numbers")
    return np.float64(_one_float(value))


def _finite(value):
    """±inf as missing (NaN), for comparisons and aggregates."""
    if isinstance(value, pd.Series):
        return value.mask(np.isinf(value))
    return value if np.isfinite(value) else np.float64("nan")
