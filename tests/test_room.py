"""Room profiles: the default room as specified, bad rooms refused."""

import pytest

from bridge.errors import BridgeError
from bridge.limits import MAX_PROJECTOR_SIDE, MAX_PROJECTORS, MAX_RENDER_BYTES
from bridge.room.load import load_room, shipped_rooms
from bridge.room.model import check_render_memory, render_bytes

GOOD = """
name: Test room
screen: {shape: cylinder, radius_m: 3, height_m: 2.4, eye_height_m: 1.2}
projectors:
  - {yaw: 0,    span_deg: 130, resolution: [800, 600]}
  - {yaw: 120,  span_deg: 130, resolution: [800, 600]}
  - {yaw: -120, span_deg: 130, resolution: [800, 600]}
"""


def test_default_room():
    room = load_room()
    assert len(room.projectors) == 5
    assert all((p.width, p.height) == (1920, 1200) for p in room.projectors)
    centres = [p.yaw_centre for p in room.projectors]
    assert centres == pytest.approx([0, 72, 144, -144, -72])
    assert room.overlaps() == pytest.approx([12] * 5)
    lo, hi = room.pitch_range
    assert lo < 0 < hi


def test_every_shipped_room_loads():
    for name in shipped_rooms():
        assert load_room(name).projectors


def test_user_room_path(tmp_path):
    path = tmp_path / "room.yaml"
    path.write_text(GOOD)
    room = load_room(path)
    assert room.overlaps() == pytest.approx([10, 10, 10])


@pytest.mark.parametrize("old,new,fragment", [
    ("span_deg: 130, resolution: [800, 600]}\n  - {yaw: 120", "span_deg: 100, resolution: [800, 600]}\n  - {yaw: 120", "gap of"),
    ("resolution: [800, 600]}\n", "resolution: [0, 600]}\n", "projectors[0].resolution[0]"),
    ("radius_m: 3", "radius_m: -3", "screen.radius_m"),
    ("span_deg: 130, resolution: [800, 600]}\n  - {yaw: 120", "span_deg: 300, resolution: [800, 600]}\n  - {yaw: 120", "half a projector or more"),
    ("yaw: 120, ", "yaw: 120, spam_deg: 3, ", "did you mean 'span_deg'"),
])
def test_bad_rooms(tmp_path, old, new, fragment):
    assert old in GOOD
    path = tmp_path / "room.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(BridgeError) as info:
        load_room(path)
    text = "\n".join(str(p) for p in info.value.problems)
    assert fragment in text and str(path) in text, text


def test_unknown_room_name():
    with pytest.raises(BridgeError, match="did you mean 'bridge'"):
        load_room("bridg")


def test_outputs_default_side_by_side_and_layout_span(tmp_path):
    path = tmp_path / "room.yaml"
    path.write_text(GOOD)
    room = load_room(path)
    assert room.layout == "span"
    assert [p.output for p in room.projectors] == [(0, 0), (800, 0), (1600, 0)]
    assert room.desktop() == (0, 0, 2400, 600)


def test_outputs_given_move_windows_but_not_the_digest(tmp_path):
    path = tmp_path / "room.yaml"
    path.write_text(GOOD)
    plain = load_room(path)
    placed = GOOD.replace("display", "").replace("[800, 600]}", "[800, 600], output: {x: OX, y: 100}}")
    for x in (0, 900, 1800):
        placed = placed.replace("OX", str(x), 1)
    path.write_text(placed + "display: {layout: per-projector}\n")
    room = load_room(path)
    assert room.layout == "per-projector"
    assert [p.output for p in room.projectors] == [(0, 100), (900, 100), (1800, 100)]
    assert room.desktop() == (0, 100, 2600, 600)
    assert room.digest == plain.digest  # frames and lookup tables stay cached


def test_outputs_overlapping_or_partial_are_refused(tmp_path):
    path = tmp_path / "room.yaml"
    path.write_text(GOOD.replace("[800, 600]}", "[800, 600], output: {x: 0, y: 0}}", 2))
    with pytest.raises(BridgeError) as exc:
        load_room(path)
    assert "projectors[2]: has no output" in str(exc.value)
    path.write_text(GOOD.replace("[800, 600]}", "[800, 600], output: {x: 0, y: 0}}"))
    with pytest.raises(BridgeError) as exc:
        load_room(path)
    assert "overlaps projector 1" in str(exc.value) and ":6: projectors[1].output" in str(exc.value)
    path.write_text(GOOD + "display: {layout: mirror}\n")
    with pytest.raises(BridgeError, match="display.layout"):
        load_room(path)


