"""Cut each projector's image out of the equirectangular frame.

For a cylindrical screen the mapping is separable: a projector column depends only on
yaw (linear across its span) and a row only on height on the wall, h = R·tan(pitch).
So each projector is two 1-D bilinear resamplings: columns first (with wrap-around at
±180°), then rows.  Blending, flat walls and calibration grow here later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.layout import pitch_to_y, yaw_to_x
from bridge.room import Projector, Room


@dataclass(frozen=True)
class AxisMap:
    """For each output pixel along one axis: the two source indices and the weight of the second."""

    lo: np.ndarray
    hi: np.ndarray
    frac: np.ndarray


def projector_yaws(p: Projector) -> np.ndarray:
    """Yaw at the centre of each projector column (may exceed ±180; wrap before use)."""
    return p.yaw_min + (np.arange(p.width) + 0.5) / p.width * (p.yaw_max - p.yaw_min)


def projector_pitches(p: Projector) -> np.ndarray:
    """Pitch at the centre of each projector row, top row first; rows are even in wall height."""
    top, bottom = np.tan(np.radians(p.pitch_max)), np.tan(np.radians(p.pitch_min))
    heights = top - (np.arange(p.height) + 0.5) / p.height * (top - bottom)
    return np.degrees(np.arctan(heights))


def column_map(p: Projector, frame_width: int) -> AxisMap:
    x = yaw_to_x(projector_yaws(p), frame_width) - 0.5  # pixel centres sit at +0.5
    lo = np.floor(x).astype(np.int64)
    return AxisMap(lo % frame_width, (lo + 1) % frame_width, (x - lo).astype(np.float32))


def row_map(p: Projector, frame_height: int) -> AxisMap:
    y = np.clip(pitch_to_y(projector_pitches(p), frame_height) - 0.5, 0, frame_height - 1)
    lo = np.floor(y).astype(np.int64)
    return AxisMap(lo, np.minimum(lo + 1, frame_height - 1), (y - lo).astype(np.float32))


class Compositor:
    """Splits frames of one size for one room; the index maps are computed once."""

    def __init__(self, room: Room, frame_width: int, frame_height: int):
        self.room = room
        self.maps = [(column_map(p, frame_width), row_map(p, frame_height)) for p in room.projectors]
        self.frame_shape = (frame_height, frame_width)

    def split(self, frame: np.ndarray) -> list[np.ndarray]:
        """One uint8 image (height, width, channels) per projector, in the room's order."""
        if frame.shape[:2] != self.frame_shape:
            raise ValueError(f"frame is {frame.shape[1]}×{frame.shape[0]}, compositor was built for "
                             f"{self.frame_shape[1]}×{self.frame_shape[0]}")
        return [_resample(frame, cols, rows) for cols, rows in self.maps]


def _resample(frame: np.ndarray, cols: AxisMap, rows: AxisMap) -> np.ndarray:
    top, bottom = int(rows.lo.min()), int(rows.hi.max()) + 1
    band = frame[top:bottom].astype(np.float32)
    fx = cols.frac[None, :, None]
    across = band[:, cols.lo] * (1 - fx) + band[:, cols.hi] * fx
    fy = rows.frac[:, None, None]
    out = across[rows.lo - top] * (1 - fy) + across[rows.hi - top] * fy
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
