"""Points found in areas a million at a time, so counting ten million points per area needs no gigabytes.

Shared by the pandas path and the embedded (DuckDB) path of `aggregate:` (bridge/data/tables.py): a
shapely point costs about a hundred bytes, so making every point at once is what made a national table
too big for a laptop, not the coordinates themselves.
"""

from __future__ import annotations

import numpy as np

POINTS_AT_ONCE = 1_000_000  # points made into shapely objects at a time


def points_within(tree, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, area) indices of the points strictly inside each area of `tree` (an STRtree), in chunks."""
    import shapely

    valid = np.flatnonzero(np.isfinite(xy).all(axis=1))
    points, areas = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for start in range(0, len(valid), POINTS_AT_ONCE):
        chunk = valid[start:start + POINTS_AT_ONCE]
        point_idx, area_idx = tree.query(shapely.points(xy[chunk]), predicate="within")
        points.append(chunk[point_idx])
        areas.append(area_idx)
    return np.concatenate(points), np.concatenate(areas)
