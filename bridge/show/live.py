"""The running show: the event loop joining presenter, windows and the show's parts.

`Live` pumps each window's events itself (pyvista's update() throttles across plotters),
feeds keys to the presenter, and each turn gives its parts their go: reloads (the file
watcher and the background preparer: an edit re-renders the steps it touches while the show
keeps answering keys, bridge/show/reloads.py), live answers (bridge/show/live_answers.py),
video backdrops (bridge/show/playback.py) and the web (commands in through
bridge/show/remote.py, a snapshot out through bridge/show/snapshot.py, both over the typed
link in bridge/show/web_link.py).  It keeps the console and the log told.  The windows
themselves are bridge/show/windows.py.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

from bridge.errors import Problem, counted
from bridge.show.cache import Prepared
from bridge.show.live_answers import LiveAnswers
from bridge.show.playback import VideoBackdrops
from bridge.show.presenter import Presenter, params_of
from bridge.show.reloads import Reloads
from bridge.show.remote import Remote, unused_note
from bridge.show.snapshot import Snapshot
from bridge.show.web_link import WebLink
from bridge.show.windows import RoomWindows, ShowWindows

log = logging.getLogger("bridge.show")

IDLE_SLEEP = 0.001  # when nothing changes: busy loops slow rendering ~50% on 2 cores (NOTES)


class Live:
    """The running show: presenter + windows, the loop, and its parts (reloads, answers, videos, web)."""

    def __init__(self, scene_path: Path, room, prepared: Prepared, size: tuple[int, int], mode: str = "span",
                 offscreen: bool = False, fit: tuple[int, int] | None = None, console=None, poll_interval: float = 0.25,
                 compositor: str = "auto", paced_video: bool = True):
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.prepared = prepared
        self.presenter = Presenter(prepared.step_count)
        self.presenter.set_params(params_of(prepared), prepared.step_params)
        self.console = console
        self.windows: RoomWindows = ShowWindows(room, prepared, mode, offscreen, fit, f"Bridge — {prepared.title}")
        self.windows.on_key(self.key)
        self.compositor, self.gl_renderer = choose_compositor(compositor, self.windows)
        log.info("compositor: %s (OpenGL: %s)", self.compositor, self.gl_renderer)
        self.videos = VideoBackdrops(self.windows, self.compositor, paced_video, self._video_failed)
        self.windows.on_close(functools.partial(_closed, self.presenter))
        self.reloads = Reloads(self, poll_interval)
        self.started = time.monotonic()
        self.problems: list[Problem] = []
        self.status = "ready"
        self.latencies: list[float] = []  # seconds from key to the new frame on every window
        self.frames_drawn = 0
        self.key_time: float | None = None  # when the key (or remote jump) waiting for its frame came
        self._dirty = True
        self.answers = LiveAnswers(self)
        self.answer_latencies = self.answers.latencies  # seconds from a parameter change to it on every window
        self.answers.start(prepared)
        for w in self.windows.windows:
            if w.x_id is not None:
                log.info("window %s", hex(w.x_id))
        self.mode = mode
        # The web (bridge/web): commands from other threads wait in the link's inbox for the loop;
        # the loop publishes a snapshot of its state for them to read.
        self.web = WebLink(self.view_jpeg)
        self.inbox = self.web.inbox
        self.remote = Remote(self)
        self.snapshot = Snapshot(self, self.web)
        self.snapshot.publish()
        self.update_console()

    # -- input ---------------------------------------------------------------------
    def key(self, keysym: str) -> None:
        self.key_time = time.perf_counter()
        before, chosen = self.presenter.step, dict(self.presenter.chosen)
        what = self.presenter.key(keysym)
        if self.presenter.chosen != chosen and self.presenter.picked_name is not None:  # + - X: say if the step ignores it
            what += unused_note(self.prepared, self.presenter.picked_name, self.presenter.step)
        log.info("key %s: %s", keysym, what)
        if self.presenter.chosen != chosen:
            self.moved(before, ask=False)
            self.answers.ask(what)
        else:
            self.moved(before)
        if self.presenter.take_reload_request():
            self.reloads.request("R pressed")
        self._dirty = True
        self.update_console(what)

    def moved(self, before: int, ask: bool = True) -> None:
        """After a key or a remote moved the room: log the new step, and if the newest question has
        not reached it yet, ask again with it first."""
        if self.presenter.step == before:
            return
        log.info("step %d: %s", self.presenter.step + 1, self.prepared.titles[self.presenter.step])
        if ask:
            self.answers.follow()

    # -- the loop ------------------------------------------------------------------
    def tick(self, now: float | None = None) -> bool:
        """One turn of the loop; returns True if it drew a frame."""
        self.windows.pump()
        for action, args in self.web.take():
            self._dirty = self.remote.apply(action, args) or self._dirty
        now = now or time.perf_counter()
        self.reloads.watch(time.monotonic())
        self.reloads.collect()
        self._dirty = self.answers.collect() or self._dirty
        self._dirty = self.reloads.upload() or self._dirty
        drew = False
        if self._dirty:
            self._dirty = False
            playing = self.videos.playback
            leaving = playing.on_walls() if playing is not None and playing.showing and self.prepared.transition_ms \
                and self.presenter.view != self.windows.view else None  # a fade starts from the video's frame
            self.windows.show(self.presenter.view, self.prepared.transition_ms, now, leaving)
            drew = True
        pr = self.presenter
        drew = self.videos.update(pr.view, self.prepared, now, pr.video_paused or pr.frozen_at is not None) or drew
        if self.windows.advance_fade(now) or drew:
            self.windows.render()
            self.frames_drawn += 1
            if self.key_time is not None and self.windows.fade is None:
                self.latencies.append(time.perf_counter() - self.key_time)
                self.key_time = None
            self.answers.drawn()
            self.snapshot.publish()
            return True
        self.snapshot.publish()
        return False

    def run(self, until=None) -> None:
        """Loop until the presenter quits (or `until()` is true)."""
        self.tick()
        log.info("show started: %s, layout %s; first frame on screen", counted(self.prepared.step_count, "step"), self.mode)
        while not self.presenter.quit and not (until and until()):
            if not self.tick():
                time.sleep(IDLE_SLEEP)
        log.info("show ended after %s", self.elapsed_text())

    def close(self) -> None:
        self.videos.reset()
        self.answers.close()
        self.reloads.close()
        self.windows.close()

    # -- what the room shows ---------------------------------------------------------
    @property
    def playback(self):
        """The current step's video playing, or None (bridge/show/playback.py)."""
        return self.videos.playback

    def _video_failed(self, step: int, why: str) -> None:
        """The step shows its still picture (the video's first frame) from now on; say why once."""
        log.error("video on step %d: %s", step + 1, why)
        self.problems = [Problem(None, None, None, f"step {step + 1}'s video shows its first frame only: {why}")]
        self.print_problems()

    def view_jpeg(self, step: int | None = None) -> bytes | None:
        """A step's 360° view as the room shows it now (default: the current step), as a JPEG."""
        step = self.presenter.step if step is None else step
        return self.answers.views.get(step) or self.prepared.view_jpeg(step)

    @property
    def answerer(self):
        """The warm worker answering parameter changes (bridge/show/answer.py), or None."""
        return self.answers.answerer

    @answerer.setter
    def answerer(self, worker) -> None:
        self.answers.answerer = worker

    @property
    def answered(self) -> dict:
        """The live parameter values the room's pictures show."""
        return self.answers.answered

    # -- the web (bridge/show/web_link.py): the same link the web server uses ---------------
    def command(self, action: str, *args) -> bool:
        """Queue a command from the web for the loop (thread-safe); False if the inbox is full."""
        return self.web.command(action, *args)

    def web_state(self) -> dict:
        """The latest snapshot of the show for the web; safe to call from any thread."""
        return self.web.state()

    @property
    def web_version(self) -> int:
        return self.web.version

    @property
    def web_links(self) -> list[str]:
        """The web server's links for the console (empty without a server)."""
        return self.web.links

    # -- reporting -------------------------------------------------------------------
    def elapsed_text(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def print_problems(self) -> None:
        if self.console:
            self.console.problems(self.problems)

    def update_console(self, last_action: str | None = None) -> None:
        if self.console:
            self.console.update(self, last_action)


def _closed(presenter: Presenter) -> None:
    log.info("window closed: quitting")
    presenter.quit = True


def choose_compositor(asked: str, windows) -> tuple[str, str]:
    """("cpu" or "gpu", the OpenGL renderer's name): `auto` takes the GPU compositor where the
    windows draw on a graphics card, the CPU one under a software rasteriser (faster there)."""
    from bridge.room.gpu import is_software, renderer_name

    name = renderer_name(windows.windows[0].render_window) if windows.windows else "unknown"
    if asked == "auto":
        return ("cpu" if is_software(name) else "gpu"), name
    return asked, name
