"""What the preview draws over the flat equirectangular frame: the screen's lit band, each projector's
area, the blend seams and every panel's box, in the frame's own coordinates.

Coordinates are degrees of the frame: x = yaw + 180 (0..360, left to right) and y = 90 − pitch
(0..180, top to bottom), so the page lays them over the picture with an SVG `viewBox="0 0 360 180"`
whatever its size (the frame's conventions: bridge/geometry.py).  A shape that runs past ±180° is
also given shifted by a turn, so the part that wraps round shows at the other edge.
"""

from __future__ import annotations

import numpy as np

from bridge.geometry import panel_extent, wrap_yaw
from bridge.room.model import Projector, Room

EDGE_SAMPLES = 24  # points along each edge of a projector's outline (flat walls curve in the frame)


def frame_xy(yaw, pitch) -> tuple[np.ndarray, np.ndarray]:
    """Frame degrees (x right from yaw −180, y down from pitch +90) of yaw/pitch in degrees."""
    return np.asarray(yaw, dtype=float) + 180.0, 90.0 - np.asarray(pitch, dtype=float)


def _wrapped(points: list[list[float]]) -> list[list[list[float]]]:
    """The shape, and copies a turn left or right where it runs past the frame's edges."""
    xs = [p[0] for p in points]
    copies = [points]
    for shift, past in ((-360.0, max(xs) > 360.0), (360.0, min(xs) < 0.0)):
        if past:
            copies.append([[x + shift, y] for x, y in points])
    return copies


def _rounded(points) -> list[list[float]]:
    return [[round(float(x), 3), round(float(y), 3)] for x, y in points]


def band(room: Room, step_deg: float = 1.0) -> list[list[list[float]]]:
    """The part of the frame the room lights, as polygons (one per unbroken run of lit yaws)."""
    yaws = np.arange(-180.0, 180.0 + step_deg / 2, step_deg)
    runs: list[list[tuple[float, float, float]]] = [[]]
    for yaw in yaws:
        lit = room.lit_band(float(yaw))
        if lit is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((float(yaw), *lit))
    polygons = []
    for run in (r for r in runs if len(r) > 1):
        top = [frame_xy(y, hi) for y, _, hi in run]
        bottom = [frame_xy(y, lo) for y, lo, _ in reversed(run)]
        polygons.append(_rounded(top + bottom))
    return polygons


def projector_outline(p: Projector) -> list[list[float]]:
    """The edge of a projector's picture in frame degrees, clockwise from its top-left corner,
    unwrapped so it runs on without a jump (its centre within the frame)."""
    n = EDGE_SAMPLES
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    cols = np.concatenate([t * p.width, np.full(n, p.width), (1 - t) * p.width, np.zeros(n)])
    rows = np.concatenate([np.zeros(n), t * p.height, np.full(n, p.height), (1 - t) * p.height])
    yaw, pitch = p.directions(cols, rows)
    yaw = np.degrees(np.unwrap(np.radians(yaw)))
    yaw += wrap_yaw(float(yaw.mean())) - float(yaw.mean())  # centred within -180..180
    x, y = frame_xy(yaw, pitch)
    return _rounded(zip(x, y))


def seams(room: Room) -> list[dict]:
    """Each blend zone (where two projectors overlap and cross-fade) as a box over the lit pitch."""
    lo, hi = room.pitch_range
    found = []
    # The zones as bridge/render/checks.py `blend_zones` finds them, without importing the scene model.
    zones = [(wrap_yaw(b.yaw_min), wrap_yaw(b.yaw_min) + shared, f"projectors {a.number} and {b.number}")
             for a, b, shared in room.neighbours() if shared > 0]
    for start, end, what in zones:
        x0, y0 = frame_xy(start, hi)
        x1, y1 = frame_xy(end, lo)
        box = _rounded([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        found.append({"what": what, "shapes": _wrapped(box)})
    return found


def panel_box(yaw: float, pitch: float, width: float, height: float) -> list[list[list[float]]]:
    """A panel's box (yaw/pitch centre and size in degrees) as frame polygons: a rectangle, since
    the frame's columns are even in yaw and its rows even in pitch."""
    y0, y1, p0, p1 = panel_extent(yaw, pitch, width, height)
    x0, top = frame_xy(y0, p1)
    x1, bottom = frame_xy(y1, p0)
    return _wrapped(_rounded([(x0, top), (x1, top), (x1, bottom), (x0, bottom)]))


def room_overlay(room: Room) -> dict:
    """The room's part of the overlay: band, projector areas and seams (the same for every step)."""
    return {"room": room.name, "band": band(room),
            "projectors": [{"number": p.number, "name": p.name, "shapes": _wrapped(projector_outline(p))}
                           for p in room.projectors],
            "seams": seams(room)}
