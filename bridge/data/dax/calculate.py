"""CALCULATE's filter arguments: removing filters (ALL, REMOVEFILTERS, ALLEXCEPT), boolean and table filters.

All the filter arguments are evaluated in the outer context, then the removals applied, then the
filters, each replacing the filters on its columns (KEEPFILTERS: intersecting with them), as
DAX does.  A filter on the date column of a date table also removes the other filters on that
table (as Power BI does for a marked date table or one joined on a date column).  With lanes,
a filter that would differ from lane to lane raises `LaneLoop` (evaluated lane by lane).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey, RowFilter, column
from bridge.data.dax.engine import Engine
from bridge.data.dax.errors import LaneLoop
from bridge.data.dax.registry import Env, TableVal, dax_function, table_function
from bridge.data.dax.syntax import Bin, Call, Col, Ident, Let, TableCtor, Unary
from bridge.data.dax.tables import distinct_values
from bridge.data.powerbi.model import Relationship

_REMOVERS = ("ALL", "REMOVEFILTERS", "ALLNOBLANKROW", "ALLCROSSFILTERED")


@dataclass
class Mods:
    """What a CALCULATE's filter arguments do, gathered before any is applied."""

    everything: bool = False
    columns: list[ColKey] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    lane_tables: set[str] = field(default_factory=set)  # ALLSELECTED: the visual's grouping only
    keep_only: dict[str, set[ColKey]] = field(default_factory=dict)  # ALLEXCEPT: table → columns kept
    filters: list[tuple[Any, ...]] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)


@dax_function("CALCULATE")
def calculate(engine: Engine, args: tuple, env: Env) -> Any:
    if not args or args[0] is None:
        raise engine.fail("CALCULATE needs an expression", "CALCULATE")
    return engine.eval(args[0], modified_env(engine, args[1:], env))


@dax_function("ALLEXCEPT", "USERELATIONSHIP", "CROSSFILTER")
def _only_a_filter(engine: Engine, args: tuple, env: Env) -> Any:
    name = engine.calling
    raise engine.fail(f"{name} can only be a filter argument of CALCULATE or CALCULATETABLE", name)


@table_function("CALCULATETABLE")
def _calculatetable(engine: Engine, args: tuple, env: Env) -> TableVal:
    return engine.table(args[0], modified_env(engine, args[1:], env))


def modified_env(engine: Engine, filter_args: tuple, env: Env) -> Env:
    """The environment after context transition and CALCULATE's filter arguments."""
    env = engine.transition(env)
    mods = Mods()
    for arg in filter_args:
        if arg is not None:
            gather(engine, arg, env, mods, keep=False)
    return apply(engine, env, mods)


def gather(engine: Engine, arg: object, env: Env, mods: Mods, keep: bool) -> None:
    if isinstance(arg, Call) and arg.name in _REMOVERS + ("ALLSELECTED",) and _only_names(arg):
        _removal(engine, arg, env, mods)
    elif isinstance(arg, Call) and arg.name == "ALLEXCEPT":
        table = _table_name(engine, arg.args[0])
        kept = {engine.column_key(a, env) for a in arg.args[1:]}
        for t in engine.index.expanded(table, env.ctx):
            mods.keep_only.setdefault(t, set()).update(k for k in kept if k[0] == t)
    elif isinstance(arg, Call) and arg.name == "KEEPFILTERS":
        gather(engine, arg.args[0], env, mods, keep=True)
    elif isinstance(arg, Call) and arg.name == "USERELATIONSHIP":
        mods.relationships.append(_relationship(engine, arg, env))
    elif isinstance(arg, Call) and arg.name == "CROSSFILTER":
        raise engine.fail("uses CROSSFILTER, which Bridge does not evaluate", "CROSSFILTER")
    elif engine.is_table_expr(arg, env):
        _table_filter(engine, engine.table(arg, env), mods, keep)
    else:
        _boolean_filter(engine, arg, env, mods, keep)


def _only_names(call: Call) -> bool:
    return all(isinstance(a, Col | Ident) for a in call.args if a is not None)


def _table_name(engine: Engine, node: object) -> str:
    if isinstance(node, Ident) and node.name in engine.model.tables:
        return node.name
    raise engine.fail("expects a table name here", getattr(node, "name", "argument"))


def _removal(engine: Engine, call: Call, env: Env, mods: Mods) -> None:
    args = [a for a in call.args if a is not None]
    if not args:
        if call.name == "ALLSELECTED":
            mods.lane_tables.update(engine.model.tables)
        else:
            mods.everything = True
        return
    for a in args:
        if isinstance(a, Ident):
            tables = engine.index.expanded(_table_name(engine, a), env.ctx)
            (mods.lane_tables if call.name == "ALLSELECTED" else mods.tables).update(tables)
        elif call.name == "ALLSELECTED":
            mods.lane_tables.add(engine.column_key(a, env)[0])
        else:
            mods.columns.append(engine.column_key(a, env))


def _relationship(engine: Engine, call: Call, env: Env) -> Relationship:
    a, b = (engine.column_key(x, env) for x in call.args[:2])
    for rel in engine.model.relationships:
        ends = {(rel.from_table, rel.from_column), (rel.to_table, rel.to_column)}
        if ends == {a, b}:
            return rel
    raise engine.fail(f"USERELATIONSHIP names no relationship of the model between {a} and {b}", "USERELATIONSHIP")


def _table_filter(engine: Engine, tv: TableVal, mods: Mods, keep: bool) -> None:
    if tv.base is not None and tv.idx is not None:
        mask = np.zeros(len(engine.model.tables[tv.base]), dtype=bool)
        mask[tv.idx] = True
        columns = frozenset(engine.model.tables[tv.base].columns) | {"__row__"}
        mods.filters.append(("rows", RowFilter(tv.base, columns, mask), keep))
        return
    for key, values in tv.cols.items():
        if key[0] in engine.model.tables:
            _column_filter(engine, key, values, mods, keep)


