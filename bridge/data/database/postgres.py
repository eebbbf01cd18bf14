"""PostgreSQL/PostGIS datasets: a table's columns (or an allowed query) read through psycopg, the work pushed down.

Each read opens its own connection (so re-reading a dataset, as a refresh does, is one more call),
read-only twice over (`default_transaction_read_only=on` and a READ ONLY transaction), with a statement
timeout and a row limit from bridge/limits.py; Ctrl+C cancels the query in the server.  `where:` runs in
the database as far as it translates (bridge/data/database/sql.py); points counted per area of a base
table on the same connection (`aggregate:`) are counted there with ST_Contains, so only one row per area
crosses the wire.  Every failure is one line at the dataset's key, naming the connection, never its secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bridge import limits
from bridge.data.database import frames
from bridge.data.database.connections import Connection, resolve
from bridge.data.database.session import Run, session
from bridge.data.database.sql import FLOAT, INTEGER, TEXT, Ident, Sql, Trusted, Untranslatable, conjuncts, translate
from bridge.data.expressions import ExpressionError, parse
from bridge.data.readers import Table, count_columns, missing_column
from bridge.errors import BridgeError

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset
    from bridge.scene.yaml_source import YamlDocument

log = logging.getLogger("bridge.data.database")
_KINDS = {25: TEXT, 1043: TEXT, 1042: TEXT, 19: TEXT, 20: INTEGER, 21: INTEGER, 23: INTEGER,
          700: FLOAT, 701: FLOAT, 1700: FLOAT}  # PostgreSQL's type OIDs (pg_type.dat)


def read(name: str, dataset: Dataset, doc: YamlDocument, params: Callable | None = None,
         base: tuple[str, Dataset] | None = None) -> Table:
    """Dataset `name` from its connection: a Table as a file's would be, or AreaCounts when its points
    were counted per area of `base` (the base dataset's name and spec) in the database."""
    here = ("datasets", name)
    connection = _connection(dataset, doc, here)
    label = f"{dataset.connection}: {dataset.table or 'query'}"
    with session(connection, doc, here, "query" if dataset.query is not None else "table") as run:
        source = _source(dataset)
        described = _describe(run, source)
        counted = _pushed_count(run, name, dataset, doc, params, base, described, label) if base else None
        if counted is not None:
            return counted
        within = _base_keys(run, name, dataset, params, base, described) if base else None
        return _read_rows(run, name, dataset, doc, params, source, described, label, within)


def _connection(dataset: Dataset, doc: YamlDocument, here: tuple) -> Connection:
    if (dataset.table is None) == (dataset.query is None):
        raise BridgeError(doc.problem(here + ("connection",), "give table: (a table or view, with columns:) or query: "
                                                              "(a SELECT), not both and not neither"))
    try:
        connection = resolve(str(dataset.connection))
    except BridgeError as exc:
        raise BridgeError(doc.problem(here + ("connection",), exc.problems[0].message)) from None
    if dataset.query is not None and not connection.allow_sql:
        raise BridgeError(doc.problem(here + ("query",), connection.problem(
            "the operator's definition does not allow a scene's own SQL; name a table: (Bridge writes the SQL), or "
            "the operator adds allow_sql: true to the definition")))
    return connection


def _source(dataset: Dataset) -> Sql:
    """What the dataset reads FROM: a (schema-qualified) table, or the allowed query as a subquery."""
    if dataset.query is not None:
        return Sql("(", Trusted(dataset.query.strip().rstrip(";")), ")")
    return Sql(Ident.of(*str(dataset.table).split(".", 1)))


def _describe(run: Run, source: Sql, key: str | None = None) -> dict[str, int]:
    """The source's columns and their type OIDs (no rows read); a geometry column's OID is -1."""
    cursor = run(Sql("SELECT * FROM ", source, " AS s LIMIT 0"), key)
    geometry = {row[0] for row in run(Sql("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')"))}
    return {column.name: (-1 if column.type_code in geometry else column.type_code) for column in cursor.description}


def _where(dataset: Dataset, name: str, described: dict[str, int], params, alias: str | None = None) -> tuple[Sql | None, bool]:
    """(SQL for the parts of `where:` that translate, whether that is all of it)."""
    if not dataset.where:
        return None, True
    kinds = {column: _KINDS[oid] for column, oid in described.items() if oid in _KINDS}
    try:
        expression = parse(dataset.where)
    except ExpressionError:
        return None, False  # the pandas path reports it at the where: key
    parts, whole = [], True
    for node in conjuncts(expression):
        try:
            parts.append(translate(node, name, kinds, params, alias))
        except (Untranslatable, ExpressionError) as exc:
            whole = False
            log.debug("datasets.%s.where: '%s' is filtered after reading, not in SQL: %s", name, dataset.where, exc)
    return (Sql.join(" AND ", parts) if parts else None), whole


def _read_rows(run: Run, name: str, dataset: Dataset, doc: YamlDocument, params, source: Sql,
               described: dict[str, int], label: str, within: Sql | None = None) -> Table:
    here = ("datasets", name)
    wanted = list(dataset.columns) if dataset.columns else list(described)
    for i, column in enumerate(wanted):
        if column not in described:
            raise BridgeError(doc.problem(here + ("columns", i), missing_column(column, described, label)))
    where, whole = _where(dataset, name, described, params)
    if dataset.key is not None and dataset.key in described and dataset.key not in wanted:
        wanted.insert(0, dataset.key)
    if not whole:  # the columns the rest of where: reads, for pandas
        refs = [ref.column for ref in parse(str(dataset.where)).references() if ref.dataset in (None, name)]
        wanted += [c for c in dict.fromkeys(refs) if c in described and c not in wanted]
    selected = Sql.join(", ", [Sql("ST_AsEWKB(", Ident.of(c), ") AS ", Ident.of(c)) if described[c] == -1 else Sql(Ident.of(c))
                               for c in wanted])
    statement = Sql("SELECT ", selected, " FROM ", source, " AS s")
    conditions = [part for part in (where, within) if part is not None]
    if conditions:
        statement += Sql(" WHERE ", Sql.join(" AND ", conditions))
    if dataset.key is not None and dataset.key in described:  # a table has no order of its own: rows come in key order
        statement += Sql(" ORDER BY ", Ident.of(dataset.key))
    cursor = run(statement + f" LIMIT {int(limits.MAX_DB_ROWS) + 1}")
    rows = cursor.fetchall()
    if len(rows) > limits.MAX_DB_ROWS:
        raise BridgeError(doc.problem(here + (run.key,), f"{label}: more than {limits.MAX_DB_ROWS:,} rows (MAX_DB_ROWS); "
                                                         "filter them (where:) or count them per area (aggregate:)"))
    columns = list(zip(*rows)) if rows else [() for _ in wanted]
    geometry_columns = [c for c in wanted if described[c] == -1]
    frame = pd.DataFrame({c: frames.column_array(values) for c, values in zip(wanted, columns) if described[c] != -1})
    if not rows:
        raise BridgeError(doc.problem(here + ("where",) if dataset.where else here + (run.key,),
                                      f"{label}: no rows" + (f" are left after '{dataset.where}'" if dataset.where else "")))
    polygons = points = None
    if geometry_columns:
        wkb = np.array([bytes(v) if v is not None else None for v in columns[wanted.index(geometry_columns[0])]], dtype=object)
        polygons, points = frames.shapes_of(wkb, dataset.crs, doc, here, label)
    table = Table(name, frame, dataset.key, polygons, points)
    return frames.finish(table, dataset, doc, here, params, label, filtered=whole)


def _base_keys(run: Run, name: str, dataset: Dataset, params, base: tuple[str, Dataset],
               described: dict[str, int]) -> Sql | None:
    """For a table joined to a base table of the same connection, on text keys: only the rows whose key is
    one of the base's areas (those its `where:` keeps, as far as that translates), so a national table
    joined to one county's areas sends the county's rows.  Keys compare trimmed, as joins do."""
    base_name, base_spec = base
    if base_name == name or dataset.join is not True or base_spec.connection != dataset.connection \
            or base_spec.key is None or dataset.key is None or _KINDS.get(described.get(dataset.key, 0)) != TEXT \
            or (base_spec.query is not None and not run.connection.allow_sql):
        return None
    base_source = _source(base_spec)
    base_described = _describe(run, base_source, "join")
    if _KINDS.get(base_described.get(base_spec.key, 0)) != TEXT:
        return None
    base_where, _ = _where(base_spec, base_name, base_described, params, alias="b")
    keys = Sql("SELECT trim(", Ident.of("b", base_spec.key), ") FROM ", base_source, " AS b")
    if base_where is not None:
        keys += Sql(" WHERE ", base_where)
    return Sql("trim(", Ident.of("s", dataset.key), ") IN (", keys, ")")


def _pushed_count(run: Run, name: str, dataset: Dataset, doc: YamlDocument, params, base: tuple[str, Dataset],
                  described: dict[str, int], label: str) -> Table | None:
    """Points counted (and summed) per base area in the database, or None when that cannot be done there."""
    base_name, base_spec = base
    aggregate = dataset.aggregate
    if aggregate is None or dataset.points is not None or base_spec.connection != dataset.connection or base_name == name \
            or base_spec.key is None or (base_spec.query is not None and not run.connection.allow_sql):
        return None
    base_source = _source(base_spec)
    base_described = _describe(run, base_source, "aggregate")
    area_geometry = [c for c, oid in base_described.items() if oid == -1]
    point_geometry = [c for c, oid in described.items() if oid == -1]
    where, whole = _where(dataset, name, described, params, alias="p")
    if not (area_geometry and point_geometry and whole and base_spec.key in base_described):
        return None
    here = ("datasets", name)
    for i, column in enumerate(aggregate.sum):
        if column not in described:
            raise BridgeError(doc.problem(here + ("aggregate", "sum", i), missing_column(column, described, label)))
    a_geom, p_geom = Ident.of("a", area_geometry[0]), Ident.of("p", point_geometry[0])
    srid = [run(Sql("SELECT ST_SRID(", Ident.of(g), ") FROM ", src, " AS s LIMIT 1")).fetchone()
            for g, src in ((area_geometry[0], base_source), (point_geometry[0], _source(dataset)))]
    point: Sql = Sql(p_geom)
    if srid[0] and srid[1] and srid[0][0] != srid[1][0]:
        point = Sql("ST_Transform(", p_geom, f", {int(srid[0][0])})")
    key = Ident.of("a", base_spec.key)
    inner: list[Any] = ["count(*) AS _n"] + [Sql("sum(", Ident.of("p", c), f") AS _s{i}") for i, c in enumerate(aggregate.sum)]
    outer: list[Any] = [Sql(key, " AS ", Ident.of(base_spec.key))]
    outer += [Sql("c._n::float8 AS ", Ident.of(aggregate.count))] if aggregate.count else []
    outer += [Sql(f"coalesce(c._s{i}, 0)::float8 AS ", Ident.of(c)) for i, c in enumerate(aggregate.sum)]
    # Area by area (LATERAL): each area's points found through the points' spatial index and tested against
    # the same polygon over and over, which PostGIS prepares once; a point-by-point join probes a new polygon each time.
    counted = Sql("SELECT ", Sql.join(", ", inner), " FROM ", _source(dataset),
                  " AS p WHERE ST_Contains(", a_geom, ", ", point, ")")
    if where is not None:
        counted += Sql(" AND ", where)
    statement = Sql("SELECT ", Sql.join(", ", outer), " FROM ", base_source,
                    " AS a LEFT JOIN LATERAL (", counted, ") AS c ON true")
    rows = run(statement + f" LIMIT {int(limits.MAX_DB_ROWS) + 1}").fetchall()
    names = [base_spec.key] + ([aggregate.count] if aggregate.count else []) + list(aggregate.sum)
    frame = pd.DataFrame({c: frames.column_array(v) for c, v in zip(names, zip(*rows))} if rows else dict.fromkeys(names, ()))
    log.debug("datasets.%s: points counted per area in the database (%d areas)", name, len(frame))
    table = frames.AreaCounts(name, frame, base_spec.key)
    table.counts = count_columns(table, dataset, Path(label), doc, here)
    if dataset.personal and aggregate.count:
        table.counts = table.counts | {aggregate.count}
    return table
