"""Aggregations (SUM, AVERAGE, MIN, MAX, COUNT…, DISTINCTCOUNT, COUNTROWS) and iterators (SUMX…, CONCATENATEX).

With lanes, an aggregation groups the table's visible rows by the lane columns (looked up
through many-to-one relationships) in one pandas groupby, so a measure by category costs one
pass over the fact table, not one per category.  An aggregation of no rows, or of blanks only,
is BLANK, as in DAX.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import values as V
from bridge.data.dax.engine import Engine
from bridge.data.dax.errors import LaneLoop
from bridge.data.dax.registry import Env, dax_function
from bridge.data.dax.syntax import Bin, Call, Col, Ident, Unary
from bridge.data.dax.tables import iterate

_HOW = {"SUM": "sum", "AVERAGE": "mean", "MIN": "min", "MAX": "max", "COUNT": "count", "COUNTA": "count",
        "DISTINCTCOUNT": "nunique", "DISTINCTCOUNTNOBLANK": "nunique_noblank", "COUNTBLANK": "countblank"}


def reduce(values: np.ndarray, how: str) -> Any:
    """One aggregate of an array, BLANK for nothing to aggregate."""
    if values.dtype.kind in "fiub" and how in ("sum", "mean", "min", "max", "count", "size"):
        data = values.astype(float)
        if how == "size":
            return float(len(data)) if len(data) else None
        data = data[~np.isnan(data)]
        if how == "count":
            return float(len(data)) if len(data) else None
        if not len(data):
            return None
        if how == "sum":
            return float(np.sum(data))
        if how == "mean":
            return float(np.mean(data))
        return float(np.min(data) if how == "min" else np.max(data))
    s = pd.Series(values)
    if how == "size":
        return float(len(s)) if len(s) else None
    if how == "countblank":
        return float(s.isna().sum()) if len(s) else None
    if how == "nunique":
        return float(s.nunique(dropna=False)) if len(s) else None
    if how == "nunique_noblank":
        return float(s.nunique()) if s.notna().any() else None
    s = s.dropna()
    if how == "count":
        return float(len(s)) if len(s) else None
    if not len(s):
        return None
    if how == "sum":
        return V.scalar(s.sum())
    if how == "mean":
        return float(s.astype(float).mean())
    return _extreme(s, how)


def _extreme(s: pd.Series, how: str) -> Any:
    """MIN or MAX; text ordered without regard to case, as DAX compares text."""
    if len(s) and all(isinstance(x, str) for x in s):
        return (min if how == "min" else max)(s, key=str.lower)
    return V.scalar(s.min() if how == "min" else s.max())


def grouped(engine: Engine, env: Env, table: str, values: np.ndarray | None, how: str) -> Any:
    """An aggregate over `table`'s visible rows: one value, or one per lane (an array)."""
    vis = engine.index.visible(table, env.ctx)
    n_rows = len(engine.model.tables[table])
    engine.tick(n_rows)
    data = values if values is not None else np.zeros(n_rows)
    lane_keys = [k for k in env.lanes if k[0] in engine.model.tables and engine.index.propagates(k[0], table, env.ctx)]
    if env.n is None or not lane_keys:
        return reduce(data if vis is None else data[vis], how)
    lane = lane_of_rows(engine, env, table, lane_keys)
    keep = lane >= 0 if vis is None else (lane >= 0) & vis
    codes, data = lane[keep], data[keep]
    n = env.n
    if how in ("sum", "mean", "size", "count") and data.dtype.kind in "fiub":
        filled = data.astype(float)
        present = ~np.isnan(filled)
        if how == "size":
            total = np.bincount(codes, minlength=n).astype(float)
            return np.where(total > 0, total, np.nan)
        count = np.bincount(codes, weights=present, minlength=n)
        if how == "count":
            return np.where(count > 0, count, np.nan)
        total = np.bincount(codes, weights=np.where(present, filled, 0.0), minlength=n)
        with np.errstate(all="ignore"):
            return np.where(count > 0, total if how == "sum" else total / count, np.nan)
    by = pd.Series(data).groupby(codes)
    if how == "size":
        result = by.size().astype(float)
    elif how in ("nunique", "nunique_noblank"):
        result = by.nunique(dropna=how == "nunique_noblank").astype(float)
    elif how == "countblank":
        result = by.apply(lambda x: float(x.isna().sum()))
    else:
        result = by.agg(lambda x: _extreme(x.dropna(), how) if x.notna().any() else None)
    if how in ("count", "nunique_noblank", "size", "nunique"):
        result = result.where(result > 0)
    out = result.reindex(np.arange(n)).to_numpy()
    return out.astype(float) if out.dtype.kind in "iub" else out


