"""The running show: the event loop joining presenter, windows, file watcher and preparer.

`Live` pumps each window's events itself (pyvista's update() throttles across plotters),
feeds keys to the presenter, polls the file watcher and the background preparer (an edit
re-renders the steps it touches while the show keeps answering keys), and keeps the console
and the log told.  The windows themselves are bridge/show/windows.py.
"""

from __future__ import annotations

import logging
import queue
import time
from pathlib import Path

from bridge.errors import Problem
from bridge.show.playback import VideoBackdrops
from bridge.show.prepare import BackgroundPreparer, Prepared
from bridge.show.presenter import Presenter
from bridge.show.windows import ShowWindows
from bridge.show.watch import FileWatcher

log = logging.getLogger("bridge.show")

IDLE_SLEEP = 0.001  # when nothing changes: busy loops slow rendering ~50% on 2 cores (NOTES)
INBOX_SIZE = 64  # commands from the web waiting for the loop; more are refused ("the show is busy")
WEB_COMMANDS = ("next", "previous", "go", "blackout", "set", "reset")


class Live:
    """The running show: presenter + windows + watcher + background preparer + console + log."""

    def __init__(self, scene_path: Path, room, prepared: Prepared, size: tuple[int, int], mode: str = "span",
                 offscreen: bool = False, fit: tuple[int, int] | None = None, console=None, poll_interval: float = 0.25,
                 compositor: str = "auto", paced_video: bool = True):
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.prepared = prepared
        self.presenter = Presenter(prepared.step_count)
        self._set_params(prepared)
        self.console = console
        self.windows = ShowWindows(room, prepared, mode, offscreen, fit, f"Bridge — {prepared.title}")
        self.windows.on_key(self.key)
        self.compositor, self.gl_renderer = choose_compositor(compositor, self.windows)
        log.info("compositor: %s (OpenGL: %s)", self.compositor, self.gl_renderer)
        self.videos = VideoBackdrops(self.windows, self.compositor, paced_video, self._video_failed)
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
        self.answerer = None  # the warm worker answering parameter changes (bridge/show/answer.py)
        self.answered = dict(prepared.chosen)  # the live values the room's pictures show
        self.answered_steps: set[int] | None = None  # steps the newest question has reached (None: none asked)
        self.answered_views: dict[int, bytes] = {}  # step -> its 360° view (JPEG) as a live answer changed it
        self.answered_texts: dict[int, list[str]] = {}  # step -> its content as text, as a live answer changed it
        self.answer_latencies: list[float] = []  # seconds from a parameter change to it on every window
        self._asked_at: float | None = None
        self._answer_shown = False
        self._start_answerer(prepared)
        for w in self.windows.windows:
            if w.x_id is not None:
                log.info("window %s", hex(w.x_id))
        self.mode = mode
        # The web (bridge/web): commands from other threads wait here for the loop; the loop
        # publishes a snapshot of its state for them to read (see "the web" below).
        self.inbox: queue.Queue = queue.Queue(INBOX_SIZE)
        self.frame_version = 0  # changes whenever the picture of the step the room shows changes
        self.web_version = 0  # changes with every new snapshot
        self.web_listener = None  # called (from the loop's thread) after each new snapshot
        self._reloads = 0
        self._step_pictures: dict[int, int] = {}  # step -> how many live answers redrew it
        self._picture_key = None
        self._web_signature = None
        self._web_state: dict = {}
        self._publish_web_state()
        self._update_console()

    # -- input ---------------------------------------------------------------------
    def key(self, keysym: str) -> None:
        self._key_time = time.perf_counter()
        before, chosen = self.presenter.step, dict(self.presenter.chosen)
        what = self.presenter.key(keysym)
        log.info("key %s: %s", keysym, what)
        if self.presenter.chosen != chosen:
            self._moved(before, ask=False)
            self.ask(what)
        else:
            self._moved(before)
        if self.presenter.take_reload_request():
            self.reload("R pressed")
        self._dirty = True
        self._update_console(what)

    def _moved(self, before: int, ask: bool = True) -> None:
        """After a key or a remote moved the room: log the new step, and if the newest question has
        not reached it yet, ask again with it first."""
        if self.presenter.step == before:
            return
        log.info("step %d: %s", self.presenter.step + 1, self.prepared.titles[self.presenter.step])
        if ask and self.answerer is not None and self.answered_steps is not None \
                and self.presenter.step not in self.answered_steps and self.presenter.step in self._asking_steps():
            self._ask_worker()

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
        """The room asked a new question: the warm worker redraws the panels that read the changed
        parameter, current step first (or, without a worker, the steps are prepared again)."""
        log.info("parameters: %s", ", ".join(f"{k}={v}" for k, v in self.presenter.values().items()))
        self.status = f"answering: {what}…"
        self._asked_at = time.perf_counter()
        self.preparer.chosen = dict(self.presenter.chosen)  # a reload renders these values too
        if self.answerer is not None and self.answerer.alive:
            self._ask_worker()
        else:
            self.preparer.request(what, chosen=self.presenter.chosen)

    def _ask_worker(self) -> None:
        current = self.presenter.view.step if self.presenter.view.kind == "step" else self.presenter.step
        order = [current] + [s for s in self._asking_steps() if s != current]
        self.answerer.ask(self.presenter.chosen, order)
        self.answered_steps = set()

    def _asking_steps(self) -> list[int]:
        return [s for s, reads in enumerate(self.prepared.reads) if reads] if self.prepared.reads else list(range(self.prepared.step_count))

    def _start_answerer(self, prepared) -> None:
        """A warm worker for scenes with parameters (none for test patterns or a scene without)."""
        from bridge.show.answer import Answerer

        if self.answerer is not None:
            self.answerer.close()
            self.answerer = None
        if prepared.params and prepared.watched:
            self.answerer = Answerer(self.scene_path, self.room, self.size)
            self.answerer.warm([self.presenter.step] + [s for s in self._asking_steps() if s != self.presenter.step])

    def _collect_answers(self) -> None:
        if self.answerer is None:
            return
        for answer in self.answerer.poll():
            if answer.ask and answer.ask != self.answerer.asked:
                continue  # overtaken by a newer question
            if answer.problems or answer.crash:
                self.problems = answer.problems or [Problem(None, None, None, "answering failed; see the log")]
                if answer.crash:
                    log.error("answering crashed:\n%s", answer.crash)
                for p in answer.problems:
                    log.error("%s", p)
                if answer.ask:
                    self.presenter.chosen = dict(self.answered)  # the console says what the room shows
                    self.status = "kept the last good picture"
                else:
                    self.answerer = None  # the worker could not start: fall back to preparing
                    self.status = "ready"
                self._print_problems()
                self._update_console()
                continue
            self.answered = dict(self.presenter.chosen)
            if self.answered_steps is not None and answer.step is not None:
                self.answered_steps.add(answer.step)
            self.problems = []
            if not answer.images:
                continue  # that step's pictures do not change
            if answer.view is not None:
                self.answered_views[answer.step] = answer.view
            if answer.text is not None:
                self.answered_texts[answer.step] = answer.text
            self._step_pictures[answer.step] = self._step_pictures.get(answer.step, 0) + 1
            log.info("answered step %d in %.0f ms (%s)", answer.step + 1, answer.seconds * 1000, answer.how)
            if answer.layers is not None:  # a video step: play it under its new panels
                self.videos.answered(answer.step, answer.layers)
            if self.windows.replace_step(answer.step, answer.images):
                self._dirty = True
                self._answer_shown = True
            self.status = "ready"
            self._update_console()

    def _set_params(self, prepared) -> None:
        from bridge.show.presenter import ParamSpec

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
        self._drain_inbox()
        now = now or time.perf_counter()
        changed = self.watcher.poll(time.monotonic())
        if changed:
            self.reload("changed: " + ", ".join(p.name for p in changed))
        self._collect()
        self._collect_answers()
        self._upload_step()
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
            if self._key_time is not None and self.windows.fade is None:
                self.latencies.append(time.perf_counter() - self._key_time)
                self._key_time = None
            if self._answer_shown and self._asked_at is not None:
                self.answer_latencies.append(time.perf_counter() - self._asked_at)
                self._asked_at, self._answer_shown = None, False
            self._publish_web_state()
            return True
        self._publish_web_state()
        return False

    @property
    def playback(self):
        """The current step's video playing, or None (bridge/show/playback.py)."""
        return self.videos.playback

    def _video_failed(self, step: int, why: str) -> None:
        """The step shows its still picture (the video's first frame) from now on; say why once."""
        log.error("video on step %d: %s", step + 1, why)
        self.problems = [Problem(None, None, None, f"step {step + 1}'s video shows its first frame only: {why}")]
        self._print_problems()

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
        self.videos.reset()
        self.windows.set_frames(prepared, textures=built)
        self.presenter.set_step_count(prepared.step_count)
        self._set_params(prepared)
        self.answered = dict(prepared.chosen)
        self.answered_views, self.answered_texts = {}, {}
        self._reloads, self._step_pictures = self._reloads + 1, {}
        self._start_answerer(prepared)  # the scene may have changed: a fresh worker
        self.problems = []
        self.status = "ready" if not self.preparer.busy else "re-preparing…"
        self._dirty = True
        log.info("reloaded: %d steps%s", prepared.step_count, " (from cache)" if prepared.from_cache else "")
        if self.console:
            self.console.message(f"reloaded: {prepared.step_count} steps")
        self._update_console()

    def view_jpeg(self, step: int | None = None) -> bytes | None:
        """A step's 360° view as the room shows it now (default: the current step), as a JPEG."""
        step = self.presenter.step if step is None else step
        return self.answered_views.get(step) or self.prepared.view_jpeg(step)

    # -- the web (bridge/web): commands from any thread, state for any thread ----------
    def command(self, action: str, *args) -> bool:
        """Queue a command from the web for the loop (thread-safe); False if the inbox is full.

        `action` is one of WEB_COMMANDS: next, previous, go (a 1-based step), blackout, set
        (name, value), reset (name).  The loop applies it through the keys' own entry points."""
        if action not in WEB_COMMANDS:
            raise ValueError(f"unknown command {action!r}")
        try:
            self.inbox.put_nowait((action, args))
        except queue.Full:
            return False
        return True

    def _drain_inbox(self) -> None:
        while True:
            try:
                action, args = self.inbox.get_nowait()
            except queue.Empty:
                return
            log.info("remote: %s%s", action, "".join(f" {a}" for a in args))
            if self.presenter.digits:  # a command from the remote cancels a half-typed jump
                self.presenter.digits = ""
            try:
                if action == "next":
                    self.key("Right")
                elif action == "previous":
                    self.key("Left")
                elif action == "blackout":
                    self.key("b")
                elif action == "go":
                    self.go_step(int(args[0]) - 1)
                elif action == "set":
                    self.set_param(*args)
                elif action == "reset":
                    self.reset_param(args[0])
            except Exception:  # a malformed command must never stop the show
                log.exception("remote: %s failed", action)

    def go_step(self, index: int) -> str:
        """Jump to a step (0-based) as a typed number and Enter do: the picture comes back too."""
        self._key_time = time.perf_counter()
        before = self.presenter.step
        what = self.presenter.jump(index + 1)
        log.info("go to step %d: %s", index + 1, what)
        self._moved(before)
        self._dirty = True
        self._update_console(what)
        return what

    def reset_param(self, name: str) -> str:
        """A parameter back to the step's (or the default) value: what X does to the picked one."""
        chosen = dict(self.presenter.chosen)
        what = self.presenter.reset_param(name) if name in self.presenter.params else f"no parameter '{name}'"
        log.info("reset parameter %s: %s", name, what)
        if self.presenter.chosen != chosen:
            self.ask(what)
        self._dirty = True
        self._update_console(what)
        return what

    def web_state(self) -> dict:
        """The latest snapshot of the show for the web, JSON-able; safe to call from any thread
        (the loop replaces the whole dict, never changes one it has published)."""
        return self._web_state

    def _shown_step(self) -> int:
        view = self.windows.view or self.presenter.view
        if view.kind == "step":
            return min(view.step, self.prepared.step_count - 1)
        return self.presenter.frozen_at if self.presenter.frozen_at is not None else self.presenter.step

    def _publish_web_state(self) -> None:
        """A new snapshot when anything the web shows has changed (cheap to call every turn)."""
        pr = self.presenter
        shown = self._shown_step()
        picture = (shown, self._reloads, self._step_pictures.get(shown, 0))
        if picture != self._picture_key:
            self._picture_key = picture
            self.frame_version += 1
        elapsed = int(time.monotonic() - self.started)
        signature = (pr.step, pr.blackout, pr.whiteout, pr.frozen_at, pr.digits, tuple(pr.chosen.items()),
                     id(self.prepared), self.frame_version, self.status, len(self.problems), elapsed)
        if signature == self._web_signature:
            return
        self._web_signature = signature
        prepared, n, total = self.prepared, pr.step, self.prepared.step_count
        texts = getattr(prepared, "texts", None)
        view = pr.view
        params = []
        for name, spec in pr.params.items():
            value = pr.value(name)
            params.append({"name": name, "values": list(spec.values), "labels": list(spec.labels),
                           "value": value, "label": spec.label(value), "live": name in pr.chosen,
                           "kind": _param_kind(spec.values, prepared.params, name)})
        self._web_state = {
            "title": prepared.title,
            "step": n + 1, "steps": total, "titles": list(prepared.titles),
            "current": prepared.titles[n], "notes": prepared.notes[n] or "",
            "next": prepared.titles[n + 1] if n + 1 < total else None,
            "shown_step": shown + 1, "shown_title": prepared.titles[shown], "shown_notes": prepared.notes[shown] or "",
            "shown_text": self.answered_texts.get(shown) or _step_text(texts, shown),
            "view": view.kind,  # "step", "black" or "white"
            "elapsed": self.elapsed_text(), "elapsed_s": elapsed,
            "blackout": pr.blackout, "whiteout": pr.whiteout, "frozen": pr.frozen_at is not None,
            "frozen_at": pr.frozen_at + 1 if pr.frozen_at is not None else None,
            "params": params,
            "frame": self.frame_version,
            "status": self.status, "problems": [str(p) for p in self.problems],
        }
        self.web_version += 1
        if self.web_listener is not None:
            try:
                self.web_listener()
            except Exception:  # the web must never stop the show
                log.exception("web listener failed")

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
        self.videos.reset()
        if self.answerer is not None:
            self.answerer.close()
        self.preparer.join(timeout=0.1)
        self.windows.close()


def choose_compositor(asked: str, windows) -> tuple[str, str]:
    """("cpu" or "gpu", the OpenGL renderer's name): `auto` takes the GPU compositor where the
    windows draw on a graphics card, the CPU one under a software rasteriser (faster there)."""
    from bridge.room.gpu import is_software, renderer_name

    name = renderer_name(windows.windows[0].render_window) if windows.windows else "unknown"
    if asked == "auto":
        return ("cpu" if is_software(name) else "gpu"), name
    return asked, name


def _param_kind(values, declared: list[dict], name: str) -> str:
    """How a remote picks this parameter: "toggle", "number" (a slider) or "choice" (a list)."""
    for p in declared:
        if p.get("name") == name and p.get("type") in ("toggle", "number", "choice"):
            return p["type"]
    if values and all(isinstance(v, bool) for v in values):
        return "toggle"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "choice"


def _step_text(texts, step: int) -> list[str] | None:
    """A step's content as text (bridge/export/accessible.py's step_texts, when prepared carries them)."""
    if not texts or step >= len(texts):
        return None
    item = texts[step]
    if item is None:
        return None
    if isinstance(item, str):
        return [line for line in (part.strip() for part in item.split("\n")) if line]
    return [str(line) for line in item if str(line).strip()]
