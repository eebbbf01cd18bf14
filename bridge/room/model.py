"""What a room is: the screen, and where each projector points and what it covers.

A room profile gives the screen (a `cylinder` round the viewer, `flat` walls facing it, or
one `wall` straight ahead), the edge-blend settings, and the projectors in output order, each
with the yaw of its centre and the yaw span it covers (its overlap into its neighbours
included) — or, on a wall, the part of the wall it shows — its resolution, gamma, gain, black
level and an optional fine-warp grid.  These are its models: the specs as written (pydantic,
checked field by field) and the `Room` and `Projector` built from them; bridge/room/load.py
reads and builds them.

A room need not go all the way round: the widest gap between neighbouring projectors, if at
least MIN_OPEN_SIDE_DEG, is its open side (a front wall), not a mistake, and the projectors
either side of it are not blended.  `Room.covered_yaws` and `Room.lit_band` say what it lights.

A projector may also carry per-pixel `maps` (what `bridge room import` writes from an MPCDI
calibration): a warp map (the direction each pixel shows) replaces the screen geometry, an
alpha map (linear-light blend weight) the blend ramps, a beta map the black level.

A profile may come from anywhere, so its numbers must be finite and in range, it may have at
most MAX_PROJECTORS projectors of at most MAX_PROJECTOR_SIDE pixels a side, and the memory a
render would hold (`render_bytes`: the frame, the projector images and the compositor's lookup
tables) is checked against MAX_RENDER_BYTES before anything is allocated.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from bridge.errors import BridgeError, Problem
from bridge.geometry import wrap_yaw
from bridge.limits import MAX_PROJECTOR_SIDE, MAX_PROJECTORS, MAX_RENDER_BYTES

MAX_METRES = 1000.0  # a screen's height or distance: farther than this is no room
MIN_OPEN_SIDE_DEG = 10.0  # a narrower gap between projectors is a mistake, not the room's open side
MAX_WARP_PIXELS = float(MAX_PROJECTOR_SIDE)  # a fine-warp offset, in projector pixels
Pixels = Annotated[int, Field(gt=0, le=MAX_PROJECTOR_SIDE)]
WarpOffset = Annotated[float, Field(ge=-MAX_WARP_PIXELS, le=MAX_WARP_PIXELS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # .inf and .nan are refused


class Screen(_Strict):
    """What the projectors land on, seen from the viewer's eye.

    cylinder: a curved wall at `radius_m`; rows are even in wall height, pitch = atan(h / r).
    flat: each projector lights a flat wall `distance_m` in front of the viewer, square to
    the projector's centre yaw (a pinhole, gnomonic view; a pentagonal room of five walls).
    wall: one flat wall `width_m` wide, `distance_m` straight ahead (yaw 0) and centred on the
    viewer; each projector (or display) shows its `area` of it, so they may be stacked (a
    video wall).  A point x across and y up from the eye: yaw = atan2(x, d), pitch =
    atan2(y, hypot(x, d)).
    """

    shape: Literal["cylinder", "flat", "wall"] = "cylinder"
    radius_m: float | None = Field(None, gt=0, le=MAX_METRES, description="cylinder: distance from viewer to wall")
    distance_m: float | None = Field(None, gt=0, le=MAX_METRES,
                                     description="flat: distance from viewer to each wall; wall: to the wall")
    width_m: float | None = Field(None, gt=0, le=MAX_METRES, description="wall: the wall's width, centred on the viewer")
    height_m: float = Field(gt=0, le=MAX_METRES)
    eye_height_m: float = Field(ge=0, le=MAX_METRES, description="Viewer's eye height above the screen's bottom edge")


class Blend(_Strict):
    """Edge blending in the overlaps: ramp f(x) = 0.5(2x)^p below x = 0.5, mirrored above (Bourke)."""

    curve: Literal["power"] = "power"
    exponent: float = Field(2.0, ge=1.0, le=8.0, description="p: 1 is linear, 2 is the usual smooth ramp")


class Warp(_Strict):
    """Fine warp: a grid of control-point offsets in projector pixels, interpolated smoothly."""

    rows: int = Field(ge=2, le=64)
    cols: int = Field(ge=2, le=64)
    offsets: list[tuple[WarpOffset, WarpOffset]] = Field(max_length=64 * 64,
        description="rows×cols [dx, dy] pairs, row by row from the top-left")


class Maps(_Strict):
    """Per-pixel calibration maps, files beside the profile (paths relative to it, inside its folder)."""

    warp: str | None = Field(None, min_length=1, max_length=1000, description=(
        "NumPy .npy file, float32 (height, width, 2): yaw and pitch in degrees seen through each pixel's centre "
        "(NaN: the pixel stays dark); replaces the screen geometry"))
    alpha: str | None = Field(None, min_length=1, max_length=1000, description=(
        "grey PNG (8 or 16 bit): blend weight in linear light, 0..1; replaces the blend ramps"))
    beta: str | None = Field(None, min_length=1, max_length=1000, description=(
        "grey PNG (8 or 16 bit): black level in linear light, under 0.5; replaces black_level"))


class Output(_Strict):
    """Where the projector's output sits on the combined desktop, top-left corner in pixels."""

    x: int = Field(ge=0, le=65535)
    y: int = Field(ge=0, le=65535)


