"""A small, safe expression language for derived measures, filters and panel values.

Analysts write things like ``people["Aged 65 years and over"] / people.total``,
``sum(homes.households, where=homes.tenure == "Owned")``, ``rank(older_share)``,
``total(people, "Aged *")`` or ``split(areas.lsoa21_name, " ", 0)``.  We parse with
Python's `ast` and walk only a whitelist of nodes: arithmetic, comparisons, and/or/not,
column references and the functions below (each with a fixed number of arguments; the only
named argument is an aggregate's ``where=``).  Nothing is ever passed to `eval`, so a scene
from a colleague cannot run code.

Column references (`ColumnRef`) are turned into Series by the caller's `resolve` callback.
`total(dataset, "pattern")` also needs the names of a dataset's columns: the caller passes
an optional `columns(dataset) -> column names` callback to `evaluate` (and to
`Expression.references` to expand patterns); without it a pattern is a clear ExpressionError.
"""

from __future__ import annotations

import ast
import fnmatch
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bridge.errors import shown
from bridge.limits import (
    MAX_CONSTANT_DIGITS,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    MAX_MEASURE_MAGNITUDE,
)

# One number from a column (ignoring missing values); each also takes where=condition.
AGGREGATES: dict[str, Callable[[pd.Series], float]] = {
    "sum": lambda s: float(s.sum()),
    "mean": lambda s: float(s.mean()),
    "median": lambda s: float(s.median()),
    "min": lambda s: float(s.min()),
    "max": lambda s: float(s.max()),
    "count": lambda s: float(s.count()),
    "std": lambda s: float(s.std(ddof=1)),  # sample standard deviation
    "first": lambda s: float(s.dropna().iloc[0]) if s.notna().any() else float("nan"),
    "last": lambda s: float(s.dropna().iloc[-1]) if s.notna().any() else float("nan"),
}
# A value per row from a number or a column.
ELEMENTWISE: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "round": np.round,
}
# A value per row that depends on the whole column (missing stays missing).
COLUMNWISE: dict[str, Callable[[pd.Series], pd.Series]] = {
    "rank": lambda s: s.rank(ascending=False, method="average"),  # 1 = largest; ties share the average rank
    "percentile": lambda s: s.rank(ascending=True, method="max", pct=True) * 100,  # % of rows at or below
    "zscore": lambda s: (s - s.mean()) / s.std(ddof=1),
}
TEXT_FUNCTIONS = ("left", "right", "contains", "split")
FUNCTIONS = sorted([*AGGREGATES, *ELEMENTWISE, *COLUMNWISE, "total", *TEXT_FUNCTIONS])

# How each function is written, for messages.
USAGE: dict[str, str] = {
    **{name: f"{name}(x) or {name}(x, where=condition)" for name in AGGREGATES},
    **{name: f"{name}(x)" for name in [*ELEMENTWISE, *COLUMNWISE]},
    "total": 'total(people["a"], people["b"], …) or total(people, "Aged *")',
    "left": "left(text, n)",
    "right": "right(text, n)",
    "contains": 'contains(text, "words")',
    "split": 'split(text, " ", i)',
}
_ARGUMENTS = {**{name: 1 for name in [*AGGREGATES, *ELEMENTWISE, *COLUMNWISE]},
              "left": 2, "right": 2, "contains": 2, "split": 3}
_COUNT_WORDS = {1: "one argument", 2: "two arguments", 3: "three arguments"}
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


class Everything(str):
    """The value of a parameter's "all" option (bridge/scene/params.py): equal to every value it is
    compared with, so `wards.name == params.ward` keeps every row when the room asks for all."""


ALL = Everything("all")


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""


@dataclass(frozen=True)
class ColumnRef:
    """A reference to a column: `dataset` is None for a bare name (derived measure or column).

    With `pattern` true, `column` is an fnmatch-style pattern of a dataset's column names, as
    in total(people, "Aged *"); it is never passed to `resolve` (its matches are)."""

    dataset: str | None
    column: str
    pattern: bool = False


ColumnsOf = Callable[[str], Iterable[str]]  # a dataset's name -> the names of its columns, in order


