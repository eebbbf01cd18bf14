"""Room profiles: the screen, and where each projector points and what it covers.

A profile is YAML: the screen (a `cylinder` round the viewer, or `flat` walls facing it),
the edge-blend settings, and the projectors in output order, each with the yaw of its
centre, the yaw span it covers (its overlap into its neighbours included), its resolution,
gamma, gain, black level and an optional fine-warp grid.  Profiles ship in
`bridge/rooms/`; a user path works too.  Gaps in coverage and impossible sizes are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.validation import pydantic_problems
from bridge.yaml_source import YamlDocument, load_yaml

DEFAULT_ROOM = "bridge"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Screen(_Strict):
    """What the projectors land on, seen from the viewer's eye.

    cylinder: a curved wall at `radius_m`; rows are even in wall height, pitch = atan(h / r).
    flat: each projector lights a flat wall `distance_m` in front of the viewer, square to
    the projector's centre yaw (a pinhole, gnomonic view; a pentagonal room of five walls).
    """

    shape: Literal["cylinder", "flat"] = "cylinder"
    radius_m: float | None = Field(None, gt=0, description="cylinder: distance from viewer to wall")
    distance_m: float | None = Field(None, gt=0, description="flat: distance from viewer to each wall")
    height_m: float = Field(gt=0)
    eye_height_m: float = Field(ge=0, description="Viewer's eye height above the screen's bottom edge")


class Blend(_Strict):
    """Edge blending in the overlaps: ramp f(x) = 0.5(2x)^p below x = 0.5, mirrored above (Bourke)."""

    curve: Literal["power"] = "power"
    exponent: float = Field(2.0, ge=1.0, le=8.0, description="p: 1 is linear, 2 is the usual smooth ramp")


class Warp(_Strict):
    """Fine warp: a grid of control-point offsets in projector pixels, interpolated smoothly."""

    rows: int = Field(ge=2, le=64)
    cols: int = Field(ge=2, le=64)
    offsets: list[tuple[float, float]] = Field(description="rows×cols [dx, dy] pairs, row by row from the top-left")


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


class ProjectorSpec(_Strict):
    name: str | None = None
    yaw: Annotated[float, Field(ge=-180, le=180, description="Yaw of the projector's centre, degrees")]
    span_deg: Annotated[float, Field(gt=0, le=360, description="Yaw it covers, overlap included")]
    resolution: tuple[Annotated[int, Field(gt=0, le=16384)], Annotated[int, Field(gt=0, le=16384)]]
    gamma: float = Field(2.2, ge=1.0, le=3.0)
    gain: float = Field(1.0, gt=0, le=4.0, description="Brightness multiplier in linear light")
    black_level: float = Field(0.0, ge=0, lt=0.5, description="Black lift in linear light, 0..0.5")
    warp: Warp | None = None
    output: Output | None = Field(None, description="Position on the desktop; default: outputs side by side in order")


class RoomSpec(_Strict):
    name: str
    description: str = ""
    screen: Screen
    blend: Blend = Blend()
    display: Display = Display()
    projectors: list[ProjectorSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Projector:
    """One projector's patch of the world and how its pixels map to directions.

    `top`/`bottom` are the screen's upper and lower edge in units of the wall distance,
    measured from the eye (tan of pitch at the wall's centre line).
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

    @property
    def yaw_centre(self) -> float:
        return wrap_yaw((self.yaw_min + self.yaw_max) / 2)

    @property
    def span(self) -> float:
        return self.yaw_max - self.yaw_min

    @property
    def pitch_min(self) -> float:
        return math.degrees(math.atan(self.bottom))

    @property
    def pitch_max(self) -> float:
        return math.degrees(math.atan(self.top))

    def directions(self, cols, rows) -> tuple[np.ndarray, np.ndarray]:
        """(yaw, pitch) in degrees seen through continuous pixel positions (0 = left/top edge).

        Pixel centres are at +0.5.  Yaw is not wrapped (a projector may run past ±180).
        """
        cols, rows = np.broadcast_arrays(np.asarray(cols, dtype=np.float64), np.asarray(rows, dtype=np.float64))
        h = self.top - rows / self.height * (self.top - self.bottom)
        if self.shape == "cylinder":
            return self.yaw_min + cols / self.width * self.span, np.degrees(np.arctan(h))
        half = math.tan(math.radians(self.span / 2))
        u = (2 * cols / self.width - 1) * half
        return self.yaw_centre + np.degrees(np.arctan(u)), np.degrees(np.arctan2(h, np.sqrt(1 + u * u)))


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
        return self.projectors[0].pitch_min, self.projectors[0].pitch_max

    def desktop(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the box round every projector's output on the desktop."""
        x0 = min(p.output[0] for p in self.projectors)
        y0 = min(p.output[1] for p in self.projectors)
        x1 = max(p.output[0] + p.width for p in self.projectors)
        y1 = max(p.output[1] + p.height for p in self.projectors)
        return x0, y0, x1 - x0, y1 - y0

    def neighbours(self) -> list[tuple[Projector, Projector, float]]:
        """Each projector with the next one clockwise round the room and the degrees they share
        (negative: a gap).  Empty for a single projector."""
        ordered = sorted(self.projectors, key=lambda p: p.yaw_min % 360)
        if len(ordered) == 1:
            return []
        return [(a, b, _shared_degrees(a, b)) for a, b in zip(ordered, ordered[1:] + ordered[:1])]

    def overlaps(self) -> list[float]:
        """Degrees each projector shares with the next one round the room (clockwise)."""
        return [shared for _, _, shared in self.neighbours()] or [0.0]

    def neighbour_overlaps(self, projector: Projector) -> tuple[float, float]:
        """Overlap (degrees) on the projector's left and right edges."""
        left = next((max(0.0, s) for a, b, s in self.neighbours() if b is projector), 0.0)
        right = next((max(0.0, s) for a, b, s in self.neighbours() if a is projector), 0.0)
        return left, right

    def summary(self) -> str:
        p = self.projectors
        res = {f"{q.width}×{q.height}" for q in p}
        lo, hi = self.pitch_range
        ov = self.overlaps()
        dist = self.screen.radius_m if self.screen.shape == "cylinder" else self.screen.distance_m
        return (f"{len(p)} projectors ({', '.join(sorted(res))}), {self.screen.shape} at {dist:g} m, "
                f"pitch {lo:.1f}°..{hi:.1f}°, overlap {min(ov):.1f}–{max(ov):.1f}°")


def wrap_yaw(yaw):
    """Any angle (or array of angles) to -180 <= yaw < 180."""
    return (yaw + 180.0) % 360.0 - 180.0


def _shared_degrees(a: Projector, b: Projector) -> float:
    """Overlap from a's end into b's start, walking clockwise (negative: a gap)."""
    return ((a.yaw_max - b.yaw_min + 180.0) % 360.0) - 180.0


def shipped_rooms() -> dict[str, Path]:
    folder = resources.files("bridge") / "rooms"
    return {Path(str(f)).stem: Path(str(f)) for f in folder.iterdir() if str(f).endswith(".yaml")}


def load_room(name_or_path: str | Path | None = None) -> Room:
    """A shipped profile by name (see `bridge rooms`) or a YAML file by path."""
    name_or_path = name_or_path or DEFAULT_ROOM
    rooms = shipped_rooms()
    if str(name_or_path) in rooms:
        path = rooms[str(name_or_path)]
    else:
        path = Path(name_or_path)
        if not path.exists():
            raise BridgeError(Problem(None, None, None,
                f"room '{name_or_path}' is neither a shipped profile{did_you_mean(str(name_or_path), rooms)} "
                f"nor a file; shipped: {', '.join(sorted(rooms))}"))
    doc = load_yaml(path, what="room profile")
    try:
        spec = RoomSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise BridgeError(pydantic_problems(exc, doc, RoomSpec)) from None
    return build_room(spec, doc)


def build_room(spec: RoomSpec, doc: YamlDocument) -> Room:
    screen = spec.screen
    problems: list[Problem] = []
    distance = screen.radius_m if screen.shape == "cylinder" else screen.distance_m
    if distance is None:
        key = "radius_m" if screen.shape == "cylinder" else "distance_m"
        problems.append(doc.problem(("screen",), f"a {screen.shape} screen needs {key}"))
        distance = 1.0
    if screen.eye_height_m >= screen.height_m:
        problems.append(doc.problem(("screen", "eye_height_m"), "the eye must be below the top of the screen"))
    projectors = []
    outputs = _outputs(spec, doc, problems)
    for i, p in enumerate(spec.projectors):
        if screen.shape == "flat" and p.span_deg >= 170:
            problems.append(doc.problem(("projectors", i, "span_deg"), f"{p.span_deg:g}° is too wide for a flat wall; keep it under 170°"))
        warp = None
        if p.warp is not None:
            if len(p.warp.offsets) != p.warp.rows * p.warp.cols:
                problems.append(doc.problem(("projectors", i, "warp", "offsets"),
                    f"has {len(p.warp.offsets)} points; a {p.warp.rows}×{p.warp.cols} grid needs {p.warp.rows * p.warp.cols}"))
            else:
                warp = np.asarray(p.warp.offsets, dtype=np.float32).reshape(p.warp.rows, p.warp.cols, 2)
        projectors.append(Projector(
            number=i + 1, name=p.name or f"projector {i + 1}",
            yaw_min=p.yaw - p.span_deg / 2, yaw_max=p.yaw + p.span_deg / 2,
            width=p.resolution[0], height=p.resolution[1], shape=screen.shape,
            top=(screen.height_m - screen.eye_height_m) / distance, bottom=-screen.eye_height_m / distance,
            gamma=p.gamma, gain=p.gain, black_level=p.black_level, warp=warp, output=outputs[i]))
    if problems:
        raise BridgeError(problems)
    # Output positions and layout do not change a single pixel of a projector's image: keep
    # them out of the digest so moving a window does not invalidate cached tables and frames.
    geometry = spec.model_dump(exclude={"display": True, "projectors": {"__all__": {"output"}}})
    digest = hashlib.sha256(json.dumps(geometry, sort_keys=True).encode()).hexdigest()[:16]
    room = Room(spec.name, spec.description, screen, spec.blend, tuple(projectors), str(doc.path), digest,
                spec.display.layout)
    _check_coverage(room, doc)
    return room


def _outputs(spec: RoomSpec, doc: YamlDocument, problems: list[Problem]) -> list[tuple[int, int]]:
    """Each projector's desktop position: given for all or none (then side by side), never overlapping."""
    given = [p.output is not None for p in spec.projectors]
    if not any(given):
        xs = np.cumsum([0] + [p.resolution[0] for p in spec.projectors[:-1]])
        return [(int(x), 0) for x in xs]
    if not all(given):
        missing = [i for i, g in enumerate(given) if not g]
        problems.append(doc.problem(("projectors", missing[0]),
            "has no output: {x, y} while other projectors do; give every projector its output position or none"))
        return [(0, 0)] * len(spec.projectors)
    rects = [(p.output.x, p.output.y, p.resolution[0], p.resolution[1]) for p in spec.projectors]
    for j, (xj, yj, wj, hj) in enumerate(rects):
        for i, (xi, yi, wi, hi) in enumerate(rects[:j]):
            if xi < xj + wj and xj < xi + wi and yi < yj + hj and yj < yi + hi:
                problems.append(doc.problem(("projectors", j, "output"),
                    f"the output at ({xj}, {yj}) sized {wj}×{hj} overlaps projector {i + 1}'s at ({xi}, {yi}) "
                    f"sized {wi}×{hi}; outputs are separate areas of the desktop"))
    return [(x, y) for x, y, _, _ in rects]


def _check_coverage(room: Room, doc: YamlDocument) -> None:
    """Every yaw must be lit, and no projector may be swallowed by its neighbours' overlap."""
    problems = []
    total = sum(p.span for p in room.projectors)
    if total < 360:
        problems.append(doc.problem(("projectors",), f"the projectors cover {total:g}° in all; they must cover 360°"))
    for a, b, shared in room.neighbours():
        if shared < 0:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"gap of {-shared:.1f}° between {a.name} (ends at yaw {wrap_yaw(a.yaw_max):g}) and {b.name} (starts at {wrap_yaw(b.yaw_min):g}); widen span_deg"))
        elif shared >= min(a.span, b.span) / 2:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"{a.name} and {b.name} overlap by {shared:.1f}°, half a projector or more; check yaw and span_deg"))
    if problems:
        raise BridgeError(problems)
