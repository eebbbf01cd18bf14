"""Big local files read by DuckDB in-process: the same generated SQL as for a database, confined to one file.

A CSV or Parquet at least DUCKDB_FILE_BYTES large (or any with `engine: duckdb`) is read by DuckDB:
only the columns the scene needs, with `where:` run inside DuckDB as far as it translates
(bridge/data/database/sql.py), so a national table's filtered rows, not the whole file, reach pandas.
A point dataset's coordinates come straight out as NumPy arrays, projected in place.

DuckDB is confined like every reader: it may open only the file Bridge already checked (the scene's
containment, bridge/scene/containment.py) — `allowed_paths` names it, then `enable_external_access` goes
off and the configuration is locked, so no SQL could open another file, the network or an extension;
extensions are neither installed nor loaded automatically; memory and threads are bounded
(DUCKDB_MEMORY_BYTES, DUCKDB_THREADS) and nothing spills to disk.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bridge import limits
from bridge.data.database import frames
from bridge.data.database.sql import FLOAT, INTEGER, TEXT, Ident, Param, Sql, Untranslatable, conjuncts, translate
from bridge.data.expressions import ExpressionError, parse
from bridge.data.formats import resolved_format
from bridge.data.readers import Table, missing_column
from bridge.errors import BridgeError, shown

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset
    from bridge.scene.yaml_source import YamlDocument

log = logging.getLogger("bridge.data.database")
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def uses_duckdb(dataset: Dataset, path: Path) -> bool:
    """Whether DuckDB reads this dataset: asked for (`engine: duckdb`), or a plain CSV or Parquet that is big."""
    if dataset.engine is not None:
        return dataset.engine == "duckdb"
    if resolved_format(dataset) not in ("csv", "parquet") or path.suffix.lower() == ".gz":
        return False
    if dataset.encoding not in (None, "utf-8", "utf8") or dataset.header_row != 1:
        return False
    try:
        return path.stat().st_size >= limits.DUCKDB_FILE_BYTES
    except OSError:
        return False


def confined(path: Path):
    """An in-memory DuckDB that can open `path` and nothing else, with its limits set and locked."""
    import duckdb

    con = duckdb.connect(":memory:", config={
        "autoload_known_extensions": False, "autoinstall_known_extensions": False,
        "memory_limit": f"{limits.DUCKDB_MEMORY_BYTES // 1024**2}MB", "threads": limits.DUCKDB_THREADS})
    allowed = str(path).replace("'", "''")
    con.execute(f"SET allowed_paths = ['{allowed}']")  # a checked path, quoted; SET takes no bound parameters
    con.execute("SET temp_directory = ''")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def read(name: str, dataset: Dataset, path: Path, doc: YamlDocument, params=None) -> Table:
    """Dataset `name` from its file through DuckDB: a Table as pandas' reading would give."""
    import duckdb

    here = ("datasets", name)
    fmt = resolved_format(dataset)
    if fmt not in ("csv", "parquet"):
        raise BridgeError(doc.problem(here + ("engine",), f"DuckDB reads CSV and Parquet here, not {fmt}; "
                                                          "remove engine: duckdb"))
    if not path.exists():
        raise BridgeError(doc.problem(here + ("path",), f"file not found: {path} (paths are relative to the scene file)"))
    source = Sql("read_parquet(", Param(str(path)), ")") if fmt == "parquet" else \
        Sql("read_csv(", Param(str(path)), ", header = true", *((", delim = ", Param(dataset.delimiter))
                                                                 if dataset.delimiter else ()), ")")
    try:
        with confined(path) as con:
            return _read(con, name, dataset, path, doc, params, source)
    except duckdb.Error as exc:
        said = shown(str(exc).replace(str(path), path.name).splitlines()[0], 160)
        raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} with DuckDB: {said}; check it is a "
                                                          "CSV with a header row (UTF-8) or a Parquet file")) from None


