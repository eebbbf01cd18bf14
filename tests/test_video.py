"""Video backdrops played live: the panel layer composites each frame like the prepared still,
the show plays, pauses and stops it, CPU and GPU compositors agree, and a broken video keeps
the still picture with a message instead of ending the show."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bridge.render.video_file import read_first_frame
from bridge.show.live import Live, choose_compositor
from bridge.show.preparer import prepare
from bridge.show.video import Decoder, VideoCompositor, VideoPlayer
from tests.conftest import write_scene
from tests.show_helpers import inject, tiny_room

pytestmark = pytest.mark.slow  # each case plays a show with a decoded video in an offscreen render window

SIZE = (512, 256)
SCENE = """
title: Video
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
backdrop: {video: clip.mp4, loop: true, brightness: 0.8}
panels:
  - {id: t, type: text, text: Over the video, yaw: 0, pitch: 0, width: 60, height: 40}
steps:
  - {title: With the video, show: [t]}
  - {title: Without, show: [t], backdrop: none}
"""


def make_clip(path: Path, frames: int = 12, w: int = 512, h: int = 256, still: bool = False, fps: int = 10) -> None:
    """Bands of colour that move a quarter turn each frame (or stay, `still`), plus a grey floor."""
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for n in range(frames):
            shift = 0 if still else n * w // 4
            x = (np.arange(w) + shift) % w
            image = np.zeros((h, w, 3), np.uint8)
            image[:, :, 0] = np.where(x < w // 2, 220, 30)[None, :]
            image[:, :, 2] = np.where(x >= w // 2, 220, 30)[None, :]
            image[:, :, 1] = 60
            image[h * 3 // 4:] = 90
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture
def room(tmp_path):
    return tiny_room(tmp_path)


def _prepared(workdir, room, **clip):
    make_clip(workdir / "clip.mp4", **clip)
    return prepare(write_scene(workdir, SCENE), room, SIZE, use_cache=False)


def test_a_video_steps_panel_layer_composites_its_first_frame_like_the_prepared_still(workdir, room):
    prepared = _prepared(workdir, room)
    assert prepared.video(0) == {"file": str((workdir / "clip.mp4").resolve()), "loop": True}
    assert prepared.video(1) is None and prepared.layers(1) is None
    layers = prepared.layers(0)
    assert [layer.shape for layer in layers] == [(p.height, p.width, 4) for p in room.projectors]
    first = read_first_frame(workdir / "clip.mp4")
    video = VideoCompositor(room, first.shape[1], first.shape[0])
    outs = [np.zeros((p.height, p.width, 3), np.uint8) for p in room.projectors]
    video.compose(first, video.split_layers(layers), outs)
    for out, still in zip(outs, prepared.frames):
        diff = np.abs(out.astype(int) - still[0].astype(int))
        assert diff.mean() < 3 and np.percentile(diff, 95) <= 12, (diff.mean(), np.percentile(diff, 95))
    # The panel (ahead, projector 1's middle) hides the video; beside it the video shows through, dimmed.
    through = layers[0][..., 3]
    assert through[20, 32] < 10 and through[2, 2] == pytest.approx(0.8 * 255, abs=4)


def test_the_decoder_loops_or_stops_and_the_player_paces_to_the_videos_rate(tmp_path):
    make_clip(tmp_path / "clip.mp4", frames=5, fps=10)
    looping = Decoder(tmp_path / "clip.mp4", loop=True)
    try:
        got = [looping.get(timeout=5) for _ in range(12)]
        assert all(f is not None and f.shape == (256, 512, 3) for f in got)  # past the 5 frames: looped
        assert np.abs(got[0].astype(int) - got[5]).mean() < 3  # frame 6 is frame 1 again
    finally:
        looping.close()
    once = Decoder(tmp_path / "clip.mp4", loop=False)
    try:
        got = [once.get(timeout=2) for _ in range(7)]
        assert sum(f is not None for f in got) == 5 and once.ended and once.error is None
    finally:
        once.close()
    shown = []
    player = VideoPlayer(Decoder(tmp_path / "clip.mp4"), lambda frame, k: shown.append(k), paced=True)
    try:
        start = time.perf_counter()
        times = []
        while len(times) < 4 and time.perf_counter() - start < 10:
            k = player.due()
            if k is not None:
                player.shown_set(k)
                times.append(time.perf_counter())
            time.sleep(0.002)
        gaps = np.diff(times)
        assert len(times) == 4 and gaps.min() >= 0.09, gaps  # 10 fps: a frame every 100 ms, not faster
        player.pause(True)
        assert player.due(time.perf_counter() + 10) is None  # paused: nothing is due
    finally:
        player.close()


@pytest.mark.parametrize("compositor", ["cpu", "gpu"])
def test_the_show_plays_pauses_and_stops_a_steps_video(workdir, room, compositor):
    prepared = _prepared(workdir, room)
    live = Live(workdir / "scene.yaml", room, prepared, SIZE, "span", offscreen=True, compositor=compositor,
                paced_video=False, poll_interval=3600)
    try:
        assert live.compositor == compositor
        live.tick()
        still = live.windows.grab()
        grabs = []
        deadline = time.perf_counter() + 20
        while len(grabs) < 3 and time.perf_counter() < deadline:
            if live.tick() and live.playback is not None and live.playback.frames_shown >= 2 * len(grabs) + 1:
                grabs.append(live.windows.grab())
        assert len(grabs) == 3, live.problems
        moved = [np.abs(g.astype(int) - still).mean() for g in grabs]
        assert max(moved) > 15, moved  # the bands turn: the video is playing under the panel
        # The panel stays on top: projector 1's middle shows the panel, not the video.
        assert all(np.abs(g[20, 32].astype(int) - still[20, 32]).max() <= 12 for g in grabs)
        inject(live.windows, "v")
        live.tick()
        assert live.playback.paused
        frames = live.playback.frames_shown
        for _ in range(20):
            live.tick()
            time.sleep(0.01)
        assert live.playback.frames_shown == frames  # V paused it
        inject(live.windows, "v")
        deadline = time.perf_counter() + 10
        while live.playback.frames_shown == frames and time.perf_counter() < deadline:
            live.tick()
        assert live.playback.frames_shown > frames  # V again: it plays on
        inject(live.windows, "Right")
        live.tick()
        assert live.playback is None
        inject(live.windows, "Left")
        live.tick()  # back on the video step: it plays again from a fresh start
        assert live.playback is not None
        inject(live.windows, "b")
        live.tick()
        assert live.playback is None and live.windows.grab().max() == 0  # blackout stops it
    finally:
        live.close()


def test_cpu_and_gpu_compositors_show_the_same_video_frame(workdir, room):
    prepared = _prepared(workdir, room, still=True)  # every frame the same: grabs compare exactly
    pictures = {}
    for compositor in ("cpu", "gpu"):
        live = Live(workdir / "scene.yaml", room, prepared, SIZE, "span", offscreen=True, compositor=compositor,
                    paced_video=False, poll_interval=3600)
        try:
            deadline = time.perf_counter() + 20
            while (live.playback is None or live.playback.frames_shown < 2) and time.perf_counter() < deadline:
                live.tick()
            assert live.playback is not None and live.playback.frames_shown >= 2
            pictures[compositor] = live.windows.grab().astype(int)
        finally:
            live.close()
    diff = np.abs(pictures["cpu"] - pictures["gpu"])
    assert diff.mean() < 2 and np.percentile(diff, 99) <= 8, (diff.mean(), np.percentile(diff, 99))


def test_a_video_that_breaks_during_the_show_keeps_the_still_and_says_why(workdir, room):
    prepared = _prepared(workdir, room)
    (workdir / "clip.mp4").write_bytes(b"not a video any more" * 50)
    live = Live(workdir / "scene.yaml", room, prepared, SIZE, "span", offscreen=True, compositor="cpu",
                poll_interval=3600)
    try:
        live.tick()
        still = live.windows.grab()
        live.tick()
        assert live.playback is None
        assert live.problems and "step 1's video shows its first frame only" in str(live.problems[0])
        assert "is not a video Bridge can read" in str(live.problems[0])
        assert np.array_equal(live.windows.grab(), still)  # the prepared still stays on the walls
        inject(live.windows, "Right")
        live.tick()  # the show goes on
        assert live.presenter.step == 1
    finally:
        live.close()


def test_auto_takes_the_cpu_compositor_under_software_gl_and_the_gpu_one_on_a_graphics_card(room):
    from tests.show_helpers import synthetic

    live = Live(Path("unused.yaml"), room, synthetic(room), SIZE, "span", offscreen=True, poll_interval=3600)
    try:
        from bridge.room.gpu import is_software

        assert live.gl_renderer and live.gl_renderer != "unknown"
        assert live.compositor == ("cpu" if is_software(live.gl_renderer) else "gpu")  # cpu here: llvmpipe
        assert is_software("llvmpipe (LLVM 15.0.6, 256 bits)") and not is_software("NVIDIA H200/PCIe/SSE2")
        assert choose_compositor("gpu", live.windows) == ("gpu", live.gl_renderer)
    finally:
        live.close()


ASKING = """
title: Asking over video
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
params:
  area: {type: choice, values: [Shropshire 027A, Shropshire 027B], all: The county}
