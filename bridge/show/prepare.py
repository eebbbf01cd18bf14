"""Prepared steps: every step rendered and split for the room before the show, cached on disk.

A show must never wait for a render, so `bridge launch` renders every step and splits it
into projector images up front; stepping then only swaps images.  The result is cached
under a key hashed from the scene file's bytes, its data files' bytes, the room's
geometry and the frame size, so launching an unchanged scene again starts at once.

Rendering runs in a child process, never in the show's: VTK holds the interpreter lock
while it renders and its OpenGL contexts do not mix across threads, so a render in a
thread would freeze the show's windows for seconds.  The child (offscreen: EGL or OSMesa)
writes the cache entry; the show maps it back in.  A background thread in the show waits
for the child, so the windows keep answering keys while a reload is prepared.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from bridge import __version__
from bridge.errors import BridgeError, Problem
from bridge.scene.params import plain

PREPARE_VERSION = 4  # 3: each step's 360° view as a JPEG (the web's watch page); 4: video steps' panel layers
VIEW_WIDTH = 4096  # the JPEG of a step's 360° view: what a browser's viewer needs, not the room's 8192
KEEP_ENTRIES = 4  # cache entries kept (each is steps × projectors images)
Progress = Callable[[str, int, int], None]


@dataclass
class Prepared:
    """Every step's projector images, ready to show, and what the presenter needs to know."""

    key: str
    title: str
    titles: list[str]
    notes: list[str]
    transition_ms: int
    frames: list[np.ndarray]  # per projector: (steps, height, width, 3) uint8, possibly memory-mapped
    watched: list[Path]  # the scene and its data files
    from_cache: bool = False
    params: list[dict] = field(default_factory=list)  # name, values, labels, default: for the presenter
    step_params: list[dict] = field(default_factory=list)  # what each step's params: sets
    chosen: dict = field(default_factory=dict)  # the live values these frames were rendered with
    reads: list[list[str]] = field(default_factory=list)  # per step: the parameters its panels read
    folder: Path | None = None  # the cache entry: holds view-NN.jpg, each step's 360° view
    texts: list[list[str]] = field(default_factory=list)  # per step: its content as lines of text (the watch page)
    videos: list[dict | None] = field(default_factory=list)  # per step: its video backdrop (file, loop), or None

    def video(self, step: int) -> dict | None:
        """Step `step`'s (0-based) video backdrop, if it has one whose panel layers are prepared."""
        return self.videos[step] if step < len(self.videos) else None

    def layers(self, step: int) -> list[np.ndarray] | None:
        """Step `step`'s panel layer per projector (bridge/show/video.py), memory-mapped; None if absent."""
        if self.folder is None or self.video(step) is None:
            return None
        try:
            return [np.load(self.folder / f"layer-{step + 1:02d}-{i + 1}.npy", mmap_mode="r") for i in range(len(self.frames))]
        except (OSError, ValueError):
            return None

    def view_jpeg(self, step: int) -> bytes | None:
        """Step `step`'s (0-based) 360° view as a JPEG, for the web's watch page; None if there is none."""
        if self.folder is None:
            return None
        try:
            return (self.folder / f"view-{step + 1:02d}.jpg").read_bytes()
        except OSError:
            return None

    @property
    def step_count(self) -> int:
        return len(self.titles)


def prepare_patterns(room, size: tuple[int, int], progress: Progress | None = None) -> Prepared:
    """The calibration patterns as a show's steps, so an operator can align the room live."""
    from bridge.room.patterns import PATTERNS, pattern_frame
    from bridge.room.compositor import Compositor

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


def cache_root() -> Path:
    from bridge.room.compositor import cache_dir

    return cache_dir().parent / "show"


def watched_files(scene_path: Path) -> list[Path]:
    """The scene file and every file it reads: data, theme, rasters, images (BridgeError for a bad scene)."""
    from bridge.scene.model import load_scene

    scene, _ = load_scene(scene_path)
    return [Path(scene_path).resolve()] + scene.input_files()


