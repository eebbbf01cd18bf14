"""DAX's one-value functions: logic (IF, SWITCH…), numbers, text, dates and what the filter context holds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from bridge.data.dax import lanes
from bridge.data.dax import values as V
from bridge.data.dax.engine import Engine
from bridge.data.dax.errors import DaxError, LaneLoop
from bridge.data.dax.formatting import format_value
from bridge.data.dax.registry import Env, dax_function
from bridge.data.dax.syntax import Col, Ident
from bridge.data.dax.tables import distinct_values


def _args(engine: Engine, args: tuple, env: Env, count: tuple[int, int]) -> list[Any]:
    lo, hi = count
    if not lo <= len(args) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise engine.fail(f"{engine.calling} takes {want} arguments, not {len(args)}", engine.calling)
    return [None if a is None else engine.eval(a, env) for a in args]


def _simple(name: str, fn: Any, count: tuple[int, int]) -> None:
    def handler(engine: Engine, args: tuple, env: Env) -> Any:
        values = _args(engine, args, env, count)
        try:
            return V.lift(fn, values, env.n)
        except (ValueError, TypeError, OverflowError) as exc:
            raise engine.fail(f"{name}: {exc}", name) from exc

    dax_function(name)(handler)


def _num(x: Any) -> float | None:
    return V.numeric(x)


def _round(x: Any, digits: Any = 0.0, how: str = "round") -> float | None:
    if x is None:
        return None
    scale = 10 ** int(_num(digits) or 0)
    value = float(_num(x) or 0.0) * scale
    if how == "round":
        r = math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)  # half away from zero, as DAX
    elif how == "up":
        r = math.ceil(abs(value)) * (1 if value >= 0 else -1)
    else:
        r = math.trunc(value)
    return r / scale


def _date(x: Any) -> pd.Timestamp | None:
    if x is None or isinstance(x, pd.Timestamp):
        return x
    if isinstance(x, str):
        return pd.Timestamp(x)
    return pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(x))


def _part(x: Any, part: str) -> float | None:
    d = _date(x)
    return None if d is None else float(getattr(d, part))


def _make_date(y: Any, m: Any, d: Any) -> pd.Timestamp:
    year, month, day = int(_num(y) or 0), int(_num(m) or 0), int(_num(d) or 0)
    first = pd.Timestamp(year=year + (month - 1) // 12, month=(month - 1) % 12 + 1, day=1)
    return first + pd.Timedelta(days=day - 1)


def _eomonth(x: Any, months: Any) -> pd.Timestamp | None:
    d = _date(x)
    if d is None:
        return None
    return (d.normalize() + pd.offsets.MonthEnd(0)) + pd.offsets.MonthEnd(int(_num(months) or 0))


def _edate(x: Any, months: Any) -> pd.Timestamp | None:
    d = _date(x)
    return None if d is None else d + pd.DateOffset(months=int(_num(months) or 0))


def _divide(a: Any, b: Any, alt: Any = None) -> Any:
    x, y = _num(a), _num(b)
    if y is None or y == 0:
        return alt
    return None if x is None else x / y


for _name_, _fn, _count in [
    ("ABS", lambda x: None if x is None else abs(float(_num(x) or 0.0)), (1, 1)),
    ("ROUND", lambda x, d=0.0: _round(x, d), (1, 2)),
    ("ROUNDUP", lambda x, d=0.0: _round(x, d, "up"), (1, 2)),
    ("ROUNDDOWN", lambda x, d=0.0: _round(x, d, "down"), (1, 2)),
    ("INT", lambda x: None if x is None else float(math.floor(float(_num(x) or 0.0))), (1, 1)),
    ("MOD", lambda x, y: (_num(x) or 0.0) % (_num(y) or math.nan), (2, 2)),
    ("POWER", lambda x, y: (_num(x) or 0.0) ** (_num(y) or 0.0), (2, 2)),
    ("SQRT", lambda x: math.sqrt(_num(x) or 0.0), (1, 1)),
    ("YEAR", lambda x: _part(x, "year"), (1, 1)),
    ("MONTH", lambda x: _part(x, "month"), (1, 1)),
    ("DAY", lambda x: _part(x, "day"), (1, 1)),
    ("QUARTER", lambda x: _part(x, "quarter"), (1, 1)),
    ("DATE", _make_date, (3, 3)),
    ("EOMONTH", _eomonth, (2, 2)),
    ("EDATE", _edate, (2, 2)),
    ("DATEVALUE", lambda x: None if x is None else pd.Timestamp(V.text(x)).normalize(), (1, 1)),
    ("UNICHAR", lambda x: chr(int(_num(x) or 0)), (1, 1)),
    ("LEFT", lambda s, k=1.0: V.text(s)[: int(_num(k) or 0)], (1, 2)),
    ("RIGHT", lambda s, k=1.0: V.text(s)[-int(_num(k) or 0):] if int(_num(k) or 0) else "", (1, 2)),
    ("LEN", lambda s: float(len(V.text(s))), (1, 1)),
    ("UPPER", lambda s: V.text(s).upper(), (1, 1)),
    ("LOWER", lambda s: V.text(s).lower(), (1, 1)),
    ("TRIM", lambda s: " ".join(V.text(s).split()), (1, 1)),
    ("CONCATENATE", lambda a, b: V.text(a) + V.text(b), (2, 2)),
    ("VALUE", lambda s: None if s is None else float(V.text(s)), (1, 1)),
    ("FORMAT", lambda x, f, locale=None: format_value(x, V.text(f)), (2, 3)),
    ("DIVIDE", _divide, (2, 3)),
    ("ISBLANK", lambda x: x is None, (1, 1)),
    ("BLANK", lambda: None, (0, 0)),
    ("TRUE", lambda: True, (0, 0)),
    ("FALSE", lambda: False, (0, 0)),
]:
    _simple(_name_, _fn, _count)


@dax_function("TODAY", "NOW", "UTCTODAY", "UTCNOW")
def _today(engine: Engine, args: tuple, env: Env) -> Any:
    return engine.today


@dax_function("IF")
def _if(engine: Engine, args: tuple, env: Env) -> Any:
    if not 2 <= len(args) <= 3:
        raise engine.fail("IF takes 2 or 3 arguments", "IF")
    cond = V.truth(engine.eval(args[0], env))
    other = args[2] if len(args) == 3 else None
    return _choose(engine, cond, args[1], other, env)


def _choose(engine: Engine, cond: Any, then: object, other: object, env: Env) -> Any:
    """cond ? then : other, evaluating a branch only where some lane takes it."""
    if not V.is_arr(cond):
        branch = then if cond else other
        return None if branch is None else engine.eval(branch, env)
    if cond.all() or not cond.any():
        branch = then if cond.all() else other
        return None if branch is None else engine.eval(branch, env)
    try:
        a = None if then is None else engine.eval(then, env)
        b = None if other is None else engine.eval(other, env)
    except DaxError as exc:
        raise LaneLoop() from exc
    return _where(cond, a, b, env.n or 0)


def _where(cond: np.ndarray, a: Any, b: Any, n: int) -> Any:
    if all(x is None or isinstance(x, float) or (V.is_arr(x) and x.dtype.kind == "f") for x in (a, b)):
        return np.where(cond, np.nan if a is None else a, np.nan if b is None else b)
    return V.pack([V.element(a, i) if cond[i] else V.element(b, i) for i in range(n)])


@dax_function("SWITCH")
def _switch(engine: Engine, args: tuple, env: Env) -> Any:
    if len(args) < 3:
        raise engine.fail("SWITCH takes an expression and value/result pairs", "SWITCH")
    subject = engine.eval(args[0], env)
    pairs = [(args[i], args[i + 1]) for i in range(1, len(args) - 1, 2)]
    default = args[-1] if len(args) % 2 == 0 else None
    return _switch_from(engine, subject, pairs, default, env)


def _switch_from(engine: Engine, subject: Any, pairs: list, default: object, env: Env) -> Any:
    if not pairs:
        return None if default is None else engine.eval(default, env)
    value, result = pairs[0]
    cond = V.compare("=", subject, engine.eval(value, env), env.n)
    if V.is_arr(cond) and not (cond.all() or not cond.any()):
        try:
            a = engine.eval(result, env)
            b = _switch_from(engine, subject, pairs[1:], default, env)
        except DaxError as exc:
            raise LaneLoop() from exc
        return _where(cond, a, b, env.n or 0)
    if (cond.all() if V.is_arr(cond) else cond):
        return engine.eval(result, env)
    return _switch_from(engine, subject, pairs[1:], default, env)


@dax_function("AND", "OR")
def _and_or(engine: Engine, args: tuple, env: Env) -> Any:
    both = engine.calling == "AND"
    a, b = (V.truth(x) for x in _args(engine, args, env, (2, 2)))
    if V.is_arr(a) or V.is_arr(b):
        return (np.logical_and if both else np.logical_or)(a, b)
    return (a and b) if both else (a or b)


@dax_function("NOT")
def _not(engine: Engine, args: tuple, env: Env) -> Any:
    t = V.truth(_args(engine, args, env, (1, 1))[0])
    return ~t if V.is_arr(t) else not t


@dax_function("COALESCE")
def _coalesce(engine: Engine, args: tuple, env: Env) -> Any:
    values = _args(engine, args, env, (2, 64))
    return V.lift(lambda *xs: next((x for x in xs if x is not None), None), values, env.n)


@dax_function("SELECTEDVALUE", "HASONEVALUE", "HASONEFILTER")
def _selected(engine: Engine, args: tuple, env: Env) -> Any:
    name = engine.calling
    key = engine.column_key(args[0], env)
    if key in env.lanes:
        lane = env.lanes[key]
        return np.ones(len(lane), dtype=bool) if name != "SELECTEDVALUE" else lane
    if env.n is not None and not lanes.lane_free(engine, args[0], env):
        raise LaneLoop()
    values = distinct_values(engine, key, env.ctx)
    if name != "SELECTEDVALUE":
        return len(values) == 1
    if len(values) == 1:
        return V.scalar(values[0])
    return engine.eval(args[1], env) if len(args) > 1 and args[1] is not None else None


@dax_function("ISFILTERED", "ISCROSSFILTERED")
def _isfiltered(engine: Engine, args: tuple, env: Env) -> Any:
    node = args[0]
    if isinstance(node, Ident):
        table = node.name
        direct = any(k[0] == table for k in list(env.ctx.cols) + list(env.lanes)) or any(r.table == table for r in env.ctx.rows)
    else:
        key = engine.column_key(node, env)
        table = key[0]
        direct = key in env.ctx.cols or key in env.lanes or any(
            r.table == table and key[1] in r.columns for r in env.ctx.rows)
    if direct or engine.calling == "ISFILTERED":
        return direct
    return any(engine.index.propagates(t, table, env.ctx) for t in env.ctx.filtered_tables() | {k[0] for k in env.lanes})


@dax_function("RELATED")
def _related(engine: Engine, args: tuple, env: Env) -> Any:
    if not isinstance(args[0], Col) or args[0].table is None:
        raise engine.fail("RELATED takes a column as 'Table'[Column]", "RELATED")
    target = engine.column_key(args[0], env)
    for (table, column), idx in env.row.items():
        if column != "__row__" or table not in engine.model.tables:
            continue
        if engine.index.path(table, target[0], env.ctx) is None:
            continue
        values = engine.index.related_values(table, target, env.ctx)
        return values[idx] if V.is_arr(idx) else V.scalar(values[int(idx)])
    raise engine.fail(f"RELATED('{target[0]}'[{target[1]}]) outside a row of a table related to it", "RELATED")
