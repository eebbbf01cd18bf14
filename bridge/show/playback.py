"""A step's video backdrop playing live in the show's windows, on the CPU or the GPU compositor.

Each projector slot gets one more quad, shown instead of the step's still picture while the
video plays.  Frames are decoded and composited ahead on worker threads into one of two
buffer sets (bridge/show/video.py's `VideoPlayer`); the loop binds a finished set and draws.

- cpu: the set is five projector images (the panel layer under each, blended), streamed
  into one texture per projector: five composites and five uploads per frame.
- gpu: the set is the decoded frame itself, streamed into one texture per window; each
  projector's quad samples it through its lookup texture and mixes in the step's panel layer
  in the compositor shader (shaders/compositor.frag): one upload per window per frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk

from bridge.show.video import Decoder, VideoCompositor, VideoPlayer
from bridge.show.windows import quad_actor

log = logging.getLogger("bridge.show")


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
    """The video's quad: between a slot's still (z 0) and its cross-fade (z 1), hidden until a frame."""
    actor = quad_actor(p, 0.5, top_row_first)
    actor.VisibilityOff()
    return actor


class Playback:
    """One step's video in every window, until `close()`."""

    def __init__(self, windows, step: int, file: str | Path, loop: bool, layers: list[np.ndarray],
                 compositor: str = "cpu", paced: bool = True):
        self.windows, self.step, self.kind = windows, step, compositor
        self.decoder = Decoder(Path(file), loop)
        self.layers = layers
        room = windows.room
        w, h = self.decoder.width, self.decoder.height
        self.video = VideoCompositor(room, w, h)  # the lookups for the video's size (the GPU path's too)
        self._split: list | None = None  # the layers as the CPU compositor takes them, made once
        self.actors: list[tuple] = []  # (renderer, actor)
        self.streams: list[StreamTexture] = []  # every streamed texture: one per window (gpu) or projector (cpu)
        if compositor == "gpu":
            from bridge.room.gpu import lookup_texture, use_compositor_shader

            lookups = self.video.compositor.lookups
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
            outs: list[list[np.ndarray | None]] = [[None] * len(room.projectors) for _ in (0, 1)]  # all filled below
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
                self.video.compose(frame, self.split_layers(), outs[k])
        self.player = VideoPlayer(self.decoder, compose, paced)
        self.showing = False

    def split_layers(self) -> list:
        if self._split is None:
            self._split = self.video.split_layers(self.layers)
        return self._split

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

    def on_walls(self) -> list[np.ndarray] | None:
        """Each projector's image of the frame on the walls now (a cross-fade starts from it);
        None before the first frame."""
        k = self.player.shown
        if k is None:
            return None
        if self.kind == "cpu":
            return [np.array(stream.buffers[k]) for stream in self.streams]
        outs = [np.zeros((p.height, p.width, 3), np.uint8) for p in self.windows.room.projectors]
        return self.video.compose(self.streams[0].buffers[k], self.split_layers(), outs)

    @property
    def error(self) -> str | None:
        return self.player.error

    @property
    def frames_shown(self) -> int:
        return self.player.frames_shown

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


class VideoBackdrops:
    """Which step's video plays: started when the room shows a step with one (after any fade),
    paused with V or a freeze, stopped when the room leaves it, replayed under new panels after
    a live answer; a video that cannot play leaves the still picture and is reported once."""

    def __init__(self, windows, compositor: str, paced: bool, on_failure):
        self.windows, self.compositor, self.paced = windows, compositor, paced
        self.on_failure = on_failure  # (step, why): the show reports it
        self.playback: Playback | None = None
        self._of = None  # the Prepared it plays from
        self._failed: dict[int, str] = {}  # step -> why its video does not play
        self._layers: dict[int, list] = {}  # step -> its panel layer as a live answer redrew it
        self.enabled = True  # False: video steps show their first frame (a cluster's controller)

    def update(self, view, prepared, now: float, paused: bool) -> bool:
        """Follow the room's view; True if a frame must be drawn."""
        if not self.enabled:
            return False
        step = view.step if view.kind == "step" else None
        want = step is not None and self.windows.fade is None and prepared.video(step) is not None \
            and step not in self._failed
        if self.playback is not None and (not want or self.playback.step != step or self._of is not prepared):
            self.stop()
            return True
        if want and self.playback is None:
            assert step is not None  # `want` holds only for a step
            self._start(prepared, step)
        if self.playback is None:
            return False
        self.playback.pause(paused)
        if self.playback.error:
            self._fail(self.playback.step, self.playback.error)
            return True
        return self.playback.tick(now)

    def _start(self, prepared, step: int) -> None:
        from bridge.errors import BridgeError

        layers = self._layers.get(step) or prepared.layers(step)
        if layers is None:
            self._fail(step, "its panel layer is not prepared; press R to prepare again")
            return
        info = prepared.video(step)
        try:
            self.playback = Playback(self.windows, step, info["file"], info.get("loop", True), layers,
                                     self.compositor, self.paced)
        except BridgeError as exc:
            self._fail(step, exc.problems[0].message)
            return
        self._of = prepared
        log.info("video on step %d: %s, %d × %d at %.3g fps, %s compositor", step + 1, Path(info["file"]).name,
                 self.playback.decoder.width, self.playback.decoder.height, self.playback.decoder.fps, self.compositor)

    def answered(self, step: int, layers: list[np.ndarray]) -> None:
        """A live answer redrew a video step's panels: play it on under these."""
        self._layers[step] = layers
        if self.playback is not None and self.playback.step == step:
            self.stop()

    def _fail(self, step: int, why: str) -> None:
        self.stop()
        self._failed[step] = why
        self.on_failure(step, why)

    def stop(self) -> None:
        if self.playback is not None:
            log.info("video on step %d stopped after %d frames", self.playback.step + 1, self.playback.frames_shown)
            self.playback.close()
            self.playback = None
            self.windows.reapply()

    def reset(self) -> None:
        """New prepared frames (a reload) or the end of the show: stop, forget failures and answers."""
        self.stop()
        self._failed, self._layers = {}, {}