def content_key(scene_path: Path, room, size: tuple[int, int], chosen: dict | None = None) -> tuple[str, list[Path]]:
    """Hash of everything the frames depend on (files, room, size, live parameter values);
    raises BridgeError if the scene is unreadable."""
    files = watched_files(scene_path)
    h = hashlib.sha256(f"v{PREPARE_VERSION}:{__version__}:{room.digest}:{size[0]}x{size[1]}".encode())
    h.update(json.dumps(chosen or {}, sort_keys=True, default=str).encode())
    for path in files:
        h.update(str(path).encode())
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError:
            h.update(b"<missing>")  # the child reports the missing file with its line
    return h.hexdigest()[:24], files


def load_cached(key: str, watched: list[Path]) -> Prepared | None:
    """A finished cache entry, memory-mapped; None if absent or damaged."""
    folder = cache_root() / key
    try:
        meta = json.loads((folder / "meta.json").read_text())
        frames = [np.load(folder / f"projector-{i + 1}.npy", mmap_mode="r") for i in range(meta["projectors"])]
    except (OSError, ValueError, KeyError):
        return None
    if any(f.shape[0] != len(meta["titles"]) for f in frames):
        return None
    os.utime(folder)  # most recently used: kept longest
    return Prepared(key, meta["title"], meta["titles"], meta["notes"], meta["transition_ms"], frames, watched, True,
                    meta.get("params", []), meta.get("step_params", []), meta.get("chosen", {}), meta.get("reads", []),
                    folder, meta.get("texts", []), meta.get("videos", []))


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
        result = None
        while result is None:
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
                result = message[1]
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
    if result != key:  # a file changed while rendering: the caller's watcher asks again
        key, watched = result, watched_files(scene_path)
    prepared = load_cached(key, watched)
    if prepared is None:
        raise BridgeError(Problem(cache_root() / key, None, None, "the prepared frames could not be read back; is the disk full?"))
    prepared.from_cache = False
    return prepared


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
        from bridge.room.profile import load_room

        room = load_room(room_source)
        key_after = render_to_cache(Path(scene_path), room, size, key,
                                    lambda what, done, total: messages.put(("progress", what, done, total)), chosen)
        messages.put(("done", key_after))
    except BridgeError as exc:
        messages.put(("error", [(str(p.file) if p.file is not None else None, p.line, p.key, p.message) for p in exc.problems]))
    except BaseException:  # noqa: BLE001 - a bug: hand the traceback to the show's log
        messages.put(("crash", traceback.format_exc()))


def step_keys(briefing, room, size: tuple[int, int], chosen: dict | None = None) -> list[str]:
    """One hash per step of everything its frame depends on, so an edit re-renders only the
    steps it touches: every input file, the scene's shared settings, the step's own show,
    highlight and marks, and the panels it shows.  Titles and notes are not in it (editing
    presenter notes re-renders nothing)."""
    raw = briefing.data.doc.data
    h = hashlib.sha256(f"v{PREPARE_VERSION}:{__version__}:{room.digest}:{size[0]}x{size[1]}".encode())
    for path in briefing.scene.input_files():
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<missing>")
    shared = {k: v for k, v in raw.items() if k not in ("panels", "steps", "transition_ms", "title")}
    h.update(json.dumps(shared, sort_keys=True, default=str).encode())
    common = h.hexdigest()
    panels = {p.get("id"): p for p in raw["panels"] if isinstance(p, dict)}
    keys = []
    for s, step in enumerate(raw["steps"]):
        own = {k: v for k, v in step.items() if k not in ("title", "notes")}
        shown = [panels.get(panel_id) for panel_id in step.get("show", [])]
        read = set().union(*(briefing.reads(p) for p in step.get("show", []) if p in panels))
        values = effective_params(briefing, s, chosen)
        asked = {name: values[name] for name in sorted(read) if name in values}
        keys.append(hashlib.sha256(json.dumps([common, own, shown, asked], sort_keys=True, default=str).encode()).hexdigest()[:24])
    return keys


