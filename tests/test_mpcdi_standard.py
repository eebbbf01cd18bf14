"""MPCDI files written here from the VESA MPCDI v2.0 text alone, imported and checked against the
analytic frusta: every pixel's direction within 0.5°.

Nothing here comes from Bridge's exporter or readers: the PFM is written as the Portable FloatMap
format has it (rows bottom to top, the scale's sign giving the byte order), (u, v) as the
standard's §3.6.2 has it ("the same as OpenGL UV mapping": v = 0 at the bottom), a coarse grid
in §3.6's fill layout (sample i at the centre of cell i, (i + 0.5)/n), the frustum as §2.2 and
Table 2-1 have it (yaw to the right first, then pitch up, then roll clockwise), and the optional
error channel B as §3.6.2 has it (NaN when not computed; 1.0 with NaN where a point is unknown).
"""

from __future__ import annotations

import io
import math
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.room.load import load_room
from bridge.room.lookup import pixel_directions
from bridge.room.mpcdi.exporter import export_mpcdi
from bridge.room.mpcdi.importer import import_mpcdi

TOLERANCE_DEG = 0.5
ROUND = [dict(yaw=yaw) for yaw in (0, 90, 180, -90)]  # four frusta round the room
WIDE = dict(leftAngle=-50, rightAngle=50, upAngle=25, downAngle=-20)  # 100° wide: 10° overlaps


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------------------------
# The standard's geometry, written out here


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Viewer to world (x right, y up, z ahead): the head turned right by yaw, then up by pitch, then
    clockwise by roll, each about the head's own axes (VESA MPCDI v2.0 §2.2, Table 2-1)."""
    ya, pi, ro = (math.radians(a) for a in (yaw, pitch, roll))
    turn = np.array([[math.cos(ya), 0, math.sin(ya)], [0, 1, 0], [-math.sin(ya), 0, math.cos(ya)]])
    tilt = np.array([[1, 0, 0], [0, math.cos(pi), math.sin(pi)], [0, -math.sin(pi), math.cos(pi)]])
    spin = np.array([[math.cos(ro), math.sin(ro), 0], [-math.sin(ro), math.cos(ro), 0], [0, 0, 1]])
    return turn @ tilt @ spin