def _read(con, name: str, dataset: Dataset, path: Path, doc: YamlDocument, params, source: Sql) -> Table:
    here, label = ("datasets", name), path.name
    text, values = Sql("DESCRIBE SELECT * FROM ", source).duckdb()
    described = {row[0]: str(row[1]) for row in con.execute(text, values).fetchall()}
    kinds = {c: TEXT if t == "VARCHAR" else INTEGER if t in _INTEGERS else FLOAT
             for c, t in described.items() if t == "VARCHAR" or t in _INTEGERS or t in ("DOUBLE", "FLOAT") or
             t.startswith("DECIMAL")}
    wanted = _columns(name, dataset, described, doc, label)
    where, whole = _where(dataset, name, kinds, params)
    if not whole:
        refs = [r.column for r in parse(str(dataset.where)).references() if r.dataset in (None, name)]
        wanted += [c for c in dict.fromkeys(refs) if c in described and c not in wanted]
    statement = Sql("SELECT ", Sql.join(", ", [Sql(Ident.of(c)) for c in wanted]), " FROM ", source)
    if where is not None:
        statement += Sql(" WHERE ", where)
    counted = dataset.aggregate is not None and dataset.points is not None and whole
    most = limits.DUCKDB_MAX_POINTS if counted else limits.MAX_DB_ROWS
    text, values = (statement + f" LIMIT {int(most) + 1}").duckdb()
    relation = con.sql(text, params=values)
    if counted:
        columns = relation.fetchnumpy()
        return _points_table(name, dataset, columns, doc, here, label)
    frame = relation.to_arrow_table().to_pandas()
    if len(frame) > limits.MAX_DB_ROWS:
        raise BridgeError(doc.problem(here + ("path",), f"{label}: more than {limits.MAX_DB_ROWS:,} rows (MAX_DB_ROWS) "
                                                        "after where:; filter them, or count them per area (aggregate:)"))
    return frames.finish(Table(name, frame, dataset.key), dataset, doc, here, params, label, filtered=whole)


def _columns(name: str, dataset: Dataset, described: dict, doc: YamlDocument, label: str) -> list[str]:
    """The columns to read: `columns:`, else for counted points only what the count needs, else all."""
    here = ("datasets", name)
    for i, column in enumerate(dataset.columns or []):
        if column not in described:
            raise BridgeError(doc.problem(here + ("columns", i), missing_column(column, described, label)))
    if dataset.columns:
        wanted = list(dataset.columns)
    elif dataset.aggregate is not None and dataset.points is not None:
        wanted = [dataset.points.x, dataset.points.y, *dataset.aggregate.sum]
    else:
        wanted = list(described)
    extra = [dataset.key] if dataset.key else []
    extra += [dataset.points.x, dataset.points.y] if dataset.points else []
    return list(dict.fromkeys(wanted + [c for c in extra if c in described]))


def _where(dataset: Dataset, name: str, kinds: dict[str, str], params) -> tuple[Sql | None, bool]:
    if not dataset.where:
        return None, True
    try:
        expression = parse(dataset.where)
    except ExpressionError:
        return None, False
    parts, whole = [], True
    for node in conjuncts(expression):
        try:
            parts.append(translate(node, name, kinds, params))
        except (Untranslatable, ExpressionError) as exc:
            whole = False
            log.debug("datasets.%s.where: '%s' is filtered after reading, not in DuckDB: %s", name, dataset.where, exc)
    return (Sql.join(" AND ", parts) if parts else None), whole


def _points_table(name: str, dataset: Dataset, columns: dict, doc: YamlDocument, here: tuple, label: str) -> Table:
    """Counted points: their coordinates projected in place, and only the columns the count sums."""
    spec = dataset.points
    assert spec is not None and dataset.aggregate is not None  # _read calls this only for counted points
    for key in ("x", "y"):
        if getattr(spec, key) not in columns:
            raise BridgeError(doc.problem(here + ("points", key), missing_column(getattr(spec, key), columns, label)))
    x, y = _floats(columns.pop(spec.x)), _floats(columns.pop(spec.y))
    if len(x) > limits.DUCKDB_MAX_POINTS:
        raise BridgeError(doc.problem(here + ("path",), f"{label}: more than {limits.DUCKDB_MAX_POINTS:,} points "
                                                        "(DUCKDB_MAX_POINTS); filter them with where:"))
    if len(x) and (np.isnan(x).all() or np.isnan(y).all()):
        raise BridgeError(doc.problem(here + ("points",), f"columns '{spec.x}' and '{spec.y}' hold no numbers"))
    frames.to_bng_from(spec.crs, doc, here + ("points", "crs")).transform(x, y, inplace=True)
    xy = np.empty((len(x), 2))
    xy[:, 0], xy[:, 1] = x, y
    del x, y
    frame = pd.DataFrame({c: np.asarray(columns[c]) for c in dataset.aggregate.sum if c in columns}, index=pd.RangeIndex(len(xy)))
    table = Table(name, frame, dataset.key, None, xy)
    return frames.finish(table, dataset.model_copy(update={"points": None}), doc, here, None, label, filtered=True)


def _floats(values) -> np.ndarray:
    """A fetched column as a writable float64 array, missing values (a masked array's) as NaN."""
    return np.ascontiguousarray(np.ma.filled(np.ma.asarray(values).astype(float), np.nan))
