"""The show's windows: prepared frames on the room's outputs, keys in, cross-fades out.

`ShowWindows` owns the VTK windows.  Each projector is one renderer holding a textured
quad seen by a pixel-exact parallel camera; a renderer sits in its window at the
projector's output offset.  Layouts (from the room profile):

- span: one borderless window over the combined desktop, one renderer per projector;
- per-projector: one borderless window per output, at its position;
- windowed (`--windowed`): the span layout scaled into a normal window, for a desk.

Stepping swaps textures: every prepared step is one `vtkTexture` per projector, uploaded
once (drawn into the back buffer at start-up, never shown), so a key costs one redraw
(NOTES: this was the fastest swap measured; swapping scalars showed stale frames).  A
cross-fade draws the new step's quad over the old one with rising opacity.

`Live` runs the event loop: it pumps each window's events itself (pyvista's update()
throttles across plotters), feeds keys to the presenter, polls the file watcher and the
background preparer, and keeps the console and log told.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import pyvista as pv
import vtk

from bridge.backend import OFFSCREEN_WINDOWS, pixel_exact_camera, use_offscreen, use_onscreen
from bridge.errors import Problem
from bridge.prepare import BackgroundPreparer, Prepared
from bridge.presenter import Presenter, View
from bridge.watch import FileWatcher

log = logging.getLogger("bridge.show")

BLACK = (0.0, 0.0, 0.0)
WHITE = (1.0, 1.0, 1.0)
IDLE_SLEEP = 0.001  # when nothing changes: busy loops slow rendering ~50% on 2 cores (NOTES)


@dataclass
class Slot:
    """One projector's place in a window: its renderer, the shown quad and the fade-in quad."""

    projector: int  # index into room.projectors
    renderer: object
    base: object  # vtkActor showing the current step
    top: object  # vtkActor drawing a cross-fade: mixes two steps' textures in one pass


@dataclass
class Window:
    render_window: object
    interactor: object
    slots: list[Slot] = field(default_factory=list)

    @property
    def x_id(self) -> int | None:
        """The X window id (for xdotool), parsed from VTK's pointer string like '_000000000200000a_p_void'."""
        m = re.match(r"_([0-9a-fA-F]+)_p_", str(self.render_window.GetGenericWindowId() or ""))
        return int(m.group(1), 16) if m else None


def window_plan(room, mode: str, fit: tuple[int, int] | None = None) -> list[tuple[tuple[int, int, int, int], list[tuple[int, tuple]]]]:
    """[(window x, y, width, height), [(projector index, viewport)]] for a layout.

    Viewports are VTK's (xmin, ymin, xmax, ymax), 0..1 from the bottom-left.
    """
    if mode == "per-projector":
        return [((p.output[0], p.output[1], p.width, p.height), [(i, (0.0, 0.0, 1.0, 1.0))])
                for i, p in enumerate(room.projectors)]
    x0, y0, w, h = room.desktop()
    slots = []
    for i, p in enumerate(room.projectors):
        x, y = p.output[0] - x0, p.output[1] - y0
        slots.append((i, (x / w, 1 - (y + p.height) / h, (x + p.width) / w, 1 - y / h)))
    if mode == "windowed":
        fw, fh = fit or (1600, 900)
        scale = min(1.0, fw / w, fh / h)
        return [((0, 0, max(1, round(w * scale)), max(1, round(h * scale))), slots)]
    return [((x0, y0, w, h), slots)]


def screen_fit() -> tuple[int, int]:
    """90% of the screen, for a rehearsal window that fits the desk's monitor."""
    probe = vtk.vtkRenderWindow()
    try:
        w, h = probe.GetScreenSize()
    finally:
        probe.Finalize()
    return (int(w * 0.9), int(h * 0.9)) if w > 0 and h > 0 else (1600, 900)


