"""A small, safe expression language for derived measures, filters and panel values.

Analysts write things like ``people["Aged 65 years and over"] / people.total``,
``sum(homes.households)`` or ``indicator == "Falls" and value > 0``.  We parse with
Python's `ast` and walk only a whitelist of nodes: arithmetic, comparisons, and/or/not,
column references and a few aggregate functions.  Nothing is ever
passed to `eval`, so a scene from a colleague cannot run code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

AGGREGATES: dict[str, Callable[[pd.Series], float]] = {
    "sum": lambda s: float(s.sum()),
    "mean": lambda s: float(s.mean()),
    "median": lambda s: float(s.median()),
    "min": lambda s: float(s.min()),
    "max": lambda s: float(s.max()),
    "count": lambda s: float(s.count()),
    "first": lambda s: float(s.dropna().iloc[0]) if s.notna().any() else float("nan"),
    "last": lambda s: float(s.dropna().iloc[-1]) if s.notna().any() else float("nan"),
}
ELEMENTWISE: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "round": np.round,
}
FUNCTIONS = sorted([*AGGREGATES, *ELEMENTWISE])

_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""


@dataclass(frozen=True)
class ColumnRef:
    """A reference to a column: `dataset` is None for a bare name (derived measure or column)."""

    dataset: str | None
    column: str


@dataclass(frozen=True)
class Expression:
    """A parsed expression: keep the text for messages and the tree for evaluation."""

    text: str
    tree: ast.AST

    def references(self) -> list[ColumnRef]:
        return _references(self.tree)


def parse(text: str) -> Expression:
    """Parse `text`, rejecting anything outside the whitelist with a readable reason."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse '{text}': {exc.msg}") from None
    _check(tree, text)
    return Expression(text, tree)


def _check(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(f"operator not allowed in '{text}' (use + - * / **)")
        _check(node.left, text)
        _check(node.right, text)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise ExpressionError(f"operator not allowed in '{text}'")
        _check(node.operand, text)
    elif isinstance(node, ast.Compare):
        if not all(isinstance(op, tuple(_COMPARE)) for op in node.ops):
            raise ExpressionError(f"comparison not allowed in '{text}' (use == != < <= > >=)")
        for operand in [node.left, *node.comparators]:
            if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                continue  # text is fine to compare with: indicator == "Falls"
            _check(operand, text)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, text)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            raise ExpressionError(f"only numbers can stand alone in '{text}'; quote column names as dataset[\"name\"]")
    elif isinstance(node, ast.Name):
        pass
    elif isinstance(node, ast.Attribute):
        if not isinstance(node.value, ast.Name):
            raise ExpressionError(f"'{ast.unparse(node)}' is not a column: write dataset.column")
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name) or not (
            isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        ):
            raise ExpressionError(f"'{ast.unparse(node)}' is not a column: write dataset[\"column name\"]")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = ast.unparse(node.func)
            raise ExpressionError(f"unknown function '{name}' in '{text}'; functions: {', '.join(FUNCTIONS)}")
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{node.func.id}() takes exactly one argument in '{text}'")
        _check(node.args[0], text)
    else:
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in an expression")


def _references(node: ast.AST) -> list[ColumnRef]:
    if isinstance(node, ast.Name):
        return [ColumnRef(None, node.id)]
    if isinstance(node, ast.Attribute):
        return [ColumnRef(node.value.id, node.attr)]
    if isinstance(node, ast.Subscript):
        return [ColumnRef(node.value.id, node.slice.value)]
    if isinstance(node, ast.Call):
        return _references(node.args[0])
    refs: list[ColumnRef] = []
    for child in ast.iter_child_nodes(node):
        refs.extend(_references(child))
    return refs


def evaluate(expr: Expression, resolve: Callable[[ColumnRef], pd.Series]) -> pd.Series | float:
    """Evaluate `expr`; `resolve` turns each column reference into a numeric-or-text Series."""

    def ev(node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return resolve(_references(node)[0])
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~_boolean(ev(node.operand), node.operand)
            value = _numeric(ev(node.operand), node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Compare):
            result, left = None, ev(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
                if not (isinstance(left, str) or isinstance(right, str)):
                    left, right = _numeric(left, node.left), _numeric(right, right_node)
                elif isinstance(left, pd.Series) and isinstance(right, str):
                    left = left.astype(str).str.strip()
                elif isinstance(right, pd.Series) and isinstance(left, str):
                    right = right.astype(str).str.strip()
                part = _COMPARE[type(op)](left, right)
                result = part if result is None else result & part
                left = right
            return result
        if isinstance(node, ast.BoolOp):
            values = [_boolean(ev(v), v) for v in node.values]
            result = values[0]
            for v in values[1:]:
                result = (result & v) if isinstance(node.op, ast.And) else (result | v)
            return result
        if isinstance(node, ast.BinOp):
            left = _numeric(ev(node.left), node.left)
            right = _numeric(ev(node.right), node.right)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                try:
                    result = _BINOPS[type(node.op)](left, right)
                except (ZeroDivisionError, OverflowError):
                    result = float("nan")  # one number divided by zero: a gap, as for columns
            if isinstance(result, pd.Series):
                result = result.replace([np.inf, -np.inf], np.nan)
            return result
        if isinstance(node, ast.Call):
            arg = ev(node.args[0])
            name = node.func.id
            if name in AGGREGATES:
                if not isinstance(arg, pd.Series):
                    raise ExpressionError(f"{name}() needs a column, got a single number")
                return AGGREGATES[name](_numeric(arg, node.args[0]))
            return ELEMENTWISE[name](_numeric(arg, node.args[0]))
        raise ExpressionError(f"cannot evaluate '{ast.unparse(node)}'")  # guarded by _check

    return ev(expr.tree)


def _boolean(value, node: ast.AST):
    if isinstance(value, pd.Series) and value.dtype == bool:
        return value
    if isinstance(value, (bool, np.bool_)):
        return value
    raise ExpressionError(f"'{ast.unparse(node)}' is not a condition; compare it, e.g. {ast.unparse(node)} > 0")


def _numeric(value, node: ast.AST):
    """Arithmetic needs numbers: convert a text column, or say which column is not numeric."""
    if isinstance(value, pd.Series) and not pd.api.types.is_numeric_dtype(value):
        converted = pd.to_numeric(value, errors="coerce")
        bad = value[converted.isna() & value.notna()]
        if len(bad):
            raise ExpressionError(
                f"'{ast.unparse(node)}' is not numeric (e.g. {bad.iloc[0]!r}); use a column of numbers"
            )
        return converted
    return value
