"""Checking a parsed expression: only whitelisted nodes, functions with the right arguments, limits kept.

`parse` (bridge/data/expressions/parse.py) runs these on Python's syntax tree before anything
is evaluated: how deep brackets and operators nest, how long a number is, which operators and
functions appear and with what arguments, and powers that would be larger than any measure.
"""

from __future__ import annotations

import ast
import math
from typing import cast

import numpy as np

from bridge.data.expressions.vocabulary import (
    AGGREGATES,
    BINOPS,
    COLUMNWISE,
    COMPARE,
    ELEMENTWISE,
    FUNCTIONS,
    MAGNITUDE,
    TEXT_FUNCTIONS,
    USAGE,
    ExpressionError,
    function_of,
    text_of,
)
from bridge.errors import shown
from bridge.limits import MAX_CONSTANT_DIGITS, MAX_MEASURE_MAGNITUDE

_ARGUMENTS = {**{name: 1 for name in [*AGGREGATES, *ELEMENTWISE, *COLUMNWISE]},
              "left": 2, "right": 2, "contains": 2, "split": 3}
_COUNT_WORDS = {1: "one argument", 2: "two arguments", 3: "three arguments"}


def bracket_depth(source: str) -> int:
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


def nesting_depth(tree: ast.AST) -> int:
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
    value = cast(float, node.value)  # check_tree passes only numbers here
    too_big = abs(value) > MAX_MEASURE_MAGNITUDE if isinstance(value, int) else not abs(value) <= MAX_MEASURE_MAGNITUDE
    if too_big:
        raise ExpressionError(f"the number {written} is larger than {MAGNITUDE} in magnitude, "
                              "more than any measure may be")


def fold_constants(node: ast.AST) -> float | None:
    """The value of a part made only of numbers (None when it uses columns), refusing a power
    whose result would be larger than any measure before it is computed."""
    if isinstance(node, ast.Constant):
        return float(node.value) if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = fold_constants(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        left, right = fold_constants(node.left), fold_constants(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow):
            _check_power(left, right, node)
        with np.errstate(all="ignore"):
            return float(BINOPS[type(node.op)](np.float64(left), np.float64(right)))
    if isinstance(node, ast.Call):
        values = [fold_constants(arg) for arg in node.args] + [fold_constants(kw.value) for kw in node.keywords]
        if function_of(node) not in ELEMENTWISE or len(values) != 1 or values[0] is None:
            return None
        with np.errstate(all="ignore"):
            return float(ELEMENTWISE[function_of(node)](np.float64(values[0])))
    for child in ast.iter_child_nodes(node):
        fold_constants(child)
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


def check_tree(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINOPS:
            raise ExpressionError(f"operator not allowed in '{shown(text)}' (use + - * / **)")
        for side in (node.left, node.right):
            if not _is_text(side):
                check_tree(side, text)
            elif not isinstance(node.op, ast.Add):
                raise ExpressionError(f"'{shown(ast.unparse(node), 80)}' does arithmetic with quoted text; only + joins "
                                      "text (or concat(a, \" \", b)); - * / and ** need numbers")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise ExpressionError(f"operator not allowed in '{shown(text)}'")
        check_tree(node.operand, text)
    elif isinstance(node, ast.Compare):
        if not all(isinstance(op, tuple(COMPARE)) for op in node.ops):
            raise ExpressionError(f"comparison not allowed in '{shown(text)}' (use == != < <= > >=)")
        for operand in [node.left, *node.comparators]:
            if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                continue  # text is fine to compare with: indicator == "Falls"
            check_tree(operand, text)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            check_tree(value, text)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            quoted = shown(repr(node.value), 40).replace("'", '"')
            raise ExpressionError(f"quoted text {quoted} cannot stand here in '{shown(text)}': text is joined with + or "
                                  f"concat() (e.g. wards.ward24_name + \" \" + areas.lsoa21_name) or compared with == "
                                  f"and !=; to name a column, write dataset[{quoted}]")
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            raise ExpressionError(f"'{shown(ast.unparse(node), 40)}' is not allowed in an expression: use numbers, "
                                  "quoted text, columns and functions")
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


def is_pattern_total(node: ast.Call) -> bool:
    """total(dataset, "pattern", …): a dataset's columns chosen by name."""
    return function_of(node) == "total" and any(_is_text(arg) for arg in node.args)


def _check_call(node: ast.Call, text: str) -> None:
    """Each function's arguments: how many, which may be quoted text, and where= for aggregates."""
    name, args = function_of(node), node.args
    write = f"write {USAGE[name]}"
    within = f" in '{shown(text)}'"
    for kw in node.keywords:
        if kw.arg != "where" or name not in AGGREGATES:
            given = f"{kw.arg}=" if kw.arg else shown(ast.unparse(kw), 40)
            takes = "no named argument but where=condition" if name in AGGREGATES else "no named arguments"
            raise ExpressionError(f"{name}() takes {takes}, not {given}: {write}{within}")
    if name == "concat":
        if len(args) < 2:
            raise ExpressionError(f"concat() joins two or more pieces of text, got {len(args)}: {write}{within}")
        for arg in args:
            if not _is_text(arg):
                check_tree(arg, text)
        return
    if name == "total":
        if is_pattern_total(node):
            if len(args) < 2 or not isinstance(args[0], ast.Name) or not all(_is_text(a) for a in args[1:]):
                raise ExpressionError(f"total() takes columns, or a dataset's name then quoted patterns of its column "
                                      f"names: {write}{within}")
            for arg in args[1:]:
                if not text_of(arg).strip():
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
        if name == "split" and text_of(args[1]) == "":
            raise ExpressionError(f"split() needs a separator, e.g. \" \": {write}{within}")
        checked.pop(1)
    for arg in checked:
        check_tree(arg, text)
    for kw in node.keywords:
        check_tree(kw.value, text)