def frustum_rays(frustum: dict, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """World directions (…, 3) at (u, v) of a frustum's picture, (0, 0) its bottom-left corner."""
    tl, tr, td, tu = (math.tan(math.radians(frustum[k])) for k in ("leftAngle", "rightAngle", "downAngle", "upAngle"))
    ray = np.stack([tl + u * (tr - tl), td + v * (tu - td), np.ones_like(u)], axis=-1)
    ray = ray @ rotation(frustum["yaw"], frustum.get("pitch", 0), frustum.get("roll", 0)).T
    return ray / np.linalg.norm(ray, axis=-1, keepdims=True)


def canvas_rays(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The 2d profile's canvas as Bridge takes it, the 360° frame: u 0..1 is yaw -180..180, v 0..1 pitch -90..90."""
    yaw, pitch = np.radians(u * 360 - 180), np.radians(v * 180 - 90)
    return np.stack([np.cos(pitch) * np.sin(yaw), np.sin(pitch), np.cos(pitch) * np.cos(yaw)], axis=-1)


def pixel_uv(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel centre's place in its own raster, 0..1: s from the left, t from the bottom (top row first)."""
    return np.meshgrid((np.arange(width) + 0.5) / width, 1 - (np.arange(height) + 0.5) / height)


def cell_uv(cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """A warp grid's samples in the fill layout: the centres of a cols × rows division of the raster."""
    return pixel_uv(cols, rows)


def bend(s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth warp (what an alignment tool measures on a real screen): pixel (s, t) shows (u, v)."""
    return (0.02 + 0.96 * s + 0.015 * np.sin(np.pi * s) * np.sin(np.pi * t),
            0.03 + 0.94 * t + 0.02 * np.sin(np.pi * s) ** 2)


# ---------------------------------------------------------------------------------------------
# Files as the formats have them


def pfm(grid: np.ndarray, big_endian: bool = False) -> bytes:
    """A colour Portable FloatMap: 'PF', width, height, scale (negative: little-endian), rows bottom to top."""
    height, width, _ = grid.shape
    order = ">" if big_endian else "<"
    body = b"".join(struct.pack(f"{order}{width * 3}f", *grid[row].ravel()) for row in reversed(range(height)))
    return f"PF\n{width} {height}\n{1.0 if big_endian else -1.0}\n".encode() + body


def png(values: np.ndarray, bits: int) -> bytes:
    full = (1 << bits) - 1
    out = io.BytesIO()
    Image.fromarray(np.rint(np.clip(values, 0, 1) * full).astype(np.uint16 if bits == 16 else np.uint8)).save(out, "PNG")
    return out.getvalue()


def region(rid: str, width: int, height: int, frustum: dict | None) -> str:
    inner = ""
    if frustum is not None:
        inner = "<frustum>" + "".join(f"<{k}>{frustum.get(k, 0)}</{k}>" for k in
                                      ("yaw", "pitch", "roll", "rightAngle", "leftAngle", "upAngle", "downAngle")) + "</frustum>"
    inner += '<color><decode type="gamma" gamma="2.2"></decode><encode type="gamma" gamma="2.2"></encode></color>'
    return (f'<region id="{rid}" x="0" y="0" xSize="1" ySize="1" xResolution="{width}" yResolution="{height}">'
            f"{inner}</region>")


def fileset(rid: str, warp: str | None, alpha: str | None = None, bits: int = 16, gamma: float = 1.0) -> str:
    body = ""
    if warp:
        body += (f"<geometryWarpFile><geometricUnit>m</geometricUnit><originOf3DData>idealEyePoint</originOf3DData>"
                 f"<path>{warp}</path><interpolation>linear</interpolation></geometryWarpFile>")
    if alpha:
        body += (f"<alphaMap><bitDepth>{bits}</bitDepth><componentDepth>1</componentDepth>"
                 f"<gammaEmbedded>{gamma}</gammaEmbedded><path>{alpha}</path></alphaMap>")
    return f'<fileset region="{rid}">{body}</fileset>'


def archive(path: Path, profile: str, level: int, regions: list[str], filesets: list[str], files: dict[str, bytes],
            extension: str = "") -> Path:
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<MPCDI profile="{profile}" geometry="{level}" color="1" '
           f'date="2024-05-01 10:00:00" version="2.0"><display><buffer id="wall">{"".join(regions)}</buffer></display>'
           f'<files>{"".join(filesets)}</files>{extension}</MPCDI>\n')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mpcdi.xml", xml)
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def imported_room(tmp_path: Path, path: Path, **options):
    result = import_mpcdi(path, tmp_path / f"{path.stem}.yaml", **options)
    return load_room(result.room_file)


def worst_error(projector, want: np.ndarray) -> float:
    """The largest angle (degrees) between each lit pixel's direction in the imported room and `want`."""
    yaw, pitch = (np.radians(a) for a in pixel_directions(projector))
    got = np.stack([np.cos(pitch) * np.sin(yaw), np.sin(pitch), np.cos(pitch) * np.cos(yaw)], axis=-1)
    lit = np.isfinite(want).all(axis=-1)
    assert np.isfinite(got[lit]).all(), f"{projector.name}: pixels the file sets are dark"
    cross = np.linalg.norm(np.cross(got[lit], want[lit]), axis=-1)
    return float(np.degrees(np.arctan2(cross, np.sum(got[lit] * want[lit], axis=-1))).max())


# ---------------------------------------------------------------------------------------------
# Files from the standard, imported


def test_level_1_3d_with_a_coarse_grid(tmp_path):
    """A 24×15 grid (a sample every 20 pixels) for 480×300 regions, in the fill layout: the grid's
    first sample is the centre of its first cell, not the first pixel's centre (which would put
    the edges half a cell, about 2°, out)."""
    width, height, cols, rows = 480, 300, 24, 15
    frusta = [{**f, **WIDE, "pitch": 5} for f in ROUND]
    gs, gt = cell_uv(cols, rows)
    grid = np.dstack([*bend(gs, gt), np.zeros_like(gs)]).astype(np.float32)
    files = {f"r{k}.pfm": pfm(grid) for k in range(4)}
    path = archive(tmp_path / "coarse.mpcdi", "3d", 1, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   [fileset(f"r{k}", f"r{k}.pfm") for k in range(4)], files)
    room = imported_room(tmp_path, path)
    s, t = pixel_uv(width, height)
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, *bend(s, t))) < TOLERANCE_DEG


@pytest.mark.parametrize("big_endian", [False, True], ids=["little-endian", "big-endian"])
def test_per_pixel_3d(tmp_path, big_endian):
    width, height = 320, 200
    frusta = [{**f, **WIDE} for f in ROUND]
    s, t = pixel_uv(width, height)
    grid = np.dstack([*bend(s, t), np.zeros_like(s)]).astype(np.float32)
    files = {"warp.pfm": pfm(grid, big_endian)}
    path = archive(tmp_path / "pixels.mpcdi", "3d", 2, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   [fileset(f"r{k}", "warp.pfm") for k in range(4)], files)
    room = imported_room(tmp_path, path)
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, *bend(s, t))) < TOLERANCE_DEG
    # The picture's top is up: the top row of pixels looks higher than the bottom row.
    _, pitch = pixel_directions(room.projectors[0])
    assert pitch[0].mean() > pitch[-1].mean() + 30


def test_2d_with_a_mirror(tmp_path):
    """Two regions in the shared canvas, each 200° of it; the first rear-projected (mirrored: its
    pixels run right to left through the canvas), on a coarse 40×12 grid."""
    width, height = 400, 240
    files, filesets, wants = {}, [], []
    for k, (start, step, (cols, rows)) in enumerate(((0.5 + 10 / 360, -200 / 360, (40, 12)),
                                                     (0.5 - 10 / 360, 200 / 360, (width, height)))):

        def place(s, t, start=start, step=step):
            return (start + step * s) % 1.0, 0.3 + 0.4 * t  # pitch -36°..36°, v from the bottom

        gs, gt = cell_uv(cols, rows)
        files[f"c{k}.pfm"] = pfm(np.dstack([*place(gs, gt), np.zeros_like(gs)]).astype(np.float32))
        filesets.append(fileset(f"c{k}", f"c{k}.pfm"))
        wants.append(canvas_rays(*place(*pixel_uv(width, height))))
    path = archive(tmp_path / "canvas.mpcdi", "2d", 1, [region(f"c{k}", width, height, None) for k in range(2)],
                   filesets, files)
    room = imported_room(tmp_path, path)
    for p, want in zip(room.projectors, wants):
        assert worst_error(p, want) < TOLERANCE_DEG
    yaw, pitch = pixel_directions(room.projectors[0])
    assert np.all(np.diff(np.unwrap(np.radians(yaw[100]))) < 0)  # the mirror: yaw falls left to right
    assert pitch[0, 0] > 30 > -30 > pitch[-1, 0]


def test_alpha_maps_16_bit_and_smaller_than_the_region(tmp_path):
    """Region 0: a 16-bit alpha a quarter of its size, gamma embedded 2.2; region 1: an 8-bit one of its size."""
    width, height = 320, 200
    frusta = [{**f, **WIDE} for f in ROUND]
    ramp = lambda s, t: 0.2 + 0.6 * s + 0.1 * t  # noqa: E731  linear light
    small = pixel_uv(width // 4, height // 4)
    files = {"a0.png": png(ramp(*small) ** (1 / 2.2), 16), "a1.png": png(ramp(*pixel_uv(width, height)), 8)}
    filesets = [fileset("r0", None, "a0.png", 16, 2.2), fileset("r1", None, "a1.png", 8, 1.0),
                fileset("r2", None), fileset("r3", None)]
    path = archive(tmp_path / "alpha.mpcdi", "3d", 1, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   filesets, files)
    room = imported_room(tmp_path, path)
    s, t = pixel_uv(width, height)
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, s, t)) < TOLERANCE_DEG
    first, second = room.projectors[:2]
    # Resampled as a texture is: the outermost half texel of the small map holds its edge value.
    assert first.alpha_map.shape == (height, width) and np.abs(first.alpha_map - ramp(s, t)).max() < 5e-3
    assert np.abs(second.alpha_map - ramp(s, t)).max() < 3e-3
    assert first.gamma == 2.2


