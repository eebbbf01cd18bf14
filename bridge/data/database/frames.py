"""What a query brought back, made into a Table as a file's rows are: columns, shapes, then the dataset's own steps.

Columns arrive as arrays (never a Python object per cell where a typed array will do); a PostGIS
geometry column arrives as EWKB and is decoded by shapely in one call, polygons projected to British
National Grid with the transformer every reader uses (bridge/data/coordinates.py), so a map from
PostGIS and the same map from GeoJSON are the same picture.  Then what bridge/data/readers.py does
after reading a file — `where:` (the part not run in SQL), `pivot:`, `counts:`, `points:` — is done
here by the same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bridge.data import readers
from bridge.data.coordinates import check_valid, transformer
from bridge.data.readers import Table
from bridge.errors import BridgeError

if TYPE_CHECKING:
    from bridge.scene.spec import Dataset
    from bridge.scene.yaml_source import YamlDocument

log = logging.getLogger("bridge.data.database")


@dataclass
class AreaCounts(Table):
    """Points already counted per area where they live (PostGIS): one row per base area, on the base's key,
    joined to the base as any keyed table is (bridge/data/tables.py)."""


def column_array(values: tuple | list) -> np.ndarray:
    """One column of fetched values as a typed array: float64 for numbers (missing as NaN), int64 for whole
    numbers with none missing, else objects (text, bytes)."""
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {int} and len(kinds) and None not in values:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    if kinds and all(issubclass(k, (int, float)) and k is not bool for k in kinds):
        return np.array(values, dtype=float)
    if kinds and all(k.__name__ == "Decimal" for k in kinds):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.array(values, dtype=object)


_transformers: dict[str, object] = {}


def to_bng_from(crs: str, doc: YamlDocument, key_path: tuple):
    """The transformer to British National Grid, made once per system (pyproj takes a fifth of a second to
    make one, which a refresh every minute should not pay again)."""
    if crs not in _transformers:
        _transformers[crs] = transformer(crs, doc, key_path)
    return _transformers[crs]


def shapes_of(wkb: np.ndarray, crs: str | None, doc: YamlDocument, here: tuple, label: str):
    """(polygons in BNG, None) or (None, points in BNG) from a column of (E)WKB; the SRID in the data, else
    the dataset's crs:, else WGS84."""
    import shapely

    shapes = shapely.from_wkb(wkb)
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    if missing.any():
        raise BridgeError(doc.problem(here, f"{label}: row {int(np.flatnonzero(missing)[0])} has no geometry; "
                                            "filter it out (where:) or fix the table"))
    srids = np.unique(shapely.get_srid(shapes))
    if len(srids) > 1:
        raise BridgeError(doc.problem(here, f"{label}: the geometry column mixes coordinate systems "
                                            f"(SRIDs {', '.join(map(str, srids[:4]))}); ST_Transform it to one"))
    source = crs or (f"EPSG:{int(srids[0])}" if len(srids) and srids[0] > 0 else "EPSG:4326")
    to_bng = to_bng_from(source, doc, here + ("crs",))
    kinds = set(shapely.get_type_id(shapes).tolist())
    if kinds <= {0}:  # points
        xy = shapely.get_coordinates(shapes)
        x, y = to_bng.transform(xy[:, 0], xy[:, 1])
        return None, np.column_stack([x, y])
    if not kinds <= {3, 6}:
        raise BridgeError(doc.problem(here, f"{label}: the geometry column mixes types; maps need polygons or points"))
    _, coords, (ring_ends, polygon_ends, area_ends) = shapely.to_ragged_array(shapes)
    x, y = to_bng.transform(coords[:, 0], coords[:, 1])
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise BridgeError(doc.problem(here + ("crs",), f"some coordinates cannot be projected from {source}; check the crs"))
    rings = np.split(np.column_stack([x, y]), ring_ends[1:-1])
    polygons = [rings[a:b] for a, b in zip(polygon_ends[:-1], polygon_ends[1:])]
    geometry = [polygons[a:b] for a, b in zip(area_ends[:-1], area_ends[1:])]
    check_valid(geometry, Path(label))  # Path only names the source in the message
    return geometry, None


def finish(table: Table, dataset: Dataset, doc: YamlDocument, here: tuple, params, label: str,
           filtered: bool) -> Table:
    """The steps a file's table goes through after reading: `where:` (unless SQL `filtered` it whole),
    `pivot:`, `counts:`, `points:`; `label` names the source in messages, as a file's name would."""
    if dataset.key is not None and dataset.key not in table.frame.columns:
        raise BridgeError(doc.problem(here + ("key",), readers.missing_column(dataset.key, table.frame.columns, label)))
    if dataset.where and not filtered:
        keep = readers._evaluate_local(table, dataset.where, doc, here + ("where",), params)
        if not isinstance(keep, pd.Series) or keep.dtype != bool:
            raise BridgeError(doc.problem(here + ("where",), "must be a condition, e.g. period == \"2017/18\""))
        points = table.points
        table = readers._subset(table, keep.to_numpy())
        table.points = points[keep.to_numpy()] if points is not None else None
    if dataset.where and table.frame.empty:
        raise BridgeError(doc.problem(here + ("where",), f"no rows of {label} are left after '{dataset.where}'"))
    if dataset.pivot:
        table = readers._pivot(table, dataset, doc, here)
    table.counts = readers.count_columns(table, dataset, Path(label), doc, here)
    if dataset.points:
        table.points = readers._points(table.frame, dataset, doc, here + ("points",))
    if table.frame.empty and table.points is None:
        raise BridgeError(doc.problem(here, f"{label} has no rows"))
    return table
