"""Lookup tables: where every projector pixel samples the 360° frame, and with what weight.

Each projector's table is compiled once from the room profile: for every output pixel, the
source coordinate in the equirectangular frame (from the screen's geometry and any fine warp,
or the warp map where the projector has one; bridge/geometry.py's conventions) and a blend
weight in linear light (Bourke's ramps across the overlaps, or the alpha map), summing to one
across overlapping projectors.  A warp map's dark pixels get weight 0.  Cylinder projectors,
whose mapping is separable, also get a `BandPlan`: the same sampling as a few exact-scale
resizes.  bridge/room/compositor.py caches the tables and runs them per frame.
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
        """OpenCV fixed-point maps: about twice as fast as float maps for the same result."""
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
    """A cylinder projector as a few exact-scale `cv2.resize` calls instead of a 2-D remap.

    Columns are linear in yaw: one horizontal scale, with the sub-pixel start met by
    skipping `skip_cols` output columns.  Rows follow atan(h): nonlinear, so the rows are cut
    into bands, each a straight line in source rows (within `tolerance` px) pivoting on a whole
    source row, so that resize's own mapping, src = start + (dst + 0.5)/fy - 0.5, is that line.
    """

    col_start: int
    col_count: int
    skip_cols: int
    fx: float
    skip_rows: int
    bands: list[tuple[int, int, int, int, float]]  # (src row, src rows, buffer row, buffer rows, fy)
    buffer_rows: int
    buffer_cols: int
    tolerance: float

    @property
    def row_span(self) -> tuple[int, int]:
        return min(b[0] for b in self.bands), max(b[0] + b[1] for b in self.bands)


def plan_bands(p: Projector, frame_width: int, frame_height: int, tolerance: float = 0.15,
               max_band: int = 400) -> BandPlan | None:
    """Plan the resize bands of a cylinder projector, or None where only a remap is exact."""
    if p.shape != "cylinder" or p.warp is not None or p.warp_map is not None:
        return None
    scale_x = p.span / 360 * frame_width / p.width  # source columns per output column
    x_left = float(yaw_to_x(p.yaw_min, frame_width))  # unwrapped; pixel edges
    skips = np.arange(0, min(4 * p.width, 8192))
    starts = np.round(x_left - skips * scale_x)
    misses = np.abs(x_left - skips * scale_x - starts)
    good = np.flatnonzero(misses < 0.01)
    if len(good) == 0:
        return None  # the scale is too nearly a whole ratio to hit the sub-pixel start
    skip_cols, col_start = int(good[0]), int(starts[good[0]])
    col_count = int(math.ceil((p.width + skip_cols + 1) * scale_x)) + 3
    buffer_cols = int(round(col_count / scale_x))

    top, bottom = p.top, p.bottom

    def source_row(i):  # continuous source row of output row i (pixel centres at integers)
        h = top - (np.asarray(i, dtype=float) + 0.5) / p.height * (top - bottom)
        return pitch_to_y(np.degrees(np.arctan(h)), frame_height) - 0.5

    def pivot(i):  # a band starting at output row i must start at this (whole) source row
        return source_row(np.asarray(i, dtype=float) - 0.5) + 0.5

    def near_whole(v, eps):
        return abs(v - round(float(v))) <= eps

    eps0 = tolerance / 3
    skip_rows = next((k for k in range(64) if near_whole(pivot(-k), eps0)), None)
    if skip_rows is None:
        return None
    bands, start = [], -skip_rows
    while start < p.height:
        found = None
        slack = eps0
        while found is None and slack <= tolerance:
            r = int(round(float(pivot(start))))
            for n in range(min(max_band, p.height - start), 0, -1):
                end = start + n
                if end < p.height and not near_whole(pivot(end), slack):
                    continue
                rows = np.arange(start, end)
                t = rows - start + 0.5
                y = source_row(rows)
                step = float(np.sum(t * (y - r + 0.5)) / np.sum(t * t))
                if np.abs(r - 0.5 + t * step - y).max() <= tolerance and step > 0:
                    found = (r, n, step)
                    break
            slack *= 1.5
        if found is None:
            return None
        r, n, step = found
        src_rows = int(math.ceil((n + 0.5) * step + 1.5)) + 1
        out_rows = int(round(src_rows / step))
        if r < 0 or r + src_rows > frame_height:
            return None  # the band would need rows beyond the poles: let remap clamp them
        bands.append((r, src_rows, start + skip_rows, out_rows, 1.0 / step))
        start += n
    buffer_rows = max(b[2] + b[3] for b in bands)
    return BandPlan(col_start, col_count, skip_cols, 1.0 / scale_x, skip_rows, bands, buffer_rows, buffer_cols, tolerance)
