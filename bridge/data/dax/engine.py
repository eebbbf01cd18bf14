"""The DAX evaluator's core: an environment (filter context, row context, lanes, variables) and `Engine.eval`.

Vectorised by *lanes*: a grouped evaluation (a measure per category, or per row an iterator
made current by context transition) runs once for all lanes, each lane a filter on the lane
columns; an aggregation then groups the table's rows by those columns instead of looping.
What cannot run for all lanes at once (a filter that depends on the lane, a nested iterator)
raises `LaneLoop`, and the function call is evaluated lane by lane (`Engine.per_lane`),
counted against `MAX_DAX_WORK`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import lanes
from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey, Ctx, ModelIndex, RowFilter
from bridge.data.dax.errors import DaxError, LaneLoop
from bridge.data.dax.registry import FUNCTIONS, TABLE_FUNCTIONS, Env, TableVal, col_name
from bridge.data.dax.syntax import Bin, Call, Col, Ident, Let, Num, Str, TableCtor, Unary, parse
from bridge.data.powerbi.model import PowerBIModel
from bridge.limits import MAX_DAX_DEPTH, MAX_DAX_WORK


class Engine:
    """Evaluates the measures of one model; `today` feeds TODAY() and NOW()."""

    def __init__(self, model: PowerBIModel, today: dt.date | None = None):
        self.model = model
        self.index = ModelIndex(model)
        self.today = pd.Timestamp(today or dt.date.today())
        self.work = 0
        self.measure = ""  # the measure asked for, for messages
        self.calling = ""  # the function being called
        self._parsed: dict[str, object] = {}
        self._memo: dict[tuple, tuple[Any, tuple]] = {}
        self.lane_cache: dict[tuple, tuple[np.ndarray, list]] = {}
        self.lower_measures = {k.lower(): k for k in model.measures}

    # -- errors and work -------------------------------------------------------------------------
    def fail(self, message: str, culprit: str | None = None) -> DaxError:
        return DaxError(message, self.measure, culprit, self.model.source)

    def tick(self, rows: int) -> None:
        self.work += rows
        if self.work > MAX_DAX_WORK:
            raise self.fail(f"needs more than {MAX_DAX_WORK:,} rows of work (MAX_DAX_WORK); "
                            "simplify the measure or evaluate it with fewer groups", "MAX_DAX_WORK")

    # -- measures ----------------------------------------------------------------------------------
    def parsed(self, name: str) -> object:
        if name not in self._parsed:
            self._parsed[name] = parse(self.model.measures[name].expression)
        return self._parsed[name]

    def measure_name(self, name: str) -> str | None:
        return self.lower_measures.get(name.lower())

    def eval_measure(self, name: str, env: Env) -> Any:
        if name in env.stack:
            raise self.fail(f"refers to itself through {' → '.join(f'[{s}]' for s in env.stack + (name,))}", name)
        if len(env.stack) >= MAX_DAX_DEPTH:
            raise self.fail(f"measures nested more than {MAX_DAX_DEPTH} deep (MAX_DAX_DEPTH)", name)
        env = self.transition(env)
        arrays = tuple(env.lanes.values())
        key = (name, env.ctx.key(), env.n, tuple((k, id(v)) for k, v in env.lanes.items()))
        if key in self._memo:
            return self._memo[key][0]
        inner = Env(env.ctx, env.n, {}, env.lanes, {}, self.model.measures[name].table, env.stack + (name,))
        result = self.eval(self.parsed(name), inner)
        self._memo[key] = (result, (arrays, env.ctx))  # holding them keeps the ids in the key unique
        return result

    def transition(self, env: Env) -> Env:
        """Context transition: the row context's values become filters (lanes, where they vary by lane)."""
        if not env.row:
            return env
        ctx, lanes = env.ctx, dict(env.lanes)
        for key, value in env.row.items():
            if V.is_arr(value):
                lanes[key] = value  # the lane's value replaces the filters on its column, as a CALCULATE filter does
                if key[0] in self.model.tables:
                    ctx = ctx.without(tables={key[0]}) if key[1] == "__row__" else ctx.without(columns=[key])
            else:
                ctx = self.filter_equal(ctx, key, value)
        return replace(env, ctx=ctx, lanes=lanes)

    def filter_equal(self, ctx: Ctx, key: ColKey, value: Any) -> Ctx:
        table, column = key
        if table not in self.model.tables:
            return ctx  # a column of a virtual table filters nothing in the model
        if column == "__row__":
            mask = np.zeros(len(self.model.tables[table]), dtype=bool)
            mask[int(value)] = True
            columns = frozenset(self.model.tables[table].columns) | {"__row__"}
            return ctx.with_rows(RowFilter(table, columns, mask, ident=hash(("row", table, int(value)))))
        return ctx.with_column(key, np.array([value], dtype=object))

    # -- evaluation --------------------------------------------------------------------------------
    def eval(self, node: object, env: Env) -> Any:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Col):
            return self.column_value(node, env)
        if isinstance(node, Call):
            return self.call(node, env)
        if isinstance(node, Bin):
            try:
                return _binary(self, node, env)
            except LaneLoop:
                if env.n is None:
                    raise
                return lanes.per_lane(self, env, lambda e: _binary(self, node, e))
        if isinstance(node, Unary):
            x = self.eval(node.operand, env)
            if node.op == "NOT":
                t = V.truth(x)
                return ~t if V.is_arr(t) else not t
            return V.arith("-", 0.0, x, env.n) if node.op == "-" and not V.is_blank(x) else x
        if isinstance(node, Let):
            try:
                return self._let(node, env)
            except LaneLoop:
                if env.n is None:
                    raise
                return lanes.per_lane(self, env, lambda e: self._let(node, e))
        if isinstance(node, Ident):
            return _ident(self, node, env)
        if isinstance(node, TableCtor):
            if len(node.rows) == 1 and len(node.rows[0]) == 1:
                return self.eval(node.rows[0][0], env)
            raise self.fail("a table constructor {…} where one value is expected", "{…}")
        raise self.fail(f"cannot evaluate {type(node).__name__}")

    def _let(self, node: Let, env: Env) -> Any:
        vars_ = dict(env.vars)
        for name, expr in node.bindings:
            vars_[name.upper()] = self.eval_any(expr, replace(env, vars=vars_))
        return self.eval(node.body, replace(env, vars=vars_))

    def eval_any(self, node: object, env: Env) -> Any:
        """A value or a table (VAR can hold either)."""
        if self.is_table_expr(node, env):
            return self.table(node, env)
        return self.eval(node, env)

    def is_table_expr(self, node: object, env: Env) -> bool:
        if isinstance(node, Call):
            return node.name in TABLE_FUNCTIONS
        if isinstance(node, TableCtor):
            return not (len(node.rows) == 1 and len(node.rows[0]) == 1)
        if isinstance(node, Ident):
            held = env.vars.get(node.name.upper())
            return isinstance(held, TableVal) or (node.name.upper() not in env.vars and node.name in self.model.tables)
        return False

    def call(self, node: Call, env: Env) -> Any:
        handler = FUNCTIONS.get(node.name)
        if handler is None:
            raise self.fail(f"uses {node.name}, which Bridge does not evaluate", node.name)

        def run(e: Env) -> Any:
            self.calling = node.name  # read by handlers that serve several names
            return handler(self, node.args, e)

        try:
            return run(env)
        except LaneLoop:
            if env.n is None:
                raise
            return lanes.per_lane(self, env, run)

    # -- columns -----------------------------------------------------------------------------------
    def column_value(self, node: Col, env: Env) -> Any:
        if node.table is None or (node.table, node.column) not in self._all_columns():
            name = self.measure_name(node.column)
            if name is not None and not self._row_has(node, env):
                return self.eval_measure(name, env)
        for key, value in env.row.items():
            if key == (node.table, node.column) or (node.table is None and key[1] == node.column):
                return value
        for (table, column), idx in env.row.items():
            if column == "__row__" and (node.table in (None, table)) and node.column in self.model.tables[table].columns:
                values = self.index.col(table, node.column)
                return values[idx] if V.is_arr(idx) else V.scalar(values[int(idx)])
        key = self.column_key(node, env)
        raise self.fail(f"uses {col_name(key)} outside a row context (wrap it in an aggregation such as SUM)", col_name(key))

    def _row_has(self, node: Col, env: Env) -> bool:
        return any(k[1] == node.column and k[0] not in self.model.tables for k in env.row)

    def _all_columns(self) -> set[ColKey]:
        if not hasattr(self, "_columns"):
            self._columns = {(t, c) for t, df in self.model.tables.items() for c in df.columns}
        return self._columns

    def column_key(self, node: object, env: Env) -> ColKey:
        """The model column a column argument names ([C] alone: the measure's home table, else the one table with C)."""
        if not isinstance(node, Col):
            raise self.fail("expects a column reference such as 'Table'[Column]", "argument")
        if node.table is not None:
            if node.table not in self.model.tables or node.column not in self.model.tables[node.table].columns:
                raise self.fail(f"refers to {col_name((node.table, node.column))}, which is not a column of the model",
                                col_name((node.table, node.column)))
            return (node.table, node.column)
        for key in env.row:
            if key[1] == node.column:
                return key
        if env.home in self.model.tables and node.column in self.model.tables[env.home].columns:
            return (env.home, node.column)
        owners = [t for t, df in self.model.tables.items() if node.column in df.columns]
        if len(owners) == 1:
            return (owners[0], node.column)
        raise self.fail(f"refers to [{node.column}], which is not a column of the model", f"[{node.column}]")

    def table_column(self, tv: TableVal, key: ColKey) -> np.ndarray:
        if key in tv.cols:
            return tv.cols[key]
        if tv.base is not None and tv.idx is not None:
            if key[1] == "__row__":
                return tv.idx
            return self.index.col(tv.base, key[1])[tv.idx]
        raise self.fail(f"the table has no column {col_name(key)}", col_name(key))

    # -- tables and lanes --------------------------------------------------------------------------
    def table(self, node: object, env: Env) -> TableVal:
        """A table expression's rows, in a one-value environment (lanes: only when the table cannot vary by lane)."""
        if env.n is not None:
            if not lanes.lane_free(self, node, env):
                raise LaneLoop()
            env = lanes.scalar_env(env)
        return table_value(self, node, env)


