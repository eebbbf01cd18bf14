"""Text in expressions: columns read as text, cut row by row, and pieces joined into labels.

`left`, `right` and `split` cut a column of text row by row; `+` between text, and
`concat(a, " ", b)`, join pieces into one label per row, as in
`wards.ward24_name + " " + right(areas.lsoa21_name, 4)`.  Numbers joined to text are written
as they read (1801.0 as 1801); a missing piece makes the row's text missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from bridge.data.expressions.vocabulary import USAGE, Everything, ExpressionError
from bridge.limits import MAX_MEASURE_MAGNITUDE


def column_text(value, name: str, call: str) -> pd.Series:
    """A text function's first argument, as a Series of stripped text (None where missing)."""
    if not isinstance(value, pd.Series):
        what = ("quoted text" if isinstance(value, str) else "a single true/false" if isinstance(value, (bool, np.bool_))
                else "a single number")
        raise ExpressionError(f"{name}() needs a column of text, got {what} in '{call}': write {USAGE[name]}")
    return pd.Series([as_text(v) for v in value], index=value.index, dtype=object)


def as_text(value) -> str | None:
    """One value as text: stripped, a whole number without its ".0", None where missing."""
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


def per_row(text: pd.Series, arg, call: str, cut: Callable[[str, int], str | None]) -> pd.Series:
    """`cut(text, number)` row by row; missing text, a missing number or no such part is missing."""
    if isinstance(arg, list):
        if len(arg) != len(text):
            raise ExpressionError(f"'{call}' has {len(text):,} rows of text but {len(arg):,} numbers; "
                                  "use columns of one table")
        pairs: Iterable[tuple[Any, Any]] = zip(text, arg)
    else:
        pairs = ((t, arg) for t in text)
    out = []
    for t, k in pairs:
        piece = None if t is None or k is None else cut(t, k)
        out.append(np.nan if piece is None else piece)
    return pd.Series(out, index=text.index, dtype=object)


def part(parts: list[str], index: int) -> str | None:
    return parts[index] if -len(parts) <= index < len(parts) else None


def is_text(value) -> bool:
    """Whether `+` should join `value` as text: quoted text (or a parameter's text), or a column
    whose values are all text that is not a number (a column of numbers with a stray "n/a" is
    still numbers, and its arithmetic says which value is not one)."""
    if isinstance(value, str):
        return not isinstance(value, Everything)  # 'all' is no text: params.ward + 1 says so as arithmetic
    if not isinstance(value, pd.Series) or pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        return False
    present = [v for v in value if as_text(v) is not None]
    return bool(present) and all(isinstance(v, str) and not _number_like(v) for v in present)


def _number_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def join(values: list, call: str):
    """Pieces joined as text, row by row where any is a column (quoted text kept as written,
    a column's text stripped, numbers as they read); missing where any piece is."""
    if any(isinstance(v, Everything) for v in values):
        raise ExpressionError(f"'{call}' joins a parameter whose value is 'all' (every value), which is not text; "
                              "to show the room's word for it, write {params.NAME} in a title or label")
    columns = [v for v in values if isinstance(v, pd.Series)]
    if not columns:
        joined = _joined([v if isinstance(v, str) else as_text(v) for v in values])
        return np.float64("nan") if joined is None else joined
    rows = len(columns[0])
    for column in columns[1:]:
        if len(column) != rows:
            raise ExpressionError(f"'{call}' joins columns of {rows:,} and {len(column):,} rows; "
                                  "use columns of one table (or of tables joined to it)")
    lists = [_pieces(value) if isinstance(value, pd.Series)
             else [value if isinstance(value, str) else as_text(value)] * rows for value in values]
    out = [_joined(list(pieces)) for pieces in zip(*lists)]
    result = pd.Series([np.nan if text is None else text for text in out], index=columns[0].index, dtype=object)
    result.attrs[_JOINED] = True
    return result


_JOINED = "bridge: joined text"  # marks a join's result: its spaces are the analyst's, not a column's padding


def _pieces(column: pd.Series) -> list[str | None]:
    """A column's values as text: stripped, unless the column is itself a join (a + " " + b + …)."""
    if column.attrs.get(_JOINED):
        return [v if isinstance(v, str) else None for v in column]
    return [as_text(v) for v in column]


def _joined(pieces: list[str | None]) -> str | None:
    """The pieces as one text, or None when any is missing."""
    if any(p is None for p in pieces):
        return None
    return "".join(p for p in pieces if p is not None)
