"""The controller (rank 0): the one-PC show (`Live`) with its windows replaced by a preview and the nodes."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from pathlib import Path

from bridge.show.cluster.hub import Hub
from bridge.show.cluster.messages import PREVIEW_FIT, RESTART_KEYS, clock
from bridge.show.live import Live
from bridge.show.presenter import View

log = logging.getLogger("bridge.show")


def thumbnail(image, scale: float):
    """A projector image at the preview's scale (the preview shows the whole room in a small window)."""
    import cv2

    h, w = image.shape[:2]
    return cv2.resize(image, (max(16, round(w * scale)), max(16, round(h * scale))), interpolation=cv2.INTER_AREA)


def thumbnails(prepared, scale: float):
    """The prepared show at the preview's scale: the controller never uploads full-size frames
    (priming 35 of them held the interpreter, and the heartbeats, for seconds)."""
    import numpy as np

    frames = [np.stack([thumbnail(np.asarray(image), scale) for image in steps]) for steps in prepared.frames]
    return dataclasses.replace(prepared, frames=frames)


class ClusterWindows:
    """The controller's windows (a preview taking the presenter's keys) with every node in step:
    what `Live` does to its windows, done to the preview and sent to the nodes."""

    def __init__(self, preview, hub: Hub, scale: float, swapped=None):
        self.preview, self.hub, self.scale, self.swapped = preview, hub, scale, swapped

    def __getattr__(self, name):  # windows, view, fade, pump, on_key, grab, …: the preview's
        return getattr(self.preview, name)

    def show(self, view: View, fade_ms: int = 0, now: float | None = None, leaving=None) -> bool:
        changed = self.preview.show(view, fade_ms, now)  # `leaving` (a video's frame): nodes play no video
        if changed:
            self.hub.show(self.preview.view, fade_ms if self.preview.fade is not None else 0)
        return changed

    def advance_fade(self, now: float) -> bool:
        fade = self.preview.fade
        going = self.preview.advance_fade(now)
        if going and fade is not None:
            self.hub.fade_to(now - fade[0])
        return going

    def render(self) -> None:
        self.hub.frame()
        if self.swapped:
            self.swapped()
        self.preview.render()

    def replace_step(self, step: int, images: dict) -> bool:
        self.hub.replace(step, images)
        return self.preview.replace_step(step, {i: thumbnail(image, self.scale) for i, image in images.items()})

    def texture_builder(self, prepared):
        return self.preview.texture_builder(thumbnails(prepared, self.scale))

    def set_frames(self, prepared, prime: bool = False, textures=None) -> None:
        self.preview.set_frames(thumbnails(prepared, self.scale) if textures is None else prepared, prime, textures)
        self.hub.set_frames(prepared)

    def close(self) -> None:
        self.hub.close()
        self.preview.close()


class ClusterShow(Live):
    """The controller: `Live` (presenter, console, log, reloads, answers, web) with its windows
    replaced by a preview plus the room's render nodes."""

    def __init__(self, hub: Hub, scene_path: Path, room, prepared, size, fit=None, **options):
        fit = fit or PREVIEW_FIT
        _, _, width, height = room.desktop()
        scale = min(1.0, fit[0] / width, fit[1] / height)  # the preview's thumbnails
        super().__init__(scene_path, room, thumbnails(prepared, scale), size, "windowed", fit=fit, **options)
        self.prepared = prepared
        self.videos.enabled = False  # nodes show a video step's first frame: live video on nodes is not built
        self.hub = hub
        hub.say = self._say
        if not hub.own_desktops:  # a rehearsal on one desktop: the preview goes below the room's windows
            for w in self.windows.windows:
                w.render_window.SetPosition(0, height)
        log.info("controller: pid %d on %s", os.getpid(), socket.gethostname())
        for node in hub.nodes:
            log.info("%s: rank on %s, pid %d", node.group.label(), node.host, node.pid)
        hub.start(prepared, self.presenter.view)
        self.windows = ClusterWindows(self.windows, hub, scale, self._swapped)
        self.rank_latencies: list[float] = []  # seconds from a key to its frame swapped on every node
        self._pressed: float | None = None

    def _say(self, text: str) -> None:
        log.warning("%s", text)
        if self.console:
            self.console.message(text)
        else:
            print(text, flush=True)

    def key(self, keysym: str) -> None:
        if keysym in RESTART_KEYS:
            log.info("key %s: restart lost nodes", keysym)
            if not self.hub.restart_lost():
                self._say("F5: every node is running; nothing to restart")
            return
        self._pressed = clock()
        super().key(keysym)

    def _swapped(self) -> None:
        if self._pressed is not None:
            self.rank_latencies.append(clock() - self._pressed)
            self._pressed = None

    def tick(self, now: float | None = None) -> bool:
        for node in self.hub.poll():
            self.hub.catch_up(node)
        return super().tick(now)

