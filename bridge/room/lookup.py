"""Lookup tables: where every projector pixel samples the 360° frame, and with what weight.

Each projector's table is compiled once from the room profile: for every output pixel, the
source coordinate in the equirectangular frame (from the screen's geometry and any fine warp,
or the warp map where the projector has one; bridge/geometry.py's conventions) and a blend
weight in linear light (Bourke's ramps across the overlaps, or the alpha map), summing to one
across overlapping projectors.  A warp map's dark pixels get weight 0.  Cylinder projectors,
whose mapping is separable, also get a `BandPlan`: the same sampling, within one grey level,
as a few affine warps.  bridge/room/compositor.py caches the tables and runs them per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from bridge.geometry import pitch_to_y, wrap_yaw, yaw_to_x
from bridge.room.model import Projector, Room


def bourke_ramp(x: np.ndarray, p: float) -> np.ndarray:
    """Paul Bourke's blend curve on 0..1: f(x) + f(1 − x) = 1, flat at both ends for p > 1."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x < 0.5, 0.5 * (2 * x) ** p, 1 - 0.5 * (2 * (1 - x)) ** p)


def coverage(room: Room, projector: Projector, yaw: np.ndarray) -> np.ndarray:
    """0..1 position of each yaw inside this projector's ramp: 0 at its edge, 1 past the overlap."""
    left_overlap, right_overlap = room.neighbour_overlaps(projector)
    inside = (np.asarray(yaw) - projector.yaw_min) % 360.0
    outside = inside > projector.span
    from_left = inside / left_overlap if left_overlap > 0 else np.ones_like(inside)
    from_right = (projector.span - inside) / right_overlap if right_overlap > 0 else np.ones_like(inside)
    t = np.clip(np.minimum(from_left, from_right), 0.0, 1.0)
    return np.where(outside, 0.0, t)


def blend_weights(room: Room, projector: Projector, yaw: np.ndarray) -> np.ndarray:
    """Linear-light weight of `projector` at each yaw; over all projectors they sum to one."""
    p = room.blend.exponent
    own = bourke_ramp(coverage(room, projector, yaw), p)
    total = sum(bourke_ramp(coverage(room, other, yaw), p) for other in room.projectors)
    return np.where(total > 0, own / np.maximum(total, 1e-12), 1.0).astype(np.float32)