@dataclass(frozen=True)
class Expression:
    """A parsed expression: keep the text for messages and the tree for evaluation."""

    text: str
    tree: ast.AST

    def references(self, columns: ColumnsOf | None = None, conditions: bool = True) -> list[ColumnRef]:
        """The columns this expression uses, in order.  A pattern (total(people, "Aged *")) is one
        ColumnRef with pattern=True, or, given `columns`, the ColumnRefs of the columns it matches
        (an ExpressionError when it matches none).  With `conditions` false, columns used only
        to pick rows (an aggregate's where=) are left out."""
        refs = _references(self.tree, conditions)
        if columns is None:
            return refs
        out: list[ColumnRef] = []
        for ref in refs:
            if ref.pattern:
                out.extend(ColumnRef(ref.dataset, name) for name in _matching(ref.dataset, [ref.column], columns))
            else:
                out.append(ref)
        return out


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
        values = [_fold(arg) for arg in node.args] + [_fold(kw.value) for kw in node.keywords]
        if node.func.id not in ELEMENTWISE or len(values) != 1 or values[0] is None:
            return None
        with np.errstate(all="ignore"):
            return float(ELEMENTWISE[node.func.id](np.float64(values[0])))
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
        _check_call(node, text)
    else:
        raise ExpressionError(f"'{shown(ast.unparse(node))}' is not allowed in an expression")


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_pattern_total(node: ast.Call) -> bool:
    """total(dataset, "pattern", …): a dataset's columns chosen by name."""
    return node.func.id == "total" and any(_is_text(arg) for arg in node.args)


def _check_call(node: ast.Call, text: str) -> None:
    """Each function's arguments: how many, which may be quoted text, and where= for aggregates."""
    name, args = node.func.id, node.args
    write = f"write {USAGE[name]}"
    within = f" in '{shown(text)}'"
    for kw in node.keywords:
        if kw.arg != "where" or name not in AGGREGATES:
            given = f"{kw.arg}=" if kw.arg else shown(ast.unparse(kw), 40)
            takes = "no named argument but where=condition" if name in AGGREGATES else "no named arguments"
            raise ExpressionError(f"{name}() takes {takes}, not {given}: {write}{within}")
    if name == "total":
        if _is_pattern_total(node):
            if len(args) < 2 or not isinstance(args[0], ast.Name) or not all(_is_text(a) for a in args[1:]):
                raise ExpressionError(f"total() takes columns, or a dataset's name then quoted patterns of its column "
                                      f"names: {write}{within}")
            for arg in args[1:]:
                if not arg.value.strip():
                    raise ExpressionError(f"total() has an empty pattern; {write}{within}")
            return
        if len(args) < 2:
            raise ExpressionError(f"total() adds up two or more columns row by row, got {len(args)}: {write}{within}")
    elif len(args) != _ARGUMENTS[name]:
        raise ExpressionError(f"{name}() takes {_COUNT_WORDS[_ARGUMENTS[name]]}, got {len(args)}: {write}{within}")
    checked = list(args)
    if name in TEXT_FUNCTIONS and _is_text(args[0]):
        raise ExpressionError(f"{name}() works on a column of text, not on quoted text: {write}, "
                              f"e.g. {name}(areas.lsoa21_name{USAGE[name][len(name) + 5:]}{within}")
    if name in ("contains", "split"):
        if not _is_text(args[1]):
            what = "the text to look for" if name == "contains" else "the separator"
            raise ExpressionError(f"{name}()'s second argument is {what}, in quotes: {write}{within}")
        if name == "split" and args[1].value == "":
            raise ExpressionError(f"split() needs a separator, e.g. \" \": {write}{within}")
        checked.pop(1)
    for arg in checked:
        _check(arg, text)
    for kw in node.keywords:
        _check(kw.value, text)


