"""DAX values and BLANK: operators on one value or on a numpy array of values (one per lane).

A scalar BLANK is None; in arrays it is NaN (numbers), NaT (dates) or None (text).  The operator
rules are DAX's documented ones (Microsoft's DAX reference, "Handling blanks" and the operator
pages; dax.guide's operator pages): BLANK counts as 0 in + and -, propagates through * and /
(BLANK/BLANK is BLANK, x/BLANK is ±infinity, 0/BLANK is NaN), is "" in &, and equals 0, "" and
FALSE in every comparison but the strict `==`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def is_arr(v: Any) -> bool:
    return isinstance(v, np.ndarray)


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return v is pd.NaT or (isinstance(v, np.datetime64) and np.isnat(v))


def scalar(v: Any) -> Any:
    """A numpy element as the plain Python value the evaluator uses (dates as pandas Timestamps)."""
    if is_blank(v):
        return None
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (np.floating, np.integer)):
        return float(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, dt.datetime | dt.date) and not isinstance(v, pd.Timestamp):
        return pd.Timestamp(v)
    return v


def element(v: Any, i: int) -> Any:
    return scalar(v[i]) if is_arr(v) else v


def pack(items: Sequence[Any]) -> np.ndarray:
    """Values per lane as one array: floats when all are numbers or BLANK, else objects."""
    items = [scalar(x) for x in items]
    if all(x is None or (isinstance(x, float) and not isinstance(x, bool)) for x in items):
        return np.array([np.nan if x is None else x for x in items], dtype=float)
    out = np.empty(len(items), dtype=Any)
    out[:] = items
    return out


def lift(fn: Callable[..., Any], args: Sequence[Any], n: int | None) -> Any:
    """`fn` of scalars applied lane by lane when any argument is an array."""
    if n is None or not any(is_arr(a) for a in args):
        return fn(*args)
    return pack([fn(*(element(a, i) for a in args)) for i in range(n)])


def numeric(v: Any, n: int | None = None) -> Any:
    """v as a number or float array (BLANK → None / NaN, TRUE → 1)."""
    if is_arr(v):
        a: np.ndarray = v
        if a.dtype == bool or a.dtype.kind in "if":
            return a.astype(float)
        return pack([numeric(x) for x in a])
    if v is None or isinstance(v, float):
        return v
    if isinstance(v, bool | int):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return (v - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError as exc:
            raise ValueError(f"cannot convert the text {v[:40]!r} to a number") from exc
    return v


def arith(op: str, a: Any, b: Any, n: int | None) -> Any:
    """+ - * / ^ with DAX's BLANK rules, vectorised over float arrays."""
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp) or _dates(a) or _dates(b):
        return lift(lambda x, y: _date_arith(op, x, y), (a, b), n)
    x, y = numeric(a), numeric(b)
    if not is_arr(x) and not is_arr(y):
        return _scalar_arith(op, x, y)
    xa = np.full(n or 1, np.nan) if x is None else np.asarray(x, dtype=float)
    ya = np.full(n or 1, np.nan) if y is None else np.asarray(y, dtype=float)
    xb, yb = np.isnan(xa), np.isnan(ya)
    with np.errstate(all="ignore"):
        if op in "+-":
            out = np.nan_to_num(xa) + (1 if op == "+" else -1) * np.nan_to_num(ya)
            return np.where(xb & yb, np.nan, out)
        if op == "*":
            return xa * ya
        if op == "^":
            return np.nan_to_num(xa) ** np.nan_to_num(ya)
        out = np.nan_to_num(xa) / np.nan_to_num(ya)
        return np.where(xb, np.nan, out)


def _dates(v: Any) -> bool:
    return is_arr(v) and v.dtype.kind == "M"


