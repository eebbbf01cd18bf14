"""VESA MPCDI v2 calibration archives: import one as a room profile, export a room as one.

An MPCDI file is a zip holding `mpcdi.xml` (display → buffer → regions, one region a
projector, with its resolution and its place in the buffer; in the 3d profile a frustum) and,
per region, a fileset: a geometry warp (PFM: three float32 channels per grid point), an alpha
(blend) map and a beta (black level) map (PNG).  Alignment tools write it; media servers and
render engines read it.  The profiles Bridge reads and writes, and what their warp holds:

- `3d`: per region a frustum (yaw, pitch, roll; left/right/up/down angles, degrees) seen from
  the viewer's eye; the warp gives, for each projector pixel, the normalized (u, v) it shows of
  the frustum's picture ((0, 0) its top-left corner).  No warp file: the pixel shows the
  frustum's picture as is.
- `2d`: the warp gives each pixel's normalized (u, v) in the shared canvas, which for Bridge
  is the 360° equirectangular frame ((0, 0): yaw -180°, pitch +90°; (1, 1): yaw 180°, -90°).
- `a3`: the warp gives each pixel's point on the screen in 3D, the viewer's eye at the origin
  (x right, y up, z towards the viewer, unless the region's coordinateFrame says otherwise).
- `sl` (shader lamp) holds projector poses for a 3D model of the surface that the file does not
  carry: it cannot say where a pixel lands, and is refused with that reason.

Bridge's own light model is `w · (b + (1 − b) · min(1, gain · in^γ))` in linear light (w the
blend weight, b the black level; bridge/compositor.py).  MPCDI's is `in · α · (1 − β) + β`
(nDisplay's reading), α stored with `gammaEmbedded` (the map holds α^(1/γ)).  So β = w·b and
α = gain·w·(1 − b)/(1 − w·b); importing inverts it (gain 1), and takes the projector's gamma
from gammaEmbedded.  A gain over 1 cannot be written (α would exceed 1) and is refused.

The file is untrusted input.  Member names are checked before anything is read (no `..`, no
absolute paths: such an archive is refused whole); counts and inflated sizes are bounded
(MAX_MPCDI_MEMBERS, MAX_MPCDI_BYTES, MAX_MPCDI_XML_BYTES); the XML may not declare a DOCTYPE or
entities; PFM and PNG headers are checked against the region before their data is read, and
the room's memory against MAX_RENDER_BYTES before any map is.  Nothing is ever extracted by a
member's name: the importer writes the room's own files, under names it chooses, into a
staging folder beside the output and moves them into place only when the whole room loads.
Every refusal names the archive, the member (and XML line) and the element.

Export computes each projector's maps from the compositor's own geometry (`pixel_directions`,
`projector_weights`) and adds an MPCDI extension holding the room profile it came from.  On
import that profile is used only where the maps still agree with it (to 0.0005° and 5e-5 of
full light): then the projector is written as yaw/span/black level, not as maps, so an
unchanged round trip gives back the same room; where an alignment tool changed the maps,
the maps win.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import math
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import numpy as np

from bridge.errors import BridgeError, Problem, excerpt, shown
from bridge.limits import (MAX_MPCDI_BYTES, MAX_MPCDI_MEMBERS, MAX_MPCDI_XML_BYTES, MAX_PROJECTOR_SIDE,
                           MAX_PROJECTORS, MAX_RENDER_BYTES)

PROFILES_WRITTEN = ("3d", "2d", "a3")
PROFILES_READ = ("3d", "2d", "a3")
EXTENSION_NAME = "BridgeRoom"
NOMINAL_RADIUS_M = 3.0  # the screen distance written when a file does not say it (2d, 3d: only ratios matter)
DIRECTION_TOLERANCE_DEG = 5e-4  # maps agreeing with the room in the file's extension to this are written as the room
LEVEL_TOLERANCE = 5e-5  # the same for alpha (weight) and beta (black level), in linear light
_INVALID_EPS = 1e-5  # a warp point whose three values are all this close to 0 is unset (as nDisplay reads it)


# ---------------------------------------------------------------------------------------------
# Located problems


@dataclass(frozen=True)
class _Where:
    """The archive and member a problem is in."""

    archive: Path
    member: str | None = None

    def problem(self, message: str, line: int | None = None, element: str | None = None) -> Problem:
        key = None
        if self.member is not None:
            key = shown(self.member, 80) + (f":{line}" if line else "")
            if element:
                key += f": {element}"
        elif element:
            key = element
        return Problem(self.archive, None, key, message)

    def error(self, message: str, line: int | None = None, element: str | None = None) -> BridgeError:
        return BridgeError(self.problem(message, line, element))

    def at(self, member: str) -> _Where:
        return _Where(self.archive, member)


# ---------------------------------------------------------------------------------------------
# The archive


class Archive:
    """An MPCDI zip opened for reading, its member names and sizes checked before any is read.

    A bare `.mpcdi.xml` (what some tools write when the warp lives in the projectors) is read
    as an archive holding only its XML."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = _Where(self.path)
        self._zip: zipfile.ZipFile | None = None
        self._xml: bytes | None = None
        self.members: dict[str, zipfile.ZipInfo] = {}
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            raise self.where.error("not found") from None
        except OSError as exc:
            raise self.where.error(f"cannot be read ({exc.strerror or exc})") from None
        if stat.S_ISDIR(info.st_mode):
            raise self.where.error("is a folder; give an MPCDI file (a .mpcdi zip)")
        if not stat.S_ISREG(info.st_mode):
            raise self.where.error("is not a regular file (a device, pipe or socket); give an MPCDI file")
        try:
            self._zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile:
            self._read_bare_xml(info.st_size)
            return
        except OSError as exc:
            raise self.where.error(f"cannot be read ({exc.strerror or exc})") from None
        try:
            self._check_members()
        except BaseException:
            self.close()
            raise

    def _read_bare_xml(self, size: int) -> None:
        with open(self.path, "rb") as file:
            head = file.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
            if not head.startswith((b"<?xml", b"<MPCDI")):
                raise self.where.error("is neither an MPCDI archive (a zip holding mpcdi.xml) nor an MPCDI XML file")
            if size > MAX_MPCDI_XML_BYTES:
                raise self.where.error(f"is {size:,} bytes; an MPCDI XML file may be at most {MAX_MPCDI_XML_BYTES:,} "
                                       f"(MAX_MPCDI_XML_BYTES)")
            file.seek(0)
            self._xml = file.read(MAX_MPCDI_XML_BYTES + 1)

    def _check_members(self) -> None:
        infos = self._zip.infolist()
        if len(infos) > MAX_MPCDI_MEMBERS:
            raise self.where.error(f"holds {len(infos):,} files; an MPCDI archive may hold at most {MAX_MPCDI_MEMBERS} "
                                   f"(MAX_MPCDI_MEMBERS)")
        total = 0
        for info in infos:
            why = unsafe_member_name(info.filename)
            if why:
                raise self.where.error(f"holds a file named {excerpt(info.filename, 80)}, which {why}; such an archive "
                                       f"is refused whole and nothing is written")
            if info.is_dir():
                continue
            name = _normal_name(info.filename)
            if name in self.members:
                raise self.where.error(f"holds two files named {excerpt(info.filename, 80)}; which one is meant is unclear")
            self.members[name] = info
            total += info.file_size
        if total > MAX_MPCDI_BYTES:
            raise self.where.error(f"its files would inflate to {total / 1024**3:.1f} GB; an MPCDI archive may inflate to "
                                   f"at most {MAX_MPCDI_BYTES / 1024**3:.0f} GB (MAX_MPCDI_BYTES)")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def xml(self) -> tuple[str, bytes]:
        """(member name, bytes) of the XML: mpcdi.xml (or the one .xml file the archive holds)."""
        if self._xml is not None:
            return self.path.name, self._xml
        if "mpcdi.xml" in self.members:
            name = "mpcdi.xml"
        else:
            xmls = [n for n in self.members if n.lower().endswith(".xml") and "/" not in n]
            if len(xmls) != 1:
                raise self.where.error("holds no mpcdi.xml" + (f" (it holds {', '.join(map(repr, xmls[:4]))})" if xmls else ""))
            name = xmls[0]
        info = self.members[name]
        if info.file_size > MAX_MPCDI_XML_BYTES:
            raise self.where.at(name).error(f"is {info.file_size:,} bytes; an mpcdi.xml may be at most "
                                            f"{MAX_MPCDI_XML_BYTES:,} (MAX_MPCDI_XML_BYTES)")
        return name, self.read(name)

    @property
    def bare(self) -> bool:
        """A bare .mpcdi.xml, not a zip."""
        return self._xml is not None

    def has(self, name: str) -> bool:
        return self._zip is not None and _normal_name(name) in self.members

    def size(self, name: str) -> int:
        return self.members[_normal_name(name)].file_size

    def read(self, name: str) -> bytes:
        """A member's bytes: never more than its declared size; a damaged member is refused."""
        where = self.where.at(name)
        info = self.members[_normal_name(name)]
        try:
            with self._zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except RuntimeError as exc:  # encrypted
            raise where.error(f"cannot be read: {' '.join(str(exc).split())[:160]}") from None
        except NotImplementedError as exc:
            raise where.error(f"uses a compression Bridge cannot read ({exc})") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:  # bad CRC, truncated, corrupt stream
            raise where.error(f"is damaged in the archive ({' '.join(str(exc).split())[:160]})") from None
        if len(data) != info.file_size:
            raise where.error(f"inflates to {len(data):,} bytes where the archive says {info.file_size:,}")
        return data


