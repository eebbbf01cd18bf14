"""Dataset file formats: which format a file is, and each format read into rows (and shapes) within the limits.

A format is named by `format:` or implied by the file's extension (`format_of`, which the scene
model also uses to check a dataset's path).  CSV (encoding and delimiter detected), Excel and
Parquet give rows; GeoJSON (optionally gzipped) and GeoPackage/Shapefile/FlatGeobuf (through
pyogrio's bundled GDAL) also give polygons or points, still in the file's coordinates
(bridge/data/coordinates.py projects them).  Every reader refuses a file, or a compressed file's
contents, over the limits before reading it whole.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bridge.errors import BridgeError
from bridge.limits import MAX_DATA_FILE_BYTES, MAX_DECOMPRESSED_BYTES

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset

DATA_FORMATS = ("csv", "excel", "geojson", "parquet", "vector")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
               ".geojson": "geojson", ".json": "geojson", ".parquet": "parquet", ".pq": "parquet",
               ".gpkg": "vector", ".shp": "vector", ".fgb": "vector"}


def format_of(path: str) -> str | None:
    """The data format a file name implies (a trailing .gz is looked through)."""
    suffixes = [x.lower() for x in Path(path).suffixes]
    if len(suffixes) > 1 and suffixes[-1] == ".gz":
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def resolved_format(dataset) -> str | None:
    """A dataset's format: its `format:`, else the one its path implies."""
    return dataset.format or format_of(dataset.path)


def read_csv(path: Path, dataset: Dataset) -> pd.DataFrame:
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


def check_size(path: Path) -> None:
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


def check_zip(path: Path, what: str) -> None:
    """An .xlsx is a zip: refuse junk, and one whose parts would inflate past the limit."""
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BridgeError(f"{path.name} is not {what}: it is not a zip archive; save it again from Excel as .xlsx") from None
    if inflated > MAX_DECOMPRESSED_BYTES:
        raise BridgeError(f"{path.name} inflates to {inflated / 1024**2:,.0f} MB; the limit for a workbook is "
                          f"{MAX_DECOMPRESSED_BYTES / 1024**2:,.0f} MB")


def check_parquet(path: Path) -> None:
    """Parquet columns are compressed: refuse a file whose data would inflate past the limit."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    inflated = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if inflated > MAX_DECOMPRESSED_BYTES:
        raise BridgeError(f"{path.name} holds {inflated / 1024**2:,.0f} MB of data once read; the limit is "
                          f"{MAX_DECOMPRESSED_BYTES / 1024**2:,.0f} MB")


def read_vector(path: Path, layer):
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
        polygons: Any  # as the file has them; checked as rings below
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
