"""Data tables: load the scene's datasets, join them, compute derived measures.

Every dataset is read once (CSV, Excel, Parquet, GeoJSON), filtered (`where:`), pivoted
from long to wide form if asked, and its coordinates projected to British National Grid
metres.  Joinable datasets are aligned to the base dataset's rows (a left join: the base's
areas keep their order; areas missing elsewhere become gaps), on their key or, for
many-to-one joins, on a column of the joined table.  Points can be counted per area.
Panel types then ask for expressions over those aligned columns (bridge/panels/).
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from bridge import expressions
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.scene import Dataset, Scene
from bridge.yaml_source import YamlDocument

BNG = "EPSG:27700"
Polygons = list  # of polygons, each a list of rings, each an (n, 2) array in BNG metres


@dataclass
class Table:
    """One loaded dataset: rows, and polygons or points in British National Grid metres."""

    name: str
    frame: pd.DataFrame
    key: str | None
    geometry: list[Polygons] | None = None
    points: np.ndarray | None = None  # (n, 2)


@dataclass
class JoinReport:
    dataset: str
    matched: int
    base_rows: int
    unmatched_keys: list[str] = field(default_factory=list)


@dataclass
class SceneData:
    """The scene's tables aligned on the base dataset's rows, ready for expressions."""

    scene: Scene
    doc: YamlDocument
    tables: dict[str, Table]
    aligned: dict[str, pd.DataFrame]  # joinable datasets, one row per base row
    derived: dict[str, pd.Series]
    joins: list[JoinReport]
    counts: set[tuple[str | None, str]] = field(default_factory=set)  # (dataset or None for measures, column)

    @property
    def base(self) -> Table:
        return self.tables[self.scene.base_name]

    @property
    def min_count(self) -> int:
        return self.scene.disclosure.min_count

    def evaluate(self, text: str, key_path: tuple, dataset: str | None = None):
        """Evaluate an expression for a panel (or a derived measure) with located errors."""
        dataset = dataset or self.scene.base_name
        expr = expressions.parse(text)
        try:
            return expressions.evaluate(expr, lambda ref: self._column(ref, dataset))
        except expressions.ExpressionError as exc:
            raise BridgeError(self.doc.problem(key_path, str(exc))) from None

    def _column(self, ref: expressions.ColumnRef, dataset: str) -> pd.Series:
        on_base = dataset == self.scene.base_name or dataset in self.aligned
        if ref.dataset is None:
            if ref.column in self.derived and on_base:
                return self.derived[ref.column]
            frame = self.aligned[dataset] if dataset in self.aligned else self.tables[dataset].frame
            if ref.column in frame.columns:
                return frame[ref.column]
            names = list(frame.columns) + (list(self.derived) if on_base else [])
            raise expressions.ExpressionError(missing_column(ref.column, names, dataset, what="column or measure"))
        if ref.dataset not in self.tables:
            raise expressions.ExpressionError(
                f"no dataset '{ref.dataset}'{did_you_mean(ref.dataset, self.tables)}; datasets: {', '.join(self.tables)}")
        if ref.dataset != dataset and not (on_base and ref.dataset in self.aligned):
            raise expressions.ExpressionError(
                f"dataset '{ref.dataset}' is not joined to '{dataset}'; use its columns in a panel with data: {ref.dataset}")
        frame = self.aligned.get(ref.dataset, self.tables[ref.dataset].frame) if on_base else self.tables[ref.dataset].frame
        if ref.column not in frame.columns:
            raise expressions.ExpressionError(missing_column(ref.column, frame.columns, owner=f"dataset '{ref.dataset}'"))
        return frame[ref.column]

    def summary(self) -> str:
        base = self.base
        joins = ", ".join(f"{j.dataset} {j.matched}/{j.base_rows}" for j in self.joins)
        return f"{len(base.frame)} rows in {base.name}" + (f"; joined {joins}" if joins else "")


def _listing(names, limit: int = 12) -> str:
    names = [str(n) for n in names]
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


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
    return f"{head}{did_you_mean(column, names)}; it has: {_listing(names)}"


def transformer(crs: str, doc: YamlDocument, key_path: tuple) -> Transformer:
    """A transformer from `crs` to British National Grid, or a located error for an unknown CRS."""
    try:
        return Transformer.from_crs(CRS.from_user_input(crs), BNG, always_xy=True)
    except CRSError:
        raise BridgeError(doc.problem(key_path, f"unknown coordinate system '{crs}'; use EPSG:4326 or EPSG:27700")) from None


def load_data(scene: Scene, doc: YamlDocument) -> SceneData:
    """Read every dataset, join to the base, aggregate points and compute derived measures."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name, dataset in scene.datasets.items():
        try:
            tables[name] = _read(name, dataset, scene.data_path(dataset), doc)
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)

    base = tables[scene.base_name]
    if base.key is None:
        raise BridgeError(doc.problem(("datasets", base.name), "the base dataset needs a key: the column of area codes"))
    base_keys = _keys(base.frame[base.key])
    if base_keys.duplicated().any():
        dup = base_keys[base_keys.duplicated()].iloc[0]
        raise BridgeError(doc.problem(("datasets", base.name, "key"), f"key '{base.key}' repeats ('{dup}'); the base dataset needs one row per area"))
    data = SceneData(scene, doc, tables, {base.name: base.frame.reset_index(drop=True)}, {}, [])
    for name, dataset in scene.datasets.items():
        data.counts.update((name, c) for c in dataset.counts)
    # Joins on the key first, then many-to-one joins (which may use columns joined before them).
    order = sorted((n for n in tables if n != base.name), key=lambda n: isinstance(scene.datasets[n].join, bool) is False)
    for name in order:
        dataset = scene.datasets[name]
        try:
            if dataset.aggregate is not None:
                _aggregate_points(data, name)
            elif dataset.join is not False:
                _join(data, name, base_keys)
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)

    for name in scene.derive:
        measure = scene.measure(name)
        value = data.evaluate(measure.expr, ("derive", name))
        if not isinstance(value, pd.Series):
            value = pd.Series(np.full(len(base.frame), value))
        data.derived[name] = value.reset_index(drop=True)
    return data


