"""Loading a room profile: a shipped one by name or a YAML file by path, validated and built.

Profiles ship in `bridge/rooms/`; a user path works too.  The YAML is checked against the
specs (bridge/room/model.py), then built into a `Room`: gaps in coverage (but for a room's one
open side), overlapping wall areas or desktop outputs and impossible sizes are refused.  The
memory a render would hold is checked before any per-pixel map file is read
(bridge/room/maps.py finds them while the room is built and reads them last).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from bridge.errors import BridgeError, Problem, did_you_mean, excerpt
from bridge.geometry import wrap_yaw
from bridge.limits import MAX_PROJECTORS, MAX_RENDER_BYTES
from bridge.room.maps import load_maps, map_files_of
from bridge.room.model import Area, Projector, ProjectorSpec, Room, RoomSpec, Screen, readable_bytes, render_bytes
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
    if path.suffix.lower() == ".mpcdi":
        raise BridgeError(Problem(path, None, None, "is an MPCDI calibration, not a room profile: turn it into one with "
                                                    "bridge room import FILE --out ROOM.yaml and pass that profile"))
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
    return _unblended_tiles(load_maps(room, doc))


def _unblended_tiles(room: Room) -> Room:
    """A wall's projectors with an alpha map of ones (none held: a broadcast view), unless a
    file gives one: its areas never overlap, while the blend ramps go by yaw alone and would
    halve stacked areas, which share their yaws."""
    if room.screen.shape != "wall":
        return room
    return dataclasses.replace(room, projectors=tuple(
        p if p.alpha_map is not None else
        dataclasses.replace(p, alpha_map=np.broadcast_to(np.float32(1.0), (p.height, p.width)))
        for p in room.projectors))


_ROOM_KEYS = ("name", "screen", "projectors")
_OTHER_FILES = (("panels", "a scene"), ("steps", "a scene"), ("datasets", "a scene"), ("features", "GeoJSON"),
                ("accent", "a theme"), ("background", "a theme"))


def _check_shape(doc: YamlDocument) -> None:
    """Refuse a file that is not a room profile at all (a scene, a table, text) by saying what it
    looks like, never quoting it: the show's log may be read by others than the operator."""
    data = doc.data
    if not isinstance(data, dict):
        raise BridgeError(doc.problem((), f"is not a room profile: a room profile is a mapping of keys "
                                          f"({', '.join(_ROOM_KEYS)}); this file holds {_holds(doc)}"))
    other = next(((key, kind) for key, kind in _OTHER_FILES if key in data), None)
    if other and not all(key in data for key in ("screen", "projectors")):
        raise BridgeError(doc.problem((), f"looks like {other[1]} (it has {other[0]}:), not a room profile; "
                                          f"a room profile has the keys {', '.join(_ROOM_KEYS)}"))
    if not any(key in data for key in _ROOM_KEYS):
        raise BridgeError(doc.problem((), f"is not a room profile: it has none of the keys {', '.join(_ROOM_KEYS)}"))
    projectors = data.get("projectors")
    if isinstance(projectors, list) and len(projectors) > MAX_PROJECTORS:
        raise BridgeError(doc.problem(("projectors",),
            f"{len(projectors)} projectors; a room may have at most {MAX_PROJECTORS}"))


def _holds(doc: YamlDocument) -> str:
    """What a file that is not a mapping holds, in words: its kind, never its content."""
    data = doc.data
    if isinstance(data, list):
        return f"a list of {len(data)} item{'s' if len(data) != 1 else ''}"
    if not isinstance(data, str):
        return f"a single {'value' if data is None else type(data).__name__}"
    try:  # YAML folds plain text into one line; a table's header is the file's first line
        with open(doc.path, encoding="utf-8", errors="replace") as file:
            first = file.readline(100_000)
    except OSError:
        first = ""
    for sep, kind in ((",", "a CSV table"), ("\t", "a tab-separated table"), (";", "a semicolon-separated table")):
        if first.count(sep) >= 2:
            return f"text that looks like {kind} (its first line has {first.count(sep) + 1} fields), not keys"
    return f"plain text ({len(data.split())} words), not keys"
    projectors = data.get("projectors")
    if isinstance(projectors, list) and len(projectors) > MAX_PROJECTORS:
        raise BridgeError(doc.problem(("projectors",),
            f"{len(projectors)} projectors; a room may have at most {MAX_PROJECTORS}"))


