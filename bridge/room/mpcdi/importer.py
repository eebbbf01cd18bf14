"""`bridge room import`: an MPCDI archive into a room profile with its maps beside it."""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import BridgeError, Problem, excerpt, shown
from bridge.geometry import mean_yaw, wrap_yaw
from bridge.limits import MAX_RENDER_BYTES
from bridge.room.load import build_room, load_room
from bridge.room.lookup import pixel_directions, projector_weights
from bridge.room.model import (
    BETA_SPLIT_BYTES_PER_PIXEL,
    MAP_BYTES_PER_PIXEL,
    PROJECTOR_BYTES_PER_PIXEL,
    WARP_COMPILE_BYTES_PER_PIXEL,
    RoomSpec,
)
from bridge.room.mpcdi.calibration import Calibration, read_calibration, region_directions
from bridge.room.mpcdi.files import DIRECTION_TOLERANCE_DEG, LEVEL_TOLERANCE, NOMINAL_RADIUS_M, V_ORIGINS, Archive
from bridge.room.mpcdi.mapfiles import pfm_header, read_pfm, read_png, write_png16
from bridge.scene.yaml_source import YamlDocument

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


def import_mpcdi(archive_path: str | Path, out: str | Path, keep_maps: bool = False, v_origin: str = "auto") -> Imported:
    """Read an MPCDI calibration and write a room profile `out` (YAML) with its maps beside it in
    `<stem>.maps/`.  Nothing is written unless the whole room loads.  `keep_maps` writes every
    map even where the room in the file's BridgeRoom extension reproduces it.  `v_origin` says
    where a 2d or 3d warp's v = 0 lies: `bottom` (the standard's), `top`, or `auto` (the bottom,
    unless an older Bridge wrote the file: its exporter put it at the top)."""
    archive_path, out = Path(archive_path), Path(out)
    if v_origin not in ("auto",) + V_ORIGINS:
        raise BridgeError(f"--v-origin: {shown(v_origin, 20)!r} is not one of auto, {', '.join(V_ORIGINS)}")
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
        origin = _v_origin(cal, v_origin, notes)
        _check_members_exist(archive, cal)
        _check_memory(archive, cal)
        arrays = _read_region_maps(archive, cal, notes, origin)
    projectors, screen, extra = _build(cal, arrays, archive_path, keep_maps, notes)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.stem}.import-", dir=folder))
    except OSError as exc:
        raise BridgeError(f"--out: cannot write in {shown(folder)}: {exc.strerror or exc}") from None
    try:
        written = _write_room(staging, out.name, maps_name, cal, projectors, screen, extra, archive_path)
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


def _v_origin(cal: Calibration, asked: str, notes: list[str]) -> str:
    """Where the warps' v = 0 lies: as asked, else where the file's writer put it (the bottom, as the standard has it)."""
    if asked != "auto":
        return asked
    if cal.v_origin_written == "top" and cal.profile in ("2d", "3d") and any(r.warp for r in cal.regions):
        notes.append("an older Bridge wrote this file, with v = 0 at the top of its warps: read that way "
                     "(--v-origin bottom reads it as the standard has it)")
    return cal.v_origin_written or "bottom"


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
    pixels = [r.width * r.height for r in cal.regions]
    total = sum(px * (PROJECTOR_BYTES_PER_PIXEL + sum(MAP_BYTES_PER_PIXEL.values())) for px in pixels)
    total += max(pixels) * (WARP_COMPILE_BYTES_PER_PIXEL + BETA_SPLIT_BYTES_PER_PIXEL)
    if total > MAX_RENDER_BYTES:
        raise archive.where.error(f"{len(pixels)} region(s) of {sum(pixels) / 1e6:.1f} million pixels in all would need "
                                  f"about {total / 1024**3:.1f} GB for their images, maps and lookup tables; a render "
                                  f"may hold at most {MAX_RENDER_BYTES / 1024**3:.1f} GB")


