"""Preparing a show's steps: every step rendered and split for the room, in a child process.

Rendering runs in a child process, never in the show's: VTK holds the interpreter lock
while it renders and its OpenGL contexts do not mix across threads, so a render in a
thread would freeze the show's windows for seconds.  The child (offscreen: EGL or OSMesa)
writes the cache entry (bridge/show/cache.py); the show maps it back in.  A background
thread in the show waits for the child, so the windows keep answering keys while a reload
is prepared.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import json
import math
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, Problem
from bridge.scene.params import plain
from bridge.show.cache import (
    Prepared,
    cache_root,
    check_disk,
    content_key,
    copy_reused,
    entry_bytes,
    load_cached,
    prune,
    reusable_steps,
    store,
    view_jpeg,
    watched_files,
)
from bridge.show.refresh import data_digests, step_keys

Progress = Callable[[str, int, int], None]


def prepare_patterns(room, size: tuple[int, int], progress: Progress | None = None) -> Prepared:
    """The calibration patterns as a show's steps, so an operator can align the room live."""
    from bridge.room.compositor import Compositor
    from bridge.room.patterns import PATTERNS, pattern_frame

    width, height = size
    compositor = Compositor(room, width, height)
    frames = [np.empty((len(PATTERNS), p.height, p.width, 3), np.uint8) for p in room.projectors]
    for k, name in enumerate(PATTERNS):
        for dst, image in zip(frames, compositor.split(pattern_frame(name, room, width, height))):
            dst[k] = image
        if progress:
            progress("drawing test patterns", k + 1, len(PATTERNS))
    notes = {
        "grid": "Lines every 10°: they must run on unbroken across projector boundaries.",
        "blend": "Flat white: the overlaps must be neither brighter nor darker than the rest.",
        "ids": "Each projector's number at its centre: check each is on its own wall.",
        "colour": "Colour bars and a grey ramp: match colour and gamma across projectors.",
    }
    return Prepared("patterns", f"Test patterns — {room.name}", [f"Test pattern: {n}" for n in PATTERNS],
                    [notes[n] for n in PATTERNS], 0, frames, [])


def default_size(room) -> tuple[int, int]:
    """An equirectangular frame about as sharp as the room's sharpest projector (≤ 8192 wide)."""
    px_per_degree = max(p.width / p.span for p in room.projectors)
    width = int(min(8192, max(1024, math.ceil(360 * px_per_degree / 512) * 512)))
    return width, width // 2


def prepare(scene_path: Path, room, size: tuple[int, int] | None = None, progress: Progress | None = None,
            use_cache: bool = True, chosen: dict | None = None) -> Prepared:
    """Load from the cache, or render in a child process and then load; raises BridgeError.
    `chosen`: parameter values the presenter picked live (they win over the steps')."""
    size = size or default_size(room)
    chosen = dict(chosen or {})
    key, watched = content_key(scene_path, room, size, chosen)
    if use_cache:
        hit = load_cached(key, watched)
        if hit is not None:
            return hit
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited VTK or X state
    messages = ctx.Queue()
    child = ctx.Process(target=_child, args=(str(scene_path), room.source, size, key, messages, chosen), daemon=True)
    child.start()
    try:
        result = _wait_for_child(child, messages, scene_path, progress)
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
    if result != key:  # a file changed while rendering: the caller's watcher asks again
        key, watched = result, watched_files(scene_path)
    prepared = load_cached(key, watched)
    if prepared is None:
        raise BridgeError(Problem(cache_root() / key, None, None,
                                  "the prepared frames could not be read back; is the disk full?"))
    prepared.from_cache = False
    return prepared


def _wait_for_child(child, messages, scene_path: Path, progress: Progress | None) -> str:
    """Pass the child's progress on until it says which key it stored; raise what stopped it."""
    while True:
        try:
            message = messages.get(timeout=0.2)
        except queue.Empty:
            if not child.is_alive():
                try:  # it may have posted its result just before exiting
                    message = messages.get(timeout=1.0)
                except queue.Empty:
                    raise BridgeError(Problem(scene_path, None, None,
                        f"preparing the steps failed: the render process stopped (exit code {child.exitcode})")) from None
            else:
                continue
        kind = message[0]
        if kind == "progress" and progress:
            progress(*message[1:])
        elif kind == "error":
            raise BridgeError([Problem(*p) for p in message[1]])
        elif kind == "crash":
            raise RuntimeError(f"preparing the steps crashed in the render process:\n{message[1]}")
        elif kind == "done":
            return message[1]