def _column_filter(engine: Engine, key: ColKey, values: np.ndarray, mods: Mods, keep: bool) -> None:
    if _is_date_key(engine, key) and not keep:
        mods.tables.add(key[0])
    mods.filters.append(("col", key, values, keep))


def _is_date_key(engine: Engine, key: ColKey) -> bool:
    table, col = key
    if engine.model.tables[table][col].dtype.kind != "M":
        return False
    return table in engine.model.date_tables or any(
        r.to_table == table and r.to_column == col for r in engine.model.relationships)


def _boolean_filter(engine: Engine, arg: object, env: Env, mods: Mods, keep: bool) -> None:
    keys = sorted(_columns_in(engine, arg, env))
    if not keys:
        raise engine.fail("a CALCULATE filter must name a column (as in 'Table'[Column] = value) or be a table",
                          "CALCULATE")
    tables = {k[0] for k in keys}
    if len(tables) > 1:
        raise engine.fail(f"a CALCULATE filter over columns of several tables ({', '.join(sorted(tables))}): "
                          "Bridge evaluates a boolean filter over one table", "CALCULATE")
    if env.n is not None and not _free_of_lanes(engine, arg, env, set(keys)):
        raise LaneLoop()
    table = keys[0][0]
    if len(keys) == 1:
        combos = {keys[0]: distinct_values(engine, keys[0], None)}
    else:
        frame = engine.model.tables[table][[k[1] for k in keys]].drop_duplicates()
        combos = {k: column(frame, k[1]) for k in keys}
    n = len(next(iter(combos.values())))
    inner = Env(env.ctx, n, dict(combos), {}, {k: v for k, v in env.vars.items() if not V.is_arr(v)}, env.home, env.stack)
    engine.tick(n)
    ok = np.broadcast_to(np.asarray(V.truth(engine.eval(arg, inner)), dtype=bool), (n,))
    if len(keys) == 1:
        _column_filter(engine, keys[0], combos[keys[0]][ok], mods, keep)
        return
    allowed = pd.MultiIndex.from_arrays([v[ok] for v in combos.values()])
    rows = pd.MultiIndex.from_frame(engine.model.tables[table][[k[1] for k in keys]]).isin(allowed)
    mods.filters.append(("rows", RowFilter(table, frozenset(k[1] for k in keys), np.asarray(rows)), keep))


def _columns_in(engine: Engine, node: object, env: Env) -> set[ColKey]:
    """The model columns a boolean filter tests (not those inside a nested aggregation or measure)."""
    found: set[ColKey] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Col):
            if item.table is None and engine.measure_name(item.column):
                continue
            key = engine.column_key(item, env)
            if key[0] in engine.model.tables:
                found.add(key)
        elif isinstance(item, Bin):
            stack.extend((item.left, item.right))
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Call) and item.name in ("NOT", "AND", "OR", "ISBLANK", "YEAR", "MONTH", "DAY", "LEFT",
                                                        "RIGHT", "UPPER", "LOWER", "IF", "VALUE", "INT", "ABS"):
            stack.extend(a for a in item.args if a is not None)
        elif isinstance(item, TableCtor | Let):
            continue
    return found


def _free_of_lanes(engine: Engine, node: object, env: Env, own: set[ColKey]) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Ident) and V.is_arr(env.vars.get(item.name.upper())):
            return False
        if isinstance(item, Col) and item.table is None and engine.measure_name(item.column):
            return False
        if isinstance(item, Call):
            if item.name not in ("NOT", "AND", "OR", "ISBLANK", "YEAR", "MONTH", "DAY", "DATE", "LEFT", "RIGHT",
                                 "UPPER", "LOWER", "IF", "VALUE", "INT", "ABS", "TODAY", "NOW", "BLANK", "TRUE",
                                 "FALSE"):
                return False
            stack.extend(a for a in item.args if a is not None)
        elif isinstance(item, Bin):
            stack.extend((item.left, item.right))
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, TableCtor):
            stack.extend(x for row in item.rows for x in row)
        elif isinstance(item, Let):
            return False
    return True


def apply(engine: Engine, env: Env, mods: Mods) -> Env:
    ctx, lanes = env.ctx, dict(env.lanes)
    if mods.everything:
        ctx, lanes = ctx.without(everything=True), {}
    ctx = ctx.without(columns=mods.columns, tables=mods.tables)
    gone = set(mods.columns)
    lanes = {k: v for k, v in lanes.items() if k not in gone and k[0] not in mods.tables | mods.lane_tables}
    for table, kept in mods.keep_only.items():
        ctx = ctx.without(columns=[k for k in ctx.cols if k[0] == table and k not in kept])
        ctx = replace(ctx, rows=tuple(r for r in ctx.rows if r.table != table), memo={})
        lanes = {k: v for k, v in lanes.items() if k[0] != table or k in kept}
    if mods.relationships:
        ctx = replace(ctx, active=ctx.active | frozenset(mods.relationships), memo={})
    for f in mods.filters:
        if f[0] == "col":
            _, key, values, keep = f
            ctx = ctx.with_column(key, values, keep)
            if not keep:
                lanes.pop(key, None)
        else:
            _, rf, keep = f
            ctx = ctx.with_rows(rf, keep)
            if not keep:
                lanes = {k: v for k, v in lanes.items() if not (k[0] == rf.table and k[1] in rf.columns)}
    return replace(env, ctx=ctx, lanes=lanes)
