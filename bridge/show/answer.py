"""Answering the room's questions live: a render process kept warm for parameter changes.

When the presenter changes a parameter, only the panels that read it change.  A flat
panel's picture lands on its yaw/pitch rectangle of the equirectangular frame (its strip's
columns are even in yaw and its rows even in height on the cylinder), so a redrawn panel
is pasted straight into the step's frame (`paste_panel`), with no 3D render; a panel with
3D geometry (an extruded map) is re-placed and the step rendered again.  The frame is then
split for the projectors whose images changed.

The work runs in a spawned child (VTK holds the interpreter lock while rendering, and the
show must keep answering keys): it keeps the briefing, every dataset it read
(`bridge.data.tables.keep_tables`), the views already asked for, the panels' pictures and each
step's frame in memory.  The show sends `ask` (the presenter's values and the steps to
answer, current step first); the child answers the current step at once and the others
only after a second without a new question (a burst of + presses costs one step each),
dropping an ask that a newer one has overtaken.  Moving to a step not yet answered asks
again with that step first.  Projector images come back through the queue (a few tens of MB).

New data (bridge/show/refresh.py) takes the same path: `refresh` names the changed datasets; the
child forgets their tables (the others stay in memory), loads the briefing again and redraws only
the panels reading them, the step on the walls first.  Where such a panel is drawn in 3D or a
video plays, it answers `fallback` at once: the show prepares the steps in a child process instead.
"""

from __future__ import annotations

import ctypes.util
import math
import multiprocessing
import os
import queue
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, Problem
from bridge.geometry import pitch_to_y, x_to_yaw, y_to_pitch, yaw_to_x
from bridge.show.memory import KEEP_FRAMES, KEEP_UNDER  # what the worker keeps (counted before a show starts)

IDLE_BEFORE_OTHER_STEPS = 1.0  # seconds without a new question before steps not on the walls are answered


