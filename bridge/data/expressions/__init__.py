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

`+` between text (or `concat(a, " ", b)`) joins it row by row, so labels can be built in the
scene: ``wards.ward24_name + " " + right(areas.lsoa21_name, 4)``.

The language's words are in `vocabulary`, the whitelist and limits in `check`, reading text in
`parse`, computing values in `evaluate` (text cut and joined in `text`), and the `{expression}`
fields of titles and labels are split out of their text in `template`; this package re-exports
what callers use, so `expressions.parse(text)` and `expressions.evaluate(expr, resolve)` name the functions.
"""

from __future__ import annotations

from bridge.data.expressions.evaluate import evaluate, to_float
from bridge.data.expressions.parse import Expression, parse
from bridge.data.expressions.vocabulary import (
    AGGREGATES,
    ALL,
    COLUMNWISE,
    ELEMENTWISE,
    FUNCTIONS,
    MAGNITUDE,
    TEXT_FUNCTIONS,
    USAGE,
    ColumnRef,
    ColumnsOf,
    Everything,
    ExpressionError,
)

__all__ = [
    "AGGREGATES", "ALL", "COLUMNWISE", "ELEMENTWISE", "FUNCTIONS", "MAGNITUDE", "TEXT_FUNCTIONS", "USAGE",
    "ColumnRef", "ColumnsOf", "Everything", "Expression", "ExpressionError", "evaluate", "parse", "to_float",
]
