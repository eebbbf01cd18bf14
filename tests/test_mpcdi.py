"""MPCDI calibrations in and out, and the per-pixel maps a room profile may carry.

Round trips of the shipped rooms (export → import → the same projector images), archives
written here by hand with known warps (mirrors, shifts, a rolled frustum, 3D points in a
surveyor's frame) checked pixel by pixel, alpha and beta maps applied, and every kind of bad
file refused with its archive, member and element named and nothing written.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.limits import MAX_MPCDI_MEMBERS, MAX_PROJECTOR_SIDE, MAX_PROJECTORS
from bridge.room.compositor import Compositor
from bridge.room.load import load_room
from bridge.room.lookup import pixel_directions
from bridge.room.mpcdi import files as mpcdi_files
from bridge.room.mpcdi import mapfiles
from bridge.room.mpcdi.exporter import export_mpcdi
from bridge.room.mpcdi.importer import import_mpcdi
from tests.test_compositor import smooth_test_frame

W, H = 1024, 512  # frames for comparing projector images


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------------------------
# Writing archives by hand (independently of bridge.room.mpcdi's writers)


def pfm_bytes(grid: np.ndarray, big_endian: bool = False) -> bytes:
    """A colour PFM of (h, w, 3) values, top row first in `grid`; stored bottom row first as PFM says."""
    h, w, _ = grid.shape
    order = ">" if big_endian else "<"
    rows = b"".join(struct.pack(f"{order}{w * 3}f", *grid[r].reshape(-1)) for r in range(h - 1, -1, -1))
    return f"PF\n{w} {h}\n{'1.0' if big_endian else '-1.0'}\n".encode() + rows


def png_bytes(values: np.ndarray, bits: int = 16) -> bytes:
    out = io.BytesIO()
    full = 65535 if bits == 16 else 255
    Image.fromarray(np.rint(values * full).astype(np.uint16 if bits == 16 else np.uint8)).save(out, format="PNG")
    return out.getvalue()


def region_xml(rid: str, w: int, h: int, frustum: dict | None = None, extra: str = "") -> str:
    body = ""
    if frustum:
        body = "<frustum>" + "".join(f"<{k}>{v}</{k}>" for k, v in frustum.items()) + "</frustum>"
    return f'<region id="{rid}" xResolution="{w}" yResolution="{h}" x="0" y="0" xsize="1" ysize="1">{body}{extra}</region>'


def fileset_xml(rid: str, warp: str | None = None, alpha: str | None = None, gamma: float = 1.0, beta: str | None = None,
                origin: str = "idealEyePoint") -> str:
    body = ""
    if warp:
        body += (f"<geometryWarpFile><path>{warp}</path><geometricUnit>m</geometricUnit>"
                 f"<interpolation>linear</interpolation><originOf3DData>{origin}</originOf3DData></geometryWarpFile>")
    if alpha:
        body += (f"<alphaMap><path>{alpha}</path><componentDepth>1</componentDepth><bitDepth>16</bitDepth>"
                 f"<gammaEmbedded>{gamma}</gammaEmbedded></alphaMap>")
    if beta:
        body += f"<betaMap><path>{beta}</path><componentDepth>1</componentDepth><bitDepth>16</bitDepth></betaMap>"
    return f'<fileset region="{rid}">{body}</fileset>'


def mpcdi_xml(profile: str, regions: list[str], filesets: list[str], head: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{head}<MPCDI profile="{profile}" geometry="1" color="1" version="2.0">\n'
            f'<display>\n<buffer id="b" xResolution="100" yResolution="100">\n' + "\n".join(regions) +
            "\n</buffer>\n</display>\n<files>\n" + "\n".join(filesets) + "\n</files>\n</MPCDI>\n")


def write_archive(path: Path, xml: str | None, files: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if xml is not None:
            zf.writestr("mpcdi.xml", xml)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def sample(comp: Compositor, frame: np.ndarray, k: int) -> np.ndarray:
    return comp.sample(frame, comp.lookups[k])


def coordinate_frame(w: int, h: int) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.dstack([xs, ys, np.zeros_like(xs)])


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ---------------------------------------------------------------------------------------------
# Round trips of the shipped rooms


@pytest.mark.slow
@pytest.mark.parametrize("room_name,profile", [("bridge", "3d"), ("pentagon", "3d"), ("rehearsal", "3d"),
                                               ("rehearsal", "2d"), ("pentagon", "a3"), ("front-wall", "3d"),
                                               ("video-wall", "3d"), ("video-wall", "a3")])
def test_round_trip_gives_the_same_projector_images(tmp_path, room_name, profile):
    room = load_room(room_name)
    exported = export_mpcdi(room, tmp_path / "room.mpcdi", profile)
    imported = import_mpcdi(exported.path, tmp_path / "again.yaml")
    assert imported.profile == profile and imported.projectors == len(room.projectors)
    # The maps agree with the room stored in the file, so the profile is written as yaw, span
    # and black level again: no map files, and the cylinder keeps its fast path.
    assert imported.map_counts == {"warp": 0, "alpha": 0, "beta": 0} and imported.maps_folder is None
    again = load_room(imported.room_file)
    assert [(p.name, p.width, p.height) for p in again.projectors] == [(p.name, p.width, p.height) for p in room.projectors]
    for p, q in zip(again.projectors, room.projectors):
        assert (p.yaw_min, p.yaw_max, p.top, p.bottom) == pytest.approx((q.yaw_min, q.yaw_max, q.top, q.bottom), abs=1e-9)
    frame = smooth_test_frame(W, H)
    for a, b in zip(Compositor(room, W, H).split(frame), Compositor(again, W, H).split(frame)):
        assert np.array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("room_name,profile", [("pentagon", "3d"), ("rehearsal", "2d"), ("rehearsal", "a3")])
def test_round_trip_through_the_maps_alone(tmp_path, room_name, profile):
    """--keep-maps ignores the room stored in the file: the images come from the warp and alpha maps."""
    room = load_room(room_name)
    exported = export_mpcdi(room, tmp_path / "room.mpcdi", profile)
    imported = import_mpcdi(exported.path, tmp_path / "maps.yaml", keep_maps=True)
    n = len(room.projectors)
    assert imported.map_counts == {"warp": n, "alpha": n, "beta": 0}
    assert sorted(listing(imported.maps_folder)) == sorted(
        [f"projector-{k}-warp.npy" for k in range(1, n + 1)] + [f"projector-{k}-alpha.png" for k in range(1, n + 1)])
    again = load_room(imported.room_file)
    assert all(p.warp_map is not None and p.alpha_map is not None for p in again.projectors)
    frame = smooth_test_frame(W, H)
    original, maps = Compositor(room, W, H), Compositor(again, W, H)
    for a, b in zip(original.lookups, maps.lookups):
        assert np.abs((a.map_x - b.map_x + W / 2) % W - W / 2).max() < 2e-3
        assert np.abs(a.map_y - b.map_y).max() < 2e-3
        assert np.abs(np.broadcast_to(a.weight, b.weight.shape) - b.weight).max() < 5e-5
        a.bands = None  # the same remap on both sides: what is left is the maps' precision
        diff = np.abs(original.project(frame, a).astype(int) - maps.project(frame, b).astype(int))
        assert diff.max() <= 1, f"{a.projector.name}: {diff.max()} levels"


def test_round_trip_with_black_level_and_gain(tmp_path):
    text = ("name: lifted\nscreen: {shape: cylinder, radius_m: 2, height_m: 1.6, eye_height_m: 0.9}\nblend: {exponent: 3}\n"
            "projectors:\n"
            "  - {name: a, yaw: 0, span_deg: 130, resolution: [320, 200], black_level: 0.02, gamma: 2.4}\n"
            "  - {name: b, yaw: 120, span_deg: 130, resolution: [320, 200], gain: 0.8, black_level: 0.02}\n"
            "  - {name: c, yaw: -120, span_deg: 130, resolution: [320, 200], black_level: 0.02,\n"
            "     warp: {rows: 2, cols: 2, offsets: [[0, 0], [3, 1], [0, -2], [1, 1]]}}\n")
    (tmp_path / "lifted.yaml").write_text(text)
    room = load_room(tmp_path / "lifted.yaml")
    exported = export_mpcdi(room, tmp_path / "lifted.mpcdi")
    with zipfile.ZipFile(exported.path) as zf:
        assert {"region1_beta.png", "region2_beta.png", "region3_beta.png"} <= set(zf.namelist())
    imported = import_mpcdi(exported.path, tmp_path / "again.yaml")
    assert imported.map_counts == {"warp": 0, "alpha": 0, "beta": 0}
    again = load_room(imported.room_file)
    assert [(p.gamma, p.gain, p.black_level) for p in again.projectors] == [(2.4, 1.0, 0.02), (2.2, 0.8, 0.02), (2.2, 1.0, 0.02)]
    assert again.blend.exponent == 3 and again.projectors[2].warp is not None
    frame = smooth_test_frame(W, H)
    for a, b in zip(Compositor(room, W, H).split(frame), Compositor(again, W, H).split(frame)):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_an_adjusted_warp_wins_over_the_stored_room(tmp_path):
    """An alignment tool moved region 2's picture 8 pixels: that projector becomes a warp map."""
    room = load_room("rehearsal")
    exported = export_mpcdi(room, tmp_path / "room.mpcdi", "2d")
    with zipfile.ZipFile(exported.path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    grid = mapfiles.read_pfm(files["region2_warp.pfm"], mpcdi_files._Where(Path("x")))
    shift = 8 * (135 / 1280) / 360  # 8 projector pixels of yaw, as a fraction of the canvas
    grid = grid.copy()
    grid[..., 0] = (grid[..., 0] + shift) % 1.0
    files["region2_warp.pfm"] = pfm_bytes(grid)
    write_archive(tmp_path / "adjusted.mpcdi", None, files)
    imported = import_mpcdi(tmp_path / "adjusted.mpcdi", tmp_path / "adjusted.yaml")
    assert imported.map_counts["warp"] == 1 and any("region 'right'" in n for n in imported.notes)
    again = load_room(imported.room_file)
    assert [p.warp_map is not None for p in again.projectors] == [False, True, False]
    before, after = Compositor(room, W, H).lookups[1], Compositor(again, W, H).lookups[1]
    step = 135 / 1280 / 360 * W  # source columns per projector column
    moved = (after.map_x - before.map_x + W / 2) % W - W / 2
    assert np.allclose(moved, 8 * step, atol=2e-3)


# ---------------------------------------------------------------------------------------------
# Archives with known warps, checked pixel by pixel


def two_region_2d(tmp_path: Path, name: str = "known.mpcdi", with_maps: bool = False) -> tuple[Path, np.ndarray, np.ndarray]:
    """Region 'a' mirrored (yaw falls from 10° to -190° across it), region 'b' straight (-10° to 190°)."""
    w, h = 40, 20
    cols, rows = (np.arange(w) + 0.5) / w, (np.arange(h) + 0.5) / h
    yaw_a = 10 - cols * 200
    yaw_b = -10 + cols * 200
    pitch = 30 - rows * 60
    files = {}
    for rid, yaw in (("a", yaw_a), ("b", yaw_b)):
        u = ((np.tile(yaw, (h, 1)) + 180) / 360) % 1.0
        v = np.tile(((pitch + 90) / 180)[:, None], (1, w))  # v = 0 at the bottom (pitch -90°), as OpenGL's UV
        files[f"{rid}.pfm"] = pfm_bytes(np.dstack([u, v, np.zeros_like(u)]).astype(np.float32), big_endian=rid == "b")
    filesets = [fileset_xml("a", "a.pfm", "a-alpha.png" if with_maps else None, 2.0, "a-beta.png" if with_maps else None),
                fileset_xml("b", "b.pfm")]
    if with_maps:
        files["a-alpha.png"] = png_bytes(np.full((h, w), 0.8))
        files["a-beta.png"] = png_bytes(np.where(np.arange(w)[None, :] < w // 2, 0.0, 0.1) * np.ones((h, 1)))
    xml = mpcdi_xml("2d", [region_xml("a", w, h), region_xml("b", w, h)], filesets)
    return write_archive(tmp_path / name, xml, files), yaw_a, pitch


def test_a_mirrored_2d_warp_pixel_by_pixel(tmp_path):
    path, yaw_a, pitch = two_region_2d(tmp_path)
    imported = import_mpcdi(path, tmp_path / "known.yaml")
    assert imported.map_counts == {"warp": 2, "alpha": 0, "beta": 0}
    assert "name: known.mpcdi (imported)" in imported.room_file.read_text()
    room = load_room(imported.room_file)
    a = room.projectors[0]
    assert (a.width, a.height) == (40, 20)
    assert a.yaw_min == pytest.approx(-190) and a.yaw_max == pytest.approx(10)
    yaw, pit = pixel_directions(a)
    assert np.abs(((yaw - yaw_a[None, :]) + 180) % 360 - 180).max() < 1e-4
    assert np.abs(pit - pitch[:, None]).max() < 1e-4
    # Through the compositor: a frame holding its own column and row decodes to the mirror.
    fw, fh = 720, 360  # half a degree a column
    comp = Compositor(room, fw, fh, use_cache=False)
    out = sample(comp, coordinate_frame(fw, fh), 0)
    want_x = ((yaw_a + 180) % 360) / 360 * fw - 0.5
    want_y = (90 - pitch) / 180 * fh - 0.5
    dx = (out[..., 0] - want_x[None, :] + fw / 2) % fw - fw / 2
    inside = np.abs(want_x[None, :] - np.clip(want_x[None, :], 0, fw - 1)) == 0  # away from the column that wraps
    assert np.abs(dx[np.broadcast_to(inside, dx.shape)]).max() < 0.05
    assert np.abs(out[..., 1] - want_y[:, None]).max() < 0.05
    assert np.all(np.diff(out[5, 2:-2, 0]) < 0) or np.all(np.diff(out[5, 6:-6, 0]) < 0)  # columns run backwards


def test_a_rolled_3d_frustum_pixel_by_pixel(tmp_path):
    """Four 100°×60° frusta round the room; the first pitched up 10° and rolled 5°, the second with a
    mirrored warp.  Directions are checked against rotation matrices written here."""
    w, h = 50, 30
    frusta = [dict(yaw=0, pitch=10, roll=5), dict(yaw=90, pitch=0, roll=0), dict(yaw=180, pitch=0, roll=0),
              dict(yaw=-90, pitch=0, roll=0)]
    angles = dict(leftAngle=-50, rightAngle=50, upAngle=30, downAngle=-30)
    u, v = np.meshgrid((np.arange(w) + 0.5) / w, (np.arange(h) + 0.5) / h)  # v from the top, as `expected` takes it
    files = {"r1.pfm": pfm_bytes(np.dstack([1 - u, 1 - v, np.zeros_like(u)]).astype(np.float32))}  # the file's from the bottom
    regions = [region_xml(f"r{k}", w, h, {**f, **angles}) for k, f in enumerate(frusta)]
    xml = mpcdi_xml("3d", regions, [fileset_xml("r1", "r1.pfm")])
    imported = import_mpcdi(write_archive(tmp_path / "frusta.mpcdi", xml, files), tmp_path / "frusta.yaml")
    assert imported.map_counts == {"warp": 4, "alpha": 0, "beta": 0}
    room = load_room(imported.room_file)

    def expected(f, uu, vv):
        t50, t30 = math.tan(math.radians(50)), math.tan(math.radians(30))
        ray = np.stack([-t50 + uu * 2 * t50, t30 - vv * 2 * t30, np.ones_like(uu)], axis=-1)  # right, up, forward
        ya, pi, ro = (math.radians(f[k]) for k in ("yaw", "pitch", "roll"))
        # Body axes in the world (x east, y north, z up): roll about forward (right side down), pitch up, yaw right.
        roll = np.array([[math.cos(ro), math.sin(ro), 0], [-math.sin(ro), math.cos(ro), 0], [0, 0, 1]])
        pitch = np.array([[1, 0, 0], [0, math.cos(pi), math.sin(pi)], [0, -math.sin(pi), math.cos(pi)]])
        yaw = np.array([[math.cos(ya), 0, math.sin(ya)], [0, 1, 0], [-math.sin(ya), 0, math.cos(ya)]])
        r, up, fwd = np.moveaxis(ray @ (yaw @ pitch @ roll).T, -1, 0)
        return np.degrees(np.arctan2(r, fwd)), np.degrees(np.arctan2(up, np.hypot(r, fwd)))

    for k, (f, p) in enumerate(zip(frusta, room.projectors)):
        want_yaw, want_pitch = expected(f, 1 - u if k == 1 else u, v)
        yaw, pitch = pixel_directions(p)
        assert np.abs((yaw - want_yaw + 180) % 360 - 180).max() < 1e-4, p.name
        assert np.abs(pitch - want_pitch).max() < 1e-4, p.name
    # The unrolled frustum's centre looks straight along its yaw; the mirrored one runs right to left.
    yaw, pitch = pixel_directions(room.projectors[2])
    assert (yaw[14:16, 24:26] % 360).mean() == pytest.approx(180, abs=1e-6) and abs(pitch[14:16, 24:26].mean()) < 1e-6
    yaw, _ = pixel_directions(room.projectors[1])
    assert yaw[15, 0] > 90 + 45 and yaw[15, -1] < 90 - 45
    # The rolled one: its right edge sits lower than its left (right side down).
    _, pitch = pixel_directions(room.projectors[0])
    assert pitch[15, -1] < pitch[15, 0] - 5


def test_a3_points_in_a_surveyors_frame(tmp_path):
    """Points on a 2 m cylinder written with z up and y ahead (as Christie's Mystique writes):
    the region's coordinateFrame says so, and the directions follow."""
    w, h = 60, 24
    regions, filesets, files = [], [], {}
    frame = ("<coordinateFrame><posx>0</posx><posy>0</posy><posz>0</posz><yawx>0</yawx><yawy>0</yawy><yawz>-1</yawz>"
             "<pitchx>1</pitchx><pitchy>0</pitchy><pitchz>0</pitchz><rollx>0</rollx><rolly>1</rolly><rollz>0</rollz>"
             "</coordinateFrame>")
    wants = []
    for k, centre in enumerate((0, 120, -120)):
        yaw = centre - 70 + (np.arange(w) + 0.5) / w * 140
        height = 1.0 - (np.arange(h) + 0.5) / h * 1.6  # metres above the eye
        yy, hh = np.meshgrid(np.radians(yaw), height)
        points = np.dstack([2 * np.sin(yy), 2 * np.cos(yy), hh]).astype(np.float32)  # x right, y ahead, z up
        files[f"p{k}.pfm"] = pfm_bytes(points)
        regions.append(region_xml(f"p{k}", w, h, extra=frame))
        filesets.append(fileset_xml(f"p{k}", f"p{k}.pfm"))
        wants.append((np.degrees(yy), np.degrees(np.arctan2(hh, 2))))
    imported = import_mpcdi(write_archive(tmp_path / "a3.mpcdi", mpcdi_xml("a3", regions, filesets), files),
                            tmp_path / "a3.yaml")
    room = load_room(imported.room_file)
    for p, (want_yaw, want_pitch) in zip(room.projectors, wants):
        yaw, pitch = pixel_directions(p)
        assert np.abs((yaw - want_yaw + 180) % 360 - 180).max() < 1e-4
        assert np.abs(pitch - want_pitch).max() < 1e-4
    assert room.projectors[1].yaw_centre == pytest.approx(120, abs=1e-4)


def test_a_coarse_warp_grid_is_spread_over_the_pixels(tmp_path):
    """5×3 grids for 40×20 projectors in the standard's fill layout: sample i sits at the centre of
    cell i, (i + 0.5)/5 of the width; a grid of a straight line gives that line at every pixel,
    the outermost half cells included, across the ±180° seam too."""
    w, h, n, m = 40, 20, 5, 3
    files, wants = {}, []
    for rid, start in (("a", -190.0), ("b", -10.0)):  # 200° each, 20° overlaps
        cells = (np.arange(n) + 0.5) / n
        gu = np.tile(((start + cells * 200 + 180) / 360) % 1.0, (m, 1))
        gv = np.tile((((30 - (np.arange(m) + 0.5) / m * 60) + 90) / 180)[:, None], (1, n))  # top row first, v from the bottom
        files[f"{rid}.pfm"] = pfm_bytes(np.dstack([gu, gv, np.zeros_like(gu)]).astype(np.float32))
        wants.append(start + (np.arange(w) + 0.5) / w * 200)
    xml = mpcdi_xml("2d", [region_xml("a", w, h), region_xml("b", w, h)], [fileset_xml("a", "a.pfm"), fileset_xml("b", "b.pfm")])
    imported = import_mpcdi(write_archive(tmp_path / "coarse.mpcdi", xml, files), tmp_path / "coarse.yaml")
    room = load_room(imported.room_file)
    for p, want_yaw in zip(room.projectors, wants):
        yaw, pitch = pixel_directions(p)
        assert np.abs((yaw - want_yaw[None, :] + 180) % 360 - 180).max() < 1e-3
        assert np.abs(pitch - (30 - (np.arange(h) + 0.5) / h * 60)[:, None]).max() < 1e-3
    assert room.projectors[0].yaw_min == pytest.approx(-190, abs=1e-3)


def test_alpha_and_beta_maps_from_the_file_are_applied(tmp_path):
    """Region a: alpha 0.8 stored with gammaEmbedded 2 (linear 0.64), beta 0.1 on its right half."""
    path, _, _ = two_region_2d(tmp_path, with_maps=True)
    imported = import_mpcdi(path, tmp_path / "maps.yaml")
    assert imported.map_counts == {"warp": 2, "alpha": 1, "beta": 1}
    room = load_room(imported.room_file)
    a = room.projectors[0]
    assert a.gamma == 2.0  # from gammaEmbedded
    alpha, beta = 0.64, np.where(np.arange(40) < 20, 0.0, 0.1)
    weight = beta + alpha * (1 - beta)  # MPCDI's in·α(1−β) + β as Bridge's w·(b + (1−b)·in)
    assert np.allclose(a.alpha_map, weight[None, :], atol=2e-5)
    assert np.allclose(a.beta_map, (beta / weight)[None, :], atol=2e-5)
    comp = Compositor(room, 720, 360, use_cache=False)
    black, white = np.zeros((360, 720, 3), np.uint8), np.full((360, 720, 3), 255, np.uint8)
    dark, bright = comp.split(black)[0], comp.split(white)[0]
    assert dark[:, :20].max() == 0
    assert np.all(dark[:, 20:] == round(0.1 ** 0.5 * 255))  # the lift in light is β = 0.1: encoded (0.1)^(1/2)
    assert np.all(bright[:, :20] == round(alpha ** 0.5 * 255))
    assert np.all(np.abs(bright[:, 20:].astype(int) - round((0.1 + alpha * 0.9) ** 0.5 * 255)) <= 1)
    # A grey frame: the light is β + α(1−β)·in^γ, pixel by pixel.
    grey = np.full((360, 720, 3), 128, np.uint8)
    mid = comp.split(grey)[0].astype(float)
    light = beta + alpha * (1 - beta) * (128 / 255) ** 2.0
    assert np.abs(mid[10] - np.rint(light ** 0.5 * 255)[:, None]).max() <= 1


def test_a_3d_region_without_a_warp_shows_its_frustum_as_is(tmp_path):
    w, h = 64, 32
    regions = [region_xml(f"r{k}", w, h, dict(yaw=yaw, pitch=0, roll=0, leftAngle=-50, rightAngle=50, upAngle=20,
                                                downAngle=-20)) for k, yaw in enumerate((0, 90, 180, 270))]
    imported = import_mpcdi(write_archive(tmp_path / "plain.mpcdi", mpcdi_xml("3d", regions, [])), tmp_path / "plain.yaml")
    p = load_room(imported.room_file).projectors[1]
    yaw, pitch = pixel_directions(p)
    u = -math.tan(math.radians(50)) + (np.arange(w) + 0.5) / w * 2 * math.tan(math.radians(50))
    assert np.abs(yaw[h // 2] - (90 + np.degrees(np.arctan(u)))).max() < 1e-4  # a pinhole view, left to right


# ---------------------------------------------------------------------------------------------
# Per-pixel maps in a room profile


ROOM = """name: mapped
screen: {shape: cylinder, radius_m: 3, height_m: 2.4, eye_height_m: 1.2}
projectors:
  - {name: one, yaw: 0, span_deg: 200, resolution: [64, 40]MAPS}
  - {name: two, yaw: 180, span_deg: 200, resolution: [64, 40]}
"""


def mapped_room(tmp_path: Path, maps: str, extra: str = "") -> Path:
    path = tmp_path / "mapped.yaml"
    path.write_text(ROOM.replace("MAPS", f", maps: {{{maps}}}{extra}" if maps else extra))
    return path


def test_a_warp_map_replaces_the_geometry(tmp_path):
    plain = load_room(mapped_room(tmp_path, ""))
    yaw, pitch = pixel_directions(plain.projectors[0])
    (tmp_path / "maps").mkdir()
    np.save(tmp_path / "maps" / "one.npy", np.dstack([yaw[:, ::-1], pitch]).astype(np.float32))  # mirrored
    room = load_room(mapped_room(tmp_path, "warp: maps/one.npy"))
    assert room.digest != plain.digest
    a, b = Compositor(plain, 512, 256, use_cache=False), Compositor(room, 512, 256, use_cache=False)
    assert b.lookups[0].bands is None
    assert np.allclose(b.lookups[0].map_x, a.lookups[0].map_x[:, ::-1], atol=1e-3)
    assert np.array_equal(b.lookups[1].map_x, a.lookups[1].map_x)  # the other projector is untouched
    frame = smooth_test_frame(512, 256)
    straight = cv2.remap(frame, a.lookups[0].map_x, a.lookups[0].map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    assert np.abs(b.sample(frame, b.lookups[0]).astype(int) - straight[:, ::-1].astype(int)).max() <= 1


def test_dark_pixels_of_a_warp_map_stay_black(tmp_path):
    plain = load_room(mapped_room(tmp_path, ""))
    yaw, pitch = pixel_directions(plain.projectors[0])
    warp = np.dstack([yaw, pitch]).astype(np.float32)
    warp[:10] = np.nan
    np.save(tmp_path / "one.npy", warp)
    room = load_room(mapped_room(tmp_path, "warp: one.npy"))
    image = Compositor(room, 512, 256, use_cache=False).split(np.full((256, 512, 3), 255, np.uint8))[0]
    assert image[:10].max() == 0 and image[10:, 20:44].min() == 255


def test_alpha_and_beta_maps_replace_blend_and_black_level(tmp_path):
    alpha = np.tile(np.linspace(0, 1, 64), (40, 1))
    beta = np.zeros((40, 64))
    beta[20:] = 0.05
    (tmp_path / "a.png").write_bytes(png_bytes(alpha))
    (tmp_path / "b.png").write_bytes(png_bytes(beta, bits=8))
    room = load_room(mapped_room(tmp_path, "alpha: a.png, beta: b.png", ", gamma: 2.0"))
    p = room.projectors[0]
    assert np.allclose(p.alpha_map, alpha, atol=1e-5) and np.allclose(p.beta_map, np.rint(beta * 255) / 255, atol=1e-6)
    comp = Compositor(room, 512, 256, use_cache=False)
    assert np.allclose(comp.lookups[0].weight, p.alpha_map)
    for level in (0, 100, 255):
        out = comp.split(np.full((256, 512, 3), level, np.uint8))[0][..., 0].astype(float)
        b = p.beta_map
        light = p.alpha_map * (b + (1 - b) * (level / 255) ** 2.0)
        assert np.abs(out - np.rint(np.sqrt(light) * 255)).max() <= 1, level


def test_the_shader_takes_the_maps_too(tmp_path):
    pytest.importorskip("pyvista")
    from bridge.room.gpu import GpuProjector

    plain = load_room(mapped_room(tmp_path, ""))
    yaw, pitch = pixel_directions(plain.projectors[0])
    np.save(tmp_path / "w.npy", np.dstack([yaw[:, ::-1], pitch]).astype(np.float32))
    (tmp_path / "a.png").write_bytes(png_bytes(np.tile(np.linspace(0.2, 1, 64), (40, 1))))
    (tmp_path / "b.png").write_bytes(png_bytes(np.tile(np.linspace(0, 0.2, 40)[:, None], (1, 64))))
    room = load_room(mapped_room(tmp_path, "warp: w.npy, alpha: a.png, beta: b.png"))
    frame = smooth_test_frame(512, 256)
    comp = Compositor(room, 512, 256, use_cache=False)
    cpu = comp.project(frame, comp.lookups[0])
    gpu = GpuProjector(comp.lookups[0], frame)
    try:
        shown = gpu.render()
    finally:
        gpu.close()
    diff = np.abs(shown.astype(float) - cpu.astype(float))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.5) <= 4
    assert cpu[-1].mean() > comp.sample(frame, comp.lookups[0])[-1].mean() * 0.2 + 30  # the beta lift shows at the bottom


@pytest.mark.parametrize("maps,setup,expected", [
    ("alpha: small.png", lambda d: (d / "small.png").write_bytes(png_bytes(np.ones((20, 32)))),
     ":4: projectors[0].maps.alpha: 'small.png': is 32×20; one is 64×40 (its resolution) and a alpha map must match it"),
    ("warp: w.npy", lambda d: np.save(d / "w.npy", np.zeros((40, 64, 3), np.float32)),
     ":4: projectors[0].maps.warp: 'w.npy': has shape (40, 64, 3); one is 64×40, so its warp map must have shape (40, 64, 2)"),
    ("warp: w.npy", lambda d: np.save(d / "w.npy", np.array([object()] * 4), allow_pickle=True),
     ":4: projectors[0].maps.warp: 'w.npy': holds object values"),
    ("warp: w.npy", lambda d: (d / "w.npy").write_bytes(b"not numpy at all"),
     ":4: projectors[0].maps.warp: 'w.npy': is not a NumPy .npy file"),
    ("warp: w.npy", lambda d: np.save(d / "w.npy", np.full((40, 64, 2), 400, np.float32)),
     ":4: projectors[0].maps.warp: 'w.npy': pixel (0, 0) holds yaw 400, pitch 400; yaw must be within ±360°"),
    ("warp: w.npy", lambda d: np.save(d / "w.npy", np.dstack([np.full((40, 64), np.nan), np.zeros((40, 64))]).astype(np.float32)),
     ":4: projectors[0].maps.warp: 'w.npy': pixel (0, 0) holds yaw nan, pitch 0.0; each pixel holds two finite numbers"),
    ("beta: b.png", lambda d: (d / "b.png").write_bytes(png_bytes(np.full((40, 64), 0.6))),
     ":4: projectors[0].maps.beta: 'b.png': pixel (0, 0) lifts black to 0.600"),
    ("alpha: rgb.png", lambda d: Image.new("RGB", (64, 40)).save(d / "rgb.png"),
     ":4: projectors[0].maps.alpha: 'rgb.png': is a RGB image; a alpha map is a grey PNG"),
    ("alpha: ../outside.png", lambda d: (d.parent / "outside.png").write_bytes(png_bytes(np.ones((40, 64)))),
     ":4: projectors[0].maps.alpha: '../outside.png' is outside the profile's folder"),
    ("alpha: /etc/passwd", lambda d: None, ":4: projectors[0].maps.alpha: '/etc/passwd' is an absolute path"),
    ("alpha: missing.png", lambda d: None, ":4: projectors[0].maps.alpha: 'missing.png' not found"),
    ("alpha: sub", lambda d: (d / "sub").mkdir(), ":4: projectors[0].maps.alpha: 'sub' is a folder"),
    ("", lambda d: None, ":4: projectors[0].maps: names no map"),
])
def test_bad_maps_are_refused_with_file_and_key(tmp_path, maps, setup, expected):
    folder = tmp_path / "room"
    folder.mkdir()
    setup(folder)
    path = folder / "mapped.yaml"
    path.write_text(ROOM.replace("MAPS", f", maps: {{{maps}}}"))
    with pytest.raises(BridgeError) as info:
        load_room(path)
    found = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"{path}{expected.format(d=folder)}") for p in found), found


def test_a_warp_grid_and_a_warp_map_together_are_refused(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((40, 64, 2), np.float32))
    path = mapped_room(tmp_path, "warp: w.npy", ", warp: {rows: 2, cols: 2, offsets: [[0, 0], [0, 0], [0, 0], [0, 0]]}")
    with pytest.raises(BridgeError, match=r":4: projectors\[0\]\.warp: a fine-warp grid and a warp map"):
        load_room(path)


def test_maps_count_in_the_memory_a_room_holds(tmp_path):
    from bridge.room.model import render_bytes

    np.save(tmp_path / "w.npy", np.zeros((40, 64, 2), np.float32))
    plain, mapped = load_room(mapped_room(tmp_path, "")), load_room(mapped_room(tmp_path, "warp: w.npy"))
    assert render_bytes(mapped, 256, 128)[2] - render_bytes(plain, 256, 128)[2] == 64 * 40 * (8 + 96 - 40)


# ---------------------------------------------------------------------------------------------
# What export writes, read as another tool would


def test_export_writes_standard_mpcdi(tmp_path):
    room = load_room("rehearsal")
    path = export_mpcdi(room, tmp_path / "rehearsal.mpcdi").path
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        xml = zf.read("mpcdi.xml").decode()
        warp = zf.read("region1_warp.pfm")
        alpha = Image.open(io.BytesIO(zf.read("region1_alpha.png")))
        alpha.load()
    assert names == {"mpcdi.xml"} | {f"region{k}_{kind}" for k in (1, 2, 3) for kind in ("warp.pfm", "alpha.png")}
    assert '<MPCDI profile="3d" geometry="2" color="1"' in xml and 'version="2.0"' in xml  # a per-pixel warp: level 2
    assert '<region id="front" xResolution="1280" yResolution="800" x="0.0" y="0.0" xsize="0.3333333333333333"' in xml
    assert xml.count("<frustum>") == 3 and "<gammaEmbedded>2.2</gammaEmbedded>" in xml
    assert xml.count("<color>") == 3 and '<decode type="gamma" gamma="2.2">' in xml  # one per region, as the standard asks
    # The PFM as the format has it: a little-endian header, rows stored from the bottom up.
    header = b"PF\n1280 800\n-1.0\n"
    assert warp.startswith(header) and len(warp) == len(header) + 1280 * 800 * 12
    first_row = np.frombuffer(warp, "<f4", count=1280 * 3, offset=len(header)).reshape(1280, 3)
    last_row = np.frombuffer(warp, "<f4", count=1280 * 3, offset=len(warp) - 1280 * 12).reshape(1280, 3)
    assert first_row[:, 1].max() < 0.5 < last_row[:, 1].min()  # the bottom row comes first, and v = 0 is the bottom
    assert first_row[:, 1].min() < 0.01 and last_row[:, 1].max() > 0.99
    assert np.all(np.diff(first_row[:, 0]) > 0) and first_row[0, 0] > 0 and first_row[-1, 0] < 1
    # The blend ramp, gamma embedded: 0 at the edges, 1 in the middle.
    a = np.asarray(alpha).astype(float) / 65535
    assert alpha.mode == "I;16" and a[400, 640] == 1.0 and a[400, 0] < 0.05 and a[400, -1] < 0.05


def test_export_refuses_what_mpcdi_cannot_say(tmp_path):
    (tmp_path / "bright.yaml").write_text(ROOM.replace("MAPS", ", gain: 1.5"))
    with pytest.raises(BridgeError, match=r"projectors\[0\]\.gain: one has gain 1.5; an MPCDI alpha map can only dim"):
        export_mpcdi(load_room(tmp_path / "bright.yaml"), tmp_path / "x.mpcdi")
    wide = load_room(mapped_room(tmp_path, ""))  # 200° projectors: no pinhole frustum holds them
    with pytest.raises(BridgeError, match=r"a 3d frustum \(one pinhole view\) must stay within 89.5°.*--profile 2d or a3"):
        export_mpcdi(wide, tmp_path / "x.mpcdi", "3d")
    assert not (tmp_path / "x.mpcdi").exists()
    export_mpcdi(wide, tmp_path / "x.mpcdi", "2d")  # the canvas holds any span
    with pytest.raises(BridgeError, match="--profile: 'sl' is not one Bridge writes"):
        export_mpcdi(wide, tmp_path / "y.mpcdi", "sl")


# ---------------------------------------------------------------------------------------------
# Bad archives: refused with archive, member and element named, nothing written


def good_files() -> dict[str, bytes]:
    return {"mpcdi.xml": mpcdi_xml("2d", [region_xml("a", 8, 4), region_xml("b", 8, 4)],
                                   [fileset_xml("a", "a.pfm"), fileset_xml("b", "b.pfm")]).encode(),
            "a.pfm": pfm_bytes(np.zeros((4, 8, 3), np.float32) + 0.25),
            "b.pfm": pfm_bytes(np.zeros((4, 8, 3), np.float32) + 0.75)}


def refused(tmp_path: Path, files: dict[str, bytes] | None = None, raw: bytes | None = None) -> str:
    """Import a bad archive: the problem's text, after checking nothing was written."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    archive = tmp_path / "bad.mpcdi"
    if raw is not None:
        archive.write_bytes(raw)
    else:
        with zipfile.ZipFile(archive, "w") as zf:
            for name, data in files.items():
                zf.writestr(zipfile.ZipInfo(name), data)
    before = listing(tmp_path)
    with pytest.raises(BridgeError) as info:
        import_mpcdi(archive, out / "room.yaml")
    assert listing(tmp_path) == before, "something was written"
    text = "\n".join(map(str, info.value.problems))
    assert text.startswith(str(archive)), text
    return text


def replace_xml(old: str, new: str) -> dict[str, bytes]:
    files = good_files()
    xml = files["mpcdi.xml"].decode()
    assert old in xml
    files["mpcdi.xml"] = xml.replace(old, new, 1).encode()
    return files


@pytest.mark.parametrize("name", ["../evil.txt", "maps/../../evil.txt", "/tmp/evil.txt", "..\\evil.txt", "C:/evil.txt"])
def test_an_archive_that_could_climb_out_is_refused_whole(tmp_path, name):
    files = good_files()
    files[name] = b"owned"
    text = refused(tmp_path, files)
    assert "holds a file named" in text and "refused whole and nothing is written" in text
    assert not (tmp_path.parent / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_a_path_in_the_xml_that_climbs_out_is_refused(tmp_path):
    text = refused(tmp_path, replace_xml("<path>a.pfm</path>", "<path>../../a.pfm</path>"))
    assert "mpcdi.xml:10: fileset of region 'a' geometryWarpFile path: names '../../a.pfm', which climbs out" in text


@pytest.mark.parametrize("head,fragment", [
    ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n',
     "mpcdi.xml:2: declares a DOCTYPE; an MPCDI file needs none"),
    ('<!DOCTYPE m SYSTEM "file:///etc/passwd">\n', "mpcdi.xml:2: declares a DOCTYPE"),
])
def test_xml_entities_are_refused(tmp_path, head, fragment):
    files = good_files()
    files["mpcdi.xml"] = files["mpcdi.xml"].replace(b"<MPCDI", head.encode() + b"<MPCDI", 1)
    assert fragment in refused(tmp_path, files)


@pytest.mark.parametrize("old,new,fragment", [
    ("</display>", "</displayy>", "mpcdi.xml:8: is not well-formed XML: mismatched tag"),
    ('profile="2d"', 'profile="sl"', "mpcdi.xml:2: MPCDI: profile 'sl' (shader lamp) holds projector poses"),
    ('profile="2d"', 'profile="4d"', "mpcdi.xml:2: MPCDI: profile '4d' is not one Bridge reads"),
    ('<region id="a" xResolution="8" yResolution="4" x="0" y="0" xsize="1" ysize="1"></region>\n'
     '<region id="b" xResolution="8" yResolution="4" x="0" y="0" xsize="1" ysize="1"></region>', "",
     "mpcdi.xml:3: display: has no <region> in display/buffer"),
    ('<region id="a"', '<region', "mpcdi.xml:5: region: has no id attribute"),
    ('xResolution="8" yResolution="4" x="0" y="0" xsize="1" ysize="1"></region>\n<region id="b"',
     'xResolution="8" yResolution="4" x="0" y="0" xsize="1" ysize="1"></region>\n<region id="a"',
     "mpcdi.xml:6: region: region 'a' is given twice"),
    ('id="a" xResolution="8"', f'id="a" xResolution="{MAX_PROJECTOR_SIDE + 1}"',
     f"mpcdi.xml:5: region 'a' xResolution: {MAX_PROJECTOR_SIDE + 1} is out of range; expected 1 to {MAX_PROJECTOR_SIDE} (MAX_PROJECTOR_SIDE)"),
    ('id="a" xResolution="8"', 'id="a" xResolution="eight"', "mpcdi.xml:5: region 'a' xResolution: 'eight' is not a whole number"),
    ('<fileset region="b">', '<fileset region="c">', "mpcdi.xml:11: fileset: is for region 'c', which the display does not have"),
    ('<fileset region="b"><geometryWarpFile><path>b.pfm</path>', '<fileset region="b"><geometryWarpFile><path></path>',
     "mpcdi.xml:11: fileset of region 'b' geometryWarpFile: has no <path>; the 2d profile needs each region's warp"),
    ('<path>b.pfm</path>', '<path>missing.pfm</path>', "mpcdi.xml:11: fileset of region 'b' geometryWarpFile path: names 'missing.pfm', which the archive does not hold"),
])
def test_malformed_xml_is_refused_where_it_is(tmp_path, old, new, fragment):
    assert fragment in refused(tmp_path, replace_xml(old, new))


def test_a_3d_region_needs_its_whole_frustum(tmp_path):
    files = good_files()
    xml = mpcdi_xml("3d", [region_xml("a", 8, 4, dict(yaw=0, pitch=0, roll=0, leftAngle=-40, rightAngle=40, upAngle=20)),
                           region_xml("b", 8, 4)], [])
    files["mpcdi.xml"] = xml.encode()
    assert "mpcdi.xml:5: region 'a' frustum: has no <downAngle>" in refused(tmp_path, files)
    files["mpcdi.xml"] = xml.replace("<upAngle>20</upAngle>", "<upAngle>20</upAngle><downAngle>30</downAngle>").encode()
    assert "region 'a' frustum: downAngle 30° and upAngle 20° do not make a view" in refused(tmp_path, files)
    files["mpcdi.xml"] = xml.replace("<frustum>", "<frustrum>").replace("</frustum>", "</frustrum>").encode()
    assert "mpcdi.xml:5: region 'a': has no <frustum>; in the 3d profile" in refused(tmp_path, files)


@pytest.mark.parametrize("change,fragment", [
    (lambda f: f.update({"a.pfm": f["a.pfm"][:-12]}), "a.pfm: fileset of region 'a' geometryWarpFile: holds 372 bytes of values; a 8×4 PFM of 3 channels holds 384"),
    (lambda f: f.update({"a.pfm": f"PF\n{MAX_PROJECTOR_SIDE + 1} 4\n-1.0\n".encode()}),
     f"a.pfm: fileset of region 'a' geometryWarpFile: is {MAX_PROJECTOR_SIDE + 1}×4; a warp grid may be at most {MAX_PROJECTOR_SIDE} a side"),
    (lambda f: f.update({"a.pfm": b"P6\n8 4\n255\n" + bytes(96)}), "a.pfm: fileset of region 'a' geometryWarpFile: is not a PFM file"),
    (lambda f: f.update({"a.pfm": pfm_bytes(np.zeros((5, 8, 3), np.float32) + 0.3)}),
     "a.pfm: fileset of region 'a' geometryWarpFile: is a 8×5 grid; region 'a' is 8×4, and its warp grid must be at least 2×2 and no larger"),
    (lambda f: f.update({"a.pfm": b"Pf\n8 4\n-1.0\n" + bytes(128)}), "a.pfm: fileset of region 'a' geometryWarpFile: is a grey PFM (Pf)"),
    (lambda f: f.update({"a.pfm": pfm_bytes(np.full((4, 8, 3), np.nan, np.float32))}), "a.pfm: fileset of region 'a' geometryWarpFile: sets no point"),
])
def test_bad_pfm_files_are_refused(tmp_path, change, fragment):
    files = good_files()
    change(files)
    assert fragment in refused(tmp_path, files)


def test_oversized_and_colour_maps_are_refused(tmp_path):
    files = replace_xml('<fileset region="a"><geometryWarpFile><path>a.pfm</path><geometricUnit>m</geometricUnit>'
                        '<interpolation>linear</interpolation><originOf3DData>idealEyePoint</originOf3DData></geometryWarpFile>',
                        '<fileset region="a"><geometryWarpFile><path>a.pfm</path></geometryWarpFile>'
                        '<alphaMap><path>a.png</path><gammaEmbedded>2.2</gammaEmbedded></alphaMap>')
    files["a.png"] = png_bytes(np.ones((MAX_PROJECTOR_SIDE + 1, 1)))
    assert (f"a.png: fileset of region 'a' alphaMap: is 1×{MAX_PROJECTOR_SIDE + 1}; a blend map may be at most "
            f"{MAX_PROJECTOR_SIDE} a side") in refused(tmp_path, files)
    colour = np.zeros((4, 8, 3), np.uint8)
    colour[..., 0] = 200
    out = io.BytesIO()
    Image.fromarray(colour).save(out, format="PNG")
    files["a.png"] = out.getvalue()
    assert "a.png: fileset of region 'a' alphaMap: differs between red, green and blue" in refused(tmp_path, files)
    files["a.png"] = b"\x89PNG\r\n\x1a\n" + bytes(40)
    assert "a.png: fileset of region 'a' alphaMap: cannot be read as a PNG" in refused(tmp_path, files)


def test_bounded_archives(tmp_path, monkeypatch):
    files = good_files()
    files.update({f"extra-{k}.txt": b"" for k in range(MAX_MPCDI_MEMBERS)})
    assert f"holds {MAX_MPCDI_MEMBERS + 3} files; an MPCDI archive may hold at most {MAX_MPCDI_MEMBERS}" in refused(tmp_path, files)
    monkeypatch.setattr(mpcdi_files, "MAX_MPCDI_BYTES", 1000)
    text = refused(tmp_path, good_files())
    assert "its files would inflate to" in text and "(MAX_MPCDI_BYTES)" in text
    monkeypatch.setattr(mpcdi_files, "MAX_MPCDI_XML_BYTES", 100)
    monkeypatch.setattr(mpcdi_files, "MAX_MPCDI_BYTES", 10**9)
    text = refused(tmp_path, good_files())
    assert "mpcdi.xml: is" in text and "an mpcdi.xml may be at most 100 (MAX_MPCDI_XML_BYTES)" in text


def test_too_many_regions_and_too_large_a_room(tmp_path):
    files = good_files()
    files["mpcdi.xml"] = mpcdi_xml("2d", [region_xml(f"r{k}", 8, 4) for k in range(MAX_PROJECTORS + 1)], []).encode()
    assert f"has more than {MAX_PROJECTORS} regions; a room may have at most {MAX_PROJECTORS} projectors" in refused(tmp_path, files)
    files["mpcdi.xml"] = mpcdi_xml("2d", [region_xml(f"r{k}", 8192, 8192) for k in range(8)],
                                   [fileset_xml(f"r{k}", "a.pfm") for k in range(8)]).encode()
    assert "a render may hold at most 3.0 GB" in refused(tmp_path, files)


def test_not_an_mpcdi_file(tmp_path):
    assert "is neither an MPCDI archive" in refused(tmp_path, raw=b"Subject: minutes\n\nhello")
    assert "holds no mpcdi.xml" in refused(tmp_path, {"readme.txt": b"hi"})
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mpcdi.xml", good_files()["mpcdi.xml"] * 20)
    data = bytearray(broken.getvalue())
    data[60:90] = bytes(30)  # inside the deflated stream
    assert "mpcdi.xml: is damaged in the archive" in refused(tmp_path, raw=bytes(data))


def test_a3_with_its_origin_elsewhere_is_refused(tmp_path):
    files = good_files()
    files["mpcdi.xml"] = mpcdi_xml("a3", [region_xml("a", 8, 4), region_xml("b", 8, 4)],
                                   [fileset_xml("a", "a.pfm", origin="centerOfMass"), fileset_xml("b", "b.pfm")]).encode()
    assert "originOf3DData is centerOfMass: the 3D points are not measured from the viewer's eye" in refused(tmp_path, files)


def test_an_existing_maps_file_in_the_way_is_refused(tmp_path):
    path, _, _ = two_region_2d(tmp_path)
    (tmp_path / "known.maps").write_text("mine")
    with pytest.raises(BridgeError, match="known.maps exists and is not a folder"):
        import_mpcdi(path, tmp_path / "known.yaml")
    assert (tmp_path / "known.maps").read_text() == "mine" and not (tmp_path / "known.yaml").exists()


def test_importing_again_replaces_only_its_own_files(tmp_path):
    path, _, _ = two_region_2d(tmp_path)
    first = import_mpcdi(path, tmp_path / "known.yaml")
    (first.maps_folder / "notes.txt").write_text("keep me")
    second = import_mpcdi(path, tmp_path / "known.yaml")
    assert (second.maps_folder / "notes.txt").read_text() == "keep me"
    assert sorted(listing(second.maps_folder)) == ["notes.txt", "projector-1-warp.npy", "projector-2-warp.npy"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".known.import-")]


def test_a_bare_mpcdi_xml_with_empty_paths(tmp_path):
    """What Mystique writes: only the XML (`.mpcdi.xml`), filesets with empty paths; the 3d frusta alone place the picture."""
    regions = [region_xml(f"p{k}", 32, 16, dict(yaw=yaw, pitch=0, roll=0, leftAngle=-50, rightAngle=50, upAngle=20,
                                                 downAngle=-20)) for k, yaw in enumerate((0, 90, 180, -90))]
    filesets = ['<fileset region="p0"><geometryWarpFile><path></path></geometryWarpFile>'
                '<alphaMap><path></path><gammaEmbedded>1.0</gammaEmbedded></alphaMap></fileset>']
    path = tmp_path / "hall.mpcdi.xml"
    path.write_text(mpcdi_xml("3d", regions, filesets))
    imported = import_mpcdi(path, tmp_path / "hall.yaml")
    room = load_room(imported.room_file)
    assert [p.name for p in room.projectors] == ["p0", "p1", "p2", "p3"]
    assert [round(p.yaw_centre, 6) for p in room.projectors] == [0, 90, -180, -90]
    assert all(p.alpha_map is None for p in room.projectors)  # no blend maps: Bridge's ramps
    filesets = ['<fileset region="p0"><geometryWarpFile><path>p0.pfm</path></geometryWarpFile></fileset>']
    path.write_text(mpcdi_xml("3d", regions, filesets))
    with pytest.raises(BridgeError, match=r"hall\.mpcdi\.xml: hall\.mpcdi\.xml:12: fileset of region 'p0' geometryWarpFile "
                                          r"path: names 'p0\.pfm', but this is a bare XML file"):
        import_mpcdi(path, tmp_path / "hall2.yaml")


def test_the_room_command_says_what_to_do(tmp_path, capsys):
    from bridge.cli import main

    assert main(["room"]) == 2
    assert "bridge room import FILE.mpcdi --out ROOM.yaml" in capsys.readouterr().err
    assert main(["room", "export", "rehearsal", "--out", str(tmp_path / "r.mpcdi"), "--profile", "a3"]) == 0
    assert "exported Rehearsal (three small projectors) (3 projectors, profile a3)" in capsys.readouterr().out
    assert main(["room", "import", str(tmp_path / "r.mpcdi"), "--out", str(tmp_path / "r.txt")]) == 2
    assert "--out: " in capsys.readouterr().err and not (tmp_path / "r.txt").exists()
