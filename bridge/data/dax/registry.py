"""What the evaluator's parts share: the values they pass (tables, environments) and the function registries.

Kept apart from the engine so that the modules defining DAX functions and the engine need not
import each other: a function module registers its handlers here, the engine looks them up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bridge.data.dax import values as V
from bridge.data.dax.context import ColKey, Ctx
from bridge.data.dax.syntax import Call

if TYPE_CHECKING:
    from bridge.data.dax.engine import Engine

Handler = Callable[["Engine", tuple, "Env"], Any]
TableHandler = Callable[["Engine", tuple, "Env"], "TableVal"]
FUNCTIONS: dict[str, Handler] = {}
TABLE_FUNCTIONS: dict[str, TableHandler] = {}


def dax_function(*names: str) -> Callable[[Handler], Handler]:
    """Registers a DAX function's handler under its names (handlers get the unevaluated arguments)."""

    def register(fn: Handler) -> Handler:
        for name in names:
            FUNCTIONS[name] = fn
        return fn

    return register


@dataclass
class TableVal:
    """A table value: rows of a model table (`base`, `idx`) or virtual columns keyed by (table, column)."""

    base: str | None = None
    idx: np.ndarray | None = None
    cols: dict[ColKey, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        if self.idx is not None:
            return len(self.idx)
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def row_context(self) -> dict[ColKey, Any]:
        out = dict(self.cols)
        if self.base is not None and self.idx is not None:
            out[(self.base, "__row__")] = self.idx
        return out

    def take(self, keep: np.ndarray) -> TableVal:
        idx = None if self.idx is None else self.idx[keep]
        return TableVal(self.base, idx, {k: v[keep] for k, v in self.cols.items()})


@dataclass(frozen=True)
class Env:
    """Where an expression is evaluated: `n` lanes (None: one value), row context, lane filters, variables."""

    ctx: Ctx
    n: int | None = None
    row: dict[ColKey, Any] = field(default_factory=dict)
    lanes: dict[ColKey, np.ndarray] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    home: str = ""
    stack: tuple[str, ...] = ()


def table_function(*names: str) -> Callable[[TableHandler], TableHandler]:
    """Registers a table function; used where one value is expected it gives its single value."""

    def register(fn: TableHandler) -> TableHandler:
        for name in names:
            TABLE_FUNCTIONS[name] = fn
            FUNCTIONS[name] = _as_value(name)
        return fn

    return register


def _as_value(name: str) -> Handler:
    def value(engine: Engine, args: tuple, env: Env) -> Any:
        tv = engine.table(Call(name, args), env)
        cols = tv.row_context()
        if len(cols) != 1:
            raise engine.fail(f"{name}(…) gives a table with several columns where one value is expected", name)
        values = engine.table_column(tv, next(iter(cols)))
        if len(values) == 0:
            return None
        if len(values) > 1:
            raise engine.fail(f"{name}(…) gives {len(values)} values where one is expected "
                              "(use SELECTEDVALUE, or an aggregation such as MAX)", name)
        return V.scalar(values[0])

    return value


def col_name(key: ColKey) -> str:
    """'Table'[Column], as messages write a column."""
    return f"'{key[0]}'[{key[1]}]"
