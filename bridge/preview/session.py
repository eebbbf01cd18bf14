"""The preview's side of the worker: watch the files, ask for pictures, publish what came back.

A thread polls the scene and every file it reads (bridge/show/watch.py's `FileWatcher`, settled
for a few hundredths of a second: editors save whole files); a change asks the worker
(bridge/preview/worker.py) to load again and draw the step on the page.  A second thread takes the
answers in: a new picture gets a new `frame` number and the state is published over the show's
own web link (bridge/show/web_link.py), so the show's web app serves the preview unchanged — its
WebSocket pushes the state, `/view.jpg` the 360° view, and the step and parameter commands come
back through `command`.  A load that fails keeps the last good picture and adds its errors.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from pathlib import Path

from bridge.show.watch import FileWatcher
from bridge.show.web_link import WEB_COMMANDS, WebLink

log = logging.getLogger("bridge.preview")

POLL_S = 0.025  # how often the files are looked at (a stat of each: nothing to a machine)
SETTLE_S = 0.025  # and how long a change must be still before it is drawn


class PreviewLink(WebLink):
    """The web link, with commands applied at once (the preview has no show loop to drain an inbox)."""

    def __init__(self, preview: Preview):
        super().__init__(lambda step: preview.view)
        self.preview = preview

    def command(self, action: str, *args) -> bool:
        if action not in WEB_COMMANDS:
            raise ValueError(f"unknown command {action!r}")
        self.preview.command(action, args)
        return True


class Preview:
    """One scene previewed: the worker, the file watcher and the latest state and pictures."""

    def __init__(self, scene_path: Path, room, size: tuple[int, int]):
        from bridge.preview.worker import serve

        self.scene_path, self.room, self.size = Path(scene_path).resolve(), room, size
        self.web = PreviewLink(self)
        self.step = 0
        self.chosen: dict = {}
        self.view: bytes | None = None
        self.rooms: list[bytes] = []
        self.rooms_version = 0
        self._pictured = -1  # the request whose picture is shown
        self.frame = 0
        self.good: dict = {}
        self.errors: list[dict] = []
        self.seconds: list[float] = []  # the worker's time per update
        self._lock = threading.Lock()
        self._asked = 0
        self._closing = threading.Event()
        self._publish({})
        ctx = multiprocessing.get_context("spawn")
        self.requests, self.results = ctx.Queue(), ctx.Queue()
        self.process = ctx.Process(target=serve, args=(str(self.scene_path), room.source, tuple(size), self.requests,
                                                       self.results), daemon=True, name="bridge-preview")
        self.process.start()
        self.watcher = FileWatcher([self.scene_path], interval=POLL_S, settle=SETTLE_S)
        self._threads = [threading.Thread(target=self._watch, name="bridge-preview-watch", daemon=True),
                         threading.Thread(target=self._collect, name="bridge-preview-answers", daemon=True)]
        self.ask(reload=True)
        for t in self._threads:
            t.start()

    # -- asking --------------------------------------------------------------------------
    def ask(self, reload: bool = False) -> None:
        with self._lock:
            self._asked += 1
            self.requests.put(("draw", self._asked, self.step, dict(self.chosen), reload))

    def command(self, action: str, args: tuple) -> None:
        """A page's command (already checked against the state by bridge/web/protocol.py)."""
        steps = self.good.get("steps", 1)
        if action == "go":
            self.step = int(args[0]) - 1
        elif action == "next":
            self.step = min(steps - 1, self.step + 1)
        elif action == "previous":
            self.step = max(0, self.step - 1)
        elif action == "set":
            self.chosen[args[0]] = args[1]
        elif action == "reset":
            self.chosen.pop(args[0], None)
        else:
            return  # blackout: nothing to black out in a preview
        self.ask()

    def _watch(self) -> None:
        while not self._closing.wait(POLL_S):
            changed = self.watcher.poll(time.monotonic())
            if changed:
                log.info("changed: %s", ", ".join(p.name for p in changed))
                self.ask(reload=True)

    # -- answers -------------------------------------------------------------------------
    def _collect(self) -> None:
        while not self._closing.is_set():
            try:
                answer = self.results.get(timeout=0.2)
            except queue.Empty:
                if not self.process.is_alive() and not self._closing.is_set():
                    self.errors = [{"kind": "error", "file": None, "line": None, "key": None, "panel": None,
                                    "message": "the preview's drawing process stopped; start bridge preview again",
                                    "text": "the preview's drawing process stopped"}]
                    self._publish(self.good)
                    return
                continue
            self._take(answer)

    def _take(self, answer: dict) -> None:
        if "rooms" in answer:  # the projectors' images of the newest picture
            if answer["number"] == self._pictured:
                self.rooms = answer["rooms"]
                self.rooms_version += 1
                self._publish(self.good)
            return
        if answer.get("crash"):
            log.error("preview worker:\n%s", answer["crash"])
        errors = list(answer.get("errors") or [])
        if answer.get("crash"):
            errors.append({"kind": "error", "file": None, "line": None, "key": None, "panel": None,
                           "message": "internal error while drawing; see the terminal", "text": "internal error"})
        self.errors = errors
        if answer.get("watched"):
            self.watcher.set_paths([Path(p) for p in answer["watched"]])
        if answer.get("state") is not None:
            self.step = answer["step"]
            self.view, self._pictured = answer["view"], answer["number"]
            self.frame += 1
            self.seconds.append(answer.get("seconds", 0.0))
            self.good = answer["state"]
            log.info("drawn step %d in %.0f ms (%s)", self.step + 1, answer.get("seconds", 0) * 1000, answer.get("how"))
        self._publish(self.good)

    def _publish(self, good: dict) -> None:
        state: dict = dict(good) if good else {"title": "Loading the scene…", "steps": 0, "titles": [], "shown_step": 0,
                                         "shown_title": "Loading the scene…", "shown_notes": "", "shown_text": [],
                                         "look": None, "view": "step", "params": [], "preview": {}}
        state["frame"] = self.frame
        state["preview"] = {**dict(state.get("preview") or {}), "errors": self.errors, "ready": bool(good),
                            "rooms": len(self.rooms), "rooms_version": self.rooms_version}
        self.web.publish(state)

    def room_image(self, k: int) -> bytes | None:
        rooms = self.rooms
        return rooms[k] if 0 <= k < len(rooms) else None

    def close(self) -> None:
        self._closing.set()
        try:
            self.requests.put(("stop", 0, 0, {}, False))
        except (OSError, ValueError):
            pass
        self.process.join(timeout=3)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)
