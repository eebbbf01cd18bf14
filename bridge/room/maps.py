"""A room profile's per-pixel maps (what `bridge room import` writes from an MPCDI
calibration): their files, resolved inside the profile's folder, and their pixels, read
bounded and checked against the projector they belong to.

A warp map (NumPy, float32 (height, width, 2): the yaw and pitch each pixel shows) replaces
the screen's geometry; an alpha map (grey PNG) the blend weight; a beta map (grey PNG) the
black level.  bridge/room/load.py calls `map_files_of` while it builds a room and `load_maps` after
the memory check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, Problem, excerpt
from bridge.room.model import Projector, ProjectorSpec, Room
from bridge.scene.yaml_source import YamlDocument

MAP_KINDS = ("warp", "alpha", "beta")
MAX_MAP_YAW = 360.0  # a warp map's yaw may run past ±180 (unwrapped), never further than a turn


def map_files_of(spec: ProjectorSpec, i: int, doc: YamlDocument, problems: list[Problem]) -> list[tuple[str, Path, str]]:
    """The projector's map files, resolved inside the profile's folder; bad paths become problems."""
    if spec.maps is None:
        return []
    folder = Path(doc.path).parent
    found = []
    for kind in MAP_KINDS:
        relative = getattr(spec.maps, kind)
        if relative is None:
            continue
        key = ("projectors", i, "maps", kind)
        why = _map_path_problem(relative, folder)
        if why:
            problems.append(doc.problem(key, why))
        else:
            found.append((kind, (folder / relative).resolve(), relative))
    if spec.maps.warp is None and spec.maps.alpha is None and spec.maps.beta is None:
        problems.append(doc.problem(("projectors", i, "maps"), "names no map; give warp, alpha or beta (or remove maps)"))
    return found


def _map_path_problem(relative: str, folder: Path) -> str | None:
    shown_path = excerpt(relative, 80)
    if "\x00" in relative:
        return "a path cannot contain a NUL character"
    if Path(relative).is_absolute() or relative.startswith(("/", "\\")) or (len(relative) > 1 and relative[1] == ":"):
        return (f"{shown_path} is an absolute path; a map is a file beside the profile, written relative to it "
                f"(e.g. room.maps/projector-1-warp.npy)")
    try:
        root = folder.resolve()
        resolved = (folder / relative).resolve()
    except (OSError, RuntimeError) as exc:
        return f"{shown_path} cannot be resolved ({exc})"
    if not resolved.is_relative_to(root):
        return (f"{shown_path} is outside the profile's folder (it resolves to {resolved}); maps must be files in "
                f"{root} or below it")
    try:
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        return f"{shown_path} not found (looked for {resolved})"
    except OSError as exc:
        return f"{shown_path} cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        return f"{shown_path} is {'a folder' if stat.S_ISDIR(mode) else 'not a regular file'}; give a map file"
    return None


def load_maps(room: Room, doc: YamlDocument) -> Room:
    """The room with every projector's map files read and checked; its digest covers their content."""
    if not any(p.map_files for p in room.projectors):
        return room
    problems: list[Problem] = []
    projectors = []
    digest = hashlib.sha256(room.digest.encode())
    for i, p in enumerate(room.projectors):
        loaded = {}
        for kind, path, relative in p.map_files:
            key = ("projectors", i, "maps", kind)
            try:
                loaded[kind] = (read_warp_map if kind == "warp" else read_level_map)(path, p, kind)
            except _MapProblem as exc:
                problems.append(doc.problem(key, f"{excerpt(relative, 120)}: {exc}"))
                continue
            digest.update(f"{i}:{kind}:".encode() + _file_digest(path))
        projectors.append(dataclasses.replace(p, warp_map=loaded.get("warp"), alpha_map=loaded.get("alpha"),
                                              beta_map=loaded.get("beta")))
    if problems:
        raise BridgeError(problems)
    return dataclasses.replace(room, projectors=tuple(projectors), digest=digest.hexdigest()[:16])