def unsafe_member_name(name: str) -> str | None:
    """Why a zip member's name could escape a folder it is extracted into (None: it could not)."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if any(part == ".." for part in re.split(r"[/\\]", name)):
        return "climbs out of its folder ('..')"
    return None


def _normal_name(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


# ---------------------------------------------------------------------------------------------
# XML, read without DOCTYPEs or entities


@dataclass
class Node:
    name: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def child(self, name: str) -> Node | None:
        lower = name.lower()
        return next((c for c in self.children if c.name.lower() == lower), None)

    def all(self, name: str) -> list[Node]:
        lower = name.lower()
        return [c for c in self.children if c.name.lower() == lower]

    def attr(self, *names: str) -> str | None:
        lowered = {k.lower(): v for k, v in self.attrs.items()}
        return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


class _Refused(Exception):
    pass


def parse_xml(data: bytes, where: _Where) -> Node:
    """The XML's element tree; a DOCTYPE, an entity declaration or malformed XML is refused."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    root: list[Node] = []

    def refuse(what):
        def handler(*args):
            raise _Refused(what)
        return handler

    def start(name, attrs):
        node = Node(name.rsplit(":", 1)[-1], dict(attrs), parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(name):
        stack.pop()

    def text(data):
        if stack:
            stack[-1].parts.append(data)

    parser.StartDoctypeDeclHandler = refuse("declares a DOCTYPE")
    parser.EntityDeclHandler = refuse("declares an entity")
    parser.UnparsedEntityDeclHandler = refuse("declares an unparsed entity")
    parser.ExternalEntityRefHandler = refuse("refers to an external entity")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise where.error(f"{exc}; an MPCDI file needs none, and entities can expand without bound or read other "
                          f"files, so Bridge refuses them", parser.CurrentLineNumber) from None
    except expat.ExpatError as exc:
        raise where.error(f"is not well-formed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})",
                          exc.lineno) from None
    if not root:
        raise where.error("holds no XML element")
    return root[0]


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


_FRUSTUM = ("yaw", "pitch", "roll", "leftAngle", "rightAngle", "upAngle", "downAngle")


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
    return Calibration(profile, regions, hint, hint_regions, notes)


def _region(node: Node, where: _Where, buffer_id: str, buffer_size, profile: str) -> Region:
    rid = node.attr("id")
    if not rid:
        raise where.error("has no id attribute; each region names the projector it calibrates", node.line, "region")
    label = f"region {shown(rid, 60)!r}"
    width = _int(node.attr("xResolution"), where, node, f"{label} xResolution", 1, MAX_PROJECTOR_SIDE)
    height = _int(node.attr("yResolution"), where, node, f"{label} yResolution", 1, MAX_PROJECTOR_SIDE)
    rect = []
    for names, default in ((("x",), 0.0), (("y",), 0.0), (("xsize", "xSize"), 1.0), (("ysize", "ySize"), 1.0)):
        value = node.attr(*names)
        rect.append(default if value is None else _float(value, where, node, f"{label} {names[0]}", -1e6, 1e6))
    region = Region(rid, width, height, *rect, buffer=buffer_id, buffer_size=buffer_size, line=node.line)
    frustum = node.child("frustum")
    if frustum is not None:
        values = {}
        for name in _FRUSTUM:
            child = frustum.child(name)
            if child is None:
                raise where.error(f"has no <{name}>; a frustum gives {', '.join(_FRUSTUM)} in degrees", frustum.line,
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
            vector = []
            for c in "xyz":
                child = frame.child(f"{axis}{c}")
                if child is None:
                    raise where.error(f"has no <{axis}{c}>", frame.line, f"{label} coordinateFrame")
                vector.append(_float(child.text, where, child, f"{label} coordinateFrame {axis}{c}", -1e6, 1e6))
            vector = np.asarray(vector)
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
        if not isinstance(payload, dict) or not isinstance(payload.get("room"), dict) or not isinstance(payload.get("regions"), list):
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
# PFM and PNG


_PFM_HEADER = re.compile(rb"\A(P[Ff])\s+(\d{1,9})\s+(\d{1,9})\s+([-+0-9.eE]{1,32})\s")


def pfm_header(data: bytes, where: _Where, element: str | None = None) -> tuple[int, int, int, int, str]:
    """(width, height, channels, data offset, byte order) of a PFM, checked against its length."""
    m = _PFM_HEADER.match(data[:256])
    if not m:
        raise where.error("is not a PFM file (it does not start 'PF width height scale')", None, element)
    channels = 3 if m.group(1) == b"PF" else 1
    width, height = int(m.group(2)), int(m.group(3))
    try:
        scale = float(m.group(4))
    except ValueError:
        scale = float("nan")
    if not math.isfinite(scale) or scale == 0:
        raise where.error(f"has scale {m.group(4).decode('ascii', 'replace')}; a PFM's scale is a non-zero number "
                          f"(negative: little-endian)", None, element)
    if not (1 <= width <= MAX_PROJECTOR_SIDE and 1 <= height <= MAX_PROJECTOR_SIDE):
        raise where.error(f"is {width}×{height}; a warp grid may be at most {MAX_PROJECTOR_SIDE} a side "
                          f"(MAX_PROJECTOR_SIDE)", None, element)
    offset = m.end()
    expected = width * height * channels * 4
    if len(data) - offset != expected:
        raise where.error(f"holds {len(data) - offset:,} bytes of values; a {width}×{height} PFM of {channels} "
                          f"channel{'s' if channels > 1 else ''} holds {expected:,}", None, element)
    return width, height, channels, offset, "<" if scale < 0 else ">"


def read_pfm(data: bytes, where: _Where, element: str | None = None) -> np.ndarray:
    """(height, width, channels) float32, the top row first (a PFM stores the bottom row first)."""
    width, height, channels, offset, order = pfm_header(data, where, element)
    values = np.frombuffer(data, dtype=f"{order}f4", count=width * height * channels, offset=offset)
    return values.reshape(height, width, channels)[::-1].astype(np.float32)


def write_pfm(values: np.ndarray) -> bytes:
    """A colour PFM (little-endian) of (height, width, 3) values, the top row first."""
    height, width, _ = values.shape
    header = f"PF\n{width} {height}\n-1.0\n".encode("ascii")
    return header + np.ascontiguousarray(values[::-1], dtype="<f4").tobytes()


def read_png(data: bytes, where: _Where, region: Region, what: str, element: str | None = None) -> np.ndarray:
    """A blend or black-level map as float64 0..1 at the region's resolution (one value a pixel)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise where.error(f"is a {image.format} image; an MPCDI {what} map is a PNG", None, element)
            if image.size != (region.width, region.height):
                raise where.error(f"is {image.size[0]}×{image.size[1]}; {region.label} is {region.width}×{region.height}"
                                  f" and its {what} map must match it pixel for pixel", None, element)
            if image.mode not in ("L", "I;16", "I;16B", "I;16L", "I", "RGB", "RGBA", "LA"):
                raise where.error(f"is a {image.mode} image; a {what} map is a grey (or RGB) PNG of 8 or 16 bits",
                                  None, element)
            mode = image.mode
            image.load()
            values = np.asarray(image)
    except BridgeError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise where.error(f"cannot be read as a PNG ({' '.join(str(exc).split())[:120]})", None, element) from None
    if values.ndim == 3:
        colour = values[..., :3].astype(np.int32) if values.shape[2] >= 3 else values[..., :1].astype(np.int32)
        if np.abs(colour - colour[..., :1]).max(initial=0) > 1:
            raise where.error(f"differs between red, green and blue; Bridge applies one {what} value to all three, so "
                              f"a colour-dependent map cannot be imported", None, element)
        values = colour[..., 0]
    full = 255.0 if mode in ("L", "RGB", "RGBA", "LA") else 65535.0
    if values.max(initial=0) > full:
        raise where.error(f"holds values beyond 16 bits; a {what} map is a PNG of 8 or 16 bits", None, element)
    return values.astype(np.float64) / full


def write_png16(values: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.clip(np.rint(values * 65535), 0, 65535).astype(np.uint16)).save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Geometry: a region's warp to Bridge's per-pixel directions


def region_directions(region: Region, warp: np.ndarray | None, profile: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(yaw, pitch) in degrees, float64 (height, width), seen through each projector pixel; NaN where unset."""
    if warp is None:  # 3d without a warp file: the frustum's picture as it is
        u, v = np.meshgrid((np.arange(region.width) + 0.5) / region.width, (np.arange(region.height) + 0.5) / region.height)
        grid = np.dstack([u, v, np.zeros_like(u)])
    else:  # the caller's own array: unset points become NaN in place
        grid = warp
        grid[np.isnan(grid).any(axis=2) | (np.abs(grid) < _INVALID_EPS).all(axis=2)] = np.nan
    if profile == "2d":
        yaw, pitch = _upsample_angles(grid[..., 0].astype(np.float64) * 360.0 - 180.0, 90.0 - grid[..., 1].astype(np.float64) * 180.0, region)
        return yaw, pitch
    if profile == "3d":
        grid = _upsample(grid[..., :2].astype(np.float64), region)
        f = region.frustum
        t_l, t_r = math.tan(math.radians(f["leftAngle"])), math.tan(math.radians(f["rightAngle"]))
        t_d, t_u = math.tan(math.radians(f["downAngle"])), math.tan(math.radians(f["upAngle"]))
        right = t_l + grid[..., 0] * (t_r - t_l)
        up = t_u - grid[..., 1] * (t_u - t_d)
        return _rotate(right, up, np.ones_like(right), f["yaw"], f["pitch"], f["roll"])
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
    return np.degrees(np.arctan2(r, f)), np.degrees(np.arctan2(u, np.hypot(r, f)))


def _rotate(right, up, forward, yaw: float, pitch: float, roll: float) -> tuple[np.ndarray, np.ndarray]:
    """Directions in a frustum's frame turned by its roll, pitch and yaw (MPCDI: yaw right, pitch up,
    roll raising the left side) to Bridge's yaw and pitch."""
    ro, pi, ya = (math.radians(a) for a in (roll, pitch, yaw))
    r = right * math.cos(ro) + up * math.sin(ro)
    u = -right * math.sin(ro) + up * math.cos(ro)
    f = forward
    u, f = u * math.cos(pi) + f * math.sin(pi), f * math.cos(pi) - u * math.sin(pi)
    r, f = r * math.cos(ya) + f * math.sin(ya), f * math.cos(ya) - r * math.sin(ya)
    return np.degrees(np.arctan2(r, f)), np.degrees(np.arctan2(u, np.hypot(r, f)))


def _upsample(grid: np.ndarray, region: Region) -> np.ndarray:
    """A warp grid spread over every pixel (bilinear, corners on the first and last pixel centres)."""
    gh, gw = grid.shape[:2]
    if (gh, gw) == (region.height, region.width):
        return grid
    x = np.arange(region.width) * ((gw - 1) / max(1, region.width - 1))
    y = np.arange(region.height) * ((gh - 1) / max(1, region.height - 1))
    x0 = np.minimum(np.floor(x).astype(int), max(gw - 2, 0))
    y0 = np.minimum(np.floor(y).astype(int), max(gh - 2, 0))
    fx, fy = (x - x0)[None, :, None], (y - y0)[:, None, None]
    x1, y1 = np.minimum(x0 + 1, gw - 1), np.minimum(y0 + 1, gh - 1)
    rows = grid[:, x0] * (1 - fx) + grid[:, x1] * fx
    return rows[y0] * (1 - fy) + rows[y1] * fy


def _upsample_angles(yaw: np.ndarray, pitch: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """The same for yaw and pitch, interpolated the short way round ±180°."""
    if yaw.shape == (region.height, region.width):
        return yaw, pitch
    ref = _circular_mean(yaw)
    rel = _wrap(yaw - ref)
    out = _upsample(np.dstack([rel, pitch]), region)
    return out[..., 0] + ref, out[..., 1]


def _wrap(angle):
    return (angle + 180.0) % 360.0 - 180.0


def _circular_mean(yaw: np.ndarray) -> float:
    rad = np.radians(yaw[np.isfinite(yaw)])
    return float(np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean()))) if rad.size else 0.0


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class Imported:
    room_file: Path
    maps_folder: Path | None
    profile: str
    projectors: int
    map_counts: dict[str, int]
    notes: list[str]


def import_mpcdi(archive_path: str | Path, out: str | Path, keep_maps: bool = False) -> Imported:
    """Read an MPCDI calibration and write a room profile `out` (YAML) with its maps beside it in
    `<stem>.maps/`.  Nothing is written unless the whole room loads.  `keep_maps` writes every
    map even where the room in the file's BridgeRoom extension reproduces it."""
    archive_path, out = Path(archive_path), Path(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise BridgeError(f"--out: {shown(out)} should be a .yaml file (the room profile; its maps go beside it)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BridgeError(f"--out: the folder {shown(folder)} does not exist")
    if out.is_dir():
        raise BridgeError(f"--out: {shown(out)} is a folder; give the room profile's file name, e.g. {shown(out / 'hall.yaml')}")
    maps_name = f"{out.stem}.maps"
    if (folder / maps_name).is_symlink() or ((folder / maps_name).exists() and not (folder / maps_name).is_dir()):
        raise BridgeError(f"--out: {shown(folder / maps_name)} exists and is not a folder; the maps go in a folder of "
                          f"that name beside the profile")
    with Archive(archive_path) as archive:
        cal = read_calibration(archive)
        notes = list(cal.notes)
        _check_members_exist(archive, cal)
        _check_memory(archive, cal)
        arrays = _read_region_maps(archive, cal, notes)
    projectors, screen, extra = _build(cal, arrays, archive_path, keep_maps, notes)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.stem}.import-", dir=folder))
    except OSError as exc:
        raise BridgeError(f"--out: cannot write in {shown(folder)}: {exc.strerror or exc}") from None
    try:
        written = _write_room(staging, out.name, maps_name, cal, projectors, screen, extra, archive_path)
        from bridge.room import load_room

        try:
            load_room(staging / out.name)
        except BridgeError as exc:
            raise _not_a_room(archive_path, exc) from None
        final_maps = None
        if written:
            final_maps = folder / maps_name
            final_maps.mkdir(exist_ok=True)
            for name in written:
                os.replace(staging / maps_name / name, final_maps / name)
        os.replace(staging / out.name, out)
    except OSError as exc:
        raise BridgeError(f"--out: cannot write {shown(out)} and its maps: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = {kind: sum(1 for p in projectors if kind in p["maps_data"]) for kind in ("warp", "alpha", "beta")}
    return Imported(out, final_maps, cal.profile, len(projectors), counts, notes)


def _not_a_room(archive_path: Path, exc: BridgeError) -> BridgeError:
    return BridgeError([Problem(archive_path, None, None, "the room it describes cannot be used: " +
                                "; ".join((f"{p.key}: " if p.key else "") + p.message for p in exc.problems))])


def _check_members_exist(archive: Archive, cal: Calibration) -> None:
    member, _ = archive.xml()
    where = archive.where.at(member)
    for region in cal.regions:
        for entry in (region.warp, region.alpha, region.beta):
            if entry is not None and not archive.has(entry.path):
                holds = ("which the archive does not hold" if archive.bare is False else
                         "but this is a bare XML file, which holds no other file: import the .mpcdi archive")
                raise where.error(f"names {excerpt(entry.path, 80)}, {holds}", entry.line, f"{entry.element} path")


def _check_memory(archive: Archive, cal: Calibration) -> None:
    """Refuse, before reading any map, a room too large to render (as load_room would)."""
    from bridge.room import (BETA_SPLIT_BYTES_PER_PIXEL, MAP_BYTES_PER_PIXEL, PROJECTOR_BYTES_PER_PIXEL,
                             WARP_COMPILE_BYTES_PER_PIXEL)

    pixels = [r.width * r.height for r in cal.regions]
    total = sum(px * (PROJECTOR_BYTES_PER_PIXEL + sum(MAP_BYTES_PER_PIXEL.values())) for px in pixels)
    total += max(pixels) * (WARP_COMPILE_BYTES_PER_PIXEL + BETA_SPLIT_BYTES_PER_PIXEL)
    if total > MAX_RENDER_BYTES:
        raise archive.where.error(f"{len(pixels)} region(s) of {sum(pixels) / 1e6:.1f} million pixels in all would need "
                                  f"about {total / 1024**3:.1f} GB for their images, maps and lookup tables; a render "
                                  f"may hold at most {MAX_RENDER_BYTES / 1024**3:.1f} GB")


def _read_region_maps(archive: Archive, cal: Calibration, notes: list[str]) -> list[dict]:
    out = []
    for region in cal.regions:
        maps = {}
        warp = None
        if region.warp is not None:
            where = archive.where.at(region.warp.path)
            data = archive.read(region.warp.path)
            gw, gh, channels, _, _ = pfm_header(data, where, region.warp.element)
            if channels != 3:
                raise where.error("is a grey PFM (Pf); a geometry warp holds three channels (PF)", None, region.warp.element)
            if gw > region.width or gh > region.height or min(gw, gh) < 2 and (gw, gh) != (region.width, region.height):
                raise where.error(f"is a {gw}×{gh} grid; {region.label} is {region.width}×{region.height}, and its warp "
                                  f"grid must be at least 2×2 and no larger than that", None, region.warp.element)
            warp = read_pfm(data, where, region.warp.element)
            del data
        try:
            yaw, pitch = region_directions(region, warp, cal.profile, notes)
        except ValueError as exc:
            member, _ = archive.xml()
            raise archive.where.at(member).error(str(exc), region.warp.line, region.warp.element) from None
        del warp
        if not np.isfinite(yaw).any():
            raise archive.where.at(region.warp.path).error(f"sets no point: {region.label} would show nothing", None,
                                                           region.warp.element)
        # float32 from here on (as the room will hold them): a large room's maps stay within its memory.
        finite = pitch[np.isfinite(pitch)]
        maps["pitch_range"] = (float(finite.min()), float(finite.max()))
        maps["warp"] = np.dstack([yaw, pitch]).astype(np.float32)
        del yaw, pitch
        for kind, entry in (("alpha", region.alpha), ("beta", region.beta)):
            if entry is not None:
                where = archive.where.at(entry.path)
                maps[kind] = read_png(archive.read(entry.path), where, region, "blend" if kind == "alpha" else "black level",
                                      entry.element)
                if kind == "alpha":
                    maps["alpha"] = maps["alpha"] ** entry.gamma
                    maps["gamma"] = entry.gamma
                maps[kind] = maps[kind].astype(np.float32)
        out.append(maps)
    return out


def _build(cal: Calibration, arrays: list[dict], archive_path: Path, keep_maps: bool, notes: list[str]):
    """Projector entries and the screen for the profile: from the extension's room where the maps agree, else maps."""
    from bridge.compositor import pixel_directions, projector_weights
    from bridge.room import RoomSpec, build_room
    from bridge.yaml_source import YamlDocument

    hint_room = _hint_room(cal, notes) if cal.hint is not None and not keep_maps else None
    entries = []
    for k, (region, maps) in enumerate(zip(cal.regions, arrays)):
        warp = maps.pop("warp")
        yaw, pitch = warp[..., 0], warp[..., 1]
        lit = np.isfinite(yaw)
        gamma = maps.get("gamma", 2.2)
        entry = {"name": region.id, "gamma": round(float(gamma if 1.0 <= gamma <= 3.0 else 2.2), 6),
                 "resolution": [region.width, region.height], "maps_data": {}}
        entry.update(_extent(yaw, lit))
        hinted = hint_room.projectors[k] if hint_room is not None else None
        if hinted is not None:
            want_yaw, want_pitch = pixel_directions(hinted)
            if (lit.all() and np.abs(_wrap(want_yaw - yaw)).max() <= DIRECTION_TOLERANCE_DEG
                    and np.abs(want_pitch - pitch).max() <= DIRECTION_TOLERANCE_DEG):
                entry.update(_hinted_geometry(cal.hint["projectors"][k]))
            else:
                notes.append(f"{region.label}: its warp differs from the room stored in the file: written as a warp map")
                hinted = None
        if hinted is None:
            entry["maps_data"]["warp"] = warp
        del warp, yaw, pitch
        entries.append(entry)
    screen, extra = _screen(cal, arrays, hint_room)
    # Blend and black level: the room's own ramps (and one black level) where the maps are what they give.
    spec = _spec_from_entries(cal, entries, screen, extra, archive_path)
    try:
        room = build_room(RoomSpec.model_validate(spec), YamlDocument(archive_path, spec, {}))
    except BridgeError as exc:
        raise _not_a_room(archive_path, exc) from None
    room = dataclasses.replace(room, projectors=tuple(
        dataclasses.replace(p, warp_map=e["maps_data"].get("warp")) for p, e in zip(room.projectors, entries)))
    for p, entry, maps in zip(room.projectors, entries, arrays):
        alpha, beta = maps.get("alpha"), maps.get("beta")
        if alpha is None and beta is None:
            continue  # no blend in the file: Bridge's ramps (and the stored black level, if any)
        alpha = np.ones_like(beta) if alpha is None else alpha
        beta = np.zeros_like(alpha) if beta is None else beta
        gain = entry.get("gain", 1.0)
        weight = beta + alpha * (1 - beta) / gain
        if weight.max() > 1 + LEVEL_TOLERANCE:  # the stored gain does not fit these maps
            entry.pop("gain", None)
            gain, weight = 1.0, beta + alpha * (1 - beta)
        weight = np.minimum(weight, 1.0)
        black = np.divide(beta, weight, out=np.zeros_like(beta), where=weight > 0)
        lit = np.isfinite(p.warp_map[..., 0]) if p.warp_map is not None else np.ones(weight.shape, bool)
        ours = np.broadcast_to(projector_weights(room, p), weight.shape)
        if keep_maps or np.abs(ours - weight)[lit].max(initial=0) > LEVEL_TOLERANCE:
            entry["maps_data"]["alpha"] = weight.astype(np.float32)
        levels = black[(weight > 0.05) & lit]
        stored = entry.pop("black_level", None)
        if not levels.size or black.max() <= LEVEL_TOLERANCE:
            continue  # no black lift
        level = float(np.median(levels))
        # One black level for the whole projector if it gives every pixel's lift (β = w·b) to the maps' precision.
        if not keep_maps and np.abs(beta - weight * level)[lit].max(initial=0) <= LEVEL_TOLERANCE:
            entry["black_level"] = stored if stored is not None and abs(stored - level) <= 2 * LEVEL_TOLERANCE \
                else round(level, 6)
        else:
            entry["maps_data"]["beta"] = np.minimum(black, 0.499).astype(np.float32)
    return entries, screen, extra


def _extent(yaw: np.ndarray, lit: np.ndarray) -> dict:
    """yaw (centre) and span_deg round the lit pixels, half a pixel past the outermost centres."""
    ref = _circular_mean(yaw)
    rel = _wrap(yaw - ref)
    finite = rel[lit]
    steps = np.abs(np.diff(rel, axis=1))
    steps = steps[np.isfinite(steps) & (steps < 90)]
    half = float(np.median(steps)) / 2 if steps.size else 0.0
    lo, hi = float(finite.min()) - half, float(finite.max()) + half
    span = min(360.0, max(hi - lo, 1e-3))
    return {"yaw": round(float(_wrap(ref + (lo + hi) / 2)), 9), "span_deg": round(span, 9)}


def _hinted_geometry(spec: dict) -> dict:
    out = {"yaw": spec["yaw"], "span_deg": spec["span_deg"], "gamma": spec.get("gamma", 2.2)}
    for key in ("warp", "gain", "black_level"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out


def _hint_room(cal: Calibration, notes: list[str]):
    """The room in the BridgeRoom extension, if it is valid and names the same regions in order."""
    from pydantic import ValidationError

    from bridge.room import RoomSpec, build_room
    from bridge.yaml_source import YamlDocument

    ids = [r.id for r in cal.regions]
    projectors = cal.hint.get("projectors")
    if cal.hint_regions != ids or not isinstance(projectors, list) or len(projectors) != len(ids):
        notes.append("the BridgeRoom extension names other regions than the display: ignored, the room is built from the maps")
        return None
    sizes = [p.get("resolution") if isinstance(p, dict) else None for p in projectors]
    if sizes != [[r.width, r.height] for r in cal.regions]:
        notes.append("the BridgeRoom extension's resolutions differ from the regions': ignored")
        return None
    spec = dict(cal.hint)
    spec["projectors"] = [{k: v for k, v in p.items() if k != "maps"} if isinstance(p, dict) else p for p in projectors]
    try:
        return build_room(RoomSpec.model_validate(spec), YamlDocument(Path("extension"), spec, {}))
    except (ValidationError, BridgeError, TypeError, ValueError):
        notes.append("the BridgeRoom extension is not a valid room: ignored, the room is built from the maps")
        return None


def _screen(cal: Calibration, arrays: list[dict], hint_room) -> tuple[dict, dict]:
    """The profile's screen (and blend, display) keys: the extension's when its room was used, else
    a cylinder round the maps' pitch range (with warp maps it only informs checks and patterns)."""
    if hint_room is not None:
        extra = {k: cal.hint[k] for k in ("name", "blend", "display", "description") if k in cal.hint}
        return dict(cal.hint["screen"]), extra
    lo = min(m["pitch_range"][0] for m in arrays)
    hi = max(m["pitch_range"][1] for m in arrays)
    radius = NOMINAL_RADIUS_M  # only ratios matter to the picture (and with warp maps, not even they)
    top = math.tan(math.radians(min(max(hi, 0.5), 89.0)))
    bottom = math.tan(math.radians(max(min(lo, 0.0), -89.0)))
    return {"shape": "cylinder", "radius_m": radius, "height_m": round((top - bottom) * radius, 6),
            "eye_height_m": round(-bottom * radius, 6)}, {}


def _outputs(cal: Calibration) -> list[dict] | None:
    """Desktop positions from the regions' places in one buffer, when they are distinct."""
    buffers = {r.buffer for r in cal.regions}
    if len(buffers) != 1 or cal.regions[0].buffer_size is None:
        return None
    bw, bh = cal.regions[0].buffer_size
    rects = [(round(r.x * bw), round(r.y * bh), r.width, r.height) for r in cal.regions]
    if any(x < 0 or y < 0 for x, y, _, _ in rects) or len(set(rects)) < len(rects):
        return None
    for j, (xj, yj, wj, hj) in enumerate(rects):
        for xi, yi, wi, hi in rects[:j]:
            if xi < xj + wj and xj < xi + wi and yi < yj + hj and yj < yi + hi:
                return None
    return [{"x": x, "y": y} for x, y, _, _ in rects]


def _spec_from_entries(cal: Calibration, entries: list[dict], screen: dict, extra: dict, archive_path: Path) -> dict:
    spec = {"name": extra.get("name") or f"{archive_path.name} (imported)"[:200]}
    if extra.get("description"):
        spec["description"] = extra["description"]
    spec["screen"] = screen
    spec.update({k: v for k, v in extra.items() if k in ("blend", "display")})
    outputs = _outputs(cal)
    projectors = []
    for k, e in enumerate(entries):
        p = {"name": e["name"][:200], "yaw": e["yaw"], "span_deg": e["span_deg"], "resolution": e["resolution"]}
        for key in ("gamma", "gain", "black_level", "warp"):
            if e.get(key) is not None and (key != "gain" or e[key] != 1.0):
                p[key] = e[key]
        if outputs is not None:
            p["output"] = outputs[k]
        projectors.append(p)
    spec["projectors"] = projectors
    return spec


def _write_room(staging: Path, yaml_name: str, maps_name: str, cal: Calibration, entries: list[dict], screen: dict,
                extra: dict, archive_path: Path) -> list[str]:
    """The profile and its map files in `staging`; the map files' names."""
    import yaml

    spec = _spec_from_entries(cal, entries, screen, extra, archive_path)
    written = []
    for k, (entry, p) in enumerate(zip(entries, spec["projectors"])):
        data = entry["maps_data"]
        if not data:
            continue
        (staging / maps_name).mkdir(exist_ok=True)
        files = {}
        if "warp" in data:
            name = f"projector-{k + 1}-warp.npy"
            np.save(staging / maps_name / name, data["warp"], allow_pickle=False)
            files["warp"] = name
        for kind in ("alpha", "beta"):
            if kind in data:
                name = f"projector-{k + 1}-{kind}.png"
                (staging / maps_name / name).write_bytes(write_png16(data[kind]))
                files[kind] = name
        p["maps"] = {kind: f"{maps_name}/{name}" for kind, name in files.items()}
        written += files.values()
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    header = (f"# Imported from {archive_path.name} (MPCDI profile {cal.profile}) by `bridge room import` on {stamp}.\n"
              f"# Per-pixel maps (if any) are in {maps_name}/ beside this file: keep them together.\n")
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
    (staging / yaml_name).write_text(header + body, encoding="utf-8")
    return written


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
    alpha (blend ramps, gain folded in) and, where any projector lifts black, beta maps."""
    from bridge.compositor import pixel_directions, projector_weights

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
            frustum, warp = _frustum_warp(p, yaw, pitch, room)
        elif profile == "2d":
            warp = np.dstack([((yaw + 180.0) / 360.0) % 1.0, (90.0 - pitch) / 180.0, np.zeros_like(yaw)])
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
            region += "        <frustum>\n" + "".join(f"          <{n}>{frustum[n]!r}</{n}>\n" for n in _FRUSTUM) + "        </frustum>\n"
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
           f'<MPCDI profile="{profile}" geometry="1" color="1" date="{date}" version="2.0">\n'
           f'  <display>\n    <buffer id="desktop" xResolution="{dw}" yResolution="{dh}">\n'
           + "".join(regions_xml) + "    </buffer>\n  </display>\n  <files>\n" + "".join(filesets_xml) + "  </files>\n"
           f'  <extensionSet>\n    <extension Name="{EXTENSION_NAME}" hasExternalFiles="false">\n'
           f"      <GeneratedBy>Bridge</GeneratedBy>\n      <room>{xml_escape(hint)}</room>\n"
           f"    </extension>\n  </extensionSet>\n</MPCDI>\n")
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
    return Exported(out, profile, len(room.projectors), out.stat().st_size)


def _region_ids(room) -> list[str]:
    names = [p.name for p in room.projectors]
    return names if len(set(names)) == len(names) and all(names) else [f"projector-{p.number}" for p in room.projectors]


def _frustum_warp(p, yaw: np.ndarray, pitch: np.ndarray, room) -> tuple[dict, np.ndarray]:
    """A level frustum from the eye, centred on the projector's yaw, just holding every pixel's
    direction; the warp is each pixel's (u, v) in the frustum's picture."""
    centre = p.yaw_centre if p.warp_map is None else _circular_mean(yaw)
    turn = _wrap(yaw - centre)
    if np.nanmax(np.abs(turn)) >= 89.5:
        raise BridgeError(Problem(room.source, None, f"projectors[{p.number - 1}]",
                                  f"{p.name} sees {np.nanmax(np.abs(turn)):.1f}° from its centre; a 3d frustum (one "
                                  f"pinhole view) must stay within 89.5° of it: export this room with --profile 2d or a3"))
    rad = np.radians(turn)
    right = np.tan(rad)
    up = np.tan(np.radians(pitch)) / np.cos(rad)
    if np.nanmax(np.abs(up)) >= 57:  # 89°
        raise BridgeError(Problem(room.source, None, f"projectors[{p.number - 1}]",
                                  f"{p.name} looks too near straight up or down for a 3d frustum: export with --profile 2d or a3"))
    # Out to the pixels' edges (half a step past the outermost centres): no pixel sits on the
    # picture's corner, whose (0, 0) readers such as nDisplay take for an unset point.
    half_u = np.nanmedian(np.abs(np.diff(right, axis=1))) / 2 if p.width > 1 else 1e-3
    half_v = np.nanmedian(np.abs(np.diff(up, axis=0))) / 2 if p.height > 1 else 1e-3
    t_l, t_r = np.nanmin(right) - half_u, np.nanmax(right) + half_u
    t_d, t_u = np.nanmin(up) - half_v, np.nanmax(up) + half_v
    frustum = {"yaw": float(centre), "pitch": 0.0, "roll": 0.0,
               "leftAngle": math.degrees(math.atan(t_l)), "rightAngle": math.degrees(math.atan(t_r)),
               "upAngle": math.degrees(math.atan(t_u)), "downAngle": math.degrees(math.atan(t_d))}
    # The angles as written (and read back): the warp is measured against exactly them.
    t_l, t_r = math.tan(math.radians(frustum["leftAngle"])), math.tan(math.radians(frustum["rightAngle"]))
    t_d, t_u = math.tan(math.radians(frustum["downAngle"])), math.tan(math.radians(frustum["upAngle"]))
    u = (right - t_l) / (t_r - t_l)
    v = (t_u - up) / (t_u - t_d)
    return frustum, np.dstack([u, v, np.zeros_like(u)])


def _screen_points(p, yaw: np.ndarray, pitch: np.ndarray, room) -> np.ndarray:
    """Each pixel's point on the screen in metres, the eye at the origin (x right, y up, z towards the viewer)."""
    screen = room.screen
    if screen.shape == "cylinder":
        reach = np.full_like(yaw, screen.radius_m, dtype=np.float64)
    else:  # a flat wall square to the projector's centre yaw
        reach = screen.distance_m / np.maximum(np.cos(np.radians(_wrap(yaw - p.yaw_centre))), 1e-6)
    rad = np.radians(yaw)
    return np.dstack([reach * np.sin(rad), reach * np.tan(np.radians(pitch)), -reach * np.cos(rad)])


def room_spec_dict(room) -> dict:
    """The room as the profile keys that describe it (maps left out: they travel as the file's maps)."""
    projectors = []
    for p in room.projectors:
        entry = {"name": p.name, "yaw": (p.yaw_min + p.yaw_max) / 2, "span_deg": p.span, "resolution": [p.width, p.height],
                 "gamma": p.gamma, "gain": p.gain, "black_level": p.black_level, "output": {"x": p.output[0], "y": p.output[1]}}
        if p.warp is not None:
            rows, cols = p.warp.shape[:2]
            entry["warp"] = {"rows": rows, "cols": cols, "offsets": p.warp.reshape(-1, 2).astype(float).tolist()}
        projectors.append(entry)
    return {"name": room.name, "description": room.description, "screen": room.screen.model_dump(exclude_none=True),
            "blend": room.blend.model_dump(), "display": {"layout": room.layout}, "projectors": projectors}


# ---------------------------------------------------------------------------------------------
# Command line (parser in bridge/cli.py): `bridge room import FILE --out ROOM.yaml`, `bridge room export ROOM --out FILE`


def cmd_room(args) -> int:
    from rich.console import Console

    from bridge.errors import printable

    out = Console(highlight=False, soft_wrap=True, emoji=False)
    if getattr(args, "action", None) not in ("import", "export"):
        raise BridgeError("room: say what to do: `bridge room import FILE.mpcdi --out ROOM.yaml` or "
                          "`bridge room export ROOM --out FILE.mpcdi`")
    if args.action == "import":
        result = import_mpcdi(args.file, args.out, keep_maps=args.keep_maps)
        maps = ", ".join(f"{n} {k}" for k, n in result.map_counts.items() if n) or "none: the room in the file matches its maps"
        out.print(printable(f"imported {args.file} (profile {result.profile}, {result.projectors} projectors) as "
                            f"{result.room_file}; maps: {maps}" + (f" in {result.maps_folder}/" if result.maps_folder else "")))
        for note in result.notes:
            out.print(printable(f"note: {note}"))
        return 0
    from bridge.room import load_room

    try:
        room = load_room(args.room)
    except BridgeError as exc:
        raise BridgeError([p if p.file is not None else Problem(None, None, None, f"ROOM: {p.message}")
                           for p in exc.problems]) from None
    result = export_mpcdi(room, args.out, args.profile)
    out.print(printable(f"exported {room.name} ({result.regions} projectors, profile {result.profile}) to {result.path} "
                        f"({result.bytes / 1024**2:.1f} MB)"))
    return 0


__all__ = ["Archive", "export_mpcdi", "import_mpcdi", "read_calibration", "read_pfm", "write_pfm", "cmd_room",
           "unsafe_member_name"]
