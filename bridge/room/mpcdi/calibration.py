"""What an mpcdi.xml says (displays, buffers, regions, frusta, filesets) and each region's warp
turned into Bridge's per-pixel directions."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from bridge.errors import excerpt, shown
from bridge.geometry import direction_to_yaw_pitch, mean_yaw, wrap_yaw, x_to_yaw, y_to_pitch
from bridge.limits import MAX_PROJECTOR_SIDE, MAX_PROJECTORS
from bridge.room.mpcdi.files import (
    _INVALID_EPS,
    EXTENSION_NAME,
    PROFILES_READ,
    V_ORIGINS,
    Archive,
    Node,
    _Where,
    parse_xml,
    unsafe_member_name,
)
from bridge.room.mpcdi.frustum import FRUSTUM_KEYS, frustum_directions

# ---------------------------------------------------------------------------------------------
# What an mpcdi.xml says


@dataclass
class MapFile:
    path: str
    line: int
    element: str
    gamma: float = 1.0  # alphaMap's gammaEmbedded
    unit: str = "m"  # geometryWarpFile's geometricUnit
    origin: str = "idealEyePoint"  # geometryWarpFile's originOf3DData


@dataclass
class Region:
    id: str
    width: int
    height: int
    x: float
    y: float
    xsize: float
    ysize: float
    buffer: str
    buffer_size: tuple[int, int] | None
    line: int
    frustum: dict[str, float] | None = None
    axes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # right, up, forward (coordinateFrame)
    warp: MapFile | None = None
    alpha: MapFile | None = None
    beta: MapFile | None = None

    @property
    def label(self) -> str:
        return f"region {shown(self.id, 60)!r}"


@dataclass
class Calibration:
    profile: str
    regions: list[Region]
    hint: dict | None  # the room profile Bridge wrote in its extension (checked before use)
    hint_regions: list[str] | None
    notes: list[str]
    v_origin_written: str | None = None  # where Bridge's extension says its warps put v = 0 (None: no extension)




def read_calibration(archive: Archive) -> Calibration:
    member, data = archive.xml()
    where = archive.where.at(member)
    root = parse_xml(data, where)
    if root.name != "MPCDI":
        raise where.error(f"the root element is <{shown(root.name, 40)}>; an MPCDI file's is <MPCDI>", root.line)
    profile = (root.attr("profile") or "").strip().lower()
    if not profile:
        raise where.error("has no profile attribute; give one of 3d, 2d, a3", root.line, "MPCDI")
    if profile == "sl":
        raise where.error("profile 'sl' (shader lamp) holds projector poses for a 3D model of the surface, which the "
                          "file does not carry, so it cannot say where a pixel lands; export the calibration as a3, 3d "
                          "or 2d", root.line, "MPCDI")
    if profile not in PROFILES_READ:
        raise where.error(f"profile {shown(profile, 20)!r} is not one Bridge reads; it reads {', '.join(PROFILES_READ)}",
                          root.line, "MPCDI")
    display = root.child("display")
    if display is None:
        raise where.error("has no <display>: nothing says which projectors there are", root.line, "MPCDI")
    regions: list[Region] = []
    seen: dict[str, int] = {}
    for b, buffer in enumerate(display.all("buffer")):
        buffer_id = buffer.attr("id") or f"buffer {b + 1}"
        buffer_size = None
        if buffer.attr("xResolution") is not None and buffer.attr("yResolution") is not None:
            bw = _int(buffer.attr("xResolution"), where, buffer, "buffer xResolution", 1, 65536 * 4)
            bh = _int(buffer.attr("yResolution"), where, buffer, "buffer yResolution", 1, 65536 * 4)
            buffer_size = (bw, bh)
        for node in buffer.all("region"):
            if len(regions) >= MAX_PROJECTORS:
                raise where.error(f"has more than {MAX_PROJECTORS} regions; a room may have at most {MAX_PROJECTORS} "
                                  f"projectors (MAX_PROJECTORS)", node.line, "region")
            region = _region(node, where, buffer_id, buffer_size, profile)
            if region.id in seen:
                raise where.error(f"{region.label} is given twice (lines {seen[region.id]} and {node.line}); region ids "
                                  f"must be unique", node.line, "region")
            seen[region.id] = node.line
            regions.append(region)
    if not regions:
        raise where.error("has no <region> in display/buffer: no projector to import", display.line, "display")
    _read_filesets(root, where, regions, profile)
    hint, hint_regions, notes = _read_hint(root, where)
    return Calibration(profile, regions, hint, hint_regions, notes, _written_v_origin(root))


def _region(node: Node, where: _Where, buffer_id: str, buffer_size: tuple[int, int] | None, profile: str) -> Region:
    rid = node.attr("id")
    if not rid:
        raise where.error("has no id attribute; each region names the projector it calibrates", node.line, "region")
    label = f"region {shown(rid, 60)!r}"
    width = _int(node.attr("xResolution"), where, node, f"{label} xResolution", 1, MAX_PROJECTOR_SIDE)
    height = _int(node.attr("yResolution"), where, node, f"{label} yResolution", 1, MAX_PROJECTOR_SIDE)
    rect: list[float] = []
    for names, default in ((("x",), 0.0), (("y",), 0.0), (("xsize", "xSize"), 1.0), (("ysize", "ySize"), 1.0)):
        value = node.attr(*names)
        rect.append(default if value is None else _float(value, where, node, f"{label} {names[0]}", -1e6, 1e6))
    x, y, xsize, ysize = rect
    region = Region(rid, width, height, x, y, xsize, ysize, buffer=buffer_id, buffer_size=buffer_size, line=node.line)
    frustum = node.child("frustum")
    if frustum is not None:
        values = {}
        for name in FRUSTUM_KEYS:
            child = frustum.child(name)
            if child is None:
                raise where.error(f"has no <{name}>; a frustum gives {', '.join(FRUSTUM_KEYS)} in degrees", frustum.line,
                                  f"{label} frustum")
            values[name] = _float(child.text, where, child, f"{label} frustum {name}", -360, 360)
        for lo, hi in (("leftAngle", "rightAngle"), ("downAngle", "upAngle")):
            if not -90 < values[lo] < values[hi] < 90:
                raise where.error(f"{lo} {values[lo]:g}° and {hi} {values[hi]:g}° do not make a view; they must lie "
                                  f"between -90° and 90°, {lo} the smaller", frustum.line, f"{label} frustum")
        region.frustum = values
    elif profile == "3d":
        raise where.error("has no <frustum>; in the 3d profile each region's frustum says what it shows", node.line, label)
    frame = node.child("coordinateFrame")
    if frame is not None:
        axes = {}
        for axis in ("yaw", "pitch", "roll"):
            components: list[float] = []
            for c in "xyz":
                child = frame.child(f"{axis}{c}")
                if child is None:
                    raise where.error(f"has no <{axis}{c}>", frame.line, f"{label} coordinateFrame")
                components.append(_float(child.text, where, child, f"{label} coordinateFrame {axis}{c}", -1e6, 1e6))
            vector = np.asarray(components)
            norm = np.linalg.norm(vector)
            if not norm > 1e-9:
                raise where.error(f"its {axis} axis is zero; the axes are unit vectors", frame.line,
                                  f"{label} coordinateFrame")
            axes[axis] = vector / norm
        region.axes = (axes["pitch"], -axes["yaw"], axes["roll"])  # right, up (the yaw axis points down), forward
    return region


def _read_filesets(root: Node, where: _Where, regions: list[Region], profile: str) -> None:
    by_id = {r.id: r for r in regions}
    files = root.child("files")
    for fileset in files.all("fileset") if files is not None else []:
        rid = fileset.attr("region")
        if rid is None:
            raise where.error("has no region attribute: which projector its maps are for is unsaid", fileset.line, "fileset")
        region = by_id.get(rid)
        if region is None:
            raise where.error(f"is for region {shown(rid, 60)!r}, which the display does not have (it has "
                              f"{', '.join(repr(shown(r, 30)) for r in list(by_id)[:8])})", fileset.line, "fileset")
        label = f"fileset of {region.label}"
        for tag, attr in (("geometryWarpFile", "warp"), ("alphaMap", "alpha"), ("betaMap", "beta")):
            node = fileset.child(tag)
            if node is None:
                continue
            path = node.child("path")
            if path is None or not path.text:
                if tag == "geometryWarpFile" and profile != "3d":
                    raise where.error(f"has no <path>; the {profile} profile needs each region's warp", node.line,
                                      f"{label} {tag}")
                continue  # Mystique writes empty paths: no such file
            why = unsafe_member_name(path.text)
            if why:
                raise where.error(f"names {excerpt(path.text, 80)}, which {why}; refused", path.line, f"{label} {tag} path")
            entry = MapFile(path.text, path.line, f"{label} {tag}")
            if tag == "alphaMap":
                gamma = node.child("gammaEmbedded")
                entry.gamma = 1.0 if gamma is None else _float(gamma.text, where, gamma, f"{label} alphaMap gammaEmbedded",
                                                               0.1, 10)
            if tag == "geometryWarpFile":
                origin = node.child("originOf3DData")
                entry.origin = origin.text if origin is not None and origin.text else "unknown"
            setattr(region, attr, entry)
    if profile != "3d":
        missing = [r for r in regions if r.warp is None]
        if missing:
            raise where.error(f"{missing[0].label} has no geometryWarpFile; in the {profile} profile the warp says where "
                              f"each pixel looks", missing[0].line, missing[0].label)


def _written_v_origin(root: Node) -> str | None:
    """Where v = 0 lies in the warps of a file Bridge wrote: the extension's <vOrigin>, or the top for
    a file from a Bridge that wrote no such element (its exporter put v = 0 at the top); None when
    Bridge did not write the file."""
    extensions = root.child("extensionSet")
    for ext in extensions.all("extension") if extensions is not None else []:
        if (ext.attr("Name", "name") or "") == EXTENSION_NAME:
            marker = ext.child("vOrigin")
            return marker.text.lower() if marker is not None and marker.text.lower() in V_ORIGINS else "top"
    return None


def _read_hint(root: Node, where: _Where) -> tuple[dict | None, list[str] | None, list[str]]:
    """The room profile Bridge wrote in its extension, if any (validated later, used only where the maps agree)."""
    extensions = root.child("extensionSet")
    for ext in extensions.all("extension") if extensions is not None else []:
        if (ext.attr("Name", "name") or "") != EXTENSION_NAME:
            continue
        node = ext.child("room")
        try:
            payload = json.loads(node.text if node is not None else "")
        except (ValueError, RecursionError):
            return None, None, ["the BridgeRoom extension is not readable JSON: ignored, the room is built from the maps"]
        if (not isinstance(payload, dict) or not isinstance(payload.get("room"), dict)
                or not isinstance(payload.get("regions"), list)):
            return None, None, ["the BridgeRoom extension is not what Bridge writes: ignored, the room is built from the maps"]
        return payload["room"], [str(r) for r in payload["regions"]], []
    return None, None, []


def _float(text, where: _Where, node: Node, element: str, lo: float, hi: float) -> float:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        raise where.error(f"{excerpt(str(text), 30)} is not a number", node.line, element) from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise where.error(f"{value:g} is out of range; expected {lo:g} to {hi:g}", node.line, element)
    return value


def _int(text, where: _Where, node: Node, element: str, lo: int, hi: int) -> int:
    if text is None:
        raise where.error("is missing", node.line, element)
    try:
        value = int(str(text).strip())
    except ValueError:
        raise where.error(f"{excerpt(str(text), 30)} is not a whole number", node.line, element) from None
    if not lo <= value <= hi:
        limit = " (MAX_PROJECTOR_SIDE)" if hi == MAX_PROJECTOR_SIDE else ""
        raise where.error(f"{value} is out of range; expected {lo} to {hi}{limit}", node.line, element)
    return value


# ---------------------------------------------------------------------------------------------
# Geometry: a region's warp to Bridge's per-pixel directions


def region_directions(region: Region, warp: np.ndarray | None, profile: str, notes: list[str],
                      v_origin: str = "bottom") -> tuple[np.ndarray, np.ndarray]:
    """(yaw, pitch) in degrees, float64 (height, width), seen through each projector pixel; NaN where unset.

    `warp` holds the grid with its top row first (as mapfiles.read_pfm gives it); in 2d and 3d its
    (u, v) has v = 0 at the bottom of the picture (VESA MPCDI v2.0 §3.6.2: "the same as OpenGL UV
    mapping"), or at the top where `v_origin` says so.  Their third value (B) is an optional error
    estimate, NaN when not computed, and is ignored, as nDisplay ignores it."""
    if warp is None:  # 3d without a warp file: the frustum's picture as it is
        u, v = np.meshgrid((np.arange(region.width) + 0.5) / region.width,
                           1 - (np.arange(region.height) + 0.5) / region.height)
        grid = np.dstack([u, v, np.zeros_like(u)])
        v_origin = "bottom"
    else:  # the caller's own array: unset points become NaN in place
        grid = warp
        used = grid if profile == "a3" else grid[..., :2]
        grid[np.isnan(used).any(axis=2) | (np.abs(used) < _INVALID_EPS).all(axis=2)] = np.nan
    flip = v_origin == "bottom"
    if profile == "2d":
        # the canvas is the equirectangular frame, normalised: width and height 1
        v = grid[..., 1].astype(np.float64)
        return _upsample_angles(x_to_yaw(grid[..., 0].astype(np.float64), 1), y_to_pitch(1 - v if flip else v, 1),
                                region)
    if profile == "3d":
        assert region.frustum is not None  # the 3d profile refuses a region without a frustum
        grid = _upsample(grid[..., :2].astype(np.float64), region)
        v = grid[..., 1] if flip else 1 - grid[..., 1]
        return frustum_directions(region.frustum, grid[..., 0], v)
    # a3: points in 3D round the eye
    origin = region.warp.origin if region.warp is not None else "unknown"
    if origin.lower() == "centerofmass":
        raise ValueError("originOf3DData is centerOfMass: the 3D points are not measured from the viewer's eye, so the "
                         "directions a viewer sees cannot be found; export with the origin at the ideal eye point")
    if origin.lower() != "idealeyepoint" and not any("originOf3DData" in n for n in notes):
        notes.append(f"originOf3DData is {origin!r}: the viewer's eye is taken to be at the origin of the 3D data")
    grid = _upsample(grid.astype(np.float64), region)
    right_axis, up_axis, forward_axis = region.axes or (np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, -1.0]))
    r, u, f = grid @ right_axis, grid @ up_axis, grid @ forward_axis
    return direction_to_yaw_pitch(r, f, u)


def _upsample(grid: np.ndarray, region: Region) -> np.ndarray:
    """A warp grid spread over every pixel, bilinear, in the standard's fill layout (VESA MPCDI
    v2.0 §3.6): sample i of n sits at the centre of cell i, (i + 0.5)/n of the region; pixels
    in the outermost half cell continue the last two samples' slope."""
    gh, gw = grid.shape[:2]
    if (gh, gw) == (region.height, region.width):
        return grid
    x0, fx = _fill_positions(gw, region.width)
    y0, fy = _fill_positions(gh, region.height)
    fx, fy = fx[None, :, None], fy[:, None, None]
    x1, y1 = np.minimum(x0 + 1, gw - 1), np.minimum(y0 + 1, gh - 1)
    rows = grid[:, x0] * (1 - fx) + grid[:, x1] * fx
    return rows[y0] * (1 - fy) + rows[y1] * fy


def _fill_positions(samples: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel centre, the sample before it and the fraction of the way to the next (may
    fall outside 0..1 in the outermost half cells, where the line through the last two continues)."""
    where = (np.arange(pixels) + 0.5) * (samples / pixels) - 0.5
    if samples < 2:
        return np.zeros(pixels, dtype=int), np.zeros(pixels)
    before = np.clip(np.floor(where).astype(int), 0, samples - 2)
    return before, where - before


def _upsample_angles(yaw: np.ndarray, pitch: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """The same for yaw and pitch, interpolated the short way round ±180°."""
    if yaw.shape == (region.height, region.width):
        return yaw, pitch
    ref = mean_yaw(yaw)
    rel = wrap_yaw(yaw - ref)
    out = _upsample(np.dstack([rel, pitch]), region)
    return out[..., 0] + ref, out[..., 1]