def _ident(engine: Engine, node: Ident, env: Env) -> Any:
    key = node.name.upper()
    if key in env.vars:
        held = env.vars[key]
        if isinstance(held, TableVal):
            raise engine.fail(f"the variable {node.name} holds a table where one value is expected", node.name)
        return held
    if key in ("TRUE", "FALSE"):
        return key == "TRUE"
    if node.name in engine.model.tables:
        raise engine.fail(f"the table '{node.name}' is used where one value is expected", node.name)
    raise engine.fail(f"refers to {node.name}, which is neither a variable nor a table of the model", node.name)


def _binary(engine: Engine, node: Bin, env: Env) -> Any:
    op = node.op
    if op == "IN":
        return _membership(engine, node, env)
    a, b = engine.eval(node.left, env), engine.eval(node.right, env)
    if op in ("+", "-", "*", "/", "^"):
        return V.arith(op, a, b, env.n)
    if op == "&":
        return V.lift(lambda x, y: V.text(x) + V.text(y), (a, b), env.n)
    if op in ("&&", "||"):
        x, y = V.truth(a), V.truth(b)
        if V.is_arr(x) or V.is_arr(y):
            return (np.logical_and if op == "&&" else np.logical_or)(x, y)
        return (x and y) if op == "&&" else (x or y)
    return V.compare(op, a, b, env.n)

