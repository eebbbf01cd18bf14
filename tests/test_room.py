"""Room profiles: the default room as specified, bad rooms refused."""

import pytest

from bridge.errors import BridgeError
from bridge.room import load_room, shipped_rooms

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
