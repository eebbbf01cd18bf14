"""MPCDI archives as files: located problems, the zip read safely, XML without DOCTYPEs or
entities (see bridge/room/mpcdi/__init__.py for the format; the map files are in `mapfiles`)."""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from bridge.errors import BridgeError, Problem, excerpt, shown
from bridge.limits import MAX_MPCDI_BYTES, MAX_MPCDI_MEMBERS, MAX_MPCDI_XML_BYTES

PROFILES_WRITTEN = ("3d", "2d", "a3")
PROFILES_READ = ("3d", "2d", "a3")
EXTENSION_NAME = "BridgeRoom"
NOMINAL_RADIUS_M = 3.0  # the screen distance written when a file does not say it (2d, 3d: only ratios matter)
DIRECTION_TOLERANCE_DEG = 5e-4  # maps agreeing with the room in the file's extension to this are written as the room
LEVEL_TOLERANCE = 5e-5  # the same for alpha (weight) and beta (black level), in linear light
_INVALID_EPS = 1e-5  # a warp point whose values are all this close to 0 is unset (as nDisplay reads it)
V_ORIGINS = ("bottom", "top")  # where a 2d or 3d warp's v = 0 lies: the standard's (OpenGL's) bottom, or the top


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
        assert self._zip is not None  # only called right after the zip opened
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
        assert self._zip is not None  # members is empty unless the zip opened
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
