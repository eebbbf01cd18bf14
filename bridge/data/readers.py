"""Reading one dataset into a table: its file read, then `where:`, `pivot:`, `counts:` and points applied.

The file itself is read by its format (bridge/data/formats.py: CSV, Excel, Parquet, GeoJSON,
GeoPackage/Shapefile/FlatGeobuf) and its shapes projected to British National Grid metres
(bridge/data/coordinates.py).  `where:` filters rows and `pivot:` turns long (tidy) data into
one column per indicator, before any join (bridge/data/tables.py joins the tables and evaluates
expressions over them).  `counts:` names columns of the table as it is after `where:` and
`pivot:` (`count_columns`).  The dataset's settings come from the scene model, passed in:
nothing here imports it.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from bridge.data import expressions
from bridge.data.coordinates import Polygons, check_valid, project_to_bng, transformer
from bridge.data.formats import (
    check_size,
    listing,
    read_csv,
    read_excel,
    read_geojson,
    read_parquet,
    read_vector,
    resolved_format,
)
from bridge.data.powerbi.reader import load_model, model_table
from bridge.errors import BridgeError, Problem, closest_first, did_you_mean, shown

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset, Pivot, Points
    from bridge.scene.yaml_source import YamlDocument


@dataclass
class Table:
    """One loaded dataset: rows, and polygons or points in British National Grid metres."""

    name: str
    frame: pd.DataFrame
    key: str | None
    geometry: list[Polygons] | None = None
    points: np.ndarray | None = None  # (n, 2)
    counts: frozenset[str] = frozenset()  # columns that count people (`counts:`, resolved by count_columns)
    notes: list[Problem] = field(default_factory=list)  # warnings found reading it (a Power BI measure it cannot evaluate)


LISTED_COLUMNS = 12  # names a message lists before "… (N more)"


def _listing(names) -> str:
    return listing(names, LISTED_COLUMNS)


def missing_column(column, columns, where: str | None = None, *, what: str = "column", owner: str | None = None) -> str:
    """The message for a column that is not there, in one shape everywhere:

    "no column 'X' in WHERE (did you mean 'Y'?); it has: a, b, c, … (N more)", or with `owner`
    "OWNER has no column 'X' (did you mean 'Y'?); it has: …".  The suggestion is sought among all
    `columns`, including those the listing folds into "(N more)".
    """
    names = [str(c) for c in columns]
    if owner:
        head = f"{owner} has no {what} '{column}'"
    else:
        head = f"no {what} '{column}'" + (f" in {where}" if where else "")
    if len(names) > LISTED_COLUMNS:  # a long listing starts with the likeliest names, not the file's first
        return f"{head}{did_you_mean(column, names)}; closest of its columns: {_listing(closest_first(column, names))}"
    return f"{head}{did_you_mean(column, names)}; it has: {_listing(names)}"


@contextmanager
def collector_paused():
    """Python's cycle collector held off while a file is read: reading makes many objects and next
    to no cycles, and each of the collector's full passes walks every object the process holds
    (with matplotlib, VTK and pandas loaded, 0.04–0.1 s a pass; England's LSOAs set off several).
    Objects are still freed as they are dropped; any cycle is collected at the first pass after."""
    if not gc.isenabled():  # held off already (another reader, or the caller): leave it so
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read_dataset(name: str, dataset: Dataset, path: Path, doc: YamlDocument, params=None,
                 rows: pd.DataFrame | None = None) -> Table:
    """One dataset as a Table; `params(name)` gives a parameter's value to its `where:`; `rows`: the
    rows already made from `path` (a Power BI model's measures), to which `where:`, `pivot:` and `counts:` apply."""
    here = ("datasets", name)
    if not path.exists():
        raise BridgeError(doc.problem(here + ("path",), f"file not found: {path} (paths are relative to the scene file)"))
    fmt = resolved_format(dataset) if dataset.path is not None else None  # a model's dataset: its file is under models:
    geometry = points = file_crs = None
    with collector_paused():  # a big file's reading makes millions of objects and next to no cycles
        try:
            check_size(path)
            if rows is not None:
                frame = rows
            elif path.suffix.lower() == ".pbix":  # one table of a Power BI model (bridge/data/powerbi)
                frame = model_table(load_model(path), dataset.table)
            elif fmt == "csv":
                frame = read_csv(path, dataset)
            elif fmt == "excel":
                frame = read_excel(path, dataset)
            elif fmt == "parquet":
                frame = read_parquet(path)
            elif fmt == "vector":
                frame, geometry, points, file_crs = read_vector(path, dataset.layer)
                if geometry is not None:
                    geometry = project_to_bng(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
            else:
                frame, geometry, file_crs = read_geojson(path)
                geometry = project_to_bng(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
            if geometry is not None:
                check_valid(geometry, path)
        except BridgeError as exc:
            raise BridgeError([_located(p, path, doc, here + (getattr(exc, "key", "path"),)) for p in exc.problems]) from None
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {shown(exc)}")) from None
        except Exception as exc:  # a damage the format's reader did not foresee is still the file's, not a crash
            if type(exc).__module__.split(".")[0] in ("openpyxl", "zipfile", "pyarrow", "pyogrio", "shapely"):
                raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {shown(exc)}")) from None
            raise
    frame.columns = [str(c).strip() for c in frame.columns]
    if dataset.key is not None and dataset.key not in frame.columns:
        raise BridgeError(doc.problem(here + ("key",), missing_column(dataset.key, frame.columns, path.name)))
    table = Table(name, frame, dataset.key, geometry)
    if fmt == "vector" and points is not None and dataset.points is None:
        x, y = transformer(dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",)).transform(points[:, 0], points[:, 1])
        table.points = np.column_stack([x, y])
    if dataset.where:
        keep = _evaluate_local(table, dataset.where, doc, here + ("where",), params)
        if not isinstance(keep, pd.Series) or keep.dtype != bool:
            raise BridgeError(doc.problem(here + ("where",), "must be a condition, e.g. period == \"2017/18\""))
        table = _subset(table, keep.to_numpy())
        if table.frame.empty:
            raise BridgeError(doc.problem(here + ("where",), f"no rows of {path.name} are left after '{dataset.where}'"))
    if dataset.pivot:
        table = _pivot(table, dataset, doc, here)
    table.counts = count_columns(table, dataset, path, doc, here)
    if dataset.points:
        table.points = _points(table.frame, dataset, doc, here + ("points",))
    if table.frame.empty:
        raise BridgeError(doc.problem(here + ("path",), f"{path.name} has no rows"))
    return table


def _located(problem: Problem, path: Path, doc: YamlDocument, key_path: tuple) -> Problem:
    """A reader's problem placed at the dataset's key (`path:`, or the `sheet:`/`layer:` it names), with the
    file's name in front where the message lacks it; one already located (a `crs:` problem) stays put."""
    if problem.key is not None:
        return problem
    message = problem.message if path.name in problem.message else f"{path.name}: {problem.message}"
    return doc.problem(key_path, message)


def _evaluate_local(table: Table, text: str, doc: YamlDocument, key_path: tuple, params=None):
    def resolve(ref: expressions.ColumnRef):
        if ref.dataset == "params" and params is not None:
            return params(ref.column)
        if ref.dataset not in (None, table.name) or ref.column not in table.frame.columns:
            raise expressions.ExpressionError(missing_column(ref.column, table.frame.columns, table.name))
        return table.frame[ref.column].reset_index(drop=True)

    def columns(name: str):
        if name != table.name:
            raise expressions.ExpressionError(f"a dataset's where: may use only its own columns, not {name}'s")
        return table.frame.columns

    try:
        return expressions.evaluate(expressions.parse(text), resolve, columns=columns)
    except expressions.ExpressionError as exc:
        raise BridgeError(doc.problem(key_path, str(exc))) from None


def _subset(table: Table, keep: np.ndarray) -> Table:
    geometry = [g for g, k in zip(table.geometry, keep) if k] if table.geometry is not None else None
    return Table(table.name, table.frame[keep].reset_index(drop=True), table.key, geometry)


def _pivot(table: Table, dataset: Dataset, doc: YamlDocument, here: tuple) -> Table:
    pivot = cast("Pivot", dataset.pivot)  # read_dataset calls this only for a dataset with pivot:
    for key in ("columns", "values"):
        column = getattr(pivot, key)
        if column not in table.frame.columns:
            raise BridgeError(doc.problem(here + ("pivot", key), missing_column(column, table.frame.columns)))
    if table.key is None:
        raise BridgeError(doc.problem(here, "pivot needs a key: the column that names each area"))
    frame = table.frame
    twice = frame.duplicated([table.key, pivot.columns])
    if twice.any():
        row = frame[twice].iloc[0]
        raise BridgeError(doc.problem(here + ("pivot",),
            f"several rows for {row[table.key]!r} and {row[pivot.columns]!r}; keep one with where: (e.g. a period)"))
    wide = frame.pivot(index=table.key, columns=pivot.columns, values=pivot.values).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    return Table(table.name, wide, table.key)


def count_columns(table: Table, dataset: Dataset, path: Path, doc: YamlDocument, here: tuple) -> frozenset[str]:
    """The columns `counts:` declares, named as the table is after `where:` and `pivot:`.

    In a pivoted dataset the pivot's `values:` column (e.g. `counts: [value]`) stands for every
    pivoted column (all but the key); a pivoted column can also be named on its own.  An
    aggregated dataset may name its `aggregate: {count: …}` column (it is a count anyway).  A name
    that matches nothing is refused at its line, with the columns that exist — every such name
    at once.
    """
    columns = [str(c) for c in table.frame.columns]
    values = dataset.pivot.values if dataset.pivot else None
    made = [dataset.aggregate.count] if dataset.aggregate and dataset.aggregate.count else []
    counts: set[str] = set()
    problems = []
    for i, column in enumerate(dataset.counts):
        if values is not None and column == values:
            counts.update(c for c in columns if c != table.key)
        elif column in columns or column in made:
            counts.add(column)
        elif values is not None:
            names = [c for c in columns if c != values] + [values]
            problems.append(doc.problem(here + ("counts", i), missing_column(column, names, f"{path.name} once pivoted")
                                        + f"; '{values}', the pivot's values column, makes every pivoted column a count"))
        else:
            problems.append(doc.problem(here + ("counts", i), missing_column(column, columns + made, path.name)))
    if problems:
        raise BridgeError(problems)
    return frozenset(counts)


def _points(frame: pd.DataFrame, dataset: Dataset, doc: YamlDocument, here: tuple) -> np.ndarray:
    spec = cast("Points", dataset.points)  # read_dataset calls this only for a dataset with points:
    for key in ("x", "y"):
        column = getattr(spec, key)
        if column not in frame.columns:
            raise BridgeError(doc.problem(here + (key,), missing_column(column, frame.columns)))
    x = pd.to_numeric(frame[spec.x], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[spec.y], errors="coerce").to_numpy(dtype=float)
    if np.isnan(x).all() or np.isnan(y).all():
        raise BridgeError(doc.problem(here, f"columns '{spec.x}' and '{spec.y}' hold no numbers"))
    bx, by = transformer(spec.crs, doc, here + ("crs",)).transform(x, y)
    return np.column_stack([bx, by])


