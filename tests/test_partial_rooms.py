"""Rooms that cover part of the circle (issue 24): the open side of a partial room, the `wall`
screen of a video wall, the shipped front-wall and video-wall profiles against the analytic
formulas, the covered area, validate's warnings and renders that skip what no projector shows."""

import math

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.room.compositor import Compositor
from bridge.room.load import load_room, shipped_rooms
from tests.conftest import MINIMAL, write_scene

W, H = 1024, 512

FRONT = """
name: Front
screen: {shape: cylinder, radius_m: 3, height_m: 2.4, eye_height_m: 1.2}
projectors:
  - {name: left,  yaw: -25, span_deg: 60, resolution: [400, 300]}
  - {name: right, yaw: 25,  span_deg: 60, resolution: [400, 300]}
"""

WALL = """
name: Wall
screen: {shape: wall, distance_m: 2, width_m: 4, height_m: 2, eye_height_m: 1.5}
projectors:
  - {area: {x: 0,   y: 0,   width: 0.5, height: 0.5}, resolution: [320, 180]}
  - {area: {x: 0.5, y: 0,   width: 0.5, height: 0.5}, resolution: [320, 180]}
  - {area: {x: 0,   y: 0.5, width: 0.5, height: 0.5}, resolution: [320, 180]}
  - {area: {x: 0.5, y: 0.5, width: 0.5, height: 0.5}, resolution: [320, 180]}
"""


