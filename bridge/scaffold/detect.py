"""What an analyst's data files hold, as `bridge new` needs to know it: each file's format, its
column of area codes (found by the values, which follow the ONS/GSS pattern: a letter for the
nation, two digits for the kind of area, six for the area), a column of area names, and which
columns are measures (counts, percentages, other numbers) worth a panel.

Files are read with the same readers, and within the same limits, as a scene's datasets
(bridge/data/formats.py); anything that cannot be read is refused with the file's name and how to
fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bridge.data.formats import DATA_FORMATS, check_size, format_of
from bridge.errors import BridgeError, printable

# A GSS code: E (England), W (Wales), S (Scotland), N (Northern Ireland), K (UK/GB), then eight digits.
ONS_CODE = re.compile(r"^[EWSNK]\d{8}$")
# The entity (first three characters) of the codes most area statistics use, as ONS's Register of
# Geographic Codes names them.
GEOGRAPHIES = {
    "E00": "output area", "W00": "output area",
    "E01": "LSOA", "W01": "LSOA", "S01": "data zone",
    "E02": "MSOA", "W02": "MSOA", "S02": "intermediate zone",
    "E05": "ward", "W05": "ward",
    "E06": "local authority", "E07": "local authority", "E08": "local authority", "E09": "local authority",
    "W06": "local authority", "S12": "council area", "N09": "local government district",
    "E10": "county", "E11": "metropolitan county", "E12": "region", "E13": "inner or outer London",
    "E14": "Westminster constituency", "W07": "Westminster constituency",
    "E38": "sub-ICB location", "E54": "integrated care board", "E92": "country", "W92": "country",
}
# Kinds of area that are the same level, so codes of either may sit in one column.
_LEVEL = {"E06": "LA", "E07": "LA", "E08": "LA", "E09": "LA", "W06": "LA", "S12": "LA", "N09": "LA"}
CODE_SHARE = 0.9  # at least this share of a column's non-empty values must be codes
SAMPLE_ROWS = 2000  # rows looked at to classify a column

_PERCENT = re.compile(r"%|percent|proportion|\bshare\b|\bpct\b|\brate \(%\)", re.I)
# Whole numbers are counts (of people, households, homes…) unless named as one of these.
_NOT_A_COUNT = re.compile(r"decile|quintile|quartile|score|index|rate|ratio|average|mean|median|band|class|group", re.I)
_NOT_A_MEASURE = re.compile(r"\b(rank|id|year|period|fid|objectid|easting|northing|lat|lon|latitude|longitude|x|y)\b"
                            r"|_rank$|_id$", re.I)


@dataclass
class Measure:
    """A numeric column worth a panel: `kind` is count (whole numbers of people or things),
    percent (0–100) or number (a score, decile, rate…)."""

    column: str
    kind: str


@dataclass
class DataFile:
    """One file as `bridge new` understands it."""

    path: Path
    format: str
    rows: int
    columns: list[str]
    boundaries: bool = False  # polygons (GeoJSON, GeoPackage…): a map can be drawn from it
    key: str | None = None  # the column of area codes, one per row
    codes: set[str] = field(default_factory=set)  # the key's values
    geography: str | None = None  # e.g. "LSOA", from the codes' entity
    level: str | None = None  # the codes' entity or level, to match files of the same kind of area
    repeats: bool = False  # the key repeats (long form: a row per area per year…): not joinable as is
    name: str | None = None  # a column of area (or row) names, for labels
    measures: list[Measure] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)  # counts of people, as disclosure control judges them
    aspect: float | None = None  # boundaries: width over height of their extent, on the ground
    skipped: list[str] = field(default_factory=list)  # numeric columns left out, and why


def read_file(path: Path) -> DataFile:
    """The file read and classified; a BridgeError naming the file for one that cannot be read."""
    if not path.is_file():
        raise BridgeError(f"--data: {printable(path)}: {'is a folder, not a file' if path.is_dir() else 'file not found'}")
    fmt = format_of(str(path))
    if fmt is None or fmt not in DATA_FORMATS:
        raise BridgeError(f"--data: {printable(path.name)}: Bridge reads CSV, Excel (.xlsx), Parquet, GeoJSON, GeoPackage, "
                          "Shapefile and FlatGeobuf files; give one of those (e.g. export the table as CSV)")
    frame, shapes = _read(path, fmt)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise BridgeError(f"--data: {printable(path.name)} has no rows; give a file with a row per area")
    found = DataFile(path, fmt, len(frame), list(frame.columns), boundaries=bool(shapes))
    if not isinstance(shapes, bool):
        found.aspect = shapes
    _find_key(found, frame)
    _find_name(found, frame)
    _find_measures(found, frame)
    return found


def _read(path: Path, fmt: str):
    """(rows as a DataFrame, whether the file has polygons)."""
    from bridge.data import formats
    from bridge.scene.spec import Dataset

    settings = Dataset(path=path.name)
    try:
        check_size(path)
        if fmt == "csv":
            return formats.read_csv(path, settings), False
        if fmt == "excel":
            return formats.read_excel(path, settings), False
        if fmt == "parquet":
            return formats.read_parquet(path), False
        if fmt == "vector":
            frame, geometry, _, crs = formats.read_vector(path, None)
            return frame, _aspect(geometry, crs) if geometry else False
        frame, geometry, crs = formats.read_geojson(path)
        return frame, _aspect(geometry, crs) if geometry and any(geometry) else False
    except BridgeError as exc:
        raise BridgeError([f"--data: {printable(path.name)}: {p.message}" for p in exc.problems]) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BridgeError(f"--data: cannot read {printable(path.name)} as {fmt} ({' '.join(str(exc).split())[:120]}); "
                          "export it again, or give the file in another format") from None


def _aspect(geometry: list, crs: str | None) -> float | bool:
    """Width over height of the polygons' extent on the ground (degrees of longitude shrink with
    latitude's cosine); True where it cannot be told."""
    import numpy as np

    points = np.concatenate([ring for shape in geometry for part in shape for ring in part])
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    if y1 <= y0:
        return True
    geographic = crs is None or any(s in str(crs).upper() for s in ("4326", "CRS84", "4258"))
    squash = float(np.cos(np.radians((y0 + y1) / 2))) if geographic and abs(y1) <= 90 else 1.0
    return float((x1 - x0) * squash / (y1 - y0))


