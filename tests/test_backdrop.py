"""360° backdrops: an equirectangular photo behind the panels lands where its pixels say, a step
may change or drop it, and a wrong file is a located error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import render_briefing
from bridge.room.load import load_room
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


def _photo(path, w=1024, format=None):
    image = np.zeros((w // 2, w, 3), np.uint8)
    for y0, y1, colour in BANDS:
        image[:, int(yaw_to_x(y0, w)):int(yaw_to_x(y1, w))] = colour
    image[: int(pitch_to_y(45, w // 2))] = 255
    Image.fromarray(image).save(path, format)


@pytest.mark.slow
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


# 360° video backdrops: renders, validation and prepared frames show the first frame.

VIDEO_SCENE = SCENE.replace("image: photo.png, brightness: 1.0", "video: clip.mp4, loop: true, brightness: 1.0")


def _clip(path, w=512, h=256, frames=6, first=None, codec="libx264"):
    """A short clip whose first frame is `first` (default: the bands of _photo) and whose
    later frames are plain grey: only the first may show."""
    import av

    if first is None:
        _photo(path.with_suffix(".png"), w)
        first = np.asarray(Image.open(path.with_suffix(".png")))
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=10, options={"crf": "12"} if codec == "libx264" else {})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for n in range(frames):
            pixels = first if n == 0 else np.full((h, w, 3), 128, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.slow
def test_a_video_backdrops_first_frame_lands_where_its_pixels_say(workdir, tmp_path):
    _clip(workdir / "clip.mp4")
    (workdir / "clip.png").unlink()  # only the video is there to read
    text = VIDEO_SCENE.replace("{image: photo.png, brightness: 0.5}", "{video: clip.mp4, brightness: 0.5}")
    path = write_scene(workdir, text)
    briefing = load_briefing(path)
    assert (workdir / "clip.mp4").resolve() in briefing.scene.input_files()
    render_briefing(briefing, load_room("rehearsal"), tmp_path, (1024, 512))
    frame = np.asarray(Image.open(tmp_path / "step-01" / "equirect.png")).astype(int)
    for y0, y1, colour in BANDS:
        yaw = (y0 + y1) / 2 + (20 if y0 == -90 or y0 == 0 else 0)
        x, y = int(yaw_to_x(yaw, 1024)), int(pitch_to_y(-30, 512))
        assert np.abs(frame[y, x] - colour).max() <= 16, (yaw, frame[y, x], colour)
    assert frame[int(pitch_to_y(70, 512)), 100].min() >= 235  # the white cap, up high
    plain = np.asarray(Image.open(tmp_path / "step-02" / "equirect.png")).astype(int)
    assert plain[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))].max() < 40  # backdrop: none
    dim = np.asarray(Image.open(tmp_path / "step-03" / "equirect.png")).astype(int)
    bright = frame[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))]
    assert np.abs(dim[int(pitch_to_y(-30, 512)), int(yaw_to_x(135, 1024))] - bright * 0.5).max() <= 12


def test_the_sample_clip_is_a_2_to_1_video_whose_first_frame_reads():
    from bridge.render.video_file import read_first_frame as read_video_first_frame

    pixels = read_video_first_frame(Path(__file__).parent.parent / "data" / "sample" / "backdrop_clip.mp4")
    assert pixels.shape == (1024, 2048, 3) and pixels.std() > 20


@pytest.mark.parametrize("problem, fragment, key", [
    ("missing", "video not found", "backdrop.video"),
    ("not a video", "is not a video Bridge can read", "backdrop.video"),
    ("a picture", "is not a video Bridge can read", "backdrop.video"),
    ("no video stream", "has no video stream", "backdrop.video"),
    ("square", "twice as wide as tall", "backdrop.video"),
    ("too many pixels", "MAX_IMAGE_PIXELS", "backdrop.video"),
    ("outside", "outside the briefing's folders", "backdrop.video"),
    ("both", "exactly one of image: (a 360° photo) or video:", "backdrop"),
    ("neither", "exactly one of image: (a 360° photo) or video:", "backdrop"),
])
def test_a_wrong_video_backdrop_is_a_located_error(workdir, monkeypatch, problem, fragment, key):
    import bridge.limits

    text = VIDEO_SCENE
    clip = workdir / "clip.mp4"
    if problem == "not a video":
        clip.write_text("title: not a video at all\n" * 20)
    elif problem == "a picture":
        _photo(clip, format="PNG")  # a PNG named .mp4: FFmpeg's image demuxers are not on the list
    elif problem == "no video stream":
        _audio_only(clip)
    elif problem == "square":
        _clip(clip, 256, 256, first=np.zeros((256, 256, 3), np.uint8))
    elif problem == "too many pixels":
        _clip(clip)
        monkeypatch.setattr(bridge.limits, "MAX_IMAGE_PIXELS", 100_000)
    elif problem == "outside":
        text = VIDEO_SCENE.replace("video: clip.mp4", "video: /etc/hostname")
    elif problem == "both":
        _photo(workdir / "photo.png")
        _clip(clip)
        text = VIDEO_SCENE.replace("video: clip.mp4", "image: photo.png, video: clip.mp4")
    elif problem == "neither":
        text = VIDEO_SCENE.replace("video: clip.mp4, loop: true, ", "")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    message = str(info.value)
    assert fragment in message and f"{path}:4: {key}" in message, message
    assert "Traceback" not in message


def test_a_steps_video_outside_the_briefings_folders_is_refused_where_it_is_named(workdir):
    _photo(workdir / "photo.png")
    text = SCENE.replace("{image: photo.png, brightness: 0.5}", "{video: ../elsewhere/clip.mp4}")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    message = str(info.value)
    assert f"{path}:10: steps[2].backdrop.video" in message and "outside the briefing's folders" in message, message


def _audio_only(path):
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=8000)
        stream.layout = "mono"
        samples = np.zeros((1, 1024 * 8), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