def paste_panel(frame: np.ndarray, image: np.ndarray, extent: tuple[float, float, float, float], shade: float = 1.0) -> None:
    """Draw a flat panel's picture into `frame` where the renderer would put it: columns even in
    yaw, rows even in height on the cylinder (tan of pitch), as `bridge.render.panorama.panel_mesh`
    maps its texture; `shade` < 1 dims it as a step's highlight does."""
    import cv2

    h, w = frame.shape[:2]
    y0, y1, p0, p1 = extent
    th, tw = image.shape[:2]
    x_start, x_end = math.floor(yaw_to_x(y0, w)), math.ceil(yaw_to_x(y1, w))
    r_start, r_end = max(0, math.floor(pitch_to_y(p1, h))), min(h, math.ceil(pitch_to_y(p0, h)))
    cols = np.arange(x_start, x_end)
    rows = np.arange(r_start, r_end)
    yaw = x_to_yaw(cols + 0.5, w)  # at the pixel centres
    pitch = y_to_pitch(rows + 0.5, h)
    u = (yaw - y0) / (y1 - y0)
    t0, t1 = math.tan(math.radians(p0)), math.tan(math.radians(p1))
    v = (np.tan(np.radians(pitch)) - t0) / (t1 - t0)  # 0 at the bottom edge, 1 at the top
    inside_c, inside_r = (u >= 0) & (u <= 1), (v >= 0) & (v <= 1)
    cols, u = cols[inside_c], u[inside_c]
    rows, v = rows[inside_r], v[inside_r]
    if not len(cols) or not len(rows):
        return
    # A picture much denser than the frame is first reduced by area (as mipmaps would), then sampled.
    scale = min(1.0, max(len(cols) / tw, len(rows) / th) * 1.25)
    if scale < 0.8:
        image = cv2.resize(image, (max(2, round(tw * scale)), max(2, round(th * scale))), interpolation=cv2.INTER_AREA)
        th, tw = image.shape[:2]
    map_x = np.broadcast_to((u * tw - 0.5).astype(np.float32), (len(rows), len(cols)))
    map_y = np.broadcast_to(((1 - v) * th - 0.5)[:, None].astype(np.float32), (len(rows), len(cols)))
    patch = cv2.remap(np.ascontiguousarray(image), np.ascontiguousarray(map_x), np.ascontiguousarray(map_y),
                      cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if shade < 1.0:
        patch = (patch.astype(np.float32) * shade + 0.5).astype(np.uint8)
    target = cols % w  # a panel across ±180° wraps round the frame
    if (np.diff(target) == 1).all():
        frame[rows[0]:rows[-1] + 1, target[0]:target[-1] + 1] = patch
    else:
        frame[rows[0]:rows[-1] + 1][:, target] = patch


def is_flat(panel) -> bool:
    """A panel whose picture is all it puts in the room (it does not override `place`)."""
    from bridge.panels.common.base import PanelModel

    return type(panel).place is PanelModel.place


@dataclass
class Answer:
    """What the worker sent: one step's changed projector images, or why it could not answer."""

    ask: int  # the ask it answers
    step: int | None = None
    images: dict[int, np.ndarray] = field(default_factory=dict)  # projector index -> image
    problems: list[Problem] = field(default_factory=list)
    crash: str | None = None
    seconds: float = 0.0  # work in the worker for this step
    how: str = ""  # "pasted 2 panels", "rendered"
    view: bytes | None = None  # the step's new 360° view as a JPEG (the web's watch page)
    layers: list[np.ndarray] | None = None  # a video step's new panel layer per projector (bridge/show/video.py)
    text: list[str] | None = None  # the step's content as lines for the watch page, as the new values read
    fallback: str | None = None  # a refresh the worker cannot paste: why (the show prepares the steps again)


class Answerer:
    """The show's handle on the warm worker: ask, poll, close."""

    def __init__(self, scene_path: Path, room, size: tuple[int, int]):
        ctx = multiprocessing.get_context("spawn")
        self.requests = ctx.Queue()
        self.results = ctx.Queue()
        self.asked = 0
        self.process = ctx.Process(target=_serve, args=(str(scene_path), room.source, tuple(size), self.requests, self.results),
                                   daemon=True, name="bridge-answer")
        self.process.start()

    def ask(self, chosen: dict, steps: list[int]) -> int:
        """Answer the presenter's values for `steps` (the current one first); returns the ask's number."""
        self.asked += 1
        self.requests.put(("ask", self.asked, dict(chosen), list(steps)))
        return self.asked

    def warm(self, steps: list[int]) -> None:
        """Render these steps' frames now, so the first question about them is quick."""
        self.requests.put(("warm", 0, {}, list(steps)))

    def refresh(self, chosen: dict, steps: list[int], datasets: list[str]) -> int:
        """New data in `datasets`: redraw the panels of `steps` reading them (current step first); returns
        the ask's number (a later ask overtakes it, its answers showing the new data too)."""
        self.asked += 1
        self.requests.put(("refresh", self.asked, dict(chosen), list(steps), list(datasets)))
        return self.asked

    def poll(self) -> list[Answer]:
        found = []
        while True:
            try:
                found.append(self.results.get_nowait())
            except queue.Empty:
                return found

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self) -> None:
        try:
            self.requests.put(("stop", 0, {}, []))
        except (OSError, ValueError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)


def _serve(scene_path: str, room_source: str, size: tuple[int, int], requests, results) -> None:
    """The worker: load once, then answer asks until told to stop."""
    from bridge.show.children import die_with_spawner

    die_with_spawner()  # a killed show leaves no worker holding its frames
    if ctypes.util.find_library("EGL") or ctypes.util.find_library("OSMesa"):
        os.environ.pop("DISPLAY", None)  # render offscreen, never on the show's X server
        os.environ.pop("WAYLAND_DISPLAY", None)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        worker = _Worker(Path(scene_path), room_source, size)
    except BridgeError as exc:
        results.put(Answer(0, problems=exc.problems))
        return
    except BaseException:  # noqa: BLE001 - a bug: the show logs it and falls back
        results.put(Answer(0, crash=traceback.format_exc()))
        return
    pending = None
    while True:
        message = pending or requests.get()
        pending = None
        refreshed = set(message[4]) if message[0] == "refresh" else set()
        try:  # only the newest ask matters: skip those it overtook (the data a refresh names is read all the same)
            while True:
                newer = requests.get_nowait()
                if newer[0] in ("stop", "ask", "refresh"):
                    message = newer
                    refreshed |= set(newer[4]) if newer[0] == "refresh" else set()
                    if newer[0] == "stop":
                        break
        except queue.Empty:
            pass
        kind, number, chosen, steps = message[:4]
        if kind == "stop":
            return
        if refreshed and (steps := _reload(worker, refreshed, message, results)) is None:
            continue
        for k, s in enumerate(steps):
            if k:  # the current step is answered; the others wait for a pause in the questions
                try:
                    pending = requests.get(timeout=IDLE_BEFORE_OTHER_STEPS)
                    break
                except queue.Empty:
                    pass
            answer: Answer | None = None  # a warmed step answers nothing
            fallback = "redrawing the new data failed" if kind == "refresh" else None
            try:
                if kind in ("ask", "refresh"):
                    answer = worker.answer(number, chosen, s)
                else:
                    worker.warm(s)
            except BridgeError as exc:
                results.put(Answer(number, s, problems=exc.problems, fallback=fallback))
                break
            except BaseException:  # noqa: BLE001
                results.put(Answer(number, s, crash=traceback.format_exc(), fallback=fallback))
                break
            if answer is not None:
                results.put(answer)


