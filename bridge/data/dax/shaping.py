"""Tables made in a measure: ADDCOLUMNS, SUMMARIZE, TOPN; and LOOKUPVALUE and RANKX over them.

An added or summarised column is a virtual column ("", name), found by `[name]` in a row
context.  SUMMARIZE groups the visible rows of a model table by columns of it or of tables it
relates to, and evaluates each extension column in its group's filter context (context
transition, as DAX does); TOPN keeps the rows tied with the last one kept, as DAX does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey
from bridge.data.dax.engine import Engine
from bridge.data.dax.errors import LaneLoop
from bridge.data.dax.registry import Env, TableVal, dax_function, table_function
from bridge.data.dax.syntax import Call, Col, Ident, Str
from bridge.data.dax.tables import iterate


def _as_column(values: Any, n: int) -> np.ndarray:
    if V.is_arr(values):
        return np.asarray(values)
    return V.pack([values] * n)


def _name(engine: Engine, node: object, function: str) -> str:
    if not isinstance(node, Str):
        raise engine.fail(f"{function} expects a column name in quotes here", function)
    return node.value


@table_function("ADDCOLUMNS")
def _addcolumns(engine: Engine, args: tuple, env: Env) -> TableVal:
    tv = engine.table(args[0], env)
    for i in range(1, len(args) - 1, 2):
        name = _name(engine, args[i], "ADDCOLUMNS")
        column = _as_column(iterate(engine, tv, args[i + 1], env), len(tv))
        tv = TableVal(tv.base, tv.idx, {**tv.cols, ("", name): column})
    return tv


@table_function("SUMMARIZE")
def _summarize(engine: Engine, args: tuple, env: Env) -> TableVal:
    source = engine.table(args[0], env)
    if source.base is None or source.idx is None:
        raise engine.fail("SUMMARIZE groups the rows of a model table", "SUMMARIZE")
    keys: list[ColKey] = []
    i = 1
    while i < len(args) and isinstance(args[i], Col):
        keys.append(engine.column_key(args[i], env))
        i += 1
    frame = pd.DataFrame({n: engine.index.related_values(source.base, k, env.ctx)[source.idx] for n, k in enumerate(keys)})
    frame = frame.dropna().drop_duplicates()
    tv = TableVal(None, None, {k: frame[n].to_numpy() for n, k in enumerate(keys)})
    for j in range(i, len(args) - 1, 2):
        name = _name(engine, args[j], "SUMMARIZE")
        column = _as_column(iterate(engine, tv, Call("CALCULATE", (args[j + 1],)), env), len(tv))
        tv = TableVal(None, None, {**tv.cols, ("", name): column})
    return tv


def _order(node: object) -> bool:
    """True for descending: DESC, 0 or FALSE (TOPN's and RANKX's default is descending)."""
    if node is None:
        return True
    if isinstance(node, Ident):
        return node.name.upper() in ("DESC", "FALSE")
    return getattr(node, "value", 0) == 0


def _sort_key(values: np.ndarray, descending: bool) -> np.ndarray:
    """A number per row that sorts ascending in the wanted order, BLANK the smallest value."""
    series = pd.Series(values, dtype=object)
    if all(x is None or isinstance(x, str) or (isinstance(x, float) and np.isnan(x)) for x in series):
        series = series.map(lambda x: None if V.is_blank(x) else x.lower())
    ranks = series.rank(method="dense", na_option="top").to_numpy(dtype=float)
    return -ranks if descending else ranks


@table_function("TOPN")
def _topn(engine: Engine, args: tuple, env: Env) -> TableVal:
    count = V.numeric(engine.eval(args[0], env))
    tv = engine.table(args[1], env)
    if count is None or len(tv) == 0:
        return tv.take(np.zeros(len(tv), dtype=bool))
    keys = []
    for i in range(2, len(args), 2):
        values = _as_column(iterate(engine, tv, args[i], env), len(tv))
        keys.append(_sort_key(values, _order(args[i + 1] if i + 1 < len(args) else None)))
    order = np.lexsort(keys[::-1]) if keys else np.arange(len(tv))
    n = int(count)
    if n >= len(tv):
        return tv
    last = tuple(k[order[n - 1]] for k in keys)
    keep = np.zeros(len(tv), dtype=bool)
    keep[order[:n]] = True
    keep |= np.all([k == v for k, v in zip(keys, last, strict=True)], axis=0) if keys else False
    return tv.take(keep)


@dax_function("LOOKUPVALUE")
def _lookupvalue(engine: Engine, args: tuple, env: Env) -> Any:
    result = engine.column_key(args[0], env)
    pairs = [(engine.column_key(args[i], env), engine.eval(args[i + 1], env)) for i in range(1, len(args) - 1, 2)]
    alternate = args[-1] if len(args) % 2 == 0 else None
    if any(V.is_arr(v) for _, v in pairs):
        raise LaneLoop()
    table = result[0]
    mask = np.ones(len(engine.model.tables[table]), dtype=bool)
    for key, value in pairs:
        if key[0] != table:
            raise engine.fail("LOOKUPVALUE searches columns of the result column's table", "LOOKUPVALUE")
        column = engine.index.col(*key)
        mask &= np.array([bool(V.compare("=", V.scalar(x), value, None)) and not V.is_blank(x) for x in column])
    found = {V.scalar(x) for x in engine.index.col(*result)[mask]}
    if not found:
        return None if alternate is None else engine.eval(alternate, env)
    if len(found) > 1:
        raise engine.fail("LOOKUPVALUE found several different values", "LOOKUPVALUE")
    return found.pop()


@dax_function("RANKX")
def _rankx(engine: Engine, args: tuple, env: Env) -> Any:
    if env.n is not None:
        raise LaneLoop()
    tv = engine.table(args[0], env)
    values = [V.numeric(V.scalar(x)) for x in _as_column(iterate(engine, tv, args[1], env), len(tv))]
    value_node = args[2] if len(args) > 2 and args[2] is not None else args[1]
    current = V.numeric(engine.eval(value_node, env))
    descending = _order(args[3] if len(args) > 3 else None)
    dense = len(args) > 4 and isinstance(args[4], Ident) and args[4].name.upper() == "DENSE"
    mine = 0.0 if current is None else current
    others = [0.0 if v is None else v for v in values]
    ahead = [v for v in others if (v > mine if descending else v < mine)]
    return float(1 + (len(set(ahead)) if dense else len(ahead)))