def _references(node: ast.AST, conditions: bool = True) -> list[ColumnRef]:
    if isinstance(node, ast.Name):
        return [ColumnRef(None, node.id)]
    if isinstance(node, ast.Attribute):
        return [ColumnRef(node.value.id, node.attr)]
    if isinstance(node, ast.Subscript):
        return [ColumnRef(node.value.id, node.slice.value)]
    if isinstance(node, ast.Call):
        if _is_pattern_total(node):
            return [ColumnRef(node.args[0].id, arg.value, pattern=True) for arg in node.args[1:]]
        parts = [*node.args, *(kw.value for kw in node.keywords if conditions)]
        return [ref for part in parts for ref in _references(part, conditions)]
    refs: list[ColumnRef] = []
    for child in ast.iter_child_nodes(node):
        refs.extend(_references(child, conditions))
    return refs


def _listing(names: list[str], limit: int = 40) -> str:
    shown_names = ", ".join(f"'{shown(n, 60)}'" for n in names[:limit])
    return shown_names + (f", … ({len(names) - limit:,} more)" if len(names) > limit else "")


def _matching(dataset: str, patterns: list[str], columns: ColumnsOf | None, written: str | None = None) -> list:
    """The columns of `dataset` whose names match any of `patterns` (fnmatch-style, case
    sensitive), in the dataset's order; each pattern must match at least one."""
    written = written or shown(f"total({dataset}, {', '.join(chr(34) + p + chr(34) for p in patterns)})", 80)
    if columns is None:
        raise ExpressionError(f"column patterns such as '{written}' are not available here; "
                              f"name the columns instead: total({dataset}[\"a\"], {dataset}[\"b\"])")
    try:
        names = list(columns(dataset))
    except KeyError:
        raise ExpressionError(f"no dataset '{shown(dataset, 60)}' in '{written}'") from None
    chosen: set = set()
    for pattern in patterns:
        matched = [name for name in names if fnmatch.fnmatchcase(str(name), pattern)]
        if not matched:
            raise ExpressionError(f"no column of '{shown(dataset, 60)}' matches \"{shown(pattern, 60)}\" in '{written}' "
                                  f"(* stands for any text, ? for one character; case matters); "
                                  f"its columns: {_listing([str(n) for n in names])}")
        chosen.update(matched)
    return [name for name in names if name in chosen]