def _scalar_arith(op: str, x: float | None, y: float | None) -> float | None:
    if x is None and y is None:
        return None
    if op in "+-":
        return (x or 0.0) + (y or 0.0) if op == "+" else (x or 0.0) - (y or 0.0)
    if op == "*":
        return None if x is None or y is None else x * y
    if op == "^":
        return float((x or 0.0) ** (y or 0.0))
    if x is None:
        return None
    if not y:
        return math.nan if x == 0 else math.copysign(math.inf, x)
    return x / y


def _date_arith(op: str, x: Any, y: Any) -> Any:
    if x is None and y is None:
        return None
    if op == "-" and isinstance(x, pd.Timestamp) and isinstance(y, pd.Timestamp):
        return (x - y) / pd.Timedelta(days=1)
    if isinstance(x, pd.Timestamp) and op in "+-":
        return x + (1 if op == "+" else -1) * pd.Timedelta(days=numeric(y) or 0.0)
    if isinstance(y, pd.Timestamp) and op == "+":
        return y + pd.Timedelta(days=numeric(x) or 0.0)
    return _scalar_arith(op, numeric(x), numeric(y))


def compare(op: str, a: Any, b: Any, n: int | None) -> Any:
    """= == <> < > <= >=, BLANK equal to 0, "" and FALSE except under ==."""
    if (is_arr(a) and a.dtype.kind == "f" or isinstance(a, float | None)) and (
        is_arr(b) and b.dtype.kind == "f" or isinstance(b, float | None)
    ) and (is_arr(a) or is_arr(b)) and op != "==":
        xa = np.nan_to_num(np.asarray(0.0 if a is None else a, dtype=float))
        ya = np.nan_to_num(np.asarray(0.0 if b is None else b, dtype=float))
        return _OPS[op](xa, ya)
    return lift(lambda x, y: _compare1(op, x, y), (a, b), n)


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda x, y: x == y, "<>": lambda x, y: x != y, "<": lambda x, y: x < y,
    ">": lambda x, y: x > y, "<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y,
}


def _compare1(op: str, x: Any, y: Any) -> bool:
    if op == "==":
        return (x is None and y is None) or (x is not None and y is not None and _compare1("=", x, y))
    if x is None and y is None:
        return bool(_OPS[op](0, 0))
    x, y = _blank_like(x, y), _blank_like(y, x)
    if isinstance(x, str) and isinstance(y, str):
        x, y = x.lower(), y.lower()  # DAX compares text without regard to case
    elif isinstance(x, str) != isinstance(y, str):
        x, y = text(x), text(y)
    elif isinstance(x, pd.Timestamp) != isinstance(y, pd.Timestamp):
        x, y = numeric(x), numeric(y)
    return bool(_OPS[op](x, y))


def _blank_like(v: Any, other: Any) -> Any:
    if v is not None:
        return v
    if isinstance(other, str):
        return ""
    if isinstance(other, bool):
        return False
    if isinstance(other, pd.Timestamp):
        return pd.Timestamp("1899-12-30")
    return 0.0


def text(v: Any) -> str:
    """A value as DAX writes it in `&`: whole numbers without a point, BLANK as ""."""
    v = scalar(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.15g}"
    if isinstance(v, pd.Timestamp):
        day = f"{v.month}/{v.day}/{v.year}"
        return day if v == v.normalize() else f"{day} {v.strftime('%I:%M:%S %p').lstrip('0')}"
    return str(v)


def truth(v: Any, n: int | None = None) -> Any:
    """A condition's truth: BLANK is FALSE, numbers are true when non-zero."""
    if is_arr(v):
        a: np.ndarray = v
        if a.dtype == bool:
            return a
        if a.dtype.kind == "f":
            return np.nan_to_num(a) != 0
        return np.array([bool(truth(scalar(x))) for x in a], dtype=bool)
    if v is None:
        return False
    if isinstance(v, str):
        if v.upper() in ("TRUE", "FALSE"):
            return v.upper() == "TRUE"
        raise ValueError(f"cannot use the text {v[:40]!r} as TRUE/FALSE")
    return bool(v)