class _MapProblem(Exception):
    """What is wrong with a map file (the caller says which file and key)."""


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def read_warp_map(path: Path, p: Projector, kind: str = "warp") -> np.ndarray:
    """A warp map: .npy float (height, width, 2) of yaw and pitch in degrees, NaN where dark.

    The header is read and checked (shape, type, file size) before the data."""
    try:
        with open(path, "rb") as file:
            try:
                version = np.lib.format.read_magic(file)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
            except (ValueError, SyntaxError, EOFError, TypeError) as exc:
                raise _MapProblem(f"is not a NumPy .npy file ({' '.join(str(exc).split())[:120]}); a warp map is one, "
                                  f"float32 of shape ({p.height}, {p.width}, 2)") from None
            offset = file.tell()
            size = os.fstat(file.fileno()).st_size
            if dtype.hasobject or dtype.kind != "f" or dtype.itemsize not in (4, 8):
                raise _MapProblem(f"holds {dtype} values; a warp map holds float32 yaw and pitch in degrees")
            if tuple(shape) != (p.height, p.width, 2):
                raise _MapProblem(f"has shape {tuple(shape)}; {p.name} is {p.width}×{p.height}, so its warp map must "
                                  f"have shape ({p.height}, {p.width}, 2): yaw and pitch for every pixel")
            if size != offset + p.height * p.width * 2 * dtype.itemsize:
                raise _MapProblem(f"is {size} bytes; its header promises {offset + p.height * p.width * 2 * dtype.itemsize}"
                                  f" (truncated or padded)")
            data = np.fromfile(file, dtype=dtype, count=p.height * p.width * 2)
    except OSError as exc:
        raise _MapProblem(f"cannot be read ({exc.strerror or exc})") from None
    data = data.reshape((p.height, p.width, 2), order="F" if fortran else "C").astype(np.float32)
    yaw, pitch = data[..., 0], data[..., 1]
    dark = np.isnan(yaw) & np.isnan(pitch)
    bad = ~dark & ~(np.isfinite(yaw) & np.isfinite(pitch))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise _MapProblem(f"pixel ({c}, {r}) holds yaw {yaw[r, c]}, pitch {pitch[r, c]}; each pixel holds two finite "
                          f"numbers, or NaN in both for a dark pixel")
    out = ~dark & ((np.abs(yaw) > MAX_MAP_YAW) | (np.abs(pitch) > 90))
    if out.any():
        r, c = np.argwhere(out)[0]
        raise _MapProblem(f"pixel ({c}, {r}) holds yaw {yaw[r, c]:g}, pitch {pitch[r, c]:g}; yaw must be within "
                          f"±{MAX_MAP_YAW:g}° and pitch within ±90°")
    if dark.all():
        raise _MapProblem("lights no pixel (every value is NaN)")
    return np.ascontiguousarray(data)


def read_level_map(path: Path, p: Projector, kind: str) -> np.ndarray:
    """An alpha (blend weight) or beta (black level) map: a grey PNG, 8 or 16 bit, as float32 0..1."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                raise _MapProblem(f"is a {image.format} image; a {kind} map is a grey PNG (8 or 16 bit)")
            if image.size != (p.width, p.height):
                raise _MapProblem(f"is {image.size[0]}×{image.size[1]}; {p.name} is {p.width}×{p.height} (its resolution) "
                                  f"and a {kind} map must match it pixel for pixel")
            if image.mode not in ("L", "I;16", "I;16B", "I;16L", "I"):
                raise _MapProblem(f"is a {image.mode} image; a {kind} map is a grey PNG (8 or 16 bit), one value a pixel")
            image.load()
            values = np.asarray(image)
            full = 255.0 if image.mode == "L" else 65535.0
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _MapProblem(f"cannot be read as a PNG ({' '.join(str(exc).split())[:120]})") from None
    if values.max(initial=0) > full or values.min(initial=0) < 0:
        raise _MapProblem(f"holds values beyond 16 bits; a {kind} map is a grey PNG of 8 or 16 bits")
    level = (values.astype(np.float64) / full).astype(np.float32)
    if kind == "beta" and level.max() >= 0.5:
        r, c = np.argwhere(level >= 0.5)[0]
        raise _MapProblem(f"pixel ({c}, {r}) lifts black to {level[r, c]:.3f}; a black level is under 0.5 of full light")
    return level
