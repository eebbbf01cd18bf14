"""The compositor: every projector pixel shows the part of the 360° world it lands on.

Each projector's lookup table (bridge/room/lookup.py: source coordinate and blend weight per
output pixel) is compiled once and cached on disk, keyed by the profile's content and the frame
size.  Per frame, flat walls and warped projectors are sampled with OpenCV's `remap`
(fixed-point maps, bilinear, wrapping at ±180°: samples placed to 1/32 pixel, so up to 8 grey
levels from float maps at a diagonal black-white edge); cylinder projectors, whose mapping is
separable, with a few dozen affine warps (see `BandPlan`: within one grey level of a remap
through the float table, and about twice as fast as the fixed-point remap).  Projectors run
side by side on a small thread pool.  Blending then touches only the overlap strips.

Blending: weights sum to one *in linear light* across overlapping projectors; a projector
sends `encoded × (gain·w)^(1/γ)` so that its light, `encoded^γ · gain · w`, adds up to the
frame's light on the wall.  With a black level b the light sent is
`w · (b + (1 − b) · min(1, gain · in^γ))`, still summing to one across an overlap.

Per-pixel maps (a calibration imported with `bridge room import`) replace the computed parts:
a warp map gives each pixel's direction, an alpha map each pixel's weight w (both in the
lookup table), a beta map each pixel's black level b in the formula above.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bridge.cache_folder import cache_folder
from bridge.room.lookup import BandPlan, ProjectorLookup, compile_lookup, plan_bands
from bridge.room.model import Projector, Room

LUT_VERSION = 2
KEEP_TABLES = 8  # cached rooms × frame sizes kept (about 90 MB each at 8192×4096 for five WUXGA projectors)


def cache_dir() -> Path:
    return cache_folder() / "lut"


def run_bands(frame: np.ndarray, plan: BandPlan, p: Projector, dst: np.ndarray | None = None) -> np.ndarray:
    """The projector image from the planned warps, written into `dst` where it fits."""
    width = frame.shape[1]
    c0, c1 = plan.col_start, plan.col_start + plan.col_count
    r0, r1 = plan.row_start, plan.row_start + plan.row_count
    if 0 <= c0 and c1 <= width:
        source = frame[r0:r1, c0:c1]
    else:  # the crop crosses ±180°: join its two sides once
        cols = np.arange(c0, c1) % width
        first = int(np.flatnonzero(np.diff(cols) < 0)[0]) + 1
        source = np.concatenate([frame[r0:r1, cols[0]:cols[first - 1] + 1], frame[r0:r1, : cols[-1] + 1]], axis=1)
    shape = (p.height, p.width) + frame.shape[2:]
    if dst is None or dst.shape != shape or dst.dtype != frame.dtype or not dst.flags.c_contiguous:
        dst = np.empty(shape, frame.dtype)
    for row, rows, matrix in plan.bands:
        cv2.warpAffine(source, matrix, (p.width, rows), dst=dst[row:row + rows],
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return dst


_workers = None


def _pool():
    """One small thread pool for every compositor in the process (made on first use)."""
    global _workers
    if _workers is None:
        from concurrent.futures import ThreadPoolExecutor

        _workers = ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2), thread_name_prefix="bridge-split")
    return _workers


class Compositor:
    """Splits frames of one size for one room; lookup tables are compiled once (or loaded)."""

    def __init__(self, room: Room, frame_width: int, frame_height: int, use_cache: bool = True):
        self.room = room
        self.frame_shape = (frame_height, frame_width)
        self.from_cache = False
        loaded = self._load(room, frame_width, frame_height) if use_cache else None
        if loaded is None:
            self.lookups = [compile_lookup(room, p, frame_width, frame_height) for p in room.projectors]
            if use_cache:
                self._save()
        else:
            self.lookups = loaded
            self.from_cache = True
        for lut in self.lookups:
            lut.bands = plan_bands(lut.projector, frame_width, frame_height)

    @property
    def cache_file(self) -> Path:
        h, w = self.frame_shape
        key = hashlib.sha256(f"{self.room.digest}:{w}x{h}:v{LUT_VERSION}".encode()).hexdigest()[:20]
        return cache_dir() / f"{key}.npz"

    def _load(self, room, w, h) -> list[ProjectorLookup] | None:
        path = self.cache_file
        if not path.exists():
            return None
        try:
            with np.load(path) as data:
                lookups = [ProjectorLookup(p, data[f"x{i}"], data[f"y{i}"], data[f"w{i}"]) for i, p in enumerate(room.projectors)]
            os.utime(path)  # most recently used: kept by the pruning in _save
            return lookups
        except (OSError, KeyError, ValueError):
            return None  # a damaged cache entry is rebuilt

    def _save(self) -> None:
        path = self.cache_file
        arrays: dict[str, Any] = {}  # Any: numpy's stubs would match a dict of arrays to savez's allow_pickle
        for i, lut in enumerate(self.lookups):
            arrays.update({f"x{i}": lut.map_x, f"y{i}": lut.map_y, f"w{i}": lut.weight})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
                np.savez(tmp, **arrays)
            os.replace(tmp.name, path)
            entries = sorted(path.parent.glob("*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
            for stale in entries[KEEP_TABLES:]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass  # no writable cache: compile every time, still correct

    def split(self, frame: np.ndarray, out: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """One uint8 image (height, width, channels) per projector, in the room's order.

        Pass `out` (images from an earlier call) to reuse their memory, as a live show does.
        """
        if frame.shape[:2] != self.frame_shape:
            raise ValueError(f"frame is {frame.shape[1]}×{frame.shape[0]}, compositor was built for "
                             f"{self.frame_shape[1]}×{self.frame_shape[0]}")
        targets: Sequence[np.ndarray | None] = out if out else [None] * len(self.lookups)
        if len(self.lookups) < 2 or (os.cpu_count() or 1) < 2:
            return [self.project(frame, lut, dst) for lut, dst in zip(self.lookups, targets)]
        # Projectors side by side on the cores: OpenCV and NumPy let go of the interpreter lock
        # while they resample and blend (the cylinder room: about 1.3× faster on 2 cores).
        return list(_pool().map(lambda job: self.project(frame, *job), zip(self.lookups, targets)))

    @staticmethod
    def sample(frame: np.ndarray, lut: ProjectorLookup, dst: np.ndarray | None = None) -> np.ndarray:
        """Geometry only: bilinear samples of the frame through the lookup (any dtype).

        Cylinder projectors take the banded affine path, others `cv2.remap`; pass an earlier
        result as `dst` to reuse its memory.
        """
        if lut.bands is not None:
            return run_bands(frame, lut.bands, lut.projector, dst)
        if frame.dtype == np.uint8:
            m1, m2 = lut.fixed_maps
            return cv2.remap(frame, m1, m2, cv2.INTER_LINEAR, dst=dst, borderMode=cv2.BORDER_WRAP)
        return cv2.remap(frame, lut.map_x, lut.map_y, cv2.INTER_LINEAR, dst=dst, borderMode=cv2.BORDER_WRAP)

    def project(self, frame: np.ndarray, lut: ProjectorLookup, dst: np.ndarray | None = None) -> np.ndarray:
        """What the projector is sent: the sampled frame with blend, gain, black level and gamma."""
        if frame.dtype != np.uint8:
            raise ValueError("projector output is 8-bit: pass a uint8 frame")
        return self.finish(self.sample(frame, lut, dst), lut)

    @staticmethod
    def finish(image: np.ndarray, lut: ProjectorLookup) -> np.ndarray:
        """Blend, gain, black level and gamma applied in place to a sampled image (uint8)."""
        if lut._strips is None:
            lut._strips = _blend_plan(lut, image.shape[2] if image.ndim == 3 else 1)
        for columns, apply in lut._strips:
            apply(image[:, columns])  # in place
        return image


StripOp = Callable[[np.ndarray], None]  # changes one strip of a projector image in place


def _blend_plan(lut: ProjectorLookup, channels: int) -> list[tuple[slice, StripOp]]:
    """Precomputed per-strip operations: only columns whose output differs from the input."""
    p = lut.projector
    weight = np.broadcast_to(lut.weight, lut.map_x.shape)
    if p.beta_map is not None:
        return [(slice(None), _beta_apply(p, weight))]
    partial = np.flatnonzero((weight < 1).any(axis=0))
    identity = p.gain == 1.0 and p.black_level == 0.0
    plan: list[tuple[slice, StripOp]] = []
    strips = _runs(partial)
    if not identity:  # every column changes: treat the rest as one more strip with weight 1
        covered = np.zeros(p.width, bool)
        covered[partial] = True
        strips += _runs(np.flatnonzero(~covered))
    for start, stop in strips:
        cols = slice(start, stop)
        w = np.ascontiguousarray(weight[:, cols])
        factor = np.power(p.gain * w, 1.0 / p.gamma)
        if p.black_level == 0.0 and factor.max() <= 1.0:
            # 8-bit factors (error under 0.2% of full scale) halve the memory traffic of float ones.
            factor = np.rint(factor * 255).astype(np.uint8)
            if channels > 1:
                factor = np.repeat(factor[..., None], channels, axis=2)

            def multiply(region: np.ndarray, factor: np.ndarray = factor) -> None:
                cv2.multiply(region, factor, dst=region, scale=1 / 255)
            plan.append((cols, multiply))
        else:
            table = _black_level_table(p)
            levels = np.rint(w * 255).astype(np.intp)

            def look_up(region: np.ndarray, table: np.ndarray = table, levels: np.ndarray = levels) -> None:
                idx = levels[..., None] if region.ndim == 3 else levels
                region[...] = table[idx, region]
            plan.append((cols, look_up))
    return plan


def _beta_apply(p: Projector, weight: np.ndarray) -> StripOp:
    """Every pixel with its own black level (a beta map): light w·(b + (1 − b)·min(1, gain·in^γ)),
    found per frame in float32 and encoded through a 16-bit table of linear light."""
    assert p.beta_map is not None  # called only for projectors with a beta map
    black = p.beta_map.astype(np.float32)
    lift = weight.astype(np.float32) * black  # w·b
    scale = weight.astype(np.float32) * (1 - black)  # w·(1 − b)
    linear = np.minimum(1.0, p.gain * (np.arange(256) / 255.0) ** p.gamma).astype(np.float32)
    encode = np.clip(np.rint((np.arange(65536) / 65535.0) ** (1 / p.gamma) * 255), 0, 255).astype(np.uint8)

    def apply(region: np.ndarray, lift: np.ndarray = lift, scale: np.ndarray = scale) -> None:
        light = linear[region]
        if light.ndim == 3:
            light *= scale[..., None]
            light += lift[..., None]
        else:
            light *= scale
            light += lift
        light *= 65535
        light += 0.5
        region[...] = encode[light.astype(np.uint16)]
    return apply


def _black_level_table(p: Projector) -> np.ndarray:
    """(256 weights × 256 inputs) → output code, for projectors with a black lift."""
    w = np.arange(256)[:, None] / 255.0
    lin = np.minimum(1.0, p.gain * (np.arange(256)[None, :] / 255.0) ** p.gamma)
    out = (w * (p.black_level + (1 - p.black_level) * lin)) ** (1 / p.gamma)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def _runs(indices: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices as (start, stop) pairs."""
    if len(indices) == 0:
        return []
    breaks = np.flatnonzero(np.diff(indices) > 1)
    starts = np.r_[indices[0], indices[breaks + 1]]
    stops = np.r_[indices[breaks], indices[-1]] + 1
    return list(zip(starts.tolist(), stops.tolist()))
