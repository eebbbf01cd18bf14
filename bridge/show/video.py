"""360° video behind the panels: read bounded, decoded on a thread, composited with a panel layer.

A step with a video backdrop is prepared like any other step (its first frame under the
panels, so `bridge render`, the contact sheet and a paused show agree), plus a *panel layer*
per projector: what the panels add over a black backdrop (B) and how much of the backdrop
shows through (T = 1 − α, from a second render over a white one, times the backdrop's
brightness), both sampled into that projector's pixels.  Each video frame V then needs only
the video resampled:

    projector = blend(B + T · V)

through a lookup for the video's own size — on the CPU (`VideoCompositor`: one remap, one
multiply, one add per projector) or in each window's fragment shader (bridge/room/gpu.py), where
a new frame is one texture upload per window.  The sampled layer equals sampling the
composited frame except at a panel's anti-aliased edge (bilinear sampling of a product).
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from bridge.errors import BridgeError, shown
from bridge.render.video_file import open_video, unreadable

DECODE_AHEAD = 2  # decoded frames waiting for the compositor: enough to hide a slow frame
MIN_FPS, MAX_FPS = 1.0, 120.0  # a video's rate as played, whatever its header says


# -- the panel layer ------------------------------------------------------------------
def panel_layer(compositor, black: np.ndarray, white: np.ndarray, brightness: float) -> list[np.ndarray]:
    """Per projector, (height, width, 4) uint8: the panels over black (RGB, not yet blended) and
    how much backdrop shows through, times `brightness` (A), sampled into its pixels.

    `black` and `white` are the step's equirectangular frame over a black and a white backdrop."""
    through = cv2.subtract(white, black)  # 255·(1 − α) per channel: equal in theory, averaged
    through = cv2.transform(through, np.full((1, 3), brightness / 3, np.float32))
    layers = []
    for lut in compositor.lookups:
        base = compositor.sample(black, lut)
        alpha = compositor.sample(through, lut)
        layers.append(np.dstack([base, alpha]))
    return layers


