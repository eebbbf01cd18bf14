"""A show's memory check counts the answering worker's kept frames and its two renders (issue 25:
the worker's frames, 1.2 GB at 8192 wide, were left out of the room's check)."""

import numpy as np
import pytest

from bridge.backend import use_offscreen
from bridge.errors import BridgeError
from bridge.room.load import load_room
from bridge.room.model import render_bytes
from bridge.show.answer import _Worker
from bridge.show.memory import KEEP_FRAMES, check_show_memory, show_bytes
from tests.conftest import write_scene
from tests.test_answer import SCENE


def test_kept_frames_grow_with_the_steps_up_to_what_the_worker_keeps():
    room = load_room("bridge")
    one, renders, kept_one = show_bytes(room, 8192, 4096, 1)
    assert renders == 2 * render_bytes(room, 8192, 4096)[0]
    per_step = 3 * (8192 * 4096 + 5 * 1920 * 1200)
    assert kept_one == per_step
    assert show_bytes(room, 8192, 4096, KEEP_FRAMES)[2] == KEEP_FRAMES * per_step
    assert show_bytes(room, 8192, 4096, 100)[2] == KEEP_FRAMES * per_step  # the worker drops the oldest
    assert show_bytes(room, 8192, 4096, 7, video_steps=1)[2] == 7 * per_step + 2 * 3 * 8192 * 4096


def test_a_show_that_would_not_fit_is_refused_with_what_it_holds():
    room = load_room("bridge")
    check_show_memory(room, 8192, 4096, 7, 1)  # the sample briefing at the room's own size
    render_bytes(room, 16384, 8192)  # a single render of this size is allowed …
    with pytest.raises(BridgeError) as info:  # … but not a long video briefing's show
        check_show_memory(room, 16384, 8192, 20, 3)
    text = str(info.value)
    assert text.startswith("--size: a show of 20 steps at 16384×8192 in ") and "answering worker" in text
    assert "use a smaller --size" in text


@pytest.mark.slow
def test_the_estimate_holds_what_a_worker_keeps(workdir, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    use_offscreen()
    room = load_room("rehearsal")
    worker = _Worker(write_scene(workdir, SCENE), "rehearsal", (1024, 512))
    for s in range(2):
        worker.warm(s)
    held = sum(f.nbytes for f in worker.frames.values()) + sum(i.nbytes for imgs in worker.images.values() for i in imgs)
    assert held == show_bytes(room, 1024, 512, 2)[2], (held, show_bytes(room, 1024, 512, 2))
    assert all(isinstance(f, np.ndarray) for f in worker.frames.values())


def test_launch_refuses_a_show_too_big_before_preparing(workdir, monkeypatch):
    import io
    from pathlib import Path

    from rich.console import Console

    from bridge.show import launch as show_launch
    from bridge.show.launch import LaunchOptions, launch

    monkeypatch.setenv("DISPLAY", ":987")  # nothing opens a window: the check comes first
    steps = "".join(f"  - {{title: Step {k}, show: [note]}}\n" for k in range(20))
    from tests.conftest import MINIMAL
    path = write_scene(workdir, MINIMAL.split("steps:")[0] + "steps:\n" + steps)
    prepared = []
    monkeypatch.setattr(show_launch, "_prepare", lambda *a, **k: prepared.append(1))
    with pytest.raises(BridgeError) as info:
        launch(LaunchOptions(scene=Path(path), size=(16384, 8192), port=0), lambda: load_room("bridge"),
               Console(file=io.StringIO()), lambda: None)
    assert str(info.value).startswith("--size: a show of 20 steps at 16384×8192 in "), str(info.value)
    assert not prepared
