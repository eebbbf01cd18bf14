"""The filter context: which rows of each table a DAX expression sees, with filters flowing along relationships.

A context holds column filters (allowed values of one column) and row filters (a mask over one
table's rows, from a table filter or a row made current by context transition).  A table's
visible rows are its own filters, and, for each active relationship that points filters at it,
the rows whose key is among the visible keys of the table on the other end: from the one side
to the many side, and back too where the relationship is both-directional.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bridge.data.powerbi.model import PowerBIModel, Relationship

ColKey = tuple[str, str]
_ids = itertools.count(1)


@dataclass(frozen=True)
class RowFilter:
    """A mask over `table`'s rows; `columns` are the columns it stands for (removed with any of them)."""

    table: str
    columns: frozenset[str]
    mask: np.ndarray
    ident: int = field(default_factory=lambda: next(_ids))


@dataclass(frozen=True)
class Ctx:
    """An immutable filter context; each change makes a new one (cheap: dicts of references)."""

    cols: dict[ColKey, np.ndarray] = field(default_factory=dict)
    rows: tuple[RowFilter, ...] = ()
    active: frozenset[Relationship] = frozenset()  # relationships USERELATIONSHIP turned on
    memo: dict[str, np.ndarray | None] = field(default_factory=dict, compare=False, hash=False)

    def key(self) -> tuple:
        """What identifies this context for the evaluator's memo: small filters by their values, others by identity."""
        cols = tuple(sorted((k, tuple(v.tolist()) if len(v) <= 64 else id(v)) for k, v in self.cols.items()))
        return (cols, tuple(r.ident for r in self.rows), self.active)

    def with_column(self, col: ColKey, values: np.ndarray, keep: bool = False) -> Ctx:
        """`col` limited to `values`: replacing its filters (CALCULATE) or, with `keep`, within them."""
        cols = dict(self.cols)
        rows = self.rows
        if keep and col in cols:
            values = np.asarray(pd.Index(cols[col]).intersection(pd.Index(values)))
        elif not keep:
            rows = tuple(r for r in rows if not (r.table == col[0] and col[1] in r.columns))
        cols[col] = np.asarray(values)
        return replace(self, cols=cols, rows=rows, memo={})

    def with_rows(self, rf: RowFilter, keep: bool = False) -> Ctx:
        """A row filter added, replacing the filters on the columns it stands for unless `keep`."""
        ctx = self if keep else self.without(columns=[(rf.table, c) for c in rf.columns])
        return replace(ctx, rows=ctx.rows + (rf,), memo={})

    def without(self, columns: Iterable[ColKey] = (), tables: Collection[str] = frozenset(), everything: bool = False) -> Ctx:
        if everything:
            return Ctx(active=self.active)
        drop = set(columns)
        cols = {k: v for k, v in self.cols.items() if k not in drop and k[0] not in tables}
        rows = tuple(r for r in self.rows if r.table not in tables and not any((r.table, c) in drop for c in r.columns))
        return replace(self, cols=cols, rows=rows, memo={})

    def filtered_tables(self) -> set[str]:
        return {k[0] for k in self.cols} | {r.table for r in self.rows}


