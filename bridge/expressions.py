"""A small, safe expression language for derived measures, filters and panel values.

Analysts write things like ``people["Aged 65 years and over"] / people.total``,
``sum(homes.households)`` or ``indicator == "Falls" and value > 0``.  We parse with
Python's `ast` and walk only a whitelist of nodes: arithmetic, comparisons, and/or/not,
column references and a few aggregate functions.  Nothing is ever
passed to `eval`, so a scene from a colleague cannot run code.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from bridge.limits import (
    MAX_CONSTANT_DIGITS,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    MAX_MEASURE_MAGNITUDE,
)

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
MAGNITUDE = f"{MAX_MEASURE_MAGNITUDE:g}".replace("e+", "e")  # as messages write it: 1e15

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
    """Parse `text`, rejecting anything outside the whitelist (or over a limit) with a readable reason."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    source = text.strip()
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression is {len(source):,} characters long; at most {MAX_EXPRESSION_CHARS:,} are allowed "
                              "(split it into derived measures under derive:)")
    brackets = _bracket_depth(source)
    if brackets > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(f"'{shown(text, 60)}' nests brackets {brackets} deep; "
                              f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed")
    try:
        with warnings.catch_warnings():  # an odd escape in quoted text is not worth a warning on the terminal
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        if "nested" in str(exc.msg):
            raise ExpressionError(f"'{shown(text, 60)}' nests brackets too deeply to read; "
                                  f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed") from None
        raise ExpressionError(f"cannot parse '{shown(text)}': {shown(str(exc.msg))}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"'{shown(text, 60)}' is nested too deeply to read; "
                              f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed") from None
    except Exception as exc:  # noqa: BLE001 - null bytes, lone surrogates: whatever the parser refuses is not an expression
        raise ExpressionError(f"cannot parse '{shown(text)}': {shown(str(exc))}") from None
    depth = _depth(tree)
    if depth > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(
            f"'{shown(text, 60)}' is nested {depth} levels deep (operators, conditions and functions inside one another; "
            f"each term of a chain such as a + b + c counts one); at most {MAX_EXPRESSION_DEPTH} are allowed: "
            "split it into derived measures under derive:")
    _check(tree, source)
    _fold(tree)
    return Expression(text, tree)


def shown(text: str, limit: int = 120) -> str:
    """`text` as quoted in a message: control characters escaped, long text cut short."""
    text = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bracket_depth(source: str) -> int:
    """How deep brackets nest outside quoted text (checked before Python's parser sees them)."""
    deepest = depth = 0
    quote = None
    escaped = False
    for ch in source:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth = max(0, depth - 1)
    return deepest


_NESTING = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call)


def _depth(tree: ast.AST) -> int:
    """How many operators, conditions and calls sit inside one another (without recursion)."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += isinstance(node, _NESTING)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest


def _constant_digits(node: ast.Constant, source: str) -> int:
    """Digits of a number as written (leading zeros and the point not counted)."""
    written = (ast.get_source_segment(source, node) or repr(node.value)).lower().replace("_", "")
    if written[:2] in ("0x", "0o", "0b"):
        return len(written[2:].lstrip("0"))
    mantissa = written.partition("e")[0].rstrip("j")
    return sum(ch.isdigit() for ch in mantissa.replace(".", "").lstrip("0"))


def _check_number(node: ast.Constant, source: str) -> None:
    written = shown(ast.get_source_segment(source, node) or repr(node.value), 40)
    digits = _constant_digits(node, source)
    if digits > MAX_CONSTANT_DIGITS:
        raise ExpressionError(f"the number {written} has {digits:,} digits; "
                              f"at most {MAX_CONSTANT_DIGITS} are allowed in an expression")
    value = node.value
    too_big = abs(value) > MAX_MEASURE_MAGNITUDE if isinstance(value, int) else not abs(value) <= MAX_MEASURE_MAGNITUDE
    if too_big:
        raise ExpressionError(f"the number {written} is larger than {MAGNITUDE} in magnitude, "
                              "more than any measure may be")


def _fold(node: ast.AST) -> float | None:
    """The value of a part made only of numbers (None when it uses columns), refusing a power
    whose result would be larger than any measure before it is computed."""
    if isinstance(node, ast.Constant):
        return float(node.value) if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        left, right = _fold(node.left), _fold(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow):
            _check_power(left, right, node)
        with np.errstate(all="ignore"):
            return float(_BINOPS[type(node.op)](np.float64(left), np.float64(right)))
    if isinstance(node, ast.Call):
        value = _fold(node.args[0])
        if value is None or node.func.id not in ELEMENTWISE:
            return None
        with np.errstate(all="ignore"):
            return float(ELEMENTWISE[node.func.id](np.float64(value)))
    for child in ast.iter_child_nodes(node):
        _fold(child)
    return None


def _check_power(base: float, exponent: float, node: ast.AST) -> None:
    size = abs(base)
    if size == 0 or size == 1 or math.isnan(size) or math.isnan(exponent):
        return
    with np.errstate(all="ignore"):
        magnitude = float(np.float64(exponent) * np.log10(np.float64(size)))  # log10 of the result's size
    if magnitude > math.log10(MAX_MEASURE_MAGNITUDE):
        about = (f"about {10 ** magnitude:.2g}" if magnitude < 300 else
                 f"about 10^{magnitude:,.0f}" if magnitude < 1e12 else "astronomically large")
        raise ExpressionError(f"'{shown(ast.unparse(node), 80)}' would be {about}, larger than {MAGNITUDE} in magnitude "
                              "(more than any measure may be); it is refused before it is computed")


def _check(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(f"operator not allowed in '{shown(text)}' (use + - * / **)")
        _check(node.left, text)
        _check(node.right, text)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise ExpressionError(f"operator not allowed in '{shown(text)}'")
        _check(node.operand, text)
    elif isinstance(node, ast.Compare):
        if not all(isinstance(op, tuple(_COMPARE)) for op in node.ops):
            raise ExpressionError(f"comparison not allowed in '{shown(text)}' (use == != < <= > >=)")
        for operand in [node.left, *node.comparators]:
            if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                continue  # text is fine to compare with: indicator == "Falls"
            _check(operand, text)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, text)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            raise ExpressionError(f"only numbers can stand alone in '{shown(text)}'; quote column names as dataset[\"name\"]")
        _check_number(node, text)
    elif isinstance(node, ast.Name):
        pass
    elif isinstance(node, ast.Attribute):
        if not isinstance(node.value, ast.Name):
            raise ExpressionError(f"'{shown(ast.unparse(node))}' is not a column: write dataset.column")
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name) or not (
            isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        ):
            raise ExpressionError(f"'{shown(ast.unparse(node))}' is not a column: write dataset[\"column name\"]")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = shown(ast.unparse(node.func))
            raise ExpressionError(f"unknown function '{name}' in '{shown(text)}'; functions: {', '.join(FUNCTIONS)}")
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{node.func.id}() takes exactly one argument in '{shown(text)}'")
        _check(node.args[0], text)
    else:
        raise ExpressionError(f"'{shown(ast.unparse(node))}' is not allowed in an expression")


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


def evaluate(expr: Expression, resolve: Callable[[ColumnRef], pd.Series],
             notes: Callable[[str], None] | None = None) -> pd.Series | float:
    """Evaluate `expr`; `resolve` turns each column reference into a numeric-or-text Series.

    Arithmetic is done in float64, so a division by zero or an overflow gives ±inf (which
    panels treat as missing and report), never an exception; aggregates and comparisons
    treat ±inf as missing, like NaN (`notes`, if given, is told when an aggregate leaves
    such values out).  Anything else that goes wrong is an ExpressionError.
    """

    def ev(node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else np.float64(node.value)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return resolve(_references(node)[0])
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                value = _boolean(ev(node.operand), node.operand)
                return ~value if isinstance(value, pd.Series) else np.bool_(not value)
            value = _numeric(ev(node.operand), node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Compare):
            result, left, left_node = None, ev(node.left), node.left
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
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
                    part = _COMPARE[type(op)](left, right)
                except TypeError:
                    raise ExpressionError(f"'{shown(ast.unparse(node))}' compares values that cannot be ordered "
                                          "(text with numbers?); use == or != with text") from None
                if isinstance(part, (bool, np.bool_)):
                    part = np.bool_(part)
                result = part if result is None else result & part
                left, left_node = right, right_node
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
            with np.errstate(all="ignore"):
                try:
                    return _BINOPS[type(node.op)](left, right)
                except (ZeroDivisionError, OverflowError):  # float64 gives inf instead; kept for safety
                    return np.float64("nan")
        if isinstance(node, ast.Call):
            arg = ev(node.args[0])
            name = node.func.id
            if name in AGGREGATES:
                if not isinstance(arg, pd.Series):
                    raise ExpressionError(f"{name}() needs a column, got a single number")
                values = _numeric(arg, node.args[0])
                infinite = int(np.isinf(values).sum())
                if infinite and notes is not None:
                    notes(f"{infinite:,} value{'s' if infinite > 1 else ''} of '{shown(ast.unparse(node.args[0]), 60)}' "
                          f"{'are' if infinite > 1 else 'is'} not finite and left out of {name}()")
                with np.errstate(all="ignore"):
                    return np.float64(AGGREGATES[name](_finite(values)))
            with np.errstate(all="ignore"):
                return ELEMENTWISE[name](_numeric(arg, node.args[0]))
        raise ExpressionError(f"cannot evaluate '{shown(ast.unparse(node))}'")  # guarded by _check

    try:
        return ev(expr.tree)
    except ExpressionError:
        raise
    except (TypeError, ValueError, ArithmeticError, IndexError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot evaluate '{shown(expr.text)}': {shown(str(exc) or type(exc).__name__)}") from None


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