def _read_region_maps(archive: Archive, cal: Calibration, notes: list[str], v_origin: str) -> list[dict]:
    out = []
    for region in cal.regions:
        maps: dict[str, Any] = {}  # pitch_range, warp, alpha, gamma, beta
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
            yaw, pitch = region_directions(region, warp, cal.profile, notes, v_origin)
        except ValueError as exc:
            assert region.warp is not None  # only a warp's origin is refused
            member, _ = archive.xml()
            raise archive.where.at(member).error(str(exc), region.warp.line, region.warp.element) from None
        del warp
        if not np.isfinite(yaw).any():
            assert region.warp is not None  # without a warp every pixel looks through the frustum
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

    hint_room = _hint_room(cal, notes) if cal.hint is not None and not keep_maps else None
    entries: list[dict[str, Any]] = []
    for k, (region, maps) in enumerate(zip(cal.regions, arrays)):
        warp = maps.pop("warp")
        yaw, pitch = warp[..., 0], warp[..., 1]
        lit = np.isfinite(yaw)
        gamma = maps.get("gamma", 2.2)
        entry: dict[str, Any] = {"name": region.id, "gamma": round(float(gamma if 1.0 <= gamma <= 3.0 else 2.2), 6),
                 "resolution": [region.width, region.height], "maps_data": {}}
        entry.update(_extent(yaw, lit))
        hinted = hint_room.projectors[k] if hint_room is not None else None
        if hinted is not None:
            want_yaw, want_pitch = pixel_directions(hinted)
            if (lit.all() and np.abs(wrap_yaw(want_yaw - yaw)).max() <= DIRECTION_TOLERANCE_DEG
                    and np.abs(want_pitch - pitch).max() <= DIRECTION_TOLERANCE_DEG):
                assert cal.hint is not None  # hint_room was built from it
                entry.update(_hinted_geometry(cal.hint["projectors"][k]))
            else:
                notes.append(f"{region.label}: its warp differs from the room stored in the file: written as a warp map")
                hinted = None
                if isinstance(cal.hint, dict) and "area" in cal.hint["projectors"][k]:
                    entry["area"] = cal.hint["projectors"][k]["area"]  # a wall places each projector by its area
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
        # A wall's tiles are not blended: full weight where no alpha map says otherwise (as load_room gives them).
        ours = np.ones(weight.shape, np.float32) if room.screen.shape == "wall" else \
            np.broadcast_to(projector_weights(room, p), weight.shape)
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
    ref = mean_yaw(yaw)
    rel = wrap_yaw(yaw - ref)
    finite = rel[lit]
    steps = np.abs(np.diff(rel, axis=1))
    steps = steps[np.isfinite(steps) & (steps < 90)]
    half = float(np.median(steps)) / 2 if steps.size else 0.0
    lo, hi = float(finite.min()) - half, float(finite.max()) + half
    span = min(360.0, max(hi - lo, 1e-3))
    return {"yaw": round(float(wrap_yaw(ref + (lo + hi) / 2)), 9), "span_deg": round(span, 9)}


def _hinted_geometry(spec: dict) -> dict:
    """A projector's keys from the room in the extension: its place (yaw and span, or a wall's area) and levels."""
    out = {"gamma": spec.get("gamma", 2.2)}
    for key in ("yaw", "span_deg", "area", "warp", "gain", "black_level"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out


def _hint_room(cal: Calibration, notes: list[str]):
    """The room in the BridgeRoom extension, if it is valid and names the same regions in order."""
    from pydantic import ValidationError

    assert cal.hint is not None  # called only when the file has the extension
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
        assert cal.hint is not None  # hint_room was built from it
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
        place = {"area": e["area"]} if "area" in e else {"yaw": e["yaw"], "span_deg": e["span_deg"]}
        p = {"name": e["name"][:200], **place, "resolution": e["resolution"]}
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
    written: list[str] = []
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
