"""Room profiles: where each projector points and what it covers.

A profile is a YAML file: the screen (a cylinder round the viewer) and the projectors in
output order, each with the yaw of its centre, the yaw span it covers (its overlap into
its neighbours included) and its resolution.  Profiles ship in `bridge/rooms/`; a user
path works too.  Gaps in coverage and impossible sizes are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.validation import pydantic_problems
from bridge.yaml_source import load_yaml

DEFAULT_ROOM = "bridge"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Screen(_Strict):
    """A cylindrical wall at `radius_m` round the viewer; its height sets the vertical view."""

    shape: Literal["cylinder"] = "cylinder"
    radius_m: float = Field(gt=0)
    height_m: float = Field(gt=0)
    eye_height_m: float = Field(ge=0, description="Viewer's eye height above the screen's bottom edge")


class ProjectorSpec(_Strict):
    name: str | None = None
    yaw: Annotated[float, Field(ge=-180, le=180, description="Yaw of the projector's centre, degrees")]
    span_deg: Annotated[float, Field(gt=0, le=360, description="Yaw it covers, overlap included")]
    resolution: tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]


class RoomSpec(_Strict):
    name: str
    description: str = ""
    screen: Screen
    projectors: list[ProjectorSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Projector:
    """One projector's patch of the world: yaw range (may cross ±180) and pitch range."""

    number: int
    name: str
    yaw_min: float
    yaw_max: float
    pitch_min: float
    pitch_max: float
    width: int
    height: int

    @property
    def yaw_centre(self) -> float:
        return wrap_yaw((self.yaw_min + self.yaw_max) / 2)


@dataclass(frozen=True)
class Room:
    name: str
    description: str
    screen: Screen
    projectors: tuple[Projector, ...]
    source: str

    @property
    def pitch_range(self) -> tuple[float, float]:
        return self.projectors[0].pitch_min, self.projectors[0].pitch_max

    def overlaps(self) -> list[float]:
        """Degrees each projector shares with the next one round the room."""
        ordered = sorted(self.projectors, key=lambda p: p.yaw_min % 360)
        out = []
        for a, b in zip(ordered, ordered[1:] + ordered[:1]):
            out.append(_shared_degrees(a, b))
        return out

    def summary(self) -> str:
        p = self.projectors
        res = {f"{q.width}×{q.height}" for q in p}
        lo, hi = self.pitch_range
        return (f"{len(p)} projectors ({', '.join(sorted(res))}), {self.screen.shape} r={self.screen.radius_m:g} m, "
                f"pitch {lo:.1f}°..{hi:.1f}°, overlap {min(self.overlaps()):.1f}–{max(self.overlaps()):.1f}°")


def wrap_yaw(yaw: float) -> float:
    """Any angle to -180 <= yaw < 180."""
    return (yaw + 180.0) % 360.0 - 180.0


def _shared_degrees(a: Projector, b: Projector) -> float:
    """Overlap from a's end into b's start, walking clockwise (may be negative: a gap)."""
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
    screen = spec.screen
    if screen.eye_height_m >= screen.height_m:
        raise BridgeError(doc.problem(("screen", "eye_height_m"), "the eye must be below the top of the screen"))
    pitch_min = math.degrees(math.atan2(-screen.eye_height_m, screen.radius_m))
    pitch_max = math.degrees(math.atan2(screen.height_m - screen.eye_height_m, screen.radius_m))
    projectors = tuple(
        Projector(
            number=i + 1,
            name=p.name or f"projector {i + 1}",
            yaw_min=p.yaw - p.span_deg / 2,
            yaw_max=p.yaw + p.span_deg / 2,
            pitch_min=pitch_min,
            pitch_max=pitch_max,
            width=p.resolution[0],
            height=p.resolution[1],
        )
        for i, p in enumerate(spec.projectors)
    )
    room = Room(spec.name, spec.description, screen, projectors, str(path))
    _check_coverage(room, doc)
    return room


def _check_coverage(room: Room, doc) -> None:
    """Every yaw must be lit, and no projector may be swallowed by its neighbours' overlap."""
    ordered = sorted(room.projectors, key=lambda p: p.yaw_min % 360)
    problems = []
    if sum(p.yaw_max - p.yaw_min for p in ordered) < 360:
        problems.append(doc.problem(("projectors",), f"the projectors cover {sum(p.yaw_max - p.yaw_min for p in ordered):g}° in all; they must cover 360°"))
    for a, b in zip(ordered, ordered[1:] + ordered[:1]):
        if len(ordered) == 1:
            break
        shared = _shared_degrees(a, b)
        if shared < 0:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"gap of {-shared:.1f}° between {a.name} (ends at yaw {wrap_yaw(a.yaw_max):g}) and {b.name} (starts at {wrap_yaw(b.yaw_min):g}); widen span_deg"))
        elif shared >= (b.yaw_max - b.yaw_min) / 2:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"{a.name} and {b.name} overlap by {shared:.1f}°, half or more of a projector; check yaw and span_deg"))
    if problems:
        raise BridgeError(problems)
