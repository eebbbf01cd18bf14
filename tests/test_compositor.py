"""The compositor: geometry against the analytic screen formulas, blending, wrap-around, cache."""

import math

import cv2
import numpy as np
import pytest

from bridge.errors import BridgeError
from bridge.room.compositor import Compositor
from bridge.room.load import load_room
from bridge.room.lookup import blend_weights, bourke_ramp

W, H = 2048, 1024


def coordinate_frame():
    """A float frame whose pixels hold their own column and row: decoding tells where a sample came from."""
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    return np.dstack([xs, ys, np.zeros_like(xs)])


def analytic_direction(room, p, j, i):
    """Yaw/pitch of projector pixel centre (j, i), written from the screen formulas (not the library)."""
    screen = room.screen
    d = screen.radius_m if screen.shape == "cylinder" else screen.distance_m
    top, bottom = (screen.height_m - screen.eye_height_m) / d, -screen.eye_height_m / d
    h = top - (i + 0.5) / p.height * (top - bottom)
    if screen.shape == "cylinder":
        yaw = p.yaw_min + (j + 0.5) / p.width * (p.yaw_max - p.yaw_min)
        return yaw, np.degrees(np.arctan(h))
    half = math.tan(math.radians((p.yaw_max - p.yaw_min) / 2))
    u = (2 * (j + 0.5) / p.width - 1) * half
    centre = (p.yaw_min + p.yaw_max) / 2
    return centre + np.degrees(np.arctan(u)), np.degrees(np.arctan2(h, np.sqrt(1 + u * u)))