def test_a_nan_error_channel_and_unknown_points(tmp_path):
    """B is NaN everywhere (errors not computed); a corner of region 0 is unknown: NaN with error 1.0."""
    width, height = 320, 200
    frusta = [{**f, **WIDE} for f in ROUND]
    s, t = pixel_uv(width, height)
    grid = np.dstack([*bend(s, t), np.full_like(s, np.nan)]).astype(np.float32)
    unknown = grid.copy()
    unknown[:40, :60] = (np.nan, np.nan, 1.0)
    files = {"warp.pfm": pfm(grid), "unknown.pfm": pfm(unknown)}
    filesets = [fileset("r0", "unknown.pfm")] + [fileset(f"r{k}", "warp.pfm") for k in (1, 2, 3)]
    path = archive(tmp_path / "errors.mpcdi", "3d", 2, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   filesets, files)
    room = imported_room(tmp_path, path)
    for k, (f, p) in enumerate(zip(frusta, room.projectors)):
        want = frustum_rays(f, *bend(s, t))
        if k == 0:
            want[:40, :60] = np.nan
        assert worst_error(p, want) < TOLERANCE_DEG
    yaw, _ = pixel_directions(room.projectors[0])
    assert np.isnan(yaw[:40, :60]).all() and np.isfinite(yaw[40:]).all()