def view_jpeg(frame: np.ndarray, width: int = VIEW_WIDTH) -> bytes:
    """A 360° frame as a JPEG at most `width` wide (2:1), for a browser's drag-to-look viewer."""
    import io

    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(frame[..., :3]))
    if image.width > width:
        image = image.reduce(image.width // width) if image.width % width == 0 else image.resize((width, width // 2), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def effective_params(briefing, step_index: int, chosen: dict | None = None) -> dict:
    """Parameter values a step is shown with: the live pick, else the step's, else the default."""
    defaults = {name: plain(value) for name, value in briefing.data.params.items()}
    return {**defaults, **briefing.scene.steps[step_index].params, **(chosen or {})}


def param_specs(briefing) -> list[dict]:
    """Each parameter's values and labels as JSON, for the presenter (the all option is "all")."""
    from bridge.scene.params import label

    specs = []
    for name, param in briefing.scene.params.items():
        options = briefing.data.param_options.get(name, [])
        specs.append({"name": name, "type": param.type, "values": [plain(v) for v in options],
                      "labels": [label(param, v) for v in options], "default": plain(briefing.data.params.get(name))})
    return specs


def _reusable_steps(root: Path, room, size: tuple[int, int]) -> dict[str, tuple[Path, int]]:
    """Step key → (cache entry, index) for every step already rendered for this room and size."""
    found: dict[str, tuple[Path, int]] = {}
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime)
    for folder in entries:  # oldest first: newer entries win
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError):
            continue
        if meta.get("size") == list(size) and meta.get("projectors") == len(room.projectors):
            for index, step_key in enumerate(meta.get("step_keys", [])):
                found[step_key] = (folder, index)
    return found


def render_to_cache(scene_path: Path, room, size: tuple[int, int], key: str, progress: Progress | None = None,
                    chosen: dict | None = None) -> str:
    """Render and split the steps into a new cache entry; returns the key it was stored under.

    Steps whose frames an earlier entry already holds (same step key) are copied, not rendered.
    """
    from bridge.room.compositor import Compositor
    from bridge.export.accessible import step_lines
    from bridge.render.backdrop import layer_frames
    from bridge.render.pipeline import PanelArt, Views, add_panels, load_briefing, make_renderer, render_step
    from bridge.show.video import panel_layer

    briefing = load_briefing(scene_path)
    chosen = dict(chosen or {})
    scene = briefing.scene
    width, height = size
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    keys = step_keys(briefing, room, size, chosen)
    raw_titles = [st.get("title") if isinstance(st, dict) else None for st in briefing.data.doc.data["steps"]]
    reusable = _reusable_steps(root, room, size)
    to_render = [s for s, step_key in enumerate(keys) if step_key not in reusable]
    check_disk(root, entry_bytes(room, scene), scene_path)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        n = len(scene.steps)
        frames = [np.lib.format.open_memmap(tmp / f"projector-{p.number}.npy", mode="w+", dtype=np.uint8,
                                            shape=(n, p.height, p.width, 3)) for p in room.projectors]
        for s, step_key in enumerate(keys):
            if step_key in reusable:
                folder, index = reusable[step_key]
                for i, dst in enumerate(frames):
                    dst[s] = np.load(folder / f"projector-{i + 1}.npy", mmap_mode="r")[index]
                for name, ours in [(f"view-{index + 1:02d}.jpg", f"view-{s + 1:02d}.jpg")] + [
                        (f"layer-{index + 1:02d}-{i + 1}.npy", f"layer-{s + 1:02d}-{i + 1}.npy") for i in range(len(frames))]:
                    try:
                        shutil.copyfile(folder / name, tmp / ours)
                    except OSError:
                        pass
        if to_render:
            art = PanelArt(briefing, width)
            compositor = Compositor(room, width, height)
            needed = {panel_id for s in to_render for panel_id in scene.steps[s].show}
            with make_renderer(briefing, width, height) as renderer:
                add_panels(renderer, briefing, art, progress, only=needed)
                views = Views(briefing, art)
                for done, s in enumerate(to_render):
                    wanted = {**scene.steps[s].params, **chosen}
                    view = views.place(renderer, briefing.view(wanted) if wanted else briefing, scene.steps[s].show)
                    frame = render_step(renderer, view, views.art(view), s)
                    for dst, image in zip(frames, compositor.split(frame)):
                        dst[s] = image[..., :3]
                    (tmp / f"view-{s + 1:02d}.jpg").write_bytes(view_jpeg(frame))
                    if scene.step_video(s):
                        black, white = layer_frames(renderer, view, s)
                        for i, layer in enumerate(panel_layer(compositor, black, white, scene.step_video(s).brightness)):
                            np.save(tmp / f"layer-{s + 1:02d}-{i + 1}.npy", layer)
                    if progress:
                        progress("preparing steps", done + 1, len(to_render))
        for f in frames:
            f.flush()
        del frames
        titles = [(briefing.view({**st.params, **chosen}) if (st.params or chosen) and "{params." in (raw_titles[k] or "")
                   else briefing).scene.steps[k].title for k, st in enumerate(scene.steps)]
        meta = {"title": scene.title, "titles": titles, "notes": [s.notes for s in scene.steps],
                "transition_ms": scene.transition_ms, "projectors": len(room.projectors), "size": [width, height],
                "step_keys": keys, "rendered": to_render, "params": param_specs(briefing),
                "step_params": [{k: plain(v) for k, v in st.params.items()} for st in scene.steps], "chosen": chosen,
                "texts": step_lines(briefing),  # the watch page's screen-reader view
                "videos": [_video_meta(scene, s) for s in range(n)],
                "reads": [sorted(set().union(*(briefing.reads(p) for p in st.show))) for st in scene.steps]}
        (tmp / "meta.json").write_text(json.dumps(meta))
        # Stored under the content it was rendered from: if a file changed meanwhile, hash again.
        key_now, _ = content_key(scene_path, room, size, chosen)
        if key_now != key:
            key = hashlib.sha256(f"stale:{key}:{key_now}".encode()).hexdigest()[:24]  # never matches a real key
        final = root / key
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _prune(root)
    return key