def warp_offsets(projector: Projector) -> tuple[np.ndarray, np.ndarray] | None:
    """The fine-warp grid interpolated bicubically to one (dx, dy) per projector pixel.

    Control points sit evenly from the first pixel centre to the last, corners included.
    """
    if projector.warp is None:
        return None
    rows, cols = projector.warp.shape[:2]
    gx = (np.arange(projector.width, dtype=np.float32)) / max(1, projector.width - 1) * (cols - 1)
    gy = (np.arange(projector.height, dtype=np.float32)) / max(1, projector.height - 1) * (rows - 1)
    mx, my = np.meshgrid(gx, gy)
    dense = cv2.remap(projector.warp, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return dense[..., 0], dense[..., 1]


@dataclass
class ProjectorLookup:
    """Where each output pixel samples the frame, and with what weight."""

    projector: Projector
    map_x: np.ndarray  # (h, w) float32 source column, pixel centres at integers
    map_y: np.ndarray  # (h, w) float32 source row
    weight: np.ndarray  # (h, w) or (1, w) float32, linear light
    bands: BandPlan | None = None  # set for cylinder projectors: the faster, separable path
    _fixed: tuple | None = field(default=None, repr=False)
    _strips: list | None = field(default=None, repr=False)

    @property
    def fixed_maps(self):
        """OpenCV fixed-point maps: faster than float maps (1.5–1.7× on 2 cores with OpenCV 5),
        but samples placed to 1/32 pixel: up to 8 grey levels off at a diagonal black-white edge."""
        if self._fixed is None:
            self._fixed = cv2.convertMaps(self.map_x, self.map_y, cv2.CV_16SC2)
        return self._fixed


def pixel_directions(projector: Projector) -> tuple[np.ndarray, np.ndarray]:
    """(yaw, pitch) in degrees seen through each pixel centre, (height, width) float64 each.

    From the warp map where the projector has one (NaN where a pixel is dark), else from the
    screen's geometry moved by any fine warp.  Yaw is not wrapped."""
    if projector.warp_map is not None:
        return projector.warp_map[..., 0].astype(np.float64), projector.warp_map[..., 1].astype(np.float64)
    cols = np.arange(projector.width, dtype=np.float64) + 0.5
    rows = np.arange(projector.height, dtype=np.float64) + 0.5
    offsets = warp_offsets(projector)
    if offsets is None:
        return projector.directions(cols[None, :], rows[:, None])
    return projector.directions(cols[None, :] + offsets[0], rows[:, None] + offsets[1])


def projector_weights(room: Room, projector: Projector, yaw: np.ndarray | None = None) -> np.ndarray:
    """Each pixel's blend weight in linear light: the alpha map, else the blend ramps at its yaw
    ((1, width) when every row shares the weights: no warp of any kind); 0 where a warp map is dark."""
    if projector.alpha_map is not None:
        weight = projector.alpha_map.astype(np.float32)
    else:
        if yaw is None:
            yaw = pixel_directions(projector)[0]
        per_pixel = projector.warp is not None or projector.warp_map is not None
        weight = blend_weights(room, projector, yaw if per_pixel else yaw[:1])
    if projector.warp_map is not None:
        weight = np.where(np.isnan(projector.warp_map[..., 0]), np.float32(0), weight).astype(np.float32)
    return weight


def compile_lookup(room: Room, projector: Projector, frame_width: int, frame_height: int) -> ProjectorLookup:
    """The lookup table of one projector for frames of the given size."""
    yaw, pitch = pixel_directions(projector)
    weight = projector_weights(room, projector, yaw)
    if projector.warp_map is not None:  # dark pixels: any valid source, weight 0
        dark = np.isnan(yaw)
        yaw, pitch = np.where(dark, 0.0, yaw), np.where(dark, 0.0, pitch)
    map_x = (yaw_to_x(wrap_yaw(yaw), frame_width) - 0.5) % frame_width
    map_y = np.clip(pitch_to_y(pitch, frame_height) - 0.5, 0, frame_height - 1)
    return ProjectorLookup(projector, map_x.astype(np.float32), map_y.astype(np.float32), weight)


@dataclass
class BandPlan:
    """A cylinder projector as a few affine warps (`cv2.warpAffine`) instead of a 2-D remap.

    Columns are linear in yaw: one horizontal scale and offset for every row.  Rows follow
    atan(h), so they are cut into bands, each a straight line in source rows within `tolerance`
    source pixels of the exact curve.  The warp's sub-pixel offsets are free (a resize's are
    not), so the tolerance can be tight: BAND_TOLERANCE keeps a black-to-white edge within half
    a grey level of `cv2.remap` through the float lookup table.  Sampling reads one crop of the
    frame, `col_count` columns from `col_start` (unwrapped: may cross ±180°) and `row_count`
    rows from `row_start`; rows past the poles repeat the first or last row, as the lookup's
    clamped rows do.
    """

    col_start: int
    col_count: int
    row_start: int
    row_count: int
    bands: list[tuple[int, int, np.ndarray]]  # (first output row, rows, 2×3 matrix: output pixel → crop pixel)
    tolerance: float


BAND_TOLERANCE = 0.002  # source pixels: 255 levels × 0.002 ≈ 0.5 of a level at the sharpest edge


def plan_bands(p: Projector, frame_width: int, frame_height: int, tolerance: float = BAND_TOLERANCE) -> BandPlan | None:
    """Plan the affine bands of a cylinder projector, or None where only a remap is exact."""
    if p.shape != "cylinder" or p.warp is not None or p.warp_map is not None:
        return None
    centres = np.arange(max(p.width, p.height), dtype=np.float64) + 0.5
    yaw = p.directions(centres[:p.width], np.full(p.width, 0.5))[0]
    pitch = p.directions(np.full(p.height, 0.5), centres[:p.height])[1]
    x = yaw_to_x(yaw, frame_width) - 0.5  # source column of each output column, unwrapped
    y = pitch_to_y(pitch, frame_height) - 0.5  # source row of each output row, before clamping
    fx = (x[-1] - x[0]) / max(1, p.width - 1)
    if np.abs(x - (x[0] + fx * np.arange(p.width))).max() > tolerance / 4:
        return None  # columns not linear in yaw: not a cylinder's mapping
    col_start, col_end = math.floor(x.min()) - 1, math.ceil(x.max()) + 2
    row_start, row_end = max(0, math.floor(y.min()) - 1), min(frame_height, math.ceil(y.max()) + 2)
    crosses = col_start < 0 or col_end > frame_width
    if col_end - col_start > frame_width or (crosses and (y.min() < 0 or y.max() > frame_height - 1)):
        return None  # all the way round, or across ±180° and past a pole: the remap wraps and clamps
    bands, first = [], 0
    while first < p.height:
        rows, origin, slope = _longest_band(y[first:], tolerance)
        matrix = np.array([[fx, 0.0, x[0] - col_start], [0.0, slope, origin - row_start]])
        bands.append((first, rows, matrix))
        first += rows
    return BandPlan(col_start, col_end - col_start, row_start, row_end - row_start, bands, tolerance)


def _longest_band(y: np.ndarray, tolerance: float) -> tuple[int, float, float]:
    """The most leading rows of `y` one straight line follows within `tolerance`:
    (rows, the line's value at the first row, its slope), found by bisection."""

    def fit(n: int) -> tuple[float, float, float]:  # the chord moved to halve the worst deviation
        slope = (y[n - 1] - y[0]) / max(1, n - 1)
        deviation = y[:n] - (y[0] + slope * np.arange(n))
        return y[0] + (deviation.max() + deviation.min()) / 2, slope, (deviation.max() - deviation.min()) / 2

    low, high = 1, len(y)
    while low < high:
        mid = (low + high + 1) // 2
        if fit(mid)[2] <= tolerance:
            low = mid
        else:
            high = mid - 1
    origin, slope, _ = fit(low)
    return low, origin, slope
