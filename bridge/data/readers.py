"""Reading one dataset file into a table: formats, encodings, filters, pivots and coordinates.

CSV (encoding and delimiter detected), Excel, Parquet, GeoJSON (optionally gzipped) and
GeoPackage/Shapefile/FlatGeobuf (through pyogrio's bundled GDAL) become a `Table`: rows,
and polygons or points projected to British National Grid metres.  `where:` filters rows and
`pivot:` turns long (tidy) data into one column per indicator, before any join
(bridge/data/tables.py joins the tables and evaluates expressions over them).  `counts:` names columns
of the table as it is after `where:` and `pivot:` (`count_columns`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from bridge.data import expressions
from bridge.errors import BridgeError, closest_first, did_you_mean
from bridge.limits import MAX_DATA_FILE_BYTES, MAX_DECOMPRESSED_BYTES
from bridge.scene.model import Dataset
from bridge.scene.yaml_source import YamlDocument

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
    counts: frozenset[str] = frozenset()  # columns that count people (`counts:`, resolved by count_columns)


LISTED_COLUMNS = 12  # names a message lists before "… (N more)"


def _listing(names, limit: int = LISTED_COLUMNS) -> str:
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
    if len(names) > LISTED_COLUMNS:  # a long listing starts with the likeliest names, not the file's first
        return f"{head}{did_you_mean(column, names)}; closest of its columns: {_listing(closest_first(column, names))}"
    return f"{head}{did_you_mean(column, names)}; it has: {_listing(names)}"


def transformer(crs: str, doc: YamlDocument, key_path: tuple) -> Transformer:
    """A transformer from `crs` to British National Grid, or a located error for an unknown CRS."""
    try:
        return Transformer.from_crs(CRS.from_user_input(crs), BNG, always_xy=True)
    except CRSError:
        raise BridgeError(doc.problem(key_path, f"unknown coordinate system '{crs}'; use EPSG:4326 or EPSG:27700")) from None


def read_dataset(name: str, dataset: Dataset, path: Path, doc: YamlDocument, params=None) -> Table:
    """One dataset as a Table; `params(name)` gives a parameter's value to its `where:`."""
    here = ("datasets", name)
    if not path.exists():
        raise BridgeError(doc.problem(here + ("path",), f"file not found: {path} (paths are relative to the scene file)"))
    fmt = dataset.resolved_format()
    geometry = points = file_crs = None
    try:
        _check_size(path)
        if fmt == "csv":
            frame = _read_csv(path, dataset)
        elif fmt == "excel":
            _check_zip(path, "an Excel workbook (.xlsx)")
            frame = pd.read_excel(path, sheet_name=dataset.sheet if dataset.sheet is not None else 0,
                                  header=dataset.header_row - 1)
        elif fmt == "parquet":
            _check_parquet(path)
            frame = pd.read_parquet(path)
        elif fmt == "vector":
            frame, geometry, points, file_crs = _read_vector(path, dataset.layer)
            if geometry is not None:
                geometry = project_to_bng(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
        else:
            frame, geometry, file_crs = read_geojson(path)
            geometry = project_to_bng(geometry, dataset.crs or file_crs or "EPSG:4326", doc, here + ("crs",))
        if geometry is not None:
            _check_valid(geometry, path)
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


def _read_csv(path: Path, dataset: Dataset) -> pd.DataFrame:
    """CSV with its encoding and delimiter stated, or detected (a byte-order mark, else UTF-8, else
    cp1252; sniffed delimiter).  A .csv.gz is inflated here, within the limit; a plain CSV is
    sampled for detection and then read by pandas straight from the file."""
    compressed = path.suffix.lower() == ".gz"
    if compressed:
        data = read_capped(path)
        raw = data[:65536]
        more = len(data) > len(raw)
    else:
        with open(path, "rb") as file:
            raw = file.read(65536)
        more = path.stat().st_size > len(raw)
    encoding = dataset.encoding
    if encoding is None:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif b"\x00" in raw:
            raise BridgeError(f"{path.name} holds NUL bytes: it looks like UTF-16 text without a byte-order mark; "
                              "add encoding: utf-16-le (or utf-16-be) to the dataset")
        else:
            try:
                raw.decode("utf-8-sig")
                encoding = "utf-8-sig"
            except UnicodeDecodeError as exc:
                # A multi-byte character cut at the sample's end is still UTF-8.
                encoding = "utf-8-sig" if exc.start >= len(raw) - 3 and more else "cp1252"
    delimiter = dataset.delimiter
    if delimiter is None:
        sample = raw.decode(encoding, errors="replace")
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    source = io.BytesIO(data) if compressed else path
    return pd.read_csv(source, encoding=encoding, sep=delimiter, header=dataset.header_row - 1)


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_DATA_FILE_BYTES:
        raise BridgeError(f"{path.name} is {size / 1024**2:,.0f} MB; a dataset file may be at most "
                          f"{MAX_DATA_FILE_BYTES / 1024**2:,.0f} MB (filter or aggregate it first)")


def read_capped(path: Path) -> bytes:
    """The file's bytes, a .gz inflated — refusing to inflate past MAX_DECOMPRESSED_BYTES."""
    if path.suffix.lower() != ".gz":
        return path.read_bytes()
    chunks, total = [], 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > MAX_DECOMPRESSED_BYTES:
                    raise BridgeError(f"{path.name} inflates to more than {MAX_DECOMPRESSED_BYTES / 1024**2:,.0f} MB, "
                                      "the limit for a compressed dataset")
                chunks.append(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BridgeError(f"{path.name} is not a readable .gz file ({exc})") from None
    return b"".join(chunks)


def _check_zip(path: Path, what: str) -> None:
    """An .xlsx is a zip: refuse junk, and one whose parts would inflate past the limit."""
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BridgeError(f"{path.name} is not {what}: it is not a zip archive; save it again from Excel as .xlsx") from None
    if inflated > MAX_DECOMPRESSED_BYTES:
        raise BridgeError(f"{path.name} inflates to {inflated / 1024**2:,.0f} MB; the limit for a workbook is "
                          f"{MAX_DECOMPRESSED_BYTES / 1024**2:,.0f} MB")


def _check_parquet(path: Path) -> None:
    """Parquet columns are compressed: refuse a file whose data would inflate past the limit."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    inflated = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if inflated > MAX_DECOMPRESSED_BYTES:
        raise BridgeError(f"{path.name} holds {inflated / 1024**2:,.0f} MB of data once read; the limit is "
                          f"{MAX_DECOMPRESSED_BYTES / 1024**2:,.0f} MB")


def to_shapely(geometry: list) -> np.ndarray:
    """Our polygons (lists of rings) as an array of shapely MultiPolygons, built in one vectorised call."""
    import shapely

    rings = [ring for areas in geometry for poly in areas for ring in poly]
    if not rings:
        return np.array([shapely.MultiPolygon() for _ in geometry], dtype=object)
    ring_offsets = np.concatenate([[0], np.cumsum([len(r) for r in rings])])
    polygon_offsets = np.concatenate([[0], np.cumsum([len(poly) for areas in geometry for poly in areas])])
    area_offsets = np.concatenate([[0], np.cumsum([len(areas) for areas in geometry])])
    return shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, np.concatenate(rings),
                                     (ring_offsets, polygon_offsets, area_offsets))


def _check_valid(geometry: list, path: Path) -> None:
    """Invalid polygons (self-intersecting, for example) are refused: their areas and maps would be wrong."""
    import shapely

    shapes = to_shapely(geometry)
    bad = np.flatnonzero(~shapely.is_valid(shapes))
    if len(bad):
        reasons = "; ".join(f"feature {i}: {shapely.is_valid_reason(shapes[i])}" for i in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise BridgeError(f"{path.name} has {len(bad)} invalid polygon(s) ({reasons}{more}); repair them, e.g. with "
                          "QGIS's 'Fix geometries' or shapely.make_valid, and save the file again")


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


def read_geojson(path: Path):
    """A FeatureCollection of (Multi)Polygons: properties as a table, rings as coordinate arrays."""
    try:
        collection = json.loads(read_capped(path).decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise BridgeError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise BridgeError("its JSON is nested too deeply to be GeoJSON") from None
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


def project_to_bng(geometry: list, crs: str, doc: YamlDocument, key_path: tuple) -> list:
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
