"""Angles round the viewer, written down once: every equirectangular pixel, texture coordinate
and direction vector in Bridge is converted here, so renders, compositor, answers and MPCDI agree.

Conventions (degrees throughout):

- yaw: 0 straight ahead, growing to the right (clockwise seen from above); -180 and 180 are the
  same direction, straight behind.  `wrap_yaw` brings any angle to -180 <= yaw < 180.
- pitch: 0 at the horizon, growing upwards: +90 straight up, -90 straight down.
- The equirectangular frame, `width` × `height` (2:1): x, the continuous column coordinate,
  runs from column 0's left edge at yaw -180 to the right edge at yaw +180 (the same line);
  y, the row coordinate, from row 0's top edge at pitch +90 to the bottom edge at pitch -90.
  Pixel centres sit at +0.5: column c shows yaw `x_to_yaw(c + 0.5, width)`.  OpenCV's lookup
  maps put pixel centres at whole numbers instead, so the compositor subtracts 0.5.
- Normalised (u, v) = (x / width, y / height), i.e. `width` = `height` = 1: MPCDI's 2d canvas.
  A VTK texture's v runs the other way, from the bottom (`equirect_texture_uv`).
- World axes: +x right, +y ahead, +z up.  `direction` turns yaw/pitch into unit vectors,
  `direction_to_yaw_pitch` turns any vector back.
- Projectors' own pixels (bridge/room/model.py, `Projector.directions`) also have their centres
  at +0.5, yaw growing to the right and rows from the top.
"""

from __future__ import annotations

import math

import numpy as np

PANEL_RADIUS = 10.0  # metres-ish; only ratios matter to a viewer at the centre


def wrap_yaw(yaw):
    """Any angle (or array of angles) to -180 <= yaw < 180."""
    return (yaw + 180.0) % 360.0 - 180.0


def mean_yaw(yaw: np.ndarray) -> float:
    """The circular mean of the finite yaws (0 when there are none): the middle of a set that may
    straddle ±180."""
    rad = np.radians(yaw[np.isfinite(yaw)])
    return float(np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean()))) if rad.size else 0.0


def yaw_to_x(yaw, width: int):
    """Continuous column coordinate (pixel edges) of a yaw in an equirect frame `width` wide."""
    return (np.asarray(yaw, dtype=float) + 180.0) / 360.0 * width


def pitch_to_y(pitch, height: int):
    """Continuous row coordinate (pixel edges, 0 at the top) of a pitch."""
    return (90.0 - np.asarray(pitch, dtype=float)) / 180.0 * height


def x_to_yaw(x, width: int):
    """Yaw at a continuous column coordinate (pixel centres at c + 0.5)."""
    return np.asarray(x, dtype=float) / width * 360.0 - 180.0


def y_to_pitch(y, height: int):
    """Pitch at a continuous row coordinate (0 at the top)."""
    return 90.0 - np.asarray(y, dtype=float) / height * 180.0


def direction(yaw, pitch) -> np.ndarray:
    """Unit vectors (…, 3) for yaw/pitch in degrees."""
    yaw, pitch = np.broadcast_arrays(np.radians(yaw), np.radians(pitch))
    return np.stack([np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), np.sin(pitch)], axis=-1)


def equirect_texture_uv(yaw, pitch) -> tuple[np.ndarray, np.ndarray]:
    """Texture coordinates (u, v) of an equirectangular picture on a mesh: u from 0 at yaw -180,
    v from 0 at the bottom (pitch -90), as VTK reads textures."""
    return (np.asarray(yaw, dtype=float) + 180.0) / 360.0, (np.asarray(pitch, dtype=float) + 90.0) / 180.0


def direction_to_yaw_pitch(x, y, z) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch in degrees of vectors given by their right (x), ahead (y) and up (z)
    components; the inverse of `direction`, for vectors of any length."""
    return np.degrees(np.arctan2(x, y)), direction_pitch(x, y, z)


def direction_pitch(x, y, z) -> np.ndarray:
    """Pitch in degrees of vectors (right x, ahead y, up z): their angle above the horizontal."""
    return np.degrees(np.arctan2(z, np.hypot(x, y)))


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
