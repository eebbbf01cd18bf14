"""Lanes: one evaluation standing for many (a measure per category, an iterator's rows), and the fallback.

`lane_free` says whether an expression is the same in every lane (so it is evaluated once);
`per_lane` evaluates a step once per distinct lane when it cannot be done for all at once,
each lane's values turned into scalars and filters, and counts that work against MAX_DAX_WORK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bridge.data.dax import values as V
from bridge.data.dax.registry import Env, TableVal
from bridge.data.dax.syntax import Bin, Call, Col, Ident, Let, TableCtor, Unary

if TYPE_CHECKING:
    from bridge.data.dax.engine import Engine


def scalar_env(env: Env) -> Env:
    return Env(env.ctx, None, {k: v for k, v in env.row.items() if not V.is_arr(v)}, {},
               {k: v for k, v in env.vars.items() if not V.is_arr(v)}, env.home, env.stack)

def lane_free(engine: Engine, node: object, env: Env) -> bool:
    """Whether `node` gives the same result in every lane (conservatively: False when unsure)."""
    if env.n is None:
        return True
    lane_tables = {k[0] for k in env.lanes} | {k[0] for k, v in env.row.items() if V.is_arr(v)}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Col):
            named = item.table is not None and (item.table, item.column) in engine._all_columns()
            if not named and engine.measure_name(item.column):
                return False
            if any(k[1] == item.column and V.is_arr(v) for k, v in env.row.items()):
                return False
            tables = [item.table] if item.table else []
        elif isinstance(item, Ident):
            if V.is_arr(env.vars.get(item.name.upper())):
                return False
            tables = [item.name] if item.name in engine.model.tables else []
        else:
            tables = []
            if isinstance(item, Call):
                stack.extend(a for a in item.args if a is not None)
            elif isinstance(item, Bin):
                stack.extend((item.left, item.right))
            elif isinstance(item, Unary):
                stack.append(item.operand)
            elif isinstance(item, Let):
                stack.extend([e for _, e in item.bindings] + [item.body])
            elif isinstance(item, TableCtor):
                stack.extend(x for row in item.rows for x in row)
        for t in tables:
            if any(lt in engine.model.tables and engine.index.propagates(lt, t, env.ctx) for lt in lane_tables):
                return False
    return True

def per_lane(engine: Engine, env: Env, fn: Callable[[Env], Any]) -> Any:
    """`fn` evaluated once per distinct lane, each lane's values made scalars and filters."""
    n = env.n or 0
    varying: list[tuple[str, Any, Any]] = [("row", k, v) for k, v in env.row.items() if V.is_arr(v)]
    varying += [("lane", k, v) for k, v in env.lanes.items()]
    varying += [("var", k, v) for k, v in env.vars.items() if V.is_arr(v)]
    codes = np.zeros(n, dtype=np.int64)
    for _, _, arr in varying:
        part, uniques = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=False)
        codes = codes * (len(uniques) + 1) + part
    codes = np.unique(codes, return_inverse=True)[1].reshape(-1)
    _, first = np.unique(codes, return_index=True)
    engine.tick(len(first) * 10)
    results: dict[int, Any] = {}
    for i in first:
        ctx = env.ctx
        row = {k: v for k, v in env.row.items() if not V.is_arr(v)}
        vars_ = {k: v for k, v in env.vars.items() if not V.is_arr(v)}
        for kind, key, arr in varying:
            value = V.element(arr, int(i))
            if kind == "row":
                row[key] = value
            elif kind == "var":
                vars_[key] = value
            else:
                ctx = engine.filter_equal(ctx, key, value)
        results[int(codes[i])] = fn(Env(ctx, None, row, {}, vars_, env.home, env.stack))
    if any(isinstance(r, TableVal) for r in results.values()):
        raise engine.fail("a table that differs from group to group is not supported here", "table")
    return V.pack([results[int(c)] for c in codes])
