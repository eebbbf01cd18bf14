"""Angles round the viewer: equirectangular pixel coordinates and panel sizes.

Conventions used everywhere: yaw 0 is straight ahead and grows to the right (clockwise
seen from above), pitch grows upwards.  In the equirectangular frame, column 0's left
edge is yaw -180 and row 0's top edge is pitch +90.  World axes: +y ahead, +x right, +z up.
"""

from __future__ import annotations

import math

import numpy as np

PANEL_RADIUS = 10.0  # metres-ish; only ratios matter to a viewer at the centre


def yaw_to_x(yaw, width: int):
    """Continuous column coordinate (pixel edges) of a yaw in an equirect frame `width` wide."""
    return (np.asarray(yaw, dtype=float) + 180.0) / 360.0 * width


def pitch_to_y(pitch, height: int):
    """Continuous row coordinate (pixel edges, 0 at the top) of a pitch."""
    return (90.0 - np.asarray(pitch, dtype=float)) / 180.0 * height


def x_to_yaw(x, width: int):
    return np.asarray(x, dtype=float) / width * 360.0 - 180.0


def y_to_pitch(y, height: int):
    return 90.0 - np.asarray(y, dtype=float) / height * 180.0


def direction(yaw, pitch) -> np.ndarray:
    """Unit vectors (…, 3) for yaw/pitch in degrees."""
    yaw, pitch = np.broadcast_arrays(np.radians(yaw), np.radians(pitch))
    return np.stack([np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), np.sin(pitch)], axis=-1)


def panel_extent(yaw: float, pitch: float, width: float, height: float):
    """(yaw_min, yaw_max, pitch_min, pitch_max) of a panel placed by its centre."""
    return yaw - width / 2, yaw + width / 2, pitch - height / 2, pitch + height / 2


def panel_aspect(width: float, pitch_min: float, pitch_max: float) -> float:
    """Width/height of a panel laid on a cylinder: arc length over wall height.

    Panels are drawn on a cylindrical patch round the viewer (like the room's wall), so a
    texture of this aspect shows circles as circles on the wall.
    """
    arc = math.radians(width)
    wall = math.tan(math.radians(pitch_max)) - math.tan(math.radians(pitch_min))
    return arc / wall


def panel_texture_size(width: float, pitch_min: float, pitch_max: float, px_per_degree: float,
                       max_side: int = 4096) -> tuple[int, int]:
    """Texture size (w, h) in pixels giving about `px_per_degree` across the panel."""
    w = width * px_per_degree
    h = w / panel_aspect(width, pitch_min, pitch_max)
    scale = min(1.0, max_side / max(w, h))
    return max(8, round(w * scale)), max(8, round(h * scale))