# A room profile is untrusted input: finite numbers in range, bounded size, never echoed.


def room_problems(tmp_path, text, name="room.yaml"):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BridgeError) as info:
        load_room(path)
    return path, [str(p) for p in info.value.problems]


@pytest.mark.parametrize("old,new,expected", [
    ("radius_m: 3", "radius_m: .inf", ":3: screen.radius_m: input should be a finite number (got inf)"),
    ("radius_m: 3", "radius_m: .nan", ":3: screen.radius_m: input should be a finite number (got nan)"),
    ("radius_m: 3", "radius_m: 5000", ":3: screen.radius_m: input should be less than or equal to 1000"),
    ("radius_m: 3", "radius_m: 0", ":3: screen.radius_m: input should be greater than 0"),
    ("height_m: 2.4", "height_m: -.inf", ":3: screen.height_m: input should be a finite number (got -inf)"),
    ("yaw: 120,", "yaw: .nan,", ":6: projectors[1].yaw: input should be a finite number (got nan)"),
    ("span_deg: 130, resolution: [800, 600]}\n  - {yaw: 120", "span_deg: .inf, resolution: [800, 600]}\n  - {yaw: 120",
     ":5: projectors[0].span_deg: input should be a finite number (got inf)"),
    ("resolution: [800, 600]}\n", f"resolution: [{MAX_PROJECTOR_SIDE + 1}, 600]}}\n",
     f":5: projectors[0].resolution[0]: input should be less than or equal to {MAX_PROJECTOR_SIDE}"),
    ("resolution: [800, 600]}\n", "resolution: [800, 600], gamma: .nan}\n",
     ":5: projectors[0].gamma: input should be a finite number (got nan)"),
    ("resolution: [800, 600]}\n", "resolution: [800, 600], warp: {rows: 2, cols: 2, offsets: [[0, 0], [.nan, 0], [0, 0], [0, .inf]]}}\n",
     ":5: projectors[0].warp.offsets[1][0]: input should be a finite number (got nan)"),
    ("resolution: [800, 600]}\n", "resolution: [800, 600], warp: {rows: 2, cols: 2, offsets: [[0, 0], [0, 0], [0, 0], [0, 1e9]]}}\n",
     ":5: projectors[0].warp.offsets[3][1]: input should be less than or equal to 8192"),
])
def test_room_numbers_are_finite_and_in_range(tmp_path, old, new, expected):
    assert old in GOOD
    path, found = room_problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(p.startswith(f"{path}{expected}") for p in found), found


def test_at_most_max_projectors(tmp_path):
    projectors = "".join(f"  - {{yaw: {-180 + i * 9}, span_deg: 10, resolution: [800, 600]}}\n" for i in range(40))
    path, found = room_problems(tmp_path, GOOD.split("projectors:")[0] + "projectors:\n" + projectors)
    assert found == [f"{path}:4: projectors: 40 projectors; a room may have at most {MAX_PROJECTORS}"]


@pytest.mark.parametrize("text,expected", [
    ("Dear all,\nthe password is hunter2.\n", (":1: is not a room profile: a room profile is a mapping of keys "
                                              "(name, screen, projectors); this file holds plain text (6 words), not keys")),
    ("- 1\n- 2\n", (":1: is not a room profile: a room profile is a mapping of keys (name, screen, projectors); "
                   "this file holds a list of 2 items")),
    ("42\n", (":1: is not a room profile: a room profile is a mapping of keys (name, screen, projectors); "
             "this file holds a single int")),
    ("Subject: minutes\nFrom: clerk\n", ":1: is not a room profile: it has none of the keys name, screen, projectors"),
])
def test_a_file_that_is_not_a_room_is_not_echoed(tmp_path, text, expected):
    path, found = room_problems(tmp_path, text, "notes.txt")
    assert found == [f"{path}{expected}"]


def test_a_long_text_is_not_quoted(tmp_path):
    _path, (found,) = room_problems(tmp_path, "word " * 10_000, "notes.txt")
    assert found.endswith("this file holds plain text (10000 words), not keys") and "word word" not in found


