"""Time intelligence over the model's date table: DATESYTD, TOTALYTD, SAMEPERIODLASTYEAR, DATEADD, DATESBETWEEN…

Each takes the date column of a date table and returns a one-column table of its dates, used as
a CALCULATE filter.  The dates in context are the column's visible values; shifted dates keep
only those the date column holds.  DATEADD by months moves the last day of a month to the last
day of the target month and, as DAX does, takes the rest of the target month along (so a whole
February shifts to a whole February in a leap year too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax.engine import Engine
from bridge.data.dax.registry import Env, TableVal, dax_function, table_function
from bridge.data.dax.syntax import Call, Col, Ident
from bridge.data.dax.tables import distinct_values

_MONTHS = {"DAY": 0, "MONTH": 1, "QUARTER": 3, "YEAR": 12}


def _date_column(engine: Engine, node: object, env: Env) -> tuple[tuple[str, str], pd.DatetimeIndex, pd.DatetimeIndex]:
    """(column, all its dates, the dates in context), sorted."""
    name = engine.calling
    if isinstance(node, Col):
        key = engine.column_key(node, env)
        seen = pd.DatetimeIndex(distinct_values(engine, key, env.ctx))
    else:  # a table of dates, as SAMEPERIODLASTYEAR(DATESBETWEEN(…)) gives
        tv = engine.table(node, env)
        keys = [k for k in tv.cols if k[0] in engine.model.tables]
        if len(keys) != 1 or tv.base is not None:
            raise engine.fail(f"{name} takes the date column of a date table, as 'Date'[Date]", name)
        key = keys[0]
        seen = pd.DatetimeIndex(tv.cols[key])
        engine.calling = name
    if engine.model.tables[key[0]][key[1]].dtype.kind != "M":
        raise engine.fail(f"'{key[0]}'[{key[1]}] is not a date column", name)
    all_dates = pd.DatetimeIndex(distinct_values(engine, key, None)).dropna().sort_values()
    return key, all_dates, seen.dropna().sort_values()


def _result(key: tuple[str, str], dates: pd.DatetimeIndex) -> TableVal:
    return TableVal(None, None, {key: dates.to_numpy(dtype="datetime64[ns]")})


def _interval(engine: Engine, node: object) -> str:
    name = node.name.upper() if isinstance(node, Ident) else ""
    if name not in _MONTHS:
        raise engine.fail("the interval must be DAY, MONTH, QUARTER or YEAR", engine.calling)
    return name


def _number(engine: Engine, node: object, env: Env) -> int:
    value = engine.eval(node, env)
    return int(value or 0)


def shift(dates: pd.DatetimeIndex, n: int, interval: str) -> pd.DatetimeIndex:
    if interval == "DAY":
        return dates + pd.Timedelta(days=n)
    moved = dates + pd.DateOffset(months=n * _MONTHS[interval])
    extra = [pd.date_range(m, m + pd.offsets.MonthEnd(0)) for m in moved[dates.is_month_end]]
    return moved.union(pd.DatetimeIndex(np.concatenate([e.to_numpy() for e in extra]))) if extra else moved


@table_function("DATESYTD", "DATESQTD", "DATESMTD")
def _dates_to_date(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, seen = _date_column(engine, args[0], env)
    if not len(seen):
        return _result(key, seen)
    last = seen.max()
    if engine.calling == "DATESYTD":
        start = pd.Timestamp(year=last.year, month=1, day=1)
        if len(args) > 1 and args[1] is not None:
            end_text = str(engine.eval(args[1], env))
            month, day = (int(x) for x in end_text.replace("-", "/").split("/")[:2])
            year_end = pd.Timestamp(year=last.year, month=month, day=day)
            if last <= year_end:
                year_end = year_end - pd.DateOffset(years=1)
            start = year_end + pd.Timedelta(days=1)
    elif engine.calling == "DATESQTD":
        start = pd.Timestamp(year=last.year, month=3 * ((last.month - 1) // 3) + 1, day=1)
    else:
        start = pd.Timestamp(year=last.year, month=last.month, day=1)
    return _result(key, all_dates[(all_dates >= start) & (all_dates <= last)])


@dax_function("TOTALYTD", "TOTALQTD", "TOTALMTD")
def _total_to_date(engine: Engine, args: tuple, env: Env) -> Any:
    from bridge.data.dax.calculate import calculate

    dates = Call("DATES" + engine.calling[5:], tuple(args[1:2]) + tuple(args[3:4]))
    return calculate(engine, (args[0], dates) + tuple(a for a in args[2:3] if a is not None), env)


@table_function("SAMEPERIODLASTYEAR")
def _same_period_last_year(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, seen = _date_column(engine, args[0], env)
    return _result(key, all_dates.intersection(shift(seen, -1, "YEAR")))


@table_function("DATEADD")
def _dateadd(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, seen = _date_column(engine, args[0], env)
    moved = shift(seen, _number(engine, args[1], env), _interval(engine, args[2]))
    return _result(key, all_dates.intersection(moved))


@table_function("PARALLELPERIOD")
def _parallelperiod(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, seen = _date_column(engine, args[0], env)
    interval = _interval(engine, args[2])
    if not len(seen):
        return _result(key, seen)
    moved = shift(pd.DatetimeIndex([seen.min(), seen.max()]), _number(engine, args[1], env), interval)
    first, last = moved.min(), moved.max()
    if interval == "YEAR":
        start, end = pd.Timestamp(year=first.year, month=1, day=1), pd.Timestamp(year=last.year, month=12, day=31)
    else:
        months = 3 if interval == "QUARTER" else 1
        start = pd.Timestamp(year=first.year, month=months * ((first.month - 1) // months) + 1, day=1)
        end = pd.Timestamp(year=last.year, month=months * ((last.month - 1) // months) + 1, day=1)
        end = end + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    return _result(key, all_dates[(all_dates >= start) & (all_dates <= end)])


@table_function("PREVIOUSYEAR", "PREVIOUSMONTH", "NEXTYEAR", "NEXTMONTH")
def _previous_next(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, seen = _date_column(engine, args[0], env)
    if not len(seen):
        return _result(key, seen)
    step = -1 if engine.calling.startswith("PREVIOUS") else 1
    anchor = seen.min() if step < 0 else seen.max()
    if engine.calling.endswith("YEAR"):
        year = anchor.year + step
        start, end = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
    else:
        start = (anchor.normalize() - pd.offsets.MonthBegin(1) if anchor.day != 1 else anchor) + pd.DateOffset(months=step)
        end = start + pd.offsets.MonthEnd(0)
    return _result(key, all_dates[(all_dates >= start) & (all_dates <= end)])


@table_function("DATESBETWEEN")
def _datesbetween(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, _ = _date_column(engine, args[0], env)
    start, end = engine.eval(args[1], env), engine.eval(args[2], env)
    keep = np.ones(len(all_dates), dtype=bool)
    if start is not None:
        keep &= all_dates >= pd.Timestamp(start)
    if end is not None:
        keep &= all_dates <= pd.Timestamp(end)
    return _result(key, all_dates[keep])


@table_function("DATESINPERIOD")
def _datesinperiod(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, all_dates, _ = _date_column(engine, args[0], env)
    start = engine.eval(args[1], env)
    if start is None:
        return _result(key, all_dates[:0])
    start = pd.Timestamp(start)
    n, interval = _number(engine, args[2], env), _interval(engine, args[3])
    other = start + (pd.Timedelta(days=n) if interval == "DAY" else pd.DateOffset(months=n * _MONTHS[interval]))
    keep = (all_dates > other) & (all_dates <= start) if n < 0 else (all_dates >= start) & (all_dates < other)
    return _result(key, all_dates[keep])


@table_function("FIRSTDATE", "LASTDATE")
def _first_last(engine: Engine, args: tuple, env: Env) -> TableVal:
    key, _, seen = _date_column(engine, args[0], env)
    if not len(seen):
        return _result(key, seen)
    return _result(key, pd.DatetimeIndex([seen.min() if engine.calling == "FIRSTDATE" else seen.max()]))
