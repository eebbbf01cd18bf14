"""Dataset file formats: which format a file is, and each format read into rows (and shapes) within the limits.

A format is named by `format:` or implied by the file's extension (`format_of`, which the scene
model also uses to check a dataset's path).  CSV (encoding and delimiter detected), Excel and
Parquet give rows; GeoJSON (optionally gzipped) and GeoPackage/Shapefile/FlatGeobuf (through
pyogrio's bundled GDAL) also give polygons or points, still in the file's coordinates
(bridge/data/coordinates.py projects them).  Every reader refuses a file, or a compressed file's
contents, over the limits before reading it whole, and turns what its library raises for a damaged
file (junk inside a valid zip, gzip or Parquet container; a cut-short file) into a BridgeError that
names the file, says what is wrong and how to fix it (`damaged`): never a crash.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bridge.data.plain_geojson import plain_geojson as _plain_geojson
from bridge.errors import BridgeError, did_you_mean, shown
from bridge.limits import MAX_DATA_FILE_BYTES, MAX_DECOMPRESSED_BYTES

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset

DATA_FORMATS = ("csv", "excel", "geojson", "parquet", "vector")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
               ".geojson": "geojson", ".json": "geojson", ".parquet": "parquet", ".pq": "parquet",
               ".gpkg": "vector", ".shp": "vector", ".fgb": "vector"}


class SettingError(BridgeError):
    """The file is readable but a dataset setting (`sheet:`, `layer:`, `header_row:`) names nothing in it:
    the problem is located at that key, where the fix goes, rather than at `path:`."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def damaged(path: Path, what: str, exc: BaseException, fix: str) -> BridgeError:
    """A located refusal of a file that looked like `what` but is not readable: the library's reason, short."""
    return BridgeError(f"{path.name} is not {what} Bridge can read ({_reason(exc, path)}); {fix}")


def _reason(exc: BaseException, path: Path) -> str:
    """A library's complaint trimmed for a message: no absolute path, no errno, no SQL, GDAL's first clause only."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = text.replace(str(path), path.name).replace("Could not decode error message to UTF-8. Raw error: ", "")
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    text = re.sub(r"^Error -?\d+ while ", "error while ", text)  # zlib's internal error numbers
    if "failed: " in text:  # sqlite3_prepare_v2(SELECT …) failed: database disk image is malformed
        text = text.split("failed: ", 1)[1]
    text = text.split("; ")[0].strip().rstrip(".") or type(exc).__name__
    if isinstance(exc, SyntaxError):  # xml.etree's ParseError: the XML inside the zip
        text = f"damaged XML inside: {text}"
    return shown(text, 100)


def listing(names, limit: int = 12, width: int | None = None) -> str:
    """The first `limit` names, comma-separated, each cut to `width` characters if given, then how many more."""
    names = [str(n) for n in names]
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(shown(n, width) if width else n for n in names[:limit]) + more


def _names(names: list[str]) -> str:
    """Sheet or layer names for a refusal: a dozen at most, each cut to 40 characters."""
    return listing(names, 12, 40)


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
        elif b"\x00" in raw and raw.count(b"\x00") * 10 < len(raw):  # UTF-16 text is about half NULs
            raise BridgeError(f"{path.name} is not a CSV text file: it holds binary data (a spreadsheet, archive or "
                              "picture renamed?); export the table again as CSV")
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
    except NotImplementedError as exc:  # a zip feature (version, compression) Python's zipfile lacks
        raise damaged(path, what, exc, EXCEL_FIX) from None
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


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file within the limit.  pyarrow says a damaged file is ArrowInvalid or OSError, and
    pandas' metadata in it may fail as JSON (a ValueError): each is the file's fault, refused as such."""
    import pyarrow as pa

    try:
        check_parquet(path)
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise damaged(path, "a Parquet file", exc, "write it again (e.g. with pandas' DataFrame.to_parquet) "
                      "or export the table as CSV") from None