class ShowWindows:
    """The room's output windows and the prepared frames they show."""

    def __init__(self, room, prepared: Prepared, mode: str = "span", offscreen: bool = False,
                 fit: tuple[int, int] | None = None, title: str = "Bridge"):
        self.room, self.mode, self.offscreen = room, mode, offscreen
        if offscreen:
            use_offscreen()
        else:
            use_onscreen()
        self.windowed = mode == "windowed"
        self.windows: list[Window] = []
        self.view: View | None = None
        self.fade: tuple[float, float, int] | None = None  # (start, duration s, target step)
        self.textures: list[list] = []
        self.step_count = 0
        if self.windowed and fit is None and not offscreen:
            fit = screen_fit()
        for (x, y, w, h), slots in window_plan(room, mode, fit):
            self.windows.append(self._window(x, y, w, h, slots, title))
        self.set_frames(prepared, prime=True)

    # -- building -------------------------------------------------------------------
    def _window(self, x, y, w, h, slots, title) -> Window:
        rw = vtk.vtkRenderWindow()
        if not self.offscreen and rw.GetClassName() in OFFSCREEN_WINDOWS:
            raise RuntimeError(f"show windows need an on-screen render window, got {rw.GetClassName()}: "
                               "VTK_DEFAULT_OPENGL_WINDOW asks for an offscreen one")
        rw.SetWindowName(title)
        rw.SetSize(w, h)
        rw.SetMultiSamples(0)
        if self.offscreen:
            rw.SetOffScreenRendering(1)
        else:
            rw.SetPosition(x, y)
            rw.SetBorders(self.windowed)  # show mode: no decorations
        backdrop = vtk.vtkRenderer()  # black behind any part of the desktop no projector covers
        backdrop.SetBackground(*BLACK)
        rw.AddRenderer(backdrop)
        window = Window(rw, vtk.vtkRenderWindowInteractor())
        for index, viewport in slots:
            window.slots.append(self._slot(rw, index, viewport))
        iren = window.interactor
        iren.SetRenderWindow(rw)
        iren.SetInteractorStyle(None)  # no camera moves, no built-in keys (VTK's q/e/w/f/r…)
        if not self.offscreen:
            iren.Initialize()
            if not self.windowed:
                rw.HideCursor()
            if hasattr(rw, "SetSwapControl"):
                rw.SetSwapControl(1)  # present at the display's refresh (vsync) where the driver allows
        return window

    def _slot(self, rw, index: int, viewport) -> Slot:
        p = self.room.projectors[index]
        renderer = vtk.vtkRenderer()
        renderer.SetViewport(*viewport)
        renderer.SetBackground(*BLACK)
        actors = []
        for z in (0.0, 1.0):
            quad = pv.Plane(center=(p.width / 2, p.height / 2, z), direction=(0, 0, 1),
                            i_size=p.width, j_size=p.height, i_resolution=1, j_resolution=1)
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetInputData(quad)
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            actor.GetProperty().LightingOff()
            renderer.AddActor(actor)
            actors.append(actor)
        # The fade quad mixes two textures in its fragment shader: one pass, no blending, so a
        # fade frame costs about what a still frame does (an opacity fade through VTK's
        # translucency pass ran at a third of the frame rate in software GL).
        actors[1].GetShaderProperty().AddFragmentShaderReplacement(
            "//VTK::TCoord::Impl", True,
            "//VTK::TCoord::Impl\n"
            "fragOutput0 = vec4(mix(texture(previous, tcoordVCVSOutput).rgb, texture(following, tcoordVCVSOutput).rgb, fade), 1.0);\n",
            False)
        actors[1].GetShaderProperty().GetFragmentCustomUniforms().SetUniformf("fade", 0.0)
        actors[1].VisibilityOff()
        pixel_exact_camera(renderer.GetActiveCamera(), p.width, p.height)
        rw.AddRenderer(renderer)
        return Slot(index, renderer, actors[0], actors[1])

    def _texture(self, image: np.ndarray):
        texture = pv.Texture(np.ascontiguousarray(image))  # row 0 is the top
        # In the room a projector pixel is a frame pixel: nearest is exact.  Scaled to a desk
        # window, mipmaps keep text legible.
        texture.interpolate = self.windowed
        texture.mipmap = self.windowed
        texture.repeat = False
        return texture

    def texture_builder(self, prepared: Prepared):
        """Yields after each texture so the show can build new frames between key presses."""
        built = [[] for _ in self.room.projectors]
        for s in range(prepared.step_count):
            for i in range(len(self.room.projectors)):
                built[i].append(self._texture(prepared.frames[i][s]))
                yield None
        yield built

    def set_frames(self, prepared: Prepared, prime: bool = False, textures: list[list] | None = None) -> None:
        """Swap in a whole new set of prepared frames (at start-up, or after a reload)."""
        if textures is None:
            *_, textures = self.texture_builder(prepared)
        self.textures, self.step_count = textures, prepared.step_count
        self.fade = None
        if prime:
            self._prime()
        view, self.view = self.view, None
        self.show(view or View("step", 0))

    def _prime(self) -> None:
        """Draw every step once into the back buffer, unseen: the textures reach the GPU now."""
        for s in range(self.step_count + 1):  # then once more with the fade quad: its shader compiles now
            self._apply(View("step", min(s, self.step_count - 1)))
            if s == self.step_count:
                for w in self.windows:
                    for slot in w.slots:
                        prop = slot.top.GetProperty()
                        prop.SetTexture("previous", self.textures[slot.projector][0])
                        prop.SetTexture("following", self.textures[slot.projector][0])
                        slot.top.VisibilityOn()
            for w in self.windows:
                w.render_window.SwapBuffersOff()
                w.render_window.Render()
                w.render_window.SwapBuffersOn()
        self._apply(View("step", 0))

    # -- showing --------------------------------------------------------------------
    def show(self, view: View, fade_ms: int = 0, now: float | None = None) -> bool:
        """Make `view` what the room shows: a cut, or a cross-fade between two steps.

        Returns True when something must be redrawn.
        """
        if view.kind == "step":
            view = View("step", min(view.step, self.step_count - 1))
        if view == self.view and self.fade is None:
            return False
        if self.fade is not None:  # a new key mid-fade: land the fade, then go on from there
            self._apply(View("step", self.fade[2]))
            self.fade = None
        previous, self.view = self.view, view
        if fade_ms > 0 and previous is not None and previous.kind == "step" and view.kind == "step" and previous != view:
            self.fade = ((now or time.perf_counter()), fade_ms / 1000, view.step)
            for w in self.windows:
                for slot in w.slots:
                    prop = slot.top.GetProperty()
                    prop.SetTexture("previous", self.textures[slot.projector][previous.step])
                    prop.SetTexture("following", self.textures[slot.projector][view.step])
                    slot.top.GetShaderProperty().GetFragmentCustomUniforms().SetUniformf("fade", 0.0)
                    slot.top.VisibilityOn()
                    slot.base.VisibilityOff()
            return True
        self._apply(view)
        return True

    def _apply(self, view: View) -> None:
        for w in self.windows:
            for slot in w.slots:
                slot.top.VisibilityOff()
                if view.kind == "step":
                    slot.base.SetTexture(self.textures[slot.projector][view.step])
                    slot.base.VisibilityOn()
                else:
                    slot.base.VisibilityOff()
                    slot.renderer.SetBackground(*(BLACK if view.kind == "black" else WHITE))
                if view.kind == "step":
                    slot.renderer.SetBackground(*BLACK)

    def advance_fade(self, now: float) -> bool:
        """Set the fade's opacity for `now`; True while a fade needs frames drawn."""
        if self.fade is None:
            return False
        start, duration, target = self.fade
        alpha = min(1.0, (now - start) / duration)
        if alpha >= 1.0:
            self._apply(View("step", target))
            self.fade = None
            return True
        for w in self.windows:
            for slot in w.slots:
                slot.top.GetShaderProperty().GetFragmentCustomUniforms().SetUniformf("fade", alpha)
        return True

    def render(self) -> None:
        """Draw and present every window, and wait until each has reached the display."""
        for w in self.windows:
            w.render_window.Render()
        for w in self.windows:
            w.render_window.WaitForCompletion()

    def pump(self) -> None:
        """Deliver pending window-system events (keys) to our observers."""
        if not self.offscreen:
            for w in self.windows:
                w.interactor.ProcessEvents()

    def on_key(self, callback) -> None:
        """callback(keysym) for every key press in any show window."""
        for w in self.windows:
            iren = w.interactor
            iren.AddObserver("KeyPressEvent", lambda obj, _event: callback(obj.GetKeySym() or ""))

    def on_close(self, callback) -> None:
        """callback() when a window is closed by the window manager (windowed mode)."""
        for w in self.windows:
            w.interactor.AddObserver("ExitEvent", lambda *_: callback())

    def grab(self, window: int = 0) -> np.ndarray:
        """What window `window` shows now, (height, width, 3) uint8, row 0 at the top."""
        grabber = vtk.vtkWindowToImageFilter()
        grabber.SetInput(self.windows[window].render_window)
        grabber.SetInputBufferTypeToRGB()
        grabber.ReadFrontBufferOff()
        grabber.ShouldRerenderOff()
        grabber.Update()
        image = pv.wrap(grabber.GetOutput())
        w, h, _ = image.dimensions
        return np.asarray(image.point_data[image.point_data.keys()[0]]).reshape(h, w, -1)[::-1, :, :3].copy()

    def close(self) -> None:
        for w in self.windows:
            for slot in w.slots:  # drop texture references before the context goes
                slot.base.SetTexture(None)
                slot.top.GetProperty().RemoveAllTextures()
            w.render_window.Finalize()
        self.windows, self.textures = [], []