def _join(data: SceneData, name: str, base_keys: pd.Series) -> None:
    scene, doc, table = data.scene, data.doc, data.tables[name]
    dataset = scene.datasets[name]
    here = ("datasets", name)
    if table.key is None:
        raise BridgeError(doc.problem(here, "a joined dataset needs a key (or set join: false)"))
    keys = _keys(table.frame[table.key])
    if keys.duplicated().any():
        dup = keys[keys.duplicated()].iloc[0]
        raise BridgeError(doc.problem(here + ("key",),
            f"key '{table.key}' repeats ('{dup}') so it cannot join one row per area; filter it (where:), pivot it, or set join: false"))
    if isinstance(dataset.join, bool):
        targets, against = base_keys, f"the {scene.base_name} keys in '{data.base.key}'"
    else:
        value = data.evaluate(dataset.join.on, here + ("join", "on"))
        if not isinstance(value, pd.Series):
            raise BridgeError(doc.problem(here + ("join", "on"), "must name a column of the joined table"))
        targets, against = _keys(value), f"'{dataset.join.on}'"
    frame = table.frame.set_axis(keys.to_numpy(), axis=0)
    matched = targets.isin(frame.index)
    if not matched.any():
        raise BridgeError(doc.problem(here + ("key",),
            f"no key in '{table.key}' matches {against} (e.g. {keys.iloc[0]!r} vs {targets.iloc[0]!r}); check both key columns"))
    data.aligned[name] = frame.reindex(targets.to_numpy()).reset_index(drop=True)
    data.joins.append(JoinReport(name, int(matched.sum()), len(targets), sorted(set(targets[~matched].tolist()))))


def _aggregate_points(data: SceneData, name: str) -> None:
    """Count (and sum) points per base polygon, as a table aligned to the base."""
    import shapely

    scene, doc, table = data.scene, data.doc, data.tables[name]
    agg = scene.datasets[name].aggregate
    here = ("datasets", name, "aggregate")
    base = data.base
    if table.points is None:
        raise BridgeError(doc.problem(here, "aggregate needs points: give the dataset points: {x: …, y: …}"))
    if base.geometry is None:
        raise BridgeError(doc.problem(here, f"the base dataset '{base.name}' has no polygons to count points in"))
    polygons = shapely_areas(base.geometry)
    tree = shapely.STRtree(polygons)
    xy = table.points
    valid = np.isfinite(xy).all(axis=1)
    point_idx, area_idx = tree.query(shapely.points(xy[valid]), predicate="within")
    point_idx = np.flatnonzero(valid)[point_idx]
    n = len(polygons)
    out = {}
    if agg.count:
        out[agg.count] = np.bincount(area_idx, minlength=n).astype(float)
        data.counts.add((name, agg.count))
    for column in agg.sum:
        if column not in table.frame.columns:
            raise BridgeError(doc.problem(here + ("sum",), missing_column(column, table.frame.columns)))
        values = pd.to_numeric(table.frame[column], errors="coerce").to_numpy(dtype=float)
        out[column] = np.bincount(area_idx, weights=np.nan_to_num(values[point_idx]), minlength=n)
        if column in scene.datasets[name].counts:
            data.counts.add((name, column))
    data.aligned[name] = pd.DataFrame(out)
    data.joins.append(JoinReport(name, int(len(np.unique(area_idx))), n, []))