def lane_of_rows(engine: Engine, env: Env, table: str, lane_keys: list) -> np.ndarray:
    """For each row of `table`, the lane it belongs to (-1: none), through many-to-one relationships.

    Each lane column is matched on its own table's rows (small) and carried to `table` by the
    cached row lookup; combinations of several columns are matched as integer codes.  Cached
    per lane arrays (held alive with the cache entry, so their ids stay theirs)."""
    arrays = [env.lanes[k] for k in lane_keys]
    key = (table, tuple((k, id(a)) for k, a in zip(lane_keys, arrays, strict=True)), env.ctx.active)
    hit = engine.lane_cache.get(key)
    if hit is not None:
        return hit[0]
    combined = np.zeros(len(engine.model.tables[table]), dtype=np.int64)
    lane_code = np.zeros(len(arrays[0]), dtype=np.int64)
    for k, lane_values in zip(lane_keys, arrays, strict=True):
        if engine.index.path(table, k[0], env.ctx) is None:
            raise LaneLoop()
        uniques = pd.Index(pd.unique(pd.Series(lane_values, dtype=object)))
        own = uniques.get_indexer(pd.Series(engine.index.col(*k), dtype=object))
        if k[0] != table:
            step = engine.index.row_index(table, k[0], env.ctx)
            own = np.where(step >= 0, own[np.maximum(step, 0)], -1)
        base = len(uniques) + 1
        combined = np.where((combined < 0) | (own < 0), -1, combined * base + own)
        lane_code = lane_code * base + uniques.get_indexer(pd.Series(lane_values, dtype=object))
    position = pd.Index(lane_code)
    if not position.is_unique:
        raise LaneLoop()
    lane = np.where(combined >= 0, position.get_indexer(combined), -1)
    engine.lane_cache[key] = (lane, arrays)
    return lane


@dax_function(*_HOW)
def _aggregate(engine: Engine, args: tuple, env: Env) -> Any:
    name = engine.calling
    if len(args) == 2 and name in ("MIN", "MAX"):
        return _min_max(engine, name, args, env)
    if len(args) != 1 or not isinstance(args[0], Col):
        raise engine.fail(f"{name} takes one column (for an expression, use {name}X)", name)
    table, col = engine.column_key(args[0], env)
    how = _HOW[name]
    values = engine.index.col(table, col)
    if how in ("sum", "mean") and values.dtype.kind not in "fiub":
        raise engine.fail(f"{name} of the text column '{table}'[{col}]", name)
    return grouped(engine, env, table, values, how)


def _min_max(engine: Engine, name: str, args: tuple, env: Env) -> Any:
    a, b = engine.eval(args[0], env), engine.eval(args[1], env)

    def pick(x: Any, y: Any) -> Any:
        if x is None or y is None:
            return y if x is None else x
        return max(x, y) if name == "MAX" else min(x, y)

    return V.lift(pick, (a, b), env.n)


@dax_function("COUNTROWS")
def _countrows(engine: Engine, args: tuple, env: Env) -> Any:
    node = args[0] if args else None
    if isinstance(node, Ident) and node.name.upper() not in env.vars and node.name in engine.model.tables:
        return grouped(engine, env, node.name, None, "size")
    if node is None:
        raise engine.fail("COUNTROWS needs a table", "COUNTROWS")
    tv = engine.table(node, env)
    return float(len(tv)) if len(tv) else None


_ITER = {"SUMX": "sum", "AVERAGEX": "mean", "MINX": "min", "MAXX": "max", "COUNTX": "count", "COUNTAX": "count"}


@dax_function(*_ITER)
def _iterator(engine: Engine, args: tuple, env: Env) -> Any:
    name = engine.calling
    if len(args) != 2:
        raise engine.fail(f"{name} takes a table and an expression", name)
    how = _ITER[name]
    node = args[0]
    if isinstance(node, Ident) and node.name.upper() not in env.vars and node.name in engine.model.tables \
            and _row_only(engine, args[1]):
        table = node.name
        n = len(engine.model.tables[table])
        row_env = Env(env.ctx, n, {(table, "__row__"): np.arange(n)}, {},
                      {k: v for k, v in env.vars.items() if not V.is_arr(v)}, env.home, env.stack)
        engine.tick(n)
        values = np.broadcast_to(_as_array(engine.eval(args[1], row_env)), (n,))
        return grouped(engine, env, table, np.asarray(values), how)
    if env.n is not None:
        raise LaneLoop()
    tv = engine.table(node, env)
    values = _as_array(iterate(engine, tv, args[1], env))
    return reduce(np.broadcast_to(values, (len(tv),)), how)


def _as_array(v: Any) -> np.ndarray:
    if V.is_arr(v):
        return v if v.dtype.kind in "fMO" else v.astype(float)
    return V.pack([v])


def _row_only(engine: Engine, node: object) -> bool:
    """An expression of the current row alone (columns, RELATED, arithmetic): vectorisable over the table."""
    allowed = {"RELATED", "IF", "DIVIDE", "ABS", "ROUND", "INT", "BLANK", "ISBLANK", "AND", "OR", "NOT", "YEAR",
               "MONTH", "DAY", "MIN", "MAX", "COALESCE"}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Col):
            if item.table is None and engine.measure_name(item.column):
                return False
        elif isinstance(item, Call):
            if item.name not in allowed or (item.name in ("MIN", "MAX") and len(item.args) != 2):
                return False
            stack.extend(a for a in item.args if a is not None)
        elif isinstance(item, Bin):
            stack.extend((item.left, item.right))
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Ident):
            return False
    return True


@dax_function("CONCATENATEX")
def _concatenatex(engine: Engine, args: tuple, env: Env) -> Any:
    if env.n is not None:
        raise LaneLoop()
    tv = engine.table(args[0], env)
    values = np.broadcast_to(_as_array(iterate(engine, tv, args[1], env)), (len(tv),))
    sep = V.text(engine.eval(args[2], env)) if len(args) > 2 and args[2] is not None else ""
    order = np.arange(len(tv))
    if len(args) > 3 and args[3] is not None:
        keys = np.broadcast_to(_as_array(iterate(engine, tv, args[3], env)), (len(tv),))
        descending = len(args) > 4 and isinstance(args[4], Ident) and args[4].name.upper() == "DESC"
        order = np.asarray(pd.Series(keys).sort_values(ascending=not descending, kind="stable").index)
    return sep.join(V.text(values[i]) for i in order)