def _membership(engine: Engine, node: Bin, env: Env) -> Any:
    if isinstance(node.right, TableCtor):
        options = [engine.eval(row[0], env) for row in node.right.rows]
    else:
        tv = engine.table(node.right, env)
        options = [V.scalar(x) for x in engine.table_column(tv, next(iter(tv.row_context())))]
    x = engine.eval(node.left, env)
    return V.lift(lambda v: any(V.compare("=", v, o, None) for o in options), (x,), env.n)


def table_value(engine: Engine, node: object, env: Env) -> TableVal:
    if isinstance(node, Ident):
        held = env.vars.get(node.name.upper())
        if isinstance(held, TableVal):
            return held
        if node.name in engine.model.tables:
            return visible_rows(engine, node.name, env.ctx)
        raise engine.fail(f"refers to {node.name}, which is not a table of the model", node.name)
    if isinstance(node, TableCtor):
        width = max(len(r) for r in node.rows) if node.rows else 1
        cols = {("", "Value" if i == 0 else f"Value{i + 1}"): V.pack([engine.eval(r[i], env) for r in node.rows])
                for i in range(width)}
        return TableVal(None, None, cols)
    if isinstance(node, Call):
        handler = TABLE_FUNCTIONS.get(node.name)
        if handler is None:
            if node.name in FUNCTIONS:
                raise engine.fail(f"{node.name}(…) gives one value where a table is expected", node.name)
            raise engine.fail(f"uses {node.name}, which Bridge does not evaluate", node.name)
        engine.calling = node.name
        return handler(engine, node.args, env)
    raise engine.fail("expects a table here (a table name, or a function such as FILTER or VALUES)", "argument")


def visible_rows(engine: Engine, table: str, ctx: Ctx) -> TableVal:
    mask = engine.index.visible(table, ctx)
    engine.tick(len(engine.model.tables[table]))
    idx = np.arange(len(engine.model.tables[table])) if mask is None else np.flatnonzero(mask)
    return TableVal(table, idx)