def _everything(left, right, op: ast.cmpop, node: ast.AST):
    """A comparison with a parameter's "all" option: == holds for every row, != for none."""
    if not isinstance(op, (ast.Eq, ast.NotEq)):
        raise ExpressionError(f"'{shown(ast.unparse(node))}' orders a parameter whose value is 'all'; compare it with == or !=")
    other = right if isinstance(left, Everything) else left
    same = isinstance(op, ast.Eq)
    return pd.Series(same, index=other.index, dtype=bool) if isinstance(other, pd.Series) else np.bool_(same)


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

    def said(node: ast.AST, limit: int = 80) -> str:
        """A part of the expression as the analyst wrote it, for messages."""
        return shown(ast.get_source_segment(source, node) or ast.unparse(node), limit)

    def column_values(call: ast.Call, value) -> pd.Series:
        """A function's column argument as float64 with ±inf as missing (and a note when any was)."""
        name, node = call.func.id, call.args[0]
        if not isinstance(value, pd.Series):
            raise ExpressionError(f"{name}() needs a column, got a single number in '{said(call)}'; "
                                  f"write {USAGE[name]}")
        values = _numeric(value, node)
        infinite = int(np.isinf(values).sum())
        if infinite and notes is not None:
            notes(f"{infinite:,} value{'s' if infinite > 1 else ''} of '{shown(ast.unparse(node), 60)}' "
                  f"{'are' if infinite > 1 else 'is'} not finite and left out of {name}()")
        return _finite(values)

    def call(node: ast.Call):
        name, args = node.func.id, node.args
        if name == "total":
            return total(node) if _is_pattern_total(node) else total_of(args)
        if name in AGGREGATES:
            value = ev(args[0])
            if node.keywords:  # where=condition: only the rows where it holds
                condition = node.keywords[0].value
                value = _rows_where(value, _boolean(ev(condition), condition), said(node))
            with np.errstate(all="ignore"):
                return np.float64(AGGREGATES[name](column_values(node, value)))
        if name in COLUMNWISE:
            with np.errstate(all="ignore"):
                return COLUMNWISE[name](column_values(node, ev(args[0])))
        if name in ELEMENTWISE:
            with np.errstate(all="ignore"):
                return ELEMENTWISE[name](_numeric(ev(args[0]), args[0]))
        text = _text(ev(args[0]), name, said(node))
        if name == "contains":
            needle = args[1].value
            return pd.Series([t is not None and needle in t for t in text], index=text.index, dtype=bool)
        if name == "split":
            separator = args[1].value
            part = _whole(ev(args[2]), args[2], said(node), "part number (0 for the first, -1 for the last)", True)
            return _per_row(text, part, said(node), lambda t, i: _part(t.split(separator), i))
        count = _whole(ev(args[1]), args[1], said(node), "number of characters", False)
        if name == "left":
            return _per_row(text, count, said(node), lambda t, k: t[:k])
        return _per_row(text, count, said(node), lambda t, k: t[len(t) - k:] if k < len(t) else t)

    def total_of(args: list[ast.AST]):
        """total(a, b, …): row by row, as a + b + … would be (missing where any part is)."""
        result = None
        for arg in args:
            try:
                value = ev(arg)
            except ExpressionError as exc:
                if arg is args[0] and isinstance(arg, ast.Name):  # total(people, Aged) for total(people, "Aged *")?
                    raise ExpressionError(f"{exc}; to add up the columns of a dataset by name, quote a pattern: "
                                          f"total({arg.id}, \"Aged *\")") from None
                raise
            value = _numeric(value, arg)
            with np.errstate(all="ignore"):
                result = value if result is None else result + value
        return result

    def total(node: ast.Call):
        """total(dataset, "pattern", …): the dataset's columns whose names match, added row by row."""
        dataset, patterns = node.args[0].id, [arg.value for arg in node.args[1:]]
        result = None
        for name in _matching(dataset, patterns, columns, said(node)):
            value = resolve(ColumnRef(dataset, name))
            if not isinstance(value, pd.Series):
                numbers = _numeric(value, node)
            else:
                numbers = to_float(value)
                bad = value[numbers.isna() & value.notna()]
                if len(bad):
                    raise ExpressionError(f"'{said(node)}' takes in column '{shown(name, 60)}', which is not numeric "
                                          f"(e.g. {shown(repr(bad.iloc[0]), 40)}); make the pattern narrower")
            with np.errstate(all="ignore"):
                result = numbers if result is None else result + numbers
        return result

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
            return call(node)
        raise ExpressionError(f"cannot evaluate '{shown(ast.unparse(node))}'")  # guarded by _check

    try:
        return ev(expr.tree)
    except ExpressionError:
        raise
    except (TypeError, ValueError, ArithmeticError, IndexError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot evaluate '{shown(expr.text)}': {shown(str(exc) or type(exc).__name__)}") from None


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


def _text(value, name: str, call: str) -> pd.Series:
    """A text function's first argument, as a Series of stripped text (None where missing)."""
    if not isinstance(value, pd.Series):
        what = ("quoted text" if isinstance(value, str) else "a single true/false" if isinstance(value, (bool, np.bool_))
                else "a single number")
        raise ExpressionError(f"{name}() needs a column of text, got {what} in '{call}': write {USAGE[name]}")
    return pd.Series([_as_text(v) for v in value], index=value.index, dtype=object)


def _as_text(value) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < MAX_MEASURE_MAGNITUDE:
            return str(int(value))  # 1801.0 reads as 1801
    return str(value).strip()


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


def _per_row(text: pd.Series, arg, call: str, cut: Callable[[str, int], str | None]) -> pd.Series:
    """`cut(text, number)` row by row; missing text, a missing number or no such part is missing."""
    if isinstance(arg, list):
        if len(arg) != len(text):
            raise ExpressionError(f"'{call}' has {len(text):,} rows of text but {len(arg):,} numbers; "
                                  "use columns of one table")
        pairs = zip(text, arg)
    else:
        pairs = ((t, arg) for t in text)
    out = []
    for t, k in pairs:
        part = None if t is None or k is None else cut(t, k)
        out.append(np.nan if part is None else part)
    return pd.Series(out, index=text.index, dtype=object)


def _part(parts: list[str], index: int) -> str | None:
    return parts[index] if -len(parts) <= index < len(parts) else None


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