def _reload(worker: _Worker, datasets: set[str], message: tuple, results) -> list[int] | None:
    """Read the refreshed datasets again; the steps to answer (a refresh's steps it cannot paste are
    left to the show's preparation); None, and a `fallback` answer, when the data did not load or
    the first step (the one on the walls) draws a panel reading them in 3D or plays a video."""
    kind, number, _, steps = message[:4]
    try:
        worker.reload(datasets)
        why = {s: worker.cannot_paste(s) for s in steps} if kind == "refresh" else {}
    except BridgeError as exc:
        results.put(Answer(number, problems=exc.problems, fallback="reading the new data failed"))
        return None
    except BaseException:  # noqa: BLE001 - a bug: the show prepares the steps again instead
        results.put(Answer(number, crash=traceback.format_exc(), fallback="reading the new data failed"))
        return None
    if steps and why.get(steps[0]):
        results.put(Answer(number, fallback=why[steps[0]]))
        return None
    return [s for s in steps if not why.get(s)]


class _Worker:
    """The briefing, the room's renderer and compositor, and each step's frame, kept warm."""

    def __init__(self, scene_path: Path, room_source: str, size: tuple[int, int]):
        from bridge.data import tables as data
        from bridge.render.briefing import load_briefing
        from bridge.render.pipeline import PanelArt, Views
        from bridge.room.compositor import Compositor
        from bridge.room.load import load_room

        data.keep_tables()
        self.scene_path = scene_path
        self.briefing = load_briefing(scene_path)
        self.size = size
        self.compositor = Compositor(load_room(room_source), *size)
        self.art = PanelArt(self.briefing, size[0])
        self.views = Views(self.briefing, self.art)
        self.renderer = None
        self.stale: dict[int, set[str]] = {}  # step -> refreshed datasets its kept frame was drawn before
        self.frames: dict[int, np.ndarray] = {}  # step -> its frame as last rendered or pasted
        self.shown: dict[int, dict] = {}  # step -> the parameter values its frame shows
        self.images: dict[int, list[np.ndarray]] = {}  # step -> its projector images
        self.under: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # video step -> its frame over black and white

    def _values(self, s: int, chosen: dict) -> dict:
        from bridge.show.cache import effective_params

        return effective_params(self.briefing, s, chosen)

    def _view(self, values: dict):
        return self.briefing.view(values)  # the default briefing itself when every value is its default

    def _render(self, s: int, view) -> np.ndarray:
        from bridge.render.pipeline import add_panels, make_renderer, render_step

        if self.renderer is None:
            self.renderer = make_renderer(self.briefing, *self.size)
            add_panels(self.renderer, self.briefing, self.art)
        step = view.scene.steps[s]
        self.views.place(self.renderer, view, step.show)
        frame = render_step(self.renderer, view, self.views.art(view), s)
        if self.briefing.scene.step_video(s):
            from bridge.render.backdrop import layer_frames

            self.under.pop(s, None)
            self.under[s] = layer_frames(self.renderer, view, s)
            while len(self.under) > KEEP_UNDER:  # two frames a video step: keep only the latest few
                self.under.pop(next(iter(self.under)))
        return frame

    def _layers(self, s: int) -> list[np.ndarray] | None:
        """A video step's panel layer for the frames it shows now (None for other steps)."""
        if s not in self.under:
            return None
        from bridge.show.video import panel_layer

        video = self.briefing.scene.step_video(s)
        assert video is not None  # `under` holds video steps only (_render)
        return panel_layer(self.compositor, *self.under[s], video.brightness)

    def _keep(self, s: int, frame: np.ndarray, values: dict) -> None:
        self.frames[s], self.shown[s] = frame, values
        self.stale.pop(s, None)  # drawn from the data as it is now
        while len(self.frames) > KEEP_FRAMES:
            oldest = next(iter(self.frames))
            self.frames.pop(oldest)
            self.shown.pop(oldest, None)
            self.images.pop(oldest, None)
            self.under.pop(oldest, None)

    def reload(self, datasets: set[str]) -> None:
        """New data in `datasets`: read them again (the other tables come from memory) and mark the
        kept frames' panels reading them stale, redrawn at their step's next answer."""
        from bridge.render.briefing import load_briefing
        from bridge.render.pipeline import PanelArt, Views
        from bridge.show.refresh import forget_tables

        forget_tables(datasets)
        briefing = load_briefing(self.scene_path)  # a BridgeError keeps the data as it was
        self.briefing, self.art = briefing, PanelArt(briefing, self.size[0])
        self.views = Views(briefing, self.art)
        if self.renderer is not None:  # its panels were placed from the old data: built again when needed
            self.renderer.close()
            self.renderer = None
        for s in range(len(briefing.scene.steps)):  # a step not kept is drawn afresh, and sent
            self.stale[s] = self.stale.get(s, set()) | set(datasets)

    def _stale_panels(self, s: int) -> list[str]:
        """The panels of step `s` reading a dataset refreshed since its frame was drawn."""
        from bridge.show.refresh import panel_datasets

        stale = self.stale.get(s, set())
        reads = panel_datasets(self.briefing.data.doc.data) if stale else {}
        return [pid for pid in self.briefing.scene.steps[s].show if reads.get(pid, set()) & stale]

    def cannot_paste(self, s: int) -> str | None:
        """Why step `s`'s refreshed panels cannot be pasted (drawn in 3D, a video step), or None."""
        touched, scene = self._stale_panels(s), self.briefing.scene
        if touched and scene.step_video(s):
            return f"step {s + 1} plays a video under its panels"
        panels = {p.id: p for p in scene.panels}
        flat3d = [pid for pid in touched if not is_flat(panels[pid])]
        return f"step {s + 1}'s panel {flat3d[0]} is drawn in 3D" if flat3d else None

    def warm(self, s: int) -> None:
        if s not in self.frames:
            values = self._values(s, {})
            self._keep(s, self._render(s, self._view(values)), values)
            self.images[s] = self.compositor.split(self.frames[s])

    def answer(self, number: int, chosen: dict, s: int) -> Answer:
        import time

        started = time.perf_counter()
        values = self._values(s, chosen)
        stale = self._stale_panels(s)  # before a step not kept is drawn afresh: its pictures are sent
        self.warm(s)
        changed = {k for k, v in values.items() if self.shown[s].get(k) != v}
        step = self.briefing.scene.steps[s]
        touched = [pid for pid in step.show if self.views.reads[pid] & changed or pid in stale]
        if not touched:
            self.shown[s] = values
            return Answer(number, s, {}, seconds=time.perf_counter() - started, how="unchanged")
        view = self._view(values)  # a BridgeError here (a value the data cannot answer) leaves the frame as it was
        panels = {p.id: (i, p) for i, p in enumerate(view.scene.panels)}
        frame = self.frames[s]
        if all(is_flat(panels[pid][1]) for pid in touched) and (s in self.under or not self.briefing.scene.step_video(s)):
            # A video step's frames over black and white take the same (opaque) pictures.
            targets = [frame.copy()] + ([a.copy() for a in self.under[s]] if s in self.under else [])
            frame = targets[0]
            highlighted = step.highlighted
            for pid in touched:
                i, panel = panels[pid]
                image = self.views.art(view).image(pid, view.marks.get((s, pid), frozenset()))
                shade = self.briefing.theme.dim if highlighted and pid not in highlighted else 1.0
                for target in targets:
                    paste_panel(target, image, panel.texture_extent(), shade)
            if s in self.under:
                self.under[s] = (targets[1], targets[2])
            how = f"pasted {len(touched)} panel(s)"
        else:
            frame = self._render(s, view)
            how = "rendered"
        before = self.images.get(s)
        images = self.compositor.split(frame)
        self._keep(s, frame, values)
        self.images[s] = images
        changed_images = {k: img for k, img in enumerate(images) if before is None or not np.array_equal(before[k], img)}
        seconds = time.perf_counter() - started
        from bridge.export.accessible import lines_of, step_text
        from bridge.show.cache import view_jpeg

        return Answer(number, s, changed_images, seconds=seconds, how=how, view=view_jpeg(frame), layers=self._layers(s),
                      text=lines_of(step_text(view, s)))
