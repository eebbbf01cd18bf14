"""Hostile room profiles given with --room: non-finite or absurd numbers, rooms too large to render,
and files that are not room profiles at all (whose contents must not be echoed)."""

import os
from pathlib import Path

import pytest

from tests.hostile.harness import refused, run_bridge, scene

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess

ROOM = """name: Hostile room
screen: {shape: cylinder, radius_m: 3.0, height_m: 2.4, eye_height_m: 1.6}
projectors:
  - {yaw: 0,    span_deg: 130, resolution: [800, 600]}
  - {yaw: 120,  span_deg: 130, resolution: [800, 600]}
  - {yaw: -120, span_deg: 130, resolution: [800, 600]}
"""
WARP = "warp: {rows: 2, cols: 2, offsets: [[0, 0], [0, 0], [0, 0], [0, 0]]}"


def room(folder: Path, text: str) -> Path:
    path = folder / "room.yaml"
    path.write_text(text)
    return path


def validate(briefing: Path, room_path) -> object:
    return run_bridge("validate", scene(briefing), "--room", room_path)


def test_infinite_radius(briefing):
    refused(validate(briefing, room(briefing, ROOM.replace("radius_m: 3.0", "radius_m: .inf"))),
            r"room\.yaml:2: screen\.radius_m: input should be a finite number \(got inf\)")


def test_absurd_radius(briefing):
    refused(validate(briefing, room(briefing, ROOM.replace("radius_m: 3.0", "radius_m: 1e9"))),
            r"room\.yaml:2: screen\.radius_m: input should be less than or equal to 1000")


@pytest.mark.parametrize("value,shown", [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")])
def test_non_finite_warp_offsets(briefing, value, shown):
    text = ROOM.replace("resolution: [800, 600]}", f"resolution: [800, 600], {WARP.replace('[0, 0]]', f'[0, {value}]]')}}}", 1)
    refused(validate(briefing, room(briefing, text)),
            rf"room\.yaml:4: projectors\[0\]\.warp\.offsets\[3\]\[1\]: input should be a finite number \(got {shown}\)")


def test_nan_span(briefing):
    refused(validate(briefing, room(briefing, ROOM.replace("span_deg: 130", "span_deg: .nan", 1))),
            r"room\.yaml:4: projectors\[0\]\.span_deg: input should be a finite number \(got nan\)")


def test_two_hundred_projectors(briefing):
    projectors = "".join(f"  - {{yaw: {-180 + i * 1.8:.1f}, span_deg: 2.2, resolution: [1920, 1200]}}\n" for i in range(200))
    text = ROOM.split("projectors:")[0] + "projectors:\n" + projectors
    refused(validate(briefing, room(briefing, text)), r"room\.yaml:3: projectors: 200 projectors; a room may have at most 32")


def test_one_projector_of_16384_squared(briefing):
    text = ROOM.split("projectors:")[0] + "projectors:\n  - {yaw: 0, span_deg: 360, resolution: [16384, 16384]}\n"
    refused(validate(briefing, room(briefing, text)),
            r"room\.yaml:4: projectors\[0\]\.resolution\[0\]: input should be less than or equal to 8192 \(got 16384\)")


def test_projectors_too_large_to_render(briefing):
    projectors = "".join(f"  - {{yaw: {-180 + i * 45}, span_deg: 50, resolution: [8192, 8192]}}\n" for i in range(8))
    text = ROOM.split("projectors:")[0] + "projectors:\n" + projectors
    outcome = refused(validate(briefing, room(briefing, text)),
                      r"room\.yaml:3: projectors: 8 projector\(s\) of 536\.9 million pixels in all would need about "
                      r"[\d.]+ GB for their images and lookup tables; a render may hold at most 3\.0 GB")
    assert outcome.max_rss_mb < 500  # refused before a table was compiled


def test_frame_size_too_large_for_this_room(briefing, tmp_path):
    projectors = "".join(f"  - {{yaw: {-180 + i * 90}, span_deg: 100, resolution: [5000, 4000]}}\n" for i in range(4))
    path = room(briefing, ROOM.split("projectors:")[0] + "projectors:\n" + projectors)
    outcome = refused(run_bridge("render", scene(briefing), "--room", path, "--size", "16384x8192", "--out", tmp_path / "o"),
                      r"--size: a 16384×8192 frame for Hostile room would need about [\d.]+ GB \(frame 1\.2 GB; "
                      r"4 projector images and lookup tables [\d.]+ GB\); a render may hold at most 3\.0 GB")
    assert outcome.max_rss_mb < 500
    assert not (tmp_path / "o").exists()


def test_dev_zero_as_the_room(briefing):
    refused(validate(briefing, "/dev/zero"),
            r"/dev/zero: is not a regular file \(a device, pipe or socket\); a room profile is a YAML file")


def test_a_fifo_as_the_room(briefing):
    os.mkfifo(briefing / "room.yaml")
    refused(validate(briefing, briefing / "room.yaml"), r"room\.yaml: is not a regular file")


def test_a_binary_file_as_the_room(briefing):
    path = briefing / "room.bin"
    blob = bytes([0x80, 0x81, 0xfe]) + b"SECRET-BYTES" + os.urandom(4000)
    path.write_bytes(blob)
    outcome = refused(validate(briefing, path), r"room\.bin: is not UTF-8 text \(invalid start byte at byte 0\)")
    assert "SECRET" not in outcome.output and len(outcome.stderr) < 400


def test_control_bytes_as_the_room(briefing):
    path = briefing / "room.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + b"SECRET-BYTES " * 300)
    outcome = refused(validate(briefing, path), r"room\.bin:1: control character U\+007F at column 1")
    assert "SECRET" not in outcome.output


def test_a_text_file_as_the_room(briefing):
    path = briefing / "minutes.txt"
    path.write_text("Minutes of the meeting of the Finance Committee held on Tuesday\n"
                    "The door code is 4711 and the password is hunter2\n" * 50)
    outcome = refused(validate(briefing, path),
                      r"minutes\.txt:1: is not a room profile: a room profile is a mapping of keys \(name, screen, "
                      r"projectors\); this file holds plain text \(1050 words\), not keys")
    assert "hunter2" not in outcome.output and "Minutes" not in outcome.output  # described, never quoted: logs are shared
    assert len(outcome.stderr) < 400


def test_a_data_file_as_the_room(briefing):
    refused(validate(briefing, briefing / "data" / "census21_age_shropshire.csv"),
            r"census21_age_shropshire\.csv:1: is not a room profile: .* this file holds text that looks like a CSV table "
            r"\(its first line has 9 fields\), not keys")


def test_a_list_as_the_room(briefing):
    refused(validate(briefing, room(briefing, "- a\n- b\n")), r"room\.yaml:1: is not a room profile: .* this file holds a list")


def test_an_unknown_room_name(briefing):
    refused(validate(briefing, "nosuch"),
            r"--room: room 'nosuch' is neither a shipped profile nor a file; shipped: bridge, front-wall, pentagon, rehearsal, video-wall")


def test_a_room_name_too_long_for_a_path(briefing):
    outcome = refused(validate(briefing, "r" * 5000), r"--room: room 'r{60}'…: cannot read it \(File name too long\)")
    assert len(outcome.stderr) < 400