def test_pitch_and_roll_in_the_frustum(tmp_path):
    """Frusta pitched and rolled, warps that show them as they are; export keeps the orientation."""
    width, height = 320, 200
    turns = [(20, 8), (-10, -5), (15, 0), (0, 12)]
    frusta = [{**f, **WIDE, "pitch": pitch, "roll": roll} for f, (pitch, roll) in zip(ROUND, turns)]
    s, t = pixel_uv(width, height)
    files = {"warp.pfm": pfm(np.dstack([s, t, np.zeros_like(s)]).astype(np.float32))}
    path = archive(tmp_path / "turned.mpcdi", "3d", 2, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   [fileset(f"r{k}", "warp.pfm") for k in range(4)], files)
    room = imported_room(tmp_path, path)
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, s, t)) < TOLERANCE_DEG
    _, pitch = pixel_directions(room.projectors[0])
    assert pitch[height // 2, -1] < pitch[height // 2, 0] - 5  # rolled clockwise: the right side is lower
    # Exported again, each region's frustum is turned as the file had it (not level, with the turn in the warp).
    exported = export_mpcdi(room, tmp_path / "again.mpcdi", "3d")
    with zipfile.ZipFile(exported.path) as zf:
        root = ET.fromstring(zf.read("mpcdi.xml"))
    written = [{e.tag: float(e.text) for e in r.find("frustum")} for r in root.iter("region")]
    for f, w in zip(frusta, written):
        assert abs((w["yaw"] - f["yaw"] + 180) % 360 - 180) < 0.01
        for key in ("pitch", "roll", "leftAngle", "rightAngle", "upAngle", "downAngle"):
            assert w[key] == pytest.approx(f[key], abs=0.01), key
    assert all(r.find("color") is not None for r in root.iter("region"))
    assert root.get("geometry") == "2"  # one warp point a pixel: level 2 in the standard's Table 3-2


def test_a_partial_room(tmp_path):
    """A front wall: three frusta covering yaw -95°..95° only."""
    width, height = 320, 200
    frusta = [dict(yaw=yaw, leftAngle=-35, rightAngle=35, upAngle=20, downAngle=-15) for yaw in (-60, 0, 60)]
    s, t = pixel_uv(width, height)
    files = {"warp.pfm": pfm(np.dstack([*bend(s, t), np.zeros_like(s)]).astype(np.float32))}
    path = archive(tmp_path / "front.mpcdi", "3d", 2, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   [fileset(f"r{k}", "warp.pfm") for k in range(3)], files)
    room = imported_room(tmp_path, path)
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, *bend(s, t))) < TOLERANCE_DEG


# ---------------------------------------------------------------------------------------------
# Files written the other way


def flipped_file(tmp_path: Path, extension: str = "") -> tuple[Path, list[dict]]:
    """Per-pixel 3d warps with v = 0 at the top of the picture (not the standard's way)."""
    width, height = 160, 100
    frusta = [{**f, **WIDE, "pitch": 10} for f in ROUND]
    s, t = pixel_uv(width, height)
    files = {"warp.pfm": pfm(np.dstack([s, 1 - t, np.zeros_like(s)]).astype(np.float32))}
    path = archive(tmp_path / "flipped.mpcdi", "3d", 2, [region(f"r{k}", width, height, f) for k, f in enumerate(frusta)],
                   [fileset(f"r{k}", "warp.pfm") for k in range(4)], files, extension)
    return path, frusta


def test_v_origin_top_reads_files_written_the_other_way(tmp_path):
    path, frusta = flipped_file(tmp_path)
    s, t = pixel_uv(160, 100)
    upside_down = imported_room(tmp_path, path)  # read as the standard has it: the picture upside down
    assert worst_error(upside_down.projectors[0], frustum_rays(frusta[0], s, t)) > 20
    room = imported_room(tmp_path, path, v_origin="top")
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, s, t)) < TOLERANCE_DEG


def test_an_older_bridge_export_is_recognised(tmp_path, capsys):
    """Bridge's exporter put v = 0 at the top until it wrote <vOrigin>: its files say who wrote them."""
    from bridge.cli import main

    old = ('<extensionSet><extension Name="BridgeRoom" hasExternalFiles="false"><GeneratedBy>Bridge</GeneratedBy>'
           '<room>{}</room></extension></extensionSet>')
    path, frusta = flipped_file(tmp_path, old)
    s, t = pixel_uv(160, 100)
    assert main(["room", "import", str(path), "--out", str(tmp_path / "old.yaml")]) == 0
    assert "an older Bridge wrote this file, with v = 0 at the top" in capsys.readouterr().out
    room = load_room(tmp_path / "old.yaml")
    for f, p in zip(frusta, room.projectors):
        assert worst_error(p, frustum_rays(f, s, t)) < TOLERANCE_DEG
    assert main(["room", "import", str(path), "--out", str(tmp_path / "as-told.yaml"), "--v-origin", "bottom"]) == 0
    assert worst_error(load_room(tmp_path / "as-told.yaml").projectors[0], frustum_rays(frusta[0], s, t)) > 20