DISK_SPARE = 512 * 1024**2  # left free on the cache's disk after an entry is written


def entry_bytes(room, scene) -> int:
    """What a cache entry of this scene takes on disk: every step's projector images, and a
    video step's panel layer (four bytes a projector pixel) besides; the views are small."""
    pixels = sum(p.width * p.height for p in room.projectors)
    videos = sum(1 for s in range(len(scene.steps)) if scene.step_video(s))
    return len(scene.steps) * pixels * 3 + videos * pixels * 4


def check_disk(root: Path, needed: int, scene_path: Path) -> None:
    """Refuse (BridgeError) an entry the cache's disk cannot hold, before anything is written."""
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        return
    if needed + DISK_SPARE > free:
        raise BridgeError(Problem(scene_path, None, None,
            f"preparing the steps needs {needed / 1024**3:.1f} GB in {root} and only {free / 1024**3:.1f} GB is free; "
            "free some space, or set BRIDGE_CACHE to a folder on a larger disk"))


def _video_meta(scene, step: int) -> dict | None:
    """What the show needs to play a step's video backdrop: its file (inside the briefing's
    folders: the scene checked it) and whether it loops."""
    video = scene.step_video(step)
    return {"file": str(scene.path(video.video)), "loop": video.loop} if video else None


def _prune(root: Path) -> None:
    """Keep the most recently used entries only."""
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)


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
        self.chosen: dict = {}  # the live parameter values the next preparation renders with
        self._busy = False
        self._lock = threading.Lock()
        self._outcomes: queue.Queue[Outcome] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._busy or self._pending is not None

    def request(self, reason: str, chosen: dict | None = None) -> None:
        with self._lock:
            self._pending = reason
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
                chosen = dict(self.chosen)
                if reason is None:
                    self._busy = False
                    return
            try:
                prepared = prepare(self.scene_path, self.room, self.size, self.progress, chosen=chosen)
                self._outcomes.put(Outcome(prepared, reason=reason))
            except BridgeError as exc:
                self._outcomes.put(Outcome(problems=exc.problems, reason=reason))
            except Exception:  # noqa: BLE001 - keep the show up; the log gets the traceback
                self._outcomes.put(Outcome(crash=traceback.format_exc(), reason=reason))

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