# What openpyxl and zipfile raise for a damaged workbook: a missing part (KeyError), broken XML
# (ParseError, a SyntaxError), a bad CRC or header (BadZipFile), a corrupt deflate stream (zlib.error,
# EOFError), an unknown compression method (NotImplementedError), and nonsense values in good XML.
def _excel_damage() -> tuple[type[BaseException], ...]:
    from openpyxl.utils.exceptions import CellCoordinatesException, InvalidFileException

    return (KeyError, SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError, TypeError, IndexError, InvalidFileException, CellCoordinatesException)


EXCEL_FIX = "save it again from Excel as .xlsx (Excel Workbook)"


def read_excel(path: Path, dataset: Dataset) -> pd.DataFrame:
    """One sheet of a workbook within the limit.  openpyxl is named outright: pandas would otherwise guess
    the engine from the zip's members and fail with a bare KeyError on a zip that is not a workbook."""
    check_zip(path, "an Excel workbook (.xlsx)")
    damage = _excel_damage()
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except damage as exc:
        raise damaged(path, "an Excel workbook", exc, EXCEL_FIX) from None
    with book:
        sheet = _sheet(path, [str(n) for n in book.sheet_names], dataset.sheet)
        try:
            return pd.read_excel(book, sheet_name=sheet, header=dataset.header_row - 1)
        except ValueError as exc:
            if "header=" in str(exc):
                raise SettingError("header_row", f"sheet '{shown(sheet, 40)}' of {path.name} ends before row "
                                   f"{dataset.header_row}; header_row is the 1-based row holding the column names") from None
            raise damaged(path, "an Excel workbook", exc, EXCEL_FIX) from None
        except damage as exc:
            raise damaged(path, "an Excel workbook", exc, EXCEL_FIX) from None


def _sheet(path: Path, names: list[str], wanted: str | int | None) -> str:
    """The sheet `sheet:` names (the first by default), or a refusal listing the workbook's sheets.  A
    number that is no sheet's position but is a sheet's name (`sheet: 2021`) is taken as the name."""
    if not names:
        raise BridgeError(f"{path.name} holds no worksheets (only charts?); put the table on a worksheet and save it again")
    if wanted is None:
        return names[0]
    if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 <= wanted < len(names):
        return names[wanted]
    if str(wanted) in names:
        return str(wanted)
    if isinstance(wanted, int):
        count = f"{len(names)} sheet" + ("s" if len(names) > 1 else "")
        raise SettingError("sheet", f"no sheet {wanted}: {path.name} has {count}, numbered from 0; its sheets: {_names(names)}")
    raise SettingError("sheet", f"no sheet '{shown(wanted, 60)}' in {path.name}{did_you_mean(wanted, names)}; "
                                f"its sheets: {_names(names)}")


_VECTOR_KINDS = {".gpkg": ("a GeoPackage", ""), ".fgb": ("a FlatGeobuf file", ""),
                 ".shp": ("a Shapefile", "; a Shapefile needs its .shx and .dbf beside it, with the same name")}


