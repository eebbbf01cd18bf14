"""Coordinates: every shape and point brought to British National Grid metres, and polygons checked.

Maps, point aggregation and areas all work in one planar system (EPSG:27700), so each
dataset's polygons and points are projected once, as they are read, from their file's (or
`crs:`'s) system.  Polygons are kept as lists of rings (numpy arrays) and turned into shapely
geometry only where a geometric test needs it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from bridge.errors import BridgeError

if TYPE_CHECKING:
    from bridge.scene.yaml_source import YamlDocument

BNG = "EPSG:27700"
Polygons = list  # of polygons, each a list of rings, each an (n, 2) array in BNG metres


_made = threading.local()  # per thread (a Transformer is not shared across threads): crs -> Transformer


def transformer(crs: str, doc: YamlDocument, key_path: tuple) -> Transformer:
    """A transformer from `crs` to British National Grid, or a located error for an unknown CRS.
    Made once per CRS and thread: making one costs about 0.1 s, and a briefing's datasets share a few."""
    made = _made.__dict__.setdefault("by_crs", {})
    try:
        if crs not in made:
            made[crs] = Transformer.from_crs(CRS.from_user_input(crs), BNG, always_xy=True)
        return made[crs]
    except CRSError:
        raise BridgeError(doc.problem(key_path, f"unknown coordinate system '{crs}'; use EPSG:4326 or EPSG:27700")) from None


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


def check_valid(geometry: list, path: Path) -> None:
    """Invalid polygons (self-intersecting, for example) are refused: their areas and maps would be wrong."""
    import shapely

    shapes = to_shapely(geometry)
    bad = np.flatnonzero(~shapely.is_valid(shapes))
    if len(bad):
        reasons = "; ".join(f"feature {i}: {shapely.is_valid_reason(shapes[i])}" for i in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise BridgeError(f"{path.name} has {len(bad)} invalid polygon(s) ({reasons}{more}); repair them, e.g. with "
                          "QGIS's 'Fix geometries' or shapely.make_valid, and save the file again")


def project_to_bng(geometry: list, crs: str, doc: YamlDocument, key_path: tuple) -> list:
    """All rings to British National Grid metres in one vectorised transform."""
    to_bng = transformer(crs, doc, key_path)
    rings = [ring for areas in geometry for poly in areas for ring in poly]
    if not rings:
        return geometry
    allxy = np.concatenate(rings)
    x, y = to_bng.transform(np.ascontiguousarray(allxy[:, 0]), np.ascontiguousarray(allxy[:, 1]), inplace=True)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise BridgeError(doc.problem(key_path, f"some coordinates cannot be projected from {crs}; check the crs"))
    flat = iter(consecutive(np.column_stack([x, y]), [len(r) for r in rings]))
    return [[[next(flat) for _ in poly] for poly in areas] for areas in geometry]


def consecutive(items, lengths) -> list:
    """`items` (an array or a list) cut into consecutive pieces of the given lengths, in one pass
    (np.split's is slower): the flat points of a file's rings back into rings, rings into polygons."""
    ends = np.cumsum(lengths).tolist()
    return [items[a:b] for a, b in zip([0, *ends[:-1]], ends)]
