"""The expression language's vocabulary: its functions, operators, errors and column references.

Shared by parsing (which checks an expression against it, bridge/data/expressions/check.py) and
evaluation (bridge/data/expressions/evaluate.py): adding a function starts here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from bridge.limits import MAX_MEASURE_MAGNITUDE

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
FUNCTIONS = sorted([*AGGREGATES, *ELEMENTWISE, *COLUMNWISE, "total", *TEXT_FUNCTIONS, "concat"])

# How each function is written, for messages.
USAGE: dict[str, str] = {
    **{name: f"{name}(x) or {name}(x, where=condition)" for name in AGGREGATES},
    **{name: f"{name}(x)" for name in [*ELEMENTWISE, *COLUMNWISE]},
    "total": 'total(people["a"], people["b"], …) or total(people, "Aged *")',
    "left": "left(text, n)",
    "right": "right(text, n)",
    "contains": 'contains(text, "words")',
    "split": 'split(text, " ", i)',
    "concat": 'concat(a, " ", b, …)',
}
MAGNITUDE = f"{MAX_MEASURE_MAGNITUDE:g}".replace("e+", "e")  # as messages write it: 1e15

COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
BINOPS = {
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


# A checked tree (bridge/data/expressions/check.py) calls only plain names, names datasets only by a
# plain name and quotes patterns, needles and separators as text; these read such nodes as their types.
def function_of(call: ast.Call) -> str:
    """The name of the function a checked call calls."""
    return cast(ast.Name, call.func).id


def name_of(node: ast.AST) -> str:
    """The name a checked `ast.Name` node holds (a dataset before .column, ["column"] or a pattern)."""
    return cast(ast.Name, node).id


def text_of(node: ast.AST) -> str:
    """The quoted text a checked argument holds (a pattern, the text to look for, a separator)."""
    return cast(str, cast(ast.Constant, node).value)