# Issue 25: `--room FILE` names what kind of file it is instead of quoting its first line (the
# show's log is shared).
@pytest.mark.parametrize("name,text,expected", [
    ("ages.csv", "area_code,area_name,people\nE01,Ludlow,1200\n",
     "this file holds text that looks like a CSV table (its first line has 3 fields), not keys"),
    ("ages.tsv", "area_code\tarea_name\tpeople\nE01\tLudlow\t1200\n",
     "this file holds text that looks like a tab-separated table (its first line has 3 fields), not keys"),
    ("briefing.yaml", "title: Secret plans\npanels:\n  - {id: a, type: text, text: hunter2}\nsteps: []\n",
     "looks like a scene (it has panels:), not a room profile; a room profile has the keys name, screen, projectors"),
    ("areas.geojson", '{"type": "FeatureCollection", "name": "hunter2", "features": []}\n',
     "looks like GeoJSON (it has features:), not a room profile"),
])
def test_a_file_of_another_kind_is_named_not_quoted(tmp_path, name, text, expected):
    _path, (found,) = room_problems(tmp_path, text, name)
    assert expected in found, found
    assert not any(secret in found for secret in ("hunter2", "Ludlow", "area_code", "Secret")), found


def test_an_mpcdi_file_is_sent_to_room_import(tmp_path):
    path, found = room_problems(tmp_path, "PK\x03\x04 not read", "hall.mpcdi")
    assert found == [f"{path}: is an MPCDI calibration, not a room profile: turn it into one with "
                     "bridge room import FILE --out ROOM.yaml and pass that profile"]


def test_render_bytes_counts_frame_images_and_tables():
    room = load_room("bridge")
    total, frame, projectors = render_bytes(room, 4096, 2048)
    assert frame == 4096 * 2048 * 10
    assert projectors == 5 * 1920 * 1200 * 24 + 1920 * 1200 * 40
    assert total == frame + projectors < MAX_RENDER_BYTES
    check_render_memory(room, 16384, 8192)  # the largest frame fits the shipped room


WARPED = GOOD.replace("resolution: [800, 600]}", "resolution: [800, 600], warp: {rows: 2, cols: 2, offsets: [[0, 0], [1, 2], [0, 0], [2, 1]]}}")
FLAT = GOOD.replace("shape: cylinder, radius_m: 3", "shape: flat, distance_m: 3").replace("span_deg: 130", "span_deg: 125")
LIFTED = GOOD.replace("resolution: [800, 600]}", "resolution: [800, 600], gain: 1.3, black_level: 0.1}")
WALL = ("name: Wall\nscreen: {shape: wall, distance_m: 2, width_m: 4, height_m: 2, eye_height_m: 1}\nprojectors:\n"
        + "".join(f"  - {{area: {{x: {x}, y: 0, width: {w}, height: 1}}, resolution: [800, 600]}}\n"
                  for x, w in ((0, 0.25), (0.25, 0.25), (0.5, 0.5))))


@pytest.mark.parametrize("text", [GOOD, WARPED, FLAT, LIFTED, WALL], ids=["cylinder", "warped", "flat", "black-level", "wall"])
def test_render_bytes_is_not_less_than_what_the_compositor_holds(tmp_path, text):
    import tracemalloc

    import numpy as np

    from bridge.room.compositor import Compositor

    path = tmp_path / "room.yaml"
    path.write_text(text)
    room = load_room(path)
    frame = np.zeros((512, 1024, 3), np.uint8)
    tracemalloc.start()
    try:
        images = Compositor(room, 1024, 512, use_cache=False).split(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(images) == 3
    _, _, projectors = render_bytes(room, 1024, 512)
    assert peak <= projectors, (peak, projectors)
    assert peak >= projectors / 4  # and not wildly more than it holds


def test_a_frame_too_large_for_the_room_is_refused_before_allocating(tmp_path):
    projectors = "".join(f"  - {{yaw: {-180 + i * 90}, span_deg: 100, resolution: [5000, 4000]}}\n" for i in range(4))
    path = tmp_path / "room.yaml"
    path.write_text(GOOD.split("projectors:")[0] + "projectors:\n" + projectors)
    room = load_room(path)  # the projectors alone fit
    check_render_memory(room, 4096, 2048)
    with pytest.raises(BridgeError) as info:
        check_render_memory(room, 16384, 8192)
    assert str(info.value) == ("--size: a 16384×8192 frame for Test room would need about 3.8 GB (frame 1.2 GB; "
                               "4 projector images and lookup tables 2.5 GB); a render may hold at most 3.0 GB: "
                               "use a smaller frame or a smaller room")


def test_projectors_too_large_for_any_frame_are_refused_with_the_room(tmp_path):
    projectors = "".join(f"  - {{yaw: {-180 + i * 45}, span_deg: 50, resolution: [8192, 8192]}}\n" for i in range(8))
    path, found = room_problems(tmp_path, GOOD.split("projectors:")[0] + "projectors:\n" + projectors)
    assert found == [(f"{path}:4: projectors: 8 projector(s) of 536.9 million pixels in all would need about 14.5 GB "
                     f"for their images and lookup tables; a render may hold at most 3.0 GB: use fewer or smaller projectors")]