class Display(_Strict):
    """How `bridge launch` drives the outputs.

    span: one borderless window over the combined desktop (the usual multi-output graphics
    card set-up), each projector's image at its output offset.  per-projector: one
    borderless full-screen window per output, at the output's position.
    """

    layout: Literal["span", "per-projector"] = "span"


class Area(_Strict):
    """The part of a `wall` screen a projector shows, in fractions of the wall's width and height
    from its top-left corner (the order a wall's picture is read in)."""

    x: float = Field(ge=0, lt=1, description="left edge, from the wall's left")
    y: float = Field(ge=0, lt=1, description="top edge, from the wall's top")
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)


class ProjectorSpec(_Strict):
    name: str | None = Field(None, max_length=200)
    yaw: float | None = Field(None, ge=-180, le=180, description="Yaw of the projector's centre, degrees "
                                                                  "(cylinder and flat screens)")
    span_deg: float | None = Field(None, gt=0, le=360, description="Yaw it covers, overlap included "
                                                                   "(cylinder and flat screens)")
    area: Area | None = Field(None, description="wall screens: the part of the wall it shows")
    resolution: tuple[Pixels, Pixels] = Field(description=f"Width and height in pixels, each at most {MAX_PROJECTOR_SIDE}")
    gamma: float = Field(2.2, ge=1.0, le=3.0)
    gain: float = Field(1.0, gt=0, le=4.0, description="Brightness multiplier in linear light")
    black_level: float = Field(0.0, ge=0, lt=0.5, description="Black lift in linear light, 0..0.5")
    warp: Warp | None = None
    maps: Maps | None = Field(None, description="Per-pixel warp, alpha and beta maps (from `bridge room import`)")
    output: Output | None = Field(None, description="Position on the desktop; default: outputs side by side in order")
    host: str | None = Field(None, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$",
                             description="In a room driven by several PCs (`bridge launch --cluster`): the host name "
                                         "of the PC whose outputs drive this projector")


class RoomSpec(_Strict):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    screen: Screen
    blend: Blend = Blend()
    display: Display = Display()
    projectors: list[ProjectorSpec] = Field(min_length=1, max_length=MAX_PROJECTORS)


