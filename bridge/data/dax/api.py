"""`evaluate_measures`: measures of a model, overall or by the values of some columns, under slicer filters.

Grouping rule (as a Power BI table visual): the rows are the combinations of the `by` columns'
values — the combinations that occur in the table where the columns share a table, every
combination where they come from different tables — among the rows the filters leave, and a
combination is kept when at least one measure is not BLANK there.  Rows are sorted by the `by`
values.  Facts whose key matches no row of the grouping table (Power BI's "(Blank)" row) are
not shown as a row of their own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import lanes
from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey, Ctx, column
from bridge.data.dax.engine import Engine
from bridge.data.dax.errors import DaxError, LaneLoop
from bridge.data.dax.registry import Env
from bridge.data.dax.support import check
from bridge.data.powerbi.model import PowerBIModel
from bridge.errors import did_you_mean
from bridge.limits import MAX_DAX_GROUPS

_COLUMN = re.compile(r"^\s*(?:'((?:[^']|'')+)'|([^'\[\]]+?))\s*\[((?:[^\]]|\]\])+)\]\s*$")


def parse_column(model: PowerBIModel, text: str) -> ColKey:
    """'Table'[Column] or Table[Column] → (table, column), or a DaxError saying what exists."""
    m = _COLUMN.match(text)
    if not m:
        raise DaxError(f"{text!r} is not a column reference; write it as 'Table'[Column]", None, text, model.source)
    table = (m.group(1) or "").replace("''", "'") or (m.group(2) or "").strip()
    col = m.group(3).replace("]]", "]")
    if table not in model.tables:
        raise DaxError(f"{text}: the model has no table '{table}'{did_you_mean(table, model.tables)}", None, table,
                       model.source)
    if col not in model.tables[table].columns:
        raise DaxError(f"{text}: the table '{table}' has no column [{col}]{did_you_mean(col, model.tables[table].columns)}",
                       None, text, model.source)
    return table, col


def evaluate_measures(model: PowerBIModel, measures: list[str], by: list[str] | None = None,
                      filters: dict[str, list] | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """One row per combination of `by` values (see the module's grouping rule), one column per measure; BLANK is NaN."""
    by, filters = list(by or []), dict(filters or {})
    for name in measures:
        check(model, name)
    engine = Engine(model, today)
    ctx = Ctx()
    for text, allowed in filters.items():
        key = parse_column(model, text)
        ctx = ctx.with_column(key, _typed(model, key, allowed))
    keys = [parse_column(model, text) for text in by]
    groups = _groups(engine, keys, ctx)
    env = Env(ctx, len(groups[0]) if keys else None, {}, {k: groups[i].to_numpy() for i, k in enumerate(keys)}
              if keys else {})
    out = pd.DataFrame({text: groups[i] for i, text in enumerate(by)}) if keys else pd.DataFrame(index=[0])
    for name in measures:
        engine.measure = name
        engine.work = 0
        try:
            result = _evaluate(engine, name, replace_home(env, model.measures[name].table))
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, RecursionError) as exc:
            raise engine.fail(f"could not be evaluated ({type(exc).__name__}: {str(exc)[:120]}); "
                              "Bridge evaluates a subset of DAX", "evaluation") from exc
        out[name] = _column_of(result, len(out))
    if keys:
        blank = out[measures].isna().all(axis=1) if measures else pd.Series(False, index=out.index)
        out = out[~blank].reset_index(drop=True)
    return out


def _evaluate(engine: Engine, name: str, env: Env) -> Any:
    """One measure for every group at once, or group by group where a step cannot be done for all."""
    try:
        return engine.eval(engine.parsed(name), env)
    except LaneLoop:
        return lanes.per_lane(engine, env, lambda e: engine.eval(engine.parsed(name), e))


def replace_home(env: Env, home: str) -> Env:
    return Env(env.ctx, env.n, env.row, env.lanes, env.vars, home, env.stack)


def _typed(model: PowerBIModel, key: ColKey, allowed: list) -> np.ndarray:
    """Slicer values in the column's own type (dates as dates, numbers as floats, text as text: 2014 matches "2014")."""
    kind = model.tables[key[0]][key[1]].dtype.kind
    if kind == "M":
        return pd.DatetimeIndex(pd.to_datetime(allowed)).to_numpy()
    if kind in "iuf":
        return np.array([float(x) for x in allowed], dtype=float)
    if kind == "b":
        return np.array([str(x).lower() in ("true", "1") for x in allowed], dtype=bool)
    return np.array([x if x is None else str(x) for x in allowed], dtype=object)


def _groups(engine: Engine, keys: list[ColKey], ctx: Ctx) -> list[pd.Series]:
    """The `by` combinations: within one table those that occur, across tables every pairing."""
    if not keys:
        return []
    parts: list[pd.DataFrame] = []
    for table in dict.fromkeys(k[0] for k in keys):
        cols = [k for k in keys if k[0] == table]
        frame = engine.model.tables[table]
        mask = engine.index.visible(table, ctx)
        frame = (frame if mask is None else frame[mask])[[k[1] for k in cols]].drop_duplicates().dropna()
        parts.append(pd.DataFrame({k: column(frame, k[1]) for k in cols}))
    total = int(np.prod([len(p) for p in parts]))
    if total > MAX_DAX_GROUPS:
        raise DaxError(f"grouping by {', '.join(map(str, keys))} gives {total:,} combinations, over MAX_DAX_GROUPS "
                       f"({MAX_DAX_GROUPS:,}); group by fewer or coarser columns", None, "by", engine.model.source)
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.merge(part, how="cross")
    combined = combined.sort_values(list(combined.columns), kind="stable").reset_index(drop=True)
    return [combined[k] for k in keys]


def _column_of(result: Any, n: int) -> pd.Series:
    if V.is_arr(result):
        values = [V.scalar(x) for x in result]
    else:
        values = [V.scalar(result)] * n
    if all(v is None or isinstance(v, float) for v in values):
        return pd.Series([np.nan if v is None else v for v in values], dtype=float)
    return pd.Series([np.nan if v is None else v for v in values], dtype=object)


__all__ = ["evaluate_measures", "parse_column"]
