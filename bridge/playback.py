"""A step's video backdrop playing live in the show's windows, on the CPU or the GPU compositor.

Each projector slot gets one more quad, shown instead of the step's still picture while the
video plays.  Frames are decoded and composited ahead on worker threads into one of two
buffer sets (bridge/video.py's `VideoPlayer`); the loop binds a finished set and draws.

- cpu: the set is five projector images (the panel layer under each, blended), streamed
  into one texture per projector: five composites and five uploads per frame.
- gpu: the set is the decoded frame itself, streamed into one texture per window; each
  projector's quad samples it through its lookup texture and mixes in the step's panel layer
  in the compositor shader (shaders/compositor.frag): one upload per window per frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk

from bridge.video import Decoder, VideoCompositor, VideoPlayer


class StreamTexture:
    """A texture over two numpy buffers (top row first): workers write one while the room shows
    the other, and `show(k)` points the texture at buffer k and has it uploaded again."""

    def __init__(self, height: int, width: int, interpolate: bool, repeat: bool = False,
                 buffers: tuple | None = None):
        self.buffers = buffers or tuple(np.zeros((height, width, 3), np.uint8) for _ in (0, 1))
        self.images = []
        for buffer in self.buffers:
            image = vtk.vtkImageData()
            image.SetDimensions(width, height, 1)
            image.GetPointData().SetScalars(numpy_to_vtk(buffer.reshape(-1, 3), deep=False))  # keeps it alive
            self.images.append(image)
        self.texture = vtk.vtkTexture()
        self.texture.SetInputData(self.images[0])
        self.texture.SetInterpolate(interpolate)
        self.texture.SetRepeat(repeat)
        self.texture.SetColorModeToDirectScalars()

    def show(self, k: int) -> None:
        image = self.images[k]
        image.GetPointData().GetScalars().Modified()
        image.Modified()
        self.texture.SetInputData(image)


def _quad(p, top_row_first: bool) -> vtk.vtkActor:
    quad = pv.Plane(center=(p.width / 2, p.height / 2, 0.5), direction=(0, 0, 1),
                    i_size=p.width, j_size=p.height, i_resolution=1, j_resolution=1)
    if top_row_first:  # the buffer's first row is the picture's top: flip the quad's v
        tc = np.array(quad.active_texture_coordinates)
        tc[:, 1] = 1.0 - tc[:, 1]
        quad.active_texture_coordinates = tc
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(quad)
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().LightingOff()
    actor.VisibilityOff()
    return actor


class Playback:
    """One step's video in every window, until `close()`."""

    def __init__(self, windows, step: int, file: str | Path, loop: bool, layers: list[np.ndarray],
                 compositor: str = "cpu", paced: bool = True):
        self.windows, self.step, self.kind = windows, step, compositor
        self.decoder = Decoder(Path(file), loop)
        room = windows.room
        w, h = self.decoder.width, self.decoder.height
        self.actors: list[tuple] = []  # (renderer, actor)
        self.streams: list[StreamTexture] = []  # every streamed texture: one per window (gpu) or projector (cpu)
        if compositor == "gpu":
            from bridge.compositor import Compositor
            from bridge.gpu import lookup_texture, use_compositor_shader

            lookups = Compositor(room, w, h).lookups
            frames = tuple(np.zeros((h, w, 3), np.uint8) for _ in (0, 1))
            for window in windows.windows:
                stream = StreamTexture(h, w, True, True, frames)  # one upload per window per frame
                self.streams.append(stream)
                for slot in window.slots:
                    p = room.projectors[slot.projector]
                    actor = _quad(p, top_row_first=False)
                    prop = actor.GetProperty()
                    prop.SetTexture("lut", lookup_texture(lookups[slot.projector], w, h, top_row_first=True))
                    panels = pv.Texture(np.ascontiguousarray(layers[slot.projector]))
                    panels.interpolate = False
                    prop.SetTexture("panels", panels)
                    prop.SetTexture("equi", stream.texture)
                    use_compositor_shader(actor, p, panel_layer=True)
                    self._add(slot.renderer, actor)

            def compose(frame, k):
                np.copyto(frames[k], frame)
        else:
            self.video = VideoCompositor(room, w, h)
            split = self.video.split_layers(layers)
            outs: list[list[np.ndarray]] = [[None] * len(room.projectors) for _ in (0, 1)]
            for window in windows.windows:
                for slot in window.slots:
                    p = room.projectors[slot.projector]
                    actor = _quad(p, top_row_first=True)
                    stream = StreamTexture(p.height, p.width, windows.windowed)
                    actor.SetTexture(stream.texture)
                    self.streams.append(stream)
                    self._add(slot.renderer, actor)
                    for k in (0, 1):
                        outs[k][slot.projector] = stream.buffers[k]

            def compose(frame, k):
                self.video.compose(frame, split, outs[k])
        self.player = VideoPlayer(self.decoder, compose, paced)
        self.showing = False

    def _add(self, renderer, actor) -> None:
        renderer.AddActor(actor)
        self.actors.append((renderer, actor))

    @property
    def paused(self) -> bool:
        return self.player.paused

    def pause(self, paused: bool) -> None:
        self.player.pause(paused)

    def tick(self, now: float | None = None) -> bool:
        """Bind the next due frame; True if the windows must be drawn."""
        k = self.player.due(now)
        if k is None:
            return False
        for stream in self.streams:
            stream.show(k)
        if not self.showing:
            for _, actor in self.actors:
                actor.VisibilityOn()
            for window in self.windows.windows:
                for slot in window.slots:
                    slot.base.VisibilityOff()
            self.showing = True
        self.player.shown_set(k, now)
        return True

    @property
    def error(self) -> str | None:
        return self.player.error

    @property
    def frames_shown(self) -> int:
        return self.player.frames_total

    def close(self) -> None:
        """Stop decoding and take the video quads out (the step's still picture shows again)."""
        self.player.close()
        for renderer, actor in self.actors:
            actor.GetProperty().RemoveAllTextures()
            actor.SetTexture(None)
            renderer.RemoveActor(actor)
        self.actors = []
        if self.showing:
            for window in self.windows.windows:
                for slot in window.slots:
                    slot.base.VisibilityOn()