class VideoCompositor:
    """Projector images from video frames under a step's panel layer, on the CPU."""

    def __init__(self, room, width: int, height: int):
        from bridge.room.compositor import Compositor

        self.compositor = Compositor(room, width, height)
        self.size = (width, height)
        self._scratch: list[np.ndarray | None] = [None] * len(room.projectors)

    @staticmethod
    def split_layers(layers: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each (h, w, 4) layer as (panels RGB, how much shows through ×3), contiguous in memory:
        made once per step, so a frame costs one remap, one multiply and one add per projector."""
        return [(np.ascontiguousarray(layer[..., :3]), cv2.merge([np.ascontiguousarray(layer[..., 3])] * 3))
                for layer in layers]

    def compose(self, frame: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], outs: list[np.ndarray]) -> list[np.ndarray]:
        """Write each projector's image for `frame` into `outs` (uint8 (h, w, 3), contiguous);
        `layers` from `split_layers`.  Projectors run side by side on the compositor's threads."""
        from bridge.room.compositor import _pool

        if len(outs) > 1:
            list(_pool().map(lambda i: self._one(frame, i, layers[i], outs[i]), range(len(outs))))
        else:
            self._one(frame, 0, layers[0], outs[0])
        return outs

    def _one(self, frame: np.ndarray, i: int, layer: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> None:
        lut = self.compositor.lookups[i]
        sampled = self.compositor.sample(frame, lut, self._scratch[i])
        self._scratch[i] = sampled
        panels, through = layer
        cv2.multiply(sampled, through, dst=out, scale=1 / 255)
        cv2.add(out, panels, dst=out)
        self.compositor.finish(out, lut)


# -- decoding and playing ---------------------------------------------------------------
class Decoder:
    """Decodes a video on its own thread, a few frames ahead (FFmpeg lets go of the interpreter
    lock while it decodes).  Loops or holds its last frame at the end."""

    def __init__(self, path: Path, loop: bool = True, ahead: int = DECODE_AHEAD):
        self.path, self.loop = Path(path), loop
        self._container, self._stream = open_video(self.path)
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = min(MAX_FPS, max(MIN_FPS, float(rate))) if rate else 25.0  # a header's odd rate cannot stall or race the show
        self.width, self.height = self._stream.codec_context.width, self._stream.codec_context.height
        self.frames: queue.Queue = queue.Queue(ahead)
        self.error: str | None = None
        self.ended = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-decode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import av

        try:
            while not self._stop.is_set():
                decoded = 0
                for frame in self._container.decode(self._stream):
                    if (frame.width, frame.height) != (self.width, self.height):
                        raise BridgeError(f"{self.path.name}: a frame is {frame.width} × {frame.height}, "
                                          f"not the {self.width} × {self.height} its stream says")
                    if not self._put(frame.to_ndarray(format="rgb24")):
                        return
                    decoded += 1
                if not self.loop or decoded == 0:
                    break
                self._container.seek(0)
        except BridgeError as exc:
            self.error = str(exc.problems[0].message)
        except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
            self.error = unreadable(self.path.name, exc, decoding=True)
        finally:
            self.ended = True

    def _put(self, pixels: np.ndarray) -> bool:
        while not self._stop.is_set():
            try:
                self.frames.put(pixels, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, timeout: float | None = None) -> np.ndarray | None:
        """The next frame, or None when there is none yet (or the video ended)."""
        try:
            return self.frames.get(timeout=timeout) if timeout else self.frames.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._container.close()


class VideoPlayer:
    """A step's video, decoded and composited ahead on worker threads into two sets of buffers
    the show's textures read, shown at the video's own rate.

    `compose(frame, set_index)` is the show's: it writes a decoded frame into buffer set
    `set_index` (projector images on the CPU path, the frame itself on the GPU path).  The set
    the room shows is never written: a set goes back to the worker only once the next is shown.
    """

    def __init__(self, decoder: Decoder, compose, paced: bool = True):
        self.decoder, self._compose, self.paced = decoder, compose, paced
        self._free: queue.Queue = queue.Queue()
        self._ready: queue.Queue = queue.Queue()
        for k in (0, 1):
            self._free.put(k)
        self.shown: int | None = None  # the set on screen
        self._clocked = 0  # frames shown since the pacing clock (re)started
        self.frames_shown = 0
        self.paused = False
        self.error: str | None = None
        self._clock0: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-video", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    k = self._free.get(timeout=0.1)
                except queue.Empty:
                    continue
                frame = None
                while frame is None and not self._stop.is_set():
                    frame = self.decoder.get(timeout=0.1)
                    if frame is None and self.decoder.ended and self.decoder.frames.empty():
                        self.error = self.decoder.error
                        return
                if frame is None:
                    return
                self._compose(frame, k)
                self._ready.put(k)
        except Exception as exc:  # noqa: BLE001 - a broken frame must not end the show; say why
            self.error = f"the video stopped: {shown(str(exc), 160)}"

    def due(self, now: float | None = None) -> int | None:
        """A composed set to show now (the caller shows it, then calls `shown_set`), or None."""
        if self.paused:
            return None
        now = time.perf_counter() if now is None else now
        if self.paced and self._clock0 is not None and now < self._clock0 + (self._clocked + 1) / self.decoder.fps:
            return None
        try:
            return self._ready.get_nowait()
        except queue.Empty:
            return None

    def shown_set(self, k: int, now: float | None = None) -> None:
        """The room now shows set `k`: the one shown before may be written again."""
        now = time.perf_counter() if now is None else now
        if self._clock0 is None or now - (self._clock0 + self._clocked / self.decoder.fps) > 0.25:
            self._clock0 = now - self._clocked / self.decoder.fps  # late by a lot: restart the clock
        if self.shown is not None:
            self._free.put(self.shown)
        self.shown = k
        self._clocked += 1
        self.frames_shown += 1

    def pause(self, paused: bool) -> None:
        if self.paused and not paused:
            self._clock0 = None  # resume from the frame it stopped on, not catching up
            self._clocked = 0
        self.paused = paused

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.decoder.close()