def build_room(spec: RoomSpec, doc: YamlDocument) -> Room:
    screen = spec.screen
    problems: list[Problem] = []
    distance = _screen_distance(screen, doc, problems)
    if screen.eye_height_m >= screen.height_m:
        problems.append(doc.problem(("screen", "eye_height_m"), "the eye must be below the top of the screen"))
    projectors = []
    outputs = _outputs(spec, doc, problems)
    _check_hosts(spec, doc, problems)
    for i, p in enumerate(spec.projectors):
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
        yaw_min, yaw_max, top, bottom, left, right = _placement(p, i, screen, distance, doc, problems)
        projectors.append(Projector(
            number=i + 1, name=p.name or f"projector {i + 1}", yaw_min=yaw_min, yaw_max=yaw_max,
            width=p.resolution[0], height=p.resolution[1], shape=screen.shape, top=top, bottom=bottom,
            gamma=p.gamma, gain=p.gain, black_level=p.black_level, warp=warp, output=outputs[i],
            map_files=tuple(map_files), host=p.host, left=left, right=right))
    if problems:
        raise BridgeError(problems)
    # Output positions, hosts and layout do not change a single pixel of a projector's image: keep
    # them out of the digest so moving a window does not invalidate cached tables and frames.
    # Map files count by their content (added by load_maps), not by their names; keys a room's
    # shape leaves out (None) are left out, so a profile keeps its digest as keys are added.
    geometry = spec.model_dump(exclude={"display": True, "projectors": {"__all__": {"output", "maps", "host"}}})
    for part in (geometry["screen"], *geometry["projectors"]):
        for key in [k for k in ("width_m", "area", "yaw", "span_deg") if k in part and part[k] is None]:
            del part[key]
    digest = hashlib.sha256(json.dumps(geometry, sort_keys=True).encode()).hexdigest()[:16]
    room = Room(spec.name, spec.description, screen, spec.blend, tuple(projectors), str(doc.path), digest,
                spec.display.layout)
    if screen.shape == "wall":
        _check_areas(spec, doc)
    else:
        _check_coverage(room, doc)
    return room


def _screen_distance(screen: Screen, doc: YamlDocument, problems: list[Problem]) -> float:
    """The distance from the eye to the screen (radius or distance_m), which its shape needs."""
    key = "radius_m" if screen.shape == "cylinder" else "distance_m"
    unused = [k for k in ("radius_m", "distance_m", "width_m") if k != key and getattr(screen, k) is not None
              and (k, screen.shape) != ("width_m", "wall")]
    for extra in unused:
        problems.append(doc.problem(("screen", extra),
            f"a {screen.shape} screen has no {extra}: remove it (a cylinder has radius_m, flat walls distance_m, "
            "a wall distance_m and width_m)"))
    if screen.shape == "wall" and screen.width_m is None:
        problems.append(doc.problem(("screen",), "a wall screen needs width_m, the wall's width"))
    if getattr(screen, key) is None:
        problems.append(doc.problem(("screen",), f"a {screen.shape} screen needs {key}"))
    return getattr(screen, key) or 1.0


