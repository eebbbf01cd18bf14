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
cross-fade draws the new step's quad over the old one with rising opacity.  The event loop
that drives these windows is bridge/show/live.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyvista as pv
import vtk

from bridge.backend import OFFSCREEN_WINDOWS, pixel_exact_camera, use_offscreen, use_onscreen
from bridge.show.cache import Prepared
from bridge.show.presenter import View

BLACK = (0.0, 0.0, 0.0)
WHITE = (1.0, 1.0, 1.0)


@dataclass
class Slot:
    """One projector's place in a window: its renderer, the shown quad and the fade-in quad."""

    projector: int  # index into room.projectors
    renderer: vtk.vtkRenderer
    base: vtk.vtkActor  # showing the current step
    top: vtk.vtkActor  # drawing a cross-fade: mixes two steps' textures in one pass


@dataclass
class Window:
    render_window: vtk.vtkRenderWindow
    interactor: vtk.vtkRenderWindowInteractor
    slots: list[Slot] = field(default_factory=list)

    @property
    def x_id(self) -> int | None:
        """The X window id (for xdotool), parsed from VTK's pointer string like '_000000000200000a_p_void'."""
        m = re.match(r"_([0-9a-fA-F]+)_p_", str(self.render_window.GetGenericWindowId() or ""))
        return int(m.group(1), 16) if m else None


def window_plan(room, mode: str,
                fit: tuple[int, int] | None = None) -> list[tuple[tuple[int, int, int, int], list[tuple[int, tuple]]]]:
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


def quad_actor(p, z: float, top_row_first: bool = False) -> vtk.vtkActor:
    """An unlit quad covering projector `p`'s viewport at depth `z`, for its picture as a texture;
    `top_row_first` flips its texture coordinates for a buffer written top row first."""
    quad = pv.Plane(center=(p.width / 2, p.height / 2, z), direction=(0, 0, 1),
                    i_size=p.width, j_size=p.height, i_resolution=1, j_resolution=1)
    if top_row_first:
        tc = np.array(quad.active_texture_coordinates)
        tc[:, 1] = 1.0 - tc[:, 1]
        quad.active_texture_coordinates = tc
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(quad)
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().LightingOff()
    return actor


def screen_fit() -> tuple[int, int]:
    """90% of the screen, for a rehearsal window that fits the desk's monitor."""
    probe = vtk.vtkRenderWindow()
    try:
        w, h = probe.GetScreenSize()
    finally:
        probe.Finalize()
    return (int(w * 0.9), int(h * 0.9)) if w > 0 and h > 0 else (1600, 900)


class RoomWindows(Protocol):
    """What the show's loop (bridge/show/live.py) drives: `ShowWindows`, or the cluster controller's
    stand-in that passes it on to a preview and the render nodes (bridge/show/cluster/controller.py)."""

    windows: list[Window]
    view: View | None
    fade: tuple[float, float, int] | None

    def on_key(self, callback) -> None: ...
    def on_close(self, callback) -> None: ...
    def pump(self) -> None: ...
    def show(self, view: View, fade_ms: int = 0, now: float | None = None, leaving=None) -> bool: ...
    def advance_fade(self, now: float) -> bool: ...
    def render(self) -> None: ...
    def replace_step(self, step: int, images: dict[int, np.ndarray]) -> bool: ...
    def texture_builder(self, prepared: Prepared) -> Iterator[list[list[pv.Texture]] | None]: ...
    def set_frames(self, prepared: Prepared, prime: bool = False,
                   textures: list[list[pv.Texture]] | None = None) -> None: ...
    def reapply(self) -> None: ...
    def close(self) -> None: ...


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
        self.textures: list[list[pv.Texture]] = []  # [projector][step]
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
            actor = quad_actor(p, z)
            renderer.AddActor(actor)
            actors.append(actor)
        # The fade quad mixes two textures in its fragment shader: one pass, no blending, so a
        # fade frame costs about what a still frame does (an opacity fade through VTK's
        # translucency pass ran at a third of the frame rate in software GL).
        actors[1].GetShaderProperty().AddFragmentShaderReplacement(
            "//VTK::TCoord::Impl", True,
            "//VTK::TCoord::Impl\n"
            "fragOutput0 = vec4(mix(texture(previous, tcoordVCVSOutput).rgb, "
            "texture(following, tcoordVCVSOutput).rgb, fade), 1.0);\n",
            False)
        actors[1].GetShaderProperty().GetFragmentCustomUniforms().SetUniformf("fade", 0.0)
        actors[1].VisibilityOff()
        pixel_exact_camera(renderer.GetActiveCamera(), p.width, p.height)
        rw.AddRenderer(renderer)
        return Slot(index, renderer, actors[0], actors[1])

    def _texture(self, image: np.ndarray) -> pv.Texture:
        texture = pv.Texture(np.ascontiguousarray(image))  # row 0 is the top
        # In the room a projector pixel is a frame pixel: nearest is exact.  Scaled to a desk
        # window, mipmaps keep text legible.
        texture.interpolate = self.windowed
        texture.mipmap = self.windowed
        texture.repeat = False
        return texture

    def texture_builder(self, prepared: Prepared) -> Iterator[list[list[pv.Texture]] | None]:
        """Yields None after each texture so the show can build new frames between key presses,
        then the textures, [projector][step]."""
        built: list[list[pv.Texture]] = [[] for _ in self.room.projectors]
        for s in range(prepared.step_count):
            for i in range(len(self.room.projectors)):
                built[i].append(self._texture(prepared.frames[i][s]))
                yield None
        yield built

    def set_frames(self, prepared: Prepared, prime: bool = False, textures: list[list[pv.Texture]] | None = None) -> None:
        """Swap in a whole new set of prepared frames (at start-up, or after a reload)."""
        if textures is None:
            *_, textures = self.texture_builder(prepared)
            assert textures is not None  # the builder's last item is the textures
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
    def replace_step(self, step: int, images: dict[int, np.ndarray]) -> bool:
        """New pictures for some projectors of one step (a live answer); True if the room shows
        that step now and must be redrawn."""
        for i, image in images.items():
            self.textures[i][step] = self._texture(image)
        if self.view is not None and self.view.kind == "step" and self.view.step == step and self.fade is None:
            self._apply(self.view)
            return True
        return False

    def show(self, view: View, fade_ms: int = 0, now: float | None = None, leaving=None) -> bool:
        """Make `view` what the room shows: a cut, or a cross-fade between two steps.
        `leaving`: the projector images on the walls now, if not the step's still (a video's
        current frame), for a cross-fade to start from.

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
                    prop.SetTexture("previous", self._texture(leaving[slot.projector]) if leaving is not None
                                    else self.textures[slot.projector][previous.step])
                    prop.SetTexture("following", self.textures[slot.projector][view.step])
                    slot.top.GetShaderProperty().GetFragmentCustomUniforms().SetUniformf("fade", 0.0)
                    slot.top.VisibilityOn()
                    slot.base.VisibilityOff()
            return True
        self._apply(view)
        return True

    def reapply(self) -> None:
        """Show the current view's still pictures again (after a video stops)."""
        if self.view is not None and self.fade is None:
            self._apply(self.view)

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