@dataclass(frozen=True)
class Projector:
    """One projector's patch of the world and how its pixels map to directions.

    `top`/`bottom` are the screen's upper and lower edge in units of the wall distance,
    measured from the eye (tan of pitch at the wall's centre line); on a `wall`, `left`/`right`
    are its area's edges in the same units, from straight ahead (tan of yaw).
    """

    number: int
    name: str
    yaw_min: float
    yaw_max: float
    width: int
    height: int
    shape: str
    top: float
    bottom: float
    gamma: float = 2.2
    gain: float = 1.0
    black_level: float = 0.0
    warp: np.ndarray | None = None  # (rows, cols, 2) offsets in projector pixels
    output: tuple[int, int] = (0, 0)  # top-left of its output on the combined desktop
    # Per-pixel maps (profile key `maps`), each at the projector's resolution:
    warp_map: np.ndarray | None = dataclasses.field(default=None, repr=False)  # (h, w, 2) float32 yaw, pitch (NaN: dark)
    alpha_map: np.ndarray | None = dataclasses.field(default=None, repr=False)  # (h, w) float32 linear-light weight
    beta_map: np.ndarray | None = dataclasses.field(default=None, repr=False)  # (h, w) float32 black level
    map_files: tuple = ()  # (kind, path, as written) of the maps to load: filled by build_room, read by load_room
    host: str | None = None  # the PC that drives it, in a room on several PCs (bridge/show/cluster/)
    left: float = 0.0  # wall only: the area's left and right edges, tan of yaw
    right: float = 0.0

    @property
    def has_maps(self) -> bool:
        return bool(self.map_files) or any(m is not None for m in (self.warp_map, self.alpha_map, self.beta_map))

    @property
    def yaw_centre(self) -> float:
        return wrap_yaw((self.yaw_min + self.yaw_max) / 2)

    @property
    def span(self) -> float:
        return self.yaw_max - self.yaw_min

    @property
    def facing(self) -> float | None:
        """Yaw of the flat screen's normal (None on a cylinder): where its pitch band is tallest."""
        return None if self.shape == "cylinder" else 0.0 if self.shape == "wall" else self.yaw_centre

    def pitch_band(self, yaw: float) -> tuple[float, float] | None:
        """(lowest, highest) pitch its picture reaches at `yaw`, or None where it does not reach.

        A flat screen is lit to the same height all along, so its ends are seen at a lower pitch:
        pitch = atan(h · cos(yaw − facing))."""
        offset = (yaw - self.yaw_min) % 360
        if offset > self.span:
            return None
        shrink = 1.0 if self.facing is None else math.cos(math.radians(self.yaw_min + offset - self.facing))
        return math.degrees(math.atan(self.bottom * shrink)), math.degrees(math.atan(self.top * shrink))

    def _bands(self) -> list[tuple[float, float]]:
        """Its pitch band where it is tallest and shortest: its edges and the yaw nearest its facing."""
        yaws = [self.yaw_min, self.yaw_max]
        if self.facing is not None:
            yaws.append(self.yaw_min + min(self.span, max(0.0, (self.facing - self.yaw_min + 180) % 360 - 180)))
        return [band for y in yaws if (band := self.pitch_band(y)) is not None]

    @property
    def pitch_min(self) -> float:
        """The lowest pitch any of its pixels shows."""
        return min(lo for lo, _ in self._bands())

    @property
    def pitch_max(self) -> float:
        """The highest pitch any of its pixels shows."""
        return max(hi for _, hi in self._bands())

    def inner_band(self) -> tuple[float, float]:
        """The pitch it lights at every yaw it covers: a box drawn inside it stays on its picture."""
        bands = self._bands()
        return max(lo for lo, _ in bands), min(hi for _, hi in bands)

    def directions(self, cols, rows) -> tuple[np.ndarray, np.ndarray]:
        """(yaw, pitch) in degrees seen through continuous pixel positions (0 = left/top edge).

        Pixel centres are at +0.5.  Yaw is not wrapped (a projector may run past ±180).
        A flat screen's point u across and h up (in units of its distance, from its facing
        direction) is seen at yaw = facing + atan(u), pitch = atan2(h, √(1 + u²)).
        """
        cols, rows = np.broadcast_arrays(np.asarray(cols, dtype=np.float64), np.asarray(rows, dtype=np.float64))
        h = self.top - rows / self.height * (self.top - self.bottom)
        if self.shape == "cylinder":
            return self.yaw_min + cols / self.width * self.span, np.degrees(np.arctan(h))
        if self.shape == "wall":
            u = self.left + cols / self.width * (self.right - self.left)
        else:
            u = (2 * cols / self.width - 1) * math.tan(math.radians(self.span / 2))
        facing = self.facing or 0.0
        return facing + np.degrees(np.arctan(u)), np.degrees(np.arctan2(h, np.sqrt(1 + u * u)))