def _placement(p: ProjectorSpec, i: int, screen: Screen, distance: float, doc: YamlDocument,
               problems: list[Problem]) -> tuple[float, float, float, float, float, float]:
    """Where a projector's picture lies: (yaw_min, yaw_max, top, bottom, left, right), its edges
    in units of the screen's distance (from its yaw and span_deg, or on a wall from its area)."""
    top, bottom = (screen.height_m - screen.eye_height_m) / distance, -screen.eye_height_m / distance
    given = [k for k in ("yaw", "span_deg", "area") if getattr(p, k) is not None]
    needs = ("area",) if screen.shape == "wall" else ("yaw", "span_deg")
    how = ("its area: {x, y, width, height} in fractions of the wall from its top-left" if screen.shape == "wall"
           else "yaw (its centre) and span_deg")
    for key in given:
        if key not in needs:
            problems.append(doc.problem(("projectors", i, key),
                                        f"a {screen.shape} screen places each projector by {how}: remove {key}"))
    for key in needs:
        if key not in given:
            problems.append(doc.problem(("projectors", i), f"has no {key}; a {screen.shape} screen places each "
                                                           f"projector by {how}"))
    if screen.shape != "wall":
        yaw, span = p.yaw if p.yaw is not None else 0.0, p.span_deg or 90.0  # (refused above when missing)
        if screen.shape == "flat" and span >= 170:
            problems.append(doc.problem(("projectors", i, "span_deg"),
                                        f"{span:g}° is too wide for a flat wall; keep it under 170°"))
        return yaw - span / 2, yaw + span / 2, top, bottom, 0.0, 0.0
    area = p.area or Area(x=0, y=0, width=1, height=1)
    for edge, size in (("x", "width"), ("y", "height")):
        if getattr(area, edge) + getattr(area, size) > 1 + 1e-9:
            problems.append(doc.problem(("projectors", i, "area", size),
                f"{edge} {getattr(area, edge):g} + {size} {getattr(area, size):g} runs past the wall's "
                f"{'right' if edge == 'x' else 'bottom'} edge; an area is a fraction of the wall (0..1 from its "
                f"top-left): shorten {size} or move {edge}"))
    wide = screen.width_m or 1.0  # the eye faces the wall's middle
    left, right = (area.x - 0.5) * wide / distance, (area.x + area.width - 0.5) * wide / distance
    return (math.degrees(math.atan(left)), math.degrees(math.atan(right)), top - area.y * screen.height_m / distance,
            top - (area.y + area.height) * screen.height_m / distance, left, right)


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
    """Every yaw must be lit but for the room's one open side (the widest gap, if wide enough:
    bridge/room/model.py), and no projector may be swallowed by its neighbours' overlap."""
    problems = []
    open_side = room.open_side()
    beside = "" if open_side is None else (
        f" (the room's open side is the {open_side[2]:.0f}° from {open_side[0].name} to {open_side[1].name}; "
        "a room may leave one side open, but its projectors must meet everywhere else)")
    for a, b, shared in room.neighbours():
        if shared < 0:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"gap of {-shared:.1f}° between {a.name} (ends at yaw {wrap_yaw(a.yaw_max):g}) and {b.name} "
                f"(starts at {wrap_yaw(b.yaw_min):g}); widen span_deg{beside}"))
        elif shared >= min(a.span, b.span) / 2:
            problems.append(doc.problem(("projectors", b.number - 1),
                f"{a.name} and {b.name} overlap by {shared:.1f}°, half a projector or more; check yaw and span_deg"))
    if problems:
        raise BridgeError(problems)


MAX_WALL_GAPS = 0.05  # the share of a wall its areas may leave dark between them: bezels, not missing displays


def _check_areas(spec: RoomSpec, doc: YamlDocument) -> None:
    """A wall's areas tile it: none overlaps another (they are not blended), and the gaps between
    them (bezels) leave at most MAX_WALL_GAPS of the box round them dark."""
    problems = []
    areas = [p.area for p in spec.projectors if p.area is not None]
    for j, b in enumerate(areas):
        for i, a in enumerate(areas[:j]):
            if a.x < b.x + b.width - 1e-9 and b.x < a.x + a.width - 1e-9 and a.y < b.y + b.height - 1e-9 \
                    and b.y < a.y + a.height - 1e-9:
                problems.append(doc.problem(("projectors", j, "area"),
                    f"overlaps projector {i + 1}'s area (x {a.x:g}, y {a.y:g}, {a.width:g}×{a.height:g}); a wall's areas "
                    "tile it side by side and are not blended: move x or y, or shrink width or height"))
    if areas and not problems:
        box = ((max(a.x + a.width for a in areas) - min(a.x for a in areas))
               * (max(a.y + a.height for a in areas) - min(a.y for a in areas)))
        dark = 1 - sum(a.width * a.height for a in areas) / box
        if dark > MAX_WALL_GAPS:
            problems.append(doc.problem(("projectors",),
                f"the areas leave {dark:.0%} of the wall between them dark; a wall's displays tile it, with gaps only "
                f"for bezels (at most {MAX_WALL_GAPS:.0%}): check each area's x, y, width and height"))
    if problems:
        raise BridgeError(problems)
