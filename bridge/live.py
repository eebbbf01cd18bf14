"""The running show: the event loop joining presenter, windows, file watcher and preparer.

`Live` pumps each window's events itself (pyvista's update() throttles across plotters),
feeds keys to the presenter, polls the file watcher and the background preparer (an edit
re-renders the steps it touches while the show keeps answering keys), and keeps the console
and the log told.  The windows themselves are bridge/show.py.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from bridge.errors import Problem
from bridge.prepare import BackgroundPreparer, Prepared
from bridge.presenter import Presenter
from bridge.show import ShowWindows
from bridge.watch import FileWatcher

log = logging.getLogger("bridge.show")

IDLE_SLEEP = 0.001  # when nothing changes: busy loops slow rendering ~50% on 2 cores (NOTES)


class Live:
    """The running show: presenter + windows + watcher + background preparer + console + log."""

    def __init__(self, scene_path: Path, room, prepared: Prepared, size: tuple[int, int], mode: str = "span",
                 offscreen: bool = False, fit: tuple[int, int] | None = None, console=None, poll_interval: float = 0.25):
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.prepared = prepared
        self.presenter = Presenter(prepared.step_count)
        self._set_params(prepared)
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
        before, chosen = self.presenter.step, dict(self.presenter.chosen)
        what = self.presenter.key(keysym)
        log.info("key %s: %s", keysym, what)
        if self.presenter.step != before:
            log.info("step %d: %s", self.presenter.step + 1, self.prepared.titles[self.presenter.step])
        if self.presenter.chosen != chosen:
            self.ask(what)
        if self.presenter.take_reload_request():
            self.reload("R pressed")
        self._dirty = True
        self._update_console(what)

    def set_param(self, name: str, value) -> str:
        """Set a parameter from outside the keys (a remote): the same path as the keys take."""
        chosen = dict(self.presenter.chosen)
        what = self.presenter.set_param(name, value)
        log.info("set parameter %s: %s", name, what)
        if self.presenter.chosen != chosen:
            self.ask(what)
        self._update_console(what)
        return what

    def ask(self, what: str) -> None:
        """The room asked a new question: prepare the frames for the presenter's parameter values
        (steps whose panels do not read a changed parameter come from the cache)."""
        log.info("parameters: %s", ", ".join(f"{k}={v}" for k, v in self.presenter.values().items()))
        self.status = f"answering: {what}…"
        self.preparer.request(what, chosen=self.presenter.chosen)

    def _set_params(self, prepared) -> None:
        from bridge.presenter import ParamSpec

        specs = [ParamSpec(p["name"], tuple(p["values"]), tuple(p["labels"]), p["default"]) for p in prepared.params]
        self.presenter.set_params(specs, prepared.step_params)

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
            self.presenter.chosen = dict(self.prepared.chosen)  # the console says what the room shows
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
        self._set_params(prepared)
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