class ModelIndex:
    """What the evaluator asks of the model again and again, computed once: relationships by table, lookups."""

    def __init__(self, model: PowerBIModel):
        self.model = model
        self.tables = model.tables
        self._lookup: dict[tuple, np.ndarray] = {}
        self._paths: dict[tuple[str, str], list[Relationship] | None] = {}
        self._cols: dict[ColKey, np.ndarray] = {}

    def col(self, table: str, name: str) -> np.ndarray:
        """A model column as numpy (see `column`), converted once."""
        key = (table, name)
        if key not in self._cols:
            self._cols[key] = np.arange(len(self.tables[table])) if name == "__row__" else column(self.tables[table], name)
        return self._cols[key]

    def rels(self, ctx: Ctx) -> list[Relationship]:
        """The relationships in use: the active ones, with USERELATIONSHIP's replacing their rivals."""
        used = [r for r in self.model.relationships if r.active and not any(_same_pair(r, a) for a in ctx.active)]
        return used + [r for r in ctx.active if not r.active]

    def visible(self, table: str, ctx: Ctx) -> np.ndarray | None:
        """`table`'s visible rows as a mask, or None when nothing filters it."""
        if table in ctx.memo:
            return ctx.memo[table]
        result = self._visible(table, ctx, frozenset())
        ctx.memo[table] = result
        return result

    def _visible(self, table: str, ctx: Ctx, seen: frozenset[str]) -> np.ndarray | None:
        seen = seen | {table}
        df = self.tables[table]
        mask: np.ndarray | None = None

        def both(m: np.ndarray) -> None:
            nonlocal mask
            mask = m if mask is None else (mask & m)

        for (t, c), values in ctx.cols.items():
            if t == table:
                both(df[c].isin(values).to_numpy(dtype=bool))
        for rf in ctx.rows:
            if rf.table == table:
                both(rf.mask)
        for rel in self.rels(ctx):
            for here, here_col, there, there_col, flows in (
                (rel.from_table, rel.from_column, rel.to_table, rel.to_column, True),
                (rel.to_table, rel.to_column, rel.from_table, rel.from_column, rel.both_directions),
            ):
                if here != table or not flows or there in seen:
                    continue
                other = self._visible(there, ctx, seen)
                if other is None:
                    continue
                keys = self.tables[there][there_col].to_numpy()[other]
                both(df[here_col].isin(keys).to_numpy(dtype=bool))
        return mask

    def propagates(self, source: str, target: str, ctx: Ctx) -> bool:
        """Whether a filter on `source` can change what `target` sees."""
        frontier, seen = [source], {source}
        while frontier:
            t = frontier.pop()
            if t == target:
                return True
            for rel in self.rels(ctx):
                for a, b, flows in ((rel.to_table, rel.from_table, True), (rel.from_table, rel.to_table, rel.both_directions)):
                    if a == t and flows and b not in seen:
                        seen.add(b)
                        frontier.append(b)
        return False

    def path(self, start: str, goal: str, ctx: Ctx) -> list[Relationship] | None:
        """Many-to-one relationships leading from `start` to `goal` (RELATED's way), or None."""
        key = (start, goal) if not ctx.active else None
        if key is not None and key in self._paths:
            return self._paths[key]
        found = self._search(start, goal, ctx)
        if key is not None:
            self._paths[key] = found
        return found

    def _search(self, start: str, goal: str, ctx: Ctx) -> list[Relationship] | None:
        frontier: list[tuple[str, list[Relationship]]] = [(start, [])]
        seen = {start}
        while frontier:
            t, route = frontier.pop(0)
            if t == goal:
                return route
            for rel in self.rels(ctx):
                if rel.from_table == t and rel.to_table not in seen and rel.cardinality != "many-to-many":
                    seen.add(rel.to_table)
                    frontier.append((rel.to_table, route + [rel]))
        return None

    def expanded(self, table: str, ctx: Ctx) -> set[str]:
        """The table and every table its rows reach by many-to-one relationships (DAX's expanded table)."""
        return {t for t in self.tables if self.path(table, t, ctx) is not None}

    def row_index(self, start: str, goal: str, ctx: Ctx) -> np.ndarray:
        """For each row of `start`, the row of `goal` it relates to (-1 where none)."""
        route = self.path(start, goal, ctx)
        if route is None:
            raise KeyError((start, goal))
        key = (start, goal, tuple(route))
        if key not in self._lookup:
            idx = np.arange(len(self.tables[start]))
            for rel in route:
                fk = self.tables[rel.from_table][rel.from_column].to_numpy()
                pk = pd.Index(self.tables[rel.to_table][rel.to_column].to_numpy())
                if not pk.is_unique:
                    pk = pk.drop_duplicates()
                step = pk.get_indexer(fk)
                idx = np.where(idx >= 0, step[np.maximum(idx, 0)], -1)
            self._lookup[key] = idx
        return self._lookup[key]

    def related_values(self, start: str, col: ColKey, ctx: Ctx) -> np.ndarray:
        """`col`'s value for each row of `start` through many-to-one relationships (None where unmatched)."""
        if col[0] == start:
            return self.col(*col)
        idx = self.row_index(start, col[0], ctx)
        values = self.col(*col)
        if values.dtype == bool:
            values = values.astype(float)
        return pd.api.extensions.take(values, idx, allow_fill=True)


def column(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as numpy: floats for numbers (NaN for missing), datetime64 for dates, objects otherwise."""
    s = df[name]
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.to_numpy(dtype="datetime64[ns]")
    return s.astype(object).where(s.notna(), None).to_numpy(dtype=object)


def _same_pair(r: Relationship, a: Relationship) -> bool:
    return {r.from_table, r.to_table} == {a.from_table, a.to_table} and r != a
