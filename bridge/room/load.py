"""Loading a room profile: a shipped one by name or a YAML file by path, validated and built.

Profiles ship in `bridge/rooms/`; a user path works too.  The YAML is checked against the
specs (bridge/room/model.py), then built into a `Room`: gaps in coverage, overlapping desktop
outputs and impossible sizes are refused.  The memory a render would hold is checked before
any per-pixel map file is read (bridge/room/maps.py finds them while the room is built and
reads them last).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from bridge.errors import BridgeError, Problem, did_you_mean, excerpt
from bridge.geometry import wrap_yaw
from bridge.limits import MAX_PROJECTORS, MAX_RENDER_BYTES
from bridge.room.maps import load_maps, map_files_of
from bridge.room.model import Projector, Room, RoomSpec, readable_bytes, render_bytes
from bridge.scene.validation import pydantic_problems
from bridge.scene.yaml_source import YamlDocument, load_yaml

DEFAULT_ROOM = "bridge"


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
        try:
            path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BridgeError(Problem(None, None, None,
                f"room {excerpt(str(name_or_path), 60)} is neither a shipped profile{did_you_mean(str(name_or_path), rooms)} "
                f"nor a file; shipped: {', '.join(sorted(rooms))}")) from None
        except OSError as exc:
            raise BridgeError(Problem(None, None, None,
                f"room {excerpt(str(name_or_path), 60)}: cannot read it ({exc.strerror or exc})")) from None
    doc = load_yaml(path, what="room profile")
    _check_shape(doc)
    try:
        spec = RoomSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise BridgeError(pydantic_problems(exc, doc, RoomSpec)) from None
    room = build_room(spec, doc)
    total, _, _ = render_bytes(room, 256, 128)  # the projectors alone, at the smallest frame
    if total > MAX_RENDER_BYTES:
        pixels = sum(p.width * p.height for p in room.projectors)
        raise BridgeError(doc.problem(("projectors",),
            f"{len(room.projectors)} projector(s) of {pixels / 1e6:.1f} million pixels in all would need about "
            f"{readable_bytes(total)} for their images{', maps' if any(p.has_maps for p in room.projectors) else ''} and lookup "
            f"tables; a render may hold at most {readable_bytes(MAX_RENDER_BYTES)}: use fewer or smaller projectors"))
    return load_maps(room, doc)


_ROOM_KEYS = ("name", "screen", "projectors")


def _check_shape(doc: YamlDocument) -> None:
    """Refuse a file that is not a room profile at all (a text or data file) without echoing it."""
    data = doc.data
    if not isinstance(data, dict):
        holds = "text" if isinstance(data, str) else "a list" if isinstance(data, list) else f"a single {type(data).__name__}"
        raise BridgeError(doc.problem((), f"is not a room profile: a room profile is a mapping of keys "
                                          f"({', '.join(_ROOM_KEYS)}); this file holds {holds}: {excerpt(str(data))}"))
    if not any(key in data for key in _ROOM_KEYS):
        raise BridgeError(doc.problem((), f"is not a room profile: it has none of the keys {', '.join(_ROOM_KEYS)}"))
    projectors = data.get("projectors")
    if isinstance(projectors, list) and len(projectors) > MAX_PROJECTORS:
        raise BridgeError(doc.problem(("projectors",),
            f"{len(projectors)} projectors; a room may have at most {MAX_PROJECTORS}"))


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
    _check_hosts(spec, doc, problems)
    for i, p in enumerate(spec.projectors):
        if screen.shape == "flat" and p.span_deg >= 170:
            problems.append(doc.problem(("projectors", i, "span_deg"),
                                        f"{p.span_deg:g}° is too wide for a flat wall; keep it under 170°"))
        warp = None
        map_files = map_files_of(p, i, doc, problems)
        if p.warp is not None and any(kind == "warp" for kind, *_ in map_files):
            problems.append(doc.problem(("projectors", i, "warp"),
                "a fine-warp grid and a warp map (maps.warp) both given; the warp map already says where every pixel "
                "looks: remove one"))
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
            gamma=p.gamma, gain=p.gain, black_level=p.black_level, warp=warp, output=outputs[i],
            map_files=tuple(map_files), host=p.host))
    if problems:
        raise BridgeError(problems)
    # Output positions, hosts and layout do not change a single pixel of a projector's image: keep
    # them out of the digest so moving a window does not invalidate cached tables and frames.
    # Map files count by their content (added by load_maps), not by their names.
    geometry = spec.model_dump(exclude={"display": True, "projectors": {"__all__": {"output", "maps", "host"}}})
    digest = hashlib.sha256(json.dumps(geometry, sort_keys=True).encode()).hexdigest()[:16]
    room = Room(spec.name, spec.description, screen, spec.blend, tuple(projectors), str(doc.path), digest,
                spec.display.layout)
    _check_coverage(room, doc)
    return room


def _check_hosts(spec: RoomSpec, doc: YamlDocument, problems: list[Problem]) -> None:
    """`host:` names the PC driving each projector: given for all projectors or none."""
    given = [p.host is not None for p in spec.projectors]
    if any(given) and not all(given):
        missing = given.index(False)
        hosts = sorted({p.host for p in spec.projectors if p.host})
        problems.append(doc.problem(("projectors", missing),
            f"has no host while other projectors do ({', '.join(hosts)}); name the PC that drives every projector "
            "(host: NAME) or none (then each projector has a render node of its own)"))


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
    rects = [(o.x, o.y, p.resolution[0], p.resolution[1]) for p in spec.projectors if (o := p.output) is not None]
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
                f"gap of {-shared:.1f}° between {a.name} (ends at yaw {wrap_yaw(a.yaw_max):g}) and {b.name} "
                f"(starts at {wrap_yaw(b.yaw_min):g}); widen span_deg"))
        elif shared >= min(a.span, b.span) / 2:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"{a.name} and {b.name} overlap by {shared:.1f}°, half a projector or more; check yaw and span_deg"))
    if problems:
        raise BridgeError(problems)