def room_of(tmp_path, text, name="room.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path, load_room(path)


def problems_of(tmp_path, text):
    path = tmp_path / "room.yaml"
    path.write_text(text)
    with pytest.raises(BridgeError) as info:
        load_room(path)
    return path, [str(p) for p in info.value.problems]


# -- a room with an open side ---------------------------------------------------------------

def test_a_partial_room_loads_and_its_outer_ends_are_not_neighbours(tmp_path):
    _, room = room_of(tmp_path, FRONT)  # yaw -55..55: the back 250° is the open side
    left, right = room.projectors
    a, b, gap = room.open_side()
    assert (a, b) == (right, left) and gap == pytest.approx(250)
    assert room.neighbours() == [(left, right, pytest.approx(10))]
    assert room.neighbour_overlaps(left) == (0.0, pytest.approx(10))  # its outer edge is not blended
    assert room.covered_yaws() == [(pytest.approx(-55), pytest.approx(55))]
    assert room.lit_band(0) is not None and room.lit_band(-56) is None and room.lit_band(180) is None
    assert "yaw -55°..55°" in room.summary()


def test_a_single_projector_is_a_partial_room(tmp_path):
    _, room = room_of(tmp_path, FRONT.split("  - {name: right")[0])  # 'left' alone: yaw -55..5
    assert room.neighbours() == [] and room.neighbour_overlaps(room.projectors[0]) == (0.0, 0.0)
    assert room.covered_yaws() == [(pytest.approx(-55), pytest.approx(5))]


def test_the_outer_edges_of_a_partial_room_stay_at_full_brightness(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    _, room = room_of(tmp_path, FRONT)
    images = Compositor(room, 1024, 512).split(np.full((512, 1024, 3), 255, np.uint8))
    left, right = images
    assert left[150, :40].min() == 255 and right[150, -40:].min() == 255  # the room's two ends: unfaded
    assert left[150, -5:].max() < 128 and right[150, :5].max() < 128  # the seam between them: blended


def test_a_gap_inside_a_partial_room_is_still_refused(tmp_path):
    text = FRONT + "  - {name: far, yaw: 100, span_deg: 40, resolution: [400, 300]}\n"  # 80..120: 25° after 'right'
    path, found = problems_of(tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:7: projectors[2]: gap of 25.0° between right (ends at yaw 55) and far "
                               "(starts at 80); widen span_deg (the room's open side is the 185° from far to left")


def test_a_narrow_gap_in_a_ring_is_a_mistake_not_an_open_side(tmp_path):
    ring = "".join(f"  - {{yaw: {y}, span_deg: {s}, resolution: [100, 100]}}\n" for y, s in ((0, 130), (120, 130), (-120, 100)))
    path, found = problems_of(tmp_path, FRONT.split("projectors:")[0] + "projectors:\n" + ring)
    # The third projector leaves 5° either side: too narrow for an open side, so both gaps are refused.
    assert [f.split(": ", 2)[2][:14] for f in found] == ["gap of 5.0° be", "gap of 5.0° be"], found
    assert all("open side" not in f for f in found)


# -- the wall screen: validation ---------------------------------------------------------------

@pytest.mark.parametrize("old,new,expected", [
    ("{area: {x: 0,   y: 0,   width: 0.5, height: 0.5}, ", "{", ":5: projectors[0]: has no area; a wall screen places each projector by its area"),
    ("{area: {x: 0,   y: 0,   width: 0.5, height: 0.5}, ", "{yaw: 0, span_deg: 40, area: {x: 0, y: 0, width: 0.5, height: 0.5}, ",
     ":5: projectors[0].yaw: a wall screen places each projector by its area: {x, y, width, height} in fractions of the wall "
     "from its top-left: remove yaw"),
    ("x: 0.5, y: 0,   width: 0.5", "x: 0.75, y: 0,   width: 0.5",
     ":6: projectors[1].area.width: x 0.75 + width 0.5 runs past the wall's right edge"),
    ("x: 0,   y: 0.5, width: 0.5, height: 0.5", "x: 0,   y: 0.5, width: 0.5, height: 0.6",
     ":7: projectors[2].area.height: y 0.5 + height 0.6 runs past the wall's bottom edge"),
    ("x: 0.5, y: 0.5, width: 0.5", "x: 0.4, y: 0.5, width: 0.5",
     ":8: projectors[3].area: overlaps projector 3's area (x 0, y 0.5, 0.5×0.5); a wall's areas tile it side by side"),
    ("x: 0.5, y: 0.5, width: 0.5, height: 0.5", "x: 0.5, y: 0.6, width: 0.5, height: 0.4",
     ":4: projectors: the areas leave 5% of the wall between them dark"),
    ("x: 0.5, y: 0.5, width: 0.5, height: 0.5", "x: 0.5, y: 0.5, width: 1.5, height: 0.5",
     ":8: projectors[3].area.width: input should be less than or equal to 1"),
    ("width_m: 4, ", "", ":3: screen: a wall screen needs width_m, the wall's width"),
    ("shape: wall", "shape: cylinder, radius_m: 3",
     ":3: screen.width_m: a cylinder screen has no width_m: remove it (a cylinder has radius_m, flat walls distance_m, "
     "a wall distance_m and width_m)"),
])
def test_bad_walls_are_refused_with_the_key(tmp_path, old, new, expected):
    assert old in WALL
    path, found = problems_of(tmp_path, WALL.replace(old, new, 1))
    assert any(f.startswith(f"{path}{expected}") for f in found), found


def test_a_thin_gap_between_areas_is_a_bezel(tmp_path):
    bezel = WALL.replace("x: 0.5, y: 0,   width: 0.5", "x: 0.51, y: 0,   width: 0.49").replace(
        "x: 0.5, y: 0.5, width: 0.5", "x: 0.51, y: 0.5, width: 0.49")
    _, room = room_of(tmp_path, bezel)
    assert room.lit_band(math.degrees(math.atan(0.01))) is not None  # behind the bezel counts as lit


def test_a_cylinder_projector_needs_its_yaw(tmp_path):
    path, found = problems_of(tmp_path, FRONT.replace("yaw: -25, ", ""))
    assert f"{path}:5: projectors[0]: has no yaw; a cylinder screen places each projector by yaw (its centre) and span_deg" in found


# -- the shipped profiles against the analytic formulas ---------------------------------------

def analytic(room, p, j, i):
    """Yaw/pitch of projector pixel centre (j, i), from the screens' formulas (not the library)."""
    s = room.screen
    if s.shape == "cylinder":
        h = (s.height_m - s.eye_height_m) / s.radius_m - (i + 0.5) / p.height * s.height_m / s.radius_m
        return p.yaw_min + (j + 0.5) / p.width * (p.yaw_max - p.yaw_min), np.degrees(np.arctan(h))
    spec = AREAS[room.name][p.number - 1]  # x, y, width, height as the profile gives them
    x = (spec[0] + (j + 0.5) / p.width * spec[2] - 0.5) * s.width_m  # metres right of the eye
    y = (s.height_m - s.eye_height_m) - (spec[1] + (i + 0.5) / p.height * spec[3]) * s.height_m  # metres above it
    d = s.distance_m
    return np.degrees(np.arctan2(x, d)), np.degrees(np.arctan2(y, np.hypot(x, d)))


AREAS = {"Video wall (2×2 flat displays)": [(0, 0, 0.5, 0.5), (0.5, 0, 0.5, 0.5), (0, 0.5, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5)]}


def test_the_new_profiles_ship():
    assert {"front-wall", "video-wall"} <= set(shipped_rooms())
    front, wall = load_room("front-wall"), load_room("video-wall")
    assert [(p.yaw_min, p.yaw_max) for p in front.projectors] == [(-90, -22), (-34, 34), (22, 90)]
    assert front.covered_yaws() == [(-90, 90)] and front.overlaps() == [12, 12]
    assert wall.screen.shape == "wall" and len(wall.projectors) == 4
    assert "wall 3.32×1.87 m at 2 m, yaw -40°..40°" in wall.summary()


@pytest.fixture(scope="module")
def shipped():
    """The new profiles and their compositors, compiled once (not cached on disk) for these tests."""
    return {name: (room, Compositor(room, W, H, use_cache=False))
            for name in ("front-wall", "video-wall") for room in [load_room(name)]}


@pytest.mark.parametrize("name", ["front-wall", "video-wall"])
def test_every_pixel_of_the_new_profiles_looks_where_the_formula_says(name, shipped):
    room, comp = shipped[name]
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    frame = np.dstack([xs, ys, np.zeros_like(xs)])  # each pixel holds its own column and row
    for p, lut in zip(room.projectors, comp.lookups):
        j, i = np.meshgrid(np.arange(0, p.width, 7), np.arange(0, p.height, 7))
        yaw, pitch = p.directions(j + 0.5, i + 0.5)
        want_yaw, want_pitch = analytic(room, p, j, i)
        assert np.abs(yaw - want_yaw).max() < 1e-9 and np.abs(pitch - want_pitch).max() < 1e-9, p.name
        out = comp.sample(frame, lut)[i, j]
        assert np.abs(out[..., 0] - (yaw_to_x(want_yaw, W) - 0.5)).max() < 0.5, p.name
        assert np.abs(out[..., 1] - (pitch_to_y(want_pitch, H) - 0.5)).max() < 0.5, p.name


def test_the_video_walls_tiles_meet_edge_to_edge():
    room = load_room("video-wall")
    top_left, top_right, bottom_left, _ = room.projectors
    rows = np.arange(top_left.height) + 0.5
    # The top-left display's right edge is the top-right display's left edge, row for row.
    a = top_left.directions(np.full_like(rows, top_left.width), rows)
    b = top_right.directions(np.zeros_like(rows), rows)
    assert np.allclose(a, b, atol=1e-9)
    cols = np.arange(top_left.width) + 0.5
    a = top_left.directions(cols, np.full_like(cols, top_left.height))  # its bottom edge…
    b = bottom_left.directions(cols, np.zeros_like(cols))  # …is the display below's top edge
    assert np.allclose(a, b, atol=1e-9)


@pytest.mark.parametrize("name", ["front-wall", "video-wall"])
def test_a_white_field_lights_the_new_profiles_evenly(name, shipped):
    room, comp = shipped[name]
    images = comp.split(np.full((H, W, 3), 255, np.uint8))
    light = np.zeros(1801)
    yaws = np.linspace(-90, 90, 1801)
    for p, img in zip(room.projectors, images):
        row = img.shape[0] // 2
        linear = (img[row, :, 1].astype(float) / 255) ** p.gamma
        cols = np.arange(p.width) + 0.5
        yaw_of_col, _ = p.directions(cols, np.full_like(cols, row + 0.5))
        light += np.interp(yaws, yaw_of_col, linear, left=0, right=0)
    (start, end), = room.covered_yaws()
    # Within half a pixel of a display's edge no column centre is on both sides to interpolate from.
    lit = (yaws > start + 0.1) & (yaws < end - 0.1) & ((np.abs(yaws) > 0.05) | (name == "front-wall"))
    per_row = 1 if name == "front-wall" else 2  # the wall's two rows of displays: both at full light, unblended
    assert np.abs(light[lit] - per_row).max() < 0.01, (light[lit].min(), light[lit].max())
    assert light[(yaws < start) | (yaws > end)].max(initial=0) == 0


def test_the_lit_band_follows_the_formulas():
    front, wall = load_room("front-wall"), load_room("video-wall")
    s = front.screen
    for yaw in (-89, -40, 0, 28, 89):
        lo, hi = front.lit_band(yaw)
        assert lo == pytest.approx(math.degrees(math.atan(-s.eye_height_m / s.radius_m)))
        assert hi == pytest.approx(math.degrees(math.atan((s.height_m - s.eye_height_m) / s.radius_m)))
    assert front.lit_band(91) is None and front.lit_band(-180) is None
    s = wall.screen
    edge = math.degrees(math.atan2(s.width_m / 2, s.distance_m))
    assert wall.covered_yaws() == [(pytest.approx(-edge), pytest.approx(edge))]
    for yaw in (-edge, -20, 0, 5, 39):
        x = s.distance_m * math.tan(math.radians(yaw))
        lo, hi = wall.lit_band(yaw)
        assert hi == pytest.approx(math.degrees(math.atan2(s.height_m - s.eye_height_m, math.hypot(x, s.distance_m))))
        assert lo == pytest.approx(math.degrees(math.atan2(-s.eye_height_m, math.hypot(x, s.distance_m))))
    assert wall.lit_band(edge + 0.5) is None
    assert wall.pitch_range == (pytest.approx(wall.lit_band(0)[0]), pytest.approx(wall.lit_band(0)[1]))


# -- what validate says and what a render draws ---------------------------------------------------

def _scene(workdir, panels, show):
    return write_scene(workdir, MINIMAL.replace(
        "  - {id: note, type: text, text: Hello, yaw: 0, pitch: 0, width: 30, height: 10}", panels).replace(
        "show: [note]", f"show: [{show}]"))


def test_validate_warns_of_panels_wholly_or_partly_outside_a_partial_room(workdir):
    from bridge.render.checks import lit_warnings
    from bridge.scene.model import load_scene

    panels = ("  - {id: behind, type: text, text: Back, yaw: 180, pitch: 0, width: 30, height: 10}\n"
              "  - {id: edge, type: text, text: Edge, yaw: 80, pitch: 0, width: 30, height: 10}\n"
              "  - {id: wide, type: text, text: Wide, yaw: 0, pitch: 0, width: 200, height: 10}\n"
              "  - {id: inside, type: text, text: In, yaw: -40, pitch: 0, width: 30, height: 10}")
    scene, doc = load_scene(_scene(workdir, panels, "behind, edge, wide, inside"))
    found = [w.message for w in lit_warnings(scene, doc, load_room("front-wall"))]
    room = "Front wall (three projectors, 180° curved screen)"
    assert found == [
        f"'behind' is where no projector of {room} shines (yaw 165°..195°); it lights yaw -90°..90°: move its yaw to 75° or less",
        f"'edge' reaches yaw 65°..95° but {room} lights yaw -90°..90° only: its right 5.0° will not be seen; "
        "move its yaw to 75° or less",
        f"'wide' reaches yaw -100°..100° but {room} lights yaw -90°..90° only: its left 10.0° and its right 10.0° "
        "will not be seen; narrow it to 180° or less and set its yaw to 0°",
    ], found
    assert lit_warnings(scene, doc, load_room("bridge")) == []  # all round: nothing is outside


@pytest.mark.slow
def test_a_render_on_a_partial_room_skips_what_no_projector_shows(workdir, tmp_path):
    from bridge.render.briefing import load_briefing
    from bridge.render.pipeline import render_briefing

    panels = ("  - {id: behind, type: text, text: Back, yaw: 180, pitch: 0, width: 30, height: 10}\n"
              "  - {id: ahead, type: text, text: Ahead, yaw: 0, pitch: 0, width: 30, height: 10}")
    briefing = load_briefing(_scene(workdir, panels, "behind, ahead"))
    room = load_room("front-wall")
    result = render_briefing(briefing, room, tmp_path / "out", (1024, 512))
    frame = np.asarray(Image.open(tmp_path / "out" / "step-01" / "equirect.png")).astype(int)
    background = frame[int(pitch_to_y(-60, 512)), int(yaw_to_x(120, 1024))]
    row = int(pitch_to_y(0, 512))
    behind = np.concatenate([frame[row - 5:row + 5, int(yaw_to_x(170, 1024)):], frame[row - 5:row + 5, :int(yaw_to_x(-170, 1024))]], axis=1)
    assert np.abs(behind - background).max() <= 2  # not drawn: the room's background only
    ahead = frame[row - 5:row + 5, int(yaw_to_x(-10, 1024)):int(yaw_to_x(10, 1024))]
    assert np.abs(ahead - background).max() > 10  # drawn: its card at least
    centre = np.asarray(Image.open(tmp_path / "out" / "step-01" / "projector-2.png")).astype(int)
    h, w = centre.shape[:2]
    assert np.abs(centre[h // 2 - 100:h // 2 + 100, w // 2 - 200:w // 2 + 200] - background).max() > 10  # on the wall
    (warning,) = [str(f) for f in result.layout_faults if "'behind'" in f.message]
    assert "panels[0].yaw: 'behind' is not drawn: no projector of Front wall" in warning
    assert "move its yaw to 75° or less" in warning
    assert not any("'ahead'" in f.message for f in result.layout_faults)