def _child(scene_path: str, room_source: str, size: tuple[int, int], key: str, messages, chosen: dict | None = None) -> None:
    """Render every step in this (spawned) process and write the cache entry."""
    from bridge.show.children import die_with_spawner

    die_with_spawner()  # a killed show leaves no worker holding its frames
    # Offscreen rendering must not open windows on the show's X server when a headless
    # backend exists; with none (an unusual machine) VTK renders on the display hidden.
    if ctypes.util.find_library("EGL") or ctypes.util.find_library("OSMesa"):
        os.environ.pop("DISPLAY", None)
        os.environ.pop("WAYLAND_DISPLAY", None)
    devnull = os.open(os.devnull, os.O_WRONLY)  # VTK warnings would scribble over the console
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        from bridge.room.load import load_room

        room = load_room(room_source)
        key_after = render_to_cache(Path(scene_path), room, size, key,
                                    lambda what, done, total: messages.put(("progress", what, done, total)), chosen)
        messages.put(("done", key_after))
    except BridgeError as exc:
        messages.put(("error", [(str(p.file) if p.file is not None else None, p.line, p.key, p.message) for p in exc.problems]))
    except BaseException:  # noqa: BLE001 - a bug: hand the traceback to the show's log
        messages.put(("crash", traceback.format_exc()))


def param_specs(briefing) -> list[dict]:
    """Each parameter's values and labels as JSON, for the presenter (the all option is "all")."""
    from bridge.scene.params import label

    specs = []
    for name, param in briefing.scene.params.items():
        options = briefing.data.param_options.get(name, [])
        specs.append({"name": name, "type": param.type, "values": [plain(v) for v in options],
                      "labels": [label(param, v) for v in options], "default": plain(briefing.data.params.get(name))})
    return specs


def render_to_cache(scene_path: Path, room, size: tuple[int, int], key: str, progress: Progress | None = None,
                    chosen: dict | None = None) -> str:
    """Render and split the steps into a new cache entry; returns the key it was stored under.

    Steps whose frames an earlier entry already holds (same step key) are copied, not rendered.
    """
    import time

    from bridge.render.briefing import load_briefing

    read_at = time.time()  # the data's "as of" time in the show (bridge/show/refresh.py)
    briefing = load_briefing(scene_path)
    chosen = dict(chosen or {})
    scene = briefing.scene
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    keys = step_keys(briefing, room, size, chosen)
    reusable = reusable_steps(root, room, size)
    to_render = [s for s, step_key in enumerate(keys) if step_key not in reusable]
    check_disk(root, entry_bytes(room, scene), scene_path)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        n = len(scene.steps)
        frames = [np.lib.format.open_memmap(tmp / f"projector-{p.number}.npy", mode="w+", dtype=np.uint8,
                                            shape=(n, p.height, p.width, 3)) for p in room.projectors]
        copy_reused(frames, keys, reusable, tmp)
        if to_render:
            _render_steps(briefing, room, size, chosen, to_render, frames, tmp, progress)
        for f in frames:
            f.flush()
        del frames
        meta = _meta(briefing, room, size, chosen, keys, to_render)
        meta.update(read_at=read_at, data=data_digests(briefing))  # what a refresh compares (bridge/show/refresh.py)
        (tmp / "meta.json").write_text(json.dumps(meta))
        # Stored under the content it was rendered from: if a file changed meanwhile, hash again.
        key_now, _ = content_key(scene_path, room, size, chosen)
        if key_now != key:
            key = hashlib.sha256(f"stale:{key}:{key_now}".encode()).hexdigest()[:24]  # never matches a real key
        store(tmp, root, key)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    prune(root)
    return key


def _render_steps(briefing, room, size: tuple[int, int], chosen: dict, to_render: list[int],
                  frames: Sequence[np.ndarray], into: Path, progress: Progress | None) -> None:
    """Render the steps no earlier entry holds into `frames`, with each one's 360° view and a
    video step's panel layers beside them in `into`."""
    from bridge.render.backdrop import layer_frames
    from bridge.render.pipeline import PanelArt, Views, add_panels, make_renderer, prefetch, render_step
    from bridge.room.compositor import Compositor
    from bridge.show.video import panel_layer

    scene = briefing.scene
    width, height = size
    art = PanelArt(briefing, width)
    needed = {panel_id for s in to_render for panel_id in scene.steps[s].show}
    prefetch([(art, panel_id, frozenset()) for panel_id in sorted(needed)])  # side by side, before VTK starts
    compositor = Compositor(room, width, height)
    with make_renderer(briefing, width, height) as renderer:
        add_panels(renderer, briefing, art, progress, only=needed)
        views = Views(briefing, art)
        for done, s in enumerate(to_render):
            wanted = {**scene.steps[s].params, **chosen}
            view = views.place(renderer, briefing.view(wanted) if wanted else briefing, scene.steps[s].show)
            frame = render_step(renderer, view, views.art(view), s)
            for dst, image in zip(frames, compositor.split(frame)):
                dst[s] = image[..., :3]
            (into / f"view-{s + 1:02d}.jpg").write_bytes(view_jpeg(frame))
            if scene.step_video(s):
                black, white = layer_frames(renderer, view, s)
                for i, layer in enumerate(panel_layer(compositor, black, white, scene.step_video(s).brightness)):
                    np.save(into / f"layer-{s + 1:02d}-{i + 1}.npy", layer)
            if progress:
                progress("preparing steps", done + 1, len(to_render))


