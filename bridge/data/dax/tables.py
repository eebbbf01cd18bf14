"""DAX functions that return tables: VALUES, DISTINCT, ALL, FILTER, KEEPFILTERS; and iterating a table's rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey, Ctx, column
from bridge.data.dax.engine import Engine
from bridge.data.dax.registry import Env, TableVal, col_name, table_function
from bridge.data.dax.syntax import Col, Ident


def distinct_values(engine: Engine, key: ColKey, ctx: Ctx | None) -> np.ndarray:
    """A column's distinct values among the visible rows (all rows when `ctx` is None)."""
    values = engine.index.col(*key)
    if ctx is not None:
        mask = engine.index.visible(key[0], ctx)
        if mask is not None:
            values = values[mask]
    return pd.unique(values) if values.dtype.kind != "O" else _unique_objects(values)


def _unique_objects(values: np.ndarray) -> np.ndarray:
    out = pd.unique(pd.Series(values, dtype=object)).astype(object)
    return np.asarray(out, dtype=object)


def column_args(engine: Engine, args: tuple, env: Env) -> list[ColKey]:
    return [engine.column_key(a, env) for a in args if a is not None]


@table_function("VALUES", "DISTINCT")
def _values(engine: Engine, args: tuple, env: Env) -> TableVal:
    if isinstance(args[0], Col):
        key = engine.column_key(args[0], env)
        return TableVal(None, None, {key: distinct_values(engine, key, env.ctx)})
    tv = engine.table(args[0], env)
    if tv.base is not None:
        return tv
    frame = pd.DataFrame({i: pd.Series(v, dtype=object) for i, v in enumerate(tv.cols.values())}).drop_duplicates()
    return TableVal(None, None, {k: frame[i].to_numpy() for i, k in enumerate(tv.cols)})


@table_function("ALL", "ALLNOBLANKROW", "ALLSELECTED", "REMOVEFILTERS", "ALLCROSSFILTERED")
def _all(engine: Engine, args: tuple, env: Env) -> TableVal:
    if not args or args[0] is None:
        raise engine.fail("ALL() without arguments is only a CALCULATE filter", "ALL")
    if isinstance(args[0], Ident):
        return TableVal(args[0].name, np.arange(len(engine.model.tables[args[0].name])))
    keys = column_args(engine, args, env)
    if len(keys) == 1:
        return TableVal(None, None, {keys[0]: distinct_values(engine, keys[0], None)})
    frame = engine.model.tables[keys[0][0]][[k[1] for k in keys]].drop_duplicates()
    return TableVal(None, None, {k: column(frame, k[1]) for k in keys})


@table_function("FILTER")
def _filter(engine: Engine, args: tuple, env: Env) -> TableVal:
    if len(args) != 2:
        raise engine.fail("FILTER takes a table and a condition", "FILTER")
    tv = engine.table(args[0], env)
    keep = iterate(engine, tv, args[1], env)
    keep = V.truth(keep)
    mask = np.broadcast_to(np.asarray(keep, dtype=bool), (len(tv),))
    return tv.take(mask)


def iterate(engine: Engine, tv: TableVal, expr: object, env: Env) -> Any:
    """`expr` for every row of `tv`, the rows as lanes of a row context (an array, or one value for all)."""
    engine.tick(len(tv))
    row = {k: v for k, v in env.row.items() if not V.is_arr(v)}
    row.update(tv.row_context())
    inner = Env(env.ctx, len(tv), row, {}, {k: v for k, v in env.vars.items() if not V.is_arr(v)}, env.home, env.stack)
    if len(tv) == 0:
        return np.array([], dtype=float)
    return engine.eval(expr, inner)


@table_function("KEEPFILTERS")
def _keepfilters(engine: Engine, args: tuple, env: Env) -> TableVal:
    return engine.table(args[0], env)


def table_filter_columns(engine: Engine, tv: TableVal) -> list[ColKey]:
    return [k for k in tv.cols if k[0] in engine.model.tables]


def describe(key: ColKey) -> str:
    return col_name(key)