@pytest.mark.slow
@pytest.mark.parametrize("room_name", ["bridge", "pentagon"])
def test_every_pixel_decodes_to_the_analytic_direction(room_name, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room = load_room(room_name)
    comp = Compositor(room, W, H)
    frame = coordinate_frame()
    for p, lut in zip(room.projectors, comp.lookups):
        out = comp.sample(frame, lut)
        j, i = np.meshgrid(np.arange(p.width), np.arange(p.height))
        yaw, pitch = analytic_direction(room, p, j, i)
        want_x = ((yaw + 180) % 360) / 360 * W - 0.5
        want_y = (90 - pitch) / 180 * H - 0.5
        dx = (out[..., 0] - want_x + W / 2) % W - W / 2
        seam = (lut.map_x > W - 1)  # samples that blend the last and first column: the decode is not a ramp there
        assert np.abs(dx[~seam]).max() < 0.5, f"{p.name}: column off by {np.abs(dx[~seam]).max():.3f} px"
        assert np.abs(out[..., 1] - want_y).max() < 0.5, f"{p.name}: row off"


def test_flat_wall_matches_py360convert(tmp_path, monkeypatch):
    py360convert = pytest.importorskip("py360convert")
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room_file = tmp_path / "flat.yaml"
    # Eye at mid-height: a symmetric view, the only kind e2p makes.
    room_file.write_text(
        "name: flat\nscreen: {shape: flat, distance_m: 2.5, height_m: 2.4, eye_height_m: 1.2}\nprojectors:\n"
        + "".join(f"  - {{yaw: {y}, span_deg: 84, resolution: [960, 600]}}\n" for y in (0, 72, 144, -144, -72)))
    room = load_room(room_file)
    frame = smooth_test_frame(W, H)
    comp = Compositor(room, W, H)
    vfov = 2 * math.degrees(math.atan(1.2 / 2.5))
    for p, lut in zip(room.projectors, comp.lookups):
        ours = comp.sample(frame, lut).astype(float)
        theirs = py360convert.e2p(frame, fov_deg=(84, vfov), u_deg=p.yaw_centre, v_deg=0,
                                  out_hw=(p.height, p.width), mode="bilinear").astype(float)
        mse = np.mean((ours - theirs) ** 2)
        psnr = 10 * math.log10(255**2 / mse)
        assert psnr >= 40, f"{p.name}: PSNR {psnr:.1f} dB"


def smooth_test_frame(w, h):
    """A photo-like equirectangular test image: smooth colour fields plus soft stripes."""
    yaw, pitch = np.meshgrid(np.linspace(-np.pi, np.pi, w, endpoint=False), np.linspace(np.pi / 2, -np.pi / 2, h))
    r = 128 + 100 * np.sin(3 * yaw) * np.cos(pitch)
    g = 128 + 100 * np.cos(5 * pitch + yaw)
    b = 128 + 90 * np.sin(8 * yaw + 4 * pitch)
    return np.clip(np.dstack([r, g, b]), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("room_name", ["bridge", "pentagon", "rehearsal"])
def test_white_field_sums_to_uniform_light(room_name, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room = load_room(room_name)
    comp = Compositor(room, W, H)
    white = np.full((H, W, 3), 255, np.uint8)
    images = comp.split(white)
    test_yaws = np.linspace(-180, 180, 3601)[:-1]
    light = np.zeros_like(test_yaws)
    for p, img in zip(room.projectors, images):
        row = img.shape[0] // 2
        linear = (img[row, :, 1].astype(float) / 255) ** p.gamma
        cols = np.arange(p.width) + 0.5
        yaw_of_col, _ = p.directions(cols, np.full_like(cols, row + 0.5))
        inside = (test_yaws - p.yaw_min) % 360
        covered = inside <= p.span
        # Light this projector puts at each test yaw, interpolated between its columns.
        light[covered] += np.interp(p.yaw_min + inside[covered], yaw_of_col, linear, left=0, right=0)
    edge = np.abs(light - 1)
    assert edge.max() < 0.01, f"light on the wall ranges {light.min():.4f}..{light.max():.4f}"


def test_weights_sum_to_one_and_ramp_is_smooth():
    room = load_room()
    yaws = np.linspace(-180, 180, 7201)
    total = sum(blend_weights(room, p, yaws) for p in room.projectors)
    assert np.allclose(total, 1, atol=1e-6)
    x = np.linspace(0, 1, 101)
    f = bourke_ramp(x, 2.0)
    assert f[0] == 0 and f[-1] == 1 and np.allclose(f + f[::-1], 1)
    assert np.all(np.diff(f) >= 0)


def test_feature_across_the_seam_is_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room = load_room()
    frame = np.zeros((H, W, 3), np.uint8)
    y0 = H // 2
    frame[y0 - 20:y0 + 20, :24] = (255, 0, 0)  # yaw -180 .. -175.8
    frame[y0 - 20:y0 + 20, -24:] = (255, 0, 0)  # yaw 175.8 .. 180
    comp = Compositor(room, W, H)
    back = next(i for i, p in enumerate(room.projectors) if p.yaw_min < 180 < p.yaw_max)
    img = comp.sample(frame, comp.lookups[back])  # geometry only: the seam also lies in a blend zone
    red = (img[..., 0] > 128) & (img[..., 1] < 60)
    cols = np.flatnonzero(red.any(axis=0))
    p = room.projectors[back]
    px_per_deg = p.width / p.span
    assert len(cols) == pytest.approx(2 * 24 / W * 360 * px_per_deg, abs=3)
    assert np.all(np.diff(cols) == 1), "the feature is split"
    seam_col = (180 - p.yaw_min) * px_per_deg
    assert cols.mean() == pytest.approx(seam_col, abs=2)


def test_poles_do_not_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room_file = tmp_path / "tall.yaml"
    room_file.write_text("name: tall\nscreen: {shape: cylinder, radius_m: 0.01, height_m: 100, eye_height_m: 50}\nprojectors:\n"
                         "  - {yaw: 0, span_deg: 200, resolution: [64, 64]}\n  - {yaw: 180, span_deg: 200, resolution: [64, 64]}\n")
    images = Compositor(load_room(room_file), 256, 128).split(np.full((128, 256, 3), 200, np.uint8))
    assert all(img.shape == (64, 64, 3) for img in images)
    assert images[0][0, 32, 0] > 0 and images[0][-1, 32, 0] > 0


@pytest.mark.slow
def test_lookup_tables_are_cached_and_keyed_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    room = load_room()
    first = Compositor(room, 512, 256)
    second = Compositor(room, 512, 256)
    assert not first.from_cache and second.from_cache
    assert all(np.array_equal(a.map_x, b.map_x) and np.array_equal(a.weight, b.weight)
               for a, b in zip(first.lookups, second.lookups))
    assert Compositor(room, 1024, 512).cache_file != first.cache_file
    assert Compositor(load_room("pentagon"), 512, 256).cache_file != first.cache_file


def test_warp_moves_the_samples(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    base = ("name: w\nscreen: {shape: cylinder, radius_m: 3, height_m: 2.4, eye_height_m: 1.2}\nprojectors:\n"
            "  - {yaw: 0, span_deg: 190, resolution: [400, 200]%s}\n  - {yaw: 180, span_deg: 190, resolution: [400, 200]}\n")
    plain = tmp_path / "plain.yaml"
    plain.write_text(base % "")
    warped = tmp_path / "warped.yaml"
    warped.write_text(base % ", warp: {rows: 2, cols: 3, offsets: [[10, 0], [10, 0], [10, 0], [10, 0], [10, 0], [10, 0]]}")
    a = Compositor(load_room(plain), 1024, 512).lookups[0]
    b = Compositor(load_room(warped), 1024, 512).lookups[0]
    # Shifting every control point 10 projector pixels right samples 10 columns' yaw further on.
    step = 190 / 400 / 360 * 1024
    assert np.allclose(b.map_x[:, :300], a.map_x[:, 10:310], atol=1e-3)
    assert np.allclose(b.map_x[:, 0] - a.map_x[:, 0], 10 * step, atol=1e-3)


@pytest.mark.parametrize("projectors,fragment", [
    ("  - {yaw: 0, span_deg: 0, resolution: [64, 64]}\n  - {yaw: 180, span_deg: 190, resolution: [64, 64]}\n", "projectors[0].span_deg"),
    ("  - {yaw: 0, span_deg: 350, resolution: [64, 64]}\n  - {yaw: 90, span_deg: 40, resolution: [64, 64]}\n", "half a projector or more"),
    ("  - {yaw: 0, span_deg: 190, resolution: [-64, 64]}\n  - {yaw: 180, span_deg: 190, resolution: [64, 64]}\n", "projectors[0].resolution[0]"),
    ("  - {yaw: 0, span_deg: 190, resolution: [64, 64], warp: {rows: 2, cols: 2, offsets: [[0, 0], [1, 1], [2, 2]]}}\n"
     "  - {yaw: 180, span_deg: 190, resolution: [64, 64]}\n", "a 2×2 grid needs 4"),
])
def test_bad_profiles(tmp_path, projectors, fragment):
    path = tmp_path / "room.yaml"
    path.write_text("name: bad\nscreen: {shape: cylinder, radius_m: 3, height_m: 2.4, eye_height_m: 1.2}\nprojectors:\n" + projectors)
    with pytest.raises(BridgeError) as info:
        load_room(path)
    text = "\n".join(map(str, info.value.problems))
    assert fragment in text and str(path) in text, text


@pytest.mark.slow
def test_cylinder_rooms_take_the_separable_path(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    cylinder = Compositor(load_room("bridge"), W, H)
    assert all(lut.bands is not None for lut in cylinder.lookups)
    assert all(lut.bands is None for lut in Compositor(load_room("pentagon"), W, H).lookups)
    # The bands agree with a straight remap through the exact lookup (sharp edges and the
    # sample's own frames: tests/test_fast_paths.py).
    frame = smooth_test_frame(W, H)
    for lut in cylinder.lookups:
        banded = cylinder.sample(frame, lut).astype(float)
        exact = cv2.remap(frame, lut.map_x, lut.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP).astype(float)
        assert np.abs(banded - exact).max() <= 1


def test_lookup_cache_keeps_the_most_recent(tmp_path, monkeypatch):
    from bridge.room import compositor

    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    monkeypatch.setattr(compositor, "KEEP_TABLES", 2)
    room = load_room("rehearsal")
    for width in (256, 512, 1024):
        Compositor(room, width, width // 2)
    assert len(list((tmp_path / "lut").glob("*.npz"))) == 2
    assert Compositor(room, 1024, 512).from_cache and not Compositor(room, 256, 128).from_cache