def _meta(briefing, room, size: tuple[int, int], chosen: dict, keys: list[str], rendered: list[int]) -> dict:
    """The entry's meta.json: what the presenter, the web and the next preparation read back."""
    from bridge.export.accessible import step_lines
    from bridge.scene.params import REFERENCE, is_template
    from bridge.show.snapshot import step_looks

    scene = briefing.scene
    raw_titles = [st.get("title") if isinstance(st, dict) else None for st in briefing.data.doc.data["steps"]]
    titles = [(briefing.view({**st.params, **chosen}) if (st.params or chosen) and REFERENCE.search(raw_titles[k] or "")
               else briefing).scene.steps[k].title for k, st in enumerate(scene.steps)]
    return {"title": scene.title, "titles": titles, "notes": [s.notes for s in scene.steps],
            "transition_ms": scene.transition_ms, "projectors": len(room.projectors), "size": list(size),
            "step_keys": keys, "rendered": rendered, "params": param_specs(briefing),
            "step_params": [{k: plain(v) for k, v in st.params.items()} for st in scene.steps], "chosen": chosen,
            "texts": step_lines(briefing),  # the watch page's screen-reader view
            "videos": [_video_meta(scene, s) for s in range(len(scene.steps))],
            # Titles the room can fill from parameter values alone (one that reads the data keeps its prepared text)
            "templates": [t if isinstance(t, str) and is_template(t) else None for t in raw_titles],
            "looks": step_looks(scene),
            "reads": [sorted(set().union(*(briefing.reads(p) for p in st.show))) for st in scene.steps]}


def _video_meta(scene, step: int) -> dict | None:
    """What the show needs to play a step's video backdrop: its file (inside the briefing's
    folders: the scene checked it) and whether it loops."""
    video = scene.step_video(step)
    return {"file": str(scene.path(video.video)), "loop": video.loop} if video else None


@dataclass
class Outcome:
    """What a background preparation ended with: new frames, or the problems that stopped it."""

    prepared: Prepared | None = None
    problems: list[Problem] = field(default_factory=list)
    crash: str | None = None
    reason: str = ""


class BackgroundPreparer:
    """Re-prepares in a background thread on request; the show polls for the outcome.

    Requests while one is running are merged into one more run afterwards, so a burst of
    saves from an editor costs at most two preparations.
    """

    def __init__(self, scene_path: Path, room, size: tuple[int, int], progress: Progress | None = None):
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.progress = progress
        self._pending: str | None = None
        self._fresh = False  # the next run reads the data again even if the files' bytes did not change
        self.chosen: dict = {}  # the live parameter values the next preparation renders with
        self._busy = False
        self._lock = threading.Lock()
        self._outcomes: queue.Queue[Outcome] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._busy or self._pending is not None

    def request(self, reason: str, chosen: dict | None = None, fresh: bool = False) -> None:
        """Prepare again; `fresh`: not from the whole-entry cache (a refreshed dataset, whose source
        may be a database the cache key cannot see, bridge/show/refresh.py)."""
        with self._lock:
            self._pending = reason
            self._fresh = self._fresh or fresh
            if chosen is not None:
                self.chosen = dict(chosen)
            if self._thread is None or not self._thread.is_alive():
                self._busy = True
                self._thread = threading.Thread(target=self._run, name="bridge-prepare", daemon=True)
                self._thread.start()

    def poll(self) -> Outcome | None:
        try:
            return self._outcomes.get_nowait()
        except queue.Empty:
            return None

    def _run(self) -> None:
        while True:
            with self._lock:
                reason, self._pending = self._pending, None
                fresh, self._fresh = self._fresh, False
                chosen = dict(self.chosen)
                if reason is None:
                    self._busy = False
                    return
            try:
                prepared = prepare(self.scene_path, self.room, self.size, self.progress, use_cache=not fresh, chosen=chosen)
                self._outcomes.put(Outcome(prepared, reason=reason))
            except BridgeError as exc:
                self._outcomes.put(Outcome(problems=exc.problems, reason=reason))
            except Exception:  # noqa: BLE001 - keep the show up; the log gets the traceback
                self._outcomes.put(Outcome(crash=traceback.format_exc(), reason=reason))

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
