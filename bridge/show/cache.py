"""The prepared-steps cache on disk: its keys, its entries, and whether the disk can hold one.

A show must never wait for a render, so every step is rendered and split for the room before
the show (bridge/show/preparer.py) and stored here, under a key hashed from the scene file's
bytes, its data files' bytes, the room's geometry and the frame size: launching an unchanged
scene again starts at once.  Each step also has a key of its own, so an edit re-renders only
the steps it touches and the rest are copied from an earlier entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge import __version__
from bridge.errors import BridgeError, Problem
from bridge.scene.params import plain

PREPARE_VERSION = 5  # 3: each step's 360° view as a JPEG (the web's watch page); 4: video steps' panel layers;
# 5: title templates and where each step's content is (the remote's live titles, the watch page's turn)
VIEW_WIDTH = 4096  # the JPEG of a step's 360° view: what a browser's viewer needs, not the room's 8192
KEEP_ENTRIES = 4  # cache entries kept (each is steps × projectors images)
DISK_SPARE = 512 * 1024**2  # left free on the cache's disk after an entry is written


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
    templates: list[str | None] = field(default_factory=list)  # per step: its title as written, if it names {params.…}
    looks: list[list[float] | None] = field(default_factory=list)  # per step: (yaw, pitch) of its content, or None

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


def cache_root() -> Path:
    from bridge.cache_folder import cache_folder

    return cache_folder() / "show"


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
                    folder, meta.get("texts", []), meta.get("videos", []), meta.get("templates", []), meta.get("looks", []))


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
        digest = hashlib.sha256(json.dumps([common, own, shown, asked], sort_keys=True, default=str).encode())
        keys.append(digest.hexdigest()[:24])
    return keys


def effective_params(briefing, step_index: int, chosen: dict | None = None) -> dict:
    """Parameter values a step is shown with: the live pick, else the step's, else the default."""
    defaults = {name: plain(value) for name, value in briefing.data.params.items()}
    return {**defaults, **briefing.scene.steps[step_index].params, **(chosen or {})}


def view_jpeg(frame: np.ndarray, width: int = VIEW_WIDTH) -> bytes:
    """A 360° frame as a JPEG at most `width` wide (2:1), for a browser's drag-to-look viewer."""
    import io

    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(frame[..., :3]))
    if image.width > width:
        image = (image.reduce(image.width // width) if image.width % width == 0
                 else image.resize((width, width // 2), Image.Resampling.LANCZOS))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def reusable_steps(root: Path, room, size: tuple[int, int]) -> dict[str, tuple[Path, int]]:
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


def copy_reused(frames: Sequence[np.ndarray], keys: list[str], reusable: dict[str, tuple[Path, int]], into: Path) -> None:
    """Fill each step an earlier entry already holds from that entry: its projector images, and
    its 360° view and panel layers where it has them."""
    for s, step_key in enumerate(keys):
        if step_key not in reusable:
            continue
        folder, index = reusable[step_key]
        for i, dst in enumerate(frames):
            dst[s] = np.load(folder / f"projector-{i + 1}.npy", mmap_mode="r")[index]
        for name, ours in [(f"view-{index + 1:02d}.jpg", f"view-{s + 1:02d}.jpg")] + [
                (f"layer-{index + 1:02d}-{i + 1}.npy", f"layer-{s + 1:02d}-{i + 1}.npy") for i in range(len(frames))]:
            try:
                shutil.copyfile(folder / name, into / ours)
            except OSError:
                pass


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


def store(tmp: Path, root: Path, key: str) -> None:
    """Move a finished entry in under its key, replacing one already there."""
    final = root / key
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def prune(root: Path) -> None:
    """Keep the most recently used entries only."""
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)
