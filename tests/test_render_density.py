"""`bridge render` draws at the room's own density by default (as `launch` does); `--draft`
keeps the quick 4096-wide frame and `--size` still chooses any."""

from __future__ import annotations

import argparse

import pytest

from bridge.commands import render
from bridge.room.load import load_room
from bridge.show.preparer import default_size
from tests.conftest import MINIMAL, write_scene

SMALL_ROOM = """name: Two small projectors
screen: {shape: cylinder, radius_m: 2.0, height_m: 1.6, eye_height_m: 1.0}
projectors:
  - {name: front, yaw: 0,   span_deg: 100, resolution: [800, 500]}
  - {name: back,  yaw: 180, span_deg: 270, resolution: [800, 500]}
"""


def options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    render.add_arguments(parser)
    return parser.parse_args(["scene.yaml", *argv])


@pytest.mark.parametrize("room", ["bridge", "rehearsal"])
def test_the_default_frame_is_as_sharp_as_the_rooms_sharpest_projector(room):
    profile, size = render._room_and_size(options("--room", room))
    assert size == default_size(profile)  # the frame `bridge launch` renders
    density = max(p.width / p.span for p in profile.projectors)  # projector pixels per degree
    assert size[0] >= min(8192, 360 * density) and size[0] == 2 * size[1]


def test_the_bridge_room_renders_at_8192_not_4096():
    assert render._room_and_size(options())[1] == (8192, 4096)  # 1920 px over 84°: ≈ 8230 px per 360°


def test_draft_keeps_the_quick_frame_and_size_chooses_any():
    assert render._room_and_size(options("--draft"))[1] == (4096, 2048)
    assert render._room_and_size(options("--size", "2048x1024"))[1] == (2048, 1024)


def test_draft_and_size_together_are_refused():
    with pytest.raises(SystemExit) as exc:
        options("--draft", "--size", "2048x1024")
    assert exc.value.code == 2


def test_a_room_with_a_sharper_projector_gets_a_sharper_frame(tmp_path):
    room = tmp_path / "room.yaml"
    room.write_text(SMALL_ROOM)
    profile, size = render._room_and_size(options("--room", str(room)))
    assert size == (3072, 1536)  # 800 px over 100°: 8 px a degree, 2880 per 360°, to the next 512
    assert profile.name == "Two small projectors"


@pytest.mark.slow  # renders in a process of its own
def test_render_writes_the_rooms_density_when_not_told(workdir):
    import subprocess
    import sys

    from PIL import Image

    room = workdir / "room.yaml"
    room.write_text(SMALL_ROOM)
    scene = write_scene(workdir, MINIMAL)
    run = subprocess.run([sys.executable, "-m", "bridge", "render", str(scene), "--room", str(room), "--out",
                          str(workdir / "o")], capture_output=True, text=True, env={**__import__("os").environ,
                                                                                    "BRIDGE_CACHE": str(workdir / "c")})
    assert run.returncode == 0, run.stderr
    assert "at 3072×1536" in run.stdout
    with Image.open(workdir / "o" / "step-01" / "equirect.png") as frame:
        assert frame.size == (3072, 1536)
    assert load_room(str(room)).projectors[0].width == 800
