"""`bridge room export`: a room profile into an MPCDI archive other tools read."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import numpy as np

from bridge.errors import BridgeError, Problem, shown
from bridge.geometry import pitch_to_y, wrap_yaw, yaw_to_x
from bridge.room.lookup import pixel_directions, projector_weights
from bridge.room.mpcdi.files import EXTENSION_NAME, PROFILES_WRITTEN
from bridge.room.mpcdi.frustum import FRUSTUM_KEYS, frustum_for_pixels
from bridge.room.mpcdi.mapfiles import write_pfm, write_png16

# ---------------------------------------------------------------------------------------------
# Export


@dataclass
class Exported:
    path: Path
    profile: str
    regions: int
    bytes: int


def export_mpcdi(room, out: str | Path, profile: str = "3d") -> Exported:
    """Write `room` as an MPCDI archive: per projector its warp (from the compositor's geometry),
    alpha (blend ramps, gain folded in) and, where any projector lifts black, beta maps.

    What import reads (VESA MPCDI v2.0, as the VESA reference library and nDisplay read it): PFM
    rows bottom to top, (u, v) with v = 0 at the bottom, one warp point a pixel (geometry level 2
    in the standard's Table 3-2), a <color> tag per region (colour level 1, or 2 with beta maps)."""
    out = Path(out)
    if profile not in PROFILES_WRITTEN:
        raise BridgeError(f"--profile: {shown(profile, 20)!r} is not one Bridge writes; use {', '.join(PROFILES_WRITTEN)}")
    if out.exists() and not out.is_file():
        raise BridgeError(f"--out: {shown(out)} exists and is not a file")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise BridgeError(f"--out: the folder {shown(out.parent)} does not exist")
    for p in room.projectors:
        if p.gain > 1.0:
            raise BridgeError(Problem(room.source, None, f"projectors[{p.number - 1}].gain",
                                      f"{p.name} has gain {p.gain:g}; an MPCDI alpha map can only dim (α ≤ 1), so a gain "
                                      f"over 1 cannot be written: dim the other projectors instead"))
    ids = _region_ids(room)
    lifts = any(p.black_level > 0 or p.beta_map is not None for p in room.projectors)
    x0, y0, dw, dh = room.desktop()
    regions_xml, filesets_xml, members = [], [], {}
    for p, rid in zip(room.projectors, ids):
        yaw, pitch = pixel_directions(p)
        yaw, pitch = np.broadcast_to(yaw, (p.height, p.width)), np.broadcast_to(pitch, (p.height, p.width))
        weight = np.broadcast_to(projector_weights(room, p, yaw), (p.height, p.width)).astype(np.float64)
        black = p.beta_map.astype(np.float64) if p.beta_map is not None else np.full((p.height, p.width), p.black_level)
        beta = weight * black
        alpha = weight * (1 - black) * p.gain / (1 - beta)
        frustum = None
        if profile == "3d":
            frustum, warp = frustum_for_pixels(p, yaw, pitch, room)
        elif profile == "2d":  # the normalised frame, v = 0 at its bottom (pitch -90°)
            warp = np.dstack([yaw_to_x(yaw, 1) % 1.0, 1 - pitch_to_y(pitch, 1), np.zeros_like(yaw)])
        else:
            warp = _screen_points(p, yaw, pitch, room)
        dark = ~np.isfinite(yaw)
        if dark.any():
            warp = np.where(dark[..., None], np.nan, warp)
        k = p.number
        members[f"region{k}_warp.pfm"] = write_pfm(warp.astype(np.float32))
        members[f"region{k}_alpha.png"] = write_png16(np.clip(alpha, 0, 1) ** (1 / p.gamma))
        if lifts:
            members[f"region{k}_beta.png"] = write_png16(beta)
        ox, oy = p.output
        rect = (f'x="{(ox - x0) / dw!r}" y="{(oy - y0) / dh!r}" xsize="{p.width / dw!r}" ysize="{p.height / dh!r}"')
        region = f'      <region id={quoteattr(rid)} xResolution="{p.width}" yResolution="{p.height}" {rect}>\n'
        if frustum is not None:
            region += ("        <frustum>\n" + "".join(f"          <{n}>{frustum[n]!r}</{n}>\n" for n in FRUSTUM_KEYS)
                       + "        </frustum>\n")
        # Colour level 1/2: one decode and one encode gamma, the projector's (Bridge's frames are in its gamma).
        region += (f'        <color>\n          <decode type="gamma" gamma="{p.gamma!r}"></decode>\n'
                   f'          <encode type="gamma" gamma="{p.gamma!r}"></encode>\n        </color>\n')
        regions_xml.append(region + "      </region>\n")
        fileset = (f"    <fileset region={quoteattr(rid)}>\n"
                   f"      <geometryWarpFile>\n        <path>region{k}_warp.pfm</path>\n"
                   f"        <geometricUnit>m</geometricUnit>\n        <interpolation>linear</interpolation>\n"
                   f"        <originOf3DData>idealEyePoint</originOf3DData>\n      </geometryWarpFile>\n"
                   f"      <alphaMap>\n        <path>region{k}_alpha.png</path>\n        <componentDepth>1</componentDepth>\n"
                   f"        <bitDepth>16</bitDepth>\n        <gammaEmbedded>{p.gamma!r}</gammaEmbedded>\n      </alphaMap>\n")
        if lifts:
            fileset += (f"      <betaMap>\n        <path>region{k}_beta.png</path>\n        <componentDepth>1</componentDepth>\n"
                        f"        <bitDepth>16</bitDepth>\n      </betaMap>\n")
        filesets_xml.append(fileset + "    </fileset>\n")
    hint = json.dumps({"regions": ids, "room": room_spec_dict(room)}, separators=(",", ":"))
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<MPCDI profile="{profile}" geometry="2" color="{2 if lifts else 1}" date="{date}" version="2.0">\n'
           f'  <display>\n    <buffer id="desktop" xResolution="{dw}" yResolution="{dh}">\n'
           + "".join(regions_xml) + "    </buffer>\n  </display>\n  <files>\n" + "".join(filesets_xml) + "  </files>\n"
           f'  <extensionSet>\n    <extension Name="{EXTENSION_NAME}" hasExternalFiles="false">\n'
           f"      <GeneratedBy>Bridge</GeneratedBy>\n      <vOrigin>bottom</vOrigin>\n      <room>{xml_escape(hint)}</room>\n"
           f"    </extension>\n  </extensionSet>\n</MPCDI>\n")
    _write_archive(out, xml, members)
    return Exported(out, profile, len(room.projectors), out.stat().st_size)


def _write_archive(out: Path, xml: str, members: dict[str, bytes]) -> None:
    """The zip, written beside `out` and moved into place whole (never half a file at `out`)."""
    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BridgeError(f"--out: cannot write in {shown(folder)}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("mpcdi.xml", xml.encode("utf-8"))
            for name, data in members.items():
                zf.writestr(name, data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a file opened the usual way (mkstemp makes it private)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BridgeError(f"--out: cannot write {shown(out)}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _region_ids(room) -> list[str]:
    names = [p.name for p in room.projectors]
    return names if len(set(names)) == len(names) and all(names) else [f"projector-{p.number}" for p in room.projectors]


def _screen_points(p, yaw: np.ndarray, pitch: np.ndarray, room) -> np.ndarray:
    """Each pixel's point on the screen in metres, the eye at the origin (x right, y up, z towards the viewer)."""
    screen = room.screen
    if screen.shape == "cylinder":
        reach = np.full_like(yaw, screen.radius_m, dtype=np.float64)
    elif screen.shape in ("flat", "wall"):  # flat walls square to each projector's centre yaw; one wall straight ahead
        facing = 0.0 if screen.shape == "wall" else p.yaw_centre
        reach = screen.distance_m / np.maximum(np.cos(np.radians(wrap_yaw(yaw - facing))), 1e-6)
    else:
        raise BridgeError(Problem(room.source, None, "screen.shape", f"a3 export knows cylinder, flat and wall screens, "
                                                                     f"not {screen.shape!r}: export with --profile 3d or 2d"))
    rad = np.radians(yaw)
    return np.dstack([reach * np.sin(rad), reach * np.tan(np.radians(pitch)), -reach * np.cos(rad)])


def room_spec_dict(room) -> dict:
    """The room as the profile keys that describe it (maps left out: they travel as the file's maps)."""
    projectors = []
    for p in room.projectors:
        place = _wall_area(room.screen, p) if room.screen.shape == "wall" else \
            {"yaw": (p.yaw_min + p.yaw_max) / 2, "span_deg": p.span}
        entry = {"name": p.name, **place, "resolution": [p.width, p.height], "gamma": p.gamma, "gain": p.gain,
                 "black_level": p.black_level, "output": {"x": p.output[0], "y": p.output[1]}}
        if p.warp is not None:
            rows, cols = p.warp.shape[:2]
            entry["warp"] = {"rows": rows, "cols": cols, "offsets": p.warp.reshape(-1, 2).astype(float).tolist()}
        projectors.append(entry)
    return {"name": room.name, "description": room.description, "screen": room.screen.model_dump(exclude_none=True),
            "blend": room.blend.model_dump(), "display": {"layout": room.layout}, "projectors": projectors}


def _wall_area(screen, p) -> dict:
    """A wall projector's `area` (fractions of the wall from its top-left) from its edges in units of the distance."""
    d, width = screen.distance_m, screen.width_m
    top = (screen.height_m - screen.eye_height_m) / d
    area = {"x": (p.left * d + width / 2) / width, "y": (top - p.top) * d / screen.height_m,
            "width": (p.right - p.left) * d / width, "height": (p.top - p.bottom) * d / screen.height_m}
    return {"area": {k: round(v, 12) + 0.0 for k, v in area.items()}}