@dataclass(frozen=True)
class Room:
    name: str
    description: str
    screen: Screen
    blend: Blend
    projectors: tuple[Projector, ...]
    source: str
    digest: str  # hash of the profile's content: keys the lookup-table cache
    layout: str = "span"  # how `bridge launch` opens windows: span | per-projector

    @property
    def pitch_range(self) -> tuple[float, float]:
        """The lowest and highest pitch any projector shows."""
        return min(p.pitch_min for p in self.projectors), max(p.pitch_max for p in self.projectors)

    def desktop(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the box round every projector's output on the desktop."""
        x0 = min(p.output[0] for p in self.projectors)
        y0 = min(p.output[1] for p in self.projectors)
        x1 = max(p.output[0] + p.width for p in self.projectors)
        y1 = max(p.output[1] + p.height for p in self.projectors)
        return x0, y0, x1 - x0, y1 - y0

    def _ring(self) -> list[tuple[Projector, Projector, float]]:
        """Each projector with the next one clockwise and the degrees they share (negative: a gap)."""
        ordered = sorted(self.projectors, key=lambda p: p.yaw_min % 360)
        if self.screen.shape == "wall":
            return []
        return [(a, b, _shared_degrees(a, b)) for a, b in zip(ordered, ordered[1:] + ordered[:1])]

    def open_side(self) -> tuple[Projector, Projector, float] | None:
        """The room's open side: the projectors either side of the widest gap and its degrees, if
        it is at least MIN_OPEN_SIDE_DEG wide; None for a room that goes all the way round (or a
        wall, open by its nature)."""
        ring = self._ring()
        if not ring:
            return None
        a, b, shared = min(ring, key=lambda pair: pair[2])
        return (a, b, -shared) if -shared >= MIN_OPEN_SIDE_DEG else None

    def neighbours(self) -> list[tuple[Projector, Projector, float]]:
        """Each projector with the next one clockwise round the room and the degrees they share
        (negative: a gap).  Empty for a wall; the two ends of a room with an open side are not
        neighbours."""
        gap = self.open_side()
        return [(a, b, s) for a, b, s in self._ring() if gap is None or (a, b) != gap[:2]]

    def overlaps(self) -> list[float]:
        """Degrees each projector shares with the next one round the room (clockwise)."""
        return [shared for _, _, shared in self.neighbours()] or [0.0]

    def neighbour_overlaps(self, projector: Projector) -> tuple[float, float]:
        """Overlap (degrees) on the projector's left and right edges."""
        left = next((max(0.0, s) for a, b, s in self.neighbours() if b is projector), 0.0)
        right = next((max(0.0, s) for a, b, s in self.neighbours() if a is projector), 0.0)
        return left, right

    def covered_yaws(self) -> list[tuple[float, float]]:
        """The yaws the room lights, as (start, end) clockwise with -180 <= start < end:
        [(-180, 180)] for a room that goes all the way round."""
        if self.screen.shape == "wall":
            return [(min(p.yaw_min for p in self.projectors), max(p.yaw_max for p in self.projectors))]
        gap = self.open_side()
        if gap is None:
            return [(-180.0, 180.0)]
        start = wrap_yaw(gap[1].yaw_min)
        return [(start, start + 360 - gap[2])]

    def lit_band(self, yaw: float) -> tuple[float, float] | None:
        """(lowest, highest) pitch the room lights at `yaw`, or None where no projector shines.

        A wall is lit as one: its displays' bezels (thin gaps between their areas) count as lit."""
        if self.screen.shape == "wall":
            (start, end), = self.covered_yaws()
            if not start <= wrap_yaw(yaw) <= end:
                return None
            shrink = math.cos(math.radians(wrap_yaw(yaw)))
            return (math.degrees(math.atan(min(p.bottom for p in self.projectors) * shrink)),
                    math.degrees(math.atan(max(p.top for p in self.projectors) * shrink)))
        bands = [band for p in self.projectors if (band := p.pitch_band(yaw)) is not None]
        return (min(lo for lo, _ in bands), max(hi for _, hi in bands)) if bands else None

    def summary(self) -> str:
        screen, (lo, hi), ov = self.screen, self.pitch_range, self.overlaps()
        (start, end), = self.covered_yaws()
        res = sorted({f"{q.width}×{q.height}" for q in self.projectors})
        shape = (f"wall {screen.width_m:g}×{screen.height_m:g} m" if screen.shape == "wall" else screen.shape)
        return (f"{len(self.projectors)} projectors ({', '.join(res)}), {shape} at {screen.radius_m or screen.distance_m:g} m, "
                f"{'all round' if end - start >= 360 else f'yaw {start:.0f}°..{end:.0f}°'}, pitch {lo:.1f}°..{hi:.1f}°"
                + ("" if screen.shape == "wall" else f", overlap {min(ov):.1f}–{max(ov):.1f}°"))


def _shared_degrees(a: Projector, b: Projector) -> float:
    """Overlap from a's end into b's start, walking clockwise from a's start (negative: a gap)."""
    return a.span - (360.0 if a is b else (b.yaw_min - a.yaw_min) % 360)


# What a render holds, per pixel, as the compositor builds it (bridge/room/compositor.py; checked
# against a measured render in tests/test_room.py):
FRAME_BYTES_PER_PIXEL = 10  # the frame rendered (RGBA), read back and kept as RGB
PROJECTOR_BYTES_PER_PIXEL = 24  # map_x, map_y, weight (float32: 12), fixed-point maps (6), image (3), blend strips (3)
COMPILE_BYTES_PER_PIXEL = 40  # float64 directions and maps while one projector's table is compiled
WARP_COMPILE_BYTES_PER_PIXEL = 96  # the same with a fine warp: its dense offsets, per-pixel yaw and weights
MAP_BYTES_PER_PIXEL = {"warp": 8, "alpha": 4, "beta": 4}  # per-pixel maps held with the room (float32)
BETA_SPLIT_BYTES_PER_PIXEL = 24  # a beta map's per-frame light (float32 per channel) and its 16-bit index


def render_bytes(room: Room, width: int, height: int) -> tuple[int, int, int]:
    """(total, frame, projectors): about how many bytes a render of `width`×`height` frames
    holds at its peak: the frame, every projector's image and lookup table, and the float64
    arrays of the costliest projector's table while it is compiled."""
    frame = width * height * FRAME_BYTES_PER_PIXEL
    projectors = sum(p.width * p.height * (PROJECTOR_BYTES_PER_PIXEL + sum(MAP_BYTES_PER_PIXEL[k] for k in _map_kinds(p)))
                     for p in room.projectors) + max(
        p.width * p.height * (WARP_COMPILE_BYTES_PER_PIXEL if p.warp is not None or "warp" in _map_kinds(p)
                              else COMPILE_BYTES_PER_PIXEL) + (p.width * p.height * BETA_SPLIT_BYTES_PER_PIXEL
                                                               if "beta" in _map_kinds(p) else 0)
        for p in room.projectors)
    return frame + projectors, frame, projectors


def _map_kinds(p: Projector) -> set[str]:
    kinds = {kind for kind, *_ in p.map_files}
    kinds |= {k for k, m in (("warp", p.warp_map), ("alpha", p.alpha_map), ("beta", p.beta_map)) if m is not None}
    return kinds


def check_render_memory(room: Room, width: int, height: int, where: str = "--size") -> None:
    """Refuse, before allocating anything, a render that would hold more than MAX_RENDER_BYTES.

    `where` names what chose the frame size: an option ('--size') or an image's path."""
    total, frame, projectors = render_bytes(room, width, height)
    if total > MAX_RENDER_BYTES:
        raise BridgeError(Problem(None, None, None,
            f"{where}: a {width}×{height} frame for {room.name} would need about {readable_bytes(total)} "
            f"(frame {readable_bytes(frame)}; {len(room.projectors)} projector images and lookup tables "
            f"{readable_bytes(projectors)}); "
            f"a render may hold at most {readable_bytes(MAX_RENDER_BYTES)}: use a smaller frame or a smaller room"))


def readable_bytes(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"