backdrop: {video: clip.mp4, brightness: 0.7}
panels:
  - {id: k, type: kpi, value: 'sum(people.total, where=areas.lsoa21_name == params.area)', label: '{params.area}', yaw: 0, width: 30, height: 14}
  - {id: x, type: extruded, colour: 'people.total * (areas.lsoa21_name != params.area)', yaw: -72, width: 40, height: 30}
steps:
  - {title: One, show: [k]}
  - {title: Two, show: [x, k]}
"""


@pytest.mark.parametrize("step, how", [(0, "pasted 1 panel(s)"), (1, "rendered")])
def test_a_live_answer_on_a_video_step_brings_its_new_panel_layer(workdir, monkeypatch, step, how):
    from bridge.backend import use_offscreen
    from bridge.room.load import load_room
    from bridge.show.answer import _Worker

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    use_offscreen()
    make_clip(workdir / "clip.mp4")
    worker = _Worker(write_scene(workdir, ASKING), "rehearsal", (1024, 512))
    worker.warm(step)
    answer = worker.answer(1, {"area": "Shropshire 027A"}, step)
    assert answer.how == how and answer.layers is not None
    room = load_room("rehearsal")
    assert [layer.shape for layer in answer.layers] == [(p.height, p.width, 4) for p in room.projectors]
    # The layer composites the first frame like the answer's own still pictures.
    first = read_first_frame(workdir / "clip.mp4")
    video = VideoCompositor(room, first.shape[1], first.shape[0])
    outs = [np.zeros((p.height, p.width, 3), np.uint8) for p in room.projectors]
    video.compose(first, video.split_layers(answer.layers), outs)
    for i, out in enumerate(outs):
        still = answer.images.get(i, worker.images[step][i])
        diff = np.abs(out.astype(int) - still.astype(int))
        assert diff.mean() < 3 and np.percentile(diff, 95) <= 12, (i, diff.mean(), np.percentile(diff, 95))
    # The KPI's new number is in the layer: where its card is, the layer changed and hides the video.
    fresh = _Worker(write_scene(workdir, ASKING), "rehearsal", (1024, 512))
    fresh.warm(step)
    before = fresh._layers(step)
    assert any((a[..., :3] != b[..., :3]).any() for a, b in zip(before, answer.layers))


def test_a_video_step_whose_black_and_white_frames_were_dropped_is_rendered_again(workdir, monkeypatch):
    from bridge.backend import use_offscreen
    from bridge.show.answer import _Worker

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    use_offscreen()
    make_clip(workdir / "clip.mp4")
    worker = _Worker(write_scene(workdir, ASKING), "rehearsal", (1024, 512))
    worker.warm(0)
    worker.under.clear()  # as if evicted (KEEP_UNDER): a paste would have nothing to paste into
    answer = worker.answer(1, {"area": "Shropshire 027A"}, 0)
    assert answer.how == "rendered" and answer.layers is not None and 0 in worker.under


@pytest.mark.parametrize("compositor", ["cpu", "gpu"])
def test_a_cross_fade_from_a_playing_video_starts_from_the_frame_on_the_walls(workdir, room, compositor):
    make_clip(workdir / "clip.mp4")
    text = SCENE.replace("title: Video\n", "title: Video\ntransition_ms: 400\n")
    prepared = prepare(write_scene(workdir, text), room, SIZE, use_cache=False)
    live = Live(workdir / "scene.yaml", room, prepared, SIZE, "span", offscreen=True, compositor=compositor,
                paced_video=False, poll_interval=3600)
    try:
        live.tick()
        still = live.windows.grab()
        deadline = time.perf_counter() + 20
        while (live.playback is None or live.playback.frames_shown < 3) and time.perf_counter() < deadline:
            live.tick()
        live.playback.pause(True)
        live.presenter.video_paused = True  # hold the frame: what the walls show when the key comes
        live.tick()
        live.windows.render()
        playing = live.windows.grab()
        assert np.abs(playing.astype(int) - still).mean() > 15  # a later frame than the first
        inject(live.windows, "Right")
        now = time.perf_counter()
        live.tick(now)
        live.windows.advance_fade(now)  # the fade's first frame: all "previous"
        live.windows.render()
        first = live.windows.grab()
        assert np.abs(first.astype(int) - playing).mean() < 3, "the fade must start from the video's frame"
    finally:
        live.close()