def read_vector(path: Path, layer):
    """GeoPackage, Shapefile or FlatGeobuf through GDAL (pyogrio): polygons or points, and the CRS.

    What GDAL and shapely raise for a damaged file (pyogrio's DataSourceError and DataLayerError, a
    GEOSException for broken geometry, a UnicodeDecodeError for a garbled name) is refused as the file's
    fault.  GDAL's warnings about a file it then cannot read are dropped; those about a file it reads are
    passed on with the file's name in place of its absolute path.
    """
    from pyogrio.errors import DataLayerError, DataSourceError
    from shapely.errors import ShapelyError

    what, extra = _VECTOR_KINDS.get(path.suffix.lower(), ("a vector file", ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _read_vector(path, _layer(path, layer))
        except (DataSourceError, DataLayerError, ShapelyError, OSError, ValueError) as exc:
            raise damaged(path, what, exc, "export it again from your GIS (in QGIS: Export > Save Features As…)"
                          + extra) from None
    for warning in caught:
        warnings.warn(str(warning.message).replace(str(path), path.name), warning.category, stacklevel=2)
    return result


def _layer(path: Path, wanted):
    """The layer `layer:` names (GDAL's default when none), or a refusal listing the file's layers."""
    from pyogrio import list_layers

    names = [str(n) for n in list_layers(path)[:, 0]]
    if not names:
        raise ValueError("it holds no layers")  # refused by read_vector as a damaged file
    if wanted is None or str(wanted) in names:
        return wanted
    if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 <= wanted < len(names):
        return wanted
    if isinstance(wanted, int):
        raise SettingError("layer", f"no layer {wanted}: {path.name} has {len(names)}, numbered from 0; "
                                    f"its layers: {_names(names)}")
    raise SettingError("layer", f"no layer '{shown(wanted, 60)}' in {path.name}{did_you_mean(wanted, names)}; "
                                f"its layers: {_names(names)}")


def _read_vector(path: Path, layer):
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


GEOJSON_FIX = "export it again as GeoJSON (UTF-8)"


def read_geojson(path: Path):
    """A FeatureCollection of (Multi)Polygons: properties as a table, rings as coordinate arrays.

    The file is checked as it is walked: anything that is not the object GeoJSON puts there (a
    feature that is a number, a geometry that is a string) is refused with the feature's index.
    """
    try:
        text = read_capped(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BridgeError(f"{path.name} is not UTF-8 text, so not GeoJSON (byte {exc.start} cannot be read); "
                          f"{GEOJSON_FIX}") from None
    fast = _plain_geojson(text)
    if fast is not None:
        collection, geometry = fast
    else:
        try:
            collection = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BridgeError(f"{path.name} is not valid JSON at line {exc.lineno}: {exc.msg}; {GEOJSON_FIX}") from None
        except RecursionError:
            raise BridgeError("its JSON is nested too deeply to be GeoJSON") from None
        geometry = None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise BridgeError("not a GeoJSON FeatureCollection (no 'features' list)")
    rows = []
    rings = geometry is None
    geometry = [] if geometry is None else geometry
    for i, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise BridgeError(f"{path.name}: feature {i} is not a GeoJSON Feature (an object with geometry and properties)")
        if rings:
            geometry.append(_rings(feature, i, path))
        properties = feature.get("properties")
        if not isinstance(properties, (dict, type(None))):
            raise BridgeError(f"{path.name}: feature {i}'s properties are not an object of names and values")
        rows.append(properties or {})
    return pd.DataFrame(rows), geometry, _named_crs(collection, path)


def _named_crs(collection: dict, path: Path) -> str | None:
    """The old-style `crs: {type: name, properties: {name: …}}` member, if the file has one."""
    crs = collection.get("crs")
    if crs is None:
        return None
    properties = crs.get("properties", {}) if isinstance(crs, dict) else None
    named = properties.get("name") if isinstance(properties, dict) else 0
    if named is None:  # a linked CRS, say: not followed, so the dataset's crs: (or WGS84) applies
        return None
    if not isinstance(named, str):
        raise BridgeError(f"{path.name}: its crs is not a named coordinate system "
                          "(crs: {type: name, properties: {name: EPSG:4326}}); remove it or set crs: on the dataset")
    return named.replace("urn:ogc:def:crs:", "").replace("::", ":")


def _rings(feature: dict, i: int, path: Path) -> list:
    """One feature's polygons as rings of coordinate arrays, or a refusal naming the feature."""
    geom = feature.get("geometry")
    if geom is not None and not isinstance(geom, dict):
        raise BridgeError(f"{path.name}: feature {i} has no geometry object (it has {shown(json.dumps(geom), 40)})")
    kind, coords = (geom or {}).get("type"), (geom or {}).get("coordinates")
    polygons: Any  # as the file has them; checked as rings below
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        raise BridgeError(f"feature {i} has geometry {shown(repr(kind), 40)}; maps need Polygon or MultiPolygon")
    try:
        rings = [[np.asarray(ring, dtype=float)[:, :2] for ring in poly] for poly in polygons]
    except (ValueError, IndexError, TypeError):
        raise BridgeError(f"feature {i} has malformed coordinates") from None
    if any(len(ring) < 4 for poly in rings for ring in poly):
        raise BridgeError(f"feature {i} has a ring of fewer than 4 points: invalid geometry")
    return rings