def _texts(column) -> list[str]:
    return [str(v).strip() for v in column.dropna().head(SAMPLE_ROWS)]


def code_share(column) -> float:
    """The share of a column's non-empty values (a sample) that are area codes."""
    values = _texts(column)
    return sum(bool(ONS_CODE.match(v)) for v in values) / len(values) if values else 0.0


def _find_key(found: DataFile, frame) -> None:
    """The column of area codes: the one whose values are most often codes, unique ones preferred
    (a file of areas also carries its region's or authority's code on every row)."""
    candidates = []
    for column in frame.columns:
        share = code_share(frame[column])
        if share >= CODE_SHARE:
            values = frame[column].dropna().astype(str).str.strip()
            candidates.append((values.is_unique, values.nunique(), share, column))
    if not candidates:
        return
    unique, _, _, column = max(candidates, key=lambda c: c[:3])
    values = frame[column].dropna().astype(str).str.strip()
    found.key, found.codes, found.repeats = column, set(values), not unique
    entities = values.str[:3].value_counts()
    entity = str(entities.index[0])
    found.geography = GEOGRAPHIES.get(entity, f"area ({entity}…)")
    found.level = _LEVEL.get(entity, entity)


def _find_name(found: DataFile, frame) -> None:
    """A text column of names for labels: one named like a name, else the text column with the
    most distinct values that are not codes."""
    import pandas as pd

    texts = [c for c in frame.columns if c != found.key and not pd.api.types.is_numeric_dtype(frame[c])
             and code_share(frame[c]) < CODE_SHARE]
    named = [c for c in texts if re.search(r"name", c, re.I)]
    ranked = sorted(named or texts, key=lambda c: (-frame[c].nunique(), list(frame.columns).index(c)))
    if ranked and frame[ranked[0]].nunique() > 1:
        found.name = ranked[0]


def _find_measures(found: DataFile, frame) -> None:
    """Numeric columns with more than one value, classed as counts, percentages or other numbers."""
    import pandas as pd

    from bridge.data.disclosure import _looks_like_count as looks_like_count

    for column in frame.columns:
        series = frame[column]
        if column == found.key or not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = series.dropna()
        if _NOT_A_MEASURE.search(column.replace("_", " ")) or _NOT_A_MEASURE.search(column):
            found.skipped.append(f"{column} (an identifier, rank, date or coordinate)")
            continue
        if looks_like_count(column, values):  # as `bridge validate` judges it: declared, so small ones are suppressed
            found.counts.append(column)
        whole = bool((values == values.round()).all()) and values.min() >= 0
        if values.nunique() < 2:
            found.skipped.append(f"{column} (the same value on every row)")
            continue
        if _PERCENT.search(column) and 0 <= values.min() and values.max() <= 100:
            kind = "percent"
        elif whole and not _NOT_A_COUNT.search(column):
            kind = "count"
        else:
            kind = "number"
        found.measures.append(Measure(column, kind))


def matches(a: DataFile, b: DataFile) -> int:
    """How many of `b`'s area codes `a` also has (0 for files of different kinds of area)."""
    if a.key is None or b.key is None or a.level != b.level:
        return 0
    return len(a.codes & b.codes)