class Live:
    """The running show: presenter + windows + watcher + background preparer + console + log."""

    def __init__(self, scene_path: Path, room, prepared: Prepared, size: tuple[int, int], mode: str = "span",
                 offscreen: bool = False, fit: tuple[int, int] | None = None, console=None, poll_interval: float = 0.25):
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.prepared = prepared
        self.presenter = Presenter(prepared.step_count)
        self.console = console
        self.windows = ShowWindows(room, prepared, mode, offscreen, fit, f"Bridge — {prepared.title}")
        self.windows.on_key(self.key)
        self.windows.on_close(self._closed)
        self.watcher = FileWatcher(prepared.watched, interval=poll_interval)
        self.preparer = BackgroundPreparer(self.scene_path, room, size, self._progress)
        self.started = time.monotonic()
        self.problems: list[Problem] = []
        self.status = "ready"
        self.latencies: list[float] = []  # seconds from key to the new frame on every window
        self.frames_drawn = 0
        self._key_time: float | None = None
        self._dirty = True
        self._incoming = None  # (prepared, texture builder) while new frames are being uploaded
        for w in self.windows.windows:
            if w.x_id is not None:
                log.info("window %s", hex(w.x_id))
        self.mode = mode
        self._update_console()

    # -- input ---------------------------------------------------------------------
    def key(self, keysym: str) -> None:
        self._key_time = time.perf_counter()
        before = self.presenter.step
        what = self.presenter.key(keysym)
        log.info("key %s: %s", keysym, what)
        if self.presenter.step != before:
            log.info("step %d: %s", self.presenter.step + 1, self.prepared.titles[self.presenter.step])
        if self.presenter.take_reload_request():
            self.reload("R pressed")
        self._dirty = True
        self._update_console(what)

    def _closed(self) -> None:
        log.info("window closed: quitting")
        self.presenter.quit = True

    def reload(self, reason: str) -> None:
        if not self.prepared.watched:  # test patterns: nothing on disk to reload from
            log.info("reload: nothing to reload (%s)", reason)
            return
        log.info("reload: %s", reason)
        self.status = "re-preparing…"
        self.preparer.request(reason)

    def _progress(self, what: str, done: int, total: int) -> None:
        self.status = f"re-preparing: {what} {done}/{total}"
        self._update_console()

    # -- the loop ------------------------------------------------------------------
    def tick(self, now: float | None = None) -> bool:
        """One turn of the loop; returns True if it drew a frame."""
        self.windows.pump()
        now = now or time.perf_counter()
        changed = self.watcher.poll(time.monotonic())
        if changed:
            self.reload("changed: " + ", ".join(p.name for p in changed))
        self._collect()
        self._upload_step()
        drew = False
        if self._dirty:
            self._dirty = False
            self.windows.show(self.presenter.view, self.prepared.transition_ms, now)
            drew = True
        if self.windows.advance_fade(now) or drew:
            self.windows.render()
            self.frames_drawn += 1
            if self._key_time is not None and self.windows.fade is None:
                self.latencies.append(time.perf_counter() - self._key_time)
                self._key_time = None
            return True
        return False

    def run(self, until=None) -> None:
        """Loop until the presenter quits (or `until()` is true)."""
        self.tick()
        log.info("show started: %d steps, layout %s; first frame on screen", self.prepared.step_count, self.mode)
        while not self.presenter.quit and not (until and until()):
            if not self.tick():
                time.sleep(IDLE_SLEEP)
        log.info("show ended after %s", self.elapsed_text())

    def _collect(self) -> None:
        outcome = self.preparer.poll()
        if outcome is None:
            return
        if outcome.prepared is not None:
            self._incoming = (outcome.prepared, self.windows.texture_builder(outcome.prepared))
            self.watcher.set_paths(outcome.prepared.watched)
            self.status = "swapping in new frames…"
        elif outcome.problems:
            self.problems = outcome.problems
            self.status = "kept the last good frames"
            for p in outcome.problems:
                log.error("%s", p)
            self._print_problems()
        else:
            self.problems = [Problem(None, None, None, "preparing the steps failed; see the log")]
            self.status = "kept the last good frames"
            log.error("preparation crashed:\n%s", outcome.crash)
            self._print_problems()
        self._update_console()

    def _upload_step(self) -> None:
        """Build one new texture per turn, then swap them all in at once."""
        if self._incoming is None:
            return
        prepared, builder = self._incoming
        built = next(builder)
        if built is None:
            return
        self._incoming = None
        self.prepared = prepared
        self.windows.set_frames(prepared, textures=built)
        self.presenter.set_step_count(prepared.step_count)
        self.problems = []
        self.status = "ready" if not self.preparer.busy else "re-preparing…"
        self._dirty = True
        log.info("reloaded: %d steps%s", prepared.step_count, " (from cache)" if prepared.from_cache else "")
        if self.console:
            self.console.message(f"reloaded: {prepared.step_count} steps")
        self._update_console()

    # -- reporting -------------------------------------------------------------------
    def elapsed_text(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def _print_problems(self) -> None:
        if self.console:
            self.console.problems(self.problems)

    def _update_console(self, last_action: str | None = None) -> None:
        if self.console:
            self.console.update(self, last_action)

    def close(self) -> None:
        self.preparer.join(timeout=0.1)
        self.windows.close()
