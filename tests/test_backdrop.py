"""360° backdrops: an equirectangular photo behind the panels lands where its pixels say, a step
may change or drop it, and a wrong file is a located error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.layout import pitch_to_y, yaw_to_x
from bridge.pipeline import load_briefing, render_briefing
from bridge.room import load_room
from tests.conftest import write_scene

SCENE = """
title: Backdrop
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
backdrop: {image: photo.png, brightness: 1.0}
panels:
  - {id: t, type: text, text: Over the photo, yaw: 0, pitch: 0, width: 30, height: 10}
steps:
  - {title: With the photo, show: [t]}
  - {title: Without, show: [t], backdrop: none}
  - {title: Dimmed, show: [t], backdrop: {image: photo.png, brightness: 0.5}}
"""

# Four bands of yaw, each its own colour, and a white cap above pitch 45°.
BANDS = [(-180, -90, (220, 40, 40)), (-90, 0, (40, 200, 60)), (0, 90, (40, 80, 230)), (90, 180, (230, 200, 40))]


def _photo(path, w=1024):
    image = np.zeros((w // 2, w, 3), np.uint8)
    for y0, y1, colour in BANDS:
        image[:, int(yaw_to_x(y0, w)):int(yaw_to_x(y1, w))] = colour
    image[: int(pitch_to_y(45, w // 2))] = 255
    Image.fromarray(image).save(path)


def test_a_backdrop_lands_where_its_pixels_say_under_the_panels(workdir, tmp_path):
    _photo(workdir / "photo.png")
    briefing = load_briefing(write_scene(workdir, SCENE))
    render_briefing(briefing, load_room("rehearsal"), tmp_path, (1024, 512))
    frame = np.asarray(Image.open(tmp_path / "step-01" / "equirect.png")).astype(int)
    for y0, y1, colour in BANDS:
        yaw = (y0 + y1) / 2 + (20 if y0 == -90 or y0 == 0 else 0)  # beside the panel ahead
        x, y = int(yaw_to_x(yaw, 1024)), int(pitch_to_y(-30, 512))
        assert np.abs(frame[y, x] - colour).max() <= 12, (yaw, frame[y, x], colour)
    assert frame[int(pitch_to_y(70, 512)), 100].min() >= 240  # the white cap, up high
    centre = frame[int(pitch_to_y(0, 512)), int(yaw_to_x(0, 1024))]
    assert np.abs(centre - (40, 80, 230)).max() > 60  # the panel covers the photo
    plain = np.asarray(Image.open(tmp_path / "step-02" / "equirect.png")).astype(int)
    assert plain[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))].max() < 40  # backdrop: none
    dim = np.asarray(Image.open(tmp_path / "step-03" / "equirect.png")).astype(int)
    bright = frame[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))]
    assert np.abs(dim[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))] - bright * 0.5).max() <= 12


@pytest.mark.parametrize("problem, fragment", [
    ("missing", "image not found"),
    ("square", "twice as wide as tall"),
    ("outside", "outside the briefing's folders"),
])
def test_a_wrong_backdrop_is_a_located_error(workdir, problem, fragment):
    text = SCENE
    if problem == "square":
        Image.new("RGB", (300, 300)).save(workdir / "photo.png")
    elif problem == "outside":
        text = SCENE.replace("image: photo.png, brightness: 1.0", "image: /etc/hostname")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    message = str(info.value)
    assert fragment in message and f"{path}:4: backdrop.image" in message, message