def shapely_areas(geometry: list) -> list:
    """Our polygons (lists of rings) as shapely multipolygons, holes kept."""
    import shapely

    return [shapely.multipolygons([shapely.polygons(p[0], p[1:] or None) for p in areas]) for areas in geometry]


def _keys(column: pd.Series) -> pd.Series:
    """Area codes as stripped text, so ' E01028826' and 'E01028826' match."""
    return column.astype(str).str.strip().reset_index(drop=True)


def _read(name: str, dataset: Dataset, path: Path, doc: YamlDocument) -> Table:
    here = ("datasets", name)
    if not path.exists():
        raise BridgeError(doc.problem(here + ("path",), f"file not found: {path} (paths are relative to the scene file)"))
    fmt = dataset.resolved_format()
    geometry = points = file_crs = None
    try:
        if fmt == "csv":
            frame = _read_csv(path, dataset)
        elif fmt == "excel":
            frame = pd.read_excel(path, sheet_name=dataset.sheet if dataset.sheet is not None else 0,
                                  header=dataset.header_row - 1)
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt == "vector":
            frame, geometry, points, file_crs = _read_vector(path, dataset.layer)
            if geometry is not None:
                geometry = _project(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
        else:
            frame, geometry, file_crs = _read_geojson(path)
            geometry = _project(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
    except BridgeError as exc:
        raise BridgeError([doc.problem(here + ("path",), p.message) for p in exc.problems]) from None
    except ValueError as exc:
        if "Worksheet" in str(exc) or "sheet" in str(exc).lower():
            raise BridgeError(doc.problem(here + ("sheet",), f"{path.name}: {exc}")) from None
        raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {exc}")) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {exc}")) from None
    except Exception as exc:  # openpyxl, pyarrow and GDAL raise their own types for corrupt files
        if type(exc).__module__.split(".")[0] in ("openpyxl", "zipfile", "pyarrow", "pyogrio"):
            raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {exc}")) from None
        raise
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in [dataset.key, *(dataset.counts or [])]:
        if column is not None and column not in frame.columns:
            key = "key" if column == dataset.key else "counts"
            raise BridgeError(doc.problem(here + (key,), missing_column(column, frame.columns, path.name)))
    table = Table(name, frame, dataset.key, geometry)
    if fmt == "vector" and points is not None and dataset.points is None:
        x, y = transformer(dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",)).transform(points[:, 0], points[:, 1])
        table.points = np.column_stack([x, y])
    if dataset.where:
        keep = _evaluate_local(table, dataset.where, doc, here + ("where",))
        if not isinstance(keep, pd.Series) or keep.dtype != bool:
            raise BridgeError(doc.problem(here + ("where",), "must be a condition, e.g. period == \"2017/18\""))
        table = _subset(table, keep.to_numpy())
        if table.frame.empty:
            raise BridgeError(doc.problem(here + ("where",), f"no rows of {path.name} are left after '{dataset.where}'"))
    if dataset.pivot:
        table = _pivot(table, dataset, doc, here)
    if dataset.points:
        table.points = _points(table.frame, dataset, doc, here + ("points",))
    if table.frame.empty:
        raise BridgeError(doc.problem(here + ("path",), f"{path.name} has no rows"))
    return table


def _read_csv(path: Path, dataset: Dataset) -> pd.DataFrame:
    """CSV with its encoding and delimiter stated, or detected (UTF-8 else cp1252; sniffed delimiter)."""
    raw = path.read_bytes()[:65536]
    encoding = dataset.encoding
    if encoding is None:
        try:
            raw.decode("utf-8-sig")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"  # what Excel on Windows writes
    delimiter = dataset.delimiter
    if delimiter is None:
        sample = raw.decode(encoding, errors="replace")
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return pd.read_csv(path, encoding=encoding, sep=delimiter, header=dataset.header_row - 1)


def _evaluate_local(table: Table, text: str, doc: YamlDocument, key_path: tuple):
    def resolve(ref: expressions.ColumnRef):
        if ref.dataset not in (None, table.name) or ref.column not in table.frame.columns:
            raise expressions.ExpressionError(missing_column(ref.column, table.frame.columns, table.name))
        return table.frame[ref.column].reset_index(drop=True)

    try:
        return expressions.evaluate(expressions.parse(text), resolve)
    except expressions.ExpressionError as exc:
        raise BridgeError(doc.problem(key_path, str(exc))) from None


def _subset(table: Table, keep: np.ndarray) -> Table:
    geometry = [g for g, k in zip(table.geometry, keep) if k] if table.geometry is not None else None
    return Table(table.name, table.frame[keep].reset_index(drop=True), table.key, geometry)


def _pivot(table: Table, dataset: Dataset, doc: YamlDocument, here: tuple) -> Table:
    pivot = dataset.pivot
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


def _points(frame: pd.DataFrame, dataset: Dataset, doc: YamlDocument, here: tuple) -> np.ndarray:
    spec = dataset.points
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


def _read_vector(path: Path, layer):
    """GeoPackage, Shapefile or FlatGeobuf through GDAL (pyogrio): polygons or points, and the CRS."""
    import shapely
    from pyogrio.raw import read

    meta, _, wkb, fields = read(path, layer=layer)
    frame = pd.DataFrame({name: values for name, values in zip(meta["fields"], fields)})
    shapes = shapely.from_wkb(wkb) if wkb is not None else None
    if shapes is None or len(shapes) == 0:
        return frame, None, None, meta.get("crs")
    kinds = set(shapely.get_type_id(shapes).tolist())
    if kinds <= {0}:  # points
        return frame, None, shapely.get_coordinates(shapes)[:, :2], meta.get("crs")
    if not kinds <= {3, 6}:
        raise BridgeError(f"{path.name} mixes geometry types; maps need polygons or points")
    geometry = []
    for i, shape in enumerate(shapes):
        if shape is None or shape.is_empty:
            raise BridgeError(f"feature {i} of {path.name} has no geometry")
        parts = shape.geoms if shape.geom_type == "MultiPolygon" else [shape]
        geometry.append([[np.asarray(p.exterior.coords)[:, :2]] + [np.asarray(r.coords)[:, :2] for r in p.interiors]
                         for p in parts])
    return frame, geometry, None, meta.get("crs")


def _read_geojson(path: Path):
    """A FeatureCollection of (Multi)Polygons: properties as a table, rings as coordinate arrays."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        collection = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise BridgeError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise BridgeError("not a GeoJSON FeatureCollection (no 'features' list)")
    crs = None
    named = (collection.get("crs") or {}).get("properties", {}).get("name") if isinstance(collection.get("crs"), dict) else None
    if named:
        crs = named.replace("urn:ogc:def:crs:", "").replace("::", ":")
    rows, geometry = [], []
    for i, feature in enumerate(features):
        geom = (feature or {}).get("geometry") or {}
        kind, coords = geom.get("type"), geom.get("coordinates")
        if kind == "Polygon":
            polygons = [coords]
        elif kind == "MultiPolygon":
            polygons = coords
        else:
            raise BridgeError(f"feature {i} has geometry {kind!r}; maps need Polygon or MultiPolygon")
        try:
            rings = [[np.asarray(ring, dtype=float)[:, :2] for ring in poly] for poly in polygons]
        except (ValueError, IndexError, TypeError):
            raise BridgeError(f"feature {i} has malformed coordinates") from None
        if any(len(ring) < 4 for poly in rings for ring in poly):
            raise BridgeError(f"feature {i} has a ring of fewer than 4 points: invalid geometry")
        geometry.append(rings)
        rows.append(feature.get("properties") or {})
    return pd.DataFrame(rows), geometry, crs


def _project(geometry: list, crs: str, doc: YamlDocument, key_path: tuple) -> list:
    """All rings to British National Grid metres in one vectorised transform."""
    to_bng = transformer(crs, doc, key_path)
    rings = [ring for areas in geometry for poly in areas for ring in poly]
    if not rings:
        return geometry
    lengths = np.array([len(r) for r in rings])
    allxy = np.concatenate(rings)
    x, y = to_bng.transform(allxy[:, 0], allxy[:, 1])
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise BridgeError(doc.problem(key_path, f"some coordinates cannot be projected from {crs}; check the crs"))
    projected = np.split(np.column_stack([x, y]), np.cumsum(lengths)[:-1])
    out, k = [], 0
    for areas in geometry:
        new_areas = []
        for poly in areas:
            new_areas.append(projected[k:k + len(poly)])
            k += len(poly)
        out.append(new_areas)
    return out
